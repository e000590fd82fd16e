#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
# nimbusd hotplug with the real nimbus and a real guest (KVM), one boot:
# virsh attach-device puts a disk into the running guest (it sees a new
# /dev/vdX and reads the data the test wrote), blockresize grows it (the
# guest sees the new size), detach-device takes it out (gone in the guest
# and in vm.info, the image closed); an ethernet interface on a TAP nimbus
# makes gets link and pings the host side, then goes; a <memory
# model='dimm'> attached live (ACPI memory hotplug in the room <maxMemory>
# leaves) grows the guest's MemTotal and shows in the live XML; setmem
# through the <memballoon> lowers the guest's MemTotal and dommemstat's
# actual, a target above <memory> is refused, and setmem back restores it;
# python3-libvirt receives DEVICE_ADDED and DEVICE_REMOVED.  The domain's <cputune> is
# applied at start (vCPU threads by nimbus, the others by nimbusd), and a
# vcpupin --config applies at the next start and to a hot-plugged vCPU,
# as /proc/PID/task/*/status says.  TAP output.
#
# Runs itself through tests/harness/with-kvm like test-nimbusd-lifecycle.py
# (same guest assets); it never skips.  NIMBUS_BOOT_TIMEOUT (120 s)
# bounds each wait for the guest.
import json
import os
import re
import select
import shutil
import sys
import threading
import time
import traceback

HERE = os.path.dirname(os.path.abspath(__file__))
SRC = os.environ.get("NIMBUS_TOP_SRCDIR") or os.path.join(HERE, "..", "..")
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(SRC, "tests", "unit"))

if not os.environ.get("NIMBUS_HARNESS_MODE"):
    harness = os.path.join(SRC, "tests", "harness", "with-kvm")
    os.execv(harness, [harness, "--", os.path.abspath(__file__)] + sys.argv[1:])

import libvirt  # noqa: E402  (after the re-exec: the harness may set paths)
from importlib import import_module  # noqa: E402

lc = import_module("test-nimbusd-lifecycle")
rv = import_module("test-rpc-virsh")

NAME = "kvm-hp"
DATA = b"nimbus-hotplug-data-42"
BOOT_TIMEOUT = lc.BOOT_TIMEOUT


def host_cpus():
    with open("/sys/devices/system/cpu/online") as f:
        return rv_parse_list(f.read())


def rv_parse_list(text):
    """A CPU list ("0-2,5") as a set."""
    cpus = set()
    for part in text.strip().split(","):
        lo, _, hi = part.partition("-")
        cpus.update(range(int(lo), int(hi or lo) + 1))
    return cpus


# vCPU 0 on the highest host CPU, the emulator threads on the lowest (the
# harness's L1 has two; with one, both are CPU 0 and the check is weaker).
PIN_LO, PIN_HI = min(host_cpus()), max(host_cpus())


def domain_xml():
    # <maxMemory>: 768 MiB of ACPI hotplug room (six 128 MiB slots);
    # memhp_default_state: the guest onlines what it is given (no udev).
    return lc.domain_xml().replace(
        "<name>kvm-guest</name>", "<name>%s</name>" % NAME).replace(
        "<memory unit='MiB'>256</memory>",
        "<maxMemory slots='4' unit='MiB'>1024</maxMemory>"
        "<memory unit='MiB'>256</memory>").replace(
        "panic=-1</cmdline>",
        "panic=-1 memhp_default_state=online</cmdline>").replace(
        "</devices>", "<memballoon model='virtio'/></devices>").replace(
        "<vcpu>1</vcpu>",
        "<vcpu current='1'>2</vcpu><cputune><vcpupin vcpu='0' cpuset='%d'/>"
        "<emulatorpin cpuset='%d'/></cputune>" % (PIN_HI, PIN_LO))


def thread_cpus(pid):
    """{comm: set of allowed CPUs} of nimbus's threads; comms repeat for
    the emulator's workers, so those are merged under 'emulator'."""
    out = {}
    for tid in os.listdir("/proc/%d/task" % pid):
        try:
            with open("/proc/%d/task/%s/comm" % (pid, tid)) as f:
                comm = f.read().strip()
            with open("/proc/%d/task/%s/status" % (pid, tid)) as f:
                m = re.search(r"^Cpus_allowed_list:\s*(\S+)", f.read(),
                              re.M)
        except FileNotFoundError:
            continue            # a worker that ended meanwhile
        key = comm if re.match(r"vcpu\d+$", comm) else "emulator"
        out.setdefault(key, set()).update(rv_parse_list(m.group(1)))
    return out


