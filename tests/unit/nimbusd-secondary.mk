# SPDX-License-Identifier: Apache-2.0
# domifaddr's inputs: a domain's interfaces, the host's ARP table (issue 11).

check_PROGRAMS += tests/unit/test-nimbusd-ifaddr
TESTS += tests/unit/test-nimbusd-ifaddr
tests_unit_test_nimbusd_ifaddr_CPPFLAGS = $(RPC_TEST_CPPFLAGS)
tests_unit_test_nimbusd_ifaddr_LDADD = $(RPC_TEST_LIBS)

# Node devices, secrets, nwfilters, interfaces, DHCP leases and their
# events forwarded to a private libvirtd, compared with direct calls;
# domifaddr's sources; libvirtd not installed, or started once and failing.
dist_check_SCRIPTS += tests/unit/test-nimbusd-libvirtd-more.py
TESTS += tests/unit/test-nimbusd-libvirtd-more.py
