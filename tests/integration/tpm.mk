# SPDX-License-Identifier: Apache-2.0
# Integration test: the TPM 2.0 CRB on swtpm, one guest boot.
check_PROGRAMS += tests/integration/test-tpm
TESTS += tests/integration/test-tpm
tests_integration_test_tpm_SOURCES = tests/integration/test-tpm.c \
	$(VIRTIO_GUEST_SOURCES)
tests_integration_test_tpm_LDADD = tests/libtestutil.a $(GIO_LIBS) \
	$(GLIB_LIBS)
tests_integration_test_tpm_DEPENDENCIES = tests/libtestutil.a
