# SPDX-License-Identifier: Apache-2.0
# PCI, virtio transport, virtqueues and virtio devices, block backends.
include devices/pci/local.mk
include devices/block/local.mk
include devices/net/local.mk

devices_libdevices_a_SOURCES += \
	devices/virtio/blk.c devices/virtio/blk-req.c devices/virtio/blk.h \
	devices/virtio/console.c devices/virtio/console.h \
	devices/virtio/core.c devices/virtio/virtio.h \
	devices/virtio/iov.c devices/virtio/iov.h \
	devices/virtio/net.c devices/virtio/net-hdr.c devices/virtio/net.h \
	devices/virtio/queue.c devices/virtio/queue.h \
	devices/virtio/rate-limiter.c devices/virtio/rate-limiter.h \
	devices/virtio/rng.c devices/virtio/rng.h \
	devices/virtio/transport-pci.c devices/virtio/virtio-pci.h \
	devices/virtio/worker.c devices/virtio/worker.h
dist_doc_DATA += docs/devices.md

# virtio-balloon, as the recipe adds a device (docs/adding-a-device.md): its
# file (config kind and registry descriptor included), its unit test and
# its fuzz target.
devices_libdevices_a_SOURCES += devices/virtio/balloon.c \
	devices/virtio/balloon.h
check_PROGRAMS += tests/unit/test-virtio-balloon
TESTS += tests/unit/test-virtio-balloon
tests_unit_test_virtio_balloon_LDADD = $(VIRTIO_TEST_LIBS)
FUZZ_TARGETS += tests/fuzz/fuzz-virtio-balloon
tests_fuzz_fuzz_virtio_balloon_LDADD = $(FUZZ_MAIN_LIB) $(VIRTIO_TEST_LIBS)
tests_fuzz_fuzz_virtio_balloon_LDFLAGS = $(AM_LDFLAGS) $(FUZZ_LINK_FLAGS)
EXTRA_DIST += tests/fuzz/corpus/virtio-balloon

# virtio-vsock (CH's hybrid vsock): the device and its config kind, the
# connection multiplexer, its unit test and its fuzz target.
devices_libdevices_a_SOURCES += devices/virtio/vsock.c \
	devices/virtio/vsock.h devices/virtio/vsock-mux.c \
	devices/virtio/vsock-priv.h
check_PROGRAMS += tests/unit/test-virtio-vsock
TESTS += tests/unit/test-virtio-vsock
tests_unit_test_virtio_vsock_LDADD = $(VIRTIO_TEST_LIBS)
FUZZ_TARGETS += tests/fuzz/fuzz-virtio-vsock
tests_fuzz_fuzz_virtio_vsock_LDADD = $(FUZZ_MAIN_LIB) $(VIRTIO_TEST_LIBS)
tests_fuzz_fuzz_virtio_vsock_LDFLAGS = $(AM_LDFLAGS) $(FUZZ_LINK_FLAGS)
EXTRA_DIST += tests/fuzz/corpus/virtio-vsock

# virtio-pmem: the device and its config kind, its unit test and its fuzz
# target.
devices_libdevices_a_SOURCES += devices/virtio/pmem.c devices/virtio/pmem.h
check_PROGRAMS += tests/unit/test-virtio-pmem
TESTS += tests/unit/test-virtio-pmem
tests_unit_test_virtio_pmem_LDADD = $(VIRTIO_TEST_LIBS)
FUZZ_TARGETS += tests/fuzz/fuzz-virtio-pmem
tests_fuzz_fuzz_virtio_pmem_LDADD = $(FUZZ_MAIN_LIB) $(VIRTIO_TEST_LIBS)
tests_fuzz_fuzz_virtio_pmem_LDFLAGS = $(AM_LDFLAGS) $(FUZZ_LINK_FLAGS)
EXTRA_DIST += tests/fuzz/corpus/virtio-pmem

# virtio-mem (--memory hotplug_method=virtio-mem): the device of the
# hotplug region, its unit test and its fuzz target.
devices_libdevices_a_SOURCES += devices/virtio/mem.c devices/virtio/mem.h
check_PROGRAMS += tests/unit/test-virtio-mem
TESTS += tests/unit/test-virtio-mem
tests_unit_test_virtio_mem_LDADD = $(VIRTIO_TEST_LIBS)
FUZZ_TARGETS += tests/fuzz/fuzz-virtio-mem
tests_fuzz_fuzz_virtio_mem_LDADD = $(FUZZ_MAIN_LIB) $(VIRTIO_TEST_LIBS)
tests_fuzz_fuzz_virtio_mem_LDFLAGS = $(AM_LDFLAGS) $(FUZZ_LINK_FLAGS)
EXTRA_DIST += tests/fuzz/corpus/virtio-mem

# virtio-watchdog (--watchdog): the device, its unit test and its fuzz
# target.
devices_libdevices_a_SOURCES += devices/virtio/watchdog.c \
	devices/virtio/watchdog.h
check_PROGRAMS += tests/unit/test-virtio-watchdog
TESTS += tests/unit/test-virtio-watchdog
tests_unit_test_virtio_watchdog_LDADD = $(VIRTIO_TEST_LIBS)
FUZZ_TARGETS += tests/fuzz/fuzz-virtio-watchdog
tests_fuzz_fuzz_virtio_watchdog_LDADD = $(FUZZ_MAIN_LIB) $(VIRTIO_TEST_LIBS)
tests_fuzz_fuzz_virtio_watchdog_LDFLAGS = $(AM_LDFLAGS) $(FUZZ_LINK_FLAGS)
EXTRA_DIST += tests/fuzz/corpus/virtio-watchdog

include devices/virtio/vhost-user.mk
include devices/virtio/iommu.mk
