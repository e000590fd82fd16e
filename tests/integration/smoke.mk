# SPDX-License-Identifier: Apache-2.0
# Integration tests: smoke.  test-kvm-smoke checks the /dev/kvm that
# tests/harness/with-kvm provides (natively or in a nested VM) with raw
# ioctls only, so it links no nimbus code.
check_PROGRAMS += tests/integration/test-kvm-smoke
TESTS += tests/integration/test-kvm-smoke
tests_integration_test_kvm_smoke_LDADD = $(GLIB_LIBS)
