#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
# nimbusd's <disk type='vhostuser'> with stock virsh against the fake VMM
# (tests/unit/rpc-fake-nimbus.py, no KVM): define and dumpxml keep it,
# domblklist lists it, start hands nimbus vhost_user=on with the socket
# and no image; domblkstat finds it by its socket path; define refuses
# it without shared memory, with options that describe an image, or with
# more queues than vCPUs (the VMM's own rule); domblkinfo, blockresize, blkdeviotune, save, managedsave,
# snapshots and migration refuse it by name and leave the domain as it
# was (an offline snapshot works once the disk is left out);
# attach-device / detach-device of one while running (vm.add-disk with
# the socket, alias and PCI address in the live XML), refused for a
# socket another running domain uses.  TAP output.  Reuses
# test-rpc-virsh.py's and test-nimbusd-virtiofs.py's helpers.
import importlib.util
import os
import shutil
import socket
import sys
import tempfile
import threading

import libvirt

HERE = os.path.dirname(os.path.abspath(__file__))
_spec = importlib.util.spec_from_file_location(
    "rpcvirsh", os.path.join(HERE, "test-rpc-virsh.py"))
rv = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(rv)
_spec = importlib.util.spec_from_file_location(
    "nimbusdfs", os.path.join(HERE, "test-nimbusd-virtiofs.py"))
fs = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(fs)

virsh, write = rv.virsh, rv.write
TESTS = []
NAME = fs.NAME          # fs.vm_config() reads this domain's vm.info
UUID = "7a1b2c3d-0000-4000-8000-0000000000d7"
SHARED = fs.SHARED


def test(fn):
    TESTS.append(fn)
    return fn


class Ctx:
    def __init__(self, d):
        self.d = d
        self.tmp = d.tmp
        self.listeners = []

    def image(self, name, size=1 << 20):
        p = os.path.join(self.tmp, name)
        if not os.path.exists(p):
            with open(p, "wb") as f:
                f.truncate(size)
        return p

    def backend(self, name):
        """A listening UNIX socket standing for a vhost-user back end."""
        p = os.path.join(self.tmp, name)
        if not os.path.exists(p):
            s = socket.socket(socket.AF_UNIX)
            s.bind(p)
            s.listen(1)
            self.listeners.append(s)
        return p

    def vhd(self, sock, target, driver="<driver name='qemu' type='raw'/>",
            extra=""):
        return ("<disk type='vhostuser' device='disk'>%s"
                "<source type='unix' path='%s'/>"
                "<target dev='%s' bus='virtio'/>%s</disk>"
                % (driver, sock, target, extra))

    def xml(self, devices, backing=SHARED, name=NAME, uuid=UUID):
        xml = rv.golden_xml(name, uuid, devices)
        xml = xml.replace("/var/lib/nimbus/images/%s.raw" % name,
                          self.image(name + ".raw"))
        return xml.replace("<vcpu", backing + "<vcpu", 1)

    def define(self, devices, backing=SHARED, check=True, name=NAME,
               uuid=UUID):
        return virsh(self.d, "define",
                     write(os.path.join(self.tmp, name + ".xml"),
                           self.xml(devices, backing, name, uuid)),
                     check=check)

    def cleanup(self, name=NAME):
        virsh(self.d, "destroy", name, check=False)
        virsh(self.d, "snapshot-delete", name, "--current", check=False)
        virsh(self.d, "undefine", name, "--managed-save", check=False)


def refused(r, text):
    assert r.returncode != 0, r.stdout
    assert text in r.stderr, r.stderr


def vhd_disks(d):
    return [x for x in fs.vm_config(d).get("disks") or []
            if x.get("vhost_user")]


# ---- the tests --------------------------------------------------------------


@test
def define_dumpxml_domblklist(c):
    sock = c.backend("blk0.sock")
    try:
        c.define(c.vhd(sock, "vdb", "<driver name='qemu' type='raw' "
                       "queues='1' queue_size='256'/>"))
        xml = virsh(c.d, "dumpxml", "--inactive", NAME).stdout
        assert "<disk type='vhostuser' device='disk'>" in xml, xml
        assert "<driver name='qemu' type='raw' queues='1' " \
               "queue_size='256'/>" in xml, xml
        assert "<source type='unix' path='%s'/>" % sock in xml, xml
        # virsh 9.0 shows source/@path, the socket, as the source.
        rows = [r.split() for r in
                virsh(c.d, "domblklist", "--details", NAME).stdout.splitlines()]
        assert ["vhostuser", "disk", "vdb", sock] == rows[1], rows
        # The same XML again: a round trip.
        again = write(os.path.join(c.tmp, "again.xml"), xml)
        virsh(c.d, "define", again)
        assert virsh(c.d, "dumpxml", "--inactive", NAME).stdout == xml
    finally:
        c.cleanup()


