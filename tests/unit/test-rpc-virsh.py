#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
# Stock virsh, virt-install and python3-libvirt against nimbusd on a temp
# socket; the VMM is tests/unit/rpc-fake-nimbus.py, so no KVM is needed.
# TAP output.  /usr/bin/python3 on purpose: python3-libvirt is Debian's.
#
#   VMM_TEST_REGENERATE=1       rewrite the golden dumpxml file
#   NIMBUSD_STRESS_SECONDS=N    length of the parallel-clients run (30, as issue 6 asks)
#   NIMBUS_TEST_KEEP=1          keep the temp directory
import json
import os
import pty
import re
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import traceback

import libvirt

SRC = os.environ.get("NIMBUS_TOP_SRCDIR") or os.path.join(os.path.dirname(__file__), "..", "..")
BUILD = os.environ.get("NIMBUS_TOP_BUILDDIR") or SRC
NIMBUSD = os.path.join(BUILD, "nimbusd")
FAKE = os.path.join(SRC, "tests", "unit", "rpc-fake-nimbus.py")
DATA = os.path.join(SRC, "tests", "data", "nimbusd")
GOLDEN_IN = os.path.join(DATA, "virt-install-direct-kernel.xml")
GOLDEN_OUT = os.path.join(DATA, "virt-install-direct-kernel.dumpxml")
STRESS_SECONDS = float(os.environ.get("NIMBUSD_STRESS_SECONDS", "30"))

# libvirt event ids and details (reference §1.5)
DEFINED, UNDEFINED, STARTED, SUSPENDED, RESUMED, STOPPED, SHUTDOWN, CRASHED = 0, 1, 2, 3, 4, 5, 6, 8


class Daemon:
    """One nimbusd on sockets in @tmp, with the fake VMM."""

    def __init__(self, tmp, extra_env=None, args=()):
        self.tmp = tmp
        self.sock = os.path.join(tmp, "sock")
        self.sock_ro = os.path.join(tmp, "sock-ro")
        self.uri = "ch+unix:///system?socket=" + self.sock
        self.uri_ro = "ch+unix:///system?socket=" + self.sock_ro
        self.config = os.path.join(tmp, "config")
        self.state = os.path.join(tmp, "state")
        self.env = dict(os.environ, NIMBUS_BINARY=FAKE)
        self.env.setdefault("NIMBUS_SCHEMA_DIR", os.path.join(SRC, "xml-schemas"))
        self.env.update(extra_env or {})
        self.args = list(args)
        self.proc = None
        self.log = open(os.path.join(tmp, "nimbusd.log"), "ab")

    def start(self):
        # Sockets left by a daemon killed with SIGKILL: remove them, so that
        # waiting for them below waits for the new daemon.
        for s in (self.sock, self.sock_ro):
            if os.path.exists(s):
                os.unlink(s)
        self.proc = subprocess.Popen(
            [NIMBUSD, "--listen", self.sock, "--listen-ro", self.sock_ro,
             "--state-dir", self.state, "--config-dir", self.config, "--verbose"]
            + self.args, env=self.env, stdout=self.log, stderr=self.log)
        # Generous: make check runs this beside compilers and other daemons.
        deadline = time.time() + 30
        while not (os.path.exists(self.sock) and os.path.exists(self.sock_ro)):
            if self.proc.poll() is not None or time.time() > deadline:
                raise RuntimeError("nimbusd did not start (see %s)" % self.log.name)
            time.sleep(0.02)

    def stop(self, sig=signal.SIGTERM):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(sig)
            self.proc.wait(10)
        rc = self.proc.returncode if self.proc else None
        self.proc = None
        return rc


def run(args, check=True, timeout=60):
    r = subprocess.run(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       text=True, timeout=timeout)
    if check and r.returncode != 0:
        raise AssertionError("%s failed (%d): %s%s" % (" ".join(args), r.returncode,
                                                      r.stdout, r.stderr))
    return r


def virsh(d, *args, check=True, uri=None):
    return run(["virsh", "-q", "-c", uri or d.uri] + list(args), check=check)


def names(d):
    """The names `virsh list --all` shows."""
    out = virsh(d, "list", "--all", "--name").stdout
    return sorted(n for n in out.split() if n)


def domstate(d, name):
    return virsh(d, "domstate", "--reason", name).stdout.strip()


def wait_for(pred, what, timeout=10):
    deadline = time.time() + timeout
    while time.time() < deadline:
        v = pred()
        if v:
            return v
        time.sleep(0.05)
    raise AssertionError("timed out waiting for " + what)


