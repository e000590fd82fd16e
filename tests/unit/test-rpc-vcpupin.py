#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
# nimbusd's vCPU placement with stock virsh against the fake VMM, whose
# vCPU threads are real threads named vcpu<N>: vcpuinfo (GET_VCPUS,
# GET_VCPU_PIN_INFO), vcpupin (PIN_VCPU_FLAGS) and emulatorpin
# (PIN_EMULATOR, GET_EMULATOR_PIN_INFO), checked against /proc.
import importlib.util
import json
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

NAME = "vm-vcpupin"
UUID = "6b7c8d9e-0000-4000-8000-0000000000c2"
TESTS = []


def test(fn):
    TESTS.append(fn)
    return fn


def refused(d, needle, *args):
    r = rv.virsh(d, *args, check=False)
    assert r.returncode != 0 and needle in r.stderr, (args, r.stderr)


def define(d, cputune="", check=True):
    xml = rv.golden_xml(NAME, UUID)
    xml = re.sub(r"<vcpu[^>]*>[^<]*</vcpu>",
                 "<vcpu current='2'>4</vcpu>" + cputune, xml)
    return rv.virsh(d, "define",
                    rv.write(os.path.join(d.tmp, "pin.xml"), xml),
                    check=check)


def dumpxml(d, *flags):
    return rv.virsh(d, "dumpxml", NAME, *flags).stdout


def parse_list(text):
    """A CPU list ("0-2,5") as a set."""
    cpus = set()
    for part in text.strip().split(","):
        lo, _, hi = part.partition("-")
        cpus.update(range(int(lo), int(hi or lo) + 1))
    return cpus


def host_cpus():
    with open("/sys/devices/system/cpu/online") as f:
        return parse_list(f.read())


def yn(cpus):
    """virsh's affinity string: one y or - per host CPU."""
    n = max(host_cpus()) + 1
    return "".join("y" if i in cpus else "-" for i in range(n))


def vmm_pid(d):
    with open(os.path.join(d.state, NAME + ".json")) as f:
        return json.load(f)["pid"]


def threads(pid):
    """{tid: comm} of every thread of @pid."""
    out = {}
    for tid in os.listdir("/proc/%d/task" % pid):
        # A thread (the fake's HTTP handlers) may end after the listing:
        # before the open (ENOENT) or between the open and the read (ESRCH).
        try:
            with open("/proc/%d/task/%s/comm" % (pid, tid)) as f:
                out[int(tid)] = f.read().strip()
        except (FileNotFoundError, ProcessLookupError):
            continue
    return out


def vcpu_tid(pid, n):
    tids = [t for t, c in threads(pid).items() if c == "vcpu%d" % n]
    assert len(tids) == 1, threads(pid)
    return tids[0]


def stat(pid, tid):
    """/proc/PID/task/TID/stat's fields from field 3 (state) on."""
    with open("/proc/%d/task/%d/stat" % (pid, tid)) as f:
        return f.read().rsplit(")", 1)[1].split()


def ticks(f):
    """utime + stime (fields 14 and 15) of stat() fields @f."""
    return int(f[11]) + int(f[12])


def allowed(pid, tid):
    with open("/proc/%d/task/%d/status" % (pid, tid)) as f:
        m = re.search(r"^Cpus_allowed_list:\s*(\S+)", f.read(), re.M)
    return parse_list(m.group(1))


def vcpuinfo(d):
    """virsh vcpuinfo: {vcpu: {field: value}}."""
    out = {}
    cur = None
    for line in rv.virsh(d, "vcpuinfo", NAME).stdout.splitlines():
        key, _, val = line.partition(":")
        if key == "VCPU":
            cur = out.setdefault(int(val), {})
        elif key:
            cur[key.strip()] = val.strip()
    return out


def pins(d, *flags):
    """virsh -q vcpupin (query, lines " 0   0-1"): {vcpu: set of CPUs}."""
    out = {}
    for line in rv.virsh(d, "vcpupin", NAME, *flags).stdout.splitlines():
        vcpu, cpus = line.split()
        out[int(vcpu)] = parse_list(cpus)
    return out


