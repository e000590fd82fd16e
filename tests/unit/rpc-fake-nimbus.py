#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
# A stand-in for the nimbus VMM in nimbusd's tests without KVM: the Cloud
# Hypervisor REST API subset nimbusd calls, the event-monitor stream, and a
# serial pty with a toy shell.  It runs no guest.
#
# Usage (as nimbusd runs nimbus):
#   rpc-fake-nimbus.py --api-socket path=SOCK --event-monitor fd=N \
#       --seccomp true
#   rpc-fake-nimbus.py --version
# It refuses to start without "--seccomp true": nimbusd runs every domain
# with the filters on, and every nimbusd test that starts a domain checks it.
#
# Toy guest, on the serial pty: prints "fake guest ready" and a "# " prompt
# after boot; echoes input; "poweroff" shuts the VM down (events "vm
# shutdown", exit 0, as nimbus without --no-shutdown); "panic" reports a
# guest panic; "reboot" reboots (events rebooting/rebooted); "watchdog"
# lets the config's nimbus_watchdog expire (event guest/watchdog, then
# the reset or power-off its action asks for).  vm.counters
# reports fixed per-device values (the fake does no I/O); a balloon's
# driver does at once what vm.resize desired_balloon asks; desired_vcpus
# changes boot_vcpus within max_vcpus, as nimbus does.
# FAKE_NIMBUS_FAIL=<endpoint> makes that endpoint answer 500.
# FAKE_NIMBUS_START_DELAY=S waits S seconds before serving its API socket
# (a VMM slow to start on a loaded host); FAKE_NIMBUS_EXIT_AT_START=TEXT
# prints TEXT on stderr and exits 1 before serving (one that fails).
# PCI hotplug as nimbus does it: vm.add-disk / vm.add-net / vm.add-pmem /
# vm.add-fs (whose vhost-user socket must exist) answer
# PciDeviceInfo {id, bdf} (slots 1-31 of segment 0; FAKE_NIMBUS_SLOTS=N
# makes N the last one); vm.remove-device answers once the "guest"
# let go, after the device-removed event, or, with
# FAKE_NIMBUS_NO_EJECT=1, fails as nimbus does when the guest never
# acknowledges, the device staying (and refuses a device with iommu=on
# of a booted VM, as nimbus does); vm.resize-disk grows a disk's file
# (ftruncate) and refuses shrinking; vm.nimbus-update-rate-limiter
# changes a disk's or a group's limits in the config vm.info shows.
# vm.snapshot/vm.restore write and read a real snapshot directory (CH's
# file names; "memory-ranges" holds the toy guest's RAM, which the test-only
# endpoints fake.ram GET/PUT read and write), so that a value set before a
# save is there after the restore only if nimbusd carried the files over.
# vm.send-migration/vm.receive-migration move the toy VM (config, RAM,
# running or paused) between two fakes over tcp:ADDR:PORT with a toy
# protocol (one length-prefixed JSON message, "OK"/"ERR" back) and nimbus's
# migration events; the source exits 0 after the hand-over, as nimbus does.
# It logs "send-migration <body>" on stderr (the domain's log);
# FAKE_NIMBUS_MIGRATE_DELAY=S makes a send take S seconds (PUT
# fake.migrate-delay {"seconds": S} changes it for this VMM);
# vm.nimbus-cancel-migration stops a send still in that delay, as nimbus
# does: migration-failed, the VM runs on.
import ctypes
import json
import os
import pty
import signal
import socket
import socketserver
import stat
import struct
import sys
import tempfile
import threading
import time
import tty
from http.server import BaseHTTPRequestHandler

VERSION = "cloud-hypervisor v41.0.0-fake"
PR_SET_NAME = 15
# CPU time each vCPU thread spends when it starts (test-rpc-vcpupin.py
# compares virsh vcpuinfo's CPU time with /proc's).
VCPU_BURN_SECONDS = 0.2


