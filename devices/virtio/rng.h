/* SPDX-License-Identifier: Apache-2.0 */
/* virtio-rng (virtio 1.2 §5.4). */
#pragma once

#include <glib.h>

#include "config/vm-config.h"
#include "devices/virtio/virtio.h"

/**
 * virtio_rng_new:
 * A virtio-rng device reading cfg->src (default /dev/urandom), opened
 * now so that a missing source is a startup error naming it.
 * Returns (transfer full) or NULL with @error set.
 */
VirtioDevice *virtio_rng_new(DeviceHost *host, const RngConfig *cfg,
                             GError **error);
