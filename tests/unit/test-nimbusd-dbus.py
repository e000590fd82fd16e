#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
# nimbusd's org.libvirt D-Bus service (driver/dbus/) on a private
# dbus-daemon, checked against libvirt-dbus's interface XML and against the
# same calls over the RPC socket (python3-libvirt).  The VMM is the fake
# tests/unit/rpc-fake-nimbus.py: no KVM.  TAP output.
#
#   NIMBUS_TEST_KEEP=1    keep the temp directory
import grp
import importlib.util
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time

import libvirt
from gi.repository import Gio, GLib

HERE = os.path.dirname(os.path.abspath(__file__))
_spec = importlib.util.spec_from_file_location("rpcvirsh", os.path.join(HERE, "test-rpc-virsh.py"))
rv = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(rv)

SRC = rv.SRC
IFACES = os.path.join(SRC, "data", "dbus", "interfaces")
NAME = "org.libvirt"
CONNECT = "/org/libvirt/CH"
C_IFACE = "org.libvirt.Connect"
D_IFACE = "org.libvirt.Domain"
S_IFACE = "org.libvirt.DomainSnapshot"
PROPS = "org.freedesktop.DBus.Properties"
UUID = "5b0b6e8e-4f0f-4c4e-9a43-6d0f3c1e2a01"
DOMNAME = "vm-dbus"
DOMPATH = CONNECT + "/domain/_" + UUID.replace("-", "_")
(DEFINED, UNDEFINED, STARTED, SUSPENDED, RESUMED, STOPPED, SHUTDOWN) = range(7)


class Daemon(rv.Daemon):
    """test-rpc-virsh.py's daemon, with more patience at start: this test
    starts four of them, and a loaded machine needs more than 10 s for
    one (the fake VMM's --version is a python3 start-up)."""

    def start(self, timeout=90):
        for s in (self.sock, self.sock_ro):
            if os.path.exists(s):
                os.unlink(s)
        self.proc = subprocess.Popen(
            [rv.NIMBUSD, "--listen", self.sock, "--listen-ro", self.sock_ro,
             "--state-dir", self.state, "--config-dir", self.config, "--verbose"]
            + self.args, env=self.env, stdout=self.log, stderr=self.log)
        rv.wait_for(lambda: self.proc.poll() is not None or
                    (os.path.exists(self.sock) and os.path.exists(self.sock_ro)),
                    "nimbusd to listen (%s)" % self.log.name, timeout)
        if self.proc.poll() is not None:
            raise RuntimeError("nimbusd exited (see %s)" % self.log.name)


class Bus:
    """A private dbus-daemon (session configuration) and one client."""

    def __init__(self, log):
        self.proc = subprocess.Popen(["dbus-daemon", "--session", "--nofork", "--print-address=1"],
                                     stdout=subprocess.PIPE, stderr=log, text=True)
        self.address = self.proc.stdout.readline().strip()
        assert self.address, "dbus-daemon printed no address"
        self.conn = Gio.DBusConnection.new_for_address_sync(
            self.address, Gio.DBusConnectionFlags.AUTHENTICATION_CLIENT |
            Gio.DBusConnectionFlags.MESSAGE_BUS_CONNECTION, None, None)
        self.events = []
        self.conn.signal_subscribe(NAME, C_IFACE, "DomainEvent", CONNECT, None,
                                   Gio.DBusSignalFlags.NONE, self._on_event)

    def _on_event(self, conn, sender, path, iface, signal, params):
        self.events.append(tuple(params.unpack()))

    def pump(self, pred, what, timeout=30):
        """Runs the client's main context (signals) until @pred holds."""
        ctx = GLib.MainContext.default()
        deadline = time.time() + timeout
        while True:
            while ctx.iteration(False):
                pass
            v = pred()
            if v:
                return v
            if time.time() > deadline:
                raise AssertionError("timed out waiting for " + what)
            time.sleep(0.02)

    def call(self, path, iface, method, args=None, sig=None, timeout=120000, dest=NAME):
        """The reply tuple as a GVariant; GLib.Error on failure."""
        return self.conn.call_sync(dest, path, iface, method, args,
                                   GLib.VariantType(sig) if sig else None,
                                   Gio.DBusCallFlags.NONE, timeout, None)

    def value(self, path, iface, method, args=None, sig=None):
        return self.call(path, iface, method, args, sig).unpack()

    def error(self, path, iface, method, args=None):
        """(D-Bus error name, message) of a call that must fail."""
        try:
            self.call(path, iface, method, args)
        except GLib.Error as e:
            name = Gio.DBusError.get_remote_error(e)
            prefix = "GDBus.Error:%s: " % name
            msg = e.message[len(prefix):] if e.message.startswith(prefix) else e.message
            return name, msg
        raise AssertionError("%s.%s on %s succeeded" % (iface, method, path))

    def stop(self):
        self.conn.close_sync(None)
        self.proc.terminate()
        self.proc.wait(10)


