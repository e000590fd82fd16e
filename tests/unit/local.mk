# SPDX-License-Identifier: Apache-2.0
# Core unit tests (bus, memory, exit dispatch through the fake backend).
check_PROGRAMS += tests/unit/test-bus
TESTS += tests/unit/test-bus
tests_unit_test_bus_LDADD = $(TEST_LIBS)

check_PROGRAMS += tests/unit/test-vcpu
TESTS += tests/unit/test-vcpu
tests_unit_test_vcpu_SOURCES = tests/unit/test-vcpu.c daemon/hv/fake.c daemon/hv/fake.h
tests_unit_test_vcpu_LDADD = $(TEST_LIBS)

check_PROGRAMS += tests/unit/test-core
TESTS += tests/unit/test-core
tests_unit_test_core_LDADD = $(TEST_LIBS)

# The per-thread-role seccomp filters (daemon/seccomp*.c), and every thread
# of a running nimbus under one.
check_PROGRAMS += tests/unit/test-seccomp
TESTS += tests/unit/test-seccomp
tests_unit_test_seccomp_LDADD = $(TEST_LIBS)

# --landlock (daemon/landlock.c): the ruleset from a config, and the
# threads it reaches; each case confines a forked child.
check_PROGRAMS += tests/unit/test-landlock
TESTS += tests/unit/test-landlock
tests_unit_test_landlock_LDADD = $(TEST_LIBS)
