# SPDX-License-Identifier: Apache-2.0
# Integration tests: a guest on qcow2 images (an overlay over a compressed
# base made by qemu-img; nimbus killed mid-write), checked by qemu-img.
check_PROGRAMS += tests/integration/test-qcow2
TESTS += tests/integration/test-qcow2
tests_integration_test_qcow2_SOURCES = tests/integration/test-qcow2.c \
	$(VIRTIO_GUEST_SOURCES)
tests_integration_test_qcow2_LDADD = tests/libtestutil.a $(GIO_LIBS) $(GLIB_LIBS)
