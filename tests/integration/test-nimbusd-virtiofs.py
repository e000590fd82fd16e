#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
# nimbusd's <filesystem> (virtiofs) with the real nimbus, the host's real
# virtiofsd (Debian: qemu-system-common's /usr/lib/qemu/virtiofsd, or the
# Rust one) and a real guest (KVM), one boot, through python3-libvirt and
# virsh: a domain as virt-install writes it for --filesystem ...,
# driver.type=virtiofs --memorybacking source.type=memfd,access.mode=shared
# starts with one virtiofsd; the guest mounts the tag, reads the file the
# host wrote and writes one the host then sees; destroy leaves no
# virtiofsd running and no socket behind.  TAP output.
#
# Runs itself through tests/harness/with-kvm like test-nimbusd-lifecycle.py
# (same guest assets); it never skips.  NIMBUS_BOOT_TIMEOUT (120 s)
# bounds each wait for the guest.
import os
import select
import shutil
import sys
import threading
import time
import traceback

HERE = os.path.dirname(os.path.abspath(__file__))
SRC = os.environ.get("NIMBUS_TOP_SRCDIR") or os.path.join(HERE, "..", "..")
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(SRC, "tests", "unit"))

if not os.environ.get("NIMBUS_HARNESS_MODE"):
    harness = os.path.join(SRC, "tests", "harness", "with-kvm")
    os.execv(harness, [harness, "--", os.path.abspath(__file__)] + sys.argv[1:])

import libvirt  # noqa: E402  (after the re-exec: the harness may set paths)
from importlib import import_module  # noqa: E402

lc = import_module("test-nimbusd-lifecycle")
rv = import_module("test-rpc-virsh")

NAME = "kvm-fs"
TAG = "hostshare"
FROM_HOST = "nimbusd-virtiofs-from-host-42"
FROM_GUEST = "nimbusd-virtiofs-from-guest-17"
BOOT_TIMEOUT = lc.BOOT_TIMEOUT


def domain_xml(share):
    return lc.domain_xml().replace(
        "<name>kvm-guest</name>", "<name>%s</name>" % NAME).replace(
        "<vcpu>", "<memoryBacking><source type='memfd'/>"
        "<access mode='shared'/></memoryBacking><vcpu>", 1).replace(
        "</devices>", "<filesystem type='mount' accessmode='passthrough'>"
        "<driver type='virtiofs'/><source dir='%s'/><target dir='%s'/>"
        "</filesystem></devices>" % (share, TAG))


class Guest:
    """The guest's shell over one `virsh console`."""

    def __init__(self, env):
        self.con = rv.Console(env, NAME)
        self.con.expect("Escape character", timeout=BOOT_TIMEOUT)
        self.n = 0
        deadline = time.time() + BOOT_TIMEOUT
        while True:
            self.con.send("\recho nimbus-$((6*7))\r")
            try:
                self.con.expect("nimbus-42", timeout=3)
                break
            except AssertionError:
                if time.time() > deadline:
                    raise

    def sh(self, cmd, timeout=BOOT_TIMEOUT):
        """Runs @cmd; returns what it printed.  The end marker is computed
        by the shell, so the echoed command line never matches it."""
        self.n += 1
        start, end = "fs-begin-%d" % self.n, "fs-end-%d" % self.n
        self.con.send("echo fs-begin-$((%d)); %s; echo fs-end-$((%d))\r"
                      % (self.n, cmd, self.n))
        self.con.expect(start + "\r\n", timeout=timeout)
        deadline = time.time() + timeout
        while end.encode() not in self.con.buf:
            r, _, _ = select.select([self.con.fd], [], [],
                                    max(0, deadline - time.time()))
            if not r:
                raise AssertionError("guest: no %r after %r" %
                                     (end, self.con.buf[-300:]))
            self.con.buf += os.read(self.con.fd, 4096)
        out, self.con.buf = self.con.buf.split(end.encode(), 1)
        return out.decode(errors="replace")

    def close(self):
        self.con.send("\x1d")
        self.con.wait_exit()


def virtiofsd_pids(fsdir):
    """Live processes whose command line names a socket in @fsdir: the
    virtiofsd nimbusd started (and any sandboxed child of theirs)."""
    pids = []
    for p in os.listdir("/proc"):
        if not p.isdigit():
            continue
        try:
            with open("/proc/%s/cmdline" % p, "rb") as f:
                cmd = f.read().split(b"\0")
            with open("/proc/%s/stat" % p) as f:
                zombie = f.read().split(") ", 1)[1][0] == "Z"
        except OSError:
            continue
        if not zombie and any(a.startswith(b"--socket-path=" +
                                           fsdir.encode()) for a in cmd):
            pids.append(int(p))
    return pids


def main():
    libvirt.virEventRegisterDefaultImpl()
    threading.Thread(target=lc.event_loop, daemon=True).start()
    libvirt.registerErrorHandler(lambda ctx, err: None, None)
    env = lc.Env()
    share = os.path.join(env.tmp, "share")
    os.makedirs(share)
    with open(os.path.join(share, "from-host"), "w") as f:
        f.write(FROM_HOST + "\n")
    fsdir = os.path.join(env.state, NAME + ".fs")
    ctx = {}
    steps = []
    failed = 0

    def step(fn):
        steps.append(fn)
        return fn

    @step
    def start_runs_virtiofsd():
        xml = os.path.join(env.tmp, "guest.xml")
        with open(xml, "w") as f:
            f.write(domain_xml(share))
        env.virsh("define", xml)
        env.virsh("start", NAME)
        assert virtiofsd_pids(fsdir), os.listdir(fsdir)
        assert os.path.exists(os.path.join(fsdir, "fs0.sock"))
        live = env.virsh("dumpxml", NAME).stdout
        assert "<target dir='%s'/>" % TAG in live, live
        ctx["guest"] = Guest(env)

    @step
    def guest_reads_and_writes_the_share():
        g = ctx["guest"]
        out = g.sh("mkdir -p /mnt/fs && mount -t virtiofs %s /mnt/fs && "
                   "echo \"fs-read: $(cat /mnt/fs/from-host)\" && "
                   "echo %s > /mnt/fs/from-guest && umount /mnt/fs && "
                   "echo fs-done" % (TAG, FROM_GUEST))
        assert "fs-read: " + FROM_HOST in out, out
        assert "fs-done" in out, out
        with open(os.path.join(share, "from-guest")) as f:
            assert f.read().strip() == FROM_GUEST

    @step
    def destroy_leaves_no_virtiofsd():
        ctx.pop("guest").close()
        env.virsh("destroy", NAME)
        deadline = time.time() + 10
        while virtiofsd_pids(fsdir) and time.time() < deadline:
            time.sleep(0.1)
        assert not virtiofsd_pids(fsdir), virtiofsd_pids(fsdir)
        left = [f for f in os.listdir(fsdir)
                if f.endswith((".sock", ".pid"))]
        assert not left, left

    env.start()
    print("1..%d" % len(steps))
    try:
        for i, fn in enumerate(steps, 1):
            name = fn.__name__.replace("_", "-")
            try:
                fn()
                print("ok %d /nimbusd/kvm/virtiofs/%s" % (i, name))
            except Exception:
                failed += 1
                print("not ok %d /nimbusd/kvm/virtiofs/%s" % (i, name))
                for line in traceback.format_exc().splitlines():
                    print("# " + line)
            sys.stdout.flush()
    finally:
        if "guest" in ctx:
            try:
                ctx["guest"].close()
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
