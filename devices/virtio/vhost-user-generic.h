/* SPDX-License-Identifier: Apache-2.0 */
/* --generic-vhost-user: a virtio device of any type, served by a vhost-user back end. */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <glib.h>

#include "devices/registry.h"
#include "devices/virtio/vhost-user.h"
#include "devices/virtio/virtio.h"

extern const DeviceType vhost_user_generic_type;

/**
 * vhost_user_generic_type_from_name:
 * The virtio device ID (virtio 1.2 §5) that @s names: a number, or a
 * name such as "block" or "fs" (CH's device_type=).  False when it is
 * neither.
 */
bool vhost_user_generic_type_from_name(const char *s, uint32_t *id);

/**
 * vhost_user_generic_new:
 * A device for @entry (a GenericVhostUserConfig that passed validation):
 * connects to the back end on its socket and negotiates.  (transfer
 * full) or NULL with @error naming the device and the socket.
 */
VirtioDevice *vhost_user_generic_new(DeviceHost *host,
                                     gconstpointer entry, GError **error);

/**
 * vhost_user_generic_features:
 * What the driver is offered of the back end's @backend features: the
 * device-specific bits (0-23) and the ring features nimbus's transport
 * implements.  Pure: the fuzz target's entry.
 */
uint64_t vhost_user_generic_features(uint64_t backend);

/**
 * vhost_user_generic_config_read:
 * @len bytes at @off of the config space of @vu's device (zeros when the
 * back end has none), as a driver's read sees them; false with @error
 * when the back end fails the request.  The fuzz target's entry.
 */
bool vhost_user_generic_config_read(VhostUser *vu, uint32_t off, void *data,
                                    unsigned len, GError **error);