@test
def define_refusals(c):
    sock = c.backend("blk0.sock")
    try:
        for backing, disk, text in (
                ("", c.vhd(sock, "vdb"),
                 "disk 'vdb': vhost-user needs shared memory"),
                (SHARED, c.vhd(sock, "vdb", extra="<readonly/>"),
                 "disk 'vdb': <readonly/> is not supported by nimbus on a "
                 "vhostuser disk"),
                (SHARED, c.vhd(sock, "vdb", "<driver type='qcow2'/>"),
                 "<driver type> other than 'raw'"),
                (SHARED, c.vhd(sock, "vdb").replace(
                    sock + "'/>",
                    sock + "'><reconnect enabled='yes'/></source>"),
                 "<reconnect> is not supported by nimbus"),
                # The VMM's own rule, run by define (1 vCPU).
                (SHARED, c.vhd(sock, "vdb", "<driver queues='2'/>"),
                 "num_queues=2 is more than the 1 boot vCPUs")):
            refused(c.define(disk, backing, check=False), text)
            assert NAME not in rv.names(c.d)
    finally:
        c.cleanup()


@test
def start_and_refusals_while_running(c):
    sock = c.backend("blk0.sock")
    try:
        c.define(c.vhd(sock, "vdb"))
        virsh(c.d, "start", NAME)
        disks = fs.vm_config(c.d)["disks"]
        assert [x["id"] for x in disks] == ["vda", "vdb"], disks
        assert disks[1]["vhost_user"] is True, disks[1]
        assert disks[1]["vhost_socket"] == sock, disks[1]
        assert "path" not in disks[1] and \
            disks[1].get("image_type", "Unknown") == "Unknown", disks[1]
        live = virsh(c.d, "dumpxml", NAME).stdout
        for name in ("vdb", sock):
            refused(virsh(c.d, "domblkinfo", NAME, name, check=False),
                    "disk 'vdb' is a vhost-user disk: its size is known "
                    "only to the back end")
        refused(virsh(c.d, "blockresize", NAME, "vdb", "2M", check=False),
                "disk 'vdb' is a vhost-user disk: resize its image in the "
                "back end")
        refused(virsh(c.d, "blkdeviotune", NAME, "vdb", "--live",
                      "--total-bytes-sec", "1048576", check=False),
                "disk 'vdb': <iotune> is not supported by nimbus on a "
                "vhostuser disk")
        refused(virsh(c.d, "save", NAME, os.path.join(c.tmp, "s.img"),
                      check=False),
                "cannot save domain '%s': disk 'vdb' is a vhost-user disk"
                % NAME)
        refused(virsh(c.d, "managedsave", NAME, check=False),
                "cannot save domain '%s': disk 'vdb' is a vhost-user disk"
                % NAME)
        refused(virsh(c.d, "snapshot-create-as", NAME, "s1", check=False),
                "cannot snapshot domain '%s': disk 'vdb' is a vhost-user "
                "disk" % NAME)
        # Migration, to a second nimbusd (the VMM refuses it too).
        os.makedirs(os.path.join(c.tmp, "dst"), exist_ok=True)
        dst = rv.Daemon(os.path.join(c.tmp, "dst"))
        dst.start()
        try:
            refused(virsh(c.d, "migrate", "--live", "--p2p", NAME, dst.uri,
                          check=False),
                    "cannot migrate domain '%s': disk 'vdb' is a vhost-user "
                    "disk" % NAME)
            assert NAME not in rv.names(dst)
        finally:
            dst.stop()
            rv.kill_vmms(dst.state)
        # libvirt names a disk by target or source: the socket is one.
        assert " rd_req " in virsh(c.d, "domblkstat", NAME, sock).stdout
        refused(virsh(c.d, "domblkstat", NAME, sock + ".x", check=False),
                "is not a disk of domain")
        # The file disk still answers, and nothing changed.
        virsh(c.d, "domblkinfo", NAME, "vda")
        assert rv.domstate(c.d, NAME).startswith("running"), \
            rv.domstate(c.d, NAME)
        assert virsh(c.d, "dumpxml", NAME).stdout == live
        assert not os.path.exists(os.path.join(c.tmp, "s.img"))
    finally:
        c.cleanup()