def vcpu_loop(index, stop, host_cpus):
    """A vCPU thread as nimbus has one: pinned to its cpus.affinity entry
    if any, named vcpu<index> (nimbusd finds it by that name in
    /proc/PID/task/TID/comm), some CPU time spent, then idle until
    unplugged."""
    libc = ctypes.CDLL(None, use_errno=True)
    if host_cpus:
        os.sched_setaffinity(0, host_cpus)
    libc.prctl(PR_SET_NAME, ("vcpu%d" % index).encode(), 0, 0, 0)
    end = time.thread_time() + VCPU_BURN_SECONDS
    while time.thread_time() < end and not stop.is_set():
        pass
    stop.wait()


class Vm:
    def __init__(self, event_fd):
        self.lock = threading.Lock()
        self.event_fd = event_fd
        self.t0 = time.monotonic()
        self.config = None
        self.runtime = {}          # vm.info "runtime": {device id: facts}
        self.state = None          # None (not created), Created, Running, Paused
        self.master = None
        self.exit_code = None
        self.bdfs = {}             # hot-added device id -> bdf
        self.ram = b""             # the toy guest's memory
        self.vcpus = []            # (thread, stop event) per plugged vCPU

    def set_vcpus(self, n):
        """Threads vcpu0..n-1, as nimbus runs them: new ones start,
        unplugged ones end from the top."""
        cpus = (self.config or {}).get("cpus") or {}
        pins = {a["vcpu"]: a["host_cpus"] for a in cpus.get("affinity", [])}
        while len(self.vcpus) < n:
            stop = threading.Event()
            index = len(self.vcpus)
            t = threading.Thread(target=vcpu_loop,
                                 args=(index, stop, pins.get(index)),
                                 daemon=True)
            self.vcpus.append((t, stop))
            t.start()
        while len(self.vcpus) > n:
            t, stop = self.vcpus.pop()
            stop.set()
            t.join()

    def boot_vcpus(self):
        return ((self.config or {}).get("cpus") or {}).get("boot_vcpus", 1)

    def event(self, source, name, props=None):
        if self.event_fd is None:
            return
        t = time.monotonic() - self.t0
        ev = {"timestamp": {"secs": int(t), "nanos": int((t % 1) * 1e9)},
              "source": source, "event": name, "properties": props}
        # CH writes pretty JSON followed by a blank line.
        os.write(self.event_fd, (json.dumps(ev, indent=2) + "\n\n").encode())

    def start_console(self):
        serial = (self.config or {}).get("serial") or {}
        if str(serial.get("mode", "")).lower() != "pty":
            return
        master, slave = pty.openpty()
        tty.setraw(slave)
        # As nimbus: the pty is a runtime fact of "__serial", also shown
        # in config.serial.file (where CH reports it) at format time.
        self.runtime = {"__serial": {"pty": os.ttyname(slave)}}
        self.master = master
        self.slave = slave          # kept open: the console survives readers
        os.write(master, b"fake guest ready\r\n# ")
        threading.Thread(target=self.console_loop, daemon=True).start()

    def console_loop(self):
        line = b""
        while True:
            try:
                data = os.read(self.master, 4096)
            except OSError:
                return
            if not data:
                return
            for ch in data:
                c = bytes([ch])
                if c in (b"\r", b"\n"):
                    os.write(self.master, b"\r\n")
                    self.command(line.decode(errors="replace").strip())
                    line = b""
                    os.write(self.master, b"# ")
                else:
                    line += c
                    os.write(self.master, c)

    def command(self, cmd):
        if cmd == "poweroff":
            self.shutdown_and_exit()
        elif cmd == "panic":
            self.event("guest", "panic", {"event": "panic"})
        elif cmd == "reboot":
            self.event("vm", "rebooting")
            self.event("vm", "rebooted")
        elif cmd == "watchdog" and (self.config or {}).get("nimbus_watchdog"):
            wd = self.config["nimbus_watchdog"]
            action = wd.get("action", "reset")
            self.event("guest", "watchdog",
                       {"id": wd.get("id") or "__i6300esb", "action": action})
            if action == "reset":
                self.event("vm", "rebooting")
                self.event("vm", "rebooted")
            elif action == "poweroff":
                self.shutdown_and_exit()
        elif cmd:
            os.write(self.master, ("you said: %s\r\n" % cmd).encode())

    def device_ids(self):
        ids = set()
        for key in ("disks", "net", "pmem", "fs"):
            for i, dev in enumerate((self.config or {}).get(key) or []):
                ids.add(dev.get("id") or "_%s%d" % (key, i))
        return ids

    def hot_add(self, key, body):
        """vm.add-disk / vm.add-net / vm.add-pmem / vm.add-fs: (code,
        answer)."""
        try:
            dev = json.loads(body)
        except ValueError as e:
            return 400, ["invalid body: %s" % e]
        if not isinstance(dev, dict):
            return 400, ["invalid body"]
        if key == "disks" and dev.get("vhost_user"):
            # As nimbus: it connects to the vhost-user back end at once.
            sock = dev.get("vhost_socket") or ""
            if dev.get("path") or not os.path.exists(sock) or \
                    not stat.S_ISSOCK(os.stat(sock).st_mode):
                return 400, ["disk: cannot connect to vhost-user socket "
                             "'%s'" % sock]
        elif key == "disks":
            path = dev.get("path")
            if not path or not os.path.exists(path):
                return 400, ["cannot open disk image '%s'" % path]
        elif key == "pmem":
            if not dev.get("file"):
                return 400, ["pmem: file is required"]
        elif key == "fs":
            # nimbus connects to the vhost-user back end at once.
            sock = dev.get("socket") or ""
            if not dev.get("tag") or not os.path.exists(sock) or \
                    not stat.S_ISSOCK(os.stat(sock).st_mode):
                return 400, ["fs: cannot connect to vhost-user socket "
                             "'%s'" % sock]
        elif not dev.get("tap"):
            # The fake has no TAP devices to make.
            return 400, ["a hot-added net needs a tap name"]
        did = dev.get("id")
        if not did or did in self.device_ids():
            return 409, ["device id '%s' is already in use" % did]
        # Slot 1 onwards, after the boot devices (as nimbus fills them).
        boot = len(self.config.get("disks") or []) + \
            len(self.config.get("net") or []) + \
            len(self.config.get("pmem") or []) + \
            len(self.config.get("fs") or []) - len(self.bdfs)
        used = {int(b.split(":")[2].split(".")[0], 16) for b in self.bdfs.values()}
        last = int(os.environ.get("FAKE_NIMBUS_SLOTS", "31"))
        free = [n for n in range(boot + 1, min(last, 31) + 1) if n not in used]
        if not free:
            return 500, ["no free PCI slot on segment 0"]
        bdf = "0000:00:%02x.0" % free[0]
        self.config.setdefault(key, []).append(dev)
        self.bdfs[did] = bdf
        return 200, {"id": did, "bdf": bdf}

    def hot_remove(self, body):
        try:
            did = json.loads(body).get("id")
        except (ValueError, AttributeError):
            return 400, ["invalid body"]
        for key in ("disks", "net", "pmem", "fs"):
            devs = self.config.get(key) or []
            for i, dev in enumerate(devs):
                if dev.get("id") != did:
                    continue
                bdf = self.bdfs.get(did, "0000:00:%02x.0" % (i + 1))
                if dev.get("iommu") and self.state in ("Running", "Paused"):
                    # nimbus's refusal (daemon/vmm-hotplug.c).
                    return 400, ["'%s' is behind the virtio-iommu (iommu=on) "
                                 "and cannot be hot-removed: the ACPI VIOT "
                                 "table listing its function is fixed at "
                                 "boot" % did]
                if os.environ.get("FAKE_NIMBUS_NO_EJECT"):
                    return 500, ["the guest did not release '%s' (%s) within "
                                 "10000 ms; the device stays" % (did, bdf)]
                del devs[i]
                self.bdfs.pop(did, None)
                self.event("vm", "device-removed", {"id": did, "bdf": bdf})
                return 204, None
        return 404, ["no device with id '%s'" % did]

    def ram_actual(self):
        """vm.info's memory_actual_size: the boot RAM and what the "guest"
        plugged of the hotplug region, which it does at once."""
        mem = (self.config or {}).get("memory") or {}
        return mem.get("size", 0) + mem.get("hotplugged_size", 0) + sum(
            z.get("size", 0) + z.get("hotplugged_size", 0)
            for z in mem.get("zones") or [])

    def resize_zone(self, body):
        """vm.resize-zone {id, desired_ram} with nimbus's (CH's) rules:
        the zone's size plus a multiple of 2 MiB inside its hotplug_size;
        (code, answer)."""
        try:
            req = json.loads(body)
            zid, ram = req["id"], req["desired_ram"]
        except (ValueError, KeyError, TypeError):
            return 400, ["invalid body"]
        mem = self.config.setdefault("memory", {})
        for z in mem.get("zones") or []:
            if z.get("id") != zid:
                continue
            size, room = z.get("size", 0), z.get("hotplug_size", 0)
            if not room:
                return 400, ["memory zone '%s' has no memory to plug" % zid]
            if not size <= ram <= size + room:
                return 400, ["desired_ram: %d is outside %d..%d" %
                             (ram, size, size + room)]
            if (ram - size) % (2 << 20):
                return 400, ["desired_ram: %d is not a multiple of the "
                             "2 MiB block" % ram]
            z["hotplugged_size"] = ram - size
            return 204, None
        return 404, ["no memory zone with id '%s'" % zid]

    def resize_ram(self, ram):
        """vm.resize desired_ram, with nimbus's (CH's) rules: virtio-mem
        in 2 MiB blocks, ACPI in 128 MiB DIMMs that never go away, both
        inside hotplug_size.  An error message, or None."""
        mem = self.config.setdefault("memory", {})
        size, room = mem.get("size", 0), mem.get("hotplug_size", 0)
        method = mem.get("hotplug_method", "Acpi")
        if ram == self.ram_actual():
            return None
        if not room:
            return "desired_ram: the VM has no memory to plug"
        if not size <= ram <= size + room:
            return "desired_ram: %d is outside %d..%d" % (ram, size,
                                                          size + room)
        block = 2 << 20 if method == "VirtioMem" else 128 << 20
        if (ram - size) % block:
            return "desired_ram: %d is not the boot size plus a multiple " \
                "of %d" % (ram, block)
        if method != "VirtioMem" and ram < self.ram_actual():
            return "desired_ram: ACPI memory cannot be unplugged"
        mem["hotplugged_size"] = ram - size
        return None

    def update_rate_limiter(self, body):
        """vm.nimbus-update-rate-limiter as nimbus answers it (docs/
        rate-limiter.md): a group's, an ungrouped disk's or a net's limits,
        written into the config of record; (code, answer)."""
        try:
            req = json.loads(body)
            rid, rl = req["id"], req.get("rate_limiter_config")
        except (ValueError, KeyError, TypeError):
            return 400, ["invalid body"]
        if rl is not None and (not isinstance(rl, dict) or
                               set(rl) - {"bandwidth", "ops"}):
            return 400, ["invalid rate_limiter_config"]
        for g in self.config.get("rate_limit_groups") or []:
            if g.get("id") == rid:
                g["rate_limiter_config"] = rl
                return 204, None
        for dev in self.config.get("disks") or []:
            if dev.get("id") != rid:
                continue
            if dev.get("rate_limit_group"):
                return 400, ["%s: the disk is in a rate limit group: change "
                             "the group's limits" % rid]
            dev["rate_limiter_config"] = rl
            return 204, None
        for dev in self.config.get("net") or []:
            if dev.get("id") == rid:
                dev["rate_limiter_config"] = rl
                return 204, None
        return 404, ["no rate limit group, disk or net with id '%s'" % rid]

    def resize_disk(self, body):
        try:
            req = json.loads(body)
            did, size = req["id"], req["desired_size"]
        except (ValueError, KeyError, TypeError):
            return 400, ["invalid body"]
        for dev in self.config.get("disks") or []:
            if dev.get("id") != did:
                continue
            try:
                cur = os.path.getsize(dev["path"])
            except OSError as e:
                return 500, ["disk '%s': %s" % (did, e)]
            if size < cur:
                return 400, ["disk '%s': shrinking from %d to %d bytes is not "
                             "supported" % (did, cur, size)]
            os.truncate(dev["path"], size)
            return 204, None
        return 404, ["no disk with id '%s'" % did]

    def counters(self):
        """vm.counters in nimbus's shape (daemon/vm.c vm_counters(): one
        object per device id; virtio-blk and virtio-net counters).  The fake
        does no I/O: it reports fixed, distinct values per device index so
        that tests can tell the fields and the devices apart."""
        out = {}
        for i, disk in enumerate((self.config or {}).get("disks") or []):
            c = {}
            for j, d in enumerate(("read", "write")):
                ops = 10 * (i + 1) + j
                c.update({d + "_bytes": 512 * ops, d + "_ops": ops,
                          d + "_latency_min": 0, d + "_latency_max": 0,
                          d + "_latency_avg": 0})
            out[disk.get("id") or "_disk%d" % i] = c
        for i, net in enumerate((self.config or {}).get("net") or []):
            n = 100 * (i + 1)
            out[net.get("id") or "_net%d" % i] = {
                "rx_bytes": 1500 * n, "rx_frames": n,
                "tx_bytes": 1000 * (n + 1), "tx_frames": n + 1}
        balloon = (self.config or {}).get("balloon")
        if balloon:
            # devices/virtio/balloon.c's counters, Linux's tag names.
            ram = self.config["memory"]["size"]
            out["__balloon"] = {
                "target_bytes": balloon["size"],
                "actual_bytes": balloon["size"],
                "inflated_pages": balloon["size"] // 4096,
                "deflated_pages": 0, "reported_bytes": 0,
                "swap_in": 4096, "swap_out": 8192, "major_faults": 3,
                "minor_faults": 77, "free_memory": (ram - balloon["size"]) // 2,
                "total_memory": ram - balloon["size"],
                "available_memory": (ram - balloon["size"]) // 4 * 3,
                "disk_caches": 1 << 20}
        return out

    def terminate(self):
        # Like nimbus on SIGTERM: the VM is shut down (and says so), then
        # the VMM exits 0.
        if self.state in ("Running", "Paused"):
            self.event("vm", "shutdown")
        self.event("vmm", "shutdown")
        os._exit(0)

    def shutdown_and_exit(self):
        self.event("vm", "shutdown")
        self.event("vmm", "shutdown")
        os._exit(0)


