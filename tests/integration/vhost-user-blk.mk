# SPDX-License-Identifier: Apache-2.0
# Integration test: a vhost-user-blk disk on qemu-storage-daemon (read,
# write, back end killed), one guest boot.
check_PROGRAMS += tests/integration/test-vhost-user-blk
TESTS += tests/integration/test-vhost-user-blk
tests_integration_test_vhost_user_blk_SOURCES = \
	tests/integration/test-vhost-user-blk.c $(VIRTIO_GUEST_SOURCES)
tests_integration_test_vhost_user_blk_LDADD = tests/libtestutil.a \
	$(GIO_LIBS) $(GLIB_LIBS)
tests_integration_test_vhost_user_blk_DEPENDENCIES = tests/libtestutil.a
