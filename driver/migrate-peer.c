/* SPDX-License-Identifier: Apache-2.0 */
/* DrvMigratePeer: a minimal synchronous libvirt RPC client for peer-to-peer migration. */
#include <config.h>

#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include "common/fd-util.h"
#include "driver/drv-error.h"
#include "driver/migrate-params.h"
#include "driver/migrate-peer.h"
#include "driver/rpc/packet.h"

/* PREPARE starts a nimbus and FINISH waits for the migration's end:
 * seconds each, never minutes, so a stuck peer fails the migration. */
#define DRV_PEER_TIMEOUT_S 120

struct DrvMigratePeer {
    int fd;
    char *uri;
    uint32_t serial;
};

static bool
drv_migrate_peer_io_error(DrvMigratePeer *peer, const char *what, int err,
                          GError **error)
{
    g_set_error(error, DRV_ERROR, DRV_ERROR_RPC,
                "destination '%s': cannot %s: %s", peer->uri, what,
                err ? g_strerror(err) : "connection closed");
    return false;
}

/* Reads exactly @len bytes (the socket has a receive timeout). */
static bool
drv_migrate_peer_read(DrvMigratePeer *peer, void *buf, size_t len,
                      GError **error)
{
    ssize_t n = fd_read_full(peer->fd, buf, len);

    if (n < 0)
        return drv_migrate_peer_io_error(peer, "read the reply", (int)-n,
                                         error);
    if ((size_t)n != len)
        return drv_migrate_peer_io_error(peer, "read the reply", 0, error);
    return true;
}

/* The peer's remote_error as a GError carrying its code unchanged. */
static void
drv_migrate_peer_set_remote_error(DrvMigratePeer *peer, const RpcPacket *pkt,
                                  GError **error)
{
    remote_error err;
    g_autoptr(GError) local = NULL;

    memset(&err, 0, sizeof(err));
    if (!rpc_payload_decode(pkt->payload, pkt->payload_len,
                            (xdrproc_t)xdr_remote_error, &err, &local)) {
        g_set_error(error, DRV_ERROR, DRV_ERROR_RPC,
                    "destination '%s': undecodable error reply: %s",
                    peer->uri, local->message);
        return;
    }
    g_set_error(error, DRV_RELAYED_ERROR,
                DRV_RELAYED_CODE(err.domain, err.code),
                "destination '%s': %s", peer->uri,
                err.message && *err.message ? *err.message : "unknown error");
    xdr_free((xdrproc_t)xdr_remote_error, (char *)&err);
}

