#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
# The virsh commands that answered NO_SUPPORT (issue 11), with stock virsh
# and python3-libvirt against nimbusd and the fake VMM: domblkinfo reads
# each image's sizes (qemu-img-made raw, qcow2, VHD and VHDX images, by
# target and by path, inactive and live, --all); blkiotune reports an empty
# list and refuses to set; domtime and the other guest-agent calls, send-key
# and screenshot are refused with libvirt's codes and the reason.  TAP
# output.  Reuses test-rpc-virsh.py's helpers.
import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

import libvirt

HERE = os.path.dirname(os.path.abspath(__file__))
_spec = importlib.util.spec_from_file_location(
    "rpcvirsh", os.path.join(HERE, "test-rpc-virsh.py"))
rv = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(rv)

virsh = rv.virsh
NAME = "vm-extra"
UUID = "7d8e9fa0-0000-4000-8000-0000000000e1"
TESTS = []
MIB = 1 << 20


def test(fn):
    TESTS.append(fn)
    return fn


def qemu_img(*args):
    rv.run(["qemu-img"] + list(args))


def virtual_size(path, fmt):
    """What qemu-img, not nimbusd, says the image's virtual size is."""
    out = rv.run(["qemu-img", "info", "--output=json", "-f", fmt, path]).stdout
    return json.loads(out)["virtual-size"]


class Images:
    """One image of each format nimbus opens, made by qemu-img."""

    def __init__(self, tmp):
        self.raw = os.path.join(tmp, "disk.raw")
        self.qcow2 = os.path.join(tmp, "disk.qcow2")
        self.vpc = os.path.join(tmp, "disk.vhd")
        self.vhdx = os.path.join(tmp, "disk.vhdx")
        qemu_img("create", "-q", "-f", "raw", self.raw, "24M")
        # Some data, so that the raw file's allocation is neither 0 nor
        # its size (a sparse file).
        with open(self.raw, "r+b") as f:
            f.seek(3 * MIB)
            f.write(b"\xa5" * (2 * MIB))
        qemu_img("create", "-q", "-f", "qcow2", self.qcow2, "64M")
        qemu_img("create", "-q", "-f", "vpc", "-o", "subformat=fixed",
                 self.vpc, "16M")
        qemu_img("create", "-q", "-f", "vhdx", self.vhdx, "40M")
        self.disks = [("vda", self.raw, "raw"), ("vdb", self.qcow2, "qcow2"),
                      ("vdc", self.vpc, "vpc"), ("vdd", self.vhdx, "vhdx")]

    def expected(self, path, fmt):
        st = os.stat(path)
        return [virtual_size(path, fmt), st.st_blocks * 512, st.st_size]


def disk_xml(dev, path, fmt):
    return ("<disk type='file' device='disk'><driver name='qemu' type='%s'/>"
            "<source file='%s'/><target dev='%s' bus='virtio'/></disk>"
            % (fmt, path, dev))


def define(d, disks):
    xml = rv.golden_xml(NAME, UUID)
    xml = re.sub(r"<disk .*?</disk>",
                 "".join(disk_xml(*x) for x in disks), xml, flags=re.S)
    virsh(d, "define", rv.write(os.path.join(d.tmp, NAME + ".xml"), xml))
    conn = libvirt.open(d.uri)
    return conn, conn.lookupByName(NAME)


def cleanup(d, conn):
    virsh(d, "destroy", NAME, check=False)
    virsh(d, "undefine", NAME, check=False)
    conn.close()


def refused(fn, code, needle):
    try:
        fn()
    except libvirt.libvirtError as e:
        assert e.get_error_code() == code, (e.get_error_code(), str(e))
        assert needle in str(e), str(e)
        return
    raise AssertionError("not refused: expected %r" % needle)


def virsh_fails(d, needle, *args):
    r = virsh(d, *args, check=False)
    assert r.returncode != 0, "%s succeeded: %s" % (args, r.stdout)
    assert needle in r.stderr, r.stderr
    assert "not supported by the connection driver" not in r.stderr, r.stderr


def blkinfo_virsh(d, disk):
    """virsh domblkinfo's three numbers, in its order."""
    out = virsh(d, "domblkinfo", NAME, disk).stdout
    got = dict(re.findall(r"^(\w+):\s+(\d+)$", out, re.M))
    return [int(got["Capacity"]), int(got["Allocation"]),
            int(got["Physical"])]


def check_all_disks(d, dom, imgs):
    for dev, path, fmt in imgs.disks:
        want = imgs.expected(path, fmt)
        assert dom.blockInfo(dev) == want, (dev, dom.blockInfo(dev), want)
        # The source path names the disk as well as its target.
        assert dom.blockInfo(path) == want, (path, want)
        assert blkinfo_virsh(d, dev) == want, (dev, want)


