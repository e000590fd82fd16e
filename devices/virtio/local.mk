# SPDX-License-Identifier: Apache-2.0
# PCI, virtio transport, virtqueues and virtio devices, block backends.
include devices/pci/local.mk
include devices/block/local.mk
include devices/net/local.mk
# One fragment per device type added by the recipe (docs/adding-a-device.md).
include devices/virtio/balloon.mk

devices_libdevices_a_SOURCES += \
	devices/virtio/blk.c devices/virtio/blk-req.c devices/virtio/blk.h \
	devices/virtio/console.c devices/virtio/console.h \
	devices/virtio/core.c devices/virtio/virtio.h \
	devices/virtio/iov.c devices/virtio/iov.h \
	devices/virtio/net.c devices/virtio/net-hdr.c devices/virtio/net.h \
	devices/virtio/queue.c devices/virtio/queue.h \
	devices/virtio/rng.c devices/virtio/rng.h \
	devices/virtio/transport-pci.c devices/virtio/virtio-pci.h \
	devices/virtio/worker.c devices/virtio/worker.h
dist_doc_DATA += docs/devices.md
