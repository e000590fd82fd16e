# SPDX-License-Identifier: Apache-2.0
# ACPI memory (DIMM) hotplug: the controller's registers, plugs and state.
check_PROGRAMS += tests/unit/test-memory-hotplug
TESTS += tests/unit/test-memory-hotplug
tests_unit_test_memory_hotplug_LDADD = $(FAKE_VM_LIBS)
tests_unit_test_memory_hotplug_DEPENDENCIES = $(FAKE_VM_DEPS)

# Fuzz target: access records against the controller's window.
FUZZ_TARGETS += tests/fuzz/fuzz-memory-hotplug
tests_fuzz_fuzz_memory_hotplug_LDADD = $(FUZZ_MAIN_LIB) $(FAKE_VM_LIBS)
tests_fuzz_fuzz_memory_hotplug_LDFLAGS = $(AM_LDFLAGS) $(FUZZ_LINK_FLAGS)
tests_fuzz_fuzz_memory_hotplug_DEPENDENCIES = $(FUZZ_MAIN_LIB) \
	$(FAKE_VM_DEPS)
EXTRA_DIST += tests/fuzz/corpus/memory-hotplug
