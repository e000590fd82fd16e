# SPDX-License-Identifier: Apache-2.0
# PCI hotplug: the ACPI controller's registers and ejects.
check_PROGRAMS += tests/unit/test-pci-hotplug
TESTS += tests/unit/test-pci-hotplug
tests_unit_test_pci_hotplug_LDADD = $(FAKE_VM_LIBS)
tests_unit_test_pci_hotplug_DEPENDENCIES = $(FAKE_VM_DEPS)

# Fuzz target: access records against the controller's window.
FUZZ_TARGETS += tests/fuzz/fuzz-pci-hotplug
tests_fuzz_fuzz_pci_hotplug_LDADD = $(FUZZ_MAIN_LIB) $(FAKE_VM_LIBS)
tests_fuzz_fuzz_pci_hotplug_LDFLAGS = $(AM_LDFLAGS) $(FUZZ_LINK_FLAGS)
tests_fuzz_fuzz_pci_hotplug_DEPENDENCIES = $(FUZZ_MAIN_LIB) $(FAKE_VM_DEPS)
EXTRA_DIST += tests/fuzz/corpus/pci-hotplug
