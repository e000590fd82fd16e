#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
# libvirt's secondary drivers through nimbusd (issue 11): node devices,
# secrets, nwfilters, host interfaces, DHCP leases and the network, pool
# and node device events, each compared with the same call made directly
# on a private, unprivileged libvirtd (test-nimbusd-libvirtd.py's); virsh
# domifaddr; and libvirtd missing or failing to start.  TAP output.
#
#   NIMBUS_TEST_KEEP=1          keep the temp directory
import base64
import importlib.util
import os
import shutil
import stat
import sys
import tempfile
import threading
import time

import libvirt

HERE = os.path.dirname(os.path.abspath(__file__))
_spec = importlib.util.spec_from_file_location(
    "ndlibvirtd", os.path.join(HERE, "test-nimbusd-libvirtd.py"))
nl = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(nl)
rv = nl.rv
error_of = nl.error_of
virsh_fails = nl.virsh_fails

SECRET_XML = """<secret ephemeral='no' private='no'>
  <usage type='ceph'><name>client.nimbus secret</name></usage>
</secret>
"""
NWFILTER_XML = """<filter name='nmb-filter' chain='ipv4'>
  <rule action='accept' direction='out' priority='500'>
    <ip protocol='tcp' dstportstart='22'/>
  </rule>
</filter>
"""
BRIDGE_NET_XML = """<network><name>evnet</name><forward mode='bridge'/>
  <bridge name='nmbev0'/></network>
"""

TESTS = []


def test(fn):
    TESTS.append(fn)
    return fn


class Ctx:
    def __init__(self, tmp):
        self.tmp = tmp
        self.lv = nl.Libvirtd(tmp)
        self.d = rv.Daemon(tmp, args=["--libvirtd-uri", self.lv.uri])
        self.direct = None
        self.conn = None


def same(c, call):
    """@call(conn) answers the same through nimbusd as on libvirtd."""
    got, want = call(c.conn), call(c.direct)
    assert got == want, (got, want)
    return got


def same_error(c, call):
    got = error_of(lambda: call(c.conn))
    want = error_of(lambda: call(c.direct))
    assert got == want, (got, want)
    return got


# ---- node devices --------------------------------------------------------------


@test
def nodedev_list_and_xml(c):
    names = same(c, lambda x: sorted(d.name() for d in x.listAllDevices()))
    assert "computer" in names, names
    assert same(c, lambda x: sorted(x.listDevices(None, 0))) == names
    assert same(c, lambda x: x.numOfDevices(None, 0)) == len(names)
    out = rv.virsh(c.d, "nodedev-list").stdout.split()
    assert sorted(out) == names, out
    # A device with a parent: XML, parent and capabilities as libvirtd's.
    dev = next(n for n in names if n != "computer")
    xml = rv.virsh(c.d, "nodedev-dumpxml", dev).stdout
    assert xml.strip() == c.direct.nodeDeviceLookupByName(dev).XMLDesc(0).strip()
    assert same(c, lambda x: x.nodeDeviceLookupByName(dev).parent()) in names
    assert same(c, lambda x: x.nodeDeviceLookupByName("computer").parent()) is None
    caps = same(c, lambda x: x.nodeDeviceLookupByName(dev).listCaps())
    assert same(c, lambda x: x.nodeDeviceLookupByName(dev).numOfCaps()) == len(caps)
    code = same_error(c, lambda x: x.nodeDeviceLookupByName("nodev"))[0]
    assert code == libvirt.VIR_ERR_NO_NODE_DEVICE, code


# ---- secrets ------------------------------------------------------------------


