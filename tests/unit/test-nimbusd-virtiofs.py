#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
# nimbusd's <filesystem> (virtiofs) and <memoryBacking> against the fake
# VMM (tests/unit/rpc-fake-nimbus.py, no KVM): the start runs one
# virtiofsd per filesystem (here a fake one named by <binary path>, which
# listens on its socket and records its arguments) in the domain's
# private state directory and hands nimbus the sockets and shared memory;
# destroy stops them and removes their sockets; a start that fails (a
# virtiofsd that dies, a missing source directory) leaves nothing
# running; define refuses a filesystem without shared memory.
# attach-device / detach-device of a <filesystem>: --live starts its
# virtiofsd and calls vm.add-fs (alias fsN, PCI address, DEVICE_ADDED),
# detach removes the device and then stops that virtiofsd alone
# (DEVICE_REMOVED); --config edits the persistent definition; a refused
# attach (no shared memory, a missing directory or virtiofsd, a virtiofsd
# that dies, nimbus's refusal) leaves no virtiofsd and the definition as
# it was.  TAP output.  Reuses test-rpc-virsh.py's and
# test-nimbusd-hotplug.py's helpers.
import importlib.util
import json
import os
import re
import shutil
import socket
import stat
import sys
import tempfile
import threading

import libvirt

HERE = os.path.dirname(os.path.abspath(__file__))
_spec = importlib.util.spec_from_file_location(
    "rpcvirsh", os.path.join(HERE, "test-rpc-virsh.py"))
rv = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(rv)
_spec = importlib.util.spec_from_file_location(
    "nimbusdhotplug", os.path.join(HERE, "test-nimbusd-hotplug.py"))
hp = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(hp)

virsh, write, wait_for = rv.virsh, rv.write, rv.wait_for
TESTS = []
NAME = "vm-fs"
UUID = "7a1b2c3d-0000-4000-8000-0000000000f5"
SHARED = ("<memoryBacking><source type='memfd'/><access mode='shared'/>"
          "</memoryBacking>")

# Listens where --socket-path says, serves nothing, records its argv
# (one JSON line per start) and ends on SIGTERM, as virtiofsd does.
FAKE = """#!/usr/bin/python3
import json, os, signal, socket, sys
args = sys.argv[1:]
with open(%(log)r, "a") as f:
    f.write(json.dumps(args) + "\\n")
sock = [a.split("=", 1)[1] for a in args if a.startswith("--socket-path=")]
src = args[args.index("-o") + 1].split("=", 1)[1]
if not os.path.isdir(src):
    sys.exit("fake virtiofsd: no source %%s" %% src)
s = socket.socket(socket.AF_UNIX)
s.bind(sock[0])
s.listen(1)
signal.signal(signal.SIGTERM, lambda *a: sys.exit(0))
while True:
    signal.pause()
"""
# Makes a plain file where its socket belongs, records its pid, and waits.
NOTSOCK = """#!/usr/bin/python3
import os, signal, sys
sock = [a.split("=", 1)[1] for a in sys.argv[1:]
        if a.startswith("--socket-path=")][0]
with open(%(pids)r, "a") as f:
    f.write("%%d\\n" %% os.getpid())
open(sock, "w").close()
signal.signal(signal.SIGTERM, lambda *a: sys.exit(0))
while True:
    signal.pause()
"""
BROKEN = """#!/usr/bin/python3
import sys
sys.exit("fake virtiofsd: cannot set up the sandbox")
"""


def test(fn):
    TESTS.append(fn)
    return fn


def fs_xml(binary, source, tag, extra=""):
    return ("<filesystem type='mount' accessmode='passthrough'>"
            "<driver type='virtiofs' queue='512'/><binary path='%s'/>"
            "<source dir='%s'/><target dir='%s'/>%s</filesystem>"
            % (binary, source, tag, extra))


def domain_xml(devices, backing=SHARED):
    xml = rv.golden_xml(NAME, UUID, devices)
    return xml.replace("<vcpu", backing + "<vcpu", 1)


