#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
# nimbusd's attach/detach-device, detach-device-alias and blockresize with
# stock virsh and python3-libvirt: libvirt's flag semantics for running and
# shut-off domains, the live XML (alias, PCI address), DEVICE_ADDED /
# DEVICE_REMOVED / DEVICE_REMOVAL_FAILED, and the refusals that leave the
# domain unchanged.  The VMM is tests/unit/rpc-fake-nimbus.py (no KVM).
# TAP output.  Reuses test-rpc-virsh.py's helpers.
import importlib.util
import os
import re
import shutil
import sys
import tempfile
import threading

import libvirt

HERE = os.path.dirname(os.path.abspath(__file__))
_spec = importlib.util.spec_from_file_location(
    "rpcvirsh", os.path.join(HERE, "test-rpc-virsh.py"))
rv = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(rv)

virsh, write, wait_for = rv.virsh, rv.write, rv.wait_for
TESTS = []
NAME = "vm-hp"
UUID = "7a1b2c3d-0000-4000-8000-0000000000c1"


def test(fn):
    TESTS.append(fn)
    return fn


class DeviceEvents:
    """DEVICE_ADDED, DEVICE_REMOVED and DEVICE_REMOVAL_FAILED of one
    python3-libvirt connection, as (kind, domain, alias)."""

    def __init__(self, uri):
        self.lock = threading.Lock()
        self.seen = []
        self.conn = libvirt.open(uri)
        self.cbs = [
            self.conn.domainEventRegisterAny(
                None, ev, lambda c, dom, alias, op, k=kind:
                self._on(k, dom, alias), None)
            for kind, ev in (
                ("added", libvirt.VIR_DOMAIN_EVENT_ID_DEVICE_ADDED),
                ("removed", libvirt.VIR_DOMAIN_EVENT_ID_DEVICE_REMOVED),
                ("failed", libvirt.VIR_DOMAIN_EVENT_ID_DEVICE_REMOVAL_FAILED))]

    def _on(self, kind, dom, alias):
        with self.lock:
            self.seen.append((kind, dom.name(), alias))

    def expect(self, kind, name, alias):
        want = (kind, name, alias)

        def got():
            with self.lock:
                if want in self.seen:
                    self.seen.remove(want)
                    return True
                return False
        wait_for(got, "event %r (seen %r)" % (want, self.seen))

    def none(self):
        with self.lock:
            assert not self.seen, self.seen

    def close(self):
        # A daemon restart took the connection and its callbacks with it.
        try:
            for cb in self.cbs:
                self.conn.domainEventDeregisterAny(cb)
            self.conn.close()
        except libvirt.libvirtError:
            pass


class Ctx:
    def __init__(self, d):
        self.d = d
        self.tmp = d.tmp
        self.ev = None

    def path(self, name, size=1 << 20):
        p = os.path.join(self.tmp, name)
        if not os.path.exists(p):
            with open(p, "wb") as f:
                f.truncate(size)
        return p

    def define(self, name=NAME, uuid=UUID, disk=None):
        # golden_xml() renames the image too.
        xml = rv.golden_xml(name, uuid)
        xml = xml.replace("/var/lib/nimbus/images/%s.raw" % name,
                          disk or self.path(name + ".raw"))
        virsh(self.d, "define", write(os.path.join(self.tmp, name + ".xml"),
                                      xml))

    def disk_xml(self, name, target, fmt="raw", extra=""):
        return write(os.path.join(self.tmp, "%s-%s.xml" % (name, target)),
                     "<disk type='file' device='disk'>"
                     "<driver name='qemu' type='%s'/>"
                     "<source file='%s'/><target dev='%s' bus='virtio'/>%s"
                     "</disk>" % (fmt, self.path(name), target, extra))

    def live(self, name=NAME):
        return virsh(self.d, "dumpxml", name).stdout

    def inactive(self, name=NAME):
        return virsh(self.d, "dumpxml", "--inactive", name).stdout


def refused(r, text):
    assert r.returncode != 0, r.stdout
    assert text in r.stderr, r.stderr


def disk_block(xml, target):
    """The <disk> element of @target in @xml, or None."""
    for m in re.finditer(r"<disk .*?</disk>", xml, re.S):
        if "dev='%s'" % target in m.group(0):
            return m.group(0)
    return None


# ---- the tests --------------------------------------------------------------