class Console:
    """`virsh console` on a pty, with expect-like reads."""

    def __init__(self, d, name, *devname):
        self.pid, self.fd = pty.fork()
        if self.pid == 0:
            os.execvp("virsh", ["virsh", "-c", d.uri, "console", name] + list(devname))
        self.buf = b""

    def expect(self, text, timeout=10):
        deadline = time.time() + timeout
        while text.encode() not in self.buf:
            r, _, _ = select.select([self.fd], [], [], max(0, deadline - time.time()))
            if not r:
                raise AssertionError("console: no %r in %r" % (text, self.buf[-300:]))
            try:
                data = os.read(self.fd, 4096)
            except OSError:
                data = b""
            if not data:
                raise AssertionError("console closed; no %r in %r" % (text, self.buf[-300:]))
            self.buf += data
        idx = self.buf.index(text.encode()) + len(text)
        self.buf = self.buf[idx:]

    def send(self, text):
        os.write(self.fd, text.encode())

    def sync(self, prompt="# ", timeout=10):
        """Waits until keystrokes reach the guest: virsh prints its banner
        before it switches the terminal to raw mode, which flushes what was
        typed meanwhile."""
        self.expect("Escape character")
        deadline = time.time() + timeout
        while True:
            self.send("\r")
            try:
                self.expect(prompt, timeout=0.5)
                return
            except AssertionError:
                if time.time() > deadline:
                    raise

    def wait_exit(self, timeout=10):
        deadline = time.time() + timeout
        while time.time() < deadline:
            pid, status = os.waitpid(self.pid, os.WNOHANG)
            if pid:
                os.close(self.fd)
                return os.waitstatus_to_exitcode(status)
            try:
                # drain, so virsh never blocks on a full pty
                if select.select([self.fd], [], [], 0.05)[0]:
                    os.read(self.fd, 4096)
            except OSError:
                pass
        os.kill(self.pid, signal.SIGKILL)
        raise AssertionError("virsh console did not exit")


class Events:
    """Lifecycle events of one python3-libvirt connection, in order."""

    def __init__(self, uri):
        self.lock = threading.Lock()
        self.seen = []
        self.conn = libvirt.open(uri)
        self.cb = self.conn.domainEventRegisterAny(
            None, libvirt.VIR_DOMAIN_EVENT_ID_LIFECYCLE, self._on_event, None)

    def _on_event(self, conn, dom, event, detail, opaque):
        with self.lock:
            self.seen.append((dom.name(), event, detail))

    def take(self, name, count, timeout=10):
        def enough():
            with self.lock:
                mine = [(e, det) for (n, e, det) in self.seen if n == name]
                return mine if len(mine) >= count else None
        got = wait_for(enough, "%d events of %s" % (count, name), timeout)
        with self.lock:
            self.seen = [s for s in self.seen if s[0] != name]
        return got

    def close(self):
        self.conn.domainEventDeregisterAny(self.cb)
        self.conn.close()


def event_loop():
    while True:
        libvirt.virEventRunDefaultImpl()


TESTS = []


class Skip(Exception):
    """Raised by a test that cannot run here; reported as a TAP SKIP."""


def run_tap(tests, prefix, arg, before_each=None):
    """Runs each of @tests with @arg, printing one TAP line each as
    "<prefix>/<name>" (the function's name with '-' for '_'), a failure's
    traceback as TAP comments; @before_each runs before every test (e.g.
    restarting a daemon a test killed).  Returns the number of failures.
    The tests' common runner: the plan line is the caller's."""
    failed = 0
    for i, fn in enumerate(tests, 1):
        name = fn.__name__.replace("_", "-")
        try:
            if before_each:
                before_each()
            fn(arg)
            print("ok %d %s/%s" % (i, prefix, name))
        except Skip as e:
            print("ok %d %s/%s # SKIP %s" % (i, prefix, name, e))
        except Exception:
            failed += 1
            print("not ok %d %s/%s" % (i, prefix, name))
            for line in traceback.format_exc().splitlines():
                print("# " + line)
        sys.stdout.flush()
    return failed


def test(fn):
    TESTS.append(fn)
    return fn


def golden_xml(name, uuid, extra=""):
    with open(GOLDEN_IN) as f:
        xml = f.read()
    xml = xml.replace("vm-virt-install", name)
    xml = re.sub(r"<uuid>[^<]*</uuid>", "<uuid>%s</uuid>" % uuid, xml)
    return xml.replace("</devices>", extra + "</devices>")


def write(path, text):
    with open(path, "w") as f:
        f.write(text)
    return path


# ---- the tests --------------------------------------------------------------


@test
def version_reports_ch(d):
    out = virsh(d, "version").stdout
    assert "Using API: CH 9.0.0" in out, out
    assert "Running hypervisor: CH 41.0.0" in out, out   # the fake's --version


@test
def virt_install_xml_defines(d):
    img = write(os.path.join(d.tmp, "vi.raw"), "")
    r = run(["virt-install", "--connect", d.uri, "--name", "vi-live", "--memory", "256",
             "--vcpus", "1", "--boot", "kernel=/boot/vmlinux,initrd=/boot/initrd,kernel_args=console=ttyS0",
             "--disk", "type=file,device=disk,source.file=%s,bus=virtio" % img,
             "--graphics", "none", "--console", "pty", "--osinfo", "linux2020",
             "--network", "none", "--print-xml"])
    xml = write(os.path.join(d.tmp, "vi-live.xml"), r.stdout)
    virsh(d, "define", xml)
    assert "vi-live" in names(d)
    virsh(d, "undefine", "vi-live")
    assert "vi-live" not in names(d)


