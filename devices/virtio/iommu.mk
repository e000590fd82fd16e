# SPDX-License-Identifier: Apache-2.0
# virtio-iommu: the device, its unit test and its fuzz target.
devices_libdevices_a_SOURCES += devices/virtio/iommu.c devices/virtio/iommu.h
check_PROGRAMS += tests/unit/test-virtio-iommu
TESTS += tests/unit/test-virtio-iommu
tests_unit_test_virtio_iommu_LDADD = $(VIRTIO_TEST_LIBS)
FUZZ_TARGETS += tests/fuzz/fuzz-virtio-iommu
tests_fuzz_fuzz_virtio_iommu_LDADD = $(FUZZ_MAIN_LIB) $(VIRTIO_TEST_LIBS)
tests_fuzz_fuzz_virtio_iommu_LDFLAGS = $(AM_LDFLAGS) $(FUZZ_LINK_FLAGS)
EXTRA_DIST += tests/fuzz/corpus/virtio-iommu
