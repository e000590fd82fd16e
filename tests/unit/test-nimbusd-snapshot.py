#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
# nimbusd's domain snapshots through stock virsh and python3-libvirt; the
# VMM is tests/unit/rpc-fake-nimbus.py, whose vm.snapshot/vm.restore write
# and read a real directory and whose fake.ram stands for guest memory.
import importlib.util
import os
import re
import shutil
import sys
import tempfile
import threading

import libvirt

HERE = os.path.dirname(os.path.abspath(__file__))
_spec = importlib.util.spec_from_file_location(
    "ndsave", os.path.join(HERE, "test-nimbusd-save.py"))
ns = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(ns)
rv = ns.rv
virsh = rv.virsh

STARTED, STOPPED = 2, 5
STARTED_FROM_SNAPSHOT, STOPPED_FROM_SNAPSHOT = 3, 6
TESTS = []


def test(fn):
    TESTS.append(fn)
    return fn


def disk(d, name):
    return os.path.join(d.tmp, name + ".raw")


def define(d, name, uuid=ns.UUID_A):
    """A domain whose one disk is a real file in the test directory."""
    img = rv.write(disk(d, name), "disk-v1")
    xml = re.sub(r"<source file=['\"][^'\"]*['\"]/>",
                 "<source file='%s'/>" % img, rv.golden_xml(name, uuid))
    virsh(d, "define", rv.write(os.path.join(d.tmp, name + ".xml"), xml))


def read(path):
    with open(path) as f:
        return f.read()


def snapdir(d, name):
    return os.path.join(d.config, "snapshot", name)


def cleanup(d, *names):
    for n in names:
        virsh(d, "destroy", n, check=False)
        virsh(d, "undefine", n, "--snapshots-metadata", check=False)


def listed(d, name, *args):
    out = virsh(d, "snapshot-list", name, "--name", *args).stdout
    return [line for line in out.splitlines() if line.strip()]


@test
def create_revert_running_restores_ram_and_disk(d):
    ev = rv.Events(d.uri)
    try:
        define(d, "vm-s")
        virsh(d, "start", "vm-s")
        ns.set_ram(d, "vm-s", "ram-at-s1")
        assert ev.take("vm-s", 2)[1] == (STARTED, 0)
        virsh(d, "snapshot-create-as", "vm-s", "s1", "first one")
        # Paused for the copy, then running again.
        assert rv.domstate(d, "vm-s") == "running (unpaused)"
        ev.take("vm-s", 2)
        files = sorted(os.listdir(snapdir(d, "vm-s")))
        assert files == ["current", "s1.vm", "s1.xml"], files
        assert read(os.path.join(snapdir(d, "vm-s"), "s1.vm", "disks",
                                 "vda")) == "disk-v1"
        ns.set_ram(d, "vm-s", "ram-changed")
        rv.write(disk(d, "vm-s"), "disk-v2")
        virsh(d, "snapshot-revert", "vm-s", "s1")
        assert ev.take("vm-s", 2) == [(STOPPED, STOPPED_FROM_SNAPSHOT),
                                      (STARTED, STARTED_FROM_SNAPSHOT)]
        assert ns.get_ram(d, "vm-s") == "ram-at-s1"
        assert read(disk(d, "vm-s")) == "disk-v1"
        assert rv.domstate(d, "vm-s") == "running (from snapshot)"
        # --paused overrides the snapshot's running state.
        virsh(d, "snapshot-revert", "vm-s", "s1", "--paused")
        assert rv.domstate(d, "vm-s") == "paused (from snapshot)"
        # A snapshot of a paused domain reverts paused.
        virsh(d, "snapshot-create-as", "vm-s", "s2")
        virsh(d, "resume", "vm-s")
        virsh(d, "snapshot-revert", "vm-s", "s2")
        assert rv.domstate(d, "vm-s") == "paused (from snapshot)"
        info = virsh(d, "snapshot-info", "vm-s", "s2").stdout
        assert re.search(r"State:\s+paused", info), info
    finally:
        ev.close()
        cleanup(d, "vm-s")


