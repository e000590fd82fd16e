# SPDX-License-Identifier: Apache-2.0
# Integration test: a hostile guest beyond the virtqueues (BARs, MSI-X,
# unclaimed port I/O and MMIO, serial and console floods).  One guest boot;
# test-hostile-platform-guest is not a test: it is the static program the
# test copies into the guest.
check_PROGRAMS += tests/integration/test-hostile-platform \
	tests/integration/test-hostile-platform-guest
TESTS += tests/integration/test-hostile-platform
tests_integration_test_hostile_platform_SOURCES = \
	tests/integration/test-hostile-platform.c \
	tests/integration/api-vmm.c tests/integration/api-vmm.h \
	tests/integration/test-virtio-guest.c \
	tests/integration/test-virtio-guest.h
tests_integration_test_hostile_platform_LDADD = tests/libtestutil.a \
	$(GIO_LIBS) $(GLIB_LIBS)
# The guest program must be built before the test that uses it.
tests_integration_test_hostile_platform_DEPENDENCIES = tests/libtestutil.a \
	tests/integration/test-hostile-platform-guest
# Static, no glib, no sanitizers: it runs in the busybox initramfs.
tests_integration_test_hostile_platform_guest_CFLAGS = -std=gnu11 \
	$(WARN_CFLAGS)
tests_integration_test_hostile_platform_guest_LDFLAGS = -static
tests_integration_test_hostile_platform_guest_LDADD =
