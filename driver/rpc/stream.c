/* SPDX-License-Identifier: Apache-2.0 */
/* RPC streams (console): STREAM packets that follow the call which opened them. */
#include <config.h>

#include <gio/gio.h>

#include "driver/rpc/rpc-priv.h"

struct RpcStream {
    RpcClient *client;          /* borrowed: the client owns its streams */
    RpcHeader hdr;              /* prog/vers/proc/serial of the opening call */
    const RpcStreamOps *ops;
    gpointer opaque;
    GDestroyNotify destroy;
    bool eof_sent;
};

/* Removes @stream from its client and releases it. */
static void
rpc_stream_close(RpcStream *stream)
{
    RpcClient *client = stream->client;

    g_hash_table_remove(client->streams, GUINT_TO_POINTER(stream->hdr.serial));
    if (stream->ops->closed)
        stream->ops->closed(stream, stream->opaque);
    if (stream->destroy)
        stream->destroy(stream->opaque);
    g_free(stream);
}

static void
rpc_stream_send_status(RpcStream *stream, RpcStatus status)
{
    RpcHeader h = stream->hdr;
    g_autoptr(GBytes) pkt = NULL;

    h.type = RPC_TYPE_STREAM;
    h.status = status;
    pkt = rpc_packet_encode_raw(&h, NULL, 0);
    rpc_client_send(stream->client, pkt);
}

RpcStream *
rpc_stream_open(RpcCall *call, const RpcStreamOps *ops, gpointer opaque,
                GDestroyNotify destroy)
{
    RpcClient *client = rpc_call_get_client(call);
    RpcStream *stream = g_new0(RpcStream, 1);
    RpcStream *old;

    stream->client = client;
    stream->hdr = *rpc_call_get_header(call);
    stream->ops = ops;
    stream->opaque = opaque;
    stream->destroy = destroy;
    /* Serials are unique per connection while the client plays by the
     * rules; a reused one replaces the old stream. */
    old = g_hash_table_lookup(client->streams,
                              GUINT_TO_POINTER(stream->hdr.serial));
    if (old)
        rpc_stream_close(old);
    g_hash_table_insert(client->streams, GUINT_TO_POINTER(stream->hdr.serial),
                        stream);
    return stream;
}

void
rpc_stream_send_data(RpcStream *stream, const void *data, size_t len)
{
    const uint8_t *p = data;
    RpcHeader h = stream->hdr;

    if (stream->eof_sent)
        return;
    h.type = RPC_TYPE_STREAM;
    h.status = RPC_STATUS_CONTINUE;
    /* An empty CONTINUE means EOF, so zero-length data sends nothing. */
    while (len > 0) {
        size_t n = MIN(len, RPC_STREAM_CHUNK);
        g_autoptr(GBytes) pkt = rpc_packet_encode_raw(&h, p, n);

        rpc_client_send(stream->client, pkt);
        p += n;
        len -= n;
    }
}

void
rpc_stream_send_eof(RpcStream *stream)
{
    if (stream->eof_sent)
        return;
    stream->eof_sent = true;
    rpc_stream_send_status(stream, RPC_STATUS_CONTINUE);
}

void
rpc_stream_abort(RpcStream *stream, const GError *error)
{
    RpcHeader h = stream->hdr;
    g_autoptr(GBytes) pkt = NULL;

    h.type = RPC_TYPE_STREAM;
    pkt = rpc_packet_encode_error(&h, error);
    rpc_client_send(stream->client, pkt);
    rpc_stream_close(stream);
}

size_t
rpc_stream_pending(RpcStream *stream)
{
    return rpc_client_tx_pending(stream->client);
}

void
rpc_stream_dispatch(RpcClient *client, const RpcPacket *pkt)
{
    RpcStream *stream = g_hash_table_lookup(client->streams,
                                            GUINT_TO_POINTER(pkt->hdr.serial));
    g_autoptr(GError) error = NULL;

    /* Packets of streams already closed (or never opened) are ignored,
     * as libvirtd does: a finish may cross our own abort on the wire. */
    if (!stream || stream->hdr.proc != pkt->hdr.proc)
        return;

    switch (pkt->hdr.status) {
    case RPC_STATUS_CONTINUE:
        if (pkt->payload_len == 0)
            return;     /* the client's EOF; its finish (OK) follows */
        if (!stream->ops->recv(stream, pkt->payload, pkt->payload_len,
                               stream->opaque, &error))
            rpc_stream_abort(stream, error);
        return;
    case RPC_STATUS_OK:
        /* The client finished: confirm with OK, then close. */
        rpc_stream_send_status(stream, RPC_STATUS_OK);
        rpc_stream_close(stream);
        return;
    case RPC_STATUS_ERROR:
    default:
        /* The client aborted (its remote_error payload, if any, carries no
         * information we need): confirm with OK, then close. */
        rpc_stream_send_status(stream, RPC_STATUS_OK);
        rpc_stream_close(stream);
        return;
    }
}

void
rpc_stream_close_all(RpcClient *client)
{
    GHashTableIter it;
    gpointer value;

    /* rpc_stream_close() removes from the table: restart after each. */
    for (;;) {
        g_hash_table_iter_init(&it, client->streams);
        if (!g_hash_table_iter_next(&it, NULL, &value))
            break;
        rpc_stream_close(value);
    }
}