class Guest:
    """The guest's shell over one `virsh console`."""

    def __init__(self, env):
        self.con = rv.Console(env, NAME)
        self.con.expect("Escape character", timeout=BOOT_TIMEOUT)
        self.n = 0
        deadline = time.time() + BOOT_TIMEOUT
        while True:
            self.con.send("\recho nimbus-$((6*7))\r")
            try:
                self.con.expect("nimbus-42", timeout=3)
                break
            except AssertionError:
                if time.time() > deadline:
                    raise

    def sh(self, cmd, timeout=BOOT_TIMEOUT):
        """Runs @cmd; returns what it printed.  The end marker is computed
        by the shell, so the echoed command line never matches it."""
        self.n += 1
        start, end = "hp-begin-%d" % self.n, "hp-end-%d" % self.n
        self.con.send("echo hp-begin-$((%d)); %s; echo hp-end-$((%d))\r"
                      % (self.n, cmd, self.n))
        self.con.expect(start + "\r\n", timeout=timeout)
        deadline = time.time() + timeout
        while end.encode() not in self.con.buf:
            r, _, _ = select.select([self.con.fd], [], [],
                                    max(0, deadline - time.time()))
            if not r:
                raise AssertionError("guest: no %r after %r" %
                                     (end, self.con.buf[-300:]))
            self.con.buf += os.read(self.con.fd, 4096)
        out, self.con.buf = self.con.buf.split(end.encode(), 1)
        return out.decode(errors="replace")

    def close(self):
        self.con.send("\x1d")
        self.con.wait_exit()


def nimbus_pid(env):
    with open(os.path.join(env.state, NAME + ".json")) as f:
        return json.load(f)["pid"]


def has_open(pid, path):
    fd_dir = "/proc/%d/fd" % pid
    for fd in os.listdir(fd_dir):
        try:
            if os.readlink(os.path.join(fd_dir, fd)) == path:
                return True
        except OSError:
            pass
    return False


def vm_info(env):
    sock = os.path.join(env.state, NAME + ".sock")
    r = lc.run([os.path.join(lc.BUILD, "nimbus-remote"), "--api-socket", sock,
                "info"])
    return r.stdout


def wait_pinned(pid, comm, want):
    """Waits until thread @comm of @pid exists with affinity @want: nimbus
    pins each vCPU thread before it first enters the guest."""
    deadline = time.time() + BOOT_TIMEOUT
    while thread_cpus(pid).get(comm) != want and time.time() < deadline:
        time.sleep(0.1)
    assert thread_cpus(pid).get(comm) == want, thread_cpus(pid)


