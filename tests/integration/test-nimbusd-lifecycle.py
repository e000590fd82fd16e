#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
# nimbusd with the real nimbus and a real guest (KVM): virsh start, list,
# console to the guest's shell, suspend/resume, shutdown (ACPI), start again,
# destroy, kill -9 nimbusd and reconnect; python3-libvirt receives the
# lifecycle events in order.  TAP output.
#
# Runs itself through tests/harness/with-kvm (native KVM when it can boot
# Linux, else a nested VM under QEMU); it never skips.  Guest assets from
# $NIMBUS_ASSETS_DIR (docs/testing.md): vmlinux (vmlinuz as a fallback) and
# guest-initramfs.cpio, whose shell (prompt "nimbus# ") runs on ttyS0 and
# whose acpid powers off on the ACPI power button (nimbus.acpid=1).
# NIMBUS_BOOT_TIMEOUT (120 s) bounds each wait for the guest.
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import traceback

HERE = os.path.dirname(os.path.abspath(__file__))
SRC = os.environ.get("NIMBUS_TOP_SRCDIR") or os.path.join(HERE, "..", "..")
BUILD = os.environ.get("NIMBUS_TOP_BUILDDIR") or SRC
sys.path.insert(0, os.path.join(SRC, "tests", "unit"))


# with-kvm decides whether this machine's KVM boots guests and sets
# NIMBUS_HARNESS_MODE for the command it runs.
if not os.environ.get("NIMBUS_HARNESS_MODE"):
    harness = os.path.join(SRC, "tests", "harness", "with-kvm")
    os.execv(harness, [harness, "--", os.path.abspath(__file__)] + sys.argv[1:])

import libvirt  # noqa: E402  (after the re-exec: the harness may set paths)

NIMBUSD = os.path.join(BUILD, "nimbusd")
NIMBUS = os.path.join(BUILD, "nimbus")
BOOT_TIMEOUT = float(os.environ.get("NIMBUS_BOOT_TIMEOUT", "120"))


def asset(*names):
    d = os.environ.get("NIMBUS_ASSETS_DIR", os.path.join(SRC, "tests", ".assets"))
    for n in names:
        p = os.path.join(d, n)
        if os.path.exists(p):
            return p
    raise AssertionError("missing guest asset %s in %s (NIMBUS_ASSETS_DIR)" % (names, d))


def run(args, check=True):
    r = subprocess.run(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                       timeout=120)
    if check and r.returncode != 0:
        raise AssertionError("%s: %s%s" % (" ".join(args), r.stdout, r.stderr))
    return r


class Env:
    def __init__(self):
        self.tmp = tempfile.mkdtemp(prefix="nd-kvm-", dir="/tmp")
        self.sock = os.path.join(self.tmp, "sock")
        self.uri = "ch+unix:///system?socket=" + self.sock
        self.state = os.path.join(self.tmp, "state")
        self.proc = None
        self.log = open(os.path.join(self.tmp, "nimbusd.log"), "ab")

    def start(self):
        if os.path.exists(self.sock):
            os.unlink(self.sock)
        env = dict(os.environ, NIMBUS_BINARY=NIMBUS)
        env.setdefault("NIMBUS_SCHEMA_DIR", os.path.join(SRC, "xml-schemas"))
        self.proc = subprocess.Popen(
            [NIMBUSD, "--listen", self.sock, "--state-dir", self.state,
             "--config-dir", os.path.join(self.tmp, "config"), "--verbose"],
            env=env, stdout=self.log, stderr=self.log)
        # Inside the emulated harness on a loaded host nimbusd has taken
        # over 10 s to open its socket; a crash still ends the wait at once.
        deadline = time.time() + 60
        while not os.path.exists(self.sock):
            assert self.proc.poll() is None and time.time() < deadline, "nimbusd did not start"
            time.sleep(0.02)

    def stop(self, sig=signal.SIGTERM):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(sig)
            self.proc.wait(10)
        self.proc = None

    def virsh(self, *args, check=True):
        return run(["virsh", "-q", "-c", self.uri] + list(args), check=check)

    def state_of(self, name):
        return self.virsh("domstate", "--reason", name).stdout.strip()

    def wait_state(self, name, want, timeout=BOOT_TIMEOUT, repeat=None):
        """Waits for @want; @repeat (a virsh command) is re-sent every 20 s,
        as an ACPI button press can come before the guest listens."""
        deadline = time.time() + timeout
        again = time.time() + 20
        while time.time() < deadline:
            if self.state_of(name) == want:
                return
            if repeat and time.time() > again:
                self.virsh(*repeat, check=False)
                again = time.time() + 20
            time.sleep(0.2)
        raise AssertionError("%s never reached %r (now %r)" % (name, want, self.state_of(name)))


def domain_xml(serial_log=None):
    """The guest's domain; with @serial_log, nimbusd copies the serial's
    output there (<log file>)."""
    kernel = asset("vmlinux", "vmlinuz")
    initrd = asset("guest-initramfs.cpio", "initramfs-guest.cpio.gz")
    return """<domain type='kvm'>
  <name>kvm-guest</name>
  <memory unit='MiB'>256</memory>
  <vcpu>1</vcpu>
  <os>
    <type arch='x86_64'>hvm</type>
    <kernel>%s</kernel>
    <initrd>%s</initrd>
    <cmdline>console=ttyS0 quiet no_timer_check cryptomgr.notests nimbus.acpid=1 panic=-1</cmdline>
  </os>
  <features><acpi/><apic/></features>
  <on_poweroff>destroy</on_poweroff>
  <devices>
    <serial type='pty'>%s<target port='0'/></serial>
    <console type='pty'><target type='serial' port='0'/></console>
  </devices>
</domain>
""" % (kernel, initrd,
       "<log file='%s' append='on'/>" % serial_log if serial_log else "")


