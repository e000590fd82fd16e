#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
# nimbusd's <backingStore> (issue 15) with stock virsh and python3-libvirt
# against the fake VMM, on chains qemu-img makes: the live XML shows the
# chain read from the image headers at start (libvirt's format: index,
# format, source, an empty <backingStore/> at the end), the inactive XML
# never does, a define accepts and drops a given chain as libvirt's drivers
# without backing-chain input do, a daemon restart keeps the live chain,
# and a broken chain fails the start by name.  TAP output.  Reuses
# test-rpc-virsh.py's helpers.
import importlib.util
import os
import re
import shutil
import signal
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
NAME = "vm-backing"
UUID = "5c6d7e8f-0000-4000-8000-0000000000e1"
TESTS = []


def test(fn):
    TESTS.append(fn)
    return fn


def qemu_img(*args):
    subprocess.run(["qemu-img"] + list(args), check=True,
                   stdout=subprocess.PIPE, stderr=subprocess.STDOUT)


def chain(tmp):
    """base.raw <- mid.qcow2 (absolute name) <- top.qcow2 (relative
    name): the chain a cloud image with one overlay per instance has."""
    d = os.path.join(tmp, "chain")
    os.makedirs(d, exist_ok=True)
    base = os.path.join(d, "base.raw")
    mid = os.path.join(d, "mid.qcow2")
    top = os.path.join(d, "top.qcow2")
    for p in (base, mid, top):
        if os.path.exists(p):
            os.unlink(p)
    qemu_img("create", "-q", "-f", "raw", base, "1M")
    qemu_img("create", "-q", "-f", "qcow2", "-b", base, "-F", "raw", mid)
    qemu_img("create", "-q", "-f", "qcow2", "-b", "mid.qcow2", "-F", "qcow2",
             top)
    return base, mid, top


def disk(path, target, fmt):
    return ("<disk type='file' device='disk'>"
            "<driver name='nimbus' type='%s'/><source file='%s'/>"
            "<target dev='%s' bus='virtio'/></disk>" % (fmt, path, target))


def define(d, disks):
    xml = re.sub(r"<disk .*?</disk>", disks, rv.golden_xml(NAME, UUID),
                 flags=re.S)
    virsh(d, "define", rv.write(os.path.join(d.tmp, NAME + ".xml"), xml))
    conn = libvirt.open(d.uri)
    return conn, conn.lookupByName(NAME)


def cleanup(d, conn):
    virsh(d, "destroy", NAME, check=False)
    virsh(d, "undefine", NAME, check=False)
    conn.close()


def disk_of(xml, target):
    for m in re.finditer(r"<disk .*?</disk>", xml, re.S):
        if "dev='%s'" % target in m.group(0):
            return m.group(0)
    raise AssertionError("no disk %s in %s" % (target, xml))


def expected_chain(mid, base):
    return ("<backingStore type='file' index='1'>\n"
            "        <format type='qcow2'/>\n"
            "        <source file='%s'/>\n"
            "        <backingStore type='file' index='2'>\n"
            "          <format type='raw'/>\n"
            "          <source file='%s'/>\n"
            "          <backingStore/>\n"
            "        </backingStore>\n"
            "      </backingStore>\n" % (mid, base))


@test
def live_chain_from_headers(d):
    """The live XML shows the chain the headers name, relative names
    joined to the naming image's directory; a self-contained qcow2 ends
    at once; a raw disk and the inactive XML show none."""
    base, mid, top = chain(d.tmp)
    alone = os.path.join(d.tmp, "chain", "alone.qcow2")
    data = os.path.join(d.tmp, "chain", "data.raw")
    qemu_img("create", "-q", "-f", "qcow2", alone, "1M")
    qemu_img("create", "-q", "-f", "raw", data, "1M")
    conn, dom = define(d, disk(top, "vda", "qcow2") +
                       disk(alone, "vdb", "qcow2") +
                       disk(data, "vdc", "raw"))
    try:
        assert "backingStore" not in dom.XMLDesc(0)
        dom.create()
        xml = dom.XMLDesc(0)
        # Right after <source>, as libvirt prints it.
        vda = disk_of(xml, "vda")
        assert ("<source file='%s'/>\n      %s      <target" %
                (top, expected_chain(os.path.join(d.tmp, "chain",
                                                  "mid.qcow2"), base))
                in vda), vda
        assert ("<source file='%s'/>\n      <backingStore/>\n" % alone
                in disk_of(xml, "vdb")), xml
        assert "backingStore" not in disk_of(xml, "vdc"), xml
        assert "backingStore" not in \
            dom.XMLDesc(libvirt.VIR_DOMAIN_XML_INACTIVE)
        out = virsh(d, "dumpxml", NAME).stdout
        assert out.count("<backingStore") == 4, out
        # The chain is nimbusd's: an unchanged disk given without it (or
        # with another) is no change to a running domain.
        for extra in ("", "<backingStore/>"):
            given = disk(top, "vda", "qcow2").replace(
                "<target", extra + "<target")
            virsh(d, "update-device", NAME,
                  rv.write(os.path.join(d.tmp, "vda.xml"), given), "--live")
        assert disk_of(dom.XMLDesc(0), "vda") == vda
    finally:
        cleanup(d, conn)


