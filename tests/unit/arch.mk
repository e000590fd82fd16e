# SPDX-License-Identifier: Apache-2.0
# tests/unit/test-arch-util.c stands in for daemon/memory.c (guest RAM
# without KVM), so they run on any build machine; translation and copies
# come from devices/guest-memory.c, as in the VMM.
if ARCH_X86_64
noinst_LIBRARIES += tests/unit/libtestarch.a
tests_unit_libtestarch_a_SOURCES = \
	tests/unit/test-arch-util.c tests/unit/test-arch-util.h
ARCH_TEST_LIBS = tests/unit/libtestarch.a arch/libarch.a devices/libdevices.a \
	common/libcommon.a $(GIO_LIBS) $(GLIB_LIBS)

# The platform hook creates devices: it runs on the FakeHost.
check_PROGRAMS += tests/unit/test-x86-platform
TESTS += tests/unit/test-x86-platform
tests_unit_test_x86_platform_LDADD = tests/unit/libfakevm.a arch/libarch.a \
	devices/libdevices.a config/libvmconfig.a common/libcommon.a \
	$(VMM_DEP_LIBS)

check_PROGRAMS += tests/unit/test-x86-layout tests/unit/test-aml \
	tests/unit/test-x86-acpi tests/unit/test-x86-loader
TESTS += tests/unit/test-x86-layout tests/unit/test-aml \
	tests/unit/test-x86-acpi tests/unit/test-x86-loader
tests_unit_test_x86_layout_LDADD = $(ARCH_TEST_LIBS)
tests_unit_test_aml_LDADD = $(ARCH_TEST_LIBS)
tests_unit_test_x86_acpi_LDADD = $(ARCH_TEST_LIBS)
tests_unit_test_x86_loader_LDADD = $(ARCH_TEST_LIBS)

# --platform's strings into SMBIOS: the config library too.
check_PROGRAMS += tests/unit/test-x86-smbios
TESTS += tests/unit/test-x86-smbios
tests_unit_test_x86_smbios_LDADD = tests/unit/libtestarch.a arch/libarch.a \
	devices/libdevices.a config/libvmconfig.a common/libcommon.a \
	$(VMM_DEP_LIBS)

# Memory zones and NUMA nodes into SRAT/SLIT: the config library too.
check_PROGRAMS += tests/unit/test-x86-srat
TESTS += tests/unit/test-x86-srat
tests_unit_test_x86_srat_LDADD = tests/unit/libtestarch.a arch/libarch.a \
	devices/libdevices.a config/libvmconfig.a common/libcommon.a \
	$(VMM_DEP_LIBS)

# The registry's virtio-iommu and the VIOT listing its endpoints: devices
# on a FakeHost, the table from arch/.
check_PROGRAMS += tests/unit/test-registry-iommu
TESTS += tests/unit/test-registry-iommu
tests_unit_test_registry_iommu_LDADD = tests/unit/libfakevm.a \
	arch/libarch.a $(TEST_LIBS)

# Seeds: tests/unit/test-x86-loader --write-corpus tests/fuzz/corpus/linux-loader
FUZZ_TARGETS += tests/fuzz/fuzz-linux-loader
tests_fuzz_fuzz_linux_loader_SOURCES = tests/fuzz/fuzz-linux-loader.c
tests_fuzz_fuzz_linux_loader_LDADD = $(FUZZ_MAIN_LIB) $(ARCH_TEST_LIBS)
tests_fuzz_fuzz_linux_loader_LDFLAGS = $(AM_LDFLAGS) $(FUZZ_LINK_FLAGS)
EXTRA_DIST += tests/fuzz/corpus/linux-loader

endif
