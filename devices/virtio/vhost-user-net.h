/* SPDX-License-Identifier: Apache-2.0 */
/* vhost-user-net: virtio-net whose queues a vhost-user back end serves (--net vhost_user=on). */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <glib.h>
#include <linux/virtio_net.h>

#include "config/vm-config.h"
#include "devices/virtio/virtio.h"

/* How long a server-mode front end waits for its back end to connect
 * (the boot waits with it, as CH's does). */
#define VHOST_USER_NET_ACCEPT_TIMEOUT_MS 90000

/* The virtio-net features a back end may offer the driver through
 * nimbus: ring layouts, offloads and mergeable buffers, the ones whose
 * work is all on the back end's side.  MAC, STATUS, MTU, CTRL_VQ and MQ
 * are nimbus's own (config space, control queue), as in CH. */
#define VHOST_USER_NET_BACKEND_FEATURES                                        \
    (VIRTIO_COMMON_FEATURES | (1ULL << VIRTIO_NET_F_CSUM) |                   \
     (1ULL << VIRTIO_NET_F_GUEST_CSUM) | (1ULL << VIRTIO_NET_F_GUEST_TSO4) |  \
     (1ULL << VIRTIO_NET_F_GUEST_TSO6) | (1ULL << VIRTIO_NET_F_GUEST_ECN) |   \
     (1ULL << VIRTIO_NET_F_GUEST_UFO) | (1ULL << VIRTIO_NET_F_HOST_TSO4) |    \
     (1ULL << VIRTIO_NET_F_HOST_TSO6) | (1ULL << VIRTIO_NET_F_HOST_ECN) |     \
     (1ULL << VIRTIO_NET_F_HOST_UFO) | (1ULL << VIRTIO_NET_F_MRG_RXBUF))

/**
 * vhost_user_net_new:
 * A virtio-net device for @net (a NetConfig with vhost_user set that
 * passed validation, its MAC chosen): connects to the back end on its
 * socket, or (vhost_mode Server) listens there and waits up to
 * VHOST_USER_NET_ACCEPT_TIMEOUT_MS for it, then negotiates.  (transfer
 * full) or NULL with @error naming the net and the socket.
 */
VirtioDevice *vhost_user_net_new(DeviceHost *host, const NetConfig *net,
                                 GError **error);

/**
 * vhost_user_net_features:
 * What the driver is offered: @backend's features that @net's offload
 * switches allow, and nimbus's own.  Pure: the unit and fuzz tests' entry.
 */
uint64_t vhost_user_net_features(const NetConfig *net, uint64_t backend);

/* Whether @vdev is a vhost-user-net (the rate limiter calls are
 * virtio-net's, not its). */
bool vhost_user_net_is(const VirtioDevice *vdev);
