# SPDX-License-Identifier: Apache-2.0
# Integration test: a guest on a fixed VHD and a VHDX made by qemu-img
# convert (reads, writes to the VHDX), checked by qemu-img.
check_PROGRAMS += tests/integration/test-vhdx
TESTS += tests/integration/test-vhdx
tests_integration_test_vhdx_SOURCES = tests/integration/test-vhdx.c \
	$(VIRTIO_GUEST_SOURCES)
tests_integration_test_vhdx_LDADD = tests/libtestutil.a $(GIO_LIBS) $(GLIB_LIBS)