@test
def define_list_dominfo(d):
    virsh(d, "define", GOLDEN_IN)
    out = virsh(d, "list", "--all").stdout
    assert re.search(r"-\s+vm-virt-install\s+shut off", out), out
    info = dict(re.findall(r"^([^:]+):\s+(.*)$", virsh(d, "dominfo", "vm-virt-install").stdout, re.M))
    expect = {"Id": "-", "Name": "vm-virt-install", "OS Type": "hvm", "State": "shut off",
              "CPU(s)": "1", "Max memory": "524288 KiB", "Used memory": "524288 KiB",
              "Persistent": "yes", "Autostart": "disable", "Managed save": "no"}
    for k, v in expect.items():
        assert info.get(k) == v, "%s: %r != %r" % (k, info.get(k), v)
    assert os.path.exists(os.path.join(d.config, "vm-virt-install.xml"))


@test
def dumpxml_matches_golden(d):
    out = virsh(d, "dumpxml", "vm-virt-install").stdout
    if os.environ.get("VMM_TEST_REGENERATE"):
        write(GOLDEN_OUT, out)
    with open(GOLDEN_OUT) as f:
        want = f.read()
    assert out == want, "dumpxml differs from %s:\n%s" % (GOLDEN_OUT, out)
    # --inactive is the same while shut off; define(dumpxml) is a no-op
    assert virsh(d, "dumpxml", "--inactive", "vm-virt-install").stdout == want
    virsh(d, "define", write(os.path.join(d.tmp, "again.xml"), out))
    assert virsh(d, "dumpxml", "vm-virt-install").stdout == want


@test
def bad_xml_refused(d):
    before = names(d)
    r = virsh(d, "define", write(os.path.join(d.tmp, "bad.xml"), "<domain type='kvm'><name>x</name>"),
              check=False)
    assert r.returncode != 0 and "XML" in r.stderr, r.stderr
    r = virsh(d, "define", write(os.path.join(d.tmp, "noname.xml"),
                                 "<domain type='kvm'><memory>1024</memory></domain>"), check=False)
    assert r.returncode != 0, r.stderr
    assert names(d) == before


@test
def bad_names_refused(d):
    """One rule for every path that takes a name (define and createXML):
    no '.' start, '/', control or bidi characters, edge white space, and a
    clean refusal at the length limit."""
    conn = libvirt.open(d.uri)
    before = names(d)
    files = sorted(os.listdir(d.config))
    uuid = "7c7c7c7c-1111-2222-3333-444444444444"
    bad = [".", "..", ".hidden", "a/b", "cr\rname", "tab\tname", "nl\nname",
           " lead", "trail ", "rlo\u202ename", "lrm\u200ename", "c1\u0085name",
           "del\x7fname", "x" * 239]
    try:
        for name in bad:
            # Through the XML text: escape what XML cannot carry raw.
            esc = "".join("&#%d;" % ord(c) if ord(c) < 32 or ord(c) >= 127 else c
                          for c in name)
            xml = golden_xml("NAME", uuid).replace("<name>NAME</name>",
                                                   "<name>%s</name>" % esc)
            for what, fn in (("defineXML", conn.defineXML), ("createXML", conn.createXML)):
                try:
                    fn(xml) if what == "defineXML" else fn(xml, 0)
                except libvirt.libvirtError as e:
                    msg = e.get_error_message()
                    assert "name" in msg, "%s %r: %s" % (what, name, msg)
                    continue
                raise AssertionError("%s accepted the name %r" % (what, name))
        # The longest name allowed works end to end (define, list, undefine).
        longest = "n" * 238
        dom = conn.defineXML(golden_xml(longest, uuid))
        assert longest in names(d)
        dom.undefine()
    finally:
        conn.close()
    assert names(d) == before
    assert sorted(os.listdir(d.config)) == files


@test
def unsupported_device_refused(d):
    before = names(d)
    files = sorted(os.listdir(d.config))
    for dev in ("<graphics type='vnc'/>", "<video><model type='vga'/></video>",
                "<sound model='ich9'/>"):
        xml = golden_xml("vm-bad", "5a5a5a5a-1111-2222-3333-444444444444", dev)
        r = virsh(d, "define", write(os.path.join(d.tmp, "unsupported.xml"), xml), check=False)
        tag = re.match(r"<(\w+)", dev).group(1)
        assert r.returncode != 0 and "unsupported configuration" in r.stderr and tag in r.stderr, r.stderr
    xml = golden_xml("vm-bad", "5a5a5a5a-1111-2222-3333-444444444444").replace(
        "bus=\"virtio\"", "bus=\"ide\"")
    r = virsh(d, "define", write(os.path.join(d.tmp, "ide.xml"), xml), check=False)
    assert r.returncode != 0 and "unsupported configuration" in r.stderr, r.stderr
    assert names(d) == before
    assert sorted(os.listdir(d.config)) == files