def rpc_error(fn, *args):
    try:
        fn(*args)
    except libvirt.libvirtError as e:
        return e.get_error_message()
    raise AssertionError("%r succeeded" % fn)


def introspect(bus, path):
    out = subprocess.run(["gdbus", "introspect", "--address", bus.address, "--dest", NAME,
                          "--object-path", path, "--xml"], stdout=subprocess.PIPE,
                         text=True, check=True).stdout
    return Gio.DBusNodeInfo.new_for_xml(out)


def reference(iface):
    with open(os.path.join(IFACES, iface + ".xml")) as f:
        return Gio.DBusNodeInfo.new_for_xml(f.read()).lookup_interface(iface)


def as_xml(info):
    s = GLib.String()
    info.generate_xml(0, s)
    return s.str


def domain_xml():
    return rv.golden_xml(DOMNAME, UUID)


TESTS = []


def test(fn):
    TESTS.append(fn)
    return fn


# ---- the tests ----------------------------------------------------------------


@test
def connect_introspection_matches_xml(ctx):
    node = introspect(ctx.bus, CONNECT)
    got = node.lookup_interface(C_IFACE)
    assert got is not None, "no %s at %s" % (C_IFACE, CONNECT)
    assert as_xml(got) == as_xml(reference(C_IFACE)), as_xml(got)
    assert "domain" in [n.path for n in node.nodes], [n.path for n in node.nodes]


@test
def define_lookup_list(ctx):
    bus, conn = ctx.bus, ctx.conn
    path = bus.value(CONNECT, C_IFACE, "DomainDefineXML", GLib.Variant("(s)", (domain_xml(),)))[0]
    assert path == DOMPATH, path
    assert bus.value(CONNECT, C_IFACE, "ListDomains", GLib.Variant("(u)", (0,)))[0] == \
        [CONNECT + "/domain/_" + d.UUIDString().replace("-", "_") for d in
         sorted(conn.listAllDomains(0), key=lambda d: d.name())]
    for method, arg in (("DomainLookupByName", ("(s)", DOMNAME)), ("DomainLookupByUUID", ("(s)", UUID))):
        assert bus.value(CONNECT, C_IFACE, method, GLib.Variant(arg[0], (arg[1],)))[0] == DOMPATH
    bus.pump(lambda: (DOMPATH, DEFINED, 0) in bus.events, "DEFINED")


@test
def domain_introspection_matches_xml(ctx):
    node = introspect(ctx.bus, DOMPATH)
    got = node.lookup_interface(D_IFACE)
    assert got is not None
    assert as_xml(got) == as_xml(reference(D_IFACE))
    parent = introspect(ctx.bus, CONNECT + "/domain")
    assert "_" + UUID.replace("-", "_") in [n.path for n in parent.nodes]


@test
def properties_match_rpc(ctx):
    bus, conn = ctx.bus, ctx.conn
    dom = conn.lookupByName(DOMNAME)
    # GetAll double-wraps every value, as libvirt-dbus does (<<true>>).
    raw = bus.call(DOMPATH, PROPS, "GetAll", GLib.Variant("(s)", (D_IFACE,))).get_child_value(0)
    props = {}
    for i in range(raw.n_children()):
        entry = raw.get_child_value(i)
        outer = entry.get_child_value(1).get_variant()
        assert outer.get_type_string() == "v", (entry.get_child_value(0), outer)
        props[entry.get_child_value(0).get_string()] = outer.get_variant().unpack()
    want = {"Active": bool(dom.isActive()), "Autostart": bool(dom.autostart()), "Id": 0,
            "Name": dom.name(), "OSType": dom.OSType(), "Persistent": bool(dom.isPersistent()),
            "UUID": dom.UUIDString()}
    assert props == want, props
    # Get is a plain (v).
    assert bus.value(DOMPATH, PROPS, "Get", GLib.Variant("(ss)", (D_IFACE, "Name")))[0] == DOMNAME
    c = bus.value(CONNECT, PROPS, "GetAll", GLib.Variant("(s)", (C_IFACE,)))[0]
    assert c["Version"] == conn.getVersion() and c["LibVersion"] == conn.getLibVersion(), c
    assert c["Hostname"] == conn.getHostname() and c["Secure"] is True, c
    # Autostart is writable; the change shows on both sides.
    bus.call(DOMPATH, PROPS, "Set", GLib.Variant("(ssv)", (D_IFACE, "Autostart", GLib.Variant("b", True))))
    assert dom.autostart() == 1
    bus.call(DOMPATH, PROPS, "Set", GLib.Variant("(ssv)", (D_IFACE, "Autostart", GLib.Variant("b", False))))
    assert dom.autostart() == 0


