#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
# nimbusd's virsh blkdeviotune (DOMAIN_SET_BLOCK_IO_TUNE 252,
# DOMAIN_GET_BLOCK_IO_TUNE 253) with stock virsh and python3-libvirt
# against the fake VMM: --config writes <iotune> into the persistent XML,
# --live changes the running VMM's rate limiter (the disk's own, or its
# group's) through vm.nimbus-update-rate-limiter and the live XML; what
# nimbus cannot honour is refused by name and changes nothing.  TAP output.
# Reuses test-rpc-virsh.py's helpers.
import http.client
import importlib.util
import json
import os
import re
import shutil
import socket
import sys
import tempfile

import libvirt

HERE = os.path.dirname(os.path.abspath(__file__))
_spec = importlib.util.spec_from_file_location(
    "rpcvirsh", os.path.join(HERE, "test-rpc-virsh.py"))
rv = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(rv)

virsh = rv.virsh
NAME = "vm-iotune"
UUID = "5c6d7e8f-0000-4000-8000-0000000000d1"
TESTS = []
CONFIG = libvirt.VIR_DOMAIN_AFFECT_CONFIG
LIVE = libvirt.VIR_DOMAIN_AFFECT_LIVE


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


def vmm_config(d):
    """The config of record of the (fake) VMM: what vm.info shows."""
    h = UnixHTTP(os.path.join(d.state, NAME + ".sock"))
    h.request("GET", "/api/v1/vm.info")
    return json.loads(h.getresponse().read())["config"]


def define(d, disks=None):
    xml = rv.golden_xml(NAME, UUID)
    if disks is not None:
        xml = re.sub(r"<disk .*?</disk>", disks, xml, flags=re.S)
    virsh(d, "define", rv.write(os.path.join(d.tmp, NAME + ".xml"), xml))
    conn = libvirt.open(d.uri)
    return conn, conn.lookupByName(NAME)


def cleanup(d, conn):
    virsh(d, "destroy", NAME, check=False)
    virsh(d, "undefine", NAME, check=False)
    conn.close()


def refused(fn, needle):
    try:
        fn()
    except libvirt.libvirtError as e:
        assert needle in str(e), str(e)
        return
    raise AssertionError("not refused: expected %r" % needle)


def iotune_xml(dom, flags=0):
    m = re.search(r"<iotune>.*?</iotune>", dom.XMLDesc(flags), re.S)
    return m.group(0) if m else ""


def disk_xml(tmp, target, iotune=""):
    path = os.path.join(tmp, target + ".raw")
    with open(path, "wb") as f:
        f.truncate(1 << 20)
    return ("<disk type='file' device='disk'><source file='%s'/>"
            "<target dev='%s' bus='virtio'/>%s</disk>" % (path, target, iotune))


@test
def config_set_and_get(d):
    """An inactive domain: the values land in the persistent XML, in
    libvirt's order and names, and read back through GET (virsh and
    python3-libvirt, which asks for the count first)."""
    conn, dom = define(d)
    try:
        params = dom.blockIoTune("vda", 0)
        assert params["total_bytes_sec"] == 0 and params["group_name"] == "", \
            params
        assert len(params) == 20, sorted(params)
        virsh(d, "blkdeviotune", NAME, "vda", "--total-bytes-sec", "1048576",
              "--total-iops-sec", "100", "--config")
        xml = iotune_xml(dom, libvirt.VIR_DOMAIN_XML_INACTIVE)
        assert ("<total_bytes_sec>1048576</total_bytes_sec>" in xml and
                "<total_iops_sec>100</total_iops_sec>" in xml), xml
        out = virsh(d, "blkdeviotune", NAME, "vda").stdout
        assert re.search(r"total_bytes_sec\s*: 1048576", out), out
        assert re.search(r"total_iops_sec\s*: 100", out), out
        # Unset values keep theirs; a burst that is one exact bucket.
        dom.setBlockIoTune("vda", {"total_iops_sec_max": 200,
                                   "total_iops_sec_max_length": 2}, CONFIG)
        params = dom.blockIoTune("vda", CONFIG)
        assert (params["total_bytes_sec"], params["total_iops_sec"],
                params["total_iops_sec_max"]) == (1048576, 100, 200), params
        # The source path names the disk too.
        src = re.search(r"<source file=['\"]([^'\"]+)", dom.XMLDesc(0)).group(1)
        assert dom.blockIoTune(src, CONFIG)["total_iops_sec"] == 100
        # 0 removes a limit; all at 0 removes <iotune>.
        dom.setBlockIoTune("vda", {"total_bytes_sec": 0, "total_iops_sec": 0,
                                   "total_iops_sec_max": 0,
                                   "total_iops_sec_max_length": 0}, CONFIG)
        assert iotune_xml(dom, libvirt.VIR_DOMAIN_XML_INACTIVE) == ""
    finally:
        cleanup(d, conn)


