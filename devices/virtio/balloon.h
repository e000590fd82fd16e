/* SPDX-License-Identifier: Apache-2.0 */
/* virtio-balloon (virtio 1.2 §5.5): the device type and its run-time controls. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "devices/registry.h"
#include "devices/virtio/virtio.h"

/* --balloon, vm.info's "balloon" (devices/registry.c lists it). */
extern const DeviceType virtio_balloon_type;

/* The device for @entry, a BalloonConfig of virtio_balloon_type.kind
 * that passed validation (devices/registry.c puts it behind virtio-pci).
 * Returns (transfer full) or NULL with @error set. */
VirtioDevice *virtio_balloon_new(DeviceHost *host, gconstpointer entry,
                                 GError **error);
/* The size member of a BalloonConfig entry (vm.resize desired_balloon
 * changes the config of record through these). */
uint64_t virtio_balloon_config_size(gconstpointer entry);
void virtio_balloon_config_set_size(gpointer entry, uint64_t size);

/* The queues by role; their indices depend on the features. */
typedef enum {
    VIRTIO_BALLOON_Q_INFLATE,
    VIRTIO_BALLOON_Q_DEFLATE,
    VIRTIO_BALLOON_Q_STATS,
    VIRTIO_BALLOON_Q_REPORT,
} VirtioBalloonQueue;

/**
 * virtio_balloon_handle:
 * What the device does with one chain @e popped from the queue of @role
 * (its worker calls it; the fuzz target too).  Returns 0 when the chain
 * goes back to the driver, 1 when the device keeps it (the statistics
 * buffer), -EINVAL for a chain the spec forbids (the device breaks).
 */
int virtio_balloon_handle(VirtioDevice *vdev, VirtioBalloonQueue role,
                          VirtQueueElem *e);
/* Whether @vdev is a balloon (the functions below need one). */
bool virtio_balloon_is(VirtioDevice *vdev);
/* vm.resize desired_balloon: the driver is asked to hold @bytes (rounded
 * down to 4 KiB pages); any thread. */
void virtio_balloon_set_target(VirtioDevice *vdev, uint64_t bytes);
/* What the driver says it holds, in bytes. */
uint64_t virtio_balloon_actual(VirtioDevice *vdev);
