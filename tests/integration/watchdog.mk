# SPDX-License-Identifier: Apache-2.0
# Integration test: the 6300ESB watchdog (--nimbus-watchdog) petted by a
# stock guest, then left to expire: the VM is reset, in one guest boot.
check_PROGRAMS += tests/integration/test-watchdog
TESTS += tests/integration/test-watchdog
tests_integration_test_watchdog_SOURCES = tests/integration/test-watchdog.c \
	tests/integration/test-virtio-guest.c \
	tests/integration/test-virtio-guest.h
tests_integration_test_watchdog_LDADD = tests/libtestutil.a $(GIO_LIBS) \
	$(GLIB_LIBS)
