#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
# nimbusd's vCPU procedures with stock virsh against the fake VMM:
# setvcpus (SET_VCPUS, SET_VCPUS_FLAGS with --live, --config, --maximum,
# --current), vcpucount (GET_VCPUS_FLAGS), and their refusals.  Reuses
# test-rpc-virsh.py's daemon and helpers.
import importlib.util
import os
import re
import shutil
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
_spec = importlib.util.spec_from_file_location(
    "rpcvirsh", os.path.join(HERE, "test-rpc-virsh.py"))
rv = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(rv)

NAME = "vm-vcpu"
UUID = "6b7c8d9e-0000-4000-8000-0000000000c1"
TESTS = []


def test(fn):
    TESTS.append(fn)
    return fn


def count(d, *flags):
    """vcpucount with @flags: one number."""
    return int(rv.virsh(d, "vcpucount", NAME, *flags).stdout.strip())


def refused(d, needle, *args):
    r = rv.virsh(d, *args, check=False)
    assert r.returncode != 0 and needle in r.stderr, (args, r.stderr)


def define(d):
    xml = rv.golden_xml(NAME, UUID)
    xml = re.sub(r"<vcpu[^>]*>[^<]*</vcpu>", "<vcpu current='1'>4</vcpu>",
                 xml)
    rv.virsh(d, "define", rv.write(os.path.join(d.tmp, "vcpu.xml"), xml))


@test
def setvcpus_live(d):
    """A running domain: setvcpus moves the guest (vm.resize) within its
    maximum; the persistent definition stays; refusals change nothing."""
    define(d)
    try:
        rv.virsh(d, "start", NAME)
        assert count(d, "--live", "--maximum") == 4
        assert count(d, "--live", "--current") == 1
        rv.virsh(d, "setvcpus", NAME, "3", "--live")
        assert count(d, "--live", "--current") == 3
        assert count(d, "--config", "--current") == 1
        # No flag: virsh sends the legacy SET_VCPUS, which is live.
        rv.virsh(d, "setvcpus", NAME, "2")
        assert count(d, "--live", "--current") == 2
        refused(d, "greater than max allowable vcpus for the live domain",
                "setvcpus", NAME, "5", "--live")
        refused(d, "maximum vCPU count of an active domain",
                "setvcpus", NAME, "2", "--live", "--config", "--maximum")
        refused(d, "not supported", "setvcpus", NAME, "2", "--guest")
        assert count(d, "--live", "--current") == 2
        assert count(d, "--config", "--maximum") == 4
        # --live --config: both, checked before either changes.
        refused(d, "greater than max allowable",
                "setvcpus", NAME, "6", "--live", "--config")
        rv.virsh(d, "setvcpus", NAME, "4", "--live", "--config")
        assert count(d, "--live", "--current") == 4
        assert count(d, "--config", "--current") == 4
        live = rv.virsh(d, "dumpxml", NAME).stdout
        assert "current='4'" not in live and ">4</vcpu>" in live, live
    finally:
        rv.virsh(d, "destroy", NAME, check=False)
        rv.virsh(d, "undefine", NAME, check=False)


@test
def setvcpus_config(d):
    """A shut-off domain: --config (and current, which means config) and
    --maximum rewrite the definition; --live is refused."""
    define(d)
    try:
        rv.virsh(d, "setvcpus", NAME, "2", "--config")
        assert count(d, "--config", "--current") == 2
        rv.virsh(d, "setvcpus", NAME, "3", "--current")
        assert count(d, "--config", "--current") == 3
        inactive = rv.virsh(d, "dumpxml", "--inactive", NAME).stdout
        assert "current='3'>4</vcpu>" in inactive, inactive
        # The maximum down takes the current count with it.
        rv.virsh(d, "setvcpus", NAME, "2", "--config", "--maximum")
        assert count(d, "--config", "--maximum") == 2
        assert count(d, "--config", "--current") == 2
        rv.virsh(d, "setvcpus", NAME, "6", "--config", "--maximum")
        assert count(d, "--config", "--maximum") == 6
        assert count(d, "--config", "--current") == 2
        refused(d, "greater than max allowable vcpus for the persistent",
                "setvcpus", NAME, "7", "--config")
        refused(d, "not running", "setvcpus", NAME, "2", "--live")
        # The definition survives a daemon restart.
        d.stop()
        d.start()
        assert count(d, "--config", "--maximum") == 6
        assert count(d, "--config", "--current") == 2
        # The new counts are what the domain starts with.
        rv.virsh(d, "start", NAME)
        assert count(d, "--live", "--maximum") == 6
        assert count(d, "--live", "--current") == 2
    finally:
        rv.virsh(d, "destroy", NAME, check=False)
        rv.virsh(d, "undefine", NAME, check=False)


def main():
    tmp = tempfile.mkdtemp(prefix="nd-vcpu-", dir="/tmp")
    d = rv.Daemon(tmp)
    failed = 0
    print("1..%d" % len(TESTS))
    try:
        d.start()

        def restart():
            if d.proc is None or d.proc.poll() is not None:
                d.start()

        failed += rv.run_tap(TESTS, "/rpc/vcpu", d, restart)
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
