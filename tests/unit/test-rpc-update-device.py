#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
# nimbusd's update-device (DOMAIN_UPDATE_DEVICE_FLAGS) with stock virsh
# against the fake VMM: --config replaces the matching disk (by target
# dev) or interface (by MAC) in the persistent definition; a live update
# that changes nothing succeeds, anything else is refused with libvirt's
# words and leaves both definitions as they were.  TAP output.
import importlib.util
import os
import re
import shutil
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
_spec = importlib.util.spec_from_file_location(
    "rpcvirsh", os.path.join(HERE, "test-rpc-virsh.py"))
rv = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(rv)

virsh, write = rv.virsh, rv.write
NAME = "vm-update"
UUID = "8c9d0e1f-0000-4000-8000-0000000000d1"
MAC = "52:54:00:aa:bb:31"
TESTS = []


def test(fn):
    TESTS.append(fn)
    return fn


def image(d, name):
    p = os.path.join(d.tmp, name)
    if not os.path.exists(p):
        with open(p, "wb") as f:
            f.truncate(1 << 20)
    return p


def disk(d, src, extra=""):
    return ("<disk type='file' device='disk'><driver name='qemu' "
            "type='raw'/><source file='%s'/><target dev='vdb' "
            "bus='virtio'/>%s</disk>" % (image(d, src), extra))


def nic(extra="", mac=MAC):
    return ("<interface type='ethernet'><mac address='%s'/>"
            "<target dev='tapud0'/><model type='virtio'/>%s</interface>"
            % (mac, extra))


def xml_file(d, text):
    return write(os.path.join(d.tmp, "dev.xml"), text)


def define(d):
    xml = rv.golden_xml(NAME, UUID, disk(d, "b.raw") + nic())
    xml = xml.replace("/var/lib/nimbus/images/%s.raw" % NAME,
                      image(d, "a.raw"))
    virsh(d, "define", write(os.path.join(d.tmp, "ud.xml"), xml))


def dump(d, *flags):
    return virsh(d, "dumpxml", NAME, *flags).stdout


def refused(d, needle, *args):
    r = virsh(d, *args, check=False)
    assert r.returncode != 0 and needle in r.stderr, (args, r.stderr)


@test
def config_replaces_matching_device(d):
    """--config on a shut-off domain: the disk matched by target dev and
    the interface matched by MAC are replaced in place."""
    define(d)
    try:
        virsh(d, "update-device", NAME, xml_file(d, disk(d, "c.raw")),
              "--config")
        xml = dump(d, "--inactive")
        assert image(d, "c.raw") in xml and image(d, "b.raw") not in xml
        # Still the second disk: replaced where it was.
        targets = re.findall(r"<target dev='(vd.)'", xml)
        assert targets == ["vda", "vdb"], targets
        virsh(d, "update-device", NAME, xml_file(d, nic("<mtu size='1400'/>")),
              "--config")
        xml = dump(d, "--inactive")
        assert "<mtu size='1400'/>" in xml, xml
        assert xml.count("<interface") == 1, xml
        # --current on a shut-off domain is --config.
        virsh(d, "update-device", NAME, xml_file(d, disk(d, "b.raw")),
              "--current")
        assert image(d, "b.raw") in dump(d, "--inactive")
        # Matching: no such target, no such MAC.
        bad = disk(d, "c.raw").replace("vdb", "vdz")
        refused(d, "vdz", "update-device", NAME, xml_file(d, bad), "--config")
        refused(d, "52:54:00:aa:bb:99", "update-device", NAME,
                xml_file(d, nic(mac="52:54:00:aa:bb:99")), "--config")
        # Refused by the same rules as a definition, nothing written.
        before = dump(d, "--inactive")
        refused(d, "memory", "update-device", NAME,
                xml_file(d, "<memory model='dimm'/>"), "--config")
        refused(d, "link state", "update-device", NAME,
                xml_file(d, nic("<link state='down'/>")), "--config")
        refused(d, "domain is not running", "update-device", NAME,
                xml_file(d, disk(d, "c.raw")), "--live")
        assert dump(d, "--inactive") == before
    finally:
        virsh(d, "undefine", NAME, check=False)


@test
def live_update(d):
    """A running domain: an unchanged device is accepted; a new source,
    other disk settings, NIC settings or link state are refused with
    libvirt's words; --live --config changes nothing when the live part
    is refused."""
    define(d)
    try:
        virsh(d, "start", NAME)
        live = dump(d)
        inactive = dump(d, "--inactive")
        virsh(d, "update-device", NAME, xml_file(d, disk(d, "b.raw")))
        virsh(d, "update-device", NAME, xml_file(d, nic()), "--live")
        assert dump(d) == live
        refused(d, "Operation not supported: disk bus 'virtio' cannot be "
                "updated.", "update-device", NAME,
                xml_file(d, disk(d, "c.raw")), "--live")
        refused(d, "Operation not supported: cannot modify the settings",
                "update-device", NAME,
                xml_file(d, disk(d, "b.raw", "<readonly/>")), "--live")
        refused(d, "Operation not supported: cannot modify network device",
                "update-device", NAME, xml_file(d, nic("<mtu size='1400'/>")),
                "--live")
        refused(d, "Operation not supported: changing the link state",
                "update-device", NAME, xml_file(d, nic("<link state='up'/>")),
                "--live")
        # Memory devices update only a virtio-mem's <requested>
        # (test-nimbusd-memory.py); this domain has none.
        refused(d, "memory device 'dimm' cannot be updated",
                "update-device", NAME,
                xml_file(d, "<memory model='dimm'><target><size>131072"
                         "</size></target></memory>"))
        refused(d, "cannot be updated", "update-device", NAME,
                xml_file(d, disk(d, "c.raw")), "--live", "--config")
        assert dump(d) == live and dump(d, "--inactive") == inactive
        # --config alone while running: the next start's definition.
        virsh(d, "update-device", NAME, xml_file(d, disk(d, "c.raw")),
              "--config")
        assert image(d, "c.raw") in dump(d, "--inactive")
        assert dump(d) == live
        virsh(d, "destroy", NAME)
        virsh(d, "start", NAME)
        assert image(d, "c.raw") in dump(d)
    finally:
        virsh(d, "destroy", NAME, check=False)
        virsh(d, "undefine", NAME, check=False)


def main():
    tmp = tempfile.mkdtemp(prefix="nd-update-", dir="/tmp")
    d = rv.Daemon(tmp)
    failed = 0
    print("1..%d" % len(TESTS))
    try:
        d.start()
        failed += rv.run_tap(TESTS, "/rpc/update-device", d)
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
