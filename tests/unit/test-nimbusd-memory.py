#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
# nimbusd's memory devices with stock virsh and python3-libvirt against the
# fake VMM: a <maxMemory> domain with a virtio-mem device boots with
# hotplug_method=virtio-mem; virsh update-memory-device moves <requested>
# (vm.resize desired_ram live, the persistent XML with --config) and the
# live XML shows the guest's <current> from vm.info; the refusals leave
# both definitions as they were.  setmem's limit and balloon leave the
# virtio-mem region out (libvirt's accounting), and python3-libvirt gets
# MEMORY_DEVICE_SIZE_CHANGE when the guest's plugged size moves.  With
# NUMA cells the device grows its <node>'s cell's memory zone: the live
# update is vm.resize-zone of that zone.  TAP output.  Reuses
# test-rpc-virsh.py.
import importlib.util
import os
import re
import shutil
import sys
import tempfile
import threading
import time

import libvirt

HERE = os.path.dirname(os.path.abspath(__file__))
_spec = importlib.util.spec_from_file_location(
    "rpcvirsh", os.path.join(HERE, "test-rpc-virsh.py"))
rv = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(rv)

virsh, write = rv.virsh, rv.write
NAME = "vm-mem"
UUID = "9d0e1f20-0000-4000-8000-0000000000e1"
MIB = 1024            # KiB
TESTS = []


def test(fn):
    TESTS.append(fn)
    return fn


# 512 MiB of boot RAM (the golden's) and a virtio-mem device of 1 GiB of
# which 256 MiB are plugged at boot; <memory> is the total (libvirt's
# accounting: boot RAM plus the device's size).
VMEM = ("<memory model='virtio-mem'><target><size unit='MiB'>1024</size>"
        "<node>0</node><block unit='KiB'>2048</block>"
        "<requested unit='MiB'>256</requested></target></memory>")


def define(d):
    xml = rv.golden_xml(NAME, UUID, VMEM)
    xml = xml.replace("<memory>524288</memory>",
                      "<maxMemory slots='4' unit='GiB'>4</maxMemory>"
                      "<memory unit='MiB'>1536</memory>")
    xml = xml.replace("<currentMemory>524288</currentMemory>", "")
    xml = xml.replace("/var/lib/nimbus/images/%s.raw" % NAME,
                      write(os.path.join(d.tmp, "mem.raw"), ""))
    virsh(d, "define", write(os.path.join(d.tmp, "mem.xml"), xml))


def dump(d, *flags):
    return virsh(d, "dumpxml", NAME, *flags).stdout


def size_of(xml, element):
    m = re.search(r"<%s unit='KiB'>(\d+)</%s>" % (element, element), xml)
    return int(m.group(1)) if m else None


def refused(d, needle, *args):
    r = virsh(d, *args, check=False)
    assert r.returncode != 0 and needle in r.stderr, (args, r.stderr)


@test
def config_update(d):
    """Shut off: update-memory-device changes <requested> in the
    persistent XML; sizes the device cannot have are refused."""
    define(d)
    try:
        xml = dump(d, "--inactive")
        assert "<maxMemory slots='4' unit='KiB'>4194304</maxMemory>" in xml
        assert size_of(xml, "requested") == 256 * MIB, xml
        virsh(d, "update-memory-device", NAME, "--requested-size", "512MiB",
              "--config")
        xml = dump(d, "--inactive")
        assert size_of(xml, "requested") == 512 * MIB, xml
        assert "<current unit" not in xml, xml
        refused(d, "at most <size>", "update-memory-device", NAME,
                "--requested-size", "2GiB", "--config")
        refused(d, "multiple of the block size", "update-memory-device",
                NAME, "--requested-size", "1025KiB", "--config")
        assert size_of(dump(d, "--inactive"), "requested") == 512 * MIB
    finally:
        virsh(d, "undefine", NAME, check=False)


