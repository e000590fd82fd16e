/* SPDX-License-Identifier: Apache-2.0 */
/* virtio-pmem (virtio 1.2 §5.19): the device type and its request handler. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "devices/registry.h"
#include "devices/virtio/virtio.h"

/* Response codes of a flush request (virtio 1.2 §5.19.6). */
#define VIRTIO_PMEM_RESP_OK 0
#define VIRTIO_PMEM_RESP_EIO 1

/* The region is placed and sized in whole 2 MiB pages, as CH requires, so
 * that the guest and the host can map it with huge pages. */
#define VIRTIO_PMEM_ALIGN (2ULL << 20)

/* --pmem, vm.add-pmem, vm.info's "pmem" (devices/registry.c lists it). */
extern const DeviceType virtio_pmem_type;

/**
 * virtio_pmem_new:
 * The device for @entry, a PmemConfig of virtio_pmem_type.kind that passed
 * validation: opens and maps the file (MAP_PRIVATE with discard_writes=on,
 * so the guest's writes never reach it), places the mapping in the 64-bit
 * MMIO window and hands it to the guest through device_host_map_memory().
 * Returns (transfer full) or NULL with @error set and nothing left mapped.
 */
VirtioDevice *virtio_pmem_new(DeviceHost *host, gconstpointer entry,
                              GError **error);

/**
 * virtio_pmem_handle:
 * Serves one request chain @e (its worker calls it; the unit tests and
 * the fuzz target too): the response is written into the chain.  Returns
 * the bytes written, or -EINVAL for a chain with no room for a response
 * (the caller breaks the device: the driver cannot be answered).
 */
int virtio_pmem_handle(VirtioDevice *vdev, VirtQueueElem *e);

/* Where the region is in guest-physical space, and its size. */
uint64_t virtio_pmem_gpa(VirtioDevice *vdev);
uint64_t virtio_pmem_size(VirtioDevice *vdev);
