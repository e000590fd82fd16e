# SPDX-License-Identifier: Apache-2.0
# Integration test: virtio-vsock both ways and pvpanic, in one guest boot.
# test-vsock-guest is not a test: it is the static program test-vsock
# copies into the guest (busybox has no AF_VSOCK).
check_PROGRAMS += tests/integration/test-vsock \
	tests/integration/test-vsock-guest
TESTS += tests/integration/test-vsock
tests_integration_test_vsock_SOURCES = tests/integration/test-vsock.c \
	$(VIRTIO_GUEST_SOURCES)
tests_integration_test_vsock_LDADD = tests/libtestutil.a $(GIO_LIBS) \
	$(GLIB_LIBS)
tests_integration_test_vsock_DEPENDENCIES = tests/libtestutil.a \
	tests/integration/test-vsock-guest
# Static, no glib, no sanitizers: it runs in the busybox initramfs.
tests_integration_test_vsock_guest_CFLAGS = -std=gnu11 $(WARN_CFLAGS)
tests_integration_test_vsock_guest_LDFLAGS = -static
tests_integration_test_vsock_guest_LDADD =