def vm_config(d):
    """The config nimbusd gave the (fake) VMM, from its vm.info."""
    s = socket.socket(socket.AF_UNIX)
    s.connect(os.path.join(d.state, NAME + ".sock"))
    s.sendall(b"GET /api/v1/vm.info HTTP/1.1\r\nHost: localhost\r\n"
              b"Connection: close\r\n\r\n")
    data = b""
    while True:
        chunk = s.recv(65536)
        if not chunk:
            break
        data += chunk
    s.close()
    return json.loads(data.split(b"\r\n\r\n", 1)[1])["config"]


def alive(pid):
    try:
        with open("/proc/%d/stat" % pid) as f:
            return f.read().split(") ", 1)[1][0] != "Z"
    except FileNotFoundError:
        return False


class Ctx:
    def __init__(self, d):
        self.d = d
        self.fsdir = os.path.join(d.state, NAME + ".fs")
        self.log = os.path.join(d.tmp, "virtiofsd-args.log")
        self.fake = write(os.path.join(d.tmp, "fake-virtiofsd"),
                          FAKE % {"log": self.log})
        self.broken = write(os.path.join(d.tmp, "broken-virtiofsd"), BROKEN)
        self.notsock_pids = os.path.join(d.tmp, "notsock.pids")
        self.notsock = write(os.path.join(d.tmp, "notsock-virtiofsd"),
                             NOTSOCK % {"pids": self.notsock_pids})
        for p in (self.fake, self.broken, self.notsock):
            os.chmod(p, 0o755)
        self.shares = []
        for n in ("a", "b"):
            p = os.path.join(d.tmp, "share-" + n)
            os.makedirs(p, exist_ok=True)
            self.shares.append(p)

    def define(self, devices, backing=SHARED, check=True):
        path = write(os.path.join(self.d.tmp, NAME + ".xml"),
                     domain_xml(devices, backing))
        return virsh(self.d, "define", path, check=check)

    def pids(self):
        out = []
        for f in sorted(os.listdir(self.fsdir)):
            if f.endswith(".pid"):
                with open(os.path.join(self.fsdir, f)) as fp:
                    out.append(int(fp.readline()))
        return out

    def leftovers(self):
        if not os.path.isdir(self.fsdir):
            return []
        return [f for f in os.listdir(self.fsdir)
                if f.endswith((".sock", ".pid"))]

    def cleanup(self):
        virsh(self.d, "destroy", NAME, check=False)
        virsh(self.d, "undefine", NAME, check=False)


@test
def start_runs_virtiofsd_destroy_stops_it(c):
    try:
        c.define(fs_xml(c.fake, c.shares[0], "share") +
                 fs_xml(c.fake, c.shares[1], "data"))
        virsh(c.d, "start", NAME)
        st = os.stat(c.fsdir)
        assert stat.S_IMODE(st.st_mode) == 0o700, oct(st.st_mode)
        pids = c.pids()
        assert len(pids) == 2 and all(alive(p) for p in pids), pids
        cfg = vm_config(c.d)
        assert cfg["memory"]["shared"] is True, cfg["memory"]
        fs = cfg.get("fs") or []
        assert [f["tag"] for f in fs] == ["share", "data"], fs
        for i, f in enumerate(fs):
            assert f["socket"] == os.path.join(c.fsdir, "fs%d.sock" % i), f
            assert f["queue_size"] == 512, f
            assert os.path.exists(f["socket"]), f
        with open(c.log) as f:
            args = [json.loads(line) for line in f]
        assert ["-o", "source=" + c.shares[0]] == args[-2][1:], args
        live = virsh(c.d, "dumpxml", NAME).stdout
        assert "<target dir='share'/>" in live, live
        assert "<access mode='shared'/>" in live, live
        virsh(c.d, "destroy", NAME)
        wait_for(lambda: not any(alive(p) for p in pids), "virtiofsd gone")
        assert c.leftovers() == [], c.leftovers()
        # The next start runs them again.
        virsh(c.d, "start", NAME)
        assert len(c.pids()) == 2
        virsh(c.d, "destroy", NAME)
        assert c.leftovers() == [], c.leftovers()
    finally:
        c.cleanup()


