# SPDX-License-Identifier: Apache-2.0
# Integration test (issue 11): virt-manager 4.1 under Xvfb, driven with
# dogtail, creates a VM on nimbusd with its New VM wizard (import a disk
# from libvirtd's default pool, the default NAT network, customised to
# virtio, direct kernel boot) and its serial console reaches the guest's
# shell.  virt-manager runs on the host; libvirtd, nimbusd and the guest
# run through tests/harness/with-kvm.  One guest boot.  Screenshots and
# logs in tests/integration/test-nimbusd-virt-manager.out/
# (docs/testing.md, "GUI tests").
# l1_libvirtd.py is distributed by nimbusd-virt-install.mk.
dist_check_SCRIPTS += tests/integration/test-nimbusd-virt-manager.py
TESTS += tests/integration/test-nimbusd-virt-manager.py
EXTRA_DIST += tests/integration/vmgr_desktop.py \
	tests/integration/vmgr_wizard.py
