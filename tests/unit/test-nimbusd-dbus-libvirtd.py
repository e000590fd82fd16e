#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
# org.libvirt's host objects and events that come from libvirtd (issue 17):
# Connect.ListInterfaces/ListNodeDevices and the Interface and NodeDevice
# objects, and the NetworkEvent, StoragePoolEvent and StoragePool.Refresh
# signals made from libvirtd's own events.  A private, unprivileged libvirtd
# and a private dbus-daemon, set up as test-nimbusd-libvirtd.py does; every
# answer is checked against a direct connection to that libvirtd.  TAP.
#
#   NIMBUS_TEST_KEEP=1          keep the temp directory
import importlib.util
import os
import shutil
import sys
import tempfile

import libvirt

HERE = os.path.dirname(os.path.abspath(__file__))
_spec = importlib.util.spec_from_file_location(
    "ndlibvirtd", os.path.join(HERE, "test-nimbusd-libvirtd.py"))
lt = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(lt)
rv, nd = lt.rv, lt.nd
from gi.repository import Gio, GLib  # noqa: E402  (after the helpers, as they)

CONNECT, C_IFACE, PROPS = lt.CONNECT, lt.C_IFACE, lt.PROPS
I_IFACE = "org.libvirt.Interface"
N_IFACE = "org.libvirt.NodeDevice"
P_IFACE = "org.libvirt.StoragePool"
U0 = GLib.Variant("(u)", (0,))


def enc(s):
    """libvirt-dbus's path element for a string."""
    return "".join(ch if ch.isascii() and ch.isalnum() else "_%02x" % ord(ch) for ch in s)


TESTS = []


def test(fn):
    TESTS.append(fn)
    return fn


@test
def interfaces_are_libvirtds(c):
    want = {CONNECT + "/interface/" + enc(i.MACString()): i
            for i in c.direct.listAllInterfaces(0) if i.MACString()}
    assert want, "libvirtd lists no interface with a MAC"
    got = lt.dbus_one(c, "ListInterfaces", "(u)", 0)
    assert sorted(got) == sorted(want), (got, sorted(want))
    for path, iface in want.items():
        # What cockpit-machines reads: GetAll, then GetXMLDesc.
        assert lt.dbus_props(c, path, I_IFACE) == {
            "Active": bool(iface.isActive()), "MAC": iface.MACString(),
            "Name": iface.name()}, path
        assert c.bus.value(path, I_IFACE, "GetXMLDesc", U0)[0] == iface.XMLDesc(0)
    path, iface = sorted(want.items())[0]
    assert lt.dbus_one(c, "InterfaceLookupByName", "(s)", iface.name()) == path
    assert lt.dbus_one(c, "InterfaceLookupByMAC", "(s)", iface.MACString()) in want
    lt.same_error(c, lambda: c.bus.error(CONNECT, C_IFACE, "InterfaceLookupByName",
                                         GLib.Variant("(s)", ("nope0",))),
                  lambda: c.direct.interfaceLookupByName("nope0"))
    info = nd.introspect(c.bus, path).lookup_interface(I_IFACE)
    assert info is not None and nd.as_xml(info) == nd.as_xml(nd.reference(I_IFACE))
    # Paths that decode to nothing, or to no MAC libvirtd knows.
    for bad in ("_zz", "_", "x" * 4096, enc("02:00:00:00:00:99")):
        name, msg = c.bus.error(CONNECT + "/interface/" + bad, I_IFACE, "GetXMLDesc", U0)
        assert name == "org.libvirt.Error" and "not found" in msg.lower(), (bad, msg)