@test
def shutoff_snapshot_copies_disks_only(d):
    try:
        define(d, "vm-off")
        virsh(d, "snapshot-create-as", "vm-off", "off1")
        xml = virsh(d, "snapshot-dumpxml", "vm-off", "off1").stdout
        assert "<state>shutoff</state>" in xml, xml
        assert "<memory snapshot='no'/>" in xml, xml
        rv.write(disk(d, "vm-off"), "disk-v2")
        virsh(d, "start", "vm-off")
        # Reverting to a shut-off snapshot stops the domain, puts the disk
        # back and leaves it off.
        virsh(d, "snapshot-revert", "vm-off", "off1")
        assert rv.domstate(d, "vm-off") == "shut off (from snapshot)"
        assert read(disk(d, "vm-off")) == "disk-v1"
        r = virsh(d, "snapshot-create-as", "vm-off", "m", "--memspec",
                  "snapshot=internal", check=False)
        assert r.returncode != 0
    finally:
        cleanup(d, "vm-off")


@test
def tree_queries(d):
    try:
        define(d, "vm-t")
        virsh(d, "snapshot-create-as", "vm-t", "a")
        virsh(d, "snapshot-create-as", "vm-t", "b")
        virsh(d, "snapshot-create-as", "vm-t", "c")
        virsh(d, "snapshot-revert", "vm-t", "a")
        virsh(d, "snapshot-create-as", "vm-t", "d")
        assert listed(d, "vm-t") == ["a", "b", "c", "d"]
        assert listed(d, "vm-t", "--roots") == ["a"]
        assert listed(d, "vm-t", "--leaves") == ["c", "d"]
        assert listed(d, "vm-t", "--from", "a") == ["b", "d"]
        assert listed(d, "vm-t", "--from", "a", "--descendants") == \
            ["b", "c", "d"]
        tree = virsh(d, "snapshot-list", "vm-t", "--tree").stdout
        assert re.search(r"a\n\s+\|\n\s+\+- b\n", tree), tree
        par = virsh(d, "snapshot-list", "vm-t", "--parent").stdout
        assert re.search(r"\bc\s.*\bb\b", par), par
        assert virsh(d, "snapshot-current", "vm-t", "--name").stdout.strip() \
            == "d"
        assert virsh(d, "snapshot-parent", "vm-t", "c").stdout.strip() == "b"
        r = virsh(d, "snapshot-parent", "vm-t", "a", check=False)
        assert "has no parent" in r.stderr, r.stderr
        info = virsh(d, "snapshot-info", "vm-t", "a").stdout
        assert re.search(r"Children:\s+2", info), info
        assert re.search(r"Descendants:\s+3", info), info
        assert re.search(r"Current:\s+no", info), info
        assert re.search(r"State:\s+shutoff", info), info
        xml = virsh(d, "snapshot-dumpxml", "vm-t", "c").stdout
        assert "<parent>\n    <name>b</name>" in xml, xml
        assert "<name>vm-t</name>" in xml, xml
        # Read-only: queries work, changes and secrets do not.
        ro = ["virsh", "-q", "-r", "-c", d.uri]
        assert rv.run(ro + ["snapshot-list", "vm-t", "--name"]).stdout.split() \
            == ["a", "b", "c", "d"]
        for args in (["snapshot-create-as", "vm-t", "x"],
                     ["snapshot-delete", "vm-t", "a"],
                     ["snapshot-revert", "vm-t", "a"],
                     ["snapshot-dumpxml", "vm-t", "a", "--security-info"]):
            r = rv.run(ro + args, check=False)
            assert r.returncode != 0 and \
                ("forbidden" in r.stderr or "denied" in r.stderr), r.stderr
        r = virsh(d, "snapshot-info", "vm-t", "zz", check=False)
        assert "no domain snapshot with matching name 'zz'" in r.stderr
    finally:
        cleanup(d, "vm-t")


