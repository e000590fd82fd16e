#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
# nimbusd save/restore and managedsave with the real nimbus and one real
# guest (KVM): a shell variable set in the guest (guest RAM) survives
# `virsh save` + `virsh restore` and `virsh managedsave` + `virsh start
# --paused` + `virsh resume`; after `virsh snapshot-create-as` a file made
# in the guest (its root is RAM) is gone again after `snapshot-revert`,
# and the guest runs on from the snapshot;
# python3-libvirt receives the lifecycle events of all that in order.  One boot for
# the whole program.  TAP output.
#
# Runs itself through tests/harness/with-kvm like test-nimbusd-lifecycle.py
# (whose Env, guest XML and helpers it reuses); it never skips.
import importlib.util
import os
import re
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

_spec = importlib.util.spec_from_file_location(
    "ndlifecycle", os.path.join(HERE, "test-nimbusd-lifecycle.py"))
lc = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(lc)

NAME = "kvm-guest"
STARTED, SUSPENDED, STOPPED = 2, 3, 5


def shell(env, command, expect):
    """Runs @command in the guest's shell on the serial console and waits
    for @expect; pokes until the shell answers (it may still be booting)."""
    from importlib import import_module
    virsh_test = import_module("test-rpc-virsh")
    con = virsh_test.Console(env, NAME)
    con.expect("Escape character", timeout=lc.BOOT_TIMEOUT)
    deadline = time.time() + lc.BOOT_TIMEOUT
    while True:
        con.send("\r" + command + "\r")
        try:
            con.expect(expect, timeout=3)
            break
        except AssertionError:
            if time.time() > deadline:
                raise
    con.send("\x1d")
    assert con.wait_exit() == 0


def main():
    libvirt.virEventRegisterDefaultImpl()
    threading.Thread(target=lc.event_loop, daemon=True).start()
    libvirt.registerErrorHandler(lambda ctx, err: None, None)
    env = lc.Env()
    img = os.path.join(env.tmp, "guest.img")
    events = []
    steps = []
    failed = 0

    def step(fn):
        steps.append(fn)
        return fn

    @step
    def boot_and_mark_ram():
        xml = os.path.join(env.tmp, "guest.xml")
        # 128 MiB: every save and restore moves the guest's RAM through the
        # emulated harness's disk several times.
        text = lc.domain_xml().replace("<memory unit='MiB'>256</memory>",
                                       "<memory unit='MiB'>128</memory>")
        assert "128</memory>" in text, text
        with open(xml, "w") as f:
            f.write(text)
        env.virsh("define", xml)
        env.virsh("start", NAME)
        # The value lives only in the shell's memory.
        shell(env, "M=mark-$((6*7)); echo set-$M", "set-mark-42")

    @step
    def save_then_restore_keeps_ram():
        env.virsh("save", NAME, img)
        assert env.state_of(NAME) == "shut off (saved)"
        out = env.virsh("save-image-dumpxml", img).stdout
        assert "<name>%s</name>" % NAME in out, out
        env.virsh("restore", img)
        assert env.state_of(NAME) == "running (restored)"
        shell(env, "echo got-$M", "got-mark-42")

    @step
    def managedsave_then_start_paused_keeps_ram():
        env.virsh("managedsave", NAME)
        assert "Managed save:   yes" in env.virsh("dominfo", NAME).stdout
        env.virsh("start", NAME, "--paused")
        assert env.state_of(NAME) == "paused (user)"
        assert "Managed save:   no" in env.virsh("dominfo", NAME).stdout
        env.virsh("resume", NAME)
        shell(env, "echo ms-$M", "ms-mark-42")

    @step
    def snapshot_revert_forgets_later_changes():
        env.virsh("snapshot-create-as", NAME, "s1")
        assert env.state_of(NAME) == "running (unpaused)"
        assert env.virsh("snapshot-list", NAME, "--name").stdout.split() == ["s1"]
        shell(env, "echo x > /after-snap && echo made-$((6*7))", "made-42")
        env.virsh("snapshot-revert", NAME, "s1")
        assert env.state_of(NAME) == "running (from snapshot)"
        # The file written after the snapshot is gone; the shell variable
        # set before it is still there: the guest runs on from s1.
        shell(env, "test -e /after-snap || echo gone-$M", "gone-mark-42")
        env.virsh("snapshot-delete", NAME, "s1")

    @step
    def corrupted_image_is_refused():
        # Corrupted file contents are the unit tests' (every byte has a
        # digest); here: the real nimbus is never started for a bad image.
        env.virsh("destroy", NAME)
        with open(img, "r+b") as f:
            f.seek(40)                  # inside the domain XML
            b = f.read(1)
            f.seek(40)
            f.write(bytes([b[0] ^ 1]))
        r = env.virsh("restore", img, check=False)
        assert r.returncode != 0 and "checksum mismatch" in r.stderr, r.stderr
        assert env.state_of(NAME) == "shut off (destroyed)"
        assert not re.search(r"running", env.virsh("list", "--all").stdout)

    @step
    def events_in_order():
        want = [(0, 0), (STARTED, 0),                         # define, start
                (SUSPENDED, 0), (STOPPED, 4), (STARTED, 2),   # save, restore
                (SUSPENDED, 0), (STOPPED, 4),                 # managedsave
                (STARTED, 2), (SUSPENDED, 4), (4, 0),         # start --paused, resume
                (SUSPENDED, 0), (4, 0),                       # snapshot-create-as
                (STOPPED, 6), (STARTED, 3),                   # snapshot-revert
                (STOPPED, 1)]                                 # destroy
        deadline = time.time() + 10
        while len(events) < len(want) and time.time() < deadline:
            time.sleep(0.1)
        assert events == want, events

    env.start()
    conn = libvirt.open(env.uri)
    conn.domainEventRegisterAny(None, libvirt.VIR_DOMAIN_EVENT_ID_LIFECYCLE,
                                lambda c, d, e, det, o: events.append((e, det)), None)
    print("1..%d" % len(steps))
    try:
        for i, fn in enumerate(steps, 1):
            t0 = time.time()
            try:
                fn()
                print("ok %d /nimbusd/kvm/save/%s" % (i, fn.__name__.replace("_", "-")))
            except Exception:
                failed += 1
                print("not ok %d /nimbusd/kvm/save/%s" % (i, fn.__name__.replace("_", "-")))
                for line in traceback.format_exc().splitlines():
                    print("# " + line)
            print("# %.1f s" % (time.time() - t0))
            sys.stdout.flush()
    finally:
        lc.run(["virsh", "-c", env.uri, "destroy", NAME], check=False)
        env.stop()
        if failed:
            lc.dump_logs(env.tmp)
        else:
            shutil.rmtree(env.tmp, ignore_errors=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