@test
def define_runs_vmm_validation(d):
    # nimbus's vm_config_validate() at define time: what vm.create would
    # refuse (here a ring size virtio cannot have, which the XML layer
    # lets through), define refuses, with vm.create's words and the JSON
    # name of the field.
    before = names(d)
    files = sorted(os.listdir(d.config))
    nic = ("<interface type='ethernet'><mac address='52:54:00:12:34:56'/>"
           "<target dev='vnet-q' managed='no'/><model type='virtio'/>"
           "<driver rx_queue_size='100' tx_queue_size='100'/></interface>")
    xml = golden_xml("vm-ring", "5a5a5a5a-1111-2222-3333-555555555555", nic)
    r = virsh(d, "define", write(os.path.join(d.tmp, "ring.xml"), xml), check=False)
    assert r.returncode != 0, r.stderr
    assert ("invalid VM configuration: net[0]: queue_size=100: expected a "
            "power of two between 2 and 32768") in r.stderr, r.stderr
    assert names(d) == before
    assert sorted(os.listdir(d.config)) == files
    # The same domain with a power-of-two ring defines.
    xml = xml.replace("'100'", "'128'")
    virsh(d, "define", write(os.path.join(d.tmp, "ring-ok.xml"), xml))
    assert "vm-ring" in names(d)
    virsh(d, "undefine", "vm-ring")


@test
def readonly_socket_refuses_define(d):
    xml = write(os.path.join(d.tmp, "ro.xml"),
                golden_xml("vm-ro", "6b6b6b6b-1111-2222-3333-444444444444"))
    r = virsh(d, "define", xml, check=False, uri=d.uri_ro)
    assert r.returncode != 0 and "operation forbidden" in r.stderr, r.stderr
    r = run(["virsh", "-r", "-c", d.uri, "define", xml], check=False)
    assert r.returncode != 0 and "operation forbidden" in r.stderr, r.stderr
    r = virsh(d, "start", "vm-virt-install", check=False, uri=d.uri_ro)
    assert r.returncode != 0 and "operation forbidden" in r.stderr, r.stderr
    assert "vm-virt-install" in virsh(d, "list", "--all", uri=d.uri_ro).stdout
    assert "vm-ro" not in names(d)


@test
def lifecycle_console_and_events(d):
    ev = Events(d.uri)
    try:
        virsh(d, "start", "vm-virt-install")
        out = virsh(d, "list").stdout
        assert re.search(r"^\s*1\s+vm-virt-install\s+running", out, re.M), out
        assert domstate(d, "vm-virt-install") == "running (booted)"
        assert virsh(d, "domid", "vm-virt-install").stdout.strip() == "1"
        live = virsh(d, "dumpxml", "vm-virt-install").stdout
        assert "<domain type='kvm' id='1'>" in live and "<source path='/dev/pts/" in live, live
        # libvirt's names of a running domain's devices: the serial port and
        # the console that mirrors it are both "serial0" (cockpit-machines
        # runs `virsh console DOM <the console's alias>`).
        assert re.search(r"<serial type='pty'>.*?<alias name='serial0'/>\s*</serial>", live,
                         re.S), live
        assert re.search(r"<console type='pty'.*?<alias name='serial0'/>\s*</console>", live,
                         re.S), live
        bad = Console(d, "vm-virt-install", "nosuch")
        bad.expect("cannot find character device nosuch")
        assert bad.wait_exit() != 0
        # ... and the running XML defines the same domain back.
        assert "<alias" not in virsh(d, "dumpxml", "--inactive", "vm-virt-install").stdout

        # The device by the alias the running XML shows (as cockpit does).
        con = Console(d, "vm-virt-install", "serial0")
        con.sync()
        con.send("hello console\r")
        con.expect("you said: hello console")
        con.send("\x1d")                     # Ctrl-]: the client finishes
        assert con.wait_exit() == 0

        virsh(d, "suspend", "vm-virt-install")
        assert domstate(d, "vm-virt-install") == "paused (user)"
        virsh(d, "resume", "vm-virt-install")
        assert domstate(d, "vm-virt-install") == "running (unpaused)"
        virsh(d, "shutdown", "vm-virt-install")
        wait_for(lambda: domstate(d, "vm-virt-install") == "shut off (shutdown)", "shutdown")
        virsh(d, "start", "vm-virt-install")
        assert virsh(d, "domid", "vm-virt-install").stdout.strip() == "2"
        virsh(d, "destroy", "vm-virt-install")
        assert domstate(d, "vm-virt-install") == "shut off (destroyed)"
        got = ev.take("vm-virt-install", 7)
        assert got == [(STARTED, 0), (SUSPENDED, 0), (RESUMED, 0), (SHUTDOWN, 2),
                       (STOPPED, 0), (STARTED, 0), (STOPPED, 1)], got

        # The guest powers off by itself: SHUTDOWN/GUEST; the console ends.
        virsh(d, "start", "vm-virt-install")
        con = Console(d, "vm-virt-install")
        con.sync()
        con.send("poweroff\r")
        assert con.wait_exit() == 0
        wait_for(lambda: domstate(d, "vm-virt-install") == "shut off (shutdown)", "poweroff")
        got = ev.take("vm-virt-install", 3)
        assert got == [(STARTED, 0), (SHUTDOWN, 1), (STOPPED, 0)], got

        # start --paused, then a guest panic: CRASHED, STOPPED/CRASHED.
        virsh(d, "start", "--paused", "vm-virt-install")
        assert domstate(d, "vm-virt-install") == "paused (user)"
        virsh(d, "resume", "vm-virt-install")
        con = Console(d, "vm-virt-install")
        con.sync()
        con.send("panic\r")
        assert con.wait_exit() == 0
        wait_for(lambda: domstate(d, "vm-virt-install") == "shut off (crashed)", "crash")
        got = ev.take("vm-virt-install", 5)
        assert got == [(STARTED, 0), (SUSPENDED, 0), (RESUMED, 0), (CRASHED, 0),
                       (STOPPED, 2)], got
    finally:
        ev.close()


