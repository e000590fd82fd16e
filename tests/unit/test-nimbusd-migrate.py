#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
# nimbusd's live migration between two daemons (separate sockets, config
# and state dirs) through stock virsh and python3-libvirt: peer-to-peer and
# managed, --persistent/--undefinesource, job info and max downtime,
# refusals that leave the source running, and the lifecycle events on both
# sides.  The VMM is tests/unit/rpc-fake-nimbus.py, whose toy migration
# carries its RAM (fake.ram) over tcp.  TAP output.
import glob
import importlib.util
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time

import libvirt

HERE = os.path.dirname(os.path.abspath(__file__))
_spec = importlib.util.spec_from_file_location("rpcvirsh", os.path.join(HERE, "test-rpc-virsh.py"))
rv = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(rv)
_spec = importlib.util.spec_from_file_location("ndsave", os.path.join(HERE, "test-nimbusd-save.py"))
ns = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(ns)

virsh = rv.virsh
DEFINED, UNDEFINED, STARTED, SUSPENDED, RESUMED, STOPPED = 0, 1, 2, 3, 4, 5
MIGRATED = 1                # STARTED/SUSPENDED/RESUMED detail
STOPPED_MIGRATED = 3
UUID = "6a0c2f3e-5d1b-4c8e-9f00-0000000000c3"
UUID_OTHER = "6a0c2f3e-5d1b-4c8e-9f00-0000000000d4"
NAME = "vm-mig"

TESTS = []


def test(fn):
    TESTS.append(fn)
    return fn


class Pair:
    """The source and destination daemons."""

    def __init__(self, tmp):
        os.makedirs(os.path.join(tmp, "src"))
        os.makedirs(os.path.join(tmp, "dst"))
        # The source's sends take a moment, so that a job can be seen.
        self.src = rv.Daemon(os.path.join(tmp, "src"),
                             {"FAKE_NIMBUS_MIGRATE_DELAY": "0.8"})
        self.dst = rv.Daemon(os.path.join(tmp, "dst"))
        self.tmp = tmp


def xml(uuid=UUID):
    return rv.golden_xml(NAME, uuid)


def define_start(d, uuid=UUID):
    virsh(d, "define", rv.write(os.path.join(d.tmp, NAME + ".xml"), xml(uuid)))
    virsh(d, "start", NAME)


def cleanup(p):
    for d in (p.src, p.dst):
        virsh(d, "destroy", NAME, check=False)
        virsh(d, "undefine", NAME, check=False)


def vmm_logs(d):
    text = ""
    for f in glob.glob(os.path.join(d.state, "*.log")):
        with open(f, errors="replace") as fp:
            text += fp.read()
    return text


@test
def p2p_moves_the_running_vm_and_sends_events(p):
    es, ed = rv.Events(p.src.uri), rv.Events(p.dst.uri)
    try:
        define_start(p.src)
        ns.set_ram(p.src, NAME, "ram-before-p2p")
        assert es.take(NAME, 2) == [(DEFINED, 0), (STARTED, 0)]
        virsh(p.src, "migrate", "--live", "--p2p", NAME, p.dst.uri)
        assert rv.domstate(p.dst, NAME) == "running (migrated)"
        assert ns.get_ram(p.dst, NAME) == "ram-before-p2p"
        # Persistent on the source: defined and shut off there.
        assert rv.domstate(p.src, NAME) == "shut off (migrated)"
        assert es.take(NAME, 2) == [(SUSPENDED, MIGRATED),
                                    (STOPPED, STOPPED_MIGRATED)]
        assert ed.take(NAME, 2) == [(STARTED, MIGRATED), (RESUMED, MIGRATED)]
        # Transient on the destination.
        assert "Persistent:     no" in virsh(p.dst, "dominfo", NAME).stdout
        # The console follows the VM: the destination VMM's pty.
        info = ns.fake_call(p.dst, NAME, "GET", "vm.info")
        pty = info["runtime"]["__serial"]["pty"]
        assert "<source path='%s'/>" % pty in virsh(p.dst, "dumpxml", NAME).stdout
    finally:
        es.close()
        ed.close()
        cleanup(p)


@test
def managed_migration_back_and_forth(p):
    ed = rv.Events(p.dst.uri)
    try:
        define_start(p.src)
        ns.set_ram(p.src, NAME, "ram-managed")
        # virsh drives both daemons: BEGIN, PREPARE, PERFORM, FINISH, CONFIRM.
        virsh(p.src, "migrate", "--live", NAME, p.dst.uri)
        assert rv.domstate(p.dst, NAME) == "running (migrated)"
        assert ed.take(NAME, 2) == [(STARTED, MIGRATED), (RESUMED, MIGRATED)]
        assert rv.domstate(p.src, NAME) == "shut off (migrated)"
        # And back: the transient destination domain goes with its VM.
        virsh(p.dst, "migrate", "--live", NAME, p.src.uri)
        assert rv.domstate(p.src, NAME) == "running (migrated)"
        assert ns.get_ram(p.src, NAME) == "ram-managed"
        assert ed.take(NAME, 2) == [(SUSPENDED, MIGRATED),
                                    (STOPPED, STOPPED_MIGRATED)]
        assert NAME not in rv.names(p.dst)
    finally:
        ed.close()
        cleanup(p)


