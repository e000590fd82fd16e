#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
# nimbusd's <iommu model='virtio'> with the real nimbus and a real guest
# (KVM), one boot: a domain whose virtio rng has <driver iommu='on'/>
# starts, the live XML keeps both, nimbus's vm.info has the top-level
# iommu and the rng's, and the guest's rng negotiated
# VIRTIO_F_ACCESS_PLATFORM (feature bit 33) and reads random bytes through
# the IOMMU.  The harness's guest kernel (Debian 12's 6.1) has no
# virtio-iommu driver, so the IOMMU stays in bypass (identity) mode: this
# checks nimbusd's mapping and the translated path, not the guest's own
# page tables (docs/devices.md).  TAP output.  Runs itself through
# tests/harness/with-kvm like test-nimbusd-lifecycle.py; it never skips.
import http.client
import json
import os
import shutil
import socket
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
SRC = os.environ.get("NIMBUS_TOP_SRCDIR") or os.path.join(HERE, "..", "..")
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(SRC, "tests", "unit"))

if not os.environ.get("NIMBUS_HARNESS_MODE"):
    harness = os.path.join(SRC, "tests", "harness", "with-kvm")
    os.execv(harness, [harness, "--", os.path.abspath(__file__)] + sys.argv[1:])

import importlib.util  # noqa: E402
from importlib import import_module  # noqa: E402

lc = import_module("test-nimbusd-lifecycle")
rv = import_module("test-rpc-virsh")
# By path: tests/unit has a test-nimbusd-hotplug.py too (the fake VMM's).
_spec = importlib.util.spec_from_file_location(
    "kvm_hotplug", os.path.join(HERE, "test-nimbusd-hotplug.py"))
hp = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(hp)

NAME = hp.NAME          # the name hp.Guest opens the console of


def domain_xml():
    return lc.domain_xml().replace(
        "<name>kvm-guest</name>", "<name>%s</name>" % NAME).replace(
        "</devices>",
        "<rng model='virtio'><backend model='random'>/dev/urandom"
        "</backend><driver iommu='on'/></rng>"
        "<iommu model='virtio'/></devices>")


class UnixHTTP(http.client.HTTPConnection):
    def __init__(self, path):
        super().__init__("localhost")
        self.path = path

    def connect(self):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.connect(self.path)


def vmm_config(env):
    """nimbus's config of record (vm.info), on its API socket."""
    h = UnixHTTP(os.path.join(env.state, NAME + ".sock"))
    h.request("GET", "/api/v1/vm.info")
    return json.loads(h.getresponse().read())["config"]


def main():
    env = lc.Env()
    steps = []
    failed = 0
    guest = None

    def step(fn):
        steps.append(fn)
        return fn

    @step
    def define_start_dumpxml(env):
        xml = os.path.join(env.tmp, "guest.xml")
        with open(xml, "w") as f:
            f.write(domain_xml())
        env.virsh("define", xml)
        env.virsh("start", NAME)
        live = env.virsh("dumpxml", NAME).stdout
        assert "<iommu model='virtio'/>" in live, live
        assert "<driver iommu='on'/>" in live, live
        cfg = vmm_config(env)
        assert cfg["iommu"] is True and cfg["rng"]["iommu"] is True, cfg

    @step
    def guest_rng_behind_iommu(env):
        nonlocal guest
        guest = hp.Guest(env)
        # virtio device id 4 is the entropy device; its features are a
        # string of '0'/'1', bit 0 first.
        out = guest.sh("for d in /sys/bus/virtio/devices/*; do "
                       "[ \"$(cat $d/device)\" = 0x0004 ] && "
                       "cat $d/features; done")
        bits = out.strip().splitlines()[-1].strip()
        assert len(bits) > 33 and bits[33] == "1", out
        out = guest.sh("cat /sys/class/misc/hw_random/rng_current; "
                       "head -c 64 /dev/hwrng | wc -c")
        assert "virtio_rng" in out and "64" in out.split(), out

    env.start()
    print("1..%d" % len(steps))
    try:
        # test-rpc-virsh.py's runner: one TAP line per step.
        failed = rv.run_tap(steps, "/nimbusd/kvm-iommu", env)
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