@test
def secret_define_value_undefine(c):
    xml = rv.write(os.path.join(c.tmp, "secret.xml"), SECRET_XML)
    rv.virsh(c.d, "secret-define", xml)
    uuid = c.direct.secretLookupByUsage(libvirt.VIR_SECRET_USAGE_TYPE_CEPH,
                                        "client.nimbus secret").UUIDString()
    assert uuid in rv.virsh(c.d, "secret-list").stdout
    value = b"AQBnimbus\x00\xffsecret"
    b64 = base64.b64encode(value).decode()
    rv.virsh(c.d, "secret-set-value", uuid, b64)
    assert c.direct.secretLookupByUUIDString(uuid).value() == value
    got = rv.virsh(c.d, "secret-get-value", uuid).stdout.strip()
    assert got == b64, got
    # nova's lookup by usage, as libvirtd answers it.
    sec = c.conn.secretLookupByUsage(libvirt.VIR_SECRET_USAGE_TYPE_CEPH,
                                     "client.nimbus secret")
    assert sec.UUIDString() == uuid and sec.value() == value
    assert sec.XMLDesc(0) == c.direct.secretLookupByUUIDString(uuid).XMLDesc(0)
    assert same(c, lambda x: sorted(s.UUIDString() for s in x.listAllSecrets())) == [uuid]
    assert same(c, lambda x: x.listSecrets()) == [uuid]
    assert same(c, lambda x: x.numOfSecrets()) == 1
    # The value is for read-write connections only.
    ro = libvirt.openReadOnly(c.d.uri_ro)
    try:
        code = error_of(lambda: ro.secretLookupByUUIDString(uuid).value())[0]
        assert code == libvirt.VIR_ERR_OPERATION_DENIED, code
    finally:
        ro.close()
    # The value never reaches nimbusd's log.
    with open(c.d.log.name, "rb") as f:
        log = f.read()
    assert value not in log and b64.encode() not in log
    rv.virsh(c.d, "secret-undefine", uuid)
    assert c.direct.listAllSecrets() == []


@test
def nova_secret_lookup_is_libvirtds_no_secret(c):
    # nova treats only VIR_ERR_NO_SECRET as "no such secret".
    for call in (lambda x: x.secretLookupByUsage(libvirt.VIR_SECRET_USAGE_TYPE_CEPH, "ceph"),
                 lambda x: x.secretLookupByUUIDString("0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0")):
        code, dom, msg = same_error(c, call)
        assert code == libvirt.VIR_ERR_NO_SECRET and dom == libvirt.VIR_FROM_SECRET, msg


# ---- nwfilters ----------------------------------------------------------------


@test
def nwfilter_list_define_lookup(c):
    names = same(c, lambda x: sorted(f.name() for f in x.listAllNWFilters()))
    assert same(c, lambda x: sorted(x.listNWFilters())) == names
    assert same(c, lambda x: x.numOfNWFilters()) == len(names)
    out = rv.virsh(c.d, "nwfilter-list").stdout
    assert all(n in out for n in names), out
    for n in names[:2]:
        xml = same(c, lambda x: x.nwfilterLookupByName(n).XMLDesc(0))
        uuid = c.direct.nwfilterLookupByName(n).UUIDString()
        assert c.conn.nwfilterLookupByUUIDString(uuid).name() == n
        assert rv.virsh(c.d, "nwfilter-dumpxml", n).stdout.strip() == xml.strip()
    # An unprivileged libvirtd defines no filters: its refusal, unchanged.
    # Where it does (a system one), the filter is defined and undefined.
    try:
        c.direct.nwfilterDefineXML(NWFILTER_XML).undefine()
        definable = True
    except libvirt.libvirtError:
        definable = False
    xml = rv.write(os.path.join(c.tmp, "filter.xml"), NWFILTER_XML)
    if definable:
        rv.virsh(c.d, "nwfilter-define", xml)
        assert "dstportstart='22'" in c.direct.nwfilterLookupByName("nmb-filter").XMLDesc(0)
        rv.virsh(c.d, "nwfilter-undefine", "nmb-filter")
    else:
        same_error(c, lambda x: x.nwfilterDefineXML(NWFILTER_XML))
        err = virsh_fails(c.d, "nwfilter-define", xml)
        assert "Can't define NWFilters in session mode" in err, err
    code = same_error(c, lambda x: x.nwfilterLookupByName("nmb-filter"))[0]
    assert code == libvirt.VIR_ERR_NO_NWFILTER, code


# ---- host interfaces, DHCP leases -----------------------------------------------


