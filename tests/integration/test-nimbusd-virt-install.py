#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
# Stock virt-install against nimbusd with libvirtd's default network and
# pool, and a real guest (KVM), one boot (issue 11): `--disk size=1` makes
# a volume in the default pool, `--network network=default,model=virtio`
# gets a TAP on virbr0, the guest takes a DHCP lease from libvirt's dnsmasq
# and pings the network's gateway; a second domain on the same volume is
# refused with nothing left behind; virt-install's bad input (a network,
# pool or bridge that does not exist) fails with one clear error and
# leaves no domain, volume or TAP; destroy and undefine
# --remove-all-storage leave no TAP and no volume.  The guest has two NUMA
# cells from `--cpu cell0...,cell1...` (virt-install's XML: no ids, one
# distance given one way): it sees node0 and node1 with their vCPU, size
# and symmetric distances.  TAP output.
#
# libvirtd is a private root one in the test's own mount and network
# namespaces (tests/integration/l1_libvirtd.py).  Runs itself through
# tests/harness/with-kvm like test-nimbusd-lifecycle.py (same guest
# assets); it never skips.  NIMBUS_BOOT_TIMEOUT (120 s) bounds the wait
# for the guest.
import base64
import os
import re
import shutil
import sys
import time
import traceback

# No __pycache__ in the source tree from the helpers imported below.
sys.dont_write_bytecode = True
HERE = os.path.dirname(os.path.abspath(__file__))
SRC = os.environ.get("NIMBUS_TOP_SRCDIR") or os.path.join(HERE, "..", "..")
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(SRC, "tests", "unit"))

if not os.environ.get("NIMBUS_HARNESS_MODE"):
    harness = os.path.join(SRC, "tests", "harness", "with-kvm")
    os.execv(harness, [harness, "--", os.path.abspath(__file__)] + sys.argv[1:])

import l1_libvirtd  # noqa: E402

l1_libvirtd.enter_namespaces()

import libvirt  # noqa: E402  (after the re-execs: the harness may set paths)
from importlib import import_module  # noqa: E402

lc = import_module("test-nimbusd-lifecycle")

NAME = "vi-guest"
# Two guest NUMA cells of 128 MiB (virt-install writes them without ids),
# 25 apart, given from cell 0 only: libvirt's rule makes it symmetric.
NUMA_CELLS = ("cell0.cpus=0,cell0.memory=131072,"
              "cell0.distances.sibling0.id=1,"
              "cell0.distances.sibling0.value=25,"
              "cell1.cpus=1,cell1.memory=131072")
BOOT_TIMEOUT = lc.BOOT_TIMEOUT
# virt-install took 72 s in the emulated harness at a host load of 19 (2
# cores), and over 120 s at 35: its own bound, above lc.run()'s.
VIRT_INSTALL_TIMEOUT = 2.5 * BOOT_TIMEOUT

def guest_script():
    """The guest's script (guest-init's nimbus.cmd): a lease from libvirt's
    dnsmasq (busybox udhcpc; its script only sets the address), then a ping
    of the router the lease named.  The final sleep keeps the guest running
    until the test destroys it, so that its disk stays in use meanwhile."""
    return (
        # The NUMA nodes the two <cell>s gave (guest_sees_two_numa_nodes).
        "cd /sys/devices/system/node\n"
        "echo \"vi-numa-nodes: $(ls -d node* | tr '\\n' ' ')\"\n"
        "for n in node*; do\n"
        "  echo \"vi-numa-$n-cpus: $(cat $n/cpulist)\"\n"
        "  echo \"vi-numa-$n-kb: $(sed -n "
        "'s/.*MemTotal: *\\([0-9]*\\) kB/\\1/p' $n/meminfo)\"\n"
        "  echo \"vi-numa-$n-dist: $(cat $n/distance)\"\n"
        "done\n"
        "cd /\n"
        "cat >/run/dhcp.sh <<'EOF'\n"
        "#!/bin/sh\n"
        "case $1 in bound|renew)\n"
        "    ip addr add \"$ip/$mask\" dev \"$interface\"\n"
        "    echo \"$router\" >/run/router\n"
        "    echo \"vi-lease: $ip/$mask router $router\" ;;\n"
        "esac\n"
        "EOF\n"
        "chmod +x /run/dhcp.sh\n"
        "ip link set eth0 up\n"
        "udhcpc -i eth0 -n -q -t 10 -T 3 -s /run/dhcp.sh || "
        "echo vi-dhcp-failed\n"
        "gw=$(cat /run/router 2>/dev/null)\n"
        "if [ -n \"$gw\" ] && ping -c 3 -W 5 \"$gw\"; then\n"
        "    echo \"vi-ping-ok $gw\"\n"
        "else\n"
        "    echo \"vi-ping-failed $gw\"\n"
        "fi\n"
        "sleep 3600\n")