@test
def delete_children_and_reparent(d):
    try:
        define(d, "vm-d")
        for n in ("a", "b", "c", "e"):
            virsh(d, "snapshot-create-as", "vm-d", n)
        # Deleting b: c hangs from a now.
        virsh(d, "snapshot-delete", "vm-d", "b")
        assert virsh(d, "snapshot-parent", "vm-d", "c").stdout.strip() == "a"
        assert not os.path.exists(os.path.join(snapdir(d, "vm-d"), "b.vm"))
        # --children-only keeps a; the current (e) moves to a.
        virsh(d, "snapshot-delete", "vm-d", "a", "--children-only")
        assert listed(d, "vm-d") == ["a"]
        assert virsh(d, "snapshot-current", "vm-d", "--name").stdout.strip() \
            == "a"
        virsh(d, "snapshot-create-as", "vm-d", "f")
        virsh(d, "snapshot-delete", "vm-d", "a", "--children")
        assert listed(d, "vm-d") == []
        r = virsh(d, "snapshot-current", "vm-d", check=False)
        assert r.returncode != 0
        assert sorted(os.listdir(snapdir(d, "vm-d"))) == []
    finally:
        cleanup(d, "vm-d")


@test
def undefine_with_snapshots(d):
    try:
        define(d, "vm-u")
        virsh(d, "snapshot-create-as", "vm-u", "s")
        r = virsh(d, "undefine", "vm-u", check=False)
        ns.refused(r, "cannot delete inactive domain with 1 snapshots")
        assert "vm-u" in rv.names(d)
        virsh(d, "undefine", "vm-u", "--snapshots-metadata")
        assert "vm-u" not in rv.names(d)
        assert not os.path.exists(snapdir(d, "vm-u"))
    finally:
        cleanup(d, "vm-u")


@test
def bad_names_flags_and_duplicates(d):
    try:
        define(d, "vm-b")
        virsh(d, "snapshot-create-as", "vm-b", "s")
        ns.refused(virsh(d, "snapshot-create-as", "vm-b", "s", check=False),
                   "domain snapshot 's' already exists")
        ns.refused(virsh(d, "snapshot-create-as", "vm-b", "a/b", check=False),
                   "invalid snapshot name 'a/b'")
        ns.refused(virsh(d, "snapshot-create-as", "vm-b", ".x", check=False),
                   "invalid snapshot name")
        ns.refused(virsh(d, "snapshot-create-as", "vm-b", "x", "--disk-only",
                         check=False), "unsupported flags")
        ns.refused(virsh(d, "snapshot-create-as", "vm-b", "x", "--quiesce",
                         check=False), "unsupported flags")
        ns.refused(virsh(d, "snapshot-create-as", "vm-b", "x", "--diskspec",
                         "vda,snapshot=external,file=/tmp/x", check=False),
                   "not supported")
        assert listed(d, "vm-b") == ["s"]
    finally:
        cleanup(d, "vm-b")


@test
def failing_vm_snapshot_leaves_nothing(d):
    f = None
    try:
        define(d, "vm-f")
        f = ns.vmm_failure(d, "vm.snapshot")
        f.start()
        virsh(f, "start", "vm-f")
        ns.set_ram(f, "vm-f", "kept")
        r = virsh(f, "snapshot-create-as", "vm-f", "s", check=False)
        assert r.returncode != 0
        assert rv.domstate(f, "vm-f") == "running (unpaused)"
        assert ns.get_ram(f, "vm-f") == "kept"
        left = os.listdir(snapdir(f, "vm-f")) \
            if os.path.exists(snapdir(f, "vm-f")) else []
        assert left == [], left
        assert listed(f, "vm-f") == []
    finally:
        if f:
            cleanup(f, "vm-f")
            f.stop()
        d.start()