@test
def panic_preserve_and_vsock_cids(d):
    """<on_crash>preserve</on_crash>: a panicked guest is paused and the
    domain stays crashed (panicked) until destroyed.  <vsock cid auto>:
    each running domain gets its own CID, shown in the live XML."""
    panic = golden_xml("vm-panic", "5d2c1f3e-9a8b-4c7d-8e6f-0a1b2c3d4e51",
                       "<panic model='pvpanic'/><vsock model='virtio'>"
                       "<cid auto='yes'/></vsock>")
    panic = panic.replace("<devices>",
                          "<on_crash>preserve</on_crash>\n  <devices>", 1)
    other = golden_xml("vm-vsock", "5d2c1f3e-9a8b-4c7d-8e6f-0a1b2c3d4e52",
                       "<vsock model='virtio'><cid auto='yes'/></vsock>")
    virsh(d, "define", write(os.path.join(d.tmp, "panic.xml"), panic))
    virsh(d, "define", write(os.path.join(d.tmp, "vsock.xml"), other))
    try:
        virsh(d, "start", "vm-panic")
        virsh(d, "start", "vm-vsock")
        live = virsh(d, "dumpxml", "vm-panic").stdout
        assert "<cid auto='yes' address='3'/>" in live, live
        live = virsh(d, "dumpxml", "vm-vsock").stdout
        assert "<cid auto='yes' address='4'/>" in live, live
        inactive = virsh(d, "dumpxml", "--inactive", "vm-panic").stdout
        assert "<cid auto='yes'/>" in inactive, inactive
        con = Console(d, "vm-panic")
        con.sync()
        con.send("panic\r")
        wait_for(lambda: domstate(d, "vm-panic") == "crashed (panicked)",
                 "preserved crash", timeout=20)
        # Kept: the VMM still answers, the domain is still there.
        assert "vm-panic" in virsh(d, "list").stdout
        virsh(d, "destroy", "vm-panic")
        assert domstate(d, "vm-panic").startswith("shut off")
        # Its CID is free again: the next start takes 3 once more.
        virsh(d, "start", "vm-panic")
        live = virsh(d, "dumpxml", "vm-panic").stdout
        assert "<cid auto='yes' address='3'/>" in live, live
        virsh(d, "destroy", "vm-panic")
        virsh(d, "destroy", "vm-vsock")
    finally:
        virsh(d, "undefine", "vm-panic", check=False)
        virsh(d, "undefine", "vm-vsock", check=False)