@test
def node_devices_are_libvirtds(c):
    want = {CONNECT + "/nodedev/" + enc(d.name()): d for d in c.direct.listAllDevices(0)}
    assert want, "libvirtd lists no node device"
    got = lt.dbus_one(c, "ListNodeDevices", "(u)", 0)
    assert sorted(got) == sorted(want), (got, sorted(want))
    for path, dev in sorted(want.items())[:8]:
        assert c.bus.value(path, N_IFACE, "GetXMLDesc", U0)[0] == dev.XMLDesc(0), path
        assert lt.dbus_props(c, path, N_IFACE) == {"Name": dev.name(),
                                                   "Parent": dev.parent() or ""}, path
        assert c.bus.value(path, N_IFACE, "ListCaps")[0] == dev.listCaps(), path
    path, dev = sorted(want.items())[0]
    assert lt.dbus_one(c, "NodeDeviceLookupByName", "(s)", dev.name()) == path
    lt.same_error(c, lambda: c.bus.error(CONNECT, C_IFACE, "NodeDeviceLookupByName",
                                         GLib.Variant("(s)", ("nodev",))),
                  lambda: c.direct.nodeDeviceLookupByName("nodev"))
    info = nd.introspect(c.bus, path).lookup_interface(N_IFACE)
    assert info is not None and nd.as_xml(info) == nd.as_xml(nd.reference(N_IFACE))
    # Handing a device to the hypervisor is the hypervisor driver's, which
    # nimbusd does not forward: libvirt's NO_SUPPORT, naming the API.
    name, msg = c.bus.error(path, N_IFACE, "Detach", GLib.Variant("(su)", ("", 0)))
    assert name == "org.libvirt.Error" and "virNodeDeviceDetachFlags" in msg, msg
    for bad in ("_zz", "_00", "y" * 4096, "nodev"):
        name, msg = c.bus.error(CONNECT + "/nodedev/" + bad, N_IFACE, "GetXMLDesc", U0)
        assert name == "org.libvirt.Error" and "not found" in msg.lower(), (bad, msg)


@test
def forwarded_objects_introspect_as_the_xml(c):
    # Every forwarded object, whatever its node names, introspects as
    # libvirt-dbus's interface XML exactly (test-nimbusd-dbus.py checks
    # Connect, Domain and DomainSnapshot).
    for sub, iface in (("network/_" + "0" * 36, "org.libvirt.Network"),
                       ("storagepool/_" + "0" * 36, P_IFACE),
                       ("storagevol/_2ftmp_2fx", "org.libvirt.StorageVol"),
                       ("interface/" + enc("02:00:00:00:00:01"), I_IFACE),
                       ("nodedev/computer", N_IFACE)):
        info = nd.introspect(c.bus, CONNECT + "/" + sub).lookup_interface(iface)
        assert info is not None, sub
        assert nd.as_xml(info) == nd.as_xml(nd.reference(iface)), sub


class Signals:
    """NetworkEvent, StoragePoolEvent and StoragePool.Refresh as received."""

    def __init__(self, bus):
        self.got = []
        self.bus = bus
        self.subs = [bus.conn.signal_subscribe(nd.NAME, iface, member, None, None,
                                               Gio.DBusSignalFlags.NONE, self._on)
                     for iface, member in ((C_IFACE, "NetworkEvent"),
                                           (C_IFACE, "StoragePoolEvent"),
                                           (P_IFACE, "Refresh"))]

    def _on(self, conn, sender, path, iface, member, params):
        self.got.append((member, path) + tuple(params.unpack()))

    def take(self, n, what):
        got = self.bus.pump(lambda: self.got if len(self.got) >= n else None, what)
        out, self.got = self.got[:n], self.got[n:]
        return out

    def close(self):
        for s in self.subs:
            self.bus.conn.signal_unsubscribe(s)


