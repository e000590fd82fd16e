#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
# nimbusd's save/restore, save images and managed save through stock virsh
# and python3-libvirt; the VMM is tests/unit/rpc-fake-nimbus.py, whose
# vm.snapshot/vm.restore write and read a real directory.  TAP output.
import hashlib
import http.client
import importlib.util
import json
import os
import shutil
import socket
import struct
import sys
import tempfile
import threading

import libvirt

HERE = os.path.dirname(os.path.abspath(__file__))
_spec = importlib.util.spec_from_file_location("rpcvirsh", os.path.join(HERE, "test-rpc-virsh.py"))
rv = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(rv)

virsh = rv.virsh
STARTED, SUSPENDED, RESUMED, STOPPED = 2, 3, 4, 5
# details (reference §1.5)
STARTED_BOOTED, STARTED_RESTORED = 0, 2
SUSPENDED_PAUSED, SUSPENDED_RESTORED = 0, 4
STOPPED_DESTROYED, STOPPED_SAVED = 1, 4
UUID_A = "6a0c2f3e-5d1b-4c8e-9f00-0000000000a1"
UUID_B = "6a0c2f3e-5d1b-4c8e-9f00-0000000000b2"
MAGIC = b"NimbusSaveImage\n"

TESTS = []


def test(fn):
    TESTS.append(fn)
    return fn


class UnixHTTP(http.client.HTTPConnection):
    def __init__(self, path):
        super().__init__("localhost")
        self.path = path

    def connect(self):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.connect(self.path)


def fake_call(d, name, method, endpoint, body=None):
    """The fake VMM's API of domain @name (the RAM endpoints are the fake's)."""
    c = UnixHTTP(os.path.join(d.state, name + ".sock"))
    data = json.dumps(body).encode() if body is not None else None
    c.request(method, "/api/v1/" + endpoint, body=data,
              headers={"Content-Type": "application/json"})
    r = c.getresponse()
    out = r.read()
    c.close()
    assert r.status in (200, 204), (r.status, out)
    return json.loads(out) if out else None


def set_ram(d, name, value):
    fake_call(d, name, "PUT", "fake.ram", {"ram": value})


def get_ram(d, name):
    return fake_call(d, name, "GET", "fake.ram")["ram"]


def define(d, name, uuid=UUID_A):
    path = os.path.join(d.tmp, name + ".xml")
    rv.write(path, rv.golden_xml(name, uuid))
    virsh(d, "define", path)


def cleanup(d, *names):
    for n in names:
        virsh(d, "destroy", n, check=False)
        virsh(d, "undefine", n, "--managed-save", check=False)


def image(d, name):
    return os.path.join(d.tmp, name + ".img")


def refused(r, text):
    assert r.returncode != 0, r.stdout
    assert text in r.stderr, r.stderr


def reheader(path, version=None, flags=None, xml=None):
    """Rewrites the header of the image at @path with a valid digest."""
    with open(path, "rb") as f:
        data = f.read()
    v, fl, n, _ = struct.unpack(">IIII", data[16:32])
    old_xml = data[32:32 + n]
    rest = data[32 + n + 32:]
    v = v if version is None else version
    fl = fl if flags is None else flags
    x = old_xml if xml is None else xml.encode()
    head = MAGIC + struct.pack(">IIII", v, fl, len(x), 0) + x
    with open(path, "wb") as f:
        f.write(head + hashlib.sha256(head).digest() + rest)


# ---- save / restore ---------------------------------------------------------


@test
def save_restore_keeps_ram_and_sends_events(d):
    ev = rv.Events(d.uri)
    try:
        define(d, "vm-save")
        virsh(d, "start", "vm-save")
        set_ram(d, "vm-save", "value-before-save")
        # DEFINED, STARTED: all of them, or a late one spills over.
        assert ev.take("vm-save", 2) == [(0, 0), (STARTED, STARTED_BOOTED)]
        img = image(d, "vm-save")
        virsh(d, "save", "vm-save", img)
        assert ev.take("vm-save", 2) == [(SUSPENDED, SUSPENDED_PAUSED),
                                          (STOPPED, STOPPED_SAVED)]
        assert rv.domstate(d, "vm-save") == "shut off (saved)"
        with open(img, "rb") as f:
            assert f.read(16) == MAGIC
        # Nothing is left behind next to the image or in the state dir.
        assert sorted(os.listdir(d.tmp)).count("vm-save.img") == 1
        assert not [f for f in os.listdir(d.tmp) if ".tmp-" in f]
        assert not [f for f in os.listdir(d.state) if f.startswith(".")]
        virsh(d, "restore", img)
        assert ev.take("vm-save", 1) == [(STARTED, STARTED_RESTORED)]
        assert rv.domstate(d, "vm-save") == "running (restored)"
        assert get_ram(d, "vm-save") == "value-before-save"
        assert not [f for f in os.listdir(d.state) if f.startswith(".")]
    finally:
        ev.close()
        cleanup(d, "vm-save")


