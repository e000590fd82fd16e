# SPDX-License-Identifier: Apache-2.0
# PCI/virtio unit tests

# The test "driver" that builds rings in guest memory.
noinst_LIBRARIES += tests/unit/libvirtiodriver.a
tests_unit_libvirtiodriver_a_CPPFLAGS = $(AM_CPPFLAGS) -DG_LOG_DOMAIN=\"nimbus-test\"
tests_unit_libvirtiodriver_a_SOURCES = \
	tests/unit/test-virtio-driver.c tests/unit/test-virtio-driver.h
# Virtio tests put the test driver's RAM behind a FakeHost
# (fake_host_new_with_memory()); the real daemon/memory.c maps it.
VIRTIO_TEST_LIBS = tests/unit/libvirtiodriver.a tests/unit/libfakevm.a \
	$(TEST_LIBS)

VIRTIO_UNIT_TESTS = \
	tests/unit/test-virtqueue \
	tests/unit/test-blk \
	tests/unit/test-block-format \
	tests/unit/test-qcow2 \
	tests/unit/test-vhd \
	tests/unit/test-vhdx \
	tests/unit/test-virtio-blk \
	tests/unit/test-net \
	tests/unit/test-virtio-rng-console \
	tests/unit/test-rate-limiter
check_PROGRAMS += $(VIRTIO_UNIT_TESTS)
TESTS += $(VIRTIO_UNIT_TESTS)
tests_unit_test_virtqueue_LDADD = $(VIRTIO_TEST_LIBS)
tests_unit_test_blk_LDADD = $(VIRTIO_TEST_LIBS)
tests_unit_test_block_format_LDADD = $(VIRTIO_TEST_LIBS)
tests_unit_test_qcow2_LDADD = $(VIRTIO_TEST_LIBS)
tests_unit_test_vhd_LDADD = $(VIRTIO_TEST_LIBS)
tests_unit_test_vhdx_LDADD = $(VIRTIO_TEST_LIBS)
tests_unit_test_virtio_blk_LDADD = $(VIRTIO_TEST_LIBS)
tests_unit_test_net_LDADD = $(VIRTIO_TEST_LIBS)
tests_unit_test_virtio_rng_console_LDADD = $(VIRTIO_TEST_LIBS)
tests_unit_test_rate_limiter_LDADD = $(VIRTIO_TEST_LIBS)

# Tests of PCI and the virtio-pci transport: devices on a FakeHost too.
VIRTIO_FAKE_VM_LIBS = $(VIRTIO_TEST_LIBS)
VIRTIO_FAKE_VM_DEPS = tests/unit/libvirtiodriver.a $(FAKE_VM_DEPS) \
	$(VMM_LIB_DEPS)
VIRTIO_FAKE_VM_TESTS = \
	tests/unit/test-pci \
	tests/unit/test-virtio-pci
check_PROGRAMS += $(VIRTIO_FAKE_VM_TESTS)
TESTS += $(VIRTIO_FAKE_VM_TESTS)
tests_unit_test_pci_LDADD = $(VIRTIO_FAKE_VM_LIBS)
tests_unit_test_pci_DEPENDENCIES = $(VIRTIO_FAKE_VM_DEPS)
tests_unit_test_virtio_pci_LDADD = $(VIRTIO_FAKE_VM_LIBS)
tests_unit_test_virtio_pci_DEPENDENCIES = $(VIRTIO_FAKE_VM_DEPS)

# Fuzz targets over hostile rings (tests/local.mk adds them to
# check_PROGRAMS; without --enable-fuzzing make check replays the corpora
# in tests/fuzz/corpus/<name>/).
FUZZ_TARGETS += tests/fuzz/fuzz-virtqueue tests/fuzz/fuzz-virtio-blk \
	tests/fuzz/fuzz-virtio-net
tests_fuzz_fuzz_virtqueue_LDADD = $(FUZZ_MAIN_LIB) $(VIRTIO_TEST_LIBS)
tests_fuzz_fuzz_virtqueue_LDFLAGS = $(AM_LDFLAGS) $(FUZZ_LINK_FLAGS)
tests_fuzz_fuzz_virtio_blk_LDADD = $(FUZZ_MAIN_LIB) $(VIRTIO_TEST_LIBS)
tests_fuzz_fuzz_virtio_blk_LDFLAGS = $(AM_LDFLAGS) $(FUZZ_LINK_FLAGS)
tests_fuzz_fuzz_virtio_net_LDADD = $(FUZZ_MAIN_LIB) $(VIRTIO_TEST_LIBS)
tests_fuzz_fuzz_virtio_net_LDFLAGS = $(AM_LDFLAGS) $(FUZZ_LINK_FLAGS)
EXTRA_DIST += tests/fuzz/corpus/virtqueue tests/fuzz/corpus/virtio-blk \
	tests/fuzz/corpus/virtio-net