@test
def calls_match_rpc(ctx):
    bus, conn = ctx.bus, ctx.conn
    dom = conn.lookupByName(DOMNAME)
    assert bus.value(DOMPATH, D_IFACE, "GetXMLDesc", GLib.Variant("(u)", (0,)))[0] == dom.XMLDesc(0)
    assert list(bus.value(DOMPATH, D_IFACE, "GetState", GLib.Variant("(u)", (0,)))[0]) == dom.state(0)
    assert bus.value(CONNECT, C_IFACE, "GetCapabilities")[0] == conn.getCapabilities()
    assert bus.value(CONNECT, C_IFACE, "GetDomainCapabilities",
                     GLib.Variant("(ssssu)", ("", "", "", "", 0)))[0] == \
        conn.getDomainCapabilities(None, None, None, None, 0)
    # Failures carry libvirt's message, the same text as over RPC.
    name, msg = bus.error(CONNECT, C_IFACE, "DomainLookupByName", GLib.Variant("(s)", ("nope",)))
    assert name == "org.libvirt.Error", name
    assert msg == rpc_error(conn.lookupByName, "nope"), msg
    name, msg = bus.error(DOMPATH, D_IFACE, "Suspend")
    assert (name, msg) == ("org.libvirt.Error", rpc_error(dom.suspend)), (name, msg)
    name, msg = bus.error(CONNECT, C_IFACE, "DomainDefineXML", GLib.Variant("(s)", ("<domain>",)))
    assert name == "org.libvirt.Error" and msg == rpc_error(conn.defineXML, "<domain>"), msg


@test
def lifecycle_and_events(ctx):
    bus, conn = ctx.bus, ctx.conn
    rpc = rv.Events(ctx.d.uri)
    bus.events.clear()
    try:
        def state():
            return tuple(bus.value(DOMPATH, D_IFACE, "GetState", GLib.Variant("(u)", (0,)))[0])

        u = GLib.Variant("(u)", (0,))
        bus.call(DOMPATH, D_IFACE, "Create", u)
        assert state() == (1, 1) and conn.lookupByName(DOMNAME).state() == [1, 1]
        assert bus.value(DOMPATH, PROPS, "Get", GLib.Variant("(ss)", (D_IFACE, "Id")))[0] == \
            conn.lookupByName(DOMNAME).ID()
        assert bus.value(CONNECT, C_IFACE, "DomainLookupByID",
                         GLib.Variant("(i)", (conn.lookupByName(DOMNAME).ID(),)))[0] == DOMPATH
        bus.call(DOMPATH, D_IFACE, "Suspend")
        assert state() == (3, 1)
        bus.call(DOMPATH, D_IFACE, "Resume")
        assert state() == (1, 5)
        bus.call(DOMPATH, D_IFACE, "Shutdown", u)
        bus.pump(lambda: state() == (5, 1), "shut off (shutdown)")
        bus.call(DOMPATH, D_IFACE, "Create", u)
        bus.call(DOMPATH, D_IFACE, "Destroy", u)
        assert state() == (5, 2)
        want = [(STARTED, 0), (SUSPENDED, 0), (RESUMED, 0), (SHUTDOWN, 2), (STOPPED, 0),
                (STARTED, 0), (STOPPED, 1)]
        got = bus.pump(lambda: bus.events if len(bus.events) >= len(want) else None,
                       "%d DomainEvent signals" % len(want))
        assert got == [(DOMPATH, e, det) for e, det in want], got
        # The RPC clients got the very same events, in the same order.
        assert rpc.take(DOMNAME, len(want)) == want
    finally:
        rpc.close()


