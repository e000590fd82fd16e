# SPDX-License-Identifier: Apache-2.0
# Integration tests: driver (nimbusd with the real nimbus and a real guest).
#
# test-nimbusd-lifecycle.py needs a nimbus that boots guests and the
# harness's guest assets (tests/harness/with-kvm, $NIMBUS_ASSETS_DIR).  Until
# both exist it is shipped but not in TESTS; once they do, add:
#   TESTS += tests/integration/test-nimbusd-lifecycle.py
dist_check_SCRIPTS += tests/integration/test-nimbusd-lifecycle.py