@test
def refusals_change_nothing(d):
    """What nimbus cannot honour is refused by name; nothing changes."""
    conn, dom = define(d)
    try:
        dom.setBlockIoTune("vda", {"total_iops_sec": 100}, CONFIG)
        before = dom.XMLDesc(libvirt.VIR_DOMAIN_XML_INACTIVE)
        r = virsh(d, "blkdeviotune", NAME, "vda", "--read-bytes-sec", "5",
                  "--config", check=False)
        assert r.returncode != 0 and "read_bytes_sec is not supported" in \
            r.stderr, r.stderr
        refused(lambda: dom.setBlockIoTune("vda", {"write_iops_sec": 1},
                                           CONFIG),
                "write_iops_sec is not supported")
        refused(lambda: dom.setBlockIoTune("vda", {"size_iops_sec": 4096},
                                           CONFIG),
                "size_iops_sec is not supported")
        refused(lambda: dom.setBlockIoTune("vdz", {"total_iops_sec": 1},
                                           CONFIG),
                "disk 'vdz' was not found")
        refused(lambda: dom.blockIoTune("vdz", CONFIG),
                "disk 'vdz' was not found")
        # A burst below its rate; one whose refill is not whole ms.
        refused(lambda: dom.setBlockIoTune("vda", {"total_iops_sec_max": 50},
                                           CONFIG),
                "is below total_iops_sec")
        refused(lambda: dom.setBlockIoTune(
            "vda", {"total_iops_sec": 3, "total_iops_sec_max": 7}, CONFIG),
            "not a whole number of milliseconds")
        # Not running: no live change.
        refused(lambda: dom.setBlockIoTune("vda", {"total_iops_sec": 1},
                                           LIVE),
                "domain is not running")
        assert dom.XMLDesc(libvirt.VIR_DOMAIN_XML_INACTIVE) == before
    finally:
        cleanup(d, conn)


def vmm_disk(d, target):
    for disk in vmm_config(d)["disks"]:
        if disk["id"].endswith(target) or disk["path"].endswith(target +
                                                                ".raw"):
            return disk
    raise AssertionError("no disk %s in the VMM's config" % target)


