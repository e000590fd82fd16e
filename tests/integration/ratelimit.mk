# SPDX-License-Identifier: Apache-2.0
# Integration test: virtio-blk and virtio-net rate limiters measured in
# one guest (about 20 s of I/O after the boot).
check_PROGRAMS += tests/integration/test-ratelimit
TESTS += tests/integration/test-ratelimit
tests_integration_test_ratelimit_SOURCES = tests/integration/test-ratelimit.c \
	$(VIRTIO_GUEST_SOURCES)
tests_integration_test_ratelimit_LDADD = tests/libtestutil.a $(GIO_LIBS) \
	$(GLIB_LIBS)