VM = None


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):
        sys.stderr.write("fake-nimbus: " + (fmt % args) + "\n")

    def address_string(self):
        return "unix"

    def reply(self, code, body=None):
        data = b"" if body is None else json.dumps(body).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        # The client may hang up as soon as it has a complete answer: a
        # bodiless one is complete after the headers.
        try:
            if data:
                self.wfile.write(data)
            self.wfile.flush()
        except OSError:
            pass

    def endpoint(self):
        prefix = "/api/v1/"
        if not self.path.startswith(prefix):
            return None
        return self.path[len(prefix):]

    def do_GET(self):
        ep = self.endpoint()
        if ep == "vmm.ping":
            self.reply(200, {"build_version": VERSION, "version": "41.0.0",
                             "pid": os.getpid(), "features": ["kvm"]})
        elif ep == "vm.info":
            with VM.lock:
                if VM.state is None:
                    return self.reply(404, ["VM is not created"])
                config = json.loads(json.dumps(VM.config))
                pty = VM.runtime.get("__serial", {}).get("pty")
                if pty:
                    config["serial"]["file"] = pty
                self.reply(200, {"config": config, "state": VM.state,
                                 "memory_actual_size": VM.ram_actual(),
                                 "device_tree": {}, "runtime": VM.runtime})
        elif ep == "fake.ram":
            with VM.lock:
                self.reply(200, {"ram": VM.ram.decode()})
        elif ep == "vm.counters":
            with VM.lock:
                if VM.state is None:
                    return self.reply(404, ["VM is not created"])
                self.reply(200, VM.counters())
        else:
            self.reply(400, ["unknown endpoint %s" % ep])

    def do_PUT(self):
        ep = self.endpoint()
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        if os.environ.get("FAKE_NIMBUS_FAIL") == ep:
            return self.reply(500, ["injected failure of %s" % ep])
        with VM.lock:
            if ep == "fake.ram":
                VM.ram = json.loads(body)["ram"].encode()
                return self.reply(204)
            if ep == "fake.migrate-delay":
                SEND["delay"] = float(json.loads(body)["seconds"])
                return self.reply(204)
            if ep == "vm.restore":
                return self.restore(body)
            if ep == "vm.receive-migration":
                return self.receive_migration(body)
            if ep == "vm.create":
                if VM.state is not None:
                    return self.reply(400, ["VM already created"])
                try:
                    VM.config = json.loads(body)
                except ValueError as e:
                    return self.reply(400, ["invalid VmConfig: %s" % e])
                if "payload" not in VM.config:
                    return self.reply(400, ["payload is required"])
                VM.state = "Created"
                return self.reply(204)
            if VM.state is None:
                return self.reply(404, ["VM is not created"])
            if ep == "vm.boot":
                if VM.state != "Created":
                    return self.reply(405, ["VM is already booted"])
                VM.event("vm", "booting")
                VM.state = "Running"
                VM.set_vcpus(VM.boot_vcpus())
                VM.start_console()
                VM.event("vm", "booted")
                return self.reply(204)
            if ep == "vm.pause":
                if VM.state != "Running":
                    return self.reply(405, ["VM is not running"])
                VM.event("vm", "pausing")
                VM.state = "Paused"
                VM.event("vm", "paused")
                return self.reply(204)
            if ep == "vm.resume":
                if VM.state != "Paused":
                    return self.reply(405, ["VM is not paused"])
                VM.event("vm", "resuming")
                VM.state = "Running"
                VM.event("vm", "resumed")
                return self.reply(204)
            if ep == "vm.reboot":
                VM.event("vm", "rebooting")
                VM.event("vm", "rebooted")
                return self.reply(204)
            if ep == "vm.resize":
                req = json.loads(body or b"{}")
                balloon = VM.config.get("balloon")
                if "desired_balloon" in req:
                    if not balloon:
                        return self.reply(400, ["the VM has no balloon device"])
                    if req["desired_balloon"] >= VM.config["memory"]["size"]:
                        return self.reply(400, ["balloon: size must be smaller "
                                                "than the guest RAM"])
                    balloon["size"] = req["desired_balloon"]
                if "desired_vcpus" in req:
                    # As nimbus: 1 to max_vcpus, boot_vcpus follows (the
                    # guest's CPU hotplug is not simulated).
                    cpus = VM.config.setdefault("cpus", {})
                    top = cpus.get("max_vcpus", cpus.get("boot_vcpus", 1))
                    n = req["desired_vcpus"]
                    if not 1 <= n <= top:
                        return self.reply(400, ["desired_vcpus: %d is out of "
                                                "range: the VM has 1 to %d "
                                                "vCPUs (max_vcpus)" % (n, top)])
                    cpus["boot_vcpus"] = n
                    VM.set_vcpus(n)
                if "desired_ram" in req:
                    err = VM.resize_ram(req["desired_ram"])
                    if err:
                        return self.reply(400, [err])
                return self.reply(204)
            if ep in ("vm.add-disk", "vm.add-net", "vm.add-pmem",
                      "vm.add-fs"):
                return self.reply(*VM.hot_add(
                    {"vm.add-disk": "disks", "vm.add-net": "net",
                     "vm.add-fs": "fs"}.get(ep, "pmem"), body))
            if ep == "vm.remove-device":
                return self.reply(*VM.hot_remove(body))
            if ep == "vm.resize-disk":
                return self.reply(*VM.resize_disk(body))
            if ep == "vm.resize-zone":
                return self.reply(*VM.resize_zone(body))
            if ep == "vm.nimbus-update-rate-limiter":
                return self.reply(*VM.update_rate_limiter(body))
            if ep == "vm.snapshot":
                return self.snapshot(body)
            if ep == "vm.send-migration":
                return self.send_migration(body)
            if ep == "vm.nimbus-cancel-migration":
                cancel = SEND["cancel"]
                if body:
                    return self.reply(400, ["takes no request body"])
                if cancel is None or cancel.is_set():
                    return self.reply(405, ["no outgoing migration is in "
                                            "progress"])
                cancel.set()
                return self.reply(204)
            if ep == "vm.power-button":
                if VM.state != "Running":
                    return self.reply(405, ["VM is not running"])
                # The guest's ACPI handler powers off a moment later.
                threading.Timer(0.2, VM.shutdown_and_exit).start()
                return self.reply(204)
        self.reply(400, ["unsupported endpoint %s" % ep])


