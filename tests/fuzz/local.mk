# SPDX-License-Identifier: Apache-2.0
# fuzz targets: FUZZ_TARGETS += tests/fuzz/fuzz-foo

# Every device type's restore on one JSON input (tests/unit/state.mk
# defines the device table's library).
FUZZ_TARGETS += tests/fuzz/fuzz-device-state
tests_fuzz_fuzz_device_state_LDADD = $(FUZZ_MAIN_LIB) $(DEVICE_STATE_LIBS)
tests_fuzz_fuzz_device_state_LDFLAGS = $(AM_LDFLAGS) $(FUZZ_LINK_FLAGS)
tests_fuzz_fuzz_device_state_DEPENDENCIES = $(FUZZ_MAIN_LIB) \
	$(DEVICE_STATE_DEPS)
EXTRA_DIST += tests/fuzz/corpus/device-state
