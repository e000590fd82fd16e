#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
# nimbusd's <shmem model='ivshmem-plain'> with the real nimbus and one real
# guest (KVM): at start nimbusd creates /dev/shm/NAME of the <size> (as
# QEMU's memory-backend-file does for libvirt); while the guest runs, a word
# the host writes into that file is what the guest reads from BAR2 (busybox
# devmem), and a word the guest writes there is in the file; dumpxml shows
# the <shmem>; the file outlives the domain.  One boot.  TAP output.
#
# Runs itself through tests/harness/with-kvm like test-nimbusd-lifecycle.py
# (whose Env, guest XML and helpers it reuses, with test-nimbusd-save.py's
# shell()); it never skips.
import importlib.util
import os
import shutil
import struct
import sys
import time
import traceback

HERE = os.path.dirname(os.path.abspath(__file__))
SRC = os.environ.get("NIMBUS_TOP_SRCDIR") or os.path.join(HERE, "..", "..")
sys.path.insert(0, os.path.join(SRC, "tests", "unit"))

if not os.environ.get("NIMBUS_HARNESS_MODE"):
    harness = os.path.join(SRC, "tests", "harness", "with-kvm")
    os.execv(harness, [harness, "--", os.path.abspath(__file__)] + sys.argv[1:])

import libvirt  # noqa: E402,F401  (after the re-exec: the harness may set paths)


def load(name, path):
    spec = importlib.util.spec_from_file_location(name, os.path.join(HERE, path))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


lc = load("ndlifecycle", "test-nimbusd-lifecycle.py")
sv = load("ndsave", "test-nimbusd-save.py")

NAME = "kvm-guest"
SHM = "nimbus-test-shmem-%d" % os.getpid()
SHM_PATH = os.path.join("/dev/shm", SHM)
# The guest's ivshmem function and BAR2's address (the third line of its
# sysfs "resource"), once enabled: no driver claims it.
FIND = ("D=$(grep -l 0x1110 /sys/bus/pci/devices/*/device); D=${D%/device}; "
        "echo 1 > $D/enable; A=$(sed -n 3p $D/resource | cut -d' ' -f1); ")


def main():
    env = lc.Env()
    steps = []
    failed = 0

    def step(fn):
        steps.append(fn)
        return fn

    @step
    def start_creates_the_file():
        if os.path.exists(SHM_PATH):
            os.unlink(SHM_PATH)
        xml = os.path.join(env.tmp, "guest.xml")
        text = lc.domain_xml().replace(
            "  </devices>",
            "    <shmem name='%s'><model type='ivshmem-plain'/>"
            "<size unit='M'>1</size></shmem>\n  </devices>" % SHM)
        assert SHM in text, text
        with open(xml, "w") as f:
            f.write(text)
        env.virsh("define", xml)
        assert not os.path.exists(SHM_PATH)
        env.virsh("start", NAME)
        assert os.path.getsize(SHM_PATH) == 1 << 20
        out = env.virsh("dumpxml", NAME).stdout
        assert "<shmem name='%s'>" % SHM in out, out
        assert "<size unit='M'>1</size>" in out, out

    @step
    def host_write_seen_by_guest():
        with open(SHM_PATH, "r+b") as f:
            f.write(struct.pack("<I", 0x12345678))
        sv.shell(env, FIND + "echo v=$(devmem $A 32)", "v=0x12345678")

    @step
    def guest_write_seen_by_host():
        sv.shell(env, FIND + "devmem $((A + 16)) 32 0xcafef00d && "
                 "echo wrote-$((6*7))", "wrote-42")
        deadline = time.time() + 10
        while True:
            with open(SHM_PATH, "rb") as f:
                f.seek(16)
                word = struct.unpack("<I", f.read(4))[0]
            if word == 0xcafef00d or time.time() > deadline:
                break
            time.sleep(0.2)
        assert word == 0xcafef00d, hex(word)

    @step
    def file_outlives_the_domain():
        env.virsh("destroy", NAME)
        assert os.path.getsize(SHM_PATH) == 1 << 20
        with open(SHM_PATH, "rb") as f:
            assert struct.unpack("<I", f.read(4))[0] == 0x12345678

    env.start()
    print("1..%d" % len(steps))
    try:
        for i, fn in enumerate(steps, 1):
            t0 = time.time()
            try:
                fn()
                print("ok %d /nimbusd/kvm/shmem/%s" % (i, fn.__name__.replace("_", "-")))
            except Exception:
                failed += 1
                print("not ok %d /nimbusd/kvm/shmem/%s" % (i, fn.__name__.replace("_", "-")))
                for line in traceback.format_exc().splitlines():
                    print("# " + line)
            print("# %.1f s" % (time.time() - t0))
            sys.stdout.flush()
    finally:
        lc.run(["virsh", "-c", env.uri, "destroy", NAME], check=False)
        env.stop()
        if os.path.exists(SHM_PATH):
            os.unlink(SHM_PATH)
        if failed:
            lc.dump_logs(env.tmp)
        else:
            shutil.rmtree(env.tmp, ignore_errors=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
