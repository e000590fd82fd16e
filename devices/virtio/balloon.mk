# SPDX-License-Identifier: Apache-2.0
# virtio-balloon: the device type (its config kind and registry descriptor
# are in balloon.c), its unit test and its fuzz target, in one fragment
# (docs/adding-a-device.md).
devices_libdevices_a_SOURCES += devices/virtio/balloon.c \
	devices/virtio/balloon.h
check_PROGRAMS += tests/unit/test-virtio-balloon
TESTS += tests/unit/test-virtio-balloon
tests_unit_test_virtio_balloon_LDADD = $(VIRTIO_TEST_LIBS)
FUZZ_TARGETS += tests/fuzz/fuzz-virtio-balloon
tests_fuzz_fuzz_virtio_balloon_LDADD = $(FUZZ_MAIN_LIB) $(VIRTIO_TEST_LIBS)
tests_fuzz_fuzz_virtio_balloon_LDFLAGS = $(AM_LDFLAGS) $(FUZZ_LINK_FLAGS)
EXTRA_DIST += tests/fuzz/corpus/virtio-balloon
