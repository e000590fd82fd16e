# SPDX-License-Identifier: Apache-2.0
# nimbusd unit tests: RPC framing and XDR, the HTTP client, driver helpers,
# the daemon over raw frames, and stock virsh/python3-libvirt against it
# (no KVM: a fake nimbus stands in for the VMM).
RPC_TEST_CPPFLAGS = $(AM_CPPFLAGS) $(LIBTIRPC_CFLAGS) $(LIBXML_CFLAGS) $(LIBVIRT_CFLAGS)
RPC_TEST_LIBS = tests/libtestutil.a $(NIMBUSD_LIBS)

check_PROGRAMS += tests/unit/test-rpc-packet
TESTS += tests/unit/test-rpc-packet
tests_unit_test_rpc_packet_CPPFLAGS = $(RPC_TEST_CPPFLAGS)
tests_unit_test_rpc_packet_LDADD = $(RPC_TEST_LIBS)

check_PROGRAMS += tests/unit/test-rpc-http-client
TESTS += tests/unit/test-rpc-http-client
tests_unit_test_rpc_http_client_LDADD = $(RPC_TEST_LIBS)

check_PROGRAMS += tests/unit/test-rpc-driver
TESTS += tests/unit/test-rpc-driver
tests_unit_test_rpc_driver_CPPFLAGS = $(RPC_TEST_CPPFLAGS)
tests_unit_test_rpc_driver_LDADD = $(RPC_TEST_LIBS)

# Drives the nimbusd binary: built before the tests run.
check_PROGRAMS += tests/unit/test-rpc-server
TESTS += tests/unit/test-rpc-server
tests_unit_test_rpc_server_CPPFLAGS = $(RPC_TEST_CPPFLAGS)
tests_unit_test_rpc_server_LDADD = $(RPC_TEST_LIBS)
EXTRA_tests_unit_test_rpc_server_DEPENDENCIES = nimbusd

# Stock virsh, virt-install and python3-libvirt against nimbusd; the VMM is
# the fake below (no KVM needed).  NIMBUSD_STRESS_SECONDS sets the length of
# the 32-client run (30 s by default, the length issue 6 asks for).
dist_check_SCRIPTS += tests/unit/test-rpc-virsh.py tests/unit/rpc-fake-nimbus.py
TESTS += tests/unit/test-rpc-virsh.py

# Idle and hostile clients: CPU of idle connections (/proc/PID/stat), PING
# flooders that never read, -ro clients against the read-write socket.
dist_check_SCRIPTS += tests/unit/test-nimbusd-load.py
TESTS += tests/unit/test-nimbusd-load.py

# The host APIs nova calls and a replay of its call sequence for one
# instance (nova's guest XML for a raw image, direct kernel boot).
dist_check_SCRIPTS += tests/unit/test-rpc-nova.py
TESTS += tests/unit/test-rpc-nova.py
EXTRA_DIST += tests/data/nimbusd/virt-install-direct-kernel.xml \
	tests/data/nimbusd/virt-install-direct-kernel.dumpxml

# Fuzz target over RPC frames and every XDR decoder we serve (plus the VMM
# event-stream parser); corpus: frames captured from virsh and
# python3-libvirt talking to nimbusd.
FUZZ_TARGETS += tests/fuzz/fuzz-rpc
tests_fuzz_fuzz_rpc_CPPFLAGS = $(RPC_TEST_CPPFLAGS)
tests_fuzz_fuzz_rpc_LDADD = $(FUZZ_MAIN_LIB) $(NIMBUSD_LIBS)
tests_fuzz_fuzz_rpc_LDFLAGS = $(AM_LDFLAGS) $(FUZZ_LINK_FLAGS)
EXTRA_DIST += tests/fuzz/corpus/rpc

# Networks, pools and volumes forwarded to a private, unprivileged libvirtd
# the test starts (issue 11): virsh pool-*/vol-*/net-*, virt-install's
# --disk size=N and --disk PATH, libvirtd's errors 1:1, libvirtd absent.
dist_check_SCRIPTS += tests/unit/test-nimbusd-libvirtd.py
TESTS += tests/unit/test-nimbusd-libvirtd.py

# nimbusd's org.libvirt service (libvirt-dbus's interfaces) on a private
# dbus-daemon: introspection against the XML, the same calls over D-Bus and
# over RPC, events, bad input.  Reuses test-rpc-virsh.py's helpers.
dist_check_SCRIPTS += tests/unit/test-nimbusd-dbus.py
TESTS += tests/unit/test-nimbusd-dbus.py

# org.libvirt's objects and events from a private libvirtd (issue 17): host
# interfaces and node devices, NetworkEvent/StoragePoolEvent/Refresh.
dist_check_SCRIPTS += tests/unit/test-nimbusd-dbus-libvirtd.py
TESTS += tests/unit/test-nimbusd-dbus-libvirtd.py

# cockpit-machines 288 on nimbusd's qemu_compat mode (issue 17): the
# machines page in headless chromium lists the domains with their state and
# shuts one down; the compat switch's refusals.  As root, in a private mount
# namespace; screenshots in tests/unit/test-nimbusd-cockpit.out.
dist_check_SCRIPTS += tests/unit/test-nimbusd-cockpit.py
TESTS += tests/unit/test-nimbusd-cockpit.py