@test
def blockinfo_inactive_and_live(d):
    """Capacity from each format's header (the VMM's parsers), allocation
    and physical from the file, before and after start."""
    imgs = Images(d.tmp)
    conn, dom = define(d, imgs.disks)
    try:
        # The raw image is sparse: data in 2 MiB of 24.
        raw = imgs.expected(imgs.raw, "raw")
        assert raw[0] == 24 * MIB and raw[2] == 24 * MIB, raw
        assert 2 * MIB <= raw[1] < 24 * MIB, raw
        qcow2 = imgs.expected(imgs.qcow2, "qcow2")
        assert qcow2[0] == 64 * MIB and qcow2[2] < MIB, qcow2
        check_all_disks(d, dom, imgs)
        virsh(d, "start", NAME)
        check_all_disks(d, dom, imgs)
        # The image grows while the domain runs: read afresh each call.
        with open(imgs.raw, "r+b") as f:
            f.seek(20 * MIB)
            f.write(b"\x5a" * MIB)
        assert dom.blockInfo("vda")[1] == imgs.expected(imgs.raw, "raw")[1]
    finally:
        cleanup(d, conn)


@test
def blockinfo_all(d):
    """virsh domblkinfo --all: one row per disk of the dumpxml."""
    imgs = Images(d.tmp)
    conn, dom = define(d, imgs.disks)
    try:
        out = virsh(d, "domblkinfo", NAME, "--all", "--human").stdout
        rows = [l.split() for l in out.splitlines() if l.strip()]
        assert [r[0] for r in rows] == ["vda", "vdb", "vdc", "vdd"], out
        assert rows[1][1:3] == ["64.000", "MiB"], out
        out = virsh(d, "domblkinfo", NAME, "--all").stdout
        rows = {l.split()[0]: [int(x) for x in l.split()[1:]]
                for l in out.splitlines() if l.strip()}
        for dev, path, fmt in imgs.disks:
            assert rows[dev] == imgs.expected(path, fmt), (dev, out)
    finally:
        cleanup(d, conn)


@test
def blockinfo_bad_input(d):
    """A disk the domain lacks, flags, a damaged or missing image: one
    clear error each, naming it."""
    imgs = Images(d.tmp)
    bad = os.path.join(d.tmp, "damaged.qcow2")
    shutil.copy(imgs.qcow2, bad)
    with open(bad, "r+b") as f:
        f.seek(20)                  # cluster_bits
        f.write(b"\x00\x00\x00\x40")
    gone = os.path.join(d.tmp, "gone.raw")
    open(gone, "wb").truncate(MIB)
    conn, dom = define(d, [("vda", imgs.raw, "raw"), ("vdb", bad, "qcow2"),
                           ("vdc", gone, "raw")])
    try:
        os.unlink(gone)
        refused(lambda: dom.blockInfo("vdz"), libvirt.VIR_ERR_INVALID_ARG,
                "invalid path 'vdz' not assigned to domain")
        refused(lambda: dom.blockInfo("vda", 1), libvirt.VIR_ERR_INVALID_ARG,
                "unsupported flags")
        refused(lambda: dom.blockInfo("vdb"), libvirt.VIR_ERR_SYSTEM_ERROR,
                bad)
        refused(lambda: dom.blockInfo("vdc"), libvirt.VIR_ERR_SYSTEM_ERROR,
                "cannot open disk image '%s'" % gone)
        virsh_fails(d, "not assigned to domain", "domblkinfo", NAME, "vdz")
        virsh_fails(d, "failed to get domain 'no-such'", "domblkinfo",
                    "no-such", "vda")
    finally:
        cleanup(d, conn)


@test
def blkiotune_empty_and_refused(d):
    """No cgroup holds the domain: the parameter list is empty, and a
    weight is refused, saying why, not accepted and ignored."""
    conn, dom = define(d, [("vda", Images(d.tmp).raw, "raw")])
    try:
        for extra in ([], ["--config"]):
            r = virsh(d, "blkiotune", NAME, *extra)
            assert r.stdout.strip() == "", r.stdout
        assert dom.blkioParameters(0) == {}, dom.blkioParameters(0)
        refused(lambda: dom.blkioParameters(
            libvirt.VIR_DOMAIN_AFFECT_LIVE), libvirt.VIR_ERR_OPERATION_INVALID,
            "domain is not running")
        virsh(d, "start", NAME)
        assert dom.blkioParameters(libvirt.VIR_DOMAIN_AFFECT_LIVE) == {}
        virsh_fails(d, "Operation not supported: blkio parameter 'weight' "
                    "cannot be set: nimbusd does not put domains in cgroups",
                    "blkiotune", NAME, "--weight", "500")
        virsh_fails(d, "use blkdeviotune (per-disk rate limits) instead",
                    "blkiotune", NAME, "--weight", "300", "--config")
        assert "blkiotune" not in dom.XMLDesc(0)
    finally:
        cleanup(d, conn)