@test
def live_attach_detach_disk_with_events(c):
    c.define()
    virsh(c.d, "start", NAME)
    before_inactive = c.inactive()
    virsh(c.d, "attach-device", NAME, c.disk_xml("data1.raw", "vdb"), "--live")
    disk = disk_block(c.live(), "vdb")
    assert disk, c.live()
    assert "<alias name='virtio-disk0'/>" in disk, disk
    # vda has slot 1; the hot-added disk the next free one.
    assert re.search(r"<address type='pci' domain='0x0000' bus='0x00' "
                     r"slot='0x02' function='0x0'/>", disk), disk
    c.ev.expect("added", NAME, "virtio-disk0")
    assert c.inactive() == before_inactive
    # nimbus knows it by its alias: vm.counters reports under that id.
    stats = virsh(c.d, "domblkstat", NAME, "vdb").stdout
    assert re.search(r"rd_req\s+20", stats), stats
    virsh(c.d, "detach-device", NAME, c.disk_xml("data1.raw", "vdb"),
          "--live")
    assert disk_block(c.live(), "vdb") is None, c.live()
    c.ev.expect("removed", NAME, "virtio-disk0")
    r = virsh(c.d, "domblkstat", NAME, "vdb", check=False)
    assert r.returncode != 0


@test
def attach_disk_qcow2_and_detach_disk(c):
    # virsh's own XML builders, legacy and flags calls alike.
    img = c.path("data2.qcow2")
    virsh(c.d, "attach-disk", NAME, img, "vdc", "--subdriver", "qcow2",
          "--live")
    disk = disk_block(c.live(), "vdc")
    assert disk and "type='qcow2'" in disk, c.live()
    c.ev.expect("added", NAME, "virtio-disk0")
    virsh(c.d, "detach-disk", NAME, "vdc", "--live")
    assert disk_block(c.live(), "vdc") is None
    c.ev.expect("removed", NAME, "virtio-disk0")
    # No flag: virsh sends the legacy ATTACH_DEVICE (8) / DETACH_DEVICE
    # (13), which act on the running domain.
    virsh(c.d, "attach-device", NAME, c.disk_xml("data3.raw", "vdd"))
    assert disk_block(c.live(), "vdd")
    assert disk_block(c.inactive(), "vdd") is None
    virsh(c.d, "detach-device", NAME, c.disk_xml("data3.raw", "vdd"))
    assert disk_block(c.live(), "vdd") is None
    c.ev.expect("added", NAME, "virtio-disk0")
    c.ev.expect("removed", NAME, "virtio-disk0")


@test
def detach_device_alias(c):
    virsh(c.d, "attach-device", NAME, c.disk_xml("data4.raw", "vde"),
          "--live")
    c.ev.expect("added", NAME, "virtio-disk0")
    r = virsh(c.d, "detach-device-alias", NAME, "no-such-alias", "--live",
              check=False)
    refused(r, "device with alias 'no-such-alias' not found")
    virsh(c.d, "detach-device-alias", NAME, "virtio-disk0", "--live")
    assert disk_block(c.live(), "vde") is None
    c.ev.expect("removed", NAME, "virtio-disk0")


@test
def config_and_persistent_flags(c):
    # --config on a running domain: the persistent definition only, saved
    # on disk; it shows after a restart.
    virsh(c.d, "attach-device", NAME, c.disk_xml("cfg1.raw", "vdf"),
          "--config")
    assert disk_block(c.live(), "vdf") is None
    assert disk_block(c.inactive(), "vdf")
    with open(os.path.join(c.d.config, NAME + ".xml")) as f:
        assert "vdf" in f.read()
    # --persistent (live + config) at once.
    virsh(c.d, "attach-device", NAME, c.disk_xml("cfg2.raw", "vdg"),
          "--persistent")
    assert disk_block(c.live(), "vdg") and disk_block(c.inactive(), "vdg")
    c.ev.expect("added", NAME, "virtio-disk0")
    virsh(c.d, "destroy", NAME)
    # Shut off: --live and no flag are libvirt's error; --current and
    # --config change the definition.
    r = virsh(c.d, "attach-device", NAME, c.disk_xml("cfg3.raw", "vdh"),
              "--live", check=False)
    refused(r, "domain is not running")
    r = virsh(c.d, "attach-device", NAME, c.disk_xml("cfg3.raw", "vdh"),
              check=False)
    refused(r, "domain is not running")
    virsh(c.d, "attach-device", NAME, c.disk_xml("cfg3.raw", "vdh"),
          "--current")
    virsh(c.d, "detach-device", NAME, c.disk_xml("cfg2.raw", "vdg"),
          "--config")
    virsh(c.d, "start", NAME)
    live = c.live()
    assert disk_block(live, "vdf") and disk_block(live, "vdh"), live
    assert disk_block(live, "vdg") is None, live
    # The daemon's restart keeps the persistent change.
    c.d.stop()
    c.d.start()
    c.ev.close()
    c.ev = DeviceEvents(c.d.uri)
    assert disk_block(c.inactive(), "vdh")
    virsh(c.d, "detach-device", NAME, c.disk_xml("cfg1.raw", "vdf"),
          "--config")
    virsh(c.d, "detach-device", NAME, c.disk_xml("cfg3.raw", "vdh"),
          "--config")
    assert disk_block(c.inactive(), "vdf") is None
    # The running definition keeps both until the domain restarts.
    assert disk_block(c.live(), "vdf")


