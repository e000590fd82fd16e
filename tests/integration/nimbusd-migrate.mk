# SPDX-License-Identifier: Apache-2.0
# Integration test: nimbusd live migration between two daemons with the real
# nimbus and one real guest (KVM, through tests/harness/with-kvm): guest RAM
# survives p2p and managed migration.  One guest boot for the whole program.
dist_check_SCRIPTS += tests/integration/test-nimbusd-migrate.py
TESTS += tests/integration/test-nimbusd-migrate.py
