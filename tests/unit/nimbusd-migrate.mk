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
