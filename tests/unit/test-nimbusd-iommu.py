#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
# nimbusd's <iommu model='virtio'> and <driver iommu='on'> with stock
# virt-install, virsh and python3-libvirt against the fake VMM: the XML
# virt-install writes for --iommu model=virtio and driver.iommu=on defines,
# starts and dumps back the same (inactive and live), the VMM gets the
# top-level iommu and each translated device's iommu; a live attach of a
# translated device is refused with nimbusd's message (--config takes it),
# a live detach with the VMM's; other IOMMU models are refused by name.  TAP output.  Reuses
# test-rpc-virsh.py's helpers.
import http.client
import importlib.util
import json
import os
import shutil
import socket
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
_spec = importlib.util.spec_from_file_location(
    "rpcvirsh", os.path.join(HERE, "test-rpc-virsh.py"))
rv = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(rv)

virsh, write = rv.virsh, rv.write
NAME = "vm-iommu"
TESTS = []


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


def virt_install_xml(d, *extra):
    """What virt-install 4.1 writes against nimbusd for a guest with a
    virtio-iommu and a disk, a NIC and an rng behind it."""
    img = write(os.path.join(d.tmp, "iommu.raw"), "")
    r = rv.run(["virt-install", "--connect", d.uri, "--name", NAME,
                "--memory", "256", "--vcpus", "1", "--boot",
                "kernel=/boot/vmlinux,kernel_args=console=ttyS0",
                "--disk", "type=file,device=disk,source.file=%s,bus=virtio,"
                "driver.type=raw,driver.iommu=on"
                % img,
                "--network", "type=ethernet,target.dev=tap-iommu,"
                "model=virtio,driver.iommu=on",
                "--rng", "/dev/urandom,driver.iommu=on",
                "--iommu", "model=virtio", "--graphics", "none",
                "--console", "pty", "--osinfo", "linux2020", "--print-xml"]
               + list(extra))
    return r.stdout


def cleanup(d):
    virsh(d, "destroy", NAME, check=False)
    virsh(d, "undefine", NAME, check=False)


def check_xml(xml):
    assert "<iommu model='virtio'/>" in xml, xml
    # disk, interface and rng, each with its virtio option.
    assert xml.count("iommu='on'") == 3, xml


@test
def virt_install_define_start_dumpxml(d):
    try:
        xml = virt_install_xml(d)
        assert '<iommu model="virtio"/>' in xml, xml
        virsh(d, "define", write(os.path.join(d.tmp, NAME + ".xml"), xml))
        inactive = virsh(d, "dumpxml", "--inactive", NAME).stdout
        check_xml(inactive)
        virsh(d, "start", NAME)
        check_xml(virsh(d, "dumpxml", NAME).stdout)
        cfg = vmm_config(d)
        assert cfg["iommu"] is True, cfg
        assert cfg["disks"][0]["iommu"] is True, cfg["disks"]
        assert cfg["net"][0]["iommu"] is True, cfg["net"]
        assert cfg["rng"]["iommu"] is True, cfg["rng"]
        # What was defined comes back after the run.
        virsh(d, "destroy", NAME)
        assert virsh(d, "dumpxml", "--inactive", NAME).stdout == inactive
    finally:
        cleanup(d)


@test
def attach_translated_disk(d):
    disk = ("<disk type='file' device='disk'><driver type='raw' "
            "iommu='on'/><source file='%s'/><target dev='vdb' bus='virtio'/>"
            "</disk>" % write(os.path.join(d.tmp, "b.raw"), ""))
    dev = write(os.path.join(d.tmp, "disk-iommu.xml"), disk)
    try:
        virsh(d, "define", write(os.path.join(d.tmp, NAME + ".xml"),
                                 virt_install_xml(d)))
        virsh(d, "start", NAME)
        before = virsh(d, "dumpxml", NAME).stdout
        r = virsh(d, "attach-device", NAME, dev, "--live", check=False)
        assert r.returncode != 0, r.stdout
        assert ("attaching a <disk> with <driver iommu='on'/> to a running "
                "domain is not supported by nimbus") in r.stderr, r.stderr
        assert virsh(d, "dumpxml", NAME).stdout == before
        assert len(vmm_config(d)["disks"]) == 1
        # The next boot's definition takes it: it has the <iommu>.
        virsh(d, "attach-device", NAME, dev, "--config")
        persistent = virsh(d, "dumpxml", "--inactive", NAME).stdout
        assert "<target dev='vdb' bus='virtio'/>" in persistent, persistent
        assert persistent.count("iommu='on'") == 4, persistent
    finally:
        cleanup(d)


@test
def detach_translated_disk(d):
    try:
        virsh(d, "define", write(os.path.join(d.tmp, NAME + ".xml"),
                                 virt_install_xml(d)))
        virsh(d, "start", NAME)
        before = virsh(d, "dumpxml", NAME).stdout
        # The VMM's refusal (the fake's copy of it) reaches virsh.
        r = virsh(d, "detach-disk", NAME, "vda", "--live", check=False)
        assert r.returncode != 0, r.stdout
        assert "is behind the virtio-iommu (iommu=on) and cannot be " \
            "hot-removed" in r.stderr, r.stderr
        assert virsh(d, "dumpxml", NAME).stdout == before
    finally:
        cleanup(d)


@test
def refused_by_name(d):
    for dev, text in (
            ("<iommu model='intel'/>", "iommu model 'intel' is not supported"),
            ("<iommu model='virtio'><driver intremap='on'/></iommu>",
             "iommu driver attribute 'intremap' is not supported"),
            ("<memballoon model='virtio'><driver iommu='on'/></memballoon>",
             "<memballoon> with <driver iommu='on'/> is not supported")):
        xml = rv.golden_xml("vm-bad", "5a5a5a5a-1111-2222-3333-444444444446",
                            dev)
        r = virsh(d, "define", write(os.path.join(d.tmp, "bad.xml"), xml),
                  check=False)
        assert r.returncode != 0 and text in r.stderr, r.stderr
    xml = virt_install_xml(d).replace('<iommu model="virtio"/>', "")
    r = virsh(d, "define", write(os.path.join(d.tmp, "bad.xml"), xml),
              check=False)
    assert r.returncode != 0 and "has no <iommu model='virtio'/>" in \
        r.stderr, r.stderr
    assert "vm-bad" not in rv.names(d) and NAME not in rv.names(d)


def main():
    tmp = tempfile.mkdtemp(prefix="nd-iommu-", dir="/tmp")
    d = rv.Daemon(tmp)
    failed = 0
    print("1..%d" % len(TESTS))
    try:
        d.start()
        failed += rv.run_tap(TESTS, "/nimbusd/iommu", d)
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
