# SPDX-License-Identifier: Apache-2.0
# The real-KVM test harness: with-kvm (native /dev/kvm, or a nested VM under
# QEMU TCG), the guest assets it builds and caches, and its own tests.
# Integration tests reach it through build-aux/gtest-run.sh.
EXTRA_DIST += \
	tests/harness/with-kvm \
	tests/harness/assets \
	tests/harness/common.sh \
	tests/harness/l1-init \
	tests/harness/guest-init \
	tests/harness/initramfs-append \
	tests/harness/mkext4 \
	tests/harness/boot-l2 \
	tests/harness/guest-expect \
	tests/harness/selftest \
	tests/harness/guest-stress

# Forces the emulated path (two nested-VM boots), so every CI run exercises
# it even on hosts with /dev/kvm; the native path is tested where it exists.
dist_check_SCRIPTS += tests/harness/test-with-kvm.sh
TESTS += tests/harness/test-with-kvm.sh

# Builds the guest assets ahead of the tests (make -j check would otherwise
# have the first few tests wait on the asset lock).
harness-assets:
	$(top_srcdir)/tests/harness/assets
.PHONY: harness-assets