@test
def serial_log_file(d):
    """<serial><log file>: nimbusd reads the pty and copies the guest's
    output to the file, while virsh console still gets it."""
    log = os.path.join(d.tmp, "serial.log")
    xml = golden_xml("vm-log", "4c6d2a7e-8b1f-4e3a-9c5d-6e7f8a9b0c1d")
    xml = xml.replace('<console type="pty"/>',
                      '<serial type="pty"><log file="%s" append="off"/></serial>'
                      '<console type="pty"/>' % log)
    virsh(d, "define", write(os.path.join(d.tmp, "vm-log.xml"), xml))
    try:
        inactive = virsh(d, "dumpxml", "vm-log").stdout
        assert "<log file='%s' append='off'/>" % log in inactive, inactive
        virsh(d, "start", "vm-log")
        wait_for(lambda: b"fake guest ready" in open(log, "rb").read(), "the log")
        con = Console(d, "vm-log")
        con.sync()
        con.send("hello log\r")
        con.expect("you said: hello log")
        con.send("\x1d")
        assert con.wait_exit() == 0
        wait_for(lambda: b"you said: hello log" in open(log, "rb").read(), "logged reply")
        # A restarted daemon reads the pty again and appends.
        d.stop(signal.SIGKILL)
        d.start()
        con = Console(d, "vm-log")
        con.sync()
        con.send("after restart\r")
        con.expect("you said: after restart")
        con.send("\x1d")
        assert con.wait_exit() == 0
        wait_for(lambda: b"you said: after restart" in open(log, "rb").read(),
                 "logged after restart")
        assert b"you said: hello log" in open(log, "rb").read()
        virsh(d, "destroy", "vm-log")
        # append='off': the next run starts a new log.
        virsh(d, "start", "vm-log")
        wait_for(lambda: b"fake guest ready" in open(log, "rb").read(), "the new log")
        assert b"hello log" not in open(log, "rb").read()
        virsh(d, "destroy", "vm-log")
        # A log nimbusd cannot write fails the start, naming the file, and
        # leaves nothing running.
        bad = os.path.join(d.tmp, "no-such-dir", "serial.log")
        virsh(d, "define", write(os.path.join(d.tmp, "vm-log.xml"), xml.replace(log, bad)))
        r = virsh(d, "start", "vm-log", check=False)
        assert r.returncode != 0 and "cannot open console log file '%s'" % bad in r.stderr, \
            r.stderr
        assert domstate(d, "vm-log").startswith("shut off"), domstate(d, "vm-log")
        left = [f for f in os.listdir(d.state) if f.startswith("vm-log.")]
        assert left == ["vm-log.log"], left
    finally:
        virsh(d, "destroy", "vm-log", check=False)
        virsh(d, "undefine", "vm-log", check=False)


@test
def console_on_inactive_domain_fails(d):
    con = Console(d, "vm-virt-install")
    con.expect("domain is not running")
    assert con.wait_exit() != 0


@test
def daemon_restart_keeps_domains(d):
    virsh(d, "start", "vm-virt-install")
    state = os.path.join(d.state, "vm-virt-install.json")
    assert os.path.exists(state)
    # kill -9: no cleanup at all; the VMM runs on in its own session.
    d.stop(signal.SIGKILL)
    d.start()
    out = virsh(d, "list").stdout
    assert re.search(r"vm-virt-install\s+running", out), out
    virsh(d, "suspend", "vm-virt-install")
    virsh(d, "resume", "vm-virt-install")
    # A clean stop (SIGTERM) leaves it running too.
    assert d.stop() == 0
    d.start()
    assert domstate(d, "vm-virt-install") == "running (unpaused)"
    virsh(d, "shutdown", "vm-virt-install")
    wait_for(lambda: domstate(d, "vm-virt-install") == "shut off (shutdown)", "shutdown")
    assert not os.path.exists(state)


@test
def transient_domain(d):
    xml = write(os.path.join(d.tmp, "tr.xml"),
                golden_xml("vm-transient", "7c7c7c7c-1111-2222-3333-444444444444"))
    virsh(d, "create", xml)
    info = virsh(d, "dominfo", "vm-transient").stdout
    assert re.search(r"Persistent:\s+no", info), info
    assert "vm-transient" not in virsh(d, "list", "--all", "--persistent", "--name").stdout
    assert "vm-transient" in virsh(d, "list", "--transient", "--name").stdout
    r = virsh(d, "autostart", "vm-transient", check=False)
    assert r.returncode != 0
    virsh(d, "destroy", "vm-transient")
    assert "vm-transient" not in names(d)


@test
def autostart_at_daemon_start(d):
    virsh(d, "autostart", "vm-virt-install")
    assert "enable" in virsh(d, "dominfo", "vm-virt-install").stdout
    assert "vm-virt-install" in virsh(d, "list", "--all", "--autostart", "--name").stdout
    assert d.stop() == 0
    d.start()
    wait_for(lambda: domstate(d, "vm-virt-install") == "running (booted)", "autostart")
    virsh(d, "destroy", "vm-virt-install")
    virsh(d, "autostart", "--disable", "vm-virt-install")
    assert "vm-virt-install" in virsh(d, "list", "--all", "--no-autostart", "--name").stdout