@test
def iface_list_and_xml(c):
    names = same(c, lambda x: sorted(i.name() for i in x.listAllInterfaces()))
    assert "lo" in names, names
    same(c, lambda x: sorted(x.listInterfaces()))
    same(c, lambda x: sorted(x.listDefinedInterfaces()))
    same(c, lambda x: (x.numOfInterfaces(), x.numOfDefinedInterfaces()))
    out = rv.virsh(c.d, "iface-list", "--all").stdout
    assert "lo" in out.split(), out
    lo = same(c, lambda x: (x.interfaceLookupByName("lo").MACString(),
                            x.interfaceLookupByName("lo").isActive(),
                            x.interfaceLookupByName("lo").XMLDesc(0)))
    assert same(c, lambda x: x.interfaceLookupByMACString(lo[0]).name()) in names
    same_error(c, lambda x: x.interfaceLookupByName("noif0"))


@test
def net_dhcp_leases(c):
    xml = rv.write(os.path.join(c.tmp, "leasenet.xml"),
                   BRIDGE_NET_XML.replace("evnet", "leasenet"))
    rv.virsh(c.d, "net-define", xml)
    try:
        leases = same(c, lambda x: x.networkLookupByName("leasenet").DHCPLeases())
        assert leases == [], leases
        r = rv.virsh(c.d, "net-dhcp-leases", "leasenet")
        assert r.returncode == 0 and "Expiry Time" not in r.stderr, r.stderr
        same_error(c, lambda x: x.networkLookupByName("nonet").DHCPLeases())
    finally:
        rv.virsh(c.d, "net-undefine", "leasenet", check=False)


# ---- events ---------------------------------------------------------------------


def collect(c, register):
    """Registers with @register(conn, cb) on a new nimbusd connection and
    returns (conn, events list, callback id)."""
    conn = libvirt.open(c.d.uri)
    got = []
    cb_id = register(conn, lambda *args: got.append(args))
    return conn, got, cb_id


@test
def network_and_pool_events(c):
    net_conn, net_events, net_id = collect(c, lambda conn, f: conn.networkEventRegisterAny(
        None, libvirt.VIR_NETWORK_EVENT_ID_LIFECYCLE,
        lambda conn, net, ev, detail, opaque: f(net.name(), ev), None))
    pool_conn, pool_events, pool_id = collect(c, lambda conn, f: conn.storagePoolEventRegisterAny(
        None, libvirt.VIR_STORAGE_POOL_EVENT_ID_LIFECYCLE,
        lambda conn, pool, ev, detail, opaque: f(pool.name(), ev), None))
    # Registering for node devices works too (none is expected here).
    dev_id = net_conn.nodeDeviceEventRegisterAny(
        None, libvirt.VIR_NODE_DEVICE_EVENT_ID_LIFECYCLE,
        lambda *a: None, None)
    try:
        xml = rv.write(os.path.join(c.tmp, "evnet.xml"), BRIDGE_NET_XML)
        rv.virsh(c.d, "net-define", xml)
        rv.virsh(c.d, "net-start", "evnet")
        rv.virsh(c.d, "net-destroy", "evnet")
        rv.virsh(c.d, "net-undefine", "evnet")
        want = [("evnet", libvirt.VIR_NETWORK_EVENT_DEFINED),
                ("evnet", libvirt.VIR_NETWORK_EVENT_STARTED),
                ("evnet", libvirt.VIR_NETWORK_EVENT_STOPPED),
                ("evnet", libvirt.VIR_NETWORK_EVENT_UNDEFINED)]
        rv.wait_for(lambda: len(net_events) >= 4, "4 network events", timeout=30)
        assert net_events == want, net_events
        pool_dir = os.path.join(c.tmp, "evpool")
        os.makedirs(pool_dir)
        rv.virsh(c.d, "pool-define-as", "evpool", "dir", "--target", pool_dir)
        rv.virsh(c.d, "pool-undefine", "evpool")
        rv.wait_for(lambda: len(pool_events) >= 2, "2 pool events", timeout=30)
        assert pool_events == [("evpool", libvirt.VIR_STORAGE_POOL_EVENT_DEFINED),
                               ("evpool", libvirt.VIR_STORAGE_POOL_EVENT_UNDEFINED)], \
            pool_events
        # A deregistered callback gets nothing more.
        net_conn.networkEventDeregisterAny(net_id)
        rv.virsh(c.d, "net-define", xml)
        rv.virsh(c.d, "net-undefine", "evnet")
        time.sleep(1)
        assert len(net_events) == 4, net_events
        code = error_of(lambda: net_conn.networkEventDeregisterAny(net_id))[0]
        assert code == libvirt.VIR_ERR_INVALID_ARG, code
        net_conn.nodeDeviceEventDeregisterAny(dev_id)
        pool_conn.storagePoolEventDeregisterAny(pool_id)
    finally:
        for conn in (net_conn, pool_conn):
            conn.close()


