# SPDX-License-Identifier: Apache-2.0
# Integration tests: driver (nimbusd with the real nimbus and a real guest).
#
# test-nimbusd-lifecycle.py runs itself through tests/harness/with-kvm and
# uses the harness's guest assets (emulated mode: about 6 minutes).
dist_check_SCRIPTS += tests/integration/test-nimbusd-lifecycle.py
TESTS += tests/integration/test-nimbusd-lifecycle.py
