# SPDX-License-Identifier: Apache-2.0
# Core unit tests (bus, memory, exit dispatch through the fake backend).
check_PROGRAMS += tests/unit/test-bus
TESTS += tests/unit/test-bus
tests_unit_test_bus_LDADD = $(TEST_LIBS)