@test
def restore_running_or_paused_as_asked(d):
    ev = rv.Events(d.uri)
    try:
        define(d, "vm-rp")
        virsh(d, "start", "vm-rp", "--paused")
        assert ev.take("vm-rp", 3) == [(0, 0), (STARTED, STARTED_BOOTED),
                                        (SUSPENDED, SUSPENDED_PAUSED)]
        img = image(d, "vm-rp")
        # A paused domain is restored paused by default...
        virsh(d, "save", "vm-rp", img)
        assert ev.take("vm-rp", 1) == [(STOPPED, STOPPED_SAVED)]
        virsh(d, "restore", img)
        assert ev.take("vm-rp", 2) == [(STARTED, STARTED_RESTORED),
                                        (SUSPENDED, SUSPENDED_RESTORED)]
        assert rv.domstate(d, "vm-rp") == "paused (user)"
        # ... and running with --running (RESTORE_FLAGS).
        virsh(d, "save", "vm-rp", img)
        virsh(d, "restore", img, "--running")
        assert rv.domstate(d, "vm-rp") == "running (restored)"
        # save --paused records "paused" for a running domain.
        virsh(d, "save", "vm-rp", img, "--paused")
        virsh(d, "restore", img)
        assert rv.domstate(d, "vm-rp") == "paused (user)"
        virsh(d, "destroy", "vm-rp")
        # restore --paused overrides a running image.
        virsh(d, "start", "vm-rp")
        virsh(d, "save", "vm-rp", img, "--bypass-cache")
        virsh(d, "restore", img, "--paused", "--bypass-cache")
        assert rv.domstate(d, "vm-rp") == "paused (user)"
        r = virsh(d, "save", "vm-rp", img, "--running", "--paused", check=False)
        assert r.returncode != 0
    finally:
        ev.close()
        cleanup(d, "vm-rp")


@test
def failed_save_leaves_domain_running(d):
    try:
        define(d, "vm-fail")
        virsh(d, "start", "vm-fail")
        set_ram(d, "vm-fail", "still-here")
        bad = os.path.join(d.tmp, "no-such-dir", "img")
        r = virsh(d, "save", "vm-fail", bad, check=False)
        refused(r, "cannot save domain 'vm-fail'")
        assert rv.domstate(d, "vm-fail") == "running (unpaused)"
        assert get_ram(d, "vm-fail") == "still-here"
        assert not [f for f in os.listdir(d.state) if f.startswith(".")]
        r = virsh(d, "save", "vm-fail", "relative/path", check=False)
        assert r.returncode != 0
        virsh(d, "destroy", "vm-fail")
        refused(virsh(d, "save", "vm-fail", image(d, "x"), check=False),
                "not running")
    finally:
        cleanup(d, "vm-fail")


@test
def restore_of_undefined_domain_is_transient(d):
    try:
        define(d, "vm-tr")
        virsh(d, "start", "vm-tr")
        img = image(d, "vm-tr")
        virsh(d, "save", "vm-tr", img)
        virsh(d, "undefine", "vm-tr")
        virsh(d, "restore", img)
        r = virsh(d, "dominfo", "vm-tr").stdout
        assert "Persistent:     no" in r, r
        virsh(d, "destroy", "vm-tr")
        assert "vm-tr" not in rv.names(d)
    finally:
        cleanup(d, "vm-tr")


