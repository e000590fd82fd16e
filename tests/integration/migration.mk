# SPDX-License-Identifier: Apache-2.0
# Integration tests: live migration of a running guest between nimbus processes.
check_PROGRAMS += tests/integration/test-migration
TESTS += tests/integration/test-migration
tests_integration_test_migration_SOURCES = tests/integration/test-migration.c \
	tests/integration/api-vmm.c tests/integration/api-vmm.h
tests_integration_test_migration_LDADD = $(TEST_LIBS)