@test
def domrename(d):
    """virsh domrename (DOMAIN_RENAME): a shut-off domain's definition,
    autostart link and TPM state move to the new name, the uuid stays,
    the events say RENAMED; libvirt's refusals change nothing."""
    uuid = "7c7c7c7c-1111-2222-3333-55555555aaaa"
    virsh(d, "define", write(os.path.join(d.tmp, "ren.xml"),
                             golden_xml("vm-ren", uuid)))
    virsh(d, "autostart", "vm-ren")
    tpm_old = os.path.join(d.config, "swtpm", "vm-ren")
    os.makedirs(tpm_old)
    write(os.path.join(tpm_old, "tpm2-00.permall"), "state")
    ev = Events(d.uri)
    try:
        virsh(d, "domrename", "vm-ren", "vm-ren2")
        assert "vm-ren" not in names(d) and "vm-ren2" in names(d), names(d)
        assert virsh(d, "domuuid", "vm-ren2").stdout.strip() == uuid
        assert "<name>vm-ren2</name>" in virsh(d, "dumpxml", "vm-ren2").stdout
        assert not os.path.exists(os.path.join(d.config, "vm-ren.xml"))
        assert os.path.exists(os.path.join(d.config, "vm-ren2.xml"))
        link = os.path.join(d.config, "autostart", "vm-ren2.xml")
        assert os.path.realpath(link) == os.path.join(d.config, "vm-ren2.xml")
        assert not os.path.lexists(os.path.join(d.config, "autostart", "vm-ren.xml"))
        assert "enable" in virsh(d, "dominfo", "vm-ren2").stdout
        assert not os.path.exists(tpm_old)
        assert os.path.exists(os.path.join(d.config, "swtpm", "vm-ren2",
                                           "tpm2-00.permall"))
        # VIR_DOMAIN_EVENT_UNDEFINED_RENAMED, then DEFINED_RENAMED.
        assert ev.take("vm-ren", 1) == [(libvirt.VIR_DOMAIN_EVENT_UNDEFINED, 1)]
        assert ev.take("vm-ren2", 1) == [(libvirt.VIR_DOMAIN_EVENT_DEFINED, 2)]
        ev.close()
        ev = None
        # The refusals.
        for new, needle in (("vm-virt-install", "domain with name 'vm-virt-install' already exists"),
                            ("vm-ren2", "Can't rename domain to itself"),
                            (".", "name"), ("bad\tname", "name")):
            r = virsh(d, "domrename", "vm-ren2", new, check=False)
            assert r.returncode != 0 and needle in r.stderr, (new, r.stderr)
        virsh(d, "start", "vm-ren2")
        r = virsh(d, "domrename", "vm-ren2", "vm-ren3", check=False)
        assert "cannot rename active domain" in r.stderr, r.stderr
        virsh(d, "destroy", "vm-ren2")
        virsh(d, "autostart", "--disable", "vm-ren2")
        r = virsh(d, "domrename", "vm-ren2", "vm-ren3", "--nonexistent-flag", check=False)
        assert r.returncode != 0
        assert "vm-ren2" in names(d) and "vm-ren3" not in names(d), names(d)
        # A restarted daemon finds it under the new name.
        assert d.stop() == 0
        d.start()
        assert virsh(d, "domuuid", "vm-ren2").stdout.strip() == uuid
    finally:
        if ev:
            ev.close()
        virsh(d, "undefine", "vm-ren2", check=False)
        virsh(d, "undefine", "vm-ren", check=False)
        # undefine removed the state; the directory above was the test's.
        shutil.rmtree(os.path.join(d.config, "swtpm"), ignore_errors=True)


@test
def parallel_clients(d):
    errors = []
    stop = time.time() + STRESS_SECONDS
    counts = [0] * 32

    def worker(i):
        while time.time() < stop and not errors:
            for cmd in (["list", "--all"], ["dumpxml", "vm-virt-install"]):
                r = virsh(d, *cmd, check=False)
                if r.returncode != 0:
                    errors.append("%s: %s" % (" ".join(cmd), r.stderr))
                counts[i] += 1

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(32)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors[:3]
    assert d.proc.poll() is None
    print("# %d virsh calls from 32 clients in %.0f s" % (sum(counts), STRESS_SECONDS))


@test
def start_failure_is_clean(d):
    tmp = tempfile.mkdtemp(prefix="nd-fail-", dir="/tmp")
    other = Daemon(tmp, {"FAKE_NIMBUS_FAIL": "vm.boot"})
    try:
        other.start()
        virsh(other, "define", GOLDEN_IN)
        r = virsh(other, "start", "vm-virt-install", check=False)
        assert r.returncode != 0 and "vm.boot" in r.stderr and "injected failure" in r.stderr, r.stderr
        assert domstate(other, "vm-virt-install") == "shut off (unknown)"
        assert sorted(os.listdir(other.state)) == ["vm-virt-install.log"], os.listdir(other.state)
        # The log says why, not only "starting up".
        with open(os.path.join(other.state, "vm-virt-install.log")) as f:
            log = f.read()
        assert re.search(r"start failed: .*vm\.boot.*injected failure", log), log
    finally:
        other.stop()
        kill_vmms(other.state)
        shutil.rmtree(tmp, ignore_errors=True)


@test
def idle_timeout_exits(d):
    tmp = tempfile.mkdtemp(prefix="nd-idle-", dir="/tmp")
    other = Daemon(tmp, args=["--timeout=1"])
    try:
        other.start()
        assert other.proc.wait(10) == 0
    finally:
        other.stop()
        kill_vmms(other.state)
        shutil.rmtree(tmp, ignore_errors=True)


