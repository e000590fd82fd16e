/* SPDX-License-Identifier: Apache-2.0 */
/* virtio-watchdog (virtio device 35, CH's --watchdog): the device and its registry type. */
#pragma once

#include <glib.h>

#include "devices/device-host.h"
#include "devices/registry.h"
#include "devices/virtio/virtio.h"

#define VIRTIO_WATCHDOG_ID "__watchdog"   /* CH's id */
/* CH's timing: the clock looks every 15 s once the guest pinged, and
 * resets the VM when the last ping is more than 20 s old. */
#define VIRTIO_WATCHDOG_INTERVAL_US (15 * G_USEC_PER_SEC)
#define VIRTIO_WATCHDOG_TIMEOUT_US (20 * G_USEC_PER_SEC)

extern const DeviceType virtio_watchdog_type;

/* The device (transfer full), with clock period @interval_us and timeout
 * @timeout_us (the constants above; tests shorten them). */
VirtioDevice *virtio_watchdog_new(DeviceHost *host, int64_t interval_us,
                                  int64_t timeout_us);
/* One chain popped from the queue (worker thread): a ping when it has
 * device-writable bytes (returns true, arms the clock at the first).
 * The device writes nothing into it: its used length is 0. */
bool virtio_watchdog_handle(VirtioDevice *vdev, const VirtQueueElem *elem);
/* How many pings the device took (tests, counters). */
guint64 virtio_watchdog_pings(VirtioDevice *vdev);
