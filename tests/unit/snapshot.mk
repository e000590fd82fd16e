# SPDX-License-Identifier: Apache-2.0
# Snapshot/restore: state round trips on the fake hypervisor, refusals,
# the directory's atomicity, and the state.json fuzz target.
check_PROGRAMS += tests/unit/test-snapshot
TESTS += tests/unit/test-snapshot
tests_unit_test_snapshot_SOURCES = tests/unit/test-snapshot.c \
	daemon/hv/fake.c daemon/hv/fake.h
tests_unit_test_snapshot_LDADD = $(TEST_LIBS)

# Seeds: tests/unit/test-snapshot --write-corpus tests/fuzz/corpus/snapshot-state
FUZZ_TARGETS += tests/fuzz/fuzz-snapshot-state
tests_fuzz_fuzz_snapshot_state_SOURCES = tests/fuzz/fuzz-snapshot-state.c \
	daemon/hv/fake.c daemon/hv/fake.h
tests_fuzz_fuzz_snapshot_state_LDADD = $(FUZZ_MAIN_LIB) $(VMM_LIBS)
tests_fuzz_fuzz_snapshot_state_LDFLAGS = $(AM_LDFLAGS) $(FUZZ_LINK_FLAGS)
EXTRA_DIST += tests/fuzz/corpus/snapshot-state
