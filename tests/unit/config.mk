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
EXTRA_DIST += tests/data/vmconfig
check_PROGRAMS += tests/unit/test-cli
TESTS += tests/unit/test-cli
tests_unit_test_cli_LDADD = $(TEST_LIBS)