def url_path(url):
    if not isinstance(url, str) or not url.startswith("file://"):
        raise ValueError("only file:// URLs are supported: %r" % (url,))
    return url[len("file://"):]


def snapshot_to(Handler, body):
    # As nimbus: paused only, a fresh or empty destination, written into a
    # temp directory next to it, synced, renamed (complete or absent).
    if VM.state != "Paused":
        return Handler.reply(405, ["VM is not paused"])
    try:
        dest = url_path(json.loads(body).get("destination_url"))
    except ValueError as e:
        return Handler.reply(400, [str(e)])
    if os.path.exists(dest) and (not os.path.isdir(dest) or os.listdir(dest)):
        return Handler.reply(500, ["'%s' is not empty" % dest])
    tmp = tempfile.mkdtemp(prefix=".snap-", dir=os.path.dirname(dest))
    files = {"config.json": json.dumps(VM.config).encode(),
             "state.json": json.dumps({"fake": True}).encode(),
             "memory-ranges": VM.ram}
    for name, data in files.items():
        with open(os.path.join(tmp, name), "wb") as f:
            f.write(data)
            os.fsync(f.fileno())
    os.rename(tmp, dest)
    VM.event("vm", "snapshotted")
    Handler.reply(204)


def restore_from(Handler, body):
    if VM.state is not None:
        return Handler.reply(409, ["VM is already created"])
    try:
        req = json.loads(body)
        src = url_path(req.get("source_url"))
        if req.get("memory_restore_mode", "Copy") not in ("Copy", "OnDemand"):
            raise ValueError("bad memory_restore_mode")
        with open(os.path.join(src, "config.json"), "rb") as f:
            config = json.loads(f.read())
        with open(os.path.join(src, "state.json"), "rb") as f:
            json.loads(f.read())
        with open(os.path.join(src, "memory-ranges"), "rb") as f:
            ram = f.read()
    except (OSError, ValueError) as e:
        return Handler.reply(500, ["cannot restore the VM: %s" % e])
    VM.event("vm", "restoring")
    VM.config = config
    VM.ram = ram
    VM.state = "Paused"
    VM.set_vcpus(VM.boot_vcpus())
    VM.start_console()
    VM.event("vm", "restored")
    if req.get("resume"):
        VM.state = "Running"
        VM.event("vm", "resumed")
    Handler.reply(204)


