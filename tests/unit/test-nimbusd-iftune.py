#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
# nimbusd's virsh domiftune (DOMAIN_SET_INTERFACE_PARAMETERS 256,
# DOMAIN_GET_INTERFACE_PARAMETERS 257) with stock virsh and python3-libvirt
# against the fake VMM: --config writes <bandwidth> into the persistent
# XML, --live changes the running VMM's net rate limiter through
# vm.nimbus-update-rate-limiter and the live XML; what nimbus cannot honour
# (peak, floor, one direction alone) is refused by name and changes
# nothing.  TAP output.  Reuses test-rpc-virsh.py's and
# test-nimbusd-blkiotune.py's helpers.
import importlib.util
import json
import os
import re
import shutil
import sys
import tempfile

import libvirt

HERE = os.path.dirname(os.path.abspath(__file__))


def _load(name, path):
    spec = importlib.util.spec_from_file_location(name, path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


rv = _load("rpcvirsh", os.path.join(HERE, "test-rpc-virsh.py"))
bt = _load("blkiotune", os.path.join(HERE, "test-nimbusd-blkiotune.py"))

virsh = rv.virsh
refused = bt.refused
NAME = "vm-iftune"
UUID = "5c6d7e8f-0000-4000-8000-0000000000e1"
MAC = "52:54:00:1f:00:01"
TAP = "tapift0"
TESTS = []
CONFIG = libvirt.VIR_DOMAIN_AFFECT_CONFIG
LIVE = libvirt.VIR_DOMAIN_AFFECT_LIVE
INACTIVE = libvirt.VIR_DOMAIN_XML_INACTIVE


def test(fn):
    TESTS.append(fn)
    return fn


def nic(bandwidth=""):
    return ("<interface type='ethernet'><mac address='%s'/>%s"
            "<target dev='%s'/><model type='virtio'/></interface>"
            % (MAC, bandwidth, TAP))


def define(d, bandwidth=""):
    xml = rv.golden_xml(NAME, UUID, nic(bandwidth))
    virsh(d, "define", rv.write(os.path.join(d.tmp, NAME + ".xml"), xml))
    conn = libvirt.open(d.uri)
    return conn, conn.lookupByName(NAME)


def bandwidth_xml(dom, flags=0):
    m = re.search(r"<bandwidth>.*?</bandwidth>", dom.XMLDesc(flags), re.S)
    return re.sub(r"\s+", " ", m.group(0)) if m else ""


def vmm_net(d):
    """The NIC in the (fake) VMM's config of record: what vm.info shows."""
    h = bt.UnixHTTP(os.path.join(d.state, NAME + ".sock"))
    h.request("GET", "/api/v1/vm.info")
    (net,) = json.loads(h.getresponse().read())["config"]["net"]
    return net


def bucket(size, refill):
    return {"size": size, "one_time_burst": 0, "refill_time": refill}


@test
def config_set_and_get(d):
    """An inactive domain: the values land in the persistent XML in
    libvirt's units and names, and read back through GET (virsh and
    python3-libvirt, which asks for the count first), by MAC or target."""
    conn, dom = define(d)
    try:
        params = dom.interfaceParameters(MAC, 0)
        assert params == {"inbound.average": 0, "inbound.peak": 0,
                          "inbound.burst": 0, "inbound.floor": 0,
                          "outbound.average": 0, "outbound.peak": 0,
                          "outbound.burst": 0}, params
        virsh(d, "domiftune", NAME, TAP, "--inbound", "1024",
              "--outbound", "1024", "--config")
        assert bandwidth_xml(dom, INACTIVE) == (
            "<bandwidth> <inbound average='1024'/> "
            "<outbound average='1024'/> </bandwidth>"), dom.XMLDesc(INACTIVE)
        out = virsh(d, "domiftune", NAME, MAC, "--config").stdout
        assert re.search(r"inbound.average\s*: 1024", out), out
        assert re.search(r"outbound.average\s*: 1024", out), out
        # A burst that is one exact bucket: 256 KiB at 1024 KiB/s.
        virsh(d, "domiftune", NAME, MAC, "--inbound", "1024,0,256",
              "--outbound", "1024,0,256", "--config")
        params = dom.interfaceParameters(TAP, CONFIG)
        assert (params["inbound.burst"], params["outbound.burst"]) == \
            (256, 256), params
        # An average of 0 removes the direction's limit, burst included.
        virsh(d, "domiftune", NAME, MAC, "--inbound", "0", "--outbound", "0",
              "--config")
        assert bandwidth_xml(dom, INACTIVE) == ""
    finally:
        bt.cleanup(d, conn)


@test
def refusals_change_nothing(d):
    """What nimbus cannot honour is refused by name; nothing changes."""
    conn, dom = define(d, "<bandwidth><inbound average='512'/>"
                          "<outbound average='512'/></bandwidth>")
    try:
        before = dom.XMLDesc(INACTIVE)
        r = virsh(d, "domiftune", NAME, MAC, "--inbound", "1024", "--config",
                  check=False)
        assert r.returncode != 0 and ("bandwidth inbound and outbound must "
                                      "be equal") in r.stderr, r.stderr
        r = virsh(d, "domiftune", NAME, MAC, "--inbound", "1024,2048,64",
                  "--outbound", "1024,2048,64", "--config", check=False)
        assert r.returncode != 0 and "inbound peak is not supported" in \
            r.stderr, r.stderr
        refused(lambda: dom.setInterfaceParameters(
            MAC, {"inbound.floor": 100}, CONFIG),
            "inbound floor is not supported")
        refused(lambda: dom.setInterfaceParameters(
            MAC, {"inbound.average": 3, "inbound.burst": 1,
                  "outbound.average": 3, "outbound.burst": 1}, CONFIG),
            "not a whole number of milliseconds")
        refused(lambda: dom.interfaceParameters("52:54:00:00:00:99", CONFIG),
                "'52:54:00:00:00:99' is not a known interface")
        refused(lambda: dom.setInterfaceParameters(
            "tapnone", {"inbound.average": 1}, CONFIG),
            "'tapnone' is not a known interface")
        # Not running: no live change.
        refused(lambda: dom.setInterfaceParameters(
            MAC, {"inbound.average": 1, "outbound.average": 1}, LIVE),
            "domain is not running")
        assert dom.XMLDesc(INACTIVE) == before
    finally:
        bt.cleanup(d, conn)


@test
def live_net_limiter(d):
    """A running domain: the defined <bandwidth> is the VMM's limiter at
    start; --live changes the VMM's limiter and the live XML, not the
    persistent one; --live --config both; 0 lifts it."""
    conn, dom = define(d, "<bandwidth><inbound average='512'/>"
                          "<outbound average='512'/></bandwidth>")
    try:
        dom.create()
        rl = vmm_net(d)["rate_limiter_config"]
        assert rl["bandwidth"] == bucket(512 * 1024, 1000), rl
        assert rl.get("ops") is None, rl
        virsh(d, "domiftune", NAME, TAP, "--inbound", "1024",
              "--outbound", "1024", "--live")
        rl = vmm_net(d)["rate_limiter_config"]
        assert rl["bandwidth"] == bucket(1024 * 1024, 1000), rl
        assert "average='1024'" in bandwidth_xml(dom)
        assert "average='512'" in bandwidth_xml(dom, INACTIVE)
        assert dom.interfaceParameters(MAC, LIVE)["inbound.average"] == 1024
        assert dom.interfaceParameters(MAC, CONFIG)["inbound.average"] == 512
        # A burst: 256 KiB refilled at 1024 KiB/s = in 250 ms.
        virsh(d, "domiftune", NAME, MAC, "--inbound", "1024,0,256",
              "--outbound", "1024,0,256", "--live", "--config")
        rl = vmm_net(d)["rate_limiter_config"]
        assert rl["bandwidth"] == bucket(256 * 1024, 250), rl
        assert "burst='256'" in bandwidth_xml(dom, INACTIVE)
        # Refused live: nothing sent, nothing recorded.
        refused(lambda: dom.setInterfaceParameters(
            MAC, {"outbound.average": 2048}, LIVE),
            "bandwidth inbound and outbound must be equal")
        assert vmm_net(d)["rate_limiter_config"] == rl
        virsh(d, "domiftune", NAME, MAC, "--inbound", "0", "--outbound", "0",
              "--live")
        assert vmm_net(d).get("rate_limiter_config") is None
        assert bandwidth_xml(dom) == ""
        assert "burst='256'" in bandwidth_xml(dom, INACTIVE)
    finally:
        bt.cleanup(d, conn)


@test
def update_device_bandwidth(d):
    """virsh update-device --live of an <interface> that changes only its
    <bandwidth>: nimbus's limiter changes as domiftune changes it, and
    the live XML, not the persistent one; anything else, or a limit
    nimbus cannot honour, is refused and changes nothing."""
    # bt.cleanup() stops blkiotune's domain, not this one: the tests
    # above leave vm-iftune running.
    virsh(d, "destroy", NAME, check=False)
    conn, dom = define(d, "<bandwidth><inbound average='512'/>"
                          "<outbound average='512'/></bandwidth>")
    path = os.path.join(d.tmp, "nic.xml")
    try:
        dom.create()
        virsh(d, "update-device", NAME, rv.write(path, nic(
            "<bandwidth><inbound average='2048' burst='512'/>"
            "<outbound average='2048' burst='512'/></bandwidth>")), "--live")
        rl = vmm_net(d)["rate_limiter_config"]
        assert rl["bandwidth"] == bucket(512 * 1024, 250), rl
        assert "average='2048'" in bandwidth_xml(dom)
        assert "average='512'" in bandwidth_xml(dom, INACTIVE)
        assert dom.interfaceParameters(MAC, LIVE)["inbound.burst"] == 512
        live = dom.XMLDesc(0)
        for extra, needle in (
                ("<bandwidth><inbound average='1024'/></bandwidth>",
                 "bandwidth inbound and outbound must be equal"),
                ("<mtu size='1400'/>", "other than <bandwidth>")):
            r = virsh(d, "update-device", NAME, rv.write(path, nic(extra)),
                      "--live", check=False)
            assert r.returncode != 0 and needle in r.stderr, r.stderr
        assert vmm_net(d)["rate_limiter_config"] == rl
        assert dom.XMLDesc(0) == live
        # Without <bandwidth>: the limit goes.
        virsh(d, "update-device", NAME, rv.write(path, nic()), "--live")
        assert vmm_net(d).get("rate_limiter_config") is None
        assert bandwidth_xml(dom) == ""
        assert "average='512'" in bandwidth_xml(dom, INACTIVE)
    finally:
        virsh(d, "destroy", NAME, check=False)
        virsh(d, "undefine", NAME, check=False)
        conn.close()


def main():
    libvirt.registerErrorHandler(lambda ctx, err: None, None)
    tmp = tempfile.mkdtemp(prefix="nd-iftune-", dir="/tmp")
    d = rv.Daemon(tmp)
    failed = 0
    print("1..%d" % len(TESTS))
    try:
        d.start()
        failed += rv.run_tap(TESTS, "/nimbusd/iftune", d)
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