def console_reaches_shell(env):
    from importlib import import_module
    virsh_test = import_module("test-rpc-virsh")
    con = virsh_test.Console(env, "kvm-guest")
    # Under the emulated harness even virsh takes seconds to start.
    con.expect("Escape character", timeout=BOOT_TIMEOUT)
    # The guest may still be booting: poke until the shell answers.
    deadline = time.time() + BOOT_TIMEOUT
    while True:
        con.send("\recho nimbus-$((6*7))\r")
        try:
            con.expect("nimbus-42", timeout=3)
            break
        except AssertionError:
            if time.time() > deadline:
                raise
    con.send("\x1d")
    assert con.wait_exit() == 0


def dump_logs(tmp):
    """Failure details on stdout: under the emulated harness /tmp is the
    nested VM's and disappears with it."""
    for root, _, files in os.walk(tmp):
        for f in sorted(files):
            if f.endswith(".log"):
                with open(os.path.join(root, f), errors="replace") as fp:
                    lines = fp.read().splitlines()[-40:]
                print("# ---- %s (last %d lines)" % (f, len(lines)))
                for line in lines:
                    print("# " + line)


def event_loop():
    while True:
        libvirt.virEventRunDefaultImpl()


def main():
    libvirt.virEventRegisterDefaultImpl()
    threading.Thread(target=event_loop, daemon=True).start()
    libvirt.registerErrorHandler(lambda ctx, err: None, None)
    env = Env()
    env.serial_log = os.path.join(env.tmp, "serial.log")
    steps = []
    events = []
    failed = 0

    def step(fn):
        steps.append(fn)
        return fn

    @step
    def define_and_start():
        xml = os.path.join(env.tmp, "guest.xml")
        with open(xml, "w") as f:
            f.write(domain_xml(env.serial_log))
        env.virsh("define", xml)
        env.virsh("start", "kvm-guest")
        out = env.virsh("list").stdout
        assert re.search(r"^\s*1\s+kvm-guest\s+running", out, re.M), out

    @step
    def console():
        console_reaches_shell(env)
        # nimbusd copied what the guest wrote (its shell's answer too) to
        # the serial's <log file>.
        with open(env.serial_log, "rb") as f:
            assert b"nimbus-42" in f.read(), "no shell output in the serial log"

    @step
    def suspend_resume():
        env.virsh("suspend", "kvm-guest")
        assert env.state_of("kvm-guest") == "paused (user)"
        env.virsh("resume", "kvm-guest")
        assert env.state_of("kvm-guest") == "running (unpaused)"

    @step
    def shutdown_by_acpi():
        env.virsh("shutdown", "kvm-guest")
        env.wait_state("kvm-guest", "shut off (shutdown)", repeat=("shutdown", "kvm-guest"))

    @step
    def start_again_and_destroy():
        env.virsh("start", "kvm-guest")
        console_reaches_shell(env)
        env.virsh("destroy", "kvm-guest")
        assert env.state_of("kvm-guest") == "shut off (destroyed)"

    @step
    def daemon_kill9_reconnect():
        env.virsh("start", "kvm-guest")
        console_reaches_shell(env)
        env.stop(signal.SIGKILL)
        env.start()
        conn2 = libvirt.open(env.uri)
        conn2.domainEventRegisterAny(None, libvirt.VIR_DOMAIN_EVENT_ID_LIFECYCLE,
                                     lambda c, d, e, det, o: events.append((e, det)), None)
        try:
            assert re.search(r"kvm-guest\s+running", env.virsh("list").stdout)
            console_reaches_shell(env)
            env.virsh("shutdown", "kvm-guest")
            env.wait_state("kvm-guest", "shut off (shutdown)",
                           repeat=("shutdown", "kvm-guest"))
        finally:
            conn2.close()

    @step
    def lifecycle_events_in_order():
        want = [(0, 0),                                       # define
                (2, 0), (3, 0), (4, 0), (6, 2), (5, 0),      # start .. shutdown
                (2, 0), (5, 1),                               # start, destroy
                (2, 0),                                       # start (before kill -9)
                (6, 2), (5, 0)]                               # after reconnect: shutdown
        deadline = time.time() + 10
        while len(events) < len(want) and time.time() < deadline:
            time.sleep(0.1)
        assert events == want, events

    env.start()
    conn = libvirt.open(env.uri)
    conn.domainEventRegisterAny(None, libvirt.VIR_DOMAIN_EVENT_ID_LIFECYCLE,
                                lambda c, d, e, det, o: events.append((e, det)), None)
    print("1..%d" % len(steps))
    try:
        for i, fn in enumerate(steps, 1):
            try:
                if env.proc is None:
                    env.start()
                fn()
                print("ok %d /nimbusd/kvm/%s" % (i, fn.__name__.replace("_", "-")))
            except Exception:
                failed += 1
                print("not ok %d /nimbusd/kvm/%s" % (i, fn.__name__.replace("_", "-")))
                for line in traceback.format_exc().splitlines():
                    print("# " + line)
            sys.stdout.flush()
    finally:
        run(["virsh", "-c", env.uri, "destroy", "kvm-guest"], check=False)
        env.stop()
        if failed:
            dump_logs(env.tmp)
        else:
            shutil.rmtree(env.tmp, ignore_errors=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