def tcp_address(url):
    """(host, port) of "tcp:HOST:PORT" (HOST an IP literal, v6 in [])."""
    if not isinstance(url, str) or not url.startswith("tcp:"):
        raise ValueError("only tcp: URLs are supported: %r" % (url,))
    host, _, port = url[4:].rpartition(":")
    return host.strip("[]"), int(port)


def recv_exact(conn, n):
    data = b""
    while len(data) < n:
        chunk = conn.recv(n - len(data))
        if not chunk:
            raise ValueError("connection closed")
        data += chunk
    return data


def receive_loop(listener):
    conn, _ = listener.accept()
    listener.close()
    VM.event("vm", "migration-receive-ready")
    try:
        n = struct.unpack(">I", recv_exact(conn, 4))[0]
        msg = json.loads(recv_exact(conn, n))
        with VM.lock:
            VM.config = msg["config"]
            VM.ram = msg["ram"].encode()
            VM.state = "Paused" if msg["paused"] else "Running"
            VM.set_vcpus(VM.boot_vcpus())
            VM.start_console()
            if not msg["paused"]:
                # As nimbus resumes a received VM.
                VM.event("vm", "resuming")
                VM.event("vm", "resumed")
        conn.sendall(b"OK")
        VM.event("vm", "migration-receive-finished")
    except (OSError, ValueError, KeyError) as e:
        sys.stderr.write("fake-nimbus: receive failed: %s\n" % e)
        try:
            conn.sendall(b"ERR")
        except OSError:
            pass
        VM.event("vm", "migration-receive-failed")
    conn.close()