@test
def persistent_undefinesource_and_paused_source(p):
    try:
        define_start(p.src)
        virsh(p.src, "suspend", NAME)
        ns.set_ram(p.src, NAME, "ram-persist")
        virsh(p.src, "migrate", "--live", "--p2p", "--persistent",
              "--undefinesource", NAME, p.dst.uri)
        # A paused source comes back running unless --suspend is given.
        assert rv.domstate(p.dst, NAME) == "running (migrated)"
        assert "Persistent:     yes" in virsh(p.dst, "dominfo", NAME).stdout
        assert os.path.exists(os.path.join(p.dst.config, NAME + ".xml"))
        assert NAME not in rv.names(p.src)
        assert not os.path.exists(os.path.join(p.src.config, NAME + ".xml"))
        # --suspend (VIR_MIGRATE_PAUSED): paused on arrival.
        virsh(p.dst, "migrate", "--live", "--suspend", NAME, p.src.uri)
        assert rv.domstate(p.src, NAME) == "paused (user)"
        assert ns.get_ram(p.src, NAME) == "ram-persist"
        # The destination's definition stays (no --undefinesource).
        assert rv.domstate(p.dst, NAME) == "shut off (migrated)"
    finally:
        cleanup(p)


@test
def job_info_and_max_downtime(p):
    try:
        define_start(p.src)
        r = virsh(p.src, "migrate-setmaxdowntime", NAME, "1234", check=False)
        assert r.returncode == 0, r.stderr
        mig = subprocess.Popen(["virsh", "-q", "-c", p.src.uri, "migrate",
                                "--live", "--p2p", NAME, p.dst.uri],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               text=True)

        def running():
            out = virsh(p.src, "domjobinfo", NAME, check=False).stdout
            return out if "Unbounded" in out else None
        out = rv.wait_for(running, "a running migration job")
        assert "Outgoing migration" in out, out
        assert "Memory total:" in out, out
        _, err = mig.communicate(timeout=30)
        assert mig.returncode == 0, err
        # nimbus got the downtime; the job is reported completed.
        assert '"downtime_ms":1234' in vmm_logs(p.src), vmm_logs(p.src)
        out = virsh(p.src, "domjobinfo", "--completed", NAME).stdout
        assert "Completed" in out, out
        assert virsh(p.dst, "domjobinfo", NAME).stdout.split()[-1] == "None"
    finally:
        cleanup(p)


def abort_mid_send(p, *migrate_args):
    """Starts `virsh migrate` with a long send, aborts it with domjobabort
    once the job shows; returns virsh migrate's stderr."""
    ns.fake_call(p.src, NAME, "PUT", "fake.migrate-delay", {"seconds": 60})
    mig = subprocess.Popen(["virsh", "-q", "-c", p.src.uri, "migrate",
                            "--live", *migrate_args, NAME, p.dst.uri],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           text=True)
    try:
        rv.wait_for(lambda: "Unbounded" in virsh(p.src, "domjobinfo", NAME,
                                                 check=False).stdout,
                    "a running migration job", timeout=30)
        virsh(p.src, "domjobabort", NAME)
        _, err = mig.communicate(timeout=30)
    finally:
        if mig.poll() is None:
            mig.kill()
            mig.wait()
    assert mig.returncode != 0, "migrate succeeded after domjobabort"
    return err


@test
def domjobabort_stops_p2p_and_managed_sends(p):
    es = rv.Events(p.src.uri)
    try:
        define_start(p.src)
        ns.set_ram(p.src, NAME, "ram-aborted")
        assert es.take(NAME, 2) == [(DEFINED, 0), (STARTED, 0)]
        for args in (("--p2p",), ()):
            err = abort_mid_send(p, *args)
            assert "canceled by client" in err, (args, err)
            # The source runs on, its VM untouched; the destination kept
            # nothing.
            assert rv.domstate(p.src, NAME) == "running (booted)", args
            assert ns.get_ram(p.src, NAME) == "ram-aborted"
            assert ns.fake_call(p.src, NAME, "GET", "vm.info")["state"] == \
                "Running"
            rv.wait_for(lambda: NAME not in rv.names(p.dst),
                        "the destination to drop the domain")
            assert "cancelled by vm.nimbus-cancel-migration" in \
                vmm_logs(p.src)
        # No event for the source: it never stopped running.
        time.sleep(0.5)
        with es.lock:
            mine = [(e, det) for (n, e, det) in es.seen if n == NAME]
        assert mine == [], mine
        # Nothing to abort now, and nothing on the receiving side.
        r = virsh(p.src, "domjobabort", NAME, check=False)
        assert r.returncode != 0 and "no job is active" in r.stderr, r.stderr
        # And a migration afterwards still works.
        ns.fake_call(p.src, NAME, "PUT", "fake.migrate-delay", {"seconds": 0})
        virsh(p.src, "migrate", "--live", "--p2p", NAME, p.dst.uri)
        assert ns.get_ram(p.dst, NAME) == "ram-aborted"
    finally:
        es.close()
        cleanup(p)


