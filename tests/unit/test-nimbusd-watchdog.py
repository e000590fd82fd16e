#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
# nimbusd's <watchdog model='i6300esb' action=...> with python3-libvirt:
# each action's WATCHDOG event (VIR_DOMAIN_EVENT_ID_WATCHDOG) and what
# follows it (reset: the domain runs on; poweroff and shutdown: it stops;
# pause: paused (watchdog), SUSPENDED/WATCHDOG), and the refused models
# and actions.  The VMM is tests/unit/rpc-fake-nimbus.py (no KVM), whose
# toy guest's "watchdog" command makes the configured watchdog expire.
# TAP output.  Reuses test-rpc-virsh.py's helpers.
import importlib.util
import os
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

virsh, write, wait_for, domstate = rv.virsh, rv.write, rv.wait_for, rv.domstate
TESTS = []
NAME = "vm-wd"
UUID = "7a1b2c3d-0000-4000-8000-0000000000d1"


def test(fn):
    TESTS.append(fn)
    return fn


class WatchdogEvents:
    """WATCHDOG and lifecycle events of one python3-libvirt connection."""

    def __init__(self, uri):
        self.lock = threading.Lock()
        self.watchdog = []
        self.lifecycle = []
        self.conn = libvirt.open(uri)
        self.cbs = [
            self.conn.domainEventRegisterAny(
                None, libvirt.VIR_DOMAIN_EVENT_ID_WATCHDOG,
                lambda c, dom, action, op: self._add(
                    self.watchdog, (dom.name(), action)), None),
            self.conn.domainEventRegisterAny(
                None, libvirt.VIR_DOMAIN_EVENT_ID_LIFECYCLE,
                lambda c, dom, ev, detail, op: self._add(
                    self.lifecycle, (dom.name(), ev, detail)), None)]

    def _add(self, where, what):
        with self.lock:
            where.append(what)

    def expect_watchdog(self, action):
        want = (NAME, action)
        wait_for(lambda: want in self.watchdog,
                 "WATCHDOG %r (seen %r)" % (want, self.watchdog))
        with self.lock:
            self.watchdog.remove(want)

    def expect_lifecycle(self, ev, detail):
        want = (NAME, ev, detail)
        wait_for(lambda: want in self.lifecycle,
                 "lifecycle %r (seen %r)" % (want, self.lifecycle))

    def close(self):
        for cb in self.cbs:
            self.conn.domainEventDeregisterAny(cb)
        self.conn.close()


class Ctx:
    def __init__(self, d):
        self.d = d
        self.ev = None

    def run_with(self, action):
        """Defines and starts the domain with <watchdog action=@action>,
        lets its watchdog expire; the WATCHDOG event must carry
        @action's libvirt value."""
        xml = rv.golden_xml(NAME, UUID, "<watchdog model='i6300esb' "
                            "action='%s'/>" % action)
        virsh(self.d, "define", write(os.path.join(self.d.tmp, NAME + ".xml"),
                                      xml))
        virsh(self.d, "start", NAME)
        live = virsh(self.d, "dumpxml", NAME).stdout
        assert "<watchdog model='i6300esb' action='%s'" % action in live, live
        with self.ev.lock:
            self.ev.lifecycle.clear()
        con = rv.Console(self.d, NAME)
        con.sync()
        con.send("watchdog\r")
        return con

    def cleanup(self):
        virsh(self.d, "destroy", NAME, check=False)
        virsh(self.d, "undefine", NAME, check=False)


@test
def reset(c):
    try:
        con = c.run_with("reset")
        c.ev.expect_watchdog(libvirt.VIR_DOMAIN_EVENT_WATCHDOG_RESET)
        # The VMM reset the guest itself: the domain runs on.
        con.send("still here\r")
        con.expect("you said: still here")
        assert domstate(c.d, NAME).startswith("running"), domstate(c.d, NAME)
    finally:
        c.cleanup()


@test
def poweroff(c):
    try:
        c.run_with("poweroff")
        c.ev.expect_watchdog(libvirt.VIR_DOMAIN_EVENT_WATCHDOG_POWEROFF)
        wait_for(lambda: domstate(c.d, NAME).startswith("shut off"),
                 "power-off")
    finally:
        c.cleanup()


@test
def pause(c):
    try:
        c.run_with("pause")
        c.ev.expect_watchdog(libvirt.VIR_DOMAIN_EVENT_WATCHDOG_PAUSE)
        wait_for(lambda: domstate(c.d, NAME) == "paused (watchdog)",
                 "paused (watchdog), got %r" % domstate(c.d, NAME))
        c.ev.expect_lifecycle(libvirt.VIR_DOMAIN_EVENT_SUSPENDED,
                              libvirt.VIR_DOMAIN_EVENT_SUSPENDED_WATCHDOG)
        virsh(c.d, "resume", NAME)
        assert domstate(c.d, NAME).startswith("running")
    finally:
        c.cleanup()


@test
def shutdown(c):
    try:
        c.run_with("shutdown")
        c.ev.expect_watchdog(libvirt.VIR_DOMAIN_EVENT_WATCHDOG_SHUTDOWN)
        # nimbusd pressed the power button; the toy guest powers off.
        wait_for(lambda: domstate(c.d, NAME).startswith("shut off"),
                 "shutdown")
    finally:
        c.cleanup()


@test
def none_keeps_running(c):
    try:
        con = c.run_with("none")
        c.ev.expect_watchdog(libvirt.VIR_DOMAIN_EVENT_WATCHDOG_NONE)
        con.send("still here\r")
        con.expect("you said: still here")
        assert domstate(c.d, NAME).startswith("running"), domstate(c.d, NAME)
    finally:
        c.cleanup()


@test
def refused_models_and_actions(c):
    for dev, text in (("<watchdog model='ib700'/>", "watchdog model 'ib700'"),
                      ("<watchdog model='i6300esb' action='dump'/>",
                       "watchdog action 'dump' is not supported"),
                      ("<watchdog model='i6300esb' action='inject-nmi'/>",
                       "watchdog action 'inject-nmi' is not supported")):
        xml = rv.golden_xml("vm-bad", "5a5a5a5a-1111-2222-3333-444444444445",
                            dev)
        r = virsh(c.d, "define", write(os.path.join(c.d.tmp, "bad.xml"), xml),
                  check=False)
        assert r.returncode != 0 and text in r.stderr, r.stderr
        assert "vm-bad" not in rv.names(c.d)


def main():
    libvirt.virEventRegisterDefaultImpl()
    threading.Thread(target=rv.event_loop, daemon=True).start()
    libvirt.registerErrorHandler(lambda ctx, err: None, None)
    tmp = tempfile.mkdtemp(prefix="nd-wd-", dir="/tmp")
    d = rv.Daemon(tmp)
    failed = 0
    print("1..%d" % len(TESTS))
    try:
        d.start()
        c = Ctx(d)
        c.ev = WatchdogEvents(d.uri)
        failed += rv.run_tap(TESTS, "/nimbusd/watchdog", c)
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