# ---- domifaddr ------------------------------------------------------------------


@test
def domifaddr_sources(c):
    xml = rv.write(os.path.join(c.tmp, "ifaddr.xml"),
                   rv.golden_xml("ifaddr", "5a4b3c2d-1e0f-4a9b-8c7d-6e5f4a3b2c1d"))
    rv.virsh(c.d, "define", xml)
    try:
        err = virsh_fails(c.d, "domifaddr", "ifaddr")
        assert "domain is not running" in err, err
        rv.virsh(c.d, "start", "ifaddr")
        dom = c.conn.lookupByName("ifaddr")
        # No interface on a libvirt network or in the ARP table: no address.
        assert dom.interfaceAddresses(libvirt.VIR_DOMAIN_INTERFACE_ADDRESSES_SRC_LEASE) == {}
        assert dom.interfaceAddresses(libvirt.VIR_DOMAIN_INTERFACE_ADDRESSES_SRC_ARP) == {}
        rv.virsh(c.d, "domifaddr", "ifaddr", "--source", "lease")
        err = virsh_fails(c.d, "domifaddr", "ifaddr", "--source", "agent")
        assert "guest agent is not configured" in err, err
        code = error_of(lambda: dom.interfaceAddresses(
            libvirt.VIR_DOMAIN_INTERFACE_ADDRESSES_SRC_AGENT))[0]
        assert code == libvirt.VIR_ERR_ARGUMENT_UNSUPPORTED, code
        # As every agent call: a paused domain's agent is "not running",
        # where the host-side sources still answer.
        rv.virsh(c.d, "suspend", "ifaddr")
        err = virsh_fails(c.d, "domifaddr", "ifaddr", "--source", "agent")
        assert "domain is not running" in err, err
        assert dom.interfaceAddresses(libvirt.VIR_DOMAIN_INTERFACE_ADDRESSES_SRC_ARP) == {}
        rv.virsh(c.d, "destroy", "ifaddr")
    finally:
        rv.virsh(c.d, "destroy", "ifaddr", check=False)
        rv.virsh(c.d, "undefine", "ifaddr", check=False)


# ---- libvirtd absent, not installed, failing to start -----------------------------


def private_daemon(c, name, path, *args):
    tmp = os.path.join(c.tmp, name)
    os.makedirs(tmp, exist_ok=True)
    d = rv.Daemon(tmp, args=list(args), extra_env={"PATH": path})
    d.start()
    return d


@test
def secret_lookup_without_libvirtd(c):
    # Without libvirtd a lookup still answers NO_SECRET (nova's "none"),
    # saying why; the other secret calls say libvirtd is not reachable.
    c.lv.stop()
    try:
        code, dom, msg = error_of(lambda: c.conn.secretLookupByUsage(
            libvirt.VIR_SECRET_USAGE_TYPE_CEPH, "ceph"))
        assert code == libvirt.VIR_ERR_NO_SECRET, (code, msg)
        assert "no secret with matching usage 'ceph'" in msg and \
            "not reachable at '%s'" % c.lv.uri in msg, msg
        # Each kind's refusal names that kind's objects.
        code, dom, msg = error_of(c.conn.listAllSecrets)
        assert code == libvirt.VIR_ERR_NO_SUPPORT and \
            "secrets come from libvirtd, which is not reachable" in msg, msg
        for cmd, what in (("nodedev-list", "node devices"),
                          ("nwfilter-list", "network filters"),
                          ("iface-list", "host interfaces")):
            err = virsh_fails(c.d, cmd)
            assert "%s come from libvirtd, which is not reachable" % what in err, err
    finally:
        c.lv.start()
    assert isinstance(c.conn.listAllDevices(), list)


def need_startable_system_uri():
    if os.geteuid() != 0:
        raise rv.Skip("only root may start the system libvirtd")
    for p in ("/run/libvirt/libvirt-sock", "/run/systemd/system"):
        if os.path.exists(p):
            raise rv.Skip("%s exists: this host's libvirtd is managed" % p)