def receive_migration(Handler, body):
    if VM.state is not None:
        return Handler.reply(405, ["VM is already created"])
    try:
        host, port = tcp_address(json.loads(body).get("receiver_url"))
        listener = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET)
        listener.bind((host, port))
        listener.listen(1)
    except (OSError, ValueError) as e:
        return Handler.reply(500, ["cannot listen: %s" % e])
    VM.event("vm", "migration-receive-started")
    threading.Thread(target=receive_loop, args=(listener,), daemon=True).start()
    Handler.reply(204)


# The send in progress: its cancel Event (None when there is none) and
# the delay of later sends.
SEND = {"cancel": None,
        "delay": float(os.environ.get("FAKE_NIMBUS_MIGRATE_DELAY", "0"))}


def send_loop(url, msg, cancel):
    VM.event("vm", "migration-started")
    try:
        VM.event("vm", "migration-memory-iteration", {"id": "0"})
        if cancel.wait(SEND["delay"]):
            raise ValueError("cancelled by vm.nimbus-cancel-migration")
        conn = socket.create_connection(tcp_address(url), timeout=30)
        data = json.dumps(msg).encode()
        conn.sendall(struct.pack(">I", len(data)) + data)
        answer = recv_exact(conn, 2)
        conn.close()
        if answer != b"OK":
            raise ValueError("destination refused the migration")
    except (OSError, ValueError) as e:
        sys.stderr.write("fake-nimbus: send failed: %s\n" % e)
        with VM.lock:
            SEND["cancel"] = None
        VM.event("vm", "migration-failed")
        return
    VM.event("vm", "migration-finished")
    VM.event("vmm", "shutdown")
    os._exit(0)