def kernel_args():
    cmd = base64.b64encode(guest_script().encode()).decode()
    return ("console=ttyS0 quiet no_timer_check cryptomgr.notests panic=-1 "
            "nimbus.cmd=" + cmd)


def virt_install(env, name, *args, check=True, vcpus="1"):
    """Stock virt-install on nimbusd's socket: a direct kernel boot of the
    harness's guest, no graphics, virtio disk and NIC by default."""
    kernel = lc.asset("vmlinux", "vmlinuz")
    initrd = lc.asset("guest-initramfs.cpio", "initramfs-guest.cpio.gz")
    args = ["virt-install", "--connect", env.uri, "--name", name,
            "--memory", "256", "--vcpus", vcpus,
            "--boot", "kernel=%s,initrd=%s,kernel_args=%s"
            % (kernel, initrd, kernel_args()),
            "--graphics", "none", "--osinfo", "detect=on,require=off",
            "--import", "--noautoconsole"] + list(args)
    return l1_libvirtd.run(args, check=check, timeout=VIRT_INSTALL_TIMEOUT)


def taps():
    return [n for n in l1_libvirtd.links() if n.startswith("vnet")]


def volumes(lv):
    return sorted(lv.conn.storagePoolLookupByName("default").listVolumes())


def main():
    libvirt.registerErrorHandler(lambda ctx, err: None, None)
    env = lc.Env()
    lv = l1_libvirtd.Libvirtd(env.tmp)
    pool_dir = os.path.join(env.tmp, "pool")
    serial_log = os.path.join(env.tmp, "serial.log")
    ctx = {}
    steps = []
    failed = 0

    def step(fn):
        steps.append(fn)
        return fn

    @step
    def default_network_and_pool_through_nimbusd():
        lv.start()
        lv.start_default_network()
        lv.start_default_pool(pool_dir)
        env.start()
        out = env.virsh("net-list").stdout
        assert re.search(r"^\s*default\s+active", out, re.M), out
        out = env.virsh("pool-list").stdout
        assert re.search(r"^\s*default\s+active", out, re.M), out
        assert "virbr0" in l1_libvirtd.links(), l1_libvirtd.links()
        ctx["links"] = l1_libvirtd.links()

    @step
    def virt_install_defines_and_starts():
        virt_install(env, NAME, "--disk", "size=1,bus=virtio",
                     "--network", "network=default,model=virtio",
                     "--serial", "pty,log.file=%s" % serial_log,
                     "--cpu", NUMA_CELLS, vcpus="2")
        assert env.state_of(NAME).startswith("running"), env.state_of(NAME)
        # The volume virt-install made in the default pool is the disk.
        assert volumes(lv) == [NAME + ".img"], volumes(lv)
        path = os.path.join(pool_dir, NAME + ".img")
        live = env.virsh("dumpxml", NAME).stdout
        assert "<source file='%s'/>" % path in live, live
        # The live XML names the network, its bridge and the TAP on it.
        assert "<source network='default' bridge='virbr0'/>" in live, live
        tap = re.search(r"<interface type='network'>.*?<target dev='([^']+)'",
                        live, re.S).group(1)
        assert taps() == [tap], (taps(), tap)
        out = l1_libvirtd.run(["ip", "-o", "link", "show", "master",
                               "virbr0"]).stdout
        assert (": %s:" % tap) in out, out
        assert "<model type='virtio'/>" in live, live

    @step
    def volume_in_use_is_refused():
        # A second domain on the running guest's volume: nimbus's image
        # lock refuses it; the TAP made for its NIC is gone again.
        xml = lc.domain_xml().replace("<name>kvm-guest</name>",
                                      "<name>vi-second</name>").replace(
            "</devices>",
            "<disk type='volume' device='disk'><source pool='default' "
            "volume='%s.img'/><target dev='vda' bus='virtio'/></disk>"
            "<interface type='network'><source network='default'/>"
            "<model type='virtio'/></interface></devices>" % NAME)
        path = os.path.join(env.tmp, "second.xml")
        with open(path, "w") as f:
            f.write(xml)
        before = l1_libvirtd.links()
        env.virsh("define", path)
        try:
            r = env.virsh("start", "vi-second", check=False)
            assert r.returncode != 0, r.stdout
            assert "is locked by another process" in r.stderr, r.stderr
            assert env.state_of("vi-second").startswith("shut off")
            assert l1_libvirtd.links() == before, (l1_libvirtd.links(), before)
            assert env.state_of(NAME).startswith("running")
        finally:
            env.virsh("undefine", "vi-second", check=False)

    @step
    def virt_install_bad_input_leaves_nothing():
        before = l1_libvirtd.links()
        vols = volumes(lv)
        cases = (
            (("--disk", "size=1,bus=virtio", "--network",
              "network=nonet,model=virtio"),
             "no network with matching name 'nonet'"),
            (("--disk", "pool=nopool,size=1,bus=virtio", "--network",
              "network=default,model=virtio"),
             "no storage pool with matching name 'nopool'"),
            (("--disk", "size=1,bus=virtio", "--network",
              "bridge=nobr0,model=virtio"),
             "bridge 'nobr0' does not exist"))
        for args, want in cases:
            r = virt_install(env, "vi-bad", *args, check=False)
            assert r.returncode != 0, r.stdout
            assert want in r.stderr, r.stderr
            names = env.virsh("list", "--all", "--name").stdout.split()
            assert "vi-bad" not in names, names
            assert volumes(lv) == vols, (args, volumes(lv))
            assert l1_libvirtd.links() == before, (l1_libvirtd.links(), before)

    @step
    def guest_pings_the_gateway():
        deadline = time.time() + BOOT_TIMEOUT
        text = ""
        while time.time() < deadline:
            if os.path.exists(serial_log):
                with open(serial_log, errors="replace") as f:
                    text = f.read()
                if re.search(r"vi-(ping-ok|ping-failed|dhcp-failed)", text):
                    break
            time.sleep(0.5)
        m = re.search(r"vi-lease: (192\.168\.122\.\d+)/24 router (\S+)", text)
        assert m and m.group(2) == l1_libvirtd.GATEWAY, text[-2000:]
        assert "vi-ping-ok %s" % l1_libvirtd.GATEWAY in text, text[-2000:]
        # virsh domifaddr (source lease): the guest's MAC matched against
        # the network's leases in libvirtd, whose status file dnsmasq's
        # lease helper writes a moment after the guest got the lease.
        deadline = time.time() + 30
        while True:
            out = env.virsh("domifaddr", NAME).stdout
            if "%s/24" % m.group(1) in out or time.time() > deadline:
                break
            time.sleep(1)
        mac = re.search(r"<mac address='([0-9a-f:]+)'/>",
                        env.virsh("dumpxml", NAME).stdout).group(1)
        assert re.search(r"^\s*vnet\d+\s+%s\s+ipv4\s+%s/24\s*$"
                         % (mac, re.escape(m.group(1))), out, re.M), out

    @step
    def guest_sees_two_numa_nodes():
        # The live XML has the cells as libvirt prints them.
        live = env.virsh("dumpxml", NAME).stdout
        assert re.search(r"<cell id='0' cpus='0' memory='131072' unit='KiB'>"
                         r"\s*<distances>\s*<sibling id='1' value='25'/>",
                         live), live
        assert re.search(r"<cell id='1' cpus='1' memory='131072' unit='KiB'>"
                         r"\s*<distances>\s*<sibling id='0' value='25'/>",
                         live), live
        with open(serial_log, errors="replace") as f:
            text = f.read()

        def line(key):
            m = re.search(r"^%s: ?(.*?)\r?$" % re.escape(key), text, re.M)
            assert m, (key, text[-2000:])
            return m.group(1).strip()

        assert line("vi-numa-nodes") == "node0 node1", text[-2000:]
        assert line("vi-numa-node0-cpus") == "0"
        assert line("vi-numa-node1-cpus") == "1"
        assert line("vi-numa-node0-dist") == "10 25"
        assert line("vi-numa-node1-dist") == "25 10"
        # Each node's MemTotal is its cell's 128 MiB less what the kernel
        # keeps (its image in node 0, struct pages, early allocations).
        for n in ("node0", "node1"):
            kb = int(line("vi-numa-%s-kb" % n))
            assert 64 * 1024 <= kb <= 128 * 1024, (n, kb)

    @step
    def destroy_undefine_leave_nothing():
        env.virsh("destroy", NAME)
        env.virsh("undefine", NAME, "--remove-all-storage")
        assert not taps(), l1_libvirtd.links()
        assert l1_libvirtd.links() == ctx["links"], l1_libvirtd.links()
        assert volumes(lv) == [], volumes(lv)
        assert not os.path.exists(os.path.join(pool_dir, NAME + ".img"))
        assert NAME not in env.virsh("list", "--all", "--name").stdout

    print("1..%d" % len(steps))
    try:
        for i, fn in enumerate(steps, 1):
            name = fn.__name__.replace("_", "-")
            start = time.time()
            try:
                fn()
                print("ok %d /nimbusd/kvm/virt-install/%s" % (i, name))
                print("# %.1f s" % (time.time() - start))
            except Exception:
                failed += 1
                print("not ok %d /nimbusd/kvm/virt-install/%s" % (i, name))
                for line in traceback.format_exc().splitlines():
                    print("# " + line)
            sys.stdout.flush()
    finally:
        if env.proc:
            lc.run(["virsh", "-c", env.uri, "destroy", NAME], check=False)
        env.stop()
        lv.stop()
        if failed:
            lc.dump_logs(env.tmp)
        else:
            shutil.rmtree(env.tmp, ignore_errors=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