@test
def libvirtd_not_installed(c):
    # No libvirtd in PATH: every forwarded procedure says so.
    empty = os.path.join(c.tmp, "empty-bin")
    os.makedirs(empty, exist_ok=True)
    if os.path.exists("/run/libvirt/libvirt-sock"):
        raise rv.Skip("this host's system libvirtd is running")
    d = private_daemon(c, "noinst", empty, "--libvirtd-uri", "qemu:///system",
                       "--start-libvirtd", "yes")
    try:
        code, dom, msg = error_of(lambda: libvirt.open(d.uri).listAllNetworks())
        assert code == libvirt.VIR_ERR_NO_SUPPORT, (code, msg)
        assert "libvirtd is not installed (no 'libvirtd' in PATH '%s'" % empty in msg, msg
        assert "networks come from libvirtd, which is not running" in msg, msg
        err = virsh_fails(d, "secret-list")
        assert "not reachable at 'qemu:///system'" in err or "not installed" in err, err
        err = virsh_fails(d, "nwfilter-list")
        assert "libvirtd" in err, err
    finally:
        d.stop()


@test
def libvirtd_started_once_lazily(c):
    # nimbusd runs `libvirtd --daemon` on the first forwarded call, once;
    # its failure is the answer.  A stand-in libvirtd records its runs.
    need_startable_system_uri()
    bindir = os.path.join(c.tmp, "fake-bin")
    os.makedirs(bindir, exist_ok=True)
    runs = os.path.join(c.tmp, "libvirtd-runs")
    fake = rv.write(os.path.join(bindir, "libvirtd"),
                    "#!/bin/sh\necho \"$@\" >> %s\necho 'fake: cannot start' >&2\n"
                    "exit 3\n" % runs)
    os.chmod(fake, stat.S_IRWXU)
    d = private_daemon(c, "fakestart", bindir, "--libvirtd-uri", "qemu:///system",
                       "--start-libvirtd", "yes")
    try:
        assert not os.path.exists(runs)
        conn = libvirt.open(d.uri)
        conn.listAllDomains()
        assert not os.path.exists(runs), "started before a forwarded call"
        code, dom, msg = error_of(conn.listAllNetworks)
        assert code == libvirt.VIR_ERR_NO_SUPPORT, (code, msg)
        assert "could not be started" in msg and "fake: cannot start" in msg and \
            "exited with code 3" in msg, msg
        code, dom, msg = error_of(conn.listAllNetworks)
        assert "not reachable at 'qemu:///system'" in msg, msg
        with open(runs) as f:
            assert f.read() == "--daemon\n"
        conn.close()
    finally:
        d.stop()
    # --start-libvirtd=auto with --listen (a private daemon): never.
    os.unlink(runs)
    d = private_daemon(c, "nostart", bindir, "--libvirtd-uri", "qemu:///system")
    try:
        code, dom, msg = error_of(lambda: libvirt.open(d.uri).listAllNetworks())
        assert "not reachable" in msg and not os.path.exists(runs), msg
    finally:
        d.stop()


def main():
    libvirt.registerErrorHandler(lambda ctx, err: None, None)
    # Events need the client library's event loop, running beside the tests.
    libvirt.virEventRegisterDefaultImpl()
    threading.Thread(target=lambda: [libvirt.virEventRunDefaultImpl() for _ in iter(int, 1)],
                     daemon=True).start()
    tmp = tempfile.mkdtemp(prefix="nd-libvirtd-more-", dir="/tmp")
    os.chmod(tmp, 0o755)
    c = Ctx(tmp)
    failed = 0
    print("1..%d" % len(TESTS))
    try:
        c.lv.start()
        c.d.start()
        c.direct = libvirt.open(c.lv.uri)
        c.conn = libvirt.open(c.d.uri)
        failed += rv.run_tap(TESTS, "/rpc/libvirtd-more", c)
    finally:
        for conn in (c.conn, c.direct):
            if conn:
                try:
                    conn.close()
                except libvirt.libvirtError:
                    pass
        c.d.stop()
        rv.kill_vmms(c.d.state)
        c.lv.stop()
        if failed or os.environ.get("NIMBUS_TEST_KEEP"):
            print("# logs and state kept in " + tmp)
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