@test
def domain_ops_match_rpc(ctx):
    bus, conn = ctx.bus, ctx.conn
    dom = conn.lookupByName(DOMNAME)
    u = GLib.Variant("(u)", (0,))
    bus.call(DOMPATH, D_IFACE, "Create", u)
    try:
        # GetStats: libvirt's records, each value wrapped twice (<<v>>).
        raw = bus.call(DOMPATH, D_IFACE, "GetStats", GLib.Variant("(uu)", (0, 0)))
        rec = raw.get_child_value(0)
        stats = {}
        for i in range(rec.n_children()):
            e = rec.get_child_value(i)
            inner = e.get_child_value(1).get_variant()
            assert inner.get_type_string() == "v", inner
            stats[e.get_child_value(0).get_string()] = inner.get_variant().unpack()
        want = conn.domainListGetStats([dom], 0, 0)[0][1]
        assert sorted(stats) == sorted(want), (sorted(stats), sorted(want))
        assert stats["state.state"] == want["state.state"] == 1, stats
        st = bus.value(DOMPATH, D_IFACE, "GetStats",
                       GLib.Variant("(uu)", (libvirt.VIR_DOMAIN_STATS_STATE, 0)))[0]
        assert sorted(st) == ["state.reason", "state.state"], st
        name, msg = bus.error(DOMPATH, D_IFACE, "GetStats", GLib.Variant("(uu)", (0, 1)))
        assert (name, msg) == ("org.libvirt.Error",
                               rpc_error(conn.domainListGetStats, [dom], 0, 1)), msg
        # MemoryStats: {tag: value}; the tags RPC reports.
        ms = bus.value(DOMPATH, D_IFACE, "MemoryStats", u)[0]
        assert len(ms) == len(dom.memoryStats()) and 6 in ms and 7 in ms, ms
        assert ms[6] == dom.memoryStats()["actual"], ms
        # Errors read as over RPC.
        name, msg = bus.error(DOMPATH, D_IFACE, "SetVcpus", GLib.Variant("(uu)", (4096, 0)))
        assert (name, msg) == ("org.libvirt.Error", rpc_error(dom.setVcpusFlags, 4096, 0)), msg
        name, msg = bus.error(DOMPATH, D_IFACE, "SetMemory", GLib.Variant("(tu)", (1 << 40, 0)))
        assert (name, msg) == ("org.libvirt.Error",
                               rpc_error(dom.setMemoryFlags, 1 << 40, 0)), msg
        name, msg = bus.error(DOMPATH, D_IFACE, "BlockResize", GLib.Variant("(stu)", ("vdz", 1, 0)))
        assert (name, msg) == ("org.libvirt.Error", rpc_error(dom.blockResize, "vdz", 1, 0)), msg
        for method in ("AttachDevice", "DetachDevice"):
            name, msg = bus.error(DOMPATH, D_IFACE, method, GLib.Variant("(su)", ("<disk", 0)))
            fn = dom.attachDeviceFlags if method == "AttachDevice" else dom.detachDeviceFlags
            assert (name, msg) == ("org.libvirt.Error", rpc_error(fn, "<disk", 0)), msg
        # ManagedSave: the domain stops with an image the next start uses.
        bus.call(DOMPATH, D_IFACE, "ManagedSave", u)
        assert dom.state() == [5, 5] and dom.hasManagedSaveImage() == 1, dom.state()
        assert bus.value(DOMPATH, D_IFACE, "HasManagedSaveImage", u)[0] is True
        bus.call(DOMPATH, D_IFACE, "ManagedSaveRemove", u)
        assert dom.hasManagedSaveImage() == 0
        # Save to a file ("" is no XML), restored over RPC.
        img = os.path.join(ctx.tmp, "dbus-save.img")
        bus.call(DOMPATH, D_IFACE, "Create", u)
        bus.call(DOMPATH, D_IFACE, "Save", GLib.Variant("(ssu)", (img, "", 0)))
        assert dom.state() == [5, 5] and os.path.exists(img), dom.state()
        conn.restore(img)
        assert dom.state()[0] == 1, dom.state()
    finally:
        if dom.isActive():
            dom.destroy()
        if dom.hasManagedSaveImage():
            dom.managedSaveRemove()


