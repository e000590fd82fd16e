#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
# nimbusd's org.libvirt D-Bus service with the real nimbus and a real guest
# (KVM), on a private dbus-daemon: a Gio client lists domains, defines one
# from XML, starts it, waits for the guest's shell, suspends and resumes it,
# shuts it down by ACPI and undefines it, and receives every DomainEvent
# signal in order; the RPC socket (python3-libvirt) answers the same states
# and XML at each step and gets the same events.  One guest boot.  TAP.
#
# Runs itself through tests/harness/with-kvm like test-nimbusd-lifecycle.py,
# whose helpers (nimbusd, the guest XML, the console check) it reuses; the
# same assets and NIMBUS_BOOT_TIMEOUT apply.
import importlib.util
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import traceback

HERE = os.path.dirname(os.path.abspath(__file__))
SRC = os.environ.get("NIMBUS_TOP_SRCDIR") or os.path.join(HERE, "..", "..")

if not os.environ.get("NIMBUS_HARNESS_MODE"):
    harness = os.path.join(SRC, "tests", "harness", "with-kvm")
    os.execv(harness, [harness, "--", os.path.abspath(__file__)] + sys.argv[1:])

import libvirt  # noqa: E402  (after the re-exec: the harness may set paths)
from gi.repository import Gio, GLib  # noqa: E402

_spec = importlib.util.spec_from_file_location(
    "nimbusd_lifecycle", os.path.join(HERE, "test-nimbusd-lifecycle.py"))
lc = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(lc)

NAME = "org.libvirt"
CONNECT = "/org/libvirt/CH"
C_IFACE = "org.libvirt.Connect"
D_IFACE = "org.libvirt.Domain"
PROPS = "org.freedesktop.DBus.Properties"
DOMNAME = "kvm-guest"
(DEFINED, UNDEFINED, STARTED, SUSPENDED, RESUMED, STOPPED, SHUTDOWN) = range(7)
U0 = GLib.Variant("(u)", (0,))


class Env(lc.Env):
    """test-nimbusd-lifecycle.py's nimbusd, also serving org.libvirt on the
    private bus (--listen alone turns D-Bus off)."""

    def __init__(self, bus_address):
        super().__init__()
        self.bus_address = bus_address

    def start(self):
        if os.path.exists(self.sock):
            os.unlink(self.sock)
        env = dict(os.environ, NIMBUS_BINARY=lc.NIMBUS,
                   DBUS_SESSION_BUS_ADDRESS=self.bus_address)
        env.setdefault("NIMBUS_SCHEMA_DIR", os.path.join(SRC, "xml-schemas"))
        self.proc = subprocess.Popen(
            [lc.NIMBUSD, "--listen", self.sock, "--state-dir", self.state,
             "--config-dir", os.path.join(self.tmp, "config"), "--verbose",
             "--dbus=session"], env=env, stdout=self.log, stderr=self.log)
        deadline = time.time() + 60
        while not os.path.exists(self.sock):
            assert self.proc.poll() is None and time.time() < deadline, "nimbusd did not start"
            time.sleep(0.05)


