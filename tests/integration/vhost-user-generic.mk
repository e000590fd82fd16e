# SPDX-License-Identifier: Apache-2.0
# Integration test: --generic-vhost-user device_type=block on
# qemu-storage-daemon (the guest reads the disk), one guest boot.
check_PROGRAMS += tests/integration/test-vhost-user-generic
TESTS += tests/integration/test-vhost-user-generic
tests_integration_test_vhost_user_generic_SOURCES = \
	tests/integration/test-vhost-user-generic.c $(VIRTIO_GUEST_SOURCES)
tests_integration_test_vhost_user_generic_LDADD = tests/libtestutil.a \
	$(GIO_LIBS) $(GLIB_LIBS)
tests_integration_test_vhost_user_generic_DEPENDENCIES = tests/libtestutil.a
