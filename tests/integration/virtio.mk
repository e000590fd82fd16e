# SPDX-License-Identifier: Apache-2.0
# Integration tests: virtio.
#
# test-virtio (virtio-blk, console, rng) and test-virtio-net (TAP
# networking, the hostile guest) boot Debian guests with virtio devices,
# through tests/harness/with-kvm like every program under
# tests/integration/; two programs so that make -j runs them side by side,
# each within the harness's time limit.  test-virtio-hostile-guest is not a
# test: it is the static program test-virtio-net copies into a guest to
# attack a device.
VIRTIO_INTEGRATION_TESTS = tests/integration/test-virtio \
	tests/integration/test-virtio-net
check_PROGRAMS += $(VIRTIO_INTEGRATION_TESTS) \
	tests/integration/test-virtio-hostile-guest
TESTS += $(VIRTIO_INTEGRATION_TESTS)
VIRTIO_GUEST_SOURCES = tests/integration/test-virtio-guest.c \
	tests/integration/test-virtio-guest.h
tests_integration_test_virtio_SOURCES = tests/integration/test-virtio.c \
	$(VIRTIO_GUEST_SOURCES)
tests_integration_test_virtio_LDADD = tests/libtestutil.a $(GIO_LIBS) $(GLIB_LIBS)
tests_integration_test_virtio_net_SOURCES = tests/integration/test-virtio-net.c \
	$(VIRTIO_GUEST_SOURCES)
tests_integration_test_virtio_net_LDADD = tests/libtestutil.a $(GIO_LIBS) \
	$(GLIB_LIBS)
# The hostile guest program must be built before the test that uses it.
tests_integration_test_virtio_net_DEPENDENCIES = tests/libtestutil.a \
	tests/integration/test-virtio-hostile-guest
# Static, no glib, no sanitizers: it runs in the busybox initramfs.
tests_integration_test_virtio_hostile_guest_CFLAGS = -std=gnu11 $(WARN_CFLAGS)
tests_integration_test_virtio_hostile_guest_LDFLAGS = -static
tests_integration_test_virtio_hostile_guest_LDADD =
# The benchmark (tests/bench/virtio-bench) is run by hand, never by make check.
EXTRA_DIST += tests/bench/virtio-bench
