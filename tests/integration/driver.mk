# SPDX-License-Identifier: Apache-2.0
# Integration tests: driver (nimbusd with the real nimbus and a real guest).
#
# test-nimbusd-lifecycle.py runs itself through tests/harness/with-kvm and
# uses the harness's guest assets (emulated mode: about 6 minutes).
dist_check_SCRIPTS += tests/integration/test-nimbusd-lifecycle.py
TESTS += tests/integration/test-nimbusd-lifecycle.py

# test-nimbusd-hotplug.py: attach-device / blockresize / detach-device on one
# running guest (the guest sees the disk, its data and its new size), a DIMM
# attached live (MemTotal grows), and DEVICE_ADDED / DEVICE_REMOVED through
# python3-libvirt; one boot.
dist_check_SCRIPTS += tests/integration/test-nimbusd-hotplug.py
TESTS += tests/integration/test-nimbusd-hotplug.py

# test-nimbusd-virtiofs.py: a <filesystem> (virtiofs) domain on the host's
# virtiofsd; the guest reads and writes the share, and one attached live
# (then detached); destroy leaves no virtiofsd.  The same domain's <tpm>:
# random bytes, and an NV index the guest writes, then reads back after
# destroy and a second start.  Two boots.
dist_check_SCRIPTS += tests/integration/test-nimbusd-virtiofs.py
TESTS += tests/integration/test-nimbusd-virtiofs.py

# test-nimbusd-vhudisk.py: a <disk type='vhostuser'> domain on
# qemu-storage-daemon's vhost-user-blk export; the guest's sha256sum of
# the disk is the image's, domblkinfo refuses it.  One boot.
dist_check_SCRIPTS += tests/integration/test-nimbusd-vhudisk.py
TESTS += tests/integration/test-nimbusd-vhudisk.py

# test-nimbusd-iommu.py: <iommu model='virtio'> with an rng behind it
# (<driver iommu='on'/>): the live XML, nimbus's config, and the guest's
# rng reading through the IOMMU (bypass: the guest kernel has no
# virtio-iommu driver).  One boot.
dist_check_SCRIPTS += tests/integration/test-nimbusd-iommu.py
TESTS += tests/integration/test-nimbusd-iommu.py