@test
def define_drops_given_chain(d):
    """A live XML fed back to define (a libvirt user's round trip) and a
    hand-written chain of another storage type are accepted; the
    persistent definition keeps no <backingStore>, and the next start
    shows the chain of the images, not the one given."""
    base, mid, top = chain(d.tmp)
    conn, dom = define(d, disk(top, "vda", "qcow2"))
    try:
        dom.create()
        live = dom.XMLDesc(0)
        dom.destroy()
        given = live.replace(
            "<backingStore/>",
            "<backingStore type='block' index='3'><format type='raw'/>"
            "<source dev='/dev/vg/elsewhere'/><backingStore/>"
            "</backingStore>", 1)
        assert "/dev/vg/elsewhere" in given
        virsh(d, "define", rv.write(os.path.join(d.tmp, "given.xml"), given))
        inactive = dom.XMLDesc(libvirt.VIR_DOMAIN_XML_INACTIVE)
        assert "backingStore" not in inactive, inactive
        with open(os.path.join(d.config, NAME + ".xml")) as f:
            assert "backingStore" not in f.read()
        dom.create()
        xml = dom.XMLDesc(0)
        assert "/dev/vg/elsewhere" not in xml, xml
        assert xml.count("<backingStore") == 3, xml
    finally:
        cleanup(d, conn)


@test
def restart_keeps_live_chain(d):
    """The live chain is in the state file: a daemon killed and started
    again shows the same one."""
    base, mid, top = chain(d.tmp)
    conn, dom = define(d, disk(top, "vda", "qcow2"))
    try:
        dom.create()
        before = disk_of(dom.XMLDesc(0), "vda")
        assert "index='2'" in before, before
        conn.close()
        d.stop(signal.SIGKILL)
        d.start()
        conn = libvirt.open(d.uri)
        dom = conn.lookupByName(NAME)
        assert disk_of(dom.XMLDesc(0), "vda") == before
    finally:
        cleanup(d, conn)


def drop_backing_format(path):
    """Turns the header's backing format extension into one of an unknown
    type (which readers skip): an image as older qemu-img made them,
    whose backing format nimbus probes."""
    with open(path, "r+b") as f:
        head = f.read(65536)
        at = head.find(b"\xe2\x79\x2a\xca")
        assert at > 0, path
        f.seek(at)
        f.write(b"\x7f\x00\x00\x01")


@test
def backing_format_probed(d):
    """Without a backing format in the header the format shown is the one
    nimbus's probe finds: qcow2 by its magic, raw for anything else."""
    base, mid, top = chain(d.tmp)
    drop_backing_format(top)
    drop_backing_format(mid)
    conn, dom = define(d, disk(top, "vda", "qcow2"))
    try:
        dom.create()
        vda = disk_of(dom.XMLDesc(0), "vda")
        assert expected_chain(os.path.join(d.tmp, "chain", "mid.qcow2"),
                              base) in vda, vda
    finally:
        cleanup(d, conn)


@test
def broken_chain_fails_start(d):
    """A missing backing file and a loop are refused at start, by name,
    and the domain stays shut off."""
    tmp = os.path.join(d.tmp, "chain")
    os.makedirs(tmp, exist_ok=True)
    miss = os.path.join(tmp, "miss.qcow2")
    qemu_img("create", "-q", "-f", "qcow2", "-u", "-b", "gone.raw", "-F",
             "raw", miss, "1M")
    a = os.path.join(tmp, "loop-a.qcow2")
    b = os.path.join(tmp, "loop-b.qcow2")
    qemu_img("create", "-q", "-f", "qcow2", b, "1M")
    qemu_img("create", "-q", "-f", "qcow2", "-b", b, "-F", "qcow2", a)
    qemu_img("rebase", "-u", "-b", a, "-F", "qcow2", b)
    for path, needle in ((miss, os.path.join(tmp, "gone.raw")),
                         (a, "longer than 16 images")):
        conn, dom = define(d, disk(path, "vda", "qcow2"))
        try:
            r = virsh(d, "start", NAME, check=False)
            assert r.returncode != 0 and needle in r.stderr, \
                (r.returncode, r.stderr)
            assert rv.domstate(d, NAME).startswith("shut off"), \
                rv.domstate(d, NAME)
        finally:
            cleanup(d, conn)


def main():
    libvirt.registerErrorHandler(lambda ctx, err: None, None)
    tmp = tempfile.mkdtemp(prefix="nd-backing-", dir="/tmp")
    d = rv.Daemon(tmp)
    failed = 0
    print("1..%d" % len(TESTS))
    try:
        d.start()
        failed += rv.run_tap(TESTS, "/nimbusd/backing", d)
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
