# SPDX-License-Identifier: Apache-2.0
# nimbusd's domain snapshots (issue 12).

# <domainsnapshot> parse/format (golden files), the store, the current marker.
check_PROGRAMS += tests/unit/test-snapshot-def
TESTS += tests/unit/test-snapshot-def
tests_unit_test_snapshot_def_CPPFLAGS = $(RPC_TEST_CPPFLAGS)
tests_unit_test_snapshot_def_LDADD = $(RPC_TEST_LIBS)
EXTRA_DIST += tests/data/nimbusd-snapshot

# Stock virsh and python3-libvirt: snapshot-create-as, -list, -info,
# -dumpxml, -current, -parent, -revert, -delete, undefine (the fake VMM
# writes and reads real snapshot directories).
dist_check_SCRIPTS += tests/unit/test-nimbusd-snapshot.py
TESTS += tests/unit/test-nimbusd-snapshot.py
