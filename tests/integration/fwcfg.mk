# SPDX-License-Identifier: Apache-2.0
# Integration test: fw_cfg items read by a stock guest's qemu_fw_cfg, one
# guest boot.
check_PROGRAMS += tests/integration/test-fw-cfg
TESTS += tests/integration/test-fw-cfg
tests_integration_test_fw_cfg_SOURCES = tests/integration/test-fw-cfg.c \
	$(VIRTIO_GUEST_SOURCES)
tests_integration_test_fw_cfg_LDADD = tests/libtestutil.a $(GIO_LIBS) \
	$(GLIB_LIBS)
tests_integration_test_fw_cfg_DEPENDENCIES = tests/libtestutil.a