@test
def python_libvirt_snapshot_api(d):
    conn = libvirt.open(d.uri)
    try:
        define(d, "vm-py")
        dom = conn.lookupByName("vm-py")
        dom.create()
        s = dom.snapshotCreateXML(
            "<domainsnapshot><name>p1</name></domainsnapshot>", 0)
        assert s.getName() == "p1"
        assert dom.hasCurrentSnapshot() == 1
        assert s.isCurrent() == 1 and s.hasMetadata() == 1
        assert dom.snapshotNum() == 1
        assert dom.snapshotListNames() == ["p1"]
        assert [x.getName() for x in dom.listAllSnapshots()] == ["p1"]
        s2 = dom.snapshotCreateXML("<domainsnapshot/>", 0)
        assert s2.getParent().getName() == "p1"
        assert s.numChildren() == 1
        assert s.listChildrenNames() == [s2.getName()]
        assert [x.getName() for x in s.listAllChildren()] == [s2.getName()]
        assert dom.snapshotLookupByName("p1").getName() == "p1"
        dom.revertToSnapshot(s, libvirt.VIR_DOMAIN_SNAPSHOT_REVERT_PAUSED)
        assert dom.state() == [libvirt.VIR_DOMAIN_PAUSED,
                               libvirt.VIR_DOMAIN_PAUSED_FROM_SNAPSHOT]
        s.delete(libvirt.VIR_DOMAIN_SNAPSHOT_DELETE_CHILDREN)
        assert dom.snapshotNum() == 0 and dom.hasCurrentSnapshot() == 0
    finally:
        conn.close()
        cleanup(d, "vm-py")


@test
def halt_metadata_only_and_xml_disks(d):
    try:
        define(d, "vm-h")
        virsh(d, "start", "vm-h")
        # --halt: the domain stops once the snapshot is safe.
        virsh(d, "snapshot-create-as", "vm-h", "h1", "--halt")
        assert rv.domstate(d, "vm-h") == "shut off (from snapshot)"
        virsh(d, "snapshot-revert", "vm-h", "h1")
        assert rv.domstate(d, "vm-h") == "running (from snapshot)"
        ns.refused(virsh(d, "snapshot-revert", "vm-h", "h1", "--running",
                         "--paused", check=False), "mutually exclusive")
        # A disk the XML marks snapshot='no' is not copied.
        path = rv.write(os.path.join(d.tmp, "snap.xml"),
                        "<domainsnapshot><name>h2</name><disks>"
                        "<disk name='vda' snapshot='no'/></disks>"
                        "</domainsnapshot>")
        virsh(d, "snapshot-create", "vm-h", path)
        xml = virsh(d, "snapshot-dumpxml", "vm-h", "h2").stdout
        assert "<disk name='vda' snapshot='no'/>" in xml, xml
        assert not os.path.exists(os.path.join(snapdir(d, "vm-h"), "h2.vm",
                                               "disks", "vda"))
        ns.refused(virsh(d, "snapshot-create", "vm-h", rv.write(
            os.path.join(d.tmp, "bad.xml"),
            "<domainsnapshot><disks><disk name='vdz'/></disks>"
            "</domainsnapshot>"), check=False), "no disk named 'vdz'")
        # --current lists the children of the current snapshot (h2: none).
        assert listed(d, "vm-h", "--current") == []
        assert listed(d, "vm-h", "--topological") == ["h1", "h2"]
        # --metadata leaves the data, and the name cannot be reused.
        virsh(d, "snapshot-delete", "vm-h", "h2", "--metadata")
        assert listed(d, "vm-h") == ["h1"]
        assert os.path.isdir(os.path.join(snapdir(d, "vm-h"), "h2.vm"))
        ns.refused(virsh(d, "snapshot-create-as", "vm-h", "h2", check=False),
                   "left by a metadata-only delete")
        assert rv.domstate(d, "vm-h") == "running (unpaused)"
    finally:
        cleanup(d, "vm-h")


def main():
    libvirt.virEventRegisterDefaultImpl()
    threading.Thread(target=rv.event_loop, daemon=True).start()
    libvirt.registerErrorHandler(lambda ctx, err: None, None)
    tmp = tempfile.mkdtemp(prefix="nd-snap-", dir="/tmp")
    d = rv.Daemon(tmp)
    failed = 0
    print("1..%d" % len(TESTS))
    try:
        d.start()

        def restart():
            if d.proc is None or d.proc.poll() is not None:
                d.start()

        failed += rv.run_tap(TESTS, "/nimbusd/snapshot", d, restart)
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
