# SPDX-License-Identifier: Apache-2.0
# Integration test: PCI hotplug (a disk into a running guest and out again).
check_PROGRAMS += tests/integration/test-hotplug
TESTS += tests/integration/test-hotplug
tests_integration_test_hotplug_SOURCES = tests/integration/test-hotplug.c \
	tests/integration/test-virtio-guest.c \
	tests/integration/test-virtio-guest.h
tests_integration_test_hotplug_LDADD = tests/libtestutil.a $(GIO_LIBS) \
	$(GLIB_LIBS)

# The benchmark (tests/bench/hotplug-bench) is run by hand, never by make check.
EXTRA_DIST += tests/bench/hotplug-bench
