/* SPDX-License-Identifier: Apache-2.0 */
/* virtio-mem (virtio 1.2 §5.15): hot(un)plug of RAM in blocks of the hotplug region. */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <glib.h>

#include "config/vm-config.h"
#include "devices/virtio/queue.h"
#include "devices/virtio/virtio.h"

/* The device of --memory's hotplug region; a memory zone's device is
 * named after the zone (CH). */
#define VIRTIO_MEM_DEVICE_ID "_virtio-mem0"

/* Request/response sizes of the one queue (struct virtio_mem_req/resp). */
#define VIRTIO_MEM_REQ_SIZE 24
#define VIRTIO_MEM_RESP_SIZE 10

/**
 * virtio_mem_new:
 * The virtio-mem device of @host's hotplug region (the GuestRegion with
 * .hotplug set), plugging VM_CONFIG_VIRTIO_MEM_BLOCK blocks; the driver is
 * asked for @requested bytes first (hotplugged_size).  Nothing is plugged
 * until the driver asks.  Returns (transfer full) or NULL with @error set
 * (no hotplug region, or @requested not a multiple of the block size
 * inside it).
 */
VirtioDevice *virtio_mem_new(DeviceHost *host, const char *id,
                             uint64_t requested, GError **error);
/**
 * virtio_mem_new_at:
 * The same for the hotplug region that starts at @gpa (a memory zone's,
 * one device per zone), in ACPI proximity domain @node (offered as
 * VIRTIO_MEM_F_ACPI_PXM), or in none when @node is -1.
 */
VirtioDevice *virtio_mem_new_at(DeviceHost *host, const char *id,
                                uint64_t gpa, int node, uint64_t requested,
                                GError **error);

/* Whether @vdev is a virtio-mem device (the functions below need one). */
bool virtio_mem_is(VirtioDevice *vdev);

/**
 * virtio_mem_handle:
 * One request chain @e of the guest request queue: the response is
 * written into its device-writable part.  Returns the bytes written (the
 * used length), or -EINVAL for a chain too short for a request and its
 * response (the device breaks).  Any thread that owns the queue; no
 * allocation.
 */
int virtio_mem_handle(VirtioDevice *vdev, VirtQueueElem *e);

/**
 * virtio_mem_set_requested:
 * vm.resize desired_ram: the driver is asked to plug @bytes of the region
 * in all (it plugs or unplugs towards it) and told by a config change.
 * False with @error (G_IO_ERROR_INVALID_ARGUMENT) when @bytes is not a
 * multiple of the block size or exceeds the region; nothing changes then.
 */
bool virtio_mem_set_requested(VirtioDevice *vdev, uint64_t bytes,
                              GError **error);
uint64_t virtio_mem_requested(VirtioDevice *vdev);
/* What the driver has plugged, in bytes; any thread. */
uint64_t virtio_mem_plugged(VirtioDevice *vdev);
uint64_t virtio_mem_block_size(VirtioDevice *vdev);
uint64_t virtio_mem_region_size(VirtioDevice *vdev);