@test
def live_disk_limiter(d):
    """A running domain: --live changes the VMM's limiter and the live
    XML, not the persistent one; --live --config both; 0 lifts it."""
    conn, dom = define(d, disk_xml(d.tmp, "vda"))
    try:
        dom.create()
        assert vmm_disk(d, "vda").get("rate_limiter_config") is None
        virsh(d, "blkdeviotune", NAME, "vda", "--total-iops-sec", "200",
              "--total-bytes-sec", "2097152", "--live")
        rl = vmm_disk(d, "vda")["rate_limiter_config"]
        assert rl["ops"] == {"size": 200, "one_time_burst": 0,
                             "refill_time": 1000}, rl
        assert rl["bandwidth"]["size"] == 2097152, rl
        assert "<total_iops_sec>200</total_iops_sec>" in iotune_xml(dom)
        assert iotune_xml(dom, libvirt.VIR_DOMAIN_XML_INACTIVE) == ""
        assert dom.blockIoTune("vda", LIVE)["total_iops_sec"] == 200
        assert dom.blockIoTune("vda", CONFIG)["total_iops_sec"] == 0
        # A burst: 400 ops for 2 s refilled at 200/s = 800 in 4000 ms.
        # (virsh: python3-libvirt's setter reads the current values first,
        # and libvirt refuses a read of both definitions at once.)
        virsh(d, "blkdeviotune", NAME, "vda", "--total-iops-sec", "200",
              "--total-iops-sec-max", "400",
              "--total-iops-sec-max-length", "2", "--live", "--config")
        rl = vmm_disk(d, "vda")["rate_limiter_config"]
        assert rl["ops"] == {"size": 800, "one_time_burst": 0,
                             "refill_time": 4000}, rl
        assert "<total_iops_sec_max>400</total_iops_sec_max>" in \
            iotune_xml(dom, libvirt.VIR_DOMAIN_XML_INACTIVE)
        # Refused live: nothing sent, nothing recorded.
        refused(lambda: dom.setBlockIoTune("vda", {"read_iops_sec": 9},
                                           LIVE),
                "read_iops_sec is not supported")
        refused(lambda: dom.setBlockIoTune("vda", {"group_name": "g"},
                                           LIVE),
                "group_name of a running disk")
        assert vmm_disk(d, "vda")["rate_limiter_config"] == rl
        dom.setBlockIoTune("vda", {"total_iops_sec": 0,
                                   "total_iops_sec_max": 0,
                                   "total_iops_sec_max_length": 0,
                                   "total_bytes_sec": 0}, LIVE)
        assert vmm_disk(d, "vda").get("rate_limiter_config") is None
        assert iotune_xml(dom) == ""
    finally:
        cleanup(d, conn)


@test
def live_group_limiter(d):
    """Two disks in one group: a live change goes to the group's limiter,
    and both disks show the new limits (one set of limits per group)."""
    tune = ("<iotune><total_iops_sec>100</total_iops_sec>"
            "<group_name>g1</group_name></iotune>")
    conn, dom = define(d, disk_xml(d.tmp, "vda", tune) +
                       disk_xml(d.tmp, "vdb", tune))
    try:
        dom.create()
        groups = {g["id"]: g for g in vmm_config(d)["rate_limit_groups"]}
        assert groups["g1"]["rate_limiter_config"]["ops"]["size"] == 100
        virsh(d, "blkdeviotune", NAME, "vdb", "--total-iops-sec", "300",
              "--live", "--config")
        groups = {g["id"]: g for g in vmm_config(d)["rate_limit_groups"]}
        assert groups["g1"]["rate_limiter_config"]["ops"]["size"] == 300
        for flags in (0, libvirt.VIR_DOMAIN_XML_INACTIVE):
            xml = dom.XMLDesc(flags)
            assert xml.count("<total_iops_sec>300</total_iops_sec>") == 2, xml
        assert dom.blockIoTune("vda", LIVE)["group_name"] == "g1"
        # --config may move a disk out of its group; live may not.
        dom.setBlockIoTune("vda", {"group_name": ""}, CONFIG)
        assert dom.blockIoTune("vda", CONFIG)["group_name"] == ""
        assert dom.blockIoTune("vda", LIVE)["group_name"] == "g1"
    finally:
        cleanup(d, conn)


def main():
    libvirt.registerErrorHandler(lambda ctx, err: None, None)
    tmp = tempfile.mkdtemp(prefix="nd-iotune-", dir="/tmp")
    d = rv.Daemon(tmp)
    failed = 0
    print("1..%d" % len(TESTS))
    try:
        d.start()
        failed += rv.run_tap(TESTS, "/nimbusd/blkiotune", d)
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
