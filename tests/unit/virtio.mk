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
	tests/unit/test-virtio-blk
check_PROGRAMS += $(VIRTIO_UNIT_TESTS)
TESTS += $(VIRTIO_UNIT_TESTS)
tests_unit_test_virtqueue_LDADD = $(VIRTIO_TEST_LIBS)
tests_unit_test_blk_LDADD = $(VIRTIO_TEST_LIBS)
tests_unit_test_virtio_blk_LDADD = $(VIRTIO_TEST_LIBS)