def send_migration(Handler, body):
    if VM.state not in ("Running", "Paused"):
        return Handler.reply(405, ["VM is not running"])
    sys.stderr.write("fake-nimbus: send-migration %s\n" % body.decode())
    try:
        url = json.loads(body).get("destination_url")
        tcp_address(url)
    except ValueError as e:
        return Handler.reply(400, [str(e)])
    msg = {"config": VM.config, "ram": VM.ram.decode(),
           "paused": VM.state == "Paused"}
    SEND["cancel"] = threading.Event()
    threading.Thread(target=send_loop, args=(url, msg, SEND["cancel"]),
                     daemon=True).start()
    Handler.reply(204)


Handler.snapshot = snapshot_to
Handler.restore = restore_from
Handler.receive_migration = receive_migration
Handler.send_migration = send_migration


class Server(socketserver.ThreadingMixIn, socketserver.UnixStreamServer):
    daemon_threads = True


def main():
    global VM
    args = sys.argv[1:]
    if "--version" in args or "-V" in args:
        print(VERSION)
        return 0
    api = None
    event_fd = None
    seccomp = None
    i = 0
    while i < len(args):
        if args[i] == "--api-socket":
            api = args[i + 1].split("=", 1)[1]
            i += 2
        elif args[i] == "--event-monitor":
            event_fd = int(args[i + 1].split("=", 1)[1])
            i += 2
        elif args[i] == "--seccomp":
            seccomp = args[i + 1]
            i += 2
        else:
            i += 1
    if not api:
        sys.stderr.write("fake-nimbus: --api-socket path=... is required\n")
        return 1
    if seccomp != "true":
        sys.stderr.write("fake-nimbus: nimbusd must pass --seccomp true\n")
        return 1
    if os.environ.get("FAKE_NIMBUS_EXIT_AT_START"):
        sys.stderr.write("fake-nimbus: %s\n" % os.environ["FAKE_NIMBUS_EXIT_AT_START"])
        return 1
    time.sleep(float(os.environ.get("FAKE_NIMBUS_START_DELAY", "0")))
    # Like nimbus: "<socket>.lock" is held while serving and left behind.
    open(api + ".lock", "a").close()
    VM = Vm(event_fd)
    signal.signal(signal.SIGTERM, lambda *a: VM.terminate())
    VM.event("vmm", "starting")
    srv = Server(api, Handler)
    sys.stderr.write("fake-nimbus: serving on %s\n" % api)
    srv.serve_forever()
    return 0


if __name__ == "__main__":
    sys.exit(main())