@test
def failed_start_leaves_nothing(c):
    try:
        # The first virtiofsd starts, the second dies: the first goes too.
        c.define(fs_xml(c.fake, c.shares[0], "share") +
                 fs_xml(c.broken, c.shares[1], "data"))
        r = virsh(c.d, "start", NAME, check=False)
        assert r.returncode != 0, r.stdout
        assert ("filesystem 'data': virtiofsd for domain 'vm-fs' did not "
                "start: fake virtiofsd: cannot set up the sandbox"
                in r.stderr), r.stderr
        assert c.leftovers() == [], c.leftovers()
        with open(c.log) as f:
            started = len(f.readlines())
        assert started >= 1
        assert not os.path.exists(os.path.join(c.d.state, NAME + ".sock"))
        assert rv.domstate(c.d, NAME).startswith("shut off")
    finally:
        c.cleanup()


@test
def start_refusals_start_nothing(c):
    gone = os.path.join(c.d.tmp, "no-such-dir")
    cases = (
        (fs_xml(c.fake, gone, "t"),
         "filesystem 't': source dir '%s' does not exist" % gone),
        (fs_xml(os.path.join(c.d.tmp, "no-virtiofsd"), c.shares[0], "t"),
         "binary path '%s' is not an executable virtiofsd"
         % os.path.join(c.d.tmp, "no-virtiofsd")),
    )
    try:
        for dev, text in cases:
            with open(c.log, "a"):
                pass
            before = os.path.getsize(c.log)
            c.define(fs_xml(c.fake, c.shares[0], "ok") + dev)
            r = virsh(c.d, "start", NAME, check=False)
            assert r.returncode != 0 and text in r.stderr, r.stderr
            # Checked before the first virtiofsd starts.
            assert os.path.getsize(c.log) == before
            assert c.leftovers() == [], c.leftovers()
    finally:
        c.cleanup()


@test
def define_refusals(c):
    for backing, dev, text in (
            ("", fs_xml(c.fake, c.shares[0], "t"),
             "virtiofs needs shared memory"),
            (SHARED, fs_xml(c.fake, c.shares[0], "t", "<readonly/>"),
             "filesystem: <readonly/> is not supported by nimbus"),
            (SHARED, "<filesystem type='mount' accessmode='mapped'><driver "
             "type='path'/><source dir='/srv'/><target dir='t'/>"
             "</filesystem>", "filesystem accessmode 'mapped'"),
            ("<memoryBacking><locked/></memoryBacking>", "",
             "memoryBacking <locked/> is not supported by nimbus")):
        r = c.define(dev, backing, check=False)
        assert r.returncode != 0 and text in r.stderr, r.stderr
        assert NAME not in rv.names(c.d)


@test
def domcaps_offer_virtiofs_and_memfd(c):
    out = virsh(c.d, "domcapabilities").stdout
    assert "<value>virtiofs</value>" in out, out
    assert "<value>memfd</value>" in out, out


def fs_block(xml, tag):
    """The <filesystem> element with target dir @tag in @xml, or None."""
    for m in re.finditer(r"<filesystem .*?</filesystem>", xml, re.S):
        if "<target dir='%s'/>" % tag in m.group(0):
            return m.group(0)
    return None


def fs_file(c, tag, xml_extra=""):
    return write(os.path.join(c.d.tmp, "fs-%s.xml" % tag),
                 fs_xml(c.fake, c.shares[1], tag, xml_extra))


def pid_file_of(c, vmm_id):
    with open(os.path.join(c.fsdir, vmm_id + ".pid")) as f:
        return int(f.readline())


