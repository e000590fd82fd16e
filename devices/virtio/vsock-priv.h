/* SPDX-License-Identifier: Apache-2.0 */
/* virtio-vsock's connection multiplexer: guest packets to UNIX sockets and back (test API). */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/uio.h>
#include <glib.h>
#include <linux/virtio_vsock.h>

#include "devices/virtio/queue.h"

#define VSOCK_HOST_CID 2                     /* VMADDR_CID_HOST */
#define VSOCK_HDR_SIZE ((uint32_t)sizeof(struct virtio_vsock_hdr))
/* The most payload one RX packet carries (Linux's own limit is 64 KiB). */
#define VSOCK_MAX_PKT (64u * 1024)
/* What each connection lets the guest have in flight towards the host
 * (our buf_alloc), and the forwarded bytes after which the guest is told
 * (CREDIT_UPDATE) so that it never waits on a stale fwd_cnt. */
#define VSOCK_CONN_BUF (256u * 1024)
#define VSOCK_CREDIT_THRESHOLD (VSOCK_CONN_BUF / 4)
/* Bounds on what a guest (or host clients) can make us hold. */
#define VSOCK_MAX_CONNS 1024
#define VSOCK_MAX_PENDING_CTL 4096

/* A packet header in host byte order. */
typedef struct {
    uint64_t src_cid;
    uint64_t dst_cid;
    uint32_t src_port;
    uint32_t dst_port;
    uint32_t len;
    uint16_t type;
    uint16_t op;
    uint32_t flags;
    uint32_t buf_alloc;
    uint32_t fwd_cnt;
} VsockHdr;

/**
 * vsock_hdr_parse:
 * Reads the header of a TX chain @e (device-readable only) into @hdr.
 * Returns 0, or -EINVAL when the chain cannot be a packet at all (a
 * device-writable buffer, fewer bytes than a header, a payload length
 * longer than the chain): the driver broke the protocol (§5.10.6.6).
 */
int vsock_hdr_parse(const VirtQueueElem *e, VsockHdr *hdr);
/* Writes @hdr (host order) as the wire header into @buf. */
void vsock_hdr_encode(const VsockHdr *hdr, struct virtio_vsock_hdr *buf);

typedef struct VsockMux VsockMux;

/**
 * vsock_mux_new:
 * The multiplexer of a device whose guest has @guest_cid, host-initiated
 * connections arriving on @listen_fd (transfer full; -1: none, tests),
 * guest-initiated ones going to "@socket_path_<port>".  All calls below
 * run on one thread (the device's worker), or with the worker stopped.
 */
VsockMux *vsock_mux_new(uint64_t guest_cid, const char *socket_path,
                        int listen_fd);
void vsock_mux_free(VsockMux *m);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(VsockMux, vsock_mux_free)

/* The fds the worker polls for POLLIN: the listener (-1: none) and the
 * epoll set of every connection. */
int vsock_mux_listen_fd(VsockMux *m);
int vsock_mux_epoll_fd(VsockMux *m);
/* Accepts the host clients waiting on the listener. */
void vsock_mux_on_listen(VsockMux *m);
/* Serves ready connections (handshakes, readable data, writable
 * backlogs, hang-ups). */
void vsock_mux_on_epoll(VsockMux *m);

/* One guest packet (@hdr parsed, its payload bytes in @e after the
 * header).  Never fails: what cannot be served is answered with RST. */
void vsock_mux_from_guest(VsockMux *m, const VsockHdr *hdr,
                          const VirtQueueElem *e);
/* Whether a packet for the guest is waiting (control or data). */
bool vsock_mux_has_rx(VsockMux *m);
/**
 * vsock_mux_fill_rx:
 * Writes the next packet for the guest into the device-writable buffers
 * of @e.  Returns the bytes written (header and payload), 0 when nothing
 * was left to send after all (give @e back), or -EINVAL when @e cannot
 * hold a header.
 */
int vsock_mux_fill_rx(VsockMux *m, const VirtQueueElem *e);
/* Drops every connection (device reset, restore): host clients see
 * their socket closed. */
void vsock_mux_reset(VsockMux *m);
/* Established connections (counters, tests). */
guint vsock_mux_n_conns(VsockMux *m);

/* The multiplexer of a virtio_vsock_new() device (transfer none). */
struct VirtioDevice;
VsockMux *virtio_vsock_get_mux(struct VirtioDevice *vdev);
