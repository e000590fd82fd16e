# SPDX-License-Identifier: Apache-2.0
# Device state: the versioned state reader and every device type's tables.

# The device types (tests/unit/device-state-types.h), shared with the
# state fuzz target; every device sits on a FakeHost.
noinst_LIBRARIES += tests/unit/libdevicestatetypes.a
tests_unit_libdevicestatetypes_a_CPPFLAGS = $(AM_CPPFLAGS) \
	-DG_LOG_DOMAIN=\"nimbus-test\"
tests_unit_libdevicestatetypes_a_SOURCES = \
	tests/unit/device-state-types.c tests/unit/device-state-types.h
DEVICE_STATE_LIBS = tests/unit/libdevicestatetypes.a \
	tests/unit/libfakeswtpm.a tests/unit/libfakevhostuser.a $(FAKE_VM_LIBS)
DEVICE_STATE_DEPS = tests/unit/libdevicestatetypes.a \
	tests/unit/libfakeswtpm.a tests/unit/libfakevhostuser.a $(FAKE_VM_DEPS)

check_PROGRAMS += tests/unit/test-device-state
TESTS += tests/unit/test-device-state
tests_unit_test_device_state_LDADD = $(DEVICE_STATE_LIBS)
tests_unit_test_device_state_DEPENDENCIES = $(DEVICE_STATE_DEPS)