@test
def live_update(d):
    """Running: the new <requested> reaches the VMM as desired_ram (boot
    RAM plus requested), the live XML shows what the guest plugged as
    <current>, and --config is left alone unless asked for."""
    define(d)
    conn = libvirt.open(d.uri)
    try:
        virsh(d, "start", NAME)
        xml = dump(d)
        assert size_of(xml, "requested") == 256 * MIB, xml
        assert size_of(xml, "current") == 256 * MIB, xml
        virsh(d, "update-memory-device", NAME, "--requested-size", "768MiB")
        xml = dump(d)
        assert size_of(xml, "requested") == 768 * MIB, xml
        # The fake guest plugs at once: 512 MiB boot + 768 MiB.
        assert size_of(xml, "current") == 768 * MIB, xml
        assert size_of(dump(d, "--inactive"), "requested") == 256 * MIB
        # python3-libvirt: the element with nothing but <requested> changed.
        dom = conn.lookupByName(NAME)
        elem = re.search(r"<memory model='virtio-mem'>.*?</memory>",
                         dom.XMLDesc(0), re.S).group(0)
        elem = re.sub(r"<requested unit='KiB'>\d+</requested>",
                      "<requested unit='KiB'>131072</requested>", elem)
        dom.updateDeviceFlags(elem, libvirt.VIR_DOMAIN_AFFECT_LIVE |
                              libvirt.VIR_DOMAIN_AFFECT_CONFIG)
        assert size_of(dump(d), "current") == 128 * MIB
        assert size_of(dump(d, "--inactive"), "requested") == 128 * MIB
        # Anything but <requested>: refused, nothing changes.
        live = dump(d)
        bigger = elem.replace("<size unit='KiB'>1048576</size>",
                              "<size unit='KiB'>2097152</size>")
        assert bigger != elem
        try:
            dom.updateDeviceFlags(bigger, libvirt.VIR_DOMAIN_AFFECT_LIVE)
            raise AssertionError("a new <size> was accepted")
        except libvirt.libvirtError as e:
            assert "cannot modify the size" in str(e), str(e)
        try:
            dom.updateDeviceFlags(elem.replace(
                "</target>", "</target><alias name='ua-nope'/>"),
                libvirt.VIR_DOMAIN_AFFECT_LIVE)
            raise AssertionError("an unknown alias was accepted")
        except libvirt.libvirtError as e:
            assert "alias 'ua-nope' not found" in str(e), str(e)
        refused(d, "memory device 'dimm' cannot be updated",
                "update-device", NAME, write(os.path.join(d.tmp, "d.xml"),
                                             "<memory model='dimm'><target>"
                                             "<size>131072</size></target>"
                                             "</memory>"))
        assert dump(d) == live
    finally:
        conn.close()
        virsh(d, "destroy", NAME, check=False)
        virsh(d, "undefine", NAME, check=False)


@test
def setmem_and_size_events(d):
    """With a balloon: setmem's maximum is <memory> less the virtio-mem
    region (libvirt's rule), the balloon takes what the guest has (boot
    RAM and what virtio-mem plugged) beyond the target, and every change
    of the plugged size reaches python3-libvirt as
    MEMORY_DEVICE_SIZE_CHANGE (alias, KiB) without anyone reading the XML
    (nimbusd follows the guest after update-memory-device)."""
    define(d)
    xml = dump(d, "--inactive").replace("</devices>",
                                        "<memballoon model='virtio'/>"
                                        "</devices>")
    virsh(d, "define", write(os.path.join(d.tmp, "mem-b.xml"), xml))
    conn = libvirt.open(d.uri)
    events = []
    cb = conn.domainEventRegisterAny(
        None, libvirt.VIR_DOMAIN_EVENT_ID_MEMORY_DEVICE_SIZE_CHANGE,
        lambda c, dom, alias, size, o: events.append((dom.name(), alias,
                                                      size)), None)

    def wait_event(want):
        deadline = time.time() + 10
        while want not in events and time.time() < deadline:
            time.sleep(0.05)
        assert want in events, (want, events)

    def actual():
        out = virsh(d, "dommemstat", NAME).stdout
        return int(dict(l.split() for l in out.splitlines())["actual"])

    try:
        virsh(d, "start", NAME)
        # The first reading: the guest plugged its 256 MiB at boot.
        assert size_of(dump(d), "current") == 256 * MIB
        wait_event((NAME, "virtiomem0", 256 * MIB))
        # <memory> is 1536 MiB, 1 GiB of it the virtio-mem region.
        refused(d, "cannot set memory higher than max memory (524288 KiB)",
                "setmem", NAME, "1GiB", "--live")
        refused(d, "cannot set memory higher than max memory (524288 KiB)",
                "setmem", NAME, "1GiB", "--config")
        # 512 MiB boot + 256 MiB plugged: a balloon of 384 MiB.
        virsh(d, "setmem", NAME, "384MiB", "--live")
        assert actual() == 384 * MIB
        del events[:]
        virsh(d, "update-memory-device", NAME, "--requested-size", "768MiB")
        wait_event((NAME, "virtiomem0", 768 * MIB))
        assert len(events) == 1, events
        # The guest has 768 MiB more; the balloon holds its 384 MiB.
        assert actual() == (512 + 768 - 384) * MIB
    finally:
        conn.domainEventDeregisterAny(cb)
        conn.close()
        virsh(d, "destroy", NAME, check=False)
        virsh(d, "undefine", NAME, check=False)


PMEM = ("<memory model='virtio-pmem' access='shared'><source><path>%s"
        "</path></source><target><size unit='MiB'>64</size></target>"
        "</memory>")


