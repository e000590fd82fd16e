# SPDX-License-Identifier: Apache-2.0
# PCI/virtio unit tests

# The test "driver" that builds rings in guest memory.
noinst_LIBRARIES += tests/unit/libvirtiodriver.a
tests_unit_libvirtiodriver_a_CPPFLAGS = $(AM_CPPFLAGS) -DG_LOG_DOMAIN=\"nimbus-test\"
tests_unit_libvirtiodriver_a_SOURCES = \
	tests/unit/test-virtio-driver.c tests/unit/test-virtio-driver.h
VIRTIO_TEST_LIBS = tests/unit/libvirtiodriver.a $(TEST_LIBS)

VIRTIO_UNIT_TESTS = \
	tests/unit/test-virtqueue \
	tests/unit/test-blk \
	tests/unit/test-virtio-blk \
	tests/unit/test-net \
	tests/unit/test-virtio-rng-console
check_PROGRAMS += $(VIRTIO_UNIT_TESTS)
TESTS += $(VIRTIO_UNIT_TESTS)
tests_unit_test_virtqueue_LDADD = $(VIRTIO_TEST_LIBS)
tests_unit_test_blk_LDADD = $(VIRTIO_TEST_LIBS)
tests_unit_test_virtio_blk_LDADD = $(VIRTIO_TEST_LIBS)
tests_unit_test_net_LDADD = $(VIRTIO_TEST_LIBS)
tests_unit_test_virtio_rng_console_LDADD = $(VIRTIO_TEST_LIBS)

# Tests of PCI and the virtio-pci transport run on the fake VM
# (tests/unit/fake-vm.h); the event monitor comes from libvmm.a.
VIRTIO_FAKE_VM_LIBS = tests/unit/libvirtiodriver.a $(FAKE_VM_LIBS) \
	daemon/libvmm.a $(VMM_DEP_LIBS)
VIRTIO_FAKE_VM_DEPS = tests/unit/libvirtiodriver.a $(FAKE_VM_DEPS) \
	daemon/libvmm.a
VIRTIO_FAKE_VM_TESTS = \
	tests/unit/test-pci \
	tests/unit/test-virtio-pci
check_PROGRAMS += $(VIRTIO_FAKE_VM_TESTS)
TESTS += $(VIRTIO_FAKE_VM_TESTS)
tests_unit_test_pci_LDADD = $(VIRTIO_FAKE_VM_LIBS)
tests_unit_test_pci_DEPENDENCIES = $(VIRTIO_FAKE_VM_DEPS)
tests_unit_test_virtio_pci_LDADD = $(VIRTIO_FAKE_VM_LIBS)
tests_unit_test_virtio_pci_DEPENDENCIES = $(VIRTIO_FAKE_VM_DEPS)
