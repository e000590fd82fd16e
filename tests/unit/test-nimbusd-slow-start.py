#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
# nimbusd's wait for a fresh VMM's API socket on a slow host: a VMM that
# takes longer than the old 15 s limit to serve its socket still starts
# (and the domain's log says how long it took); one that exits before
# serving fails the start at once, with its own last words in the error and
# nothing left in the state directory; other clients are served meanwhile.
# The VMM is tests/unit/rpc-fake-nimbus.py (FAKE_NIMBUS_START_DELAY,
# FAKE_NIMBUS_EXIT_AT_START).  TAP output.  Reuses test-rpc-virsh.py's
# helpers.
import importlib.util
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
_spec = importlib.util.spec_from_file_location(
    "rpcvirsh", os.path.join(HERE, "test-rpc-virsh.py"))
rv = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(rv)

virsh, domstate = rv.virsh, rv.domstate
TESTS = []
NAME = "vm-virt-install"      # the golden XML's domain
# Past the 15 s nimbusd used to allow.
SLOW_S = 17


def test(fn):
    TESTS.append(fn)
    return fn


def with_daemon(env, fn):
    tmp = tempfile.mkdtemp(prefix="nd-slow-", dir="/tmp")
    d = rv.Daemon(tmp, env)
    try:
        d.start()
        virsh(d, "define", rv.GOLDEN_IN)
        fn(d)
    finally:
        virsh(d, "destroy", NAME, check=False)
        d.stop()
        rv.kill_vmms(d.state)
        shutil.rmtree(tmp, ignore_errors=True)


def read_log(d):
    with open(os.path.join(d.state, NAME + ".log")) as f:
        return f.read()


@test
def slow_vmm_starts(_):
    def check(d):
        start = subprocess.Popen(
            ["virsh", "-q", "-c", d.uri, "start", NAME], stdout=subprocess.PIPE,
            stderr=subprocess.PIPE, text=True)
        # While the start waits for the VMM, the daemon answers others.
        time.sleep(2)
        t0 = time.time()
        assert domstate(d, NAME).startswith("shut off"), domstate(d, NAME)
        assert time.time() - t0 < 10, "nimbusd blocked while a start waits"
        assert start.poll() is None, "the start ended before the VMM served"
        out, err = start.communicate(timeout=120)
        assert start.returncode == 0, err
        assert domstate(d, NAME) == "running (booted)", domstate(d, NAME)
        m = re.search(r"API answered after ([0-9.]+) s", read_log(d))
        assert m and float(m.group(1)) >= SLOW_S - 1, read_log(d)
    with_daemon({"FAKE_NIMBUS_START_DELAY": str(SLOW_S)}, check)


@test
def vmm_exiting_fails_at_once(_):
    def check(d):
        t0 = time.time()
        r = virsh(d, "start", NAME, check=False)
        took = time.time() - t0
        assert r.returncode != 0, r.stdout
        # The VMM's own words, and where the rest is.
        assert "nimbus exited before its API answered" in r.stderr, r.stderr
        assert "no such host device '/dev/kvm'" in r.stderr, r.stderr
        assert NAME + ".log" in r.stderr, r.stderr
        # Far below the API wait's bound: nimbusd saw the exit.
        assert took < 30, "the failed start took %.0f s" % took
        assert domstate(d, NAME) == "shut off (unknown)", domstate(d, NAME)
        assert sorted(os.listdir(d.state)) == [NAME + ".log"], os.listdir(d.state)
        assert re.search(r"start failed: nimbus exited", read_log(d)), read_log(d)
    with_daemon({"FAKE_NIMBUS_EXIT_AT_START": "no such host device '/dev/kvm'"},
                check)


def main():
    print("1..%d" % len(TESTS))
    return 1 if rv.run_tap(TESTS, "/nimbusd/slow-start", None) else 0


if __name__ == "__main__":
    sys.exit(main())