@test
def numa_cell_update(d):
    """With two NUMA cells and the device on cell 1: the VMM gets the
    region as zone ram-node1's hotplug_size, update-memory-device asks
    vm.resize-zone for that zone's size plus <requested>, and the live
    XML's <current> follows what the (fake) guest plugged."""
    name, uuid = "vm-mem-numa", "9d0e1f20-0000-4000-8000-0000000000e2"
    vmem = VMEM.replace("<node>0</node>", "<node>1</node>")
    xml = rv.golden_xml(name, uuid, vmem)
    xml = xml.replace("<memory>524288</memory>",
                      "<maxMemory slots='4' unit='GiB'>4</maxMemory>"
                      "<memory unit='MiB'>1536</memory>")
    xml = xml.replace("<currentMemory>524288</currentMemory>", "")
    xml = xml.replace("<vcpu>1</vcpu>", "<vcpu>2</vcpu>")
    xml = xml.replace("</os>", "</os><cpu><numa>"
                      "<cell id='0' cpus='0' memory='256' unit='MiB'/>"
                      "<cell id='1' cpus='1' memory='256' unit='MiB'/>"
                      "</numa></cpu>")
    xml = xml.replace("/var/lib/nimbus/images/%s.raw" % name,
                      write(os.path.join(d.tmp, "mem-numa.raw"), ""))
    virsh(d, "define", write(os.path.join(d.tmp, "mem-numa.xml"), xml))
    try:
        virsh(d, "start", name)
        live = virsh(d, "dumpxml", name).stdout
        assert size_of(live, "current") == 256 * MIB, live
        virsh(d, "update-memory-device", name, "--requested-size", "768MiB")
        live = virsh(d, "dumpxml", name).stdout
        assert size_of(live, "requested") == 768 * MIB, live
        assert size_of(live, "current") == 768 * MIB, live
        refused(d, "at most <size>", "update-memory-device", name,
                "--requested-size", "2GiB")
        assert size_of(virsh(d, "dumpxml", name).stdout,
                       "current") == 768 * MIB
    finally:
        virsh(d, "destroy", name, check=False)
        virsh(d, "undefine", name, check=False)


@test
def pmem_attach_detach(d):
    """virtio-pmem: attach-device live is vm.add-pmem (libvirt's alias,
    the PCI address nimbus answers, <memory> grows by its size), detach
    is vm.remove-device; --config edits the persistent XML; what nimbus
    cannot plug (a second virtio-mem device, the virtio-mem device out of
    a running guest) is refused and nothing changes."""
    define(d)
    dev = write(os.path.join(d.tmp, "pmem.xml"),
                PMEM % write(os.path.join(d.tmp, "pmem.img"), ""))
    try:
        virsh(d, "start", NAME)
        total = size_of(dump(d), "memory")
        virsh(d, "attach-device", NAME, dev, "--live")
        xml = dump(d)
        elem = re.search(r"<memory model='virtio-pmem'.*?</memory>", xml,
                         re.S).group(0)
        assert "<alias name='virtiopmem0'/>" in elem, elem
        assert "<address type='pci'" in elem, elem
        assert size_of(xml, "memory") == total + 64 * MIB, xml
        assert "virtio-pmem" not in dump(d, "--inactive")
        virsh(d, "detach-device", NAME, dev, "--live")
        xml = dump(d)
        assert "virtio-pmem" not in xml and size_of(xml, "memory") == total
        # The persistent definition only, while running.
        virsh(d, "attach-device", NAME, dev, "--config")
        assert "virtio-pmem" in dump(d, "--inactive")
        assert "virtio-pmem" not in dump(d)
        virsh(d, "detach-device", NAME, dev, "--config")
        assert "virtio-pmem" not in dump(d, "--inactive")
        live = dump(d)
        refused(d, "nimbus supports one virtio-mem memory device, got 2",
                "attach-device", NAME, write(os.path.join(d.tmp, "vm.xml"),
                                             VMEM), "--live")
        refused(d, "matching 'virtio-pmem' memory device not found",
                "detach-device", NAME, dev, "--live")
        refused(d, "nimbus cannot unplug a 'virtio-mem' memory device",
                "detach-device", NAME, write(os.path.join(d.tmp, "vm.xml"),
                                             VMEM), "--live")
        assert dump(d) == live
    finally:
        virsh(d, "destroy", NAME, check=False)
        virsh(d, "undefine", NAME, check=False)


def main():
    libvirt.virEventRegisterDefaultImpl()
    threading.Thread(target=rv.event_loop, daemon=True).start()
    libvirt.registerErrorHandler(lambda ctx, err: None, None)
    tmp = tempfile.mkdtemp(prefix="nd-mem-", dir="/tmp")
    d = rv.Daemon(tmp)
    failed = 0
    print("1..%d" % len(TESTS))
    try:
        d.start()
        failed += rv.run_tap(TESTS, "/nimbusd/memory", d)
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
