# SPDX-License-Identifier: Apache-2.0
# Integration test: nimbusd's <shmem> (ivshmem-plain on /dev/shm/NAME) with
# the real nimbus and one real guest (KVM, through tests/harness/with-kvm):
# the host and the guest see each other's writes live.  One guest boot.
dist_check_SCRIPTS += tests/integration/test-nimbusd-shmem.py
TESTS += tests/integration/test-nimbusd-shmem.py
