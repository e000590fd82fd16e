/* SPDX-License-Identifier: Apache-2.0 */
/* libvirt RPC packets: length word, 24-byte header, XDR payload encode/decode. */
#include <config.h>

#include <string.h>
#include <gio/gio.h>

#include "driver/rpc/packet.h"
#include "driver/rpc/rpc-error.h"

static uint32_t
rpc_get_be32(const uint8_t *p)
{
    return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) |
           ((uint32_t)p[2] << 8) | (uint32_t)p[3];
}

static void
rpc_put_be32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

/* The length is checked before anything is allocated for the frame: a
 * hostile length word must not make us reserve 4 GiB. */
bool
rpc_frame_length(const uint8_t word[RPC_LEN_SIZE], uint32_t *total_len,
                 GError **error)
{
    uint32_t len = rpc_get_be32(word);

    if (len < RPC_PACKET_MIN) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                    "packet length %u is shorter than a header (%u)", len,
                    RPC_PACKET_MIN);
        return false;
    }
    if (len > RPC_PACKET_MAX) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                    "packet length %u exceeds the maximum %u", len,
                    RPC_PACKET_MAX);
        return false;
    }
    *total_len = len;
    return true;
}

bool
rpc_packet_parse(const uint8_t *frame, size_t len, RpcPacket *pkt,
                 GError **error)
{
    uint32_t total;
    const uint8_t *h;

    if (len < RPC_LEN_SIZE) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                    "packet of %zu bytes has no length word", len);
        return false;
    }
    if (!rpc_frame_length(frame, &total, error))
        return false;
    if (total != len) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                    "packet length word says %u bytes, got %zu", total, len);
        return false;
    }
    h = frame + RPC_LEN_SIZE;
    pkt->hdr.prog = rpc_get_be32(h);
    pkt->hdr.vers = rpc_get_be32(h + 4);
    pkt->hdr.proc = (int32_t)rpc_get_be32(h + 8);
    pkt->hdr.type = rpc_get_be32(h + 12);
    pkt->hdr.serial = rpc_get_be32(h + 16);
    pkt->hdr.status = rpc_get_be32(h + 20);
    pkt->payload = frame + RPC_PACKET_MIN;
    pkt->payload_len = len - RPC_PACKET_MIN;
    return true;
}

bool
rpc_payload_decode(const uint8_t *data, size_t len, xdrproc_t filter,
                   void *out, GError **error)
{
    XDR xdr;
    bool ok;
    u_int pos;

    /* xdrmem never writes in DECODE mode; the cast drops const only. */
    xdrmem_create(&xdr, (char *)data, (u_int)len, XDR_DECODE);
    ok = filter(&xdr, out);
    pos = xdr_getpos(&xdr);
    xdr_destroy(&xdr);
    if (ok && pos != len) {
        g_set_error(error, DRV_ERROR, DRV_ERROR_RPC,
                    "%zu unexpected bytes after the arguments", len - pos);
        xdr_free(filter, out);
        return false;
    }
    if (!ok) {
        g_set_error_literal(error, DRV_ERROR, DRV_ERROR_RPC,
                            "unable to decode message payload");
        /* A partial decode may have allocated members: xdr_free releases
         * what was set and leaves the rest NULL. */
        xdr_free(filter, out);
        return false;
    }
    return true;
}

static void
rpc_header_write(uint8_t *p, const RpcHeader *hdr, uint32_t total)
{
    rpc_put_be32(p, total);
    rpc_put_be32(p + 4, hdr->prog);
    rpc_put_be32(p + 8, hdr->vers);
    rpc_put_be32(p + 12, (uint32_t)hdr->proc);
    rpc_put_be32(p + 16, hdr->type);
    rpc_put_be32(p + 20, hdr->serial);
    rpc_put_be32(p + 24, hdr->status);
}

GBytes *
rpc_packet_encode(const RpcHeader *hdr, xdrproc_t filter, void *body,
                  GError **error)
{
    /* Size first, then one exact allocation: replies up to 32 MiB (a large
     * capabilities XML) never go through a growing buffer. */
    u_long body_len = filter ? xdr_sizeof(filter, body) : 0;
    uint8_t *buf;
    XDR xdr;
    bool ok;

    if (body_len > RPC_PACKET_MAX - RPC_PACKET_MIN) {
        g_set_error(error, DRV_ERROR, DRV_ERROR_RPC,
                    "reply of %lu bytes exceeds the maximum packet size",
                    body_len);
        return NULL;
    }
    buf = g_malloc0(RPC_PACKET_MIN + body_len);
    rpc_header_write(buf, hdr, (uint32_t)(RPC_PACKET_MIN + body_len));
    if (filter) {
        xdrmem_create(&xdr, (char *)buf + RPC_PACKET_MIN, (u_int)body_len,
                      XDR_ENCODE);
        ok = filter(&xdr, body);
        xdr_destroy(&xdr);
        if (!ok) {
            /* xdr_sizeof() does not check limits; encoding does (e.g. a
             * string longer than REMOTE_STRING_MAX). */
            g_free(buf);
            g_set_error_literal(error, DRV_ERROR, DRV_ERROR_RPC,
                                "unable to encode message payload");
            return NULL;
        }
    }
    return g_bytes_new_take(buf, RPC_PACKET_MIN + body_len);
}

GBytes *
rpc_packet_encode_raw(const RpcHeader *hdr, const void *data, size_t len)
{
    uint8_t *buf;

    g_assert(len <= RPC_PACKET_MAX - RPC_PACKET_MIN);
    buf = g_malloc(RPC_PACKET_MIN + len);
    rpc_header_write(buf, hdr, (uint32_t)(RPC_PACKET_MIN + len));
    if (len)
        memcpy(buf + RPC_PACKET_MIN, data, len);
    return g_bytes_new_take(buf, RPC_PACKET_MIN + len);
}

GBytes *
rpc_packet_encode_error(const RpcHeader *hdr, const GError *err)
{
    RpcHeader h = *hdr;
    remote_error rerr = { 0 };
    g_autofree char *message = NULL;
    GBytes *pkt;

    rpc_error_fields(err, &rerr.code, &rerr.domain, &message);
    /* Messages are bounded by REMOTE_STRING_MAX; a longer one (an echo of
     * a huge input) is cut rather than turned into an encoding failure. */
    if (strlen(message) > 65536)
        message[65536] = '\0';
    rerr.message = &message;
    rerr.level = 2;     /* VIR_ERR_ERROR */
    h.status = RPC_STATUS_ERROR;
    pkt = rpc_packet_encode(&h, (xdrproc_t)xdr_remote_error, &rerr, NULL);
    g_assert(pkt);      /* bounded fields: encoding cannot fail */
    return pkt;
}