@test
def bad_input_is_refused(ctx):
    bus, d = ctx.bus, ctx.d
    # Wrong signatures: GDBus checks them against the interface XML.
    name, _ = bus.error(CONNECT, C_IFACE, "ListDomains", GLib.Variant("(s)", ("x",)))
    assert name == "org.freedesktop.DBus.Error.InvalidArgs", name
    name, _ = bus.error(DOMPATH, D_IFACE, "Create")
    assert name == "org.freedesktop.DBus.Error.InvalidArgs", name
    name, _ = bus.error(DOMPATH, PROPS, "Set",
                        GLib.Variant("(ssv)", (D_IFACE, "Autostart", GLib.Variant("s", "yes"))))
    assert name == "org.freedesktop.DBus.Error.InvalidArgs", name
    name, _ = bus.error(DOMPATH, PROPS, "Set",
                        GLib.Variant("(ssv)", (D_IFACE, "Name", GLib.Variant("s", "x"))))
    assert name.startswith("org.freedesktop.DBus.Error."), name
    name, _ = bus.error(DOMPATH, D_IFACE, "NoSuchMethod")
    assert name == "org.freedesktop.DBus.Error.UnknownMethod", name
    # Paths that decode to no domain, or to an unknown uuid.
    for p in (CONNECT + "/domain/_zzz", CONNECT + "/domain/x" + "_" * 36,
              CONNECT + "/domain/_" + "0" * 36, CONNECT + "/domain/_" + "a" * 5000,
              CONNECT + "/domain/_00000000_0000_0000_0000_000000000000"):
        name, msg = bus.error(p, D_IFACE, "GetState", GLib.Variant("(u)", (0,)))
        assert name == "org.libvirt.Error" and msg.startswith("Domain not found"), (p, name, msg)
        got = bus.value(p, PROPS, "GetAll", GLib.Variant("(s)", (D_IFACE,)))[0]
        assert got == {}, got
    # Huge strings.
    huge = "x" * (8 << 20)
    name, msg = bus.error(CONNECT, C_IFACE, "DomainLookupByUUID", GLib.Variant("(s)", (huge,)))
    assert name == "org.libvirt.Error" and len(msg) < 200, (name, msg[:200])
    name, _ = bus.error(CONNECT, C_IFACE, "DomainLookupByName", GLib.Variant("(s)", (huge,)))
    assert name == "org.libvirt.Error", name
    name, _ = bus.error(CONNECT, C_IFACE, "DomainDefineXML",
                        GLib.Variant("(s)", ("<domain type='kvm'><name>" + huge + "</name></domain>",)))
    assert name == "org.libvirt.Error", name
    # Declared by libvirt-dbus, not done by nimbusd: libvirt's NO_SUPPORT.
    name, msg = bus.error(DOMPATH, D_IFACE, "InjectNMI", GLib.Variant("(u)", (0,)))
    assert (name, msg) == ("org.libvirt.Error", "this function is not supported by the "
                           "connection driver: virDomainInjectNMI"), (name, msg)
    assert d.proc.poll() is None, "nimbusd died"
    with open(d.log.name, errors="replace") as f:
        log = f.read()
    assert "CRITICAL" not in log and "WARNING" not in log, log[-2000:]
    assert DOMPATH in bus.value(CONNECT, C_IFACE, "ListDomains", GLib.Variant("(u)", (0,)))[0]