@test
def max_downtime_get_reports_the_default_then_what_was_set(p):
    try:
        define_start(p.src)
        out = virsh(p.src, "migrate-getmaxdowntime", NAME).stdout
        assert out.strip() == "300", out
        virsh(p.src, "migrate-setmaxdowntime", NAME, "750")
        out = virsh(p.src, "migrate-getmaxdowntime", NAME).stdout
        assert out.strip() == "750", out
        dom = libvirt.open(p.src.uri).lookupByName(NAME)
        assert dom.migrateGetMaxDowntime(0) == 750
        virsh(p.src, "destroy", NAME)
        r = virsh(p.src, "migrate-getmaxdowntime", NAME, check=False)
        assert r.returncode != 0 and "not running" in r.stderr, r.stderr
    finally:
        cleanup(p)


@test
def refusals_leave_the_source_running(p):
    try:
        define_start(p.src)
        ns.set_ram(p.src, NAME, "ram-kept")
        # The destination has another domain of that name.
        virsh(p.dst, "define", rv.write(os.path.join(p.dst.tmp, "o.xml"),
                                        xml(UUID_OTHER)))
        r = virsh(p.src, "migrate", "--live", "--p2p", NAME, p.dst.uri,
                  check=False)
        assert r.returncode != 0 and "already" in r.stderr, r.stderr
        assert rv.domstate(p.src, NAME) == "running (booted)"
        virsh(p.dst, "undefine", NAME)
        # What nimbusd cannot do is refused by name.
        for args, text in [(("--tunnelled",), "tunnelled"),
                           (("--copy-storage-all",), "unsupported flags"),
                           (("--migrateuri", "unix:/x"), "not supported"),
                           (("--bandwidth", "10"), "'bandwidth'")]:
            r = virsh(p.src, "migrate", "--live", "--p2p", *args, NAME,
                      p.dst.uri, check=False)
            assert r.returncode != 0 and text in r.stderr, (args, r.stderr)
        r = virsh(p.src, "migrate", "--live", "--p2p", NAME,
                  "ch+ssh://host/system", check=False)
        assert r.returncode != 0 and "transport" in r.stderr, r.stderr
        r = virsh(p.src, "migrate", "--live", "--p2p", NAME,
                  "ch+unix:///system?socket=/nonexistent", check=False)
        assert r.returncode != 0 and "cannot connect" in r.stderr, r.stderr
        # A destination whose VMM cannot listen.
        os.makedirs(os.path.join(p.tmp, "bad"), exist_ok=True)
        bad = rv.Daemon(os.path.join(p.tmp, "bad"),
                        {"FAKE_NIMBUS_FAIL": "vm.receive-migration"})
        bad.start()
        try:
            r = virsh(p.src, "migrate", "--live", "--p2p", NAME, bad.uri,
                      check=False)
            assert r.returncode != 0 and "receive-migration" in r.stderr, r.stderr
            assert NAME not in rv.names(bad)
        finally:
            bad.stop()
            rv.kill_vmms(bad.state)
        assert rv.domstate(p.src, NAME) == "running (booted)"
        assert ns.get_ram(p.src, NAME) == "ram-kept"
        assert NAME not in rv.names(p.dst)
    finally:
        cleanup(p)


@test
def python_migrate3_and_migrate_to_uri3(p):
    src = libvirt.open(p.src.uri)
    dst = libvirt.open(p.dst.uri)
    try:
        define_start(p.src)
        dom = src.lookupByName(NAME)
        new = dom.migrate3(dst, {}, libvirt.VIR_MIGRATE_LIVE)
        assert new.name() == NAME and new.isActive()
        assert new.UUIDString() == UUID
        assert dom.info()[0] == libvirt.VIR_DOMAIN_SHUTOFF
        new.migrateToURI3(p.src.uri, {}, libvirt.VIR_MIGRATE_LIVE |
                          libvirt.VIR_MIGRATE_PEER2PEER)
        assert dom.info()[0] == libvirt.VIR_DOMAIN_RUNNING
        assert NAME not in [d.name() for d in dst.listAllDomains()]
    finally:
        src.close()
        dst.close()
        cleanup(p)


def main():
    libvirt.virEventRegisterDefaultImpl()
    threading.Thread(target=rv.event_loop, daemon=True).start()
    libvirt.registerErrorHandler(lambda ctx, err: None, None)
    tmp = tempfile.mkdtemp(prefix="nd-mig-", dir="/tmp")
    p = Pair(tmp)
    failed = 0
    print("1..%d" % len(TESTS))
    try:
        p.src.start()
        p.dst.start()

        def restart():
            for d in (p.src, p.dst):
                if d.proc is None or d.proc.poll() is not None:
                    d.start()

        failed += rv.run_tap(TESTS, "/nimbusd/migrate", p, restart)
    finally:
        for d in (p.src, p.dst):
            d.stop()
            rv.kill_vmms(d.state)
        if failed or os.environ.get("NIMBUS_TEST_KEEP"):
            print("# nimbusd logs and state kept in " + tmp)
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
