# SPDX-License-Identifier: Apache-2.0
# TPM 2.0 (CRB interface) on swtpm: the device and its config kind, the
# swtpm client, its unit tests and its fuzz target.
devices_libdevices_a_SOURCES += devices/tpm/tpm-crb.c \
	devices/tpm/tpm-crb.h devices/tpm/tpm-crb-priv.h \
	devices/tpm/swtpm.c devices/tpm/swtpm.h

# A fake swtpm (its control protocol and data fd) for the unit tests, the
# device-state tests (which create the registry's "tpm" type) and the fuzz
# target.
noinst_LIBRARIES += tests/unit/libfakeswtpm.a
tests_unit_libfakeswtpm_a_CPPFLAGS = $(AM_CPPFLAGS) \
	-DG_LOG_DOMAIN=\"nimbus-test\"
tests_unit_libfakeswtpm_a_SOURCES = tests/unit/fake-swtpm.c \
	tests/unit/fake-swtpm.h

check_PROGRAMS += tests/unit/test-tpm-crb
TESTS += tests/unit/test-tpm-crb
tests_unit_test_tpm_crb_LDADD = tests/unit/libfakeswtpm.a $(FAKE_VM_LIBS)
tests_unit_test_tpm_crb_DEPENDENCIES = tests/unit/libfakeswtpm.a \
	$(FAKE_VM_DEPS)

FUZZ_TARGETS += tests/fuzz/fuzz-tpm-crb
tests_fuzz_fuzz_tpm_crb_LDADD = $(FUZZ_MAIN_LIB) $(FAKE_VM_LIBS)
tests_fuzz_fuzz_tpm_crb_LDFLAGS = $(AM_LDFLAGS) $(FUZZ_LINK_FLAGS)
tests_fuzz_fuzz_tpm_crb_DEPENDENCIES = $(FUZZ_MAIN_LIB) $(FAKE_VM_DEPS)
EXTRA_DIST += tests/fuzz/corpus/tpm-crb
