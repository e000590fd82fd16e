#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
# nimbusd live migration with the real nimbus and one real guest (KVM):
# two nimbusd daemons (separate sockets, config and state dirs) on one
# host, tcp over loopback between their VMMs.  A shell variable set in the
# guest (guest RAM) survives `virsh migrate --live --p2p` to the other
# daemon and a managed `virsh migrate --live --persistent` back; a
# destination that refuses leaves the source running; python3-libvirt
# receives the lifecycle events of both sides in order.  One boot for the
# whole program.  TAP output.
#
# Runs itself through tests/harness/with-kvm like test-nimbusd-save.py
# (whose helpers, and test-nimbusd-lifecycle.py's Env, it reuses); it
# never skips.
import importlib.util
import os
import shutil
import sys
import threading
import time
import traceback

HERE = os.path.dirname(os.path.abspath(__file__))
SRC = os.environ.get("NIMBUS_TOP_SRCDIR") or os.path.join(HERE, "..", "..")
sys.path.insert(0, os.path.join(SRC, "tests", "unit"))

if not os.environ.get("NIMBUS_HARNESS_MODE"):
    harness = os.path.join(SRC, "tests", "harness", "with-kvm")
    os.execv(harness, [harness, "--", os.path.abspath(__file__)] + sys.argv[1:])

import libvirt  # noqa: E402  (after the re-exec: the harness may set paths)


def _load(name, file):
    spec = importlib.util.spec_from_file_location(name, os.path.join(HERE, file))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


lc = _load("ndlifecycle", "test-nimbusd-lifecycle.py")
sv = _load("ndsave", "test-nimbusd-save.py")

NAME = sv.NAME
DEFINED, STARTED, SUSPENDED, RESUMED, STOPPED = 0, 2, 3, 4, 5
MIGRATED, STOPPED_MIGRATED = 1, 3
OTHER_UUID = "6a0c2f3e-5d1b-4c8e-9f00-0000000000e5"


def main():
    libvirt.virEventRegisterDefaultImpl()
    threading.Thread(target=lc.event_loop, daemon=True).start()
    libvirt.registerErrorHandler(lambda ctx, err: None, None)
    # The harness's VM may leave the loopback interface down, and the two
    # VMMs migrate over tcp on 127.0.0.1.
    lc.run(["ip", "link", "set", "lo", "up"], check=False)
    src, dst = lc.Env(), lc.Env()
    events = {"src": [], "dst": []}
    steps = []
    failed = 0

    def step(fn):
        steps.append(fn)
        return fn

    @step
    def boot_and_mark_ram():
        xml = os.path.join(src.tmp, "guest.xml")
        # 128 MiB: each migration copies the guest's RAM through the
        # emulated harness.
        text = lc.domain_xml().replace("<memory unit='MiB'>256</memory>",
                                       "<memory unit='MiB'>128</memory>")
        assert "128</memory>" in text, text
        with open(xml, "w") as f:
            f.write(text)
        src.virsh("define", xml)
        src.virsh("start", NAME)
        # The value lives only in the shell's memory.
        sv.shell(src, "M=mark-$((6*7)); echo set-$M", "set-mark-42")

    @step
    def p2p_migration_keeps_ram():
        # Under emulation the guest dirties pages faster than the nested
        # host copies them: a 1 s downtime lets pre-copy converge.
        src.virsh("migrate-setmaxdowntime", NAME, "1000")
        src.virsh("migrate", "--live", "--p2p", NAME, dst.uri)
        assert dst.state_of(NAME) == "running (migrated)"
        assert src.state_of(NAME) == "shut off (migrated)"
        assert "<source path='/dev/pts/" in dst.virsh("dumpxml", NAME).stdout
        sv.shell(dst, "echo got-$M", "got-mark-42")

    @step
    def managed_migration_back_persistent():
        dst.virsh("migrate-setmaxdowntime", NAME, "1000")
        dst.virsh("migrate", "--live", "--persistent", NAME, src.uri)
        assert src.state_of(NAME) == "running (migrated)"
        # The destination's domain was transient: gone with its VM.
        assert NAME not in dst.virsh("list", "--all", "--name").stdout
        sv.shell(src, "echo back-$M", "back-mark-42")

    @step
    def refusing_destination_keeps_source_running():
        xml = os.path.join(dst.tmp, "other.xml")
        text = lc.domain_xml().replace(
            "<name>kvm-guest</name>",
            "<name>kvm-guest</name><uuid>%s</uuid>" % OTHER_UUID)
        with open(xml, "w") as f:
            f.write(text)
        dst.virsh("define", xml)
        r = src.virsh("migrate", "--live", "--p2p", NAME, dst.uri, check=False)
        assert r.returncode != 0 and "already" in r.stderr, r.stderr
        # Still running under its own VMM (the guest's RAM was checked
        # after the migration back; a console round trip costs ~30 s here).
        assert src.state_of(NAME) == "running (migrated)"
        assert "State:          running" in src.virsh("dominfo", NAME).stdout
        dst.virsh("undefine", NAME)

    @step
    def events_in_order():
        want_src = [(DEFINED, 0), (STARTED, 0),                  # define, start
                    (SUSPENDED, MIGRATED), (STOPPED, STOPPED_MIGRATED),
                    (STARTED, MIGRATED), (RESUMED, MIGRATED),    # back in
                    (DEFINED, 1)]                                # --persistent
        want_dst = [(STARTED, MIGRATED), (RESUMED, MIGRATED),
                    (SUSPENDED, MIGRATED), (STOPPED, STOPPED_MIGRATED),
                    (DEFINED, 0), (1, 0)]                        # the other one
        deadline = time.time() + 10
        while ((len(events["src"]) < len(want_src) or
                len(events["dst"]) < len(want_dst)) and time.time() < deadline):
            time.sleep(0.1)
        assert events["src"] == want_src, events["src"]
        assert events["dst"] == want_dst, events["dst"]

    src.start()
    dst.start()
    conns = []
    for side, env in (("src", src), ("dst", dst)):
        conn = libvirt.open(env.uri)
        conn.domainEventRegisterAny(
            None, libvirt.VIR_DOMAIN_EVENT_ID_LIFECYCLE,
            lambda c, d, e, det, side: events[side].append((e, det)), side)
        conns.append(conn)
    print("1..%d" % len(steps))
    try:
        for i, fn in enumerate(steps, 1):
            t0 = time.time()
            name = fn.__name__.replace("_", "-")
            try:
                fn()
                print("ok %d /nimbusd/kvm/migrate/%s" % (i, name))
            except Exception:
                failed += 1
                print("not ok %d /nimbusd/kvm/migrate/%s" % (i, name))
                for line in traceback.format_exc().splitlines():
                    print("# " + line)
            print("# %.1f s" % (time.time() - t0))
            sys.stdout.flush()
    finally:
        for env in (src, dst):
            lc.run(["virsh", "-c", env.uri, "destroy", NAME], check=False)
            env.stop()
        if failed:
            lc.dump_logs(src.tmp)
            lc.dump_logs(dst.tmp)
        for env in (src, dst):
            if not failed:
                shutil.rmtree(env.tmp, ignore_errors=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