@test
def snapshots_over_dbus(ctx):
    bus, conn = ctx.bus, ctx.conn
    uuid = "5b0b6e8e-4f0f-4c4e-9a43-6d0f3c1e2a02"
    dpath = CONNECT + "/domain/_" + uuid.replace("-", "_")
    spath = CONNECT + "/domainsnapshot/_" + uuid.replace("-", "_") + "_"
    img = rv.write(os.path.join(ctx.tmp, "snap-disk.img"), "disk-v1")
    xml = re.sub(r"<source file=['\"][^'\"]*['\"]/>", "<source file='%s'/>" % img,
                 rv.golden_xml("vm-dsnap", uuid))
    dom = conn.defineXML(xml)
    u = GLib.Variant("(u)", (0,))
    try:
        assert bus.value(dpath, D_IFACE, "ListDomainSnapshots", u)[0] == []
        # Names are encoded as libvirt-dbus encodes them: [A-Za-z0-9] as
        # they are, anything else "_" + two lower-case hex digits.
        p1 = bus.value(dpath, D_IFACE, "SnapshotCreateXML", GLib.Variant(
            "(su)", ("<domainsnapshot><name>s 1.a</name></domainsnapshot>", 0)))[0]
        assert p1 == spath + "s_201_2ea", p1
        rv.write(img, "disk-v2")
        p2 = bus.value(dpath, D_IFACE, "SnapshotCreateXML", GLib.Variant(
            "(su)", ("<domainsnapshot><name>p2</name></domainsnapshot>", 0)))[0]
        assert p2 == spath + "p2", p2
        # The same answers as the RPC socket gives.
        assert bus.value(dpath, D_IFACE, "ListDomainSnapshots", u)[0] == \
            [spath + n.replace(" ", "_20").replace(".", "_2e")
             for n in [s.getName() for s in dom.listAllSnapshots(0)]]
        assert bus.value(dpath, D_IFACE, "SnapshotLookupByName",
                         GLib.Variant("(su)", ("s 1.a", 0)))[0] == p1
        assert bus.value(dpath, D_IFACE, "SnapshotCurrent", u)[0] == p2
        assert bus.value(p1, S_IFACE, "GetXMLDesc", u)[0] == \
            dom.snapshotLookupByName("s 1.a").getXMLDesc(0)
        assert bus.value(p2, S_IFACE, "GetParent", u)[0] == p1
        assert bus.value(p1, S_IFACE, "ListChildren", u)[0] == [p2]
        assert bus.value(p1, S_IFACE, "IsCurrent", u)[0] is False
        assert bus.value(p2, S_IFACE, "IsCurrent", u)[0] is True
        # Introspection: the interface XML exactly, and the objects listed.
        got = introspect(bus, p1).lookup_interface(S_IFACE)
        assert got is not None and as_xml(got) == as_xml(reference(S_IFACE))
        nodes = [n.path for n in introspect(bus, CONNECT + "/domainsnapshot").nodes]
        assert p1.rsplit("/", 1)[1] in nodes and p2.rsplit("/", 1)[1] in nodes, nodes
        # Errors read as over RPC; bad paths never name an object.
        name, msg = bus.error(p1, S_IFACE, "GetParent", u)
        assert (name, msg) == ("org.libvirt.Error",
                               rpc_error(dom.snapshotLookupByName("s 1.a").getParent)), msg
        name, msg = bus.error(dpath, D_IFACE, "SnapshotLookupByName",
                              GLib.Variant("(su)", ("nope", 0)))
        assert (name, msg) == ("org.libvirt.Error",
                               rpc_error(dom.snapshotLookupByName, "nope")), msg
        for bad in (spath + "nope", spath + "s_2", spath + "s_zz1", spath + "p_002",
                    spath + "S_2A", spath[:-1], CONNECT + "/domainsnapshot/_x",
                    CONNECT + "/domainsnapshot/_" + "0" * 36 + "_p2"):
            name, msg = bus.error(bad, S_IFACE, "GetXMLDesc", u)
            assert name == "org.libvirt.Error" and "not found" in msg, (bad, name, msg)
        name, _ = bus.error(p1, D_IFACE, "GetState", u)
        assert name.startswith("org.freedesktop.DBus.Error.Unknown"), name
        # Revert and delete, seen through RPC.
        bus.call(p1, S_IFACE, "Revert", u)
        assert dom.snapshotCurrent(0).getName() == "s 1.a"
        with open(img) as f:
            assert f.read() == "disk-v1"
        bus.call(p2, S_IFACE, "Delete", u)
        assert [s.getName() for s in dom.listAllSnapshots(0)] == ["s 1.a"]
        name, msg = bus.error(p2, S_IFACE, "IsCurrent", u)
        assert name == "org.libvirt.Error" and msg.startswith("Domain snapshot not found"), msg
    finally:
        dom.undefineFlags(libvirt.VIR_DOMAIN_UNDEFINE_SNAPSHOTS_METADATA)


@test
def rename_over_dbus(ctx):
    """Domain.Rename keeps the object path (the uuid's) and changes Name;
    a refusal is an org.libvirt.Error naming the reason."""
    bus, conn = ctx.bus, ctx.conn
    dom = conn.lookupByName(DOMNAME)
    if dom.isActive():
        dom.destroy()
    bus.call(DOMPATH, D_IFACE, "Rename", GLib.Variant("(su)", (DOMNAME + "-r", 0)))
    assert bus.value(DOMPATH, PROPS, "Get",
                     GLib.Variant("(ss)", (D_IFACE, "Name")))[0] == DOMNAME + "-r"
    assert conn.lookupByUUIDString(dom.UUIDString()).name() == DOMNAME + "-r"
    name, msg = bus.error(DOMPATH, D_IFACE, "Rename", GLib.Variant("(su)", (DOMNAME + "-r", 0)))
    assert name == "org.libvirt.Error" and "to itself" in msg, (name, msg)
    bus.call(DOMPATH, D_IFACE, "Rename", GLib.Variant("(su)", (DOMNAME, 0)))
    assert conn.lookupByName(DOMNAME).UUIDString() == dom.UUIDString()


