# SPDX-License-Identifier: Apache-2.0
# Integration test: a vhost-user-net port on DPDK's testpmd (vhost PMD,
# 5tswap forwarding), the guest pinging through it, one guest boot.
check_PROGRAMS += tests/integration/test-vhost-user-net
TESTS += tests/integration/test-vhost-user-net
tests_integration_test_vhost_user_net_SOURCES = \
	tests/integration/test-vhost-user-net.c $(VIRTIO_GUEST_SOURCES)
tests_integration_test_vhost_user_net_LDADD = tests/libtestutil.a \
	$(GIO_LIBS) $(GLIB_LIBS)
tests_integration_test_vhost_user_net_DEPENDENCIES = tests/libtestutil.a
