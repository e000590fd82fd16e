# SPDX-License-Identifier: Apache-2.0
# VmConfig/CLI unit tests, fuzz targets and golden files.
check_PROGRAMS += tests/unit/test-vm-config-parse
TESTS += tests/unit/test-vm-config-parse
tests_unit_test_vm_config_parse_LDADD = $(TEST_LIBS)
check_PROGRAMS += tests/unit/test-vm-config
TESTS += tests/unit/test-vm-config
tests_unit_test_vm_config_LDADD = $(TEST_LIBS)
check_PROGRAMS += tests/unit/test-vm-config-json
TESTS += tests/unit/test-vm-config-json
tests_unit_test_vm_config_json_LDADD = $(TEST_LIBS)
check_PROGRAMS += tests/unit/test-vm-config-numa
TESTS += tests/unit/test-vm-config-numa
tests_unit_test_vm_config_numa_LDADD = $(TEST_LIBS)
check_PROGRAMS += tests/unit/test-vm-config-schema
TESTS += tests/unit/test-vm-config-schema
tests_unit_test_vm_config_schema_LDADD = $(TEST_LIBS)
EXTRA_DIST += tests/data/vmconfig
check_PROGRAMS += tests/unit/test-cli
TESTS += tests/unit/test-cli
tests_unit_test_cli_LDADD = $(TEST_LIBS)

# Fuzz targets (tests/fuzz/local.mk adds them to check_PROGRAMS; without
# --enable-fuzzing, make check replays tests/fuzz/corpus/<name>/).
FUZZ_TARGETS += tests/fuzz/fuzz-vmconfig-json tests/fuzz/fuzz-cli
tests_fuzz_fuzz_vmconfig_json_LDADD = $(FUZZ_MAIN_LIB) $(VMM_LIBS)
tests_fuzz_fuzz_vmconfig_json_LDFLAGS = $(AM_LDFLAGS) $(FUZZ_LINK_FLAGS)
tests_fuzz_fuzz_cli_LDADD = $(FUZZ_MAIN_LIB) $(VMM_LIBS)
tests_fuzz_fuzz_cli_LDFLAGS = $(AM_LDFLAGS) $(FUZZ_LINK_FLAGS)
EXTRA_DIST += tests/fuzz/corpus/vmconfig-json tests/fuzz/corpus/cli
# The device-type registry's table and the refusals of vm.add-* (no VM).
check_PROGRAMS += tests/unit/test-registry
TESTS += tests/unit/test-registry
tests_unit_test_registry_LDADD = $(TEST_LIBS)