@test
def live_attach_detach_runs_and_stops_virtiofsd(c):
    ev = hp.DeviceEvents(c.d.uri)
    try:
        c.define(fs_xml(c.fake, c.shares[0], "share"))
        virsh(c.d, "start", NAME)
        first = pid_file_of(c, "fs0")
        virsh(c.d, "attach-device", NAME, fs_file(c, "data"), "--live")
        ev.expect("added", NAME, "fs1")
        second = pid_file_of(c, "fs1")
        assert alive(first) and alive(second), (first, second)
        fs = vm_config(c.d)["fs"]
        assert [(f["tag"], f["id"]) for f in fs] == \
            [("share", "fs0"), ("data", "fs1")], fs
        assert fs[1]["socket"] == os.path.join(c.fsdir, "fs1.sock"), fs
        assert fs[1]["queue_size"] == 512, fs
        with open(c.log) as f:
            assert json.loads(f.readlines()[-1])[1:] == \
                ["-o", "source=" + c.shares[1]]
        live = virsh(c.d, "dumpxml", NAME).stdout
        block = fs_block(live, "data")
        assert block and "<alias name='fs1'/>" in block, live
        assert "<address type='pci'" in block, block
        # --live only: the persistent definition is as it was.
        assert fs_block(virsh(c.d, "dumpxml", "--inactive", NAME).stdout,
                        "data") is None

        # The boot-time one goes; its virtiofsd stops, the other stays.
        virsh(c.d, "detach-device", NAME,
              write(os.path.join(c.d.tmp, "share.xml"),
                    fs_xml(c.fake, c.shares[0], "share")), "--live")
        ev.expect("removed", NAME, "fs0")
        wait_for(lambda: not alive(first), "virtiofsd of fs0 gone")
        assert alive(second)
        assert sorted(c.leftovers()) == ["fs1.pid", "fs1.sock"], \
            c.leftovers()
        live = virsh(c.d, "dumpxml", NAME).stdout
        assert fs_block(live, "share") is None, live
        assert [f["id"] for f in vm_config(c.d)["fs"]] == ["fs1"]

        # Its name is free again; the one attached now takes it.
        virsh(c.d, "attach-device", NAME,
              write(os.path.join(c.d.tmp, "again.xml"),
                    fs_xml(c.fake, c.shares[0], "again")), "--live")
        ev.expect("added", NAME, "fs0")
        assert alive(pid_file_of(c, "fs0")) and alive(second)
        virsh(c.d, "detach-device-alias", NAME, "fs1", "--live")
        ev.expect("removed", NAME, "fs1")
        wait_for(lambda: not alive(second), "virtiofsd of fs1 gone")
        third = pid_file_of(c, "fs0")
        virsh(c.d, "destroy", NAME)
        wait_for(lambda: not alive(third), "virtiofsd gone")
        assert c.leftovers() == [], c.leftovers()
        ev.none()
    finally:
        ev.close()
        c.cleanup()


@test
def config_attach_detach(c):
    try:
        c.define(fs_xml(c.fake, c.shares[0], "share"))
        virsh(c.d, "attach-device", NAME, fs_file(c, "data"), "--config")
        inactive = virsh(c.d, "dumpxml", "--inactive", NAME).stdout
        assert fs_block(inactive, "data"), inactive
        assert c.leftovers() == [], c.leftovers()
        r = virsh(c.d, "attach-device", NAME, fs_file(c, "data"), "--config",
                  check=False)
        hp.refused(r, "filesystem target dir 'data' is used twice")
        virsh(c.d, "detach-device", NAME, fs_file(c, "data"), "--config")
        inactive = virsh(c.d, "dumpxml", "--inactive", NAME).stdout
        assert fs_block(inactive, "data") is None, inactive
        assert fs_block(inactive, "share"), inactive
        r = virsh(c.d, "detach-device", NAME, fs_file(c, "data"), "--config",
                  check=False)
        hp.refused(r, "filesystem with target dir 'data' not found")
        # Both at once on a running domain.
        virsh(c.d, "start", NAME)
        virsh(c.d, "attach-device", NAME, fs_file(c, "data"), "--live",
              "--config")
        assert fs_block(virsh(c.d, "dumpxml", "--inactive", NAME).stdout,
                        "data")
        assert fs_block(virsh(c.d, "dumpxml", NAME).stdout, "data")
        assert len(c.pids()) == 2
    finally:
        c.cleanup()


