/* SPDX-License-Identifier: Apache-2.0 */
/* virtio-net (virtio 1.2 §5.1): header handling, control commands, the device. */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/uio.h>
#include <glib.h>
#include <linux/virtio_net.h>

#include "config/vm-config.h"
#include "devices/net/net-backend.h"
#include "devices/virtio/queue.h"
#include "devices/virtio/virtio.h"

/* The part of struct virtio_net_config nimbus exposes: mac, status,
 * max_virtqueue_pairs, mtu (virtio 1.2 §5.1.4). */
#define VIRTIO_NET_CONFIG_SIZE 12
/* Longest chain accepted (Linux uses up to MAX_SKB_FRAGS + 2). */
#define VIRTIO_NET_MAX_SEGS 64

/* The GUEST_* offload feature bits, as CTRL_GUEST_OFFLOADS sees them. */
#define VIRTIO_NET_GUEST_OFFLOADS                                              \
    ((1ULL << VIRTIO_NET_F_GUEST_CSUM) | (1ULL << VIRTIO_NET_F_GUEST_TSO4) |  \
     (1ULL << VIRTIO_NET_F_GUEST_TSO6) | (1ULL << VIRTIO_NET_F_GUEST_ECN) |   \
     (1ULL << VIRTIO_NET_F_GUEST_UFO))

/**
 * virtio_net_tx_check:
 * Validates the virtio_net_hdr_v1 at the start of a packet the guest sends
 * (@iov, @len bytes in all) against the negotiated @features (§5.1.6.2):
 * flags, GSO type versus HOST_* features, NEEDS_CSUM with GSO, checksum
 * position inside the packet.  Returns 0, or -EINVAL with *@why set; the
 * packet is then dropped.  Pure (fuzzed).
 */
int virtio_net_tx_check(const struct iovec *iov, unsigned n, size_t len,
                        uint64_t features, const char **why);

/* TUN_F_* for the GUEST_* offload bits in @offloads. */
unsigned virtio_net_tun_offloads(uint64_t offloads);

/* §5.1.6.4: a received packet without MRG_RXBUF has num_buffers = 1. */
void virtio_net_rx_fixup(const struct iovec *iov, unsigned n);

/* A parsed control command (§5.1.6.5). */
typedef struct {
    uint8_t cls;
    uint8_t cmd;
    uint8_t data[16];      /* the start of the command data */
    size_t data_len;       /* total length (may exceed sizeof data) */
    uint8_t *ack;          /* where the device writes VIRTIO_NET_OK/ERR */
} VirtioNetCtrl;

/* Splits a control chain; -EINVAL (guest error, *@why) when it has no
 * class/command header or no writable ack byte. */
int virtio_net_ctrl_parse(const VirtQueueElem *elem, VirtioNetCtrl *ctrl,
                          const char **why);

/**
 * virtio_net_new:
 * A virtio-net device on @be (transfer full, also on failure): @net's
 * num_queues / 2 queue pairs (one fd of @be each) plus a control queue,
 * its MAC (net->mac, which must be set), MTU and offload options.
 * Returns (transfer full) or NULL with @error set.
 */
VirtioDevice *virtio_net_new(DeviceHost *host, const NetConfig *net,
                             NetBackend *be, GError **error);
/* Control thread: the limits of both directions from now on (@cfg NULL:
 * none; CH gives RX and TX a limiter each with the same config). */
void virtio_net_set_rate_limiter(VirtioDevice *vdev,
                                 const RateLimiterConfig *cfg);