@test
def transient_domain_has_no_config(c):
    xml = rv.golden_xml("vm-hp-t", "7a1b2c3d-0000-4000-8000-0000000000c2")
    xml = xml.replace("/var/lib/nimbus/images/vm-hp-t.raw", c.path("t.raw"))
    virsh(c.d, "create", write(os.path.join(c.tmp, "t.xml"), xml))
    try:
        r = virsh(c.d, "attach-device", "vm-hp-t",
                  c.disk_xml("t1.raw", "vdb"), "--config", check=False)
        refused(r, "transient domain")
        virsh(c.d, "attach-device", "vm-hp-t", c.disk_xml("t1.raw", "vdb"))
        assert disk_block(c.live("vm-hp-t"), "vdb")
        c.ev.expect("added", "vm-hp-t", "virtio-disk0")
    finally:
        virsh(c.d, "destroy", "vm-hp-t", check=False)


@test
def bad_attach_leaves_domain_unchanged(c):
    before = c.live()
    # A target the domain has.
    r = virsh(c.d, "attach-device", NAME, c.disk_xml("bad1.raw", "vda"),
              "--live", check=False)
    refused(r, "target 'vda' duplicated")
    # Not a disk, an interface or a memory device.
    r = virsh(c.d, "attach-device", NAME,
              write(os.path.join(c.tmp, "rng.xml"),
                    "<rng model='virtio'><backend model='random'>"
                    "/dev/urandom</backend></rng>"), "--live", check=False)
    refused(r, "only <disk>, <interface> and <memory>")
    # Not XML.
    r = virsh(c.d, "attach-device", NAME,
              write(os.path.join(c.tmp, "junk.xml"), "<disk"), "--live",
              check=False)
    assert r.returncode != 0
    # The VMM's refusal (an image that does not exist) passes through.
    r = virsh(c.d, "attach-device", NAME,
              write(os.path.join(c.tmp, "missing.xml"),
                    "<disk type='file' device='disk'><source file='%s'/>"
                    "<target dev='vdz' bus='virtio'/></disk>"
                    % os.path.join(c.tmp, "missing.raw")),
              "--live", check=False)
    refused(r, "cannot open disk image")
    # An image another running domain has open.
    c.define("vm-hp2", "7a1b2c3d-0000-4000-8000-0000000000c3",
             disk=c.path("shared.raw"))
    virsh(c.d, "start", "vm-hp2")
    try:
        r = virsh(c.d, "attach-device", NAME, c.disk_xml("shared.raw", "vdq"),
                  "--live", check=False)
        refused(r, "is in use by domain 'vm-hp2'")
    finally:
        virsh(c.d, "destroy", "vm-hp2")
        virsh(c.d, "undefine", "vm-hp2")
    # Detaching what is not there.
    r = virsh(c.d, "detach-device", NAME, c.disk_xml("bad1.raw", "vdy"),
              "--live", check=False)
    refused(r, "disk vdy not found")
    r = virsh(c.d, "detach-disk", NAME, "vdy", "--config", check=False)
    assert r.returncode != 0
    assert c.live() == before
    c.ev.none()