@test
def vcpuinfo_reads_proc(d):
    """Per running vCPU, virsh shows what /proc says of its thread: the
    CPU it last ran on, its state, its CPU time and its affinity."""
    define(d)
    try:
        rv.virsh(d, "start", NAME)
        pid = vmm_pid(d)
        # The fake's vCPU threads burn 0.2 s of CPU, then sleep: /proc's
        # numbers stay put while virsh reads them.
        rv.wait_for(lambda: sum(1 for c in threads(pid).values()
                                if c.startswith("vcpu")) == 2, "vCPUs")
        hz = os.sysconf("SC_CLK_TCK")
        rv.wait_for(lambda: all(stat(pid, vcpu_tid(pid, n))[0] == "S" and
                                ticks(stat(pid, vcpu_tid(pid, n))) >= hz // 10
                                for n in (0, 1)), "vCPU threads idle", 30)
        info = vcpuinfo(d)
        assert sorted(info) == [0, 1], info
        for n in (0, 1):
            tid = vcpu_tid(pid, n)
            f = stat(pid, tid)
            secs = ticks(f) / hz
            assert info[n]["CPU"] == f[36], (info[n], f)
            assert info[n]["CPU time"] == "%.1fs" % secs, (info[n], secs)
            assert info[n]["State"] == ("running" if f[0] == "R"
                                        else "blocked"), info[n]
            assert info[n]["CPU Affinity"] == yn(allowed(pid, tid)), info[n]
        # setvcpus: the new vCPU's thread shows up.
        rv.virsh(d, "setvcpus", NAME, "3", "--live")
        rv.wait_for(lambda: sorted(vcpuinfo(d)) == [0, 1, 2], "vcpu2")
    finally:
        rv.virsh(d, "destroy", NAME, check=False)
        rv.virsh(d, "undefine", NAME, check=False)


@test
def vcpupin_live(d):
    """vcpupin --live sets that vCPU thread's affinity and no other's;
    the query and vcpuinfo show it; bad requests change nothing."""
    cpus = host_cpus()
    one = {min(cpus)}
    define(d)
    try:
        rv.virsh(d, "start", NAME)
        pid = vmm_pid(d)
        rv.wait_for(lambda: sum(1 for c in threads(pid).values()
                                if c.startswith("vcpu")) == 2, "vCPUs")
        before = allowed(pid, vcpu_tid(pid, 0))
        rv.virsh(d, "vcpupin", NAME, "1", str(min(cpus)), "--live")
        assert allowed(pid, vcpu_tid(pid, 1)) == one
        assert allowed(pid, vcpu_tid(pid, 0)) == before
        got = pins(d, "--live")
        assert got[1] == one and got[0] == before, got
        # Unplugged vCPUs (2, 3) may run anywhere.
        assert got[2] == cpus and got[3] == cpus, got
        assert vcpuinfo(d)[1]["CPU Affinity"] == yn(one)
        # No flag on a running domain: live too.
        rv.virsh(d, "vcpupin", NAME, "0", ",".join(map(str, sorted(cpus))))
        assert allowed(pid, vcpu_tid(pid, 0)) == cpus
        refused(d, "out of range of live cpu count 2",
                "vcpupin", NAME, "3", str(min(cpus)), "--live")
        # The live XML shows the pins in effect.
        assert "<vcpupin vcpu='1' cpuset='%d'/>" % min(cpus) in dumpxml(d)
        # --config: the persistent definition only, the thread unchanged.
        rv.virsh(d, "vcpupin", NAME, "0", str(max(cpus)), "--config")
        assert pins(d, "--config")[0] == {max(cpus)}
        assert allowed(pid, vcpu_tid(pid, 0)) == cpus
        assert ("<vcpupin vcpu='0' cpuset='%d'/>" % max(cpus)
                in dumpxml(d, "--inactive"))
        refused(d, "vcpu 4 is out of range of persistent cpu count 4",
                "vcpupin", NAME, "4", str(min(cpus)), "--config")
        # An empty map: virsh refuses one itself, python3-libvirt sends it.
        lv = rv.libvirt
        dom = lv.open(d.uri).lookupByName(NAME)
        empty = (False,) * (max(cpus) + 1)
        for call in (lambda: dom.pinVcpuFlags(1, empty,
                                              lv.VIR_DOMAIN_AFFECT_LIVE),
                     lambda: dom.pinEmulator(empty,
                                             lv.VIR_DOMAIN_AFFECT_LIVE)):
            try:
                call()
                raise AssertionError("an empty cpumap was accepted")
            except lv.libvirtError as e:
                assert e.get_error_code() == lv.VIR_ERR_INVALID_ARG, e
                assert "Empty cpu list" in str(e), e
        assert allowed(pid, vcpu_tid(pid, 1)) == one
        assert allowed(pid, pid) == cpus
        # A restarted nimbusd finds the adopted process's threads.
        d.stop()
        d.start()
        assert pins(d, "--live")[1] == one
        rv.virsh(d, "vcpupin", NAME, "1", str(max(cpus)), "--live")
        assert allowed(pid, vcpu_tid(pid, 1)) == {max(cpus)}
    finally:
        rv.virsh(d, "destroy", NAME, check=False)
        rv.virsh(d, "undefine", NAME, check=False)