# The guest-agent commands virsh has, with what each sends.
AGENT_COMMANDS = [
    ("domtime",), ("domtime", "--now"), ("domtime", "--time", "1700000000"),
    ("domfsinfo",), ("guestinfo",), ("domhostname",), ("domfsfreeze",),
    ("domfsthaw",), ("domfstrim",), ("guestvcpus",),
    ("set-user-password", "root", "secret"),
]


@test
def guest_agent_calls_refused(d):
    """libvirt's answer for a domain without an agent channel: "domain is
    not running" while it does not run, else ARGUMENT_UNSUPPORTED "QEMU
    guest agent is not configured" (what nova's set_time tolerates)."""
    conn, dom = define(d, [("vda", Images(d.tmp).raw, "raw")])
    try:
        for cmd in AGENT_COMMANDS:
            virsh_fails(d, "domain is not running", cmd[0], NAME, *cmd[1:])
        virsh(d, "start", NAME)
        for cmd in AGENT_COMMANDS:
            virsh_fails(d, "argument unsupported: QEMU guest agent is not "
                        "configured: nimbus domains have no guest agent "
                        "channel", cmd[0], NAME, *cmd[1:])
        # python3-libvirt's guestVcpus() returns None on any error, so
        # virsh guestvcpus above is its only check.
        for fn in (lambda: dom.getTime(0),
                   lambda: dom.setTime({"seconds": 1, "nseconds": 0}),
                   lambda: dom.setTime(None, libvirt.VIR_DOMAIN_TIME_SYNC),
                   lambda: dom.hostname(0), lambda: dom.fsInfo(0),
                   lambda: dom.guestInfo(0, 0), lambda: dom.fsFreeze(),
                   lambda: dom.fsThaw(), lambda: dom.fSTrim(None, 0, 0),
                   lambda: dom.setUserPassword("root", "x", 0)):
            refused(fn, libvirt.VIR_ERR_ARGUMENT_UNSUPPORTED,
                    "QEMU guest agent is not configured")
        # The DHCP-lease source of domhostname is not the agent's: its
        # flag is refused as libvirt refuses any flag a driver lacks.
        refused(lambda: dom.hostname(libvirt.VIR_DOMAIN_GET_HOSTNAME_LEASE),
                libvirt.VIR_ERR_INVALID_ARG, "unsupported flags (0x1)")
        refused(lambda: dom.getTime(4), libvirt.VIR_ERR_INVALID_ARG,
                "unsupported flags (0x4)")
        # A paused domain has no agent to ask either (libvirt's order).
        dom.suspend()
        refused(lambda: dom.getTime(0), libvirt.VIR_ERR_OPERATION_INVALID,
                "domain is not running")
        dom.resume()
    finally:
        cleanup(d, conn)


@test
def screenshot_and_send_key_refused(d):
    """No graphics and no keyboard: OPERATION_UNSUPPORTED naming the
    serial console instead; a stopped domain is "not running" first."""
    conn, dom = define(d, [("vda", Images(d.tmp).raw, "raw")])
    shot = os.path.join(d.tmp, "shot.ppm")
    try:
        virsh_fails(d, "domain is not running", "send-key", NAME, "KEY_A")
        virsh(d, "start", NAME)
        virsh_fails(d, "Operation not supported: screenshot: nimbus domains "
                    "have no graphics or video device", "screenshot", NAME,
                    shot)
        assert not os.path.exists(shot) or os.path.getsize(shot) == 0
        virsh_fails(d, "Operation not supported: send-key: nimbus domains "
                    "have no keyboard", "send-key", NAME, "KEY_A")
        stream = conn.newStream(0)
        refused(lambda: dom.screenshot(stream, 0, 0),
                libvirt.VIR_ERR_OPERATION_UNSUPPORTED, "virsh console")
        refused(lambda: dom.sendKey(libvirt.VIR_KEYCODE_SET_LINUX, 0, [30], 1,
                                    0),
                libvirt.VIR_ERR_OPERATION_UNSUPPORTED, "virsh console")
        # The connection is still good after the refused stream call.
        assert dom.isActive() == 1
    finally:
        cleanup(d, conn)


def main():
    libvirt.registerErrorHandler(lambda ctx, err: None, None)
    tmp = tempfile.mkdtemp(prefix="nd-extra-", dir="/tmp")
    d = rv.Daemon(tmp)
    failed = 0
    print("1..%d" % len(TESTS))
    try:
        d.start()
        failed += rv.run_tap(TESTS, "/nimbusd/domain-extra", d)
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
