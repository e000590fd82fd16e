#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
# nimbusd's <vsock model='virtio'><cid auto='yes'/> with the real nimbus
# and a real guest (KVM), one boot: the domain starts with the lowest free
# CID (3, in the live XML only), and CH's hybrid vsock carries data both
# ways through the socket nimbusd gives nimbus in its state directory
# ("<name>.vsock"): the guest connects to the host (CID 2, port 5000: a
# listener on "<name>.vsock_5000") and gets a reply, then the host connects
# with "CONNECT 1234\n" and the guest echoes a line.  The guest program is
# test-vsock-guest (busybox has no AF_VSOCK), added to the initramfs.  Then
# the guest panics (sysrq c) with <panic model='pvpanic'/> and
# <on_crash>destroy</on_crash>: libvirt's CRASHED/PANICKED event, then
# STOPPED/CRASHED, and the domain is shut off (crashed).  TAP output.  Runs
# itself through tests/harness/with-kvm like test-nimbusd-lifecycle.py; it
# never skips.
import importlib.util
import os
import shutil
import socket
import subprocess
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
SRC = os.environ.get("NIMBUS_TOP_SRCDIR") or os.path.join(HERE, "..", "..")
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(SRC, "tests", "unit"))

if not os.environ.get("NIMBUS_HARNESS_MODE"):
    harness = os.path.join(SRC, "tests", "harness", "with-kvm")
    os.execv(harness, [harness, "--", os.path.abspath(__file__)] + sys.argv[1:])

from importlib import import_module  # noqa: E402

import libvirt  # noqa: E402  (after the re-exec: the harness may set paths)

lc = import_module("test-nimbusd-lifecycle")
rv = import_module("test-rpc-virsh")
# By path: tests/unit has a test-nimbusd-hotplug.py too (the fake VMM's).
_spec = importlib.util.spec_from_file_location(
    "kvm_hotplug", os.path.join(HERE, "test-nimbusd-hotplug.py"))
hp = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(hp)

NAME = hp.NAME          # the name hp.Guest opens the console of


def initrd_with_guest_program(tmp):
    """The harness's initramfs plus /vsock-guest (a second cpio archive
    after the first: Linux unpacks both)."""
    d = os.path.join(tmp, "initrd-extra")
    os.makedirs(d)
    shutil.copy(os.path.join(lc.BUILD, "tests", "integration", "test-vsock-guest"),
                os.path.join(d, "vsock-guest"))
    os.chmod(os.path.join(d, "vsock-guest"), 0o755)
    base = lc.asset("guest-initramfs.cpio", "initramfs-guest.cpio.gz")
    out = os.path.join(tmp, "vsock-initrd.cpio")
    with open(out, "wb") as f:
        with open(base, "rb") as b:
            shutil.copyfileobj(b, f)
        f.flush()
        subprocess.run("find . | cpio -o -H newc -R 0:0 --quiet", shell=True,
                       cwd=d, stdout=f, check=True)
    return out


def domain_xml(initrd):
    xml = lc.domain_xml().replace("<name>kvm-guest</name>", "<name>%s</name>" % NAME)
    base = lc.asset("guest-initramfs.cpio", "initramfs-guest.cpio.gz")
    xml = xml.replace("<initrd>%s</initrd>" % base, "<initrd>%s</initrd>" % initrd)
    # panic=0: a panicked guest stays so (no reboot racing the event).
    xml = xml.replace(" panic=-1</cmdline>", " panic=0</cmdline>")
    xml = xml.replace("<on_poweroff>destroy</on_poweroff>",
                      "<on_poweroff>destroy</on_poweroff><on_crash>destroy</on_crash>")
    return xml.replace("</devices>", "<vsock model='virtio'><cid auto='yes'/></vsock>"
                       "<panic model='pvpanic'/></devices>")


def read_line(s):
    """Up to '\n' (the guest runs emulated: minutes at worst)."""
    s.settimeout(lc.BOOT_TIMEOUT)
    line = b""
    while not line.endswith(b"\n"):
        c = s.recv(1)
        if not c:
            break
        line += c
    return line.decode(errors="replace").strip()


