# SPDX-License-Identifier: Apache-2.0
# Integration test: ivshmem-plain (the host's file in the guest's BAR2 and
# back) in one guest boot; test-ivshmem-guest is not a test: it is the
# static program the test copies into the guest.
check_PROGRAMS += tests/integration/test-ivshmem \
	tests/integration/test-ivshmem-guest
TESTS += tests/integration/test-ivshmem
tests_integration_test_ivshmem_SOURCES = tests/integration/test-ivshmem.c \
	tests/integration/test-virtio-guest.c \
	tests/integration/test-virtio-guest.h
tests_integration_test_ivshmem_LDADD = tests/libtestutil.a $(GIO_LIBS) \
	$(GLIB_LIBS)
# The guest program must be built before the test that uses it.
tests_integration_test_ivshmem_DEPENDENCIES = tests/libtestutil.a \
	tests/integration/test-ivshmem-guest
# Static, no glib, no sanitizers: it runs in the busybox initramfs.
tests_integration_test_ivshmem_guest_CFLAGS = -std=gnu11 $(WARN_CFLAGS)
tests_integration_test_ivshmem_guest_LDFLAGS = -static
tests_integration_test_ivshmem_guest_LDADD =
