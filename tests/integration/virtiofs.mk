# SPDX-License-Identifier: Apache-2.0
# Integration test: virtio-fs on virtiofsd (mount, write, read, hot-add),
# one guest boot.
check_PROGRAMS += tests/integration/test-virtiofs
TESTS += tests/integration/test-virtiofs
tests_integration_test_virtiofs_SOURCES = tests/integration/test-virtiofs.c \
	$(VIRTIO_GUEST_SOURCES)
tests_integration_test_virtiofs_LDADD = tests/libtestutil.a $(GIO_LIBS) \
	$(GLIB_LIBS)
tests_integration_test_virtiofs_DEPENDENCIES = tests/libtestutil.a
