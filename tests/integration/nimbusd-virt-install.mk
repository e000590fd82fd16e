# SPDX-License-Identifier: Apache-2.0
# Integration test: stock virt-install on nimbusd with libvirtd's default
# network and pool (issue 11).  test-nimbusd-virt-install.py runs itself
# through tests/harness/with-kvm: a private root libvirtd (NAT network,
# dnsmasq, dir pool) in its own namespaces, one guest boot that pings the
# network's gateway, and virt-install's bad input.
dist_check_SCRIPTS += tests/integration/test-nimbusd-virt-install.py
TESTS += tests/integration/test-nimbusd-virt-install.py
# The private libvirtd, for any test that needs libvirtd's networks or
# pools in the harness.
EXTRA_DIST += tests/integration/l1_libvirtd.py