@test
def save_image_dumpxml_and_define(d):
    try:
        define(d, "vm-img")
        virsh(d, "start", "vm-img")
        img = image(d, "vm-img")
        virsh(d, "save", "vm-img", img)
        xml = virsh(d, "save-image-dumpxml", img).stdout
        assert "<name>vm-img</name>" in xml and UUID_A in xml, xml
        # A description nimbus does not see may change...
        new = xml.replace("</name>", "</name>\n  <description>edited</description>", 1)
        path = rv.write(os.path.join(d.tmp, "edited.xml"), new)
        virsh(d, "save-image-define", img, path, "--paused")
        xml2 = virsh(d, "save-image-dumpxml", img).stdout
        assert "<description>edited</description>" in xml2, xml2
        virsh(d, "restore", img)
        assert rv.domstate(d, "vm-img") == "paused (user)"
        virsh(d, "save", "vm-img", img)
        # ... the machine may not.
        bigger = xml.replace("<vcpu placement='static'>1</vcpu>",
                             "<vcpu placement='static'>2</vcpu>", 1)
        assert bigger != xml, xml
        path = rv.write(os.path.join(d.tmp, "bigger.xml"), bigger)
        r = virsh(d, "save-image-define", img, path, check=False)
        refused(r, "changes the virtual machine")
        r = virsh(d, "restore", img, "--xml", path, check=False)
        refused(r, "changes the virtual machine")
        # Another domain's XML is refused too.
        renamed = xml.replace("<name>vm-img</name>", "<name>vm-other</name>")
        path = rv.write(os.path.join(d.tmp, "renamed.xml"), renamed)
        refused(virsh(d, "save-image-define", img, path, check=False),
                "name and uuid must match")
        assert rv.domstate(d, "vm-img") == "shut off (saved)"
        # The image still restores after the refusals (paused: it was
        # saved from the paused domain).
        virsh(d, "restore", img)
        assert rv.domstate(d, "vm-img") == "paused (user)"
        # Read-only connections may not read files through the daemon.
        r = virsh(d, "save-image-dumpxml", img, uri=d.uri_ro, check=False)
        assert r.returncode != 0
    finally:
        cleanup(d, "vm-img")


@test
def bad_images_are_refused_and_nothing_runs(d):
    try:
        define(d, "vm-bad")
        virsh(d, "start", "vm-bad")
        good = image(d, "vm-bad")
        virsh(d, "save", "vm-bad", good)
        size = os.path.getsize(good)

        def variant(name, mutate):
            p = os.path.join(d.tmp, name)
            shutil.copy(good, p)
            mutate(p)
            return p

        def truncate(p, n):
            with open(p, "r+b") as f:
                f.truncate(n)

        def flip(p, off):
            with open(p, "r+b") as f:
                f.seek(off)
                b = f.read(1)
                f.seek(off)
                f.write(bytes([b[0] ^ 0x40]))

        cases = [
            (variant("trunc-body", lambda p: truncate(p, size - 40)), "truncated"),
            (variant("trunc-head", lambda p: truncate(p, 20)),
             "shorter than the header"),
            (variant("trunc-xml", lambda p: truncate(p, 100)), "is truncated"),
            (variant("flip-xml", lambda p: flip(p, 40)), "header checksum mismatch"),
            (variant("flip-ram", lambda p: flip(p, size - 40)),
             "checksum mismatch in"),
            (variant("magic", lambda p: flip(p, 0)), "wrong magic"),
            (variant("newer", lambda p: reheader(p, version=2)),
             "save image version 2 is not supported"),
            (variant("flags", lambda p: reheader(p, flags=0x80)), "unknown flags"),
            (variant("tail", lambda p: open(p, "ab").write(b"x")),
             "data after the end"),
            (os.path.join(d.tmp, "missing.img"), "cannot open save image"),
        ]
        for path, text in cases:
            r = virsh(d, "restore", path, check=False)
            refused(r, text)
            assert rv.domstate(d, "vm-bad") == "shut off (saved)", path
            assert not [f for f in os.listdir(d.state) if f.startswith(".")], path
        refused(virsh(d, "save-image-dumpxml", cases[3][0], check=False),
                "header checksum mismatch")
        # Another domain with the same name: refused, nothing replaced.
        virsh(d, "undefine", "vm-bad")
        define(d, "vm-bad", UUID_B)
        r = virsh(d, "restore", good, check=False)
        assert r.returncode != 0 and "vm-bad" in r.stderr, r.stderr
        assert rv.domstate(d, "vm-bad").startswith("shut off"), \
            rv.domstate(d, "vm-bad")
        xml = virsh(d, "dumpxml", "vm-bad").stdout
        assert UUID_B in xml, xml
        # Restoring a running domain is refused.
        virsh(d, "undefine", "vm-bad")
        define(d, "vm-bad")
        virsh(d, "start", "vm-bad")
        refused(virsh(d, "restore", good, check=False), "already active")
        assert rv.domstate(d, "vm-bad") == "running (booted)"
    finally:
        cleanup(d, "vm-bad")


