# SPDX-License-Identifier: Apache-2.0
# Integration tests: snapshot and restore of a running guest.
check_PROGRAMS += tests/integration/test-snapshot
TESTS += tests/integration/test-snapshot
tests_integration_test_snapshot_SOURCES = tests/integration/test-snapshot.c \
	tests/integration/api-vmm.c tests/integration/api-vmm.h
tests_integration_test_snapshot_LDADD = $(TEST_LIBS)