# attach/detach-device, detach-device-alias and blockresize (issue 13):
# flags, live XML, device events and refusals, against the fake VMM.
dist_check_SCRIPTS += tests/unit/test-nimbusd-hotplug.py
TESTS += tests/unit/test-nimbusd-hotplug.py

# Memory devices (issues 13, 16): virsh update-memory-device on a
# virtio-mem device, live (vm.resize desired_ram, <current> from vm.info)
# and --config, and the refusals, against the fake VMM.
dist_check_SCRIPTS += tests/unit/test-nimbusd-memory.py
TESTS += tests/unit/test-nimbusd-memory.py

# <watchdog> (issue 16): each action's WATCHDOG event and what follows it,
# against the fake VMM.
dist_check_SCRIPTS += tests/unit/test-nimbusd-watchdog.py
TESTS += tests/unit/test-nimbusd-watchdog.py

# <iommu model='virtio'> and <driver iommu='on'> (issue 16): virt-install's
# XML defined, started and dumped, live attach refused, against the fake VMM.
dist_check_SCRIPTS += tests/unit/test-nimbusd-iommu.py
TESTS += tests/unit/test-nimbusd-iommu.py

# A VMM slow to serve its API socket (past the old 15 s) still starts; one
# that exits first fails the start at once with its reason (the fake VMM).
dist_check_SCRIPTS += tests/unit/test-nimbusd-slow-start.py
TESTS += tests/unit/test-nimbusd-slow-start.py

# update-device (DOMAIN_UPDATE_DEVICE_FLAGS): --config replacement and the
# live refusals, against the fake VMM.
dist_check_SCRIPTS += tests/unit/test-rpc-update-device.py
TESTS += tests/unit/test-rpc-update-device.py

# virsh blkdeviotune (SET/GET_BLOCK_IO_TUNE, issue 15): --config, --live
# through vm.nimbus-update-rate-limiter, groups, refusals by name.
dist_check_SCRIPTS += tests/unit/test-nimbusd-blkiotune.py
TESTS += tests/unit/test-nimbusd-blkiotune.py

# <disk type='vhostuser'> (issue 16): define/dumpxml/domblklist, vm.create
# and vm.add-disk with the socket, and the refusals by name (domblkinfo,
# blockresize, blkdeviotune, save, managedsave, snapshots, migration, a
# socket another domain uses), against the fake VMM.
dist_check_SCRIPTS += tests/unit/test-nimbusd-vhudisk.py
TESTS += tests/unit/test-nimbusd-vhudisk.py

# virsh domiftune (SET/GET_INTERFACE_PARAMETERS, issue 15): <bandwidth>
# --config, --live through vm.nimbus-update-rate-limiter, refusals by name.
dist_check_SCRIPTS += tests/unit/test-nimbusd-iftune.py
TESTS += tests/unit/test-nimbusd-iftune.py

# virsh domblkinfo, blkiotune, domtime and the guest-agent calls, send-key,
# screenshot (issue 11): real sizes from qemu-img-made images, refusals
# with libvirt's codes and the reason.
dist_check_SCRIPTS += tests/unit/test-nimbusd-domain-extra.py
TESTS += tests/unit/test-nimbusd-domain-extra.py

# <backingStore> (issue 15): the live chain read from qemu-img-made image
# headers, dropped on define, kept across a daemon restart.
dist_check_SCRIPTS += tests/unit/test-nimbusd-backing.py
TESTS += tests/unit/test-nimbusd-backing.py

# nimbusd's <vsock>: guest CIDs unique among domains, the run's VmConfig.
check_PROGRAMS += tests/unit/test-driver-vsock
TESTS += tests/unit/test-driver-vsock
tests_unit_test_driver_vsock_CPPFLAGS = $(RPC_TEST_CPPFLAGS)
tests_unit_test_driver_vsock_LDADD = $(RPC_TEST_LIBS)

# nimbusd's <tpm>: the swtpm it runs per domain (Debian's swtpm, from
# scripts/install-deps), its state directory and the run's VmConfig.
check_PROGRAMS += tests/unit/test-driver-tpm
TESTS += tests/unit/test-driver-tpm
tests_unit_test_driver_tpm_CPPFLAGS = $(RPC_TEST_CPPFLAGS)
tests_unit_test_driver_tpm_LDADD = $(RPC_TEST_LIBS)

# <filesystem> (virtiofs) and <memoryBacking> (issue 16): the virtiofsd
# nimbusd runs per filesystem (a fake one), the VMM's fs entries and shared
# memory, nothing left after a stop or a failed start, against the fake VMM.
dist_check_SCRIPTS += tests/unit/test-nimbusd-virtiofs.py
TESTS += tests/unit/test-nimbusd-virtiofs.py

# A live <filesystem> attach whose domain stops, or stops and starts again,
# while vm.add-fs is in flight (fake VMM, fake virtiofsd).
check_PROGRAMS += tests/unit/test-driver-fs
TESTS += tests/unit/test-driver-fs
tests_unit_test_driver_fs_CPPFLAGS = $(RPC_TEST_CPPFLAGS)
tests_unit_test_driver_fs_LDADD = $(RPC_TEST_LIBS)
