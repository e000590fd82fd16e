# SPDX-License-Identifier: Apache-2.0
# Integration test: nimbusd's <vsock> (auto CID, CH's hybrid vsock on the
# state directory's socket) and <panic model='pvpanic'/> with the real
# nimbus and one real guest (KVM, through tests/harness/with-kvm): data both
# ways, then a guest panic gives CRASHED and on_crash=destroy stops the
# domain.  One guest boot; the guest program is test-vsock-guest (vsock.mk).
dist_check_SCRIPTS += tests/integration/test-nimbusd-vsock-panic.py
TESTS += tests/integration/test-nimbusd-vsock-panic.py