@test
def undefine_over_dbus(ctx):
    bus, conn = ctx.bus, ctx.conn
    bus.events.clear()
    bus.call(DOMPATH, D_IFACE, "Undefine", GLib.Variant("(u)", (0,)))
    assert DOMNAME not in [d.name() for d in conn.listAllDomains(0)]
    bus.pump(lambda: (DOMPATH, UNDEFINED, 0) in bus.events, "UNDEFINED")
    name, msg = bus.error(DOMPATH, D_IFACE, "GetXMLDesc", GLib.Variant("(u)", (0,)))
    assert name == "org.libvirt.Error" and msg.startswith("Domain not found"), msg


@test
def name_taken_is_a_clear_refusal(ctx):
    """A second daemon on the same bus finds org.libvirt owned (as with a
    real libvirt-dbus): it says so and keeps serving RPC."""
    tmp = os.path.join(ctx.tmp, "second")
    os.makedirs(tmp)
    d2 = Daemon(tmp, extra_env={"DBUS_SESSION_BUS_ADDRESS": ctx.bus.address},
                   args=["--dbus=session"])
    try:
        d2.start()
        log = os.path.join(tmp, "nimbusd.log")
        ctx.bus.pump(lambda: "owned by another process" in open(log).read(), "the refusal")
        assert "vm" not in rv.virsh(d2, "list", "--all", "--name").stdout
        assert d2.proc.poll() is None
        # The first daemon still owns the name and answers.
        assert ctx.bus.value(CONNECT, PROPS, "Get",
                             GLib.Variant("(ss)", (C_IFACE, "Secure")))[0] is True
    finally:
        d2.stop()
    # No bus at all: nimbusd warns and serves RPC.
    tmp = os.path.join(ctx.tmp, "nobus")
    os.makedirs(tmp)
    d3 = Daemon(tmp, extra_env={"DBUS_SESSION_BUS_ADDRESS": "unix:path=" + tmp + "/none"},
                   args=["--dbus=session"])
    try:
        d3.start()
        rv.virsh(d3, "list", "--all")
        assert "not serving org.libvirt" in open(os.path.join(tmp, "nimbusd.log")).read()
    finally:
        d3.stop()
    r = subprocess.run([rv.NIMBUSD, "--dbus=bogus"], stderr=subprocess.PIPE, text=True)
    assert r.returncode == 2 and "--dbus takes" in r.stderr, r.stderr


def system_bus_config(tmp, sock):
    """Debian's system.conf, listening on @sock, running as the caller, with
    only our policy file included: the policy as installed, on a private
    bus."""
    with open("/usr/share/dbus-1/system.conf") as f:
        conf = f.read()
    conf = re.sub(r"<!--.*?-->", "", conf, flags=re.S)
    for tag in ("user", "pidfile", "servicehelper"):
        conf = re.sub(r"<%s>[^<]*</%s>" % (tag, tag), "", conf)
    conf = re.sub(r"<(fork|syslog|standard_system_servicedirs)/>", "", conf)
    conf = re.sub(r"<include[^>]*>[^<]*</include>", "", conf)
    conf = re.sub(r"<includedir>[^<]*</includedir>", "", conf)
    conf = re.sub(r"<listen>[^<]*</listen>", "<listen>unix:path=%s</listen>" % sock, conf)
    policy = os.path.join(SRC, "data", "dbus", "org.libvirt.CH.conf")
    conf = conf.replace("</busconfig>", "<include>%s</include></busconfig>" % policy)
    return rv.write(os.path.join(tmp, "system.conf"), conf)


def gdbus_as(uid, gids, address, path, method, *args):
    """`gdbus call` as @uid with supplementary @gids: (returncode, output)."""
    cmd = ["setpriv", "--reuid=%d" % uid, "--regid=%d" % uid,
           "--groups=" + ",".join(map(str, gids)) if gids else "--clear-groups",
           "gdbus", "call", "--address", address, "--dest", NAME,
           "--object-path", path, "--method", method] + list(args)
    r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                       timeout=30, env={"PATH": os.environ["PATH"]})
    return r.returncode, r.stdout


