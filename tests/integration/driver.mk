# SPDX-License-Identifier: Apache-2.0
# Integration tests: driver (nimbusd with the real nimbus and a real guest).
#
# test-nimbusd-lifecycle.py runs itself through tests/harness/with-kvm and
# uses the harness's guest assets.  It passes with the harness branch's
# with-kvm (emulated mode, ~6 min); it joins TESTS once the harness is
# merged here:
#   TESTS += tests/integration/test-nimbusd-lifecycle.py
dist_check_SCRIPTS += tests/integration/test-nimbusd-lifecycle.py
