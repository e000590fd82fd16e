# SPDX-License-Identifier: Apache-2.0
# Integration test: a guest's disk and rng behind the virtio-iommu
# (iommu=on), the VIOT, and the API's refusals, in one guest boot.
check_PROGRAMS += tests/integration/test-iommu
TESTS += tests/integration/test-iommu
tests_integration_test_iommu_SOURCES = tests/integration/test-iommu.c \
	tests/integration/test-virtio-guest.c \
	tests/integration/test-virtio-guest.h
tests_integration_test_iommu_LDADD = tests/libtestutil.a $(GIO_LIBS) \
	$(GLIB_LIBS)
