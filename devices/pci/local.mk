# SPDX-License-Identifier: Apache-2.0
# PCI segment 0: host bridge, config space, BARs, MSI-X.
devices_libdevices_a_SOURCES += \
	devices/pci/msix.c devices/pci/msix.h \
	devices/pci/pci-bus.c devices/pci/pci-bus.h \
	devices/pci/pci-device.c devices/pci/pci.h \
	devices/pci/pci-hotplug.c devices/pci/pci-hotplug.h \
	devices/pci/pvpanic.c devices/pci/pvpanic.h

# pvpanic-pci: its unit test and its fuzz target.
check_PROGRAMS += tests/unit/test-pvpanic
TESTS += tests/unit/test-pvpanic
tests_unit_test_pvpanic_LDADD = $(FAKE_VM_LIBS)
tests_unit_test_pvpanic_DEPENDENCIES = $(FAKE_VM_DEPS)
FUZZ_TARGETS += tests/fuzz/fuzz-pvpanic
tests_fuzz_fuzz_pvpanic_LDADD = $(FUZZ_MAIN_LIB) $(FAKE_VM_LIBS)
tests_fuzz_fuzz_pvpanic_LDFLAGS = $(AM_LDFLAGS) $(FUZZ_LINK_FLAGS)
tests_fuzz_fuzz_pvpanic_DEPENDENCIES = $(FUZZ_MAIN_LIB) $(FAKE_VM_DEPS)
EXTRA_DIST += tests/fuzz/corpus/pvpanic

# Intel 6300ESB watchdog (--nimbus-watchdog), the clock it shares with
# virtio-watchdog, its unit test and its fuzz target.
devices_libdevices_a_SOURCES += \
	devices/pci/i6300esb.c devices/pci/i6300esb.h \
	devices/watchdog-timer.c devices/watchdog-timer.h
check_PROGRAMS += tests/unit/test-i6300esb
TESTS += tests/unit/test-i6300esb
tests_unit_test_i6300esb_LDADD = $(FAKE_VM_LIBS)
tests_unit_test_i6300esb_DEPENDENCIES = $(FAKE_VM_DEPS)
FUZZ_TARGETS += tests/fuzz/fuzz-i6300esb
tests_fuzz_fuzz_i6300esb_LDADD = $(FUZZ_MAIN_LIB) $(FAKE_VM_LIBS)
tests_fuzz_fuzz_i6300esb_LDFLAGS = $(AM_LDFLAGS) $(FUZZ_LINK_FLAGS)
tests_fuzz_fuzz_i6300esb_DEPENDENCIES = $(FUZZ_MAIN_LIB) $(FAKE_VM_DEPS)
EXTRA_DIST += tests/fuzz/corpus/i6300esb

# ivshmem-plain (--ivshmem), its unit test and its fuzz target.
devices_libdevices_a_SOURCES += \
	devices/pci/ivshmem.c devices/pci/ivshmem.h
check_PROGRAMS += tests/unit/test-ivshmem
TESTS += tests/unit/test-ivshmem
tests_unit_test_ivshmem_LDADD = $(FAKE_VM_LIBS)
tests_unit_test_ivshmem_DEPENDENCIES = $(FAKE_VM_DEPS)
FUZZ_TARGETS += tests/fuzz/fuzz-ivshmem
tests_fuzz_fuzz_ivshmem_LDADD = $(FUZZ_MAIN_LIB) $(FAKE_VM_LIBS)
tests_fuzz_fuzz_ivshmem_LDFLAGS = $(AM_LDFLAGS) $(FUZZ_LINK_FLAGS)
tests_fuzz_fuzz_ivshmem_DEPENDENCIES = $(FUZZ_MAIN_LIB) $(FAKE_VM_DEPS)
EXTRA_DIST += tests/fuzz/corpus/ivshmem