def vmm_failure(d, endpoint):
    """A second nimbusd whose fake VMMs fail @endpoint (FAKE_NIMBUS_FAIL),
    sharing @d's config and state directories while @d is stopped."""
    d.stop()
    return rv.Daemon(d.tmp, extra_env={"FAKE_NIMBUS_FAIL": endpoint})


@test
def vmm_failures_leave_nothing_behind(d):
    try:
        define(d, "vm-vf")
        virsh(d, "start", "vm-vf")
        img = image(d, "vm-vf")
        virsh(d, "save", "vm-vf", img)
        f = vmm_failure(d, "vm.restore")
        f.start()
        try:
            # nimbus refuses the restore: nothing runs, nothing is left.
            refused(virsh(f, "restore", img, check=False),
                    "injected failure of vm.restore")
            assert rv.domstate(f, "vm-vf").startswith("shut off")
            assert not [x for x in os.listdir(f.state) if x.startswith(".")]
            virsh(f, "undefine", "vm-vf")
            refused(virsh(f, "restore", img, check=False), "vm.restore")
            assert "vm-vf" not in rv.names(f), "a failed restore left a domain"
        finally:
            f.stop()
        d.start()
        define(d, "vm-vf")
        virsh(d, "restore", img)
        set_ram(d, "vm-vf", "kept")
        virsh(d, "destroy", "vm-vf")
        f = vmm_failure(d, "vm.snapshot")
        f.start()
        try:
            virsh(f, "start", "vm-vf")
            os.unlink(img)
            # The snapshot fails: the domain runs on, no image is written.
            refused(virsh(f, "save", "vm-vf", img, check=False),
                    "injected failure of vm.snapshot")
            assert rv.domstate(f, "vm-vf") == "running (unpaused)"
            assert not os.path.exists(img)
            assert not [x for x in os.listdir(d.tmp) if ".tmp-" in x]
            assert not [x for x in os.listdir(f.state) if x.startswith(".")]
            virsh(f, "destroy", "vm-vf")
        finally:
            f.stop()
    finally:
        d.start()
        cleanup(d, "vm-vf")


# ---- managed save -----------------------------------------------------------


@test
def managedsave_then_start_restores_once(d):
    ev = rv.Events(d.uri)
    try:
        define(d, "vm-ms")
        virsh(d, "start", "vm-ms")
        assert ev.take("vm-ms", 2) == [(0, 0), (STARTED, STARTED_BOOTED)]
        set_ram(d, "vm-ms", "managed")
        virsh(d, "managedsave", "vm-ms")
        assert ev.take("vm-ms", 2) == [(SUSPENDED, SUSPENDED_PAUSED),
                                        (STOPPED, STOPPED_SAVED)]
        info = virsh(d, "dominfo", "vm-ms").stdout
        assert "Managed save:   yes" in info, info
        assert "vm-ms" in virsh(d, "list", "--all", "--managed-save", "--name").stdout
        conn = libvirt.open(d.uri)
        try:
            flags = libvirt.VIR_CONNECT_LIST_DOMAINS_NO_MANAGEDSAVE
            assert "vm-ms" not in [x.name() for x in conn.listAllDomains(flags)]
            flags = libvirt.VIR_CONNECT_LIST_DOMAINS_MANAGEDSAVE
            assert [x.name() for x in conn.listAllDomains(flags)] == ["vm-ms"]
        finally:
            conn.close()
        xml = virsh(d, "managedsave-dumpxml", "vm-ms").stdout
        assert "<name>vm-ms</name>" in xml, xml
        # undefine keeps the image's domain unless told.
        refused(virsh(d, "undefine", "vm-ms", check=False), "managed save image")
        virsh(d, "start", "vm-ms")
        assert ev.take("vm-ms", 1) == [(STARTED, STARTED_RESTORED)]
        assert rv.domstate(d, "vm-ms") == "running (restored)"
        assert get_ram(d, "vm-ms") == "managed"
        info = virsh(d, "dominfo", "vm-ms").stdout
        assert "Managed save:   no" in info, info
        # Restored once: the next start boots afresh.
        virsh(d, "destroy", "vm-ms")
        virsh(d, "start", "vm-ms")
        assert rv.domstate(d, "vm-ms") == "running (booted)"
        assert get_ram(d, "vm-ms") == ""
        # --paused; then --force-boot discards the image.
        set_ram(d, "vm-ms", "again")
        virsh(d, "managedsave", "vm-ms", "--paused")
        virsh(d, "start", "vm-ms")
        assert rv.domstate(d, "vm-ms") == "paused (user)"
        virsh(d, "managedsave", "vm-ms")
        virsh(d, "start", "vm-ms", "--force-boot")
        assert rv.domstate(d, "vm-ms") == "running (booted)"
        assert get_ram(d, "vm-ms") == ""
        assert "Managed save:   no" in virsh(d, "dominfo", "vm-ms").stdout
        # managedsave-remove
        virsh(d, "managedsave", "vm-ms")
        virsh(d, "managedsave-remove", "vm-ms")
        assert "Managed save:   no" in virsh(d, "dominfo", "vm-ms").stdout
        refused(virsh(d, "managedsave-dumpxml", "vm-ms", check=False),
                "does not have managed save image")
        # undefine --managed-save removes the image with the definition.
        virsh(d, "start", "vm-ms")
        virsh(d, "managedsave", "vm-ms")
        virsh(d, "undefine", "vm-ms", "--managed-save")
        assert "vm-ms" not in rv.names(d)
        assert os.listdir(os.path.join(d.config, "save")) == []
    finally:
        ev.close()
        cleanup(d, "vm-ms")


