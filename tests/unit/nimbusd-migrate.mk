# SPDX-License-Identifier: Apache-2.0
# nimbusd's live migration between daemons (issue 12).

# Migration parameters, flags, cookies, listen URLs, destination URIs.
check_PROGRAMS += tests/unit/test-migrate-params
TESTS += tests/unit/test-migrate-params
tests_unit_test_migrate_params_CPPFLAGS = $(RPC_TEST_CPPFLAGS)
tests_unit_test_migrate_params_LDADD = $(RPC_TEST_LIBS)

# Two nimbusd daemons, stock virsh and python3-libvirt: p2p and managed
# migration, --persistent/--undefinesource/--suspend, domjobinfo,
# migrate-setmaxdowntime, refusals, events (the fake VMM's toy migration
# carries its RAM over tcp).
dist_check_SCRIPTS += tests/unit/test-nimbusd-migrate.py
TESTS += tests/unit/test-nimbusd-migrate.py

# The migration cookie as a peer or client sends it; seeds: valid cookies
# and broken variants.
FUZZ_TARGETS += tests/fuzz/fuzz-migrate-cookie
tests_fuzz_fuzz_migrate_cookie_CPPFLAGS = $(RPC_TEST_CPPFLAGS)
tests_fuzz_fuzz_migrate_cookie_LDADD = $(FUZZ_MAIN_LIB) $(NIMBUSD_LIBS)
tests_fuzz_fuzz_migrate_cookie_LDFLAGS = $(AM_LDFLAGS) $(FUZZ_LINK_FLAGS)
EXTRA_DIST += tests/fuzz/corpus/migrate-cookie