@test
def network_and_pool_events_are_signals(c):
    sig = Signals(c.bus)
    try:
        # The connection to libvirtd opens on the first forwarded call (as
        # libvirt-dbus's); from then on libvirtd's events are signals,
        # whoever changed the object: here a direct libvirtd client.
        lt.dbus_one(c, "ListNetworks", "(u)", 0)
        xml = lt.NETWORK_XML.replace("nmbnet", "evnet").replace("nmbtest0", "nmbev0") \
            .replace("<forward mode='nat'/>", "<forward mode='bridge'/>") \
            .replace("  <ip address='192.168.231.1' netmask='255.255.255.0'/>\n", "")
        net = c.direct.networkDefineXML(xml)
        npath = lt.uuid_path("network", net.UUIDString())
        net.create()
        net.destroy()
        net.undefine()
        ev = libvirt
        assert sig.take(4, "4 NetworkEvent") == [
            ("NetworkEvent", CONNECT, npath, e) for e in
            (ev.VIR_NETWORK_EVENT_DEFINED, ev.VIR_NETWORK_EVENT_STARTED,
             ev.VIR_NETWORK_EVENT_STOPPED, ev.VIR_NETWORK_EVENT_UNDEFINED)]
        pdir = os.path.join(c.tmp, "evpool")
        os.makedirs(pdir)
        c.lv.chown(pdir)
        pool = c.direct.storagePoolDefineXML(
            "<pool type='dir'><name>evpool</name><target><path>%s</path></target></pool>"
            % pdir)
        ppath = lt.uuid_path("storagepool", pool.UUIDString())
        pool.create()
        pool.refresh()
        pool.destroy()
        pool.undefine()
        got = sig.take(5, "the pool's 5 signals")
        assert got == [
            ("StoragePoolEvent", CONNECT, ppath, ev.VIR_STORAGE_POOL_EVENT_DEFINED, 0),
            ("StoragePoolEvent", CONNECT, ppath, ev.VIR_STORAGE_POOL_EVENT_STARTED, 0),
            ("Refresh", ppath),
            ("StoragePoolEvent", CONNECT, ppath, ev.VIR_STORAGE_POOL_EVENT_STOPPED, 0),
            ("StoragePoolEvent", CONNECT, ppath, ev.VIR_STORAGE_POOL_EVENT_UNDEFINED, 0),
        ], got
        # And the same through nimbusd's own D-Bus methods.
        path = lt.dbus_one(c, "NetworkDefineXML", "(s)", xml)
        c.bus.call(path, "org.libvirt.Network", "Undefine")
        assert sig.take(2, "2 NetworkEvent") == [
            ("NetworkEvent", CONNECT, path, ev.VIR_NETWORK_EVENT_DEFINED),
            ("NetworkEvent", CONNECT, path, ev.VIR_NETWORK_EVENT_UNDEFINED)]
    finally:
        sig.close()


@test
def events_survive_a_libvirtd_restart(c):
    """A new connection after libvirtd comes back registers again."""
    sig = Signals(c.bus)
    try:
        c.direct.close()
        c.direct = None
        c.lv.stop()
        c.lv.start()
        c.direct = libvirt.open(c.lv.uri)
        # The first forwarded call notices the dead connection and opens
        # a new one.
        lt.dbus_one(c, "ListNetworks", "(u)", 0)
        xml = lt.NETWORK_XML.replace("nmbnet", "evnet2").replace("nmbtest0", "nmbev1") \
            .replace("<forward mode='nat'/>", "<forward mode='bridge'/>") \
            .replace("  <ip address='192.168.231.1' netmask='255.255.255.0'/>\n", "")
        net = c.direct.networkDefineXML(xml)
        path = lt.uuid_path("network", net.UUIDString())
        net.undefine()
        assert sig.take(2, "2 NetworkEvent") == [
            ("NetworkEvent", CONNECT, path, libvirt.VIR_NETWORK_EVENT_DEFINED),
            ("NetworkEvent", CONNECT, path, libvirt.VIR_NETWORK_EVENT_UNDEFINED)]
    finally:
        sig.close()
    assert c.d.proc.poll() is None, "nimbusd died"


def main():
    libvirt.registerErrorHandler(lambda ctx, err: None, None)
    tmp = tempfile.mkdtemp(prefix="nd-dbus-lv-", dir="/tmp")
    # The unprivileged libvirtd must reach its directories inside.
    os.chmod(tmp, 0o755)
    c = lt.Ctx(tmp)
    failed = 0
    print("1..%d" % len(TESTS))
    try:
        c.lv.start()
        c.d.start()
        c.bus.pump(lambda: c.bus.call("/org/freedesktop/DBus", "org.freedesktop.DBus",
                                      "NameHasOwner", GLib.Variant("(s)", (nd.NAME,)),
                                      dest="org.freedesktop.DBus").unpack()[0],
                   "org.libvirt on the bus")
        c.direct = libvirt.open(c.lv.uri)
        c.conn = libvirt.open(c.d.uri)
        failed += rv.run_tap(TESTS, "/dbus/libvirtd", c)
    finally:
        for conn in (c.conn, c.direct):
            if conn:
                try:
                    conn.close()
                except libvirt.libvirtError:
                    pass
        c.d.stop()
        c.lv.stop()
        c.bus.stop()
        if failed or os.environ.get("NIMBUS_TEST_KEEP"):
            print("# logs and state kept in " + tmp)
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