@test
def system_bus_policy(ctx):
    """data/dbus/org.libvirt.CH.conf on a private system bus: root calls
    everything; another uid reads properties only."""
    if os.geteuid() != 0:
        raise Skip("needs root (a second uid on the bus)")
    tmp = os.path.join(ctx.tmp, "sysbus")
    os.makedirs(tmp)
    # The other uid must reach the bus socket.
    os.chmod(ctx.tmp, 0o711)
    os.chmod(tmp, 0o755)
    sock = os.path.join(tmp, "bus.sock")
    address = "unix:path=" + sock
    log = open(os.path.join(tmp, "dbus-daemon.log"), "ab")
    bus = subprocess.Popen(["dbus-daemon", "--nofork", "--config-file",
                            system_bus_config(tmp, sock)], stdout=log, stderr=log)
    d = Daemon(tmp, extra_env={"DBUS_SYSTEM_BUS_ADDRESS": address}, args=["--dbus=system"])
    try:
        rv.wait_for(lambda: os.path.exists(sock), "the system bus socket", 30)
        d.start()
        rv.virsh(d, "define", rv.write(os.path.join(tmp, "dom.xml"), domain_xml()))
        rv.wait_for(lambda: gdbus_as(0, [], address, CONNECT, PROPS + ".Get", C_IFACE,
                                     "Secure")[0] == 0, "org.libvirt on the system bus", 60)
        nobody = 65534
        # Root: every call.
        rc, out = gdbus_as(0, [], address, CONNECT, C_IFACE + ".ListDomains", "0")
        assert rc == 0 and DOMPATH in out, out
        # Another uid: properties and introspection, nothing else.
        rc, out = gdbus_as(nobody, [], address, DOMPATH, PROPS + ".Get", D_IFACE, "Name")
        assert rc == 0 and DOMNAME in out, out
        rc, out = gdbus_as(nobody, [], address, DOMPATH, PROPS + ".GetAll", D_IFACE)
        assert rc == 0 and "Persistent" in out, out
        denied = [(CONNECT, C_IFACE + ".ListDomains", "0"),
                  (CONNECT, C_IFACE + ".DomainDefineXML", domain_xml()),
                  (DOMPATH, D_IFACE + ".Create", "0"),
                  (DOMPATH, D_IFACE + ".Destroy", "0"),
                  (DOMPATH, D_IFACE + ".Shutdown", "0"),
                  (DOMPATH, D_IFACE + ".Suspend"),
                  (DOMPATH, D_IFACE + ".Undefine", "0"),
                  (DOMPATH, PROPS + ".Set", D_IFACE, "Autostart", "<true>")]
        for call in denied:
            rc, out = gdbus_as(nobody, [], address, *call)
            assert rc != 0 and "AccessDenied" in out, (call, out)
        assert rv.domstate(d, DOMNAME).startswith("shut off")
        assert DOMNAME in rv.names(d)
        # The group libvirt, where the host has one: everything.
        try:
            gid = grp.getgrnam("libvirt").gr_gid
        except KeyError:
            gid = None
        if gid is not None:
            rc, out = gdbus_as(nobody, [gid], address, CONNECT, C_IFACE + ".ListDomains", "0")
            assert rc == 0 and DOMPATH in out, out
        rc, out = gdbus_as(0, [], address, DOMPATH, D_IFACE + ".Undefine", "0")
        assert rc == 0, out
    finally:
        d.stop()
        bus.terminate()
        bus.wait(10)
        os.chmod(ctx.tmp, 0o700)


Skip = rv.Skip


class Ctx:
    pass


def main():
    libvirt.virEventRegisterDefaultImpl()
    threading.Thread(target=rv.event_loop, daemon=True).start()
    libvirt.registerErrorHandler(lambda c, err: None, None)
    tmp = tempfile.mkdtemp(prefix="nd-dbus-", dir="/tmp")
    ctx = Ctx()
    ctx.tmp = tmp
    ctx.bus = Bus(open(os.path.join(tmp, "dbus-daemon.log"), "ab"))
    ctx.d = Daemon(tmp, extra_env={"DBUS_SESSION_BUS_ADDRESS": ctx.bus.address},
                      args=["--dbus=session"])
    failed = 0
    print("1..%d" % len(TESTS))
    try:
        ctx.d.start()
        # The name comes after the sockets: wait for it.
        ctx.bus.pump(lambda: ctx.bus.call("/org/freedesktop/DBus", "org.freedesktop.DBus",
                                          "NameHasOwner", GLib.Variant("(s)", (NAME,)),
                                          dest="org.freedesktop.DBus").unpack()[0],
                     "org.libvirt on the bus")
        ctx.conn = libvirt.open(ctx.d.uri)
        failed += rv.run_tap(TESTS, "/dbus", ctx)
    finally:
        ctx.d.stop()
        rv.kill_vmms(ctx.d.state)
        ctx.bus.stop()
        if failed or os.environ.get("NIMBUS_TEST_KEEP"):
            print("# nimbusd log and state kept in " + tmp)
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