bool
drv_migrate_peer_call(DrvMigratePeer *peer, int proc, xdrproc_t args_filter,
                      void *args, xdrproc_t ret_filter, void *ret,
                      GError **error)
{
    RpcHeader hdr = {
        .prog = REMOTE_PROGRAM,
        .vers = REMOTE_PROTOCOL_VERSION,
        .proc = proc,
        .type = RPC_TYPE_CALL,
        .serial = ++peer->serial,
        .status = RPC_STATUS_OK,
    };
    g_autoptr(GBytes) out = rpc_packet_encode(&hdr, args_filter, args, error);
    gsize out_len = 0;
    const void *out_data;
    int r;

    if (!out)
        return false;
    out_data = g_bytes_get_data(out, &out_len);
    r = fd_write_all(peer->fd, out_data, out_len);
    if (r < 0)
        return drv_migrate_peer_io_error(peer, "send the call", -r, error);
    /* The peer may send other packets first (none is asked for: no
     * keepalive, no events); only our reply counts. */
    for (;;) {
        uint8_t word[RPC_LEN_SIZE];
        g_autofree uint8_t *frame = NULL;
        uint32_t total = 0;
        RpcPacket pkt;

        if (!drv_migrate_peer_read(peer, word, sizeof(word), error) ||
            !rpc_frame_length(word, &total, error))
            return false;
        frame = g_malloc(total);
        memcpy(frame, word, RPC_LEN_SIZE);
        if (!drv_migrate_peer_read(peer, frame + RPC_LEN_SIZE,
                                   total - RPC_LEN_SIZE, error) ||
            !rpc_packet_parse(frame, total, &pkt, error))
            return false;
        if (pkt.hdr.prog != REMOTE_PROGRAM || pkt.hdr.type != RPC_TYPE_REPLY ||
            pkt.hdr.serial != hdr.serial)
            continue;
        if (pkt.hdr.proc != proc) {
            g_set_error(error, DRV_ERROR, DRV_ERROR_RPC,
                        "destination '%s': reply to procedure %d for call %d",
                        peer->uri, pkt.hdr.proc, proc);
            return false;
        }
        if (pkt.hdr.status == RPC_STATUS_ERROR) {
            drv_migrate_peer_set_remote_error(peer, &pkt, error);
            return false;
        }
        if (pkt.hdr.status != RPC_STATUS_OK) {
            g_set_error(error, DRV_ERROR, DRV_ERROR_RPC,
                        "destination '%s': unexpected reply status %u",
                        peer->uri, pkt.hdr.status);
            return false;
        }
        if (!ret_filter) {
            if (pkt.payload_len == 0)
                return true;
            g_set_error(error, DRV_ERROR, DRV_ERROR_RPC,
                        "destination '%s': unexpected payload in a void reply",
                        peer->uri);
            return false;
        }
        return rpc_payload_decode(pkt.payload, pkt.payload_len, ret_filter,
                                  ret, error);
    }
}

DrvMigratePeer *
drv_migrate_peer_open(const char *uri, GError **error)
{
    g_autofree char *sock = NULL;
    g_autofree char *name = NULL;
    struct sockaddr_un addr = { .sun_family = AF_UNIX };
    struct timeval tv = { .tv_sec = DRV_PEER_TIMEOUT_S };
    remote_connect_open_args args;
    DrvMigratePeer *peer;

    if (!drv_migrate_peer_socket(uri, &sock, &name, error))
        return NULL;
    if (strlen(sock) >= sizeof(addr.sun_path)) {
        g_set_error(error, DRV_ERROR, DRV_ERROR_INVALID_ARG,
                    "destination socket path '%s' is too long", sock);
        return NULL;
    }
    strcpy(addr.sun_path, sock);
    peer = g_new0(DrvMigratePeer, 1);
    peer->uri = g_strdup(uri);
    peer->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (peer->fd < 0 ||
        setsockopt(peer->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) < 0 ||
        setsockopt(peer->fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) < 0 ||
        connect(peer->fd, (struct sockaddr *)&addr, sizeof(addr)) < 0) {
        g_set_error(error, DRV_ERROR, DRV_ERROR_NO_CONNECT,
                    "cannot connect to the destination '%s' at '%s': %s",
                    uri, sock, g_strerror(errno));
        drv_migrate_peer_close(peer);
        return NULL;
    }
    /* flags 0: read-write, as migration needs. */
    args.name = &name;
    args.flags = 0;
    if (!drv_migrate_peer_call(peer, REMOTE_PROC_CONNECT_OPEN,
                               (xdrproc_t)xdr_remote_connect_open_args, &args,
                               NULL, NULL, error)) {
        drv_migrate_peer_close(peer);
        return NULL;
    }
    return peer;
}

void
drv_migrate_peer_close(DrvMigratePeer *peer)
{
    g_autoptr(GError) ignored = NULL;

    if (!peer)
        return;
    /* Polite, not required: the peer cleans up on EOF too. */
    if (peer->fd >= 0 && peer->serial > 0)
        drv_migrate_peer_call(peer, REMOTE_PROC_CONNECT_CLOSE, NULL, NULL,
                              NULL, NULL, &ignored);
    if (peer->fd >= 0)
        fd_close(peer->fd);
    g_free(peer->uri);
    g_free(peer);
}
