# SPDX-License-Identifier: Apache-2.0
# Integration test: memory hotplug (virtio-mem grown and shrunk, ACPI DIMMs
# added, by vm.resize; each guest snapshotted and restored with what it
# plugged).
check_PROGRAMS += tests/integration/test-memory-hotplug
TESTS += tests/integration/test-memory-hotplug
tests_integration_test_memory_hotplug_SOURCES = \
	tests/integration/test-memory-hotplug.c \
	tests/integration/test-virtio-guest.c \
	tests/integration/test-virtio-guest.h
tests_integration_test_memory_hotplug_LDADD = tests/libtestutil.a \
	$(GIO_LIBS) $(GLIB_LIBS)
