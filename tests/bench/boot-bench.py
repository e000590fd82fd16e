#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""Boot benchmark: nimbus vs QEMU microvm, same kernel, initramfs, vCPUs, RAM.

Not a test: it prints numbers.  Run it through the harness so both VMMs get
the same (real) KVM:

    tests/harness/with-kvm -- tests/bench/boot-bench.py [--runs N]

Measured per run, for each VMM:
  * boot time to userspace: from spawning the VMM until the guest's /init
    prints its "userspace up" marker on the serial console (the same
    moment it writes the 0x60 progress code to the debug port);
  * VMM RSS excluding guest RAM: the resident set of the VMM process
    (/proc/PID/smaps) minus the mappings that back guest RAM, sampled while
    the guest idles in userspace.
Absolute times inside the nested harness mean little; compare the columns.
"""
import argparse
import base64
import os
import select
import statistics
import subprocess
import sys
import time

MEM_MIB = 512
CPUS = 2
MARK = b"nimbus-guest: userspace up"
CMDLINE = "console=ttyS0 quiet no_timer_check cryptomgr.notests"
GUEST_SCRIPT = "sleep 4\n"


def rss_excluding_guest_ram(pid):
    """KiB resident outside the mappings of guest RAM (>= MEM_MIB each)."""
    total = guest = 0
    size = 0
    with open(f"/proc/{pid}/smaps") as f:
        for line in f:
            parts = line.split()
            if len(parts) >= 2 and parts[0] == "Size:":
                size = int(parts[1])
            elif len(parts) >= 2 and parts[0] == "Rss:":
                rss = int(parts[1])
                total += rss
                # Guest RAM is one mapping of the whole size for both VMMs
                # (RAM below 3 GiB is a single region at 512 MiB).
                if size >= MEM_MIB * 1024:
                    guest += rss
    return total - guest, guest


def run_one(argv, timeout=600):
    start = time.monotonic()
    p = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                         stderr=subprocess.STDOUT)
    seen = b""
    boot = None
    rss = None
    try:
        while True:
            left = timeout - (time.monotonic() - start)
            if left <= 0:
                raise RuntimeError("timed out; output:\n" + seen.decode(errors="replace"))
            r, _, _ = select.select([p.stdout], [], [], left)
            if not r:
                continue
            chunk = os.read(p.stdout.fileno(), 65536)
            if not chunk:
                break
            seen += chunk
            if boot is None and MARK in seen:
                boot = time.monotonic() - start
                time.sleep(1.0)          # let the guest settle in userspace
                rss = rss_excluding_guest_ram(p.pid)
        p.wait(timeout=60)
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
    if boot is None:
        raise RuntimeError("no userspace marker; output:\n" + seen.decode(errors="replace"))
    return boot, rss, p.returncode


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--nimbus", default=os.path.join(
        os.environ.get("NIMBUS_TOP_BUILDDIR", "."), "nimbus"))
    args = ap.parse_args()
    assets = os.environ.get("NIMBUS_ASSETS_DIR")
    if not assets:
        sys.exit("boot-bench: run through tests/harness/with-kvm (NIMBUS_ASSETS_DIR)")
    kernel = os.path.join(assets, "vmlinux")
    initrd = os.path.join(assets, "guest-initramfs.cpio")
    cmd = base64.b64encode(GUEST_SCRIPT.encode()).decode()
    cmdline = f"{CMDLINE} nimbus.cmd={cmd}"

    vmms = {
        "nimbus": [args.nimbus, "--kernel", kernel, "--initramfs", initrd,
                   "--cmdline", cmdline, "--cpus", f"boot={CPUS}",
                   "--memory", f"size={MEM_MIB}M", "--serial", "tty"],
        "qemu-microvm": ["qemu-system-x86_64", "-M", "microvm", "-enable-kvm",
                         "-cpu", "host", "-smp", str(CPUS), "-m", f"{MEM_MIB}M",
                         "-nodefaults", "-no-user-config", "-nographic",
                         "-no-reboot", "-serial", "stdio", "-kernel", kernel,
                         "-initrd", initrd, "-append", cmdline],
    }
    results = {name: [] for name in vmms}
    for i in range(args.runs):
        # Alternate, so drift in the machine's load hits both alike.
        for name, argv in vmms.items():
            boot, (rss, guest), rc = run_one(argv)
            results[name].append((boot, rss, guest, rc))
            print(f"run {i + 1} {name:13s} userspace after {boot:6.2f} s, "
                  f"VMM RSS {rss / 1024:6.1f} MiB (+ {guest / 1024:.0f} MiB guest RAM), "
                  f"exit {rc}", flush=True)
    print()
    print(f"{'VMM':13s} {'boot to userspace (median)':>28s} {'VMM RSS excl. guest RAM (median)':>34s}")
    for name, rows in results.items():
        print(f"{name:13s} {statistics.median(r[0] for r in rows):26.2f} s "
              f"{statistics.median(r[1] for r in rows) / 1024:31.1f} MiB")


if __name__ == "__main__":
    main()