@test
def refused_attach_leaves_nothing(c):
    gone = os.path.join(c.d.tmp, "no-such-dir")
    missing = os.path.join(c.d.tmp, "no-virtiofsd")
    try:
        # No filesystem and private memory: nothing to share RAM with.
        c.define("", backing="")
        virsh(c.d, "start", NAME)
        r = virsh(c.d, "attach-device", NAME, fs_file(c, "data"), "--live",
                  check=False)
        hp.refused(r, "filesystem 'data': virtiofs needs shared memory")
        assert c.leftovers() == [], c.leftovers()
        virsh(c.d, "destroy", NAME)

        c.define(fs_xml(c.fake, c.shares[0], "share"))
        virsh(c.d, "start", NAME)
        before = virsh(c.d, "dumpxml", NAME).stdout
        cases = (
            (fs_xml(c.fake, gone, "t"),
             "filesystem 't': source dir '%s' does not exist" % gone),
            (fs_xml(missing, c.shares[1], "t"),
             "binary path '%s' is not an executable virtiofsd" % missing),
            (fs_xml(c.broken, c.shares[1], "t"),
             "filesystem 't': virtiofsd for domain 'vm-fs' did not start: "
             "fake virtiofsd: cannot set up the sandbox"),
            (fs_xml(c.fake, c.shares[1], "share"),
             "filesystem target dir 'share' is used twice"),
        )
        for dev, text in cases:
            r = virsh(c.d, "attach-device", NAME,
                      write(os.path.join(c.d.tmp, "bad.xml"), dev), "--live",
                      check=False)
            hp.refused(r, text)
            assert sorted(c.leftovers()) == ["fs0.pid", "fs0.sock"], \
                c.leftovers()
            assert virsh(c.d, "dumpxml", NAME).stdout == before
        assert len(c.pids()) == 1
    finally:
        c.cleanup()


@test
def vmm_refusal_stops_the_new_virtiofsd(c):
    try:
        c.define(fs_xml(c.fake, c.shares[0], "share"))
        virsh(c.d, "start", NAME)
        before = virsh(c.d, "dumpxml", NAME).stdout
        # A "virtiofsd" whose socket is a plain file: nimbus cannot
        # connect and refuses the device.
        r = virsh(c.d, "attach-device", NAME,
                  write(os.path.join(c.d.tmp, "notsock.xml"),
                        fs_xml(c.notsock, c.shares[1], "data",
                               "<alias name='ua-data'/>")), "--live",
                  check=False)
        hp.refused(r, "fs: cannot connect to vhost-user socket '%s'"
                   % os.path.join(c.fsdir, "ua-data.sock"))
        with open(c.notsock_pids) as f:
            pid = int(f.read().split()[-1])
        wait_for(lambda: not alive(pid), "refused virtiofsd gone")
        assert sorted(c.leftovers()) == ["fs0.pid", "fs0.sock"], \
            c.leftovers()
        assert virsh(c.d, "dumpxml", NAME).stdout == before
        # A user alias names the device and its files.
        virsh(c.d, "attach-device", NAME,
              fs_file(c, "data", "<alias name='ua-data'/>"), "--live")
        assert os.path.exists(os.path.join(c.fsdir, "ua-data.sock"))
        assert [f["id"] for f in vm_config(c.d)["fs"]] == ["fs0", "ua-data"]
        virsh(c.d, "detach-device-alias", NAME, "ua-data", "--live")
        wait_for(lambda: "ua-data.pid" not in c.leftovers(), "ua-data gone")
    finally:
        c.cleanup()


def main():
    libvirt.virEventRegisterDefaultImpl()
    threading.Thread(target=rv.event_loop, daemon=True).start()
    libvirt.registerErrorHandler(lambda ctx, err: None, None)
    tmp = tempfile.mkdtemp(prefix="nd-fs-", dir="/tmp")
    d = rv.Daemon(tmp)
    failed = 0
    print("1..%d" % len(TESTS))
    try:
        d.start()
        failed += rv.run_tap(TESTS, "/nimbusd/virtiofs", Ctx(d))
    finally:
        d.stop()
        rv.kill_vmms(d.state)
        if failed or os.environ.get("NIMBUS_TEST_KEEP"):
            print("# nimbusd log and state kept in " + tmp)
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
