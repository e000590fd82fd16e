# SPDX-License-Identifier: Apache-2.0
# Integration test: memory zones and NUMA nodes (--memory-zone, --numa):
# one guest, two nodes, checked in /sys/devices/system/node.
check_PROGRAMS += tests/integration/test-numa
TESTS += tests/integration/test-numa
tests_integration_test_numa_SOURCES = \
	tests/integration/test-numa.c \
	tests/integration/test-virtio-guest.c \
	tests/integration/test-virtio-guest.h
tests_integration_test_numa_LDADD = tests/libtestutil.a \
	$(GIO_LIBS) $(GLIB_LIBS)
