# SPDX-License-Identifier: Apache-2.0
# legacy device unit tests

# Device tests create their devices on a FakeHost (tests/unit/fake-vm.h),
# a second implementation of devices/device-host.h; they need no VM core.
noinst_LIBRARIES += tests/unit/libfakevm.a
tests_unit_libfakevm_a_CPPFLAGS = $(AM_CPPFLAGS) -DG_LOG_DOMAIN=\"nimbus-test\"
tests_unit_libfakevm_a_SOURCES = tests/unit/fake-vm.c tests/unit/fake-vm.h \
	tests/unit/sock-backend.c tests/unit/sock-backend.h
FAKE_VM_DEPS = tests/libtestutil.a tests/unit/libfakevm.a \
	devices/libdevices.a config/libvmconfig.a common/libcommon.a
FAKE_VM_LIBS = tests/libtestutil.a tests/unit/libfakevm.a \
	devices/libdevices.a config/libvmconfig.a common/libcommon.a \
	$(VMM_DEP_LIBS)

LEGACY_UNIT_TESTS = \
	tests/unit/test-serial-8250 \
	tests/unit/test-i8042 \
	tests/unit/test-rtc-cmos \
	tests/unit/test-acpi-pm \
	tests/unit/test-ged \
	tests/unit/test-debug-port \
	tests/unit/test-debug-console \
	tests/unit/test-fw-cfg \
	tests/unit/test-chardev
check_PROGRAMS += $(LEGACY_UNIT_TESTS)
TESTS += $(LEGACY_UNIT_TESTS)
tests_unit_test_serial_8250_LDADD = $(FAKE_VM_LIBS)
tests_unit_test_serial_8250_DEPENDENCIES = $(FAKE_VM_DEPS)
tests_unit_test_i8042_LDADD = $(FAKE_VM_LIBS)
tests_unit_test_i8042_DEPENDENCIES = $(FAKE_VM_DEPS)
tests_unit_test_rtc_cmos_LDADD = $(FAKE_VM_LIBS)
tests_unit_test_rtc_cmos_DEPENDENCIES = $(FAKE_VM_DEPS)
tests_unit_test_acpi_pm_LDADD = $(FAKE_VM_LIBS)
tests_unit_test_acpi_pm_DEPENDENCIES = $(FAKE_VM_DEPS)
tests_unit_test_ged_LDADD = $(FAKE_VM_LIBS)
tests_unit_test_ged_DEPENDENCIES = $(FAKE_VM_DEPS)
tests_unit_test_debug_port_LDADD = $(FAKE_VM_LIBS)
tests_unit_test_debug_port_DEPENDENCIES = $(FAKE_VM_DEPS)
tests_unit_test_debug_console_LDADD = $(FAKE_VM_LIBS)
tests_unit_test_debug_console_DEPENDENCIES = $(FAKE_VM_DEPS)
tests_unit_test_fw_cfg_LDADD = $(FAKE_VM_LIBS)
tests_unit_test_fw_cfg_DEPENDENCIES = $(FAKE_VM_DEPS)
tests_unit_test_chardev_LDADD = $(FAKE_VM_LIBS)
tests_unit_test_chardev_DEPENDENCIES = $(FAKE_VM_DEPS)

# Fuzz targets: register sequences (and input bytes) against the devices.
FUZZ_TARGETS += tests/fuzz/fuzz-serial tests/fuzz/fuzz-cmos
tests_fuzz_fuzz_serial_LDADD = $(FUZZ_MAIN_LIB) $(FAKE_VM_LIBS)
tests_fuzz_fuzz_serial_LDFLAGS = $(AM_LDFLAGS) $(FUZZ_LINK_FLAGS)
tests_fuzz_fuzz_serial_DEPENDENCIES = $(FUZZ_MAIN_LIB) $(FAKE_VM_DEPS)
tests_fuzz_fuzz_cmos_LDADD = $(FUZZ_MAIN_LIB) $(FAKE_VM_LIBS)
tests_fuzz_fuzz_cmos_LDFLAGS = $(AM_LDFLAGS) $(FUZZ_LINK_FLAGS)
tests_fuzz_fuzz_cmos_DEPENDENCIES = $(FUZZ_MAIN_LIB) $(FAKE_VM_DEPS)