@test
def ethernet_interface(c):
    # virsh's attach-interface has no 'ethernet'; its XML as libvirt's.
    virsh(c.d, "attach-device", NAME,
          write(os.path.join(c.tmp, "eth.xml"),
                "<interface type='ethernet'>"
                "<mac address='52:54:00:aa:bb:01'/>"
                "<target dev='taphp0'/><model type='virtio'/></interface>"),
          "--live")
    live = c.live()
    m = re.search(r"<interface type='ethernet'>.*?</interface>", live, re.S)
    assert m and "<alias name='net0'/>" in m.group(0), live
    assert "<target dev='taphp0'/>" in m.group(0), m.group(0)
    assert "type='pci'" in m.group(0), m.group(0)
    c.ev.expect("added", NAME, "net0")
    stats = virsh(c.d, "domifstat", NAME, "taphp0").stdout
    assert re.search(r"rx_bytes\s+\d+", stats), stats
    r = virsh(c.d, "detach-interface", NAME, "ethernet", "--mac",
              "52:54:00:aa:bb:02", "--live", check=False)
    assert r.returncode != 0
    virsh(c.d, "detach-interface", NAME, "ethernet", "--mac",
          "52:54:00:aa:bb:01", "--live")
    assert "<interface" not in c.live()
    c.ev.expect("removed", NAME, "net0")


@test
def blockresize_grows_the_image(c):
    img = os.path.join(c.tmp, NAME + ".raw")
    size = os.path.getsize(img)
    virsh(c.d, "blockresize", NAME, "vda", "4M")
    assert os.path.getsize(img) == 4 << 20
    # By path too; KiB without a suffix (no BYTES flag).
    virsh(c.d, "blockresize", NAME, img, "8192")
    assert os.path.getsize(img) == 8 << 20
    r = virsh(c.d, "blockresize", NAME, "vda", "1M", check=False)
    refused(r, "shrinking")
    assert os.path.getsize(img) == 8 << 20
    r = virsh(c.d, "blockresize", NAME, "vdx", "8M", check=False)
    refused(r, "invalid path 'vdx'")
    virsh(c.d, "destroy", NAME)
    r = virsh(c.d, "blockresize", NAME, "vda", "16M", check=False)
    refused(r, "domain is not running")
    assert size < 8 << 20


def other_daemon(c, env, fn):
    """@fn(ctx) on a second nimbusd whose fake VMMs run with @env."""
    tmp = tempfile.mkdtemp(prefix="nd-hp2-", dir="/tmp")
    d = rv.Daemon(tmp, extra_env=env)
    d.start()
    ctx = Ctx(d)
    ctx.ev = DeviceEvents(d.uri)
    try:
        fn(ctx)
    finally:
        ctx.ev.close()
        virsh(d, "destroy", NAME, check=False)
        d.stop()
        rv.kill_vmms(d.state)
        shutil.rmtree(tmp, ignore_errors=True)


@test
def guest_never_ejects(c):
    def check(o):
        o.define()
        virsh(o.d, "start", NAME)
        before = o.live()
        r = virsh(o.d, "detach-disk", NAME, "vda", "--live", check=False)
        refused(r, "did not release")
        o.ev.expect("failed", NAME, "vda")
        assert o.live() == before
        o.ev.none()
    other_daemon(c, {"FAKE_NIMBUS_NO_EJECT": "1"}, check)


@test
def no_free_slot(c):
    def check(o):
        o.define()
        virsh(o.d, "start", NAME)
        before = o.live()
        r = virsh(o.d, "attach-device", NAME, o.disk_xml("x.raw", "vdb"),
                  "--live", check=False)
        refused(r, "no free PCI slot")
        assert o.live() == before
        o.ev.none()
    other_daemon(c, {"FAKE_NIMBUS_SLOTS": "1"}, check)


def main():
    libvirt.virEventRegisterDefaultImpl()
    threading.Thread(target=rv.event_loop, daemon=True).start()
    libvirt.registerErrorHandler(lambda ctx, err: None, None)
    tmp = tempfile.mkdtemp(prefix="nd-hp-", dir="/tmp")
    d = rv.Daemon(tmp)
    failed = 0
    print("1..%d" % len(TESTS))
    try:
        d.start()
        c = Ctx(d)
        c.ev = DeviceEvents(d.uri)
        failed += rv.run_tap(TESTS, "/nimbusd/hotplug", c)
        c.ev.close()
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
