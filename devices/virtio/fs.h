/* SPDX-License-Identifier: Apache-2.0 */
/* virtio-fs: a vhost-user-fs front end for virtiofsd (--fs, vm.add-fs). */
#pragma once

#include <glib.h>

#include "devices/registry.h"
#include "devices/virtio/virtio.h"

extern const DeviceType virtio_fs_type;

/**
 * virtio_fs_new:
 * A virtio-fs device for @entry (an FsConfig that passed validation):
 * connects to the back end on its socket and negotiates (vhost-user.h).
 * (transfer full) or NULL with @error naming the device and the socket.
 */
VirtioDevice *virtio_fs_new(DeviceHost *host, gconstpointer entry,
                            GError **error);
