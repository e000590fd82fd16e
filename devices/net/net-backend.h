/* SPDX-License-Identifier: Apache-2.0 */
/* Network backends for virtio-net: one packet fd per queue pair (TAP, or a test double). */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <glib.h>

#include "config/vm-config.h"

/* Every packet read from or written to a backend fd starts with this
 * virtio_net_hdr_v1 (virtio 1.x: the 12-byte header with num_buffers). */
#define NET_VNET_HDR_LEN 12

typedef struct NetBackend NetBackend;

/**
 * NetBackendOps:
 * @set_offload: which offloads (TUN_F_*) the backend may use in packets it
 *   hands to the guest; called when the guest negotiates or changes its
 *   GUEST_* offloads.  Returns 0 or -errno.
 * @set_queues: which queue pairs the host may steer packets to.
 * @free: closes the fds and frees the backend.
 */
typedef struct {
    const char *name;
    int (*set_offload)(NetBackend *be, unsigned tun_flags);
    /* Only fds[0..@active) receive traffic (multi-queue steering follows
     * the guest's VQ_PAIRS_SET); optional. */
    int (*set_queues)(NetBackend *be, unsigned active);
    void (*free)(NetBackend *be);
} NetBackendOps;

/**
 * NetBackend:
 * Immutable after creation.  @fds[i] serves queue pair i: a read returns
 * one packet with its vnet header, a write sends one.  Non-blocking.
 */
struct NetBackend {
    const NetBackendOps *ops;
    char *ifname;          /* "vmtap0"; NULL when unknown */
    unsigned nfds;
    int *fds;
};

void net_backend_free(NetBackend *be);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(NetBackend, net_backend_free)

/**
 * tap_open:
 * The TAP backend for @net: the pre-opened fds (net->fds, one per queue
 * pair, checked to be TAP devices with IFF_VNET_HDR), or a TAP created or
 * attached by name (net->tap, or "vmtap%d"), with IFF_VNET_HDR, and
 * IFF_MULTI_QUEUE for more than one pair.  Then sets the host side up as
 * CH does: address/netmask (ip=, mask=), MTU, host_mac, link up.
 * Errors (no /dev/net/tun, no CAP_NET_ADMIN, busy name...) name the
 * interface.  Pre-opened fds belong to the backend from this call on (they
 * are closed with it, or on failure).
 * Returns (transfer full) or NULL with @error set.
 */
NetBackend *tap_open(const NetConfig *net, unsigned pairs, GError **error);

/* Parses "12:34:56:78:9a:bc". */
bool net_parse_mac(const char *s, uint8_t mac[6]);