@test
def balloon_setmem_dommemstat(d):
    """A virtio memballoon: the guest has <memory> and a balloon of the
    rest; setmem moves it live (vm.resize) and in the definition;
    dommemstat reports the balloon driver's numbers."""
    xml = golden_xml("vm-balloon", "6b7c8d9e-0000-4000-8000-0000000000b1",
                     "<memballoon model='virtio'/>")
    xml = re.sub(r"<currentMemory>[^<]*</currentMemory>", "", xml)
    xml = xml.replace("<memory>524288</memory>",
                      "<memory>1048576</memory>"
                      "<currentMemory>524288</currentMemory>")
    virsh(d, "define", write(os.path.join(d.tmp, "balloon.xml"), xml))
    try:
        virsh(d, "start", "vm-balloon")
        stats = dict(l.split() for l in
                     virsh(d, "dommemstat", "vm-balloon").stdout.splitlines())
        assert stats["actual"] == "524288", stats
        assert stats["available"] == "524288", stats      # total_memory
        assert stats["unused"] == "262144", stats         # free_memory
        assert stats["swap_in"] == "4" and stats["minor_fault"] == "77", stats
        assert "rss" in stats, stats
        virsh(d, "setmem", "vm-balloon", "262144", "--live")
        stats = dict(l.split() for l in
                     virsh(d, "dommemstat", "vm-balloon").stdout.splitlines())
        assert stats["actual"] == "262144", stats
        info = virsh(d, "dominfo", "vm-balloon").stdout
        assert re.search(r"Used memory:\s+262144 KiB", info), info
        assert re.search(r"Max memory:\s+1048576 KiB", info), info
        # The persistent definition did not change.
        inactive = virsh(d, "dumpxml", "--inactive", "vm-balloon").stdout
        assert "<currentMemory unit='KiB'>524288</currentMemory>" in inactive, inactive
        r = virsh(d, "setmem", "vm-balloon", "2097152", "--live", check=False)
        assert r.returncode != 0 and "higher than max memory" in r.stderr, r.stderr
        r = virsh(d, "setmaxmem", "vm-balloon", "2097152", "--live", check=False)
        assert r.returncode != 0 and "maximum memory on an active" in r.stderr, r.stderr
        virsh(d, "setmem", "vm-balloon", "786432", "--config")
        inactive = virsh(d, "dumpxml", "--inactive", "vm-balloon").stdout
        assert "<currentMemory unit='KiB'>786432</currentMemory>" in inactive, inactive
        virsh(d, "destroy", "vm-balloon")
        virsh(d, "setmaxmem", "vm-balloon", "655360", "--config")
        inactive = virsh(d, "dumpxml", "--inactive", "vm-balloon").stdout
        assert "<memory unit='KiB'>655360</memory>" in inactive, inactive
        assert "<currentMemory unit='KiB'>655360</currentMemory>" in inactive, inactive
        # Without a balloon the running guest's memory cannot move.
        virsh(d, "start", "vm-virt-install")
        r = virsh(d, "setmem", "vm-virt-install", "262144", "--live",
                  check=False)
        assert r.returncode != 0 and "without the balloon device" in r.stderr, r.stderr
        virsh(d, "destroy", "vm-virt-install")
    finally:
        virsh(d, "destroy", "vm-balloon", check=False)
        virsh(d, "undefine", "vm-balloon", check=False)


@test
def undefine_removes_everything(d):
    virsh(d, "undefine", "vm-virt-install")
    assert names(d) == []
    assert os.listdir(d.config) == ["autostart"]
    r = virsh(d, "dominfo", "vm-virt-install", check=False)
    assert r.returncode != 0 and "failed to get domain" in r.stderr, r.stderr


def kill_vmms(state_dir):
    """No fake VMM of ours may outlive the test: their pids are in the
    state files of the domains still running."""
    if not os.path.isdir(state_dir):
        return
    for f in os.listdir(state_dir):
        if f.endswith(".json"):
            try:
                with open(os.path.join(state_dir, f)) as fp:
                    os.kill(json.load(fp)["pid"], signal.SIGKILL)
            except (OSError, ValueError, KeyError):
                pass


def main():
    libvirt.virEventRegisterDefaultImpl()
    threading.Thread(target=event_loop, daemon=True).start()
    # libvirt prints errors on stderr by default; the tests read them from virsh.
    libvirt.registerErrorHandler(lambda ctx, err: None, None)
    tmp = tempfile.mkdtemp(prefix="nd-virsh-", dir="/tmp")
    d = Daemon(tmp)
    failed = 0
    print("1..%d" % len(TESTS))
    try:
        d.start()

        def restart():
            if d.proc is None or d.proc.poll() is not None:
                d.start()

        failed += run_tap(TESTS, "/rpc/virsh", d, restart)
    finally:
        d.stop()
        kill_vmms(d.state)
        if failed or os.environ.get("NIMBUS_TEST_KEEP"):
            print("# nimbusd log and state kept in " + tmp)
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