@test
def managedsave_define_and_transient_refusal(d):
    try:
        define(d, "vm-msd")
        virsh(d, "start", "vm-msd")
        virsh(d, "managedsave", "vm-msd")
        xml = virsh(d, "managedsave-dumpxml", "vm-msd").stdout
        new = xml.replace("</name>", "</name>\n  <description>ms</description>", 1)
        path = rv.write(os.path.join(d.tmp, "ms.xml"), new)
        virsh(d, "managedsave-define", "vm-msd", path, "--paused")
        assert "<description>ms</description>" in \
            virsh(d, "managedsave-dumpxml", "vm-msd").stdout
        virsh(d, "start", "vm-msd")
        assert rv.domstate(d, "vm-msd") == "paused (user)"
        virsh(d, "destroy", "vm-msd")
        # A transient domain has nothing to restore at its next start.
        path = rv.write(os.path.join(d.tmp, "tr.xml"),
                        rv.golden_xml("vm-msd-tr", UUID_B))
        virsh(d, "create", path)
        refused(virsh(d, "managedsave", "vm-msd-tr", check=False),
                "transient")
        assert rv.domstate(d, "vm-msd-tr") == "running (booted)"
    finally:
        cleanup(d, "vm-msd", "vm-msd-tr")


@test
def python_libvirt_save_restore(d):
    conn = libvirt.open(d.uri)
    try:
        define(d, "vm-py")
        dom = conn.lookupByName("vm-py")
        dom.create()
        img = image(d, "vm-py")
        dom.saveFlags(img, None, libvirt.VIR_DOMAIN_SAVE_PAUSED)
        assert dom.state() == [libvirt.VIR_DOMAIN_SHUTOFF,
                               libvirt.VIR_DOMAIN_SHUTOFF_SAVED]
        assert "<name>vm-py</name>" in conn.saveImageGetXMLDesc(img, 0)
        conn.restoreFlags(img, None, libvirt.VIR_DOMAIN_SAVE_RUNNING)
        assert dom.state() == [libvirt.VIR_DOMAIN_RUNNING,
                               libvirt.VIR_DOMAIN_RUNNING_RESTORED]
        dom.managedSave(0)
        assert dom.hasManagedSaveImage(0) == 1
        dom.managedSaveRemove(0)
        assert dom.hasManagedSaveImage(0) == 0
        try:
            conn.restore(os.path.join(d.tmp, "nope.img"))
            raise AssertionError("restore of a missing file succeeded")
        except libvirt.libvirtError as e:
            assert "cannot open save image" in str(e), e
    finally:
        conn.close()
        cleanup(d, "vm-py")


def main():
    libvirt.virEventRegisterDefaultImpl()
    threading.Thread(target=rv.event_loop, daemon=True).start()
    libvirt.registerErrorHandler(lambda ctx, err: None, None)
    tmp = tempfile.mkdtemp(prefix="nd-save-", dir="/tmp")
    d = rv.Daemon(tmp)
    failed = 0
    print("1..%d" % len(TESTS))
    try:
        d.start()

        def restart():
            if d.proc is None or d.proc.poll() is not None:
                d.start()

        failed += rv.run_tap(TESTS, "/nimbusd/save", d, restart)
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