def main():
    libvirt.virEventRegisterDefaultImpl()
    threading.Thread(target=lc.event_loop, daemon=True).start()
    libvirt.registerErrorHandler(lambda ctx, err: None, None)
    env = lc.Env()
    img = os.path.join(env.tmp, "hp.img")
    with open(img, "wb") as f:
        f.write(DATA)
        f.truncate(4 << 20)
    disk_xml = os.path.join(env.tmp, "disk.xml")
    with open(disk_xml, "w") as f:
        f.write("<disk type='file' device='disk'><driver name='qemu' "
                "type='raw'/><source file='%s'/><target dev='vda' "
                "bus='virtio'/></disk>" % img)
    events = []
    ctx = {}
    steps = []
    failed = 0

    def step(fn):
        steps.append(fn)
        return fn

    @step
    def start_guest():
        xml = os.path.join(env.tmp, "guest.xml")
        with open(xml, "w") as f:
            f.write(domain_xml())
        env.virsh("define", xml)
        env.virsh("start", NAME)
        ctx["guest"] = Guest(env)
        ctx["pid"] = nimbus_pid(env)

    @step
    def attach_disk_guest_reads_it():
        g = ctx["guest"]
        env.virsh("attach-device", NAME, disk_xml, "--live")
        live = env.virsh("dumpxml", NAME).stdout
        assert "<alias name='virtio-disk0'/>" in live, live
        assert re.search(r"<address type='pci' domain='0x0000' bus='0x00' "
                         r"slot='0x[0-9a-f]{2}' function='0x0'/>", live), live
        assert has_open(ctx["pid"], img)
        out = g.sh("i=0; while [ ! -b /dev/vda ] && [ $i -lt 300 ]; do "
                   "sleep 0.1; i=$((i + 1)); done; "
                   "echo \"hp-data: $(head -c %d /dev/vda)\"; "
                   "echo \"hp-size: $(cat /sys/block/vda/size)\"" % len(DATA))
        assert "hp-data: " + DATA.decode() in out, out
        assert "hp-size: 8192" in out, out

    @step
    def blockresize_guest_sees_it():
        g = ctx["guest"]
        env.virsh("blockresize", NAME, "vda", "8M")
        assert os.path.getsize(img) == 8 << 20
        out = g.sh("i=0; while [ \"$(cat /sys/block/vda/size)\" != 16384 ] "
                   "&& [ $i -lt 300 ]; do sleep 0.1; i=$((i + 1)); done; "
                   "echo \"hp-size: $(cat /sys/block/vda/size)\"")
        assert "hp-size: 16384" in out, out
        r = env.virsh("blockresize", NAME, "vda", "4M", check=False)
        assert r.returncode != 0 and "shrinking" in r.stderr, r.stderr

    @step
    def detach_disk_gone_everywhere():
        g = ctx["guest"]
        env.virsh("detach-device", NAME, disk_xml, "--live")
        assert "virtio-disk0" not in env.virsh("dumpxml", NAME).stdout
        assert not has_open(ctx["pid"], img)
        assert "hp.img" not in vm_info(env)
        out = g.sh("i=0; while [ -b /dev/vda ] && [ $i -lt 300 ]; do "
                   "sleep 0.1; i=$((i + 1)); done; "
                   "[ -b /dev/vda ] && echo hp-still-there || echo hp-gone")
        assert "hp-gone" in out, out

    @step
    def attach_interface_guest_pings():
        # type='ethernet': nimbus creates the TAP with the host address.
        g = ctx["guest"]
        tap = "hptap%d" % (os.getpid() % 1000)
        nic = os.path.join(env.tmp, "nic.xml")
        with open(nic, "w") as f:
            f.write("<interface type='ethernet'><mac address='52:54:00:12:34:56'/>"
                    "<target dev='%s'/><ip address='192.168.253.1' prefix='24'/>"
                    "<model type='virtio'/></interface>" % tap)
        env.virsh("attach-device", NAME, nic, "--live")
        assert "<alias name='net0'/>" in env.virsh("dumpxml", NAME).stdout
        out = g.sh("i=0; while [ ! -e /sys/class/net/eth0 ] && [ $i -lt 300 ]; "
                   "do sleep 0.1; i=$((i + 1)); done; ip link set eth0 up; "
                   "ip addr add 192.168.253.2/24 dev eth0; "
                   "ping -c 3 -W 5 192.168.253.1 >/dev/null && echo hp-ping-ok")
        assert "hp-ping-ok" in out, out
        env.virsh("detach-device", NAME, nic, "--live")
        assert "<interface" not in env.virsh("dumpxml", NAME).stdout
        out = g.sh("i=0; while [ -e /sys/class/net/eth0 ] && [ $i -lt 300 ]; "
                   "do sleep 0.1; i=$((i + 1)); done; "
                   "[ -e /sys/class/net/eth0 ] && echo hp-net-still-there "
                   "|| echo hp-net-gone")
        assert "hp-net-gone" in out, out

    @step
    def setmem_balloon_guest_follows():
        # No autodeflate: Linux's virtio_balloon then takes the pages it
        # gives up out of totalram, so MemTotal moves with the target.
        g = ctx["guest"]
        mt = "sed -n 's/^MemTotal: *\\([0-9]*\\) kB/\\1/p' /proc/meminfo"
        before = int(re.search(r"hp-mt: (\d+)",
                               g.sh("echo \"hp-mt: $(%s)\"" % mt)).group(1))

        def actual():
            out = env.virsh("dommemstat", NAME).stdout
            return int(re.search(r"^actual (\d+)$", out, re.M).group(1))

        def wait_actual(want):
            deadline = time.time() + BOOT_TIMEOUT
            while actual() != want and time.time() < deadline:
                time.sleep(0.5)
            assert actual() == want, env.virsh("dommemstat", NAME).stdout

        assert actual() == 262144
        # Down by 96 MiB: the guest's balloon inflates to it.
        env.virsh("setmem", NAME, "163840", "--live")
        out = g.sh("b=%d; i=0; while [ $((b - $(%s))) -lt 98000 ] && "
                   "[ $i -lt 600 ]; do sleep 0.1; i=$((i + 1)); done; "
                   "echo \"hp-shrunk: $((b - $(%s)))\"" % (before, mt, mt))
        shrunk = int(re.search(r"hp-shrunk: (-?\d+)", out).group(1))
        print("# setmem 160 MiB: MemTotal %d kB -> %d kB"
              % (before, before - shrunk))
        assert 98000 <= shrunk <= 98304 + 4096, out
        wait_actual(163840)
        assert "<currentMemory unit='KiB'>163840</currentMemory>" in \
            env.virsh("dumpxml", NAME).stdout
        # Above <memory>: refused, and nothing moves.
        r = env.virsh("setmem", NAME, "524288", "--live", check=False)
        assert r.returncode != 0 and \
            "cannot set memory higher than max memory" in r.stderr, r.stderr
        assert actual() == 163840
        assert "<currentMemory unit='KiB'>163840</currentMemory>" in \
            env.virsh("dumpxml", NAME).stdout
        # Back up: the balloon deflates, MemTotal comes back.
        env.virsh("setmem", NAME, "262144", "--live")
        out = g.sh("b=%d; i=0; while [ $((b - $(%s))) -gt 1024 ] && "
                   "[ $i -lt 600 ]; do sleep 0.1; i=$((i + 1)); done; "
                   "echo \"hp-back: $((b - $(%s)))\"" % (before, mt, mt))
        back = int(re.search(r"hp-back: (-?\d+)", out).group(1))
        assert -1024 <= back <= 1024, out
        wait_actual(262144)

    @step
    def attach_dimm_guest_onlines_it():
        g = ctx["guest"]
        mt = "sed -n 's/^MemTotal: *\\([0-9]*\\) kB/\\1/p' /proc/meminfo"
        before = int(re.search(r"hp-mt: (\d+)",
                               g.sh("echo \"hp-mt: $(%s)\"" % mt)).group(1))
        dimm = os.path.join(env.tmp, "dimm.xml")
        with open(dimm, "w") as f:
            f.write("<memory model='dimm'><target><size unit='MiB'>128"
                    "</size><node>0</node></target></memory>")
        env.virsh("attach-device", NAME, dimm, "--live")
        live = env.virsh("dumpxml", NAME).stdout
        assert "<memory model='dimm'>" in live, live
        assert "<alias name='dimm0'/>" in live, live
        assert "<memory unit='KiB'>393216</memory>" in live, live
        assert "\"hotplugged_size\":134217728" in vm_info(env)
        out = g.sh("b=%d; i=0; while [ $(($(%s) - b)) -lt 125000 ] && "
                   "[ $i -lt 600 ]; do sleep 0.1; i=$((i + 1)); done; "
                   "echo \"hp-grown: $(($(%s) - b))\"" % (before, mt, mt))
        grown = int(re.search(r"hp-grown: (-?\d+)", out).group(1))
        assert 125000 <= grown <= 131072, out

    @step
    def cputune_applied_at_start():
        print("# host CPUs %s: vcpu0 pinned to %d, the emulator to %d"
              % (sorted(host_cpus()), PIN_HI, PIN_LO))
        cpus = thread_cpus(ctx["pid"])
        assert cpus.get("vcpu0") == {PIN_HI}, cpus
        assert cpus.get("emulator") == {PIN_LO}, cpus
        live = env.virsh("dumpxml", NAME).stdout
        assert "<vcpupin vcpu='0' cpuset='%d'/>" % PIN_HI in live, live
        out = env.virsh("vcpuinfo", NAME).stdout
        want = "".join("y" if c == PIN_HI else "-"
                       for c in range(max(host_cpus()) + 1))
        assert re.search(r"CPU Affinity:\s+%s" % want, out), out

    @step
    def vcpupin_config_survives_restart():
        env.virsh("vcpupin", NAME, "0", str(PIN_LO), "--config")
        env.virsh("vcpupin", NAME, "1", str(PIN_HI), "--config")
        ctx["guest"].close()
        del ctx["guest"]
        env.virsh("destroy", NAME)
        env.virsh("start", NAME)
        pid = nimbus_pid(env)
        wait_pinned(pid, "vcpu0", {PIN_LO})
        # A hot-plugged vCPU gets its <vcpupin> too (cpus.affinity).
        env.virsh("setvcpus", NAME, "2", "--live")
        wait_pinned(pid, "vcpu1", {PIN_HI})

    @step
    def device_events():
        want = [("added", "virtio-disk0"), ("removed", "virtio-disk0"),
                ("added", "net0"), ("removed", "net0"), ("added", "dimm0")]
        deadline = time.time() + 10
        while len(events) < len(want) and time.time() < deadline:
            time.sleep(0.1)
        assert events == want, events

    env.start()
    conn = libvirt.open(env.uri)
    for kind, ev in (("added", libvirt.VIR_DOMAIN_EVENT_ID_DEVICE_ADDED),
                     ("removed", libvirt.VIR_DOMAIN_EVENT_ID_DEVICE_REMOVED)):
        conn.domainEventRegisterAny(
            None, ev, lambda c, d, alias, o, k=kind: events.append((k, alias)),
            None)
    print("1..%d" % len(steps))
    try:
        for i, fn in enumerate(steps, 1):
            name = fn.__name__.replace("_", "-")
            try:
                fn()
                print("ok %d /nimbusd/kvm/hotplug/%s" % (i, name))
            except Exception:
                failed += 1
                print("not ok %d /nimbusd/kvm/hotplug/%s" % (i, name))
                for line in traceback.format_exc().splitlines():
                    print("# " + line)
            sys.stdout.flush()
    finally:
        if "guest" in ctx:
            try:
                ctx["guest"].close()
            except Exception:
                pass
        lc.run(["virsh", "-c", env.uri, "destroy", NAME], check=False)
        conn.close()
        env.stop()
        if failed:
            lc.dump_logs(env.tmp)
        else:
            shutil.rmtree(env.tmp, ignore_errors=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
