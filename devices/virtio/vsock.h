/* SPDX-License-Identifier: Apache-2.0 */
/* virtio-vsock: the device type (--vsock, vm.add-vsock) and its constructor. */
#pragma once

#include <stdint.h>
#include <glib.h>

#include "devices/registry.h"
#include "devices/virtio/virtio.h"

extern const DeviceType virtio_vsock_type;

/**
 * virtio_vsock_new:
 * A virtio-vsock device for @entry (a validated VsockConfig of
 * virtio_vsock_type's kind), listening for host clients on its socket
 * from now on.  (transfer full)
 */
VirtioDevice *virtio_vsock_new(DeviceHost *host, gconstpointer entry,
                               GError **error);

/* Fields of a VsockConfig entry (tests, vm.info users). */
uint64_t virtio_vsock_config_cid(gconstpointer entry);
const char *virtio_vsock_config_socket(gconstpointer entry);
