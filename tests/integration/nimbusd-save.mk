# SPDX-License-Identifier: Apache-2.0
# Integration test: nimbusd save/restore and managedsave with the real nimbus
# and one real guest (KVM, through tests/harness/with-kvm): guest RAM
# survives both.  One guest boot for the whole program.
dist_check_SCRIPTS += tests/integration/test-nimbusd-save.py
TESTS += tests/integration/test-nimbusd-save.py