def main():
    libvirt.virEventRegisterDefaultImpl()
    threading.Thread(target=lc.event_loop, daemon=True).start()
    libvirt.registerErrorHandler(lambda ctx, err: None, None)
    env = lc.Env()
    steps = []
    failed = 0
    guest = None
    events = []

    def step(fn):
        steps.append(fn)
        return fn

    @step
    def define_start_auto_cid(env):
        xml = os.path.join(env.tmp, "guest.xml")
        with open(xml, "w") as f:
            f.write(domain_xml(initrd_with_guest_program(env.tmp)))
        env.virsh("define", xml)
        env.virsh("start", NAME)
        live = env.virsh("dumpxml", NAME).stdout
        assert "<cid auto='yes' address='3'/>" in live, live
        inactive = env.virsh("dumpxml", "--inactive", NAME).stdout
        assert "<cid auto='yes'/>" in inactive, inactive
        assert os.path.exists(os.path.join(env.state, NAME + ".vsock"))

    @step
    def guest_to_host_and_host_to_guest(env):
        nonlocal guest
        sock = os.path.join(env.state, NAME + ".vsock")
        listener = socket.socket(socket.AF_UNIX)
        listener.bind(sock + "_5000")
        listener.listen(1)
        listener.settimeout(lc.BOOT_TIMEOUT)
        guest = hp.Guest(env)
        # "& true": guest.sh() puts "; echo ..." after the command.
        guest.sh("/vsock-guest > /tmp/vsock-guest.log 2>&1 & true")
        # guest -> host: nimbus connects to "<socket>_5000" for it.
        conn, _ = listener.accept()
        with conn:
            assert read_line(conn) == "ping-from-guest"
            conn.sendall(b"pong-from-host\n")
            # host -> guest: the hybrid vsock's handshake, then the echo.
            with socket.socket(socket.AF_UNIX) as to_guest:
                to_guest.connect(sock)
                to_guest.sendall(b"CONNECT 1234\nhello-vsock\n")
                ok = read_line(to_guest)
                assert ok.startswith("OK "), ok
                echo = read_line(to_guest)
                assert echo == "hello-vsock", echo
        listener.close()
        out = guest.sh("wait; cat /tmp/vsock-guest.log")
        assert "vsock-guest: host said pong-from-host" in out, out
        assert "vsock-guest: echoed hello-vsock" in out, out

    @step
    def guest_panic_crashed_then_destroyed(env):
        nonlocal guest
        conn = libvirt.open(env.uri)
        try:
            conn.domainEventRegisterAny(
                None, libvirt.VIR_DOMAIN_EVENT_ID_LIFECYCLE,
                lambda c, d, e, det, o: events.append((e, det)), None)
            guest.con.send("echo c > /proc/sysrq-trigger\r")
            want = [(libvirt.VIR_DOMAIN_EVENT_CRASHED,
                     libvirt.VIR_DOMAIN_EVENT_CRASHED_PANICKED),
                    (libvirt.VIR_DOMAIN_EVENT_STOPPED,
                     libvirt.VIR_DOMAIN_EVENT_STOPPED_CRASHED)]
            deadline = time.time() + lc.BOOT_TIMEOUT
            while events != want and time.time() < deadline:
                time.sleep(0.2)
            assert events == want, events
        finally:
            conn.close()
        state = env.virsh("domstate", "--reason", NAME).stdout.strip()
        assert state == "shut off (crashed)", state
        try:
            guest.close()
        finally:
            guest = None

    env.start()
    print("1..%d" % len(steps))
    try:
        # test-rpc-virsh.py's runner: one TAP line per step.
        failed = rv.run_tap(steps, "/nimbusd/kvm-vsock-panic", env)
    finally:
        if guest:
            try:
                guest.close()
            except Exception:
                pass
        lc.run(["virsh", "-c", env.uri, "destroy", NAME], check=False)
        env.stop()
        if failed:
            lc.dump_logs(env.tmp)
        else:
            shutil.rmtree(env.tmp, ignore_errors=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
