# SPDX-License-Identifier: Apache-2.0
# Integration tests: real guests on real KVM.  Every program under
# tests/integration/ runs through tests/harness/with-kvm (build-aux/gtest-run.sh).
# One fragment per work stream.
include tests/integration/smoke.mk
include tests/integration/boot.mk
include tests/integration/api.mk
include tests/integration/virtio.mk
include tests/integration/qcow2.mk
include tests/integration/vhdx.mk
include tests/integration/driver.mk
include tests/integration/nimbusd-save.mk
include tests/integration/nimbusd-shmem.mk
include tests/integration/nimbusd-vsock-panic.mk
include tests/integration/nimbusd-migrate.mk
include tests/integration/nimbusd-dbus.mk
include tests/integration/nimbusd-virt-manager.mk
include tests/integration/snapshot.mk
include tests/integration/migration.mk
include tests/integration/hotplug.mk
include tests/integration/vcpu-hotplug.mk
include tests/integration/memory-hotplug.mk
include tests/integration/numa.mk
include tests/integration/vsock.mk
include tests/integration/pmem.mk
include tests/integration/ivshmem.mk
include tests/integration/iommu.mk
include tests/integration/ratelimit.mk
include tests/integration/tpm.mk
include tests/integration/fwcfg.mk
include tests/integration/watchdog.mk
include tests/integration/virtiofs.mk
include tests/integration/vhost-user-blk.mk
include tests/integration/vhost-user-net.mk
include tests/integration/vhost-user-generic.mk
include tests/integration/hostile.mk
include tests/integration/nimbusd-virt-install.mk