class Bus:
    """A private dbus-daemon and one Gio client that records DomainEvent."""

    def __init__(self, tmp):
        log = open(os.path.join(tmp, "dbus-daemon.log"), "ab")
        self.proc = subprocess.Popen(["dbus-daemon", "--session", "--nofork",
                                      "--print-address=1"],
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
            time.sleep(0.05)

    def value(self, path, iface, method, args=None):
        # Starting and stopping wait for the VMM: slow under emulation.
        return self.conn.call_sync(NAME, path, iface, method, args, None,
                                   Gio.DBusCallFlags.NONE, 300000, None).unpack()

    def stop(self):
        self.conn.close_sync(None)
        self.proc.terminate()
        self.proc.wait(10)


def main():
    libvirt.virEventRegisterDefaultImpl()
    threading.Thread(target=lc.event_loop, daemon=True).start()
    libvirt.registerErrorHandler(lambda ctx, err: None, None)
    bus = None
    env = None
    steps = []
    rpc_events = []
    failed = 0
    s = {}

    def step(fn):
        steps.append(fn)
        return fn

    def dstate():
        return tuple(bus.value(s["path"], D_IFACE, "GetState", U0)[0])

    def same_answers(want_state):
        """D-Bus and RPC agree on the state and the XML; @want_state's
        reason None: any."""
        dom = s["conn"].lookupByName(DOMNAME)
        got = dstate()
        assert got == tuple(dom.state(0)), (got, dom.state(0))
        assert got[0] == want_state[0] and want_state[1] in (None, got[1]), got
        assert bus.value(s["path"], D_IFACE, "GetXMLDesc", U0)[0] == dom.XMLDesc(0)
        active = bus.value(s["path"], PROPS, "Get",
                           GLib.Variant("(ss)", (D_IFACE, "Active")))[0]
        assert active == bool(dom.isActive()), active

    @step
    def list_and_define():
        assert bus.value(CONNECT, C_IFACE, "ListDomains", U0)[0] == [] == \
            s["conn"].listAllDomains(0)
        s["path"] = bus.value(CONNECT, C_IFACE, "DomainDefineXML",
                              GLib.Variant("(s)", (lc.domain_xml(),)))[0]
        uuid = s["conn"].lookupByName(DOMNAME).UUIDString()
        assert s["path"] == CONNECT + "/domain/_" + uuid.replace("-", "_"), s["path"]
        assert bus.value(CONNECT, C_IFACE, "ListDomains", U0)[0] == [s["path"]]
        assert bus.value(CONNECT, C_IFACE, "DomainLookupByName",
                         GLib.Variant("(s)", (DOMNAME,)))[0] == s["path"]
        same_answers((5, None))

    @step
    def start_and_reach_the_guest():
        bus.value(s["path"], D_IFACE, "Create", U0)
        same_answers((1, 1))
        dom_id = s["conn"].lookupByName(DOMNAME).ID()
        assert bus.value(s["path"], PROPS, "Get",
                         GLib.Variant("(ss)", (D_IFACE, "Id")))[0] == dom_id
        # The real guest's shell answers on its serial console.
        lc.console_reaches_shell(env)

    @step
    def suspend_resume():
        bus.value(s["path"], D_IFACE, "Suspend")
        same_answers((3, 1))
        bus.value(s["path"], D_IFACE, "Resume")
        same_answers((1, 5))
        # The same calls over RPC: the same states on both sides.
        dom = s["conn"].lookupByName(DOMNAME)
        dom.suspend()
        same_answers((3, 1))
        dom.resume()
        same_answers((1, 5))

    @step
    def shutdown_by_acpi():
        bus.value(s["path"], D_IFACE, "Shutdown", U0)
        # As the lifecycle test: the button press may come before the
        # guest's acpid listens, so it is pressed again every 20 s.
        deadline = time.time() + lc.BOOT_TIMEOUT
        again = time.time() + 20
        while dstate() != (5, 1):
            assert time.time() < deadline, "never shut off: %r" % (dstate(),)
            if time.time() > again:
                bus.value(s["path"], D_IFACE, "Shutdown", U0)
                again = time.time() + 20
            time.sleep(0.2)
        same_answers((5, 1))

    @step
    def undefine():
        bus.value(s["path"], D_IFACE, "Undefine", U0)
        assert bus.value(CONNECT, C_IFACE, "ListDomains", U0)[0] == [] == \
            s["conn"].listAllDomains(0)

    @step
    def every_domain_event_in_order():
        want = [(DEFINED, 0), (STARTED, 0),
                (SUSPENDED, 0), (RESUMED, 0),         # over D-Bus
                (SUSPENDED, 0), (RESUMED, 0),         # over RPC
                (SHUTDOWN, 2), (STOPPED, 0), (UNDEFINED, 0)]
        got = bus.pump(lambda: bus.events if len(bus.events) >= len(want) else None,
                       "%d DomainEvent signals" % len(want))
        assert got == [(s["path"], e, d) for e, d in want], got
        # The RPC client saw the very same events.
        deadline = time.time() + 10
        while len(rpc_events) < len(want) and time.time() < deadline:
            time.sleep(0.1)
        assert rpc_events == want, rpc_events

    tmp_bus = tempfile.mkdtemp(prefix="nd-kvm-bus-", dir="/tmp")
    print("1..%d" % len(steps))
    try:
        bus = Bus(tmp_bus)
        env = Env(bus.address)
        env.start()
        bus.pump(lambda: bus.conn.call_sync(
            "org.freedesktop.DBus", "/org/freedesktop/DBus", "org.freedesktop.DBus",
            "NameHasOwner", GLib.Variant("(s)", (NAME,)), None,
            Gio.DBusCallFlags.NONE, 5000, None).unpack()[0],
            "org.libvirt on the bus", timeout=60)
        s["conn"] = libvirt.open(env.uri)
        s["conn"].domainEventRegisterAny(
            None, libvirt.VIR_DOMAIN_EVENT_ID_LIFECYCLE,
            lambda c, d, e, det, o: rpc_events.append((e, det)), None)
        for i, fn in enumerate(steps, 1):
            name = "/nimbusd/kvm/dbus/" + fn.__name__.replace("_", "-")
            try:
                fn()
                print("ok %d %s" % (i, name))
            except Exception:
                failed += 1
                print("not ok %d %s" % (i, name))
                for line in traceback.format_exc().splitlines():
                    print("# " + line)
            sys.stdout.flush()
    except Exception:
        failed += 1
        print("not ok - set-up")
        for line in traceback.format_exc().splitlines():
            print("# " + line)
    finally:
        if env:
            lc.run(["virsh", "-c", env.uri, "destroy", DOMNAME], check=False)
            env.stop()
        if bus:
            bus.stop()
        if failed:
            for d in (tmp_bus, env.tmp if env else None):
                if d:
                    lc.dump_logs(d)
        shutil.rmtree(tmp_bus, ignore_errors=True)
        if env and not failed:
            shutil.rmtree(env.tmp, ignore_errors=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
