#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
# nimbusd's <disk type='vhostuser'> with the real nimbus and a real guest
# (KVM), one boot: qemu-storage-daemon exports a raw image of random bytes
# as a vhost-user-blk back end, virsh defines and starts a domain (shared
# memory) whose vda is that socket, and the guest's sha256sum of /dev/vda
# is the image's; domblkinfo refuses the disk by name while the domain
# runs.  TAP output.
#
# Runs itself through tests/harness/with-kvm like test-nimbusd-lifecycle.py
# (same guest assets); it never skips.  NIMBUS_BOOT_TIMEOUT (120 s)
# bounds each wait for the guest.
import hashlib
import importlib.util
import os
import shutil
import subprocess
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
# tests/unit has a test-nimbusd-virtiofs.py too, earlier on sys.path.
_spec = importlib.util.spec_from_file_location(
    "kvmvirtiofs", os.path.join(HERE, "test-nimbusd-virtiofs.py"))
fs = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(fs)

NAME = "kvm-vhd"
fs.NAME = NAME          # fs.Guest and fs.start_and_reach_shell read it
QSD = "/usr/bin/qemu-storage-daemon"
IMAGE_SIZE = 1 << 20


def domain_xml(sock):
    return lc.domain_xml().replace(
        "<name>kvm-guest</name>", "<name>%s</name>" % NAME).replace(
        "<vcpu>", "<memoryBacking><source type='memfd'/>"
        "<access mode='shared'/></memoryBacking><vcpu>", 1).replace(
        "<devices>", "<devices><disk type='vhostuser' device='disk'>"
        "<driver name='qemu' type='raw'/>"
        "<source type='unix' path='%s'/>"
        "<target dev='vda' bus='virtio'/></disk>" % sock, 1)


def qsd_start(image, sock, log):
    """qemu-storage-daemon serving @image on @sock, once it listens."""
    p = subprocess.Popen(
        [QSD, "--blockdev", "driver=file,node-name=disk0,filename=%s,"
         "cache.direct=off" % image, "--export", "type=vhost-user-blk,"
         "id=exp0,node-name=disk0,addr.type=unix,addr.path=%s,"
         "writable=on" % sock], stdout=log, stderr=log)
    deadline = time.time() + 60
    while not os.path.exists(sock):
        assert p.poll() is None and time.time() < deadline, \
            "qemu-storage-daemon did not start"
        time.sleep(0.05)
    return p


def main():
    libvirt.virEventRegisterDefaultImpl()
    threading.Thread(target=lc.event_loop, daemon=True).start()
    libvirt.registerErrorHandler(lambda ctx, err: None, None)
    env = lc.Env()
    image = os.path.join(env.tmp, "vhd.raw")
    sock = os.path.join(env.tmp, "vhd.sock")
    content = os.urandom(IMAGE_SIZE)
    with open(image, "wb") as f:
        f.write(content)
    qsd_log = open(os.path.join(env.tmp, "qsd.log"), "ab")
    qsd = None
    ctx = {}
    steps = []
    failed = 0

    def step(fn):
        steps.append(fn)
        return fn

    @step
    def start_on_the_back_end():
        xml = os.path.join(env.tmp, "guest.xml")
        with open(xml, "w") as f:
            f.write(domain_xml(sock))
        env.virsh("define", xml)
        ctx["guest"] = fs.start_and_reach_shell(env)
        live = env.virsh("dumpxml", NAME).stdout
        assert "<source type='unix' path='%s'/>" % sock in live, live

    @step
    def guest_reads_the_image():
        out = ctx["guest"].sh(
            "i=0; while [ ! -b /dev/vda ] && [ $i -lt 60 ]; do "
            "i=$((i + 1)); sleep 1; done; "
            "echo \"vhd-sum $(sha256sum /dev/vda | cut -c1-64)\"")
        want = hashlib.sha256(content).hexdigest()
        assert "vhd-sum " + want in out, (want, out)

    @step
    def domblkinfo_refused():
        r = env.virsh("domblkinfo", NAME, "vda", check=False)
        assert r.returncode != 0 and \
            "disk 'vda' is a vhost-user disk" in r.stderr, r.stderr

    env.start()
    print("1..%d" % len(steps))
    try:
        qsd = qsd_start(image, sock, qsd_log)
        for i, fn in enumerate(steps, 1):
            name = fn.__name__.replace("_", "-")
            try:
                fn()
                print("ok %d /nimbusd/kvm/vhostuser-disk/%s" % (i, name))
            except Exception:
                failed += 1
                print("not ok %d /nimbusd/kvm/vhostuser-disk/%s" % (i, name))
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
        if qsd:
            qsd.terminate()
            qsd.wait(10)
        qsd_log.close()
        if failed:
            lc.dump_logs(env.tmp)
        else:
            shutil.rmtree(env.tmp, ignore_errors=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
