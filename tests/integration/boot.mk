# SPDX-License-Identifier: Apache-2.0
# Integration tests: nimbus boots the Debian kernel (PVH, bzImage, SMP,
# topology, serial input, reboot, power-off).
check_PROGRAMS += tests/integration/test-boot
TESTS += tests/integration/test-boot
tests_integration_test_boot_LDADD = $(TEST_LIBS)
