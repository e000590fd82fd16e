/* SPDX-License-Identifier: Apache-2.0 */
/* virtio-iommu (virtio 1.2 §5.13): domains, endpoints, IOVA mappings and their translation. */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <glib.h>

#include "devices/virtio/virtio.h"

#define VIRTIO_IOMMU_ID "__iommu"   /* CH's id */

/* x86's MSI doorbell window: PROBE reports it as a reserved MSI region,
 * where Linux then maps no DMA (drivers/iommu/virtio-iommu.c). */
#define VIRTIO_IOMMU_MSI_START 0xfee00000ULL
#define VIRTIO_IOMMU_MSI_END 0xfeefffffULL

/* Bound on live mappings over all domains (MAP answers S_NOMEM beyond):
 * a hostile driver cannot make the VMM allocate without limit. */
#define VIRTIO_IOMMU_MAX_MAPPINGS (1u << 18)

/**
 * virtio_iommu_new:
 * A virtio-iommu whose input range is [0, 2^@address_width_bits - 1]
 * (@address_width_bits in 12..64) and domain range [0, 0xffff].
 * Endpoints are added with virtio_iommu_add_endpoint() before the VM runs.
 * Returns (transfer full) or NULL with @error set.
 */
VirtioDevice *virtio_iommu_new(DeviceHost *host, const char *id,
                               unsigned address_width_bits, GError **error);

/**
 * virtio_iommu_add_endpoint:
 * Declares endpoint @endpoint (for PCI, (segment << 16) | BDF: the ids the
 * VIOT table gives the guest) as translated by @vdev.  Control thread,
 * before the device is activated.  False with @error for a duplicate.
 */
bool virtio_iommu_add_endpoint(VirtioDevice *vdev, uint32_t endpoint,
                               GError **error);

/**
 * virtio_iommu_dma_new:
 * Declares @endpoint (as virtio_iommu_add_endpoint()) and returns the
 * translation its device's queues use: (transfer full), for
 * virtio_device_set_dma().  The IOMMU must outlive that device.  NULL
 * with @error for a duplicate endpoint.
 */
VirtQueueDma *virtio_iommu_dma_new(VirtioDevice *vdev, uint32_t endpoint,
                                   GError **error);

/**
 * virtio_iommu_dma_claim:
 * As virtio_iommu_dma_new() for an endpoint declared before the VM ran
 * (the table the translating threads read stays as it was), for a device
 * hot-added on a segment behind the IOMMU.  Control thread.  NULL with
 * @error for an endpoint not declared, or one whose device is still there.
 */
VirtQueueDma *virtio_iommu_dma_claim(VirtioDevice *vdev, uint32_t endpoint,
                                     GError **error);

/**
 * virtio_iommu_release_endpoint:
 * The device of @endpoint is gone (hot-removed, its VirtQueueDma freed):
 * detaches the endpoint from its domain, and lets the next device in its
 * slot claim it.  Control thread; nothing for an unknown endpoint.
 */
void virtio_iommu_release_endpoint(VirtioDevice *vdev, uint32_t endpoint);

/**
 * virtio_iommu_translate:
 * What a DMA of @len bytes (> 0) at I/O virtual address @iova by
 * @endpoint reaches: on success *@gpa is the guest-physical address of
 * @iova and *@mapped (1..@len) how many bytes from there are contiguous
 * in guest-physical space with the same rights; the caller translates the
 * rest separately.  @write: the device writes (else reads).  Returns 0,
 * -ENOENT for an unknown endpoint, or -EFAULT when the IOMMU blocks the
 * access (not attached without bypass, no mapping, no permission), which
 * is also reported to the driver as a FAULT event when it gave the eventq
 * a buffer.  Any thread; takes the device's table lock for reading (and
 * its event lock for a fault), never allocates.
 */
int virtio_iommu_translate(VirtioDevice *vdev, uint32_t endpoint,
                           uint64_t iova, uint64_t len, bool write,
                           uint64_t *gpa, uint64_t *mapped);

/**
 * virtio_iommu_handle_request:
 * Serves one requestq chain (its worker's handler, exported for the fuzz
 * target): executes the request and writes its status, and for PROBE the
 * properties, into the device-writable part.  Returns 0 with *@used_len
 * set, or -EINVAL when the chain has no room for a status (the caller
 * marks the device NEEDS_RESET).
 */
int virtio_iommu_handle_request(VirtioDevice *vdev, const VirtQueueElem *elem,
                                uint32_t *used_len);