@test
def offline_snapshot_leaves_it_out(c):
    sock = c.backend("blk0.sock")
    try:
        c.define(c.vhd(sock, "vdb"))
        refused(virsh(c.d, "snapshot-create-as", NAME, "s1", check=False),
                "disk 'vdb' is a vhost-user disk: nimbusd cannot copy the "
                "image its back end ('%s') serves" % sock)
        virsh(c.d, "snapshot-create-as", NAME, "s1",
              "--diskspec", "vdb,snapshot=no")
        assert "s1" in virsh(c.d, "snapshot-list", "--name", NAME).stdout
    finally:
        c.cleanup()


@test
def attach_detach_live(c):
    sock = c.backend("blk1.sock")
    try:
        c.define("")
        virsh(c.d, "start", NAME)
        before = virsh(c.d, "dumpxml", NAME).stdout
        dev = write(os.path.join(c.tmp, "vdc.xml"), c.vhd(sock, "vdc"))
        virsh(c.d, "attach-device", NAME, dev, "--live")
        live = virsh(c.d, "dumpxml", NAME).stdout
        disk = live[live.index("<disk type='vhostuser'"):]
        disk = disk[:disk.index("</disk>")]
        assert "<source type='unix' path='%s'/>" % sock in disk, live
        assert "<alias name='virtio-disk0'/>" in disk, live
        assert "<address type='pci'" in disk, live
        got = vhd_disks(c.d)
        assert [(x["id"], x["vhost_socket"], "path" in x) for x in got] == \
            [("virtio-disk0", sock, False)], got
        # One back end serves one front end.
        dup = write(os.path.join(c.tmp, "vdd.xml"), c.vhd(sock, "vdd"))
        refused(virsh(c.d, "attach-device", NAME, dup, "--live",
                      check=False),
                "disks 'vdc' and 'vdd' use the same vhostuser source path")
        # No back end listening: nimbus's refusal, nothing changes.
        gone = write(os.path.join(c.tmp, "vde.xml"),
                     c.vhd(os.path.join(c.tmp, "none.sock"), "vde"))
        r = virsh(c.d, "attach-device", NAME, gone, "--live", check=False)
        refused(r, "cannot connect to vhost-user socket")
        virsh(c.d, "detach-device", NAME, dev, "--live")
        rv.wait_for(lambda: sock not in virsh(c.d, "dumpxml", NAME).stdout,
                    "vdc detached")
        assert vhd_disks(c.d) == []
        assert virsh(c.d, "dumpxml", NAME).stdout == before
    finally:
        c.cleanup()


@test
def socket_of_another_running_domain(c):
    sock = c.backend("blk2.sock")
    other = "vm-vhd-other"
    try:
        c.define(c.vhd(sock, "vdb"), name=other,
                 uuid="7a1b2c3d-0000-4000-8000-0000000000d8")
        virsh(c.d, "start", other)
        c.define("")
        virsh(c.d, "start", NAME)
        before = virsh(c.d, "dumpxml", NAME).stdout
        dev = write(os.path.join(c.tmp, "vdc2.xml"), c.vhd(sock, "vdc"))
        refused(virsh(c.d, "attach-device", NAME, dev, "--live",
                      check=False),
                "vhost-user socket '%s' is in use by domain '%s'"
                % (sock, other))
        assert virsh(c.d, "dumpxml", NAME).stdout == before
        assert vhd_disks(c.d) == []
    finally:
        c.cleanup()
        c.cleanup(other)


def main():
    libvirt.virEventRegisterDefaultImpl()
    threading.Thread(target=rv.event_loop, daemon=True).start()
    libvirt.registerErrorHandler(lambda ctx, err: None, None)
    tmp = tempfile.mkdtemp(prefix="nd-vhd-", dir="/tmp")
    d = rv.Daemon(tmp)
    failed = 0
    print("1..%d" % len(TESTS))
    try:
        d.start()
        failed += rv.run_tap(TESTS, "/nimbusd/vhostuser-disk", Ctx(d))
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
