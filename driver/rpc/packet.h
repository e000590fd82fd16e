/* SPDX-License-Identifier: Apache-2.0 */
/* libvirt RPC packets: length word, 24-byte header, XDR payload encode/decode. */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <glib.h>
#include <rpc/rpc.h>

#include "driver/rpc/remote-gen.h"

/*
 * A packet is [u32 total_len][header][payload], big-endian, total_len
 * counting its own 4 bytes (reference §1.1).  Everything here is pure: no
 * sockets, so the frame decoder is unit-tested and fuzzed directly.
 */

#define RPC_LEN_SIZE 4u
#define RPC_HEADER_SIZE 24u
/* libvirt 9.0: the largest packet is 32 MiB, length word included. */
#define RPC_PACKET_MAX 33554432u
#define RPC_PACKET_MIN (RPC_LEN_SIZE + RPC_HEADER_SIZE)
/* Stream data is sent in chunks of at most the legacy payload size, which is
 * also what the client asks for per read (reference §1.1). */
#define RPC_STREAM_CHUNK 262120u

typedef enum {
    RPC_TYPE_CALL = 0,
    RPC_TYPE_REPLY = 1,
    RPC_TYPE_MESSAGE = 2,
    RPC_TYPE_STREAM = 3,
    RPC_TYPE_CALL_WITH_FDS = 4,
    RPC_TYPE_REPLY_WITH_FDS = 5,
    RPC_TYPE_STREAM_HOLE = 6,
} RpcType;

typedef enum {
    RPC_STATUS_OK = 0,
    RPC_STATUS_ERROR = 1,
    RPC_STATUS_CONTINUE = 2,
} RpcStatus;

typedef struct {
    uint32_t prog;
    uint32_t vers;
    int32_t proc;
    uint32_t type;     /* RpcType */
    uint32_t serial;
    uint32_t status;   /* RpcStatus */
} RpcHeader;

/* A received packet: header decoded, payload still XDR. */
typedef struct {
    RpcHeader hdr;
    const uint8_t *payload;   /* borrowed from the frame buffer */
    size_t payload_len;
} RpcPacket;

/**
 * rpc_frame_length:
 * Decodes and checks the length word.  Returns false (with G_IO_ERROR
 * INVALID_DATA) when the length is below the header size or above
 * RPC_PACKET_MAX; the connection must then be closed, since the stream can
 * no longer be resynchronised.
 */
bool rpc_frame_length(const uint8_t word[RPC_LEN_SIZE], uint32_t *total_len,
                      GError **error);

/**
 * rpc_packet_parse:
 * @frame: a whole packet, length word included
 * Checks the length word against @len and decodes the header.  Does not
 * interpret prog/type/status: the caller decides what to answer.
 */
bool rpc_packet_parse(const uint8_t *frame, size_t len, RpcPacket *pkt,
                      GError **error);

/**
 * rpc_payload_decode:
 * Decodes @len bytes of XDR into @out with @filter (an rpcgen xdr_* routine);
 * trailing bytes are an error.  On failure @out is freed and zeroed.
 * Free a success with xdr_free(@filter, @out).
 */
bool rpc_payload_decode(const uint8_t *data, size_t len, xdrproc_t filter,
                        void *out, GError **error);

/**
 * rpc_packet_encode:
 * Builds a packet: header plus @body encoded with @filter (no payload when
 * @filter is NULL).  Fails only when the result would exceed RPC_PACKET_MAX
 * or XDR refuses the value (e.g. a string over REMOTE_STRING_MAX).
 * Returns: (transfer full)
 */
GBytes *rpc_packet_encode(const RpcHeader *hdr, xdrproc_t filter, void *body,
                          GError **error);

/* A packet whose payload is raw bytes (stream data). (transfer full) */
GBytes *rpc_packet_encode_raw(const RpcHeader *hdr, const void *data, size_t len);

/**
 * rpc_packet_encode_error:
 * The REPLY (or STREAM) packet for @hdr carrying @err as remote_error:
 * type is kept from @hdr, status becomes ERROR.  See rpc-error.h for how
 * the GError maps to libvirt's code, domain and message.
 * Returns: (transfer full)
 */
GBytes *rpc_packet_encode_error(const RpcHeader *hdr, const GError *err);
