# SPDX-License-Identifier: Apache-2.0
# Integration test: virtio-pmem (a filesystem on it, discard_writes, hot-add)
# in one guest boot.
check_PROGRAMS += tests/integration/test-pmem
TESTS += tests/integration/test-pmem
tests_integration_test_pmem_SOURCES = tests/integration/test-pmem.c \
	tests/integration/test-virtio-guest.c \
	tests/integration/test-virtio-guest.h
tests_integration_test_pmem_LDADD = tests/libtestutil.a $(GIO_LIBS) \
	$(GLIB_LIBS)
