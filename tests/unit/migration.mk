# SPDX-License-Identifier: Apache-2.0
# Live migration: the wire codec, the receiving loop on memory streams,
# dirty ranges on the fake hypervisor, and the receiving side's fuzz target.
check_PROGRAMS += tests/unit/test-migration
TESTS += tests/unit/test-migration
tests_unit_test_migration_SOURCES = tests/unit/test-migration.c \
	daemon/hv/fake.c daemon/hv/fake.h
tests_unit_test_migration_LDADD = $(TEST_LIBS)

FUZZ_TARGETS += tests/fuzz/fuzz-migration-receive
tests_fuzz_fuzz_migration_receive_LDADD = $(FUZZ_MAIN_LIB) $(VMM_LIBS)
tests_fuzz_fuzz_migration_receive_LDFLAGS = $(AM_LDFLAGS) $(FUZZ_LINK_FLAGS)
EXTRA_DIST += tests/fuzz/corpus/migration-receive
