# SPDX-License-Identifier: Apache-2.0
# Integration tests: virtio.
#
# test-virtio boots Debian guests with virtio-blk/net/console/rng devices
# (through tests/harness/with-kvm, like every program under
# tests/integration/).  test-virtio-hostile-guest is not a test: it is the
# static program test-virtio copies into a guest to attack a device.
check_PROGRAMS += tests/integration/test-virtio \
	tests/integration/test-virtio-hostile-guest
VIRTIO_INTEGRATION_TESTS = tests/integration/test-virtio
tests_integration_test_virtio_LDADD = tests/libtestutil.a $(GIO_LIBS) $(GLIB_LIBS)
# Static, no glib, no sanitizers: it runs in the busybox initramfs.
tests_integration_test_virtio_hostile_guest_CFLAGS = -std=gnu11 $(WARN_CFLAGS)
tests_integration_test_virtio_hostile_guest_LDFLAGS = -static
tests_integration_test_virtio_hostile_guest_LDADD =
TESTS += $(VIRTIO_INTEGRATION_TESTS)