@test
def emulatorpin_live(d):
    """emulatorpin --live pins every nimbus thread that is not a vCPU's
    and leaves the vCPU threads alone."""
    cpus = host_cpus()
    one = {min(cpus)}
    define(d)
    try:
        rv.virsh(d, "start", NAME)
        pid = vmm_pid(d)
        rv.wait_for(lambda: sum(1 for c in threads(pid).values()
                                if c.startswith("vcpu")) == 2, "vCPUs")
        rv.virsh(d, "emulatorpin", NAME, str(min(cpus)), "--live")
        ts = threads(pid)
        assert any(not c.startswith("vcpu") for c in ts.values()), ts
        for tid, comm in ts.items():
            want = cpus if comm.startswith("vcpu") else one
            assert allowed(pid, tid) == want, (comm, allowed(pid, tid))
        out = rv.virsh(d, "emulatorpin", NAME, "--live").stdout
        assert parse_list(out) == one, out
        assert "<emulatorpin cpuset='%d'/>" % min(cpus) in dumpxml(d)
        # --live --config: both at once.
        rv.virsh(d, "emulatorpin", NAME, str(max(cpus)), "--live",
                 "--config")
        assert allowed(pid, pid) == {max(cpus)}
        out = rv.virsh(d, "emulatorpin", NAME, "--config").stdout
        assert parse_list(out) == {max(cpus)}, out
        assert ("<emulatorpin cpuset='%d'/>" % max(cpus)
                in dumpxml(d, "--inactive"))
    finally:
        rv.virsh(d, "destroy", NAME, check=False)
        rv.virsh(d, "undefine", NAME, check=False)


@test
def shut_off_domain(d):
    """A shut-off domain: vcpuinfo falls back to the definition's pinning
    (every host CPU without <cputune>); pinning live is refused, --current
    pins the definition."""
    cpus = host_cpus()
    define(d)
    try:
        info = vcpuinfo(d)
        assert sorted(info) == [0, 1], info
        assert all(v["CPU Affinity"] == yn(cpus) and v["CPU"] == "N/A"
                   for v in info.values()), info
        assert pins(d) == {i: cpus for i in range(4)}, pins(d)
        out = rv.virsh(d, "emulatorpin", NAME).stdout
        assert parse_list(out) == cpus, out
        refused(d, "not running", "vcpupin", NAME, "0", "0", "--live")
        refused(d, "not running", "emulatorpin", NAME, "0", "--live")
        # No flag is the legacy, live call; --current means the config.
        refused(d, "not running", "vcpupin", NAME, "0", "0")
        rv.virsh(d, "vcpupin", NAME, "2", str(min(cpus)), "--current")
        rv.virsh(d, "emulatorpin", NAME, str(min(cpus)), "--current")
        assert pins(d)[2] == {min(cpus)} and pins(d)[0] == cpus, pins(d)
        out = rv.virsh(d, "emulatorpin", NAME).stdout
        assert parse_list(out) == {min(cpus)}, out
    finally:
        rv.virsh(d, "undefine", NAME, check=False)


@test
def cputune_at_start(d):
    """<cputune> is applied at start: <vcpupin> by the VMM (cpus.affinity),
    <emulatorpin> by nimbusd on every other thread; a pin --config'd
    while running applies at the next start.  A CPU the host does not
    have is refused at define."""
    cpus = host_cpus()
    lo, hi = min(cpus), max(cpus)
    r = define(d, "<cputune><vcpupin vcpu='0' cpuset='1023'/></cputune>",
               check=False)
    assert (r.returncode != 0 and "<vcpupin vcpu='0'>: CPU 1023 is not an "
            "online CPU of this host" in r.stderr), r.stderr
    define(d, "<cputune><vcpupin vcpu='1' cpuset='%d'/>"
              "<emulatorpin cpuset='%d'/></cputune>" % (lo, hi))
    try:
        rv.virsh(d, "start", NAME)
        pid = vmm_pid(d)
        rv.wait_for(lambda: sum(1 for c in threads(pid).values()
                                if c.startswith("vcpu")) == 2, "vCPUs")
        assert allowed(pid, vcpu_tid(pid, 1)) == {lo}
        for tid, comm in threads(pid).items():
            try:
                got = allowed(pid, tid)
            except FileNotFoundError:
                continue            # an HTTP handler thread that ended
            if not comm.startswith("vcpu"):
                assert got == {hi}, (comm, got)
        assert vcpuinfo(d)[1]["CPU Affinity"] == yn({lo})
        assert pins(d, "--live")[1] == {lo}
        rv.virsh(d, "vcpupin", NAME, "0", str(hi), "--config")
        rv.virsh(d, "destroy", NAME)
        rv.virsh(d, "start", NAME)
        pid = vmm_pid(d)
        rv.wait_for(lambda: sum(1 for c in threads(pid).values()
                                if c.startswith("vcpu")) == 2, "vCPUs")
        assert allowed(pid, vcpu_tid(pid, 0)) == {hi}
        assert allowed(pid, vcpu_tid(pid, 1)) == {lo}
    finally:
        rv.virsh(d, "destroy", NAME, check=False)
        rv.virsh(d, "undefine", NAME, check=False)


def main():
    tmp = tempfile.mkdtemp(prefix="nd-vcpupin-", dir="/tmp")
    d = rv.Daemon(tmp)
    failed = 0
    print("1..%d" % len(TESTS))
    try:
        d.start()

        def restart():
            if d.proc is None or d.proc.poll() is not None:
                d.start()

        failed += rv.run_tap(TESTS, "/rpc/vcpupin", d, restart)
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
