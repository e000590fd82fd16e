/* SPDX-License-Identifier: Apache-2.0 */
/* RPC streams (console): STREAM packets that follow the call which opened them. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <glib.h>

#include "driver/rpc/client.h"

/*
 * Stream rules (reference §1.6, §6 rule 4): data in both directions is
 * STREAM+CONTINUE with the opening call's prog/proc/serial; server-side EOF
 * is an empty CONTINUE; the client finishes with STREAM OK (or aborts with
 * STREAM ERROR) and the server confirms with STREAM OK; a server-side
 * failure is STREAM ERROR + remote_error.  The server never sends an OK the
 * client did not ask for.  Packets for a stream already closed are ignored.
 *
 * Everything here runs on the main thread.
 */

typedef struct RpcStream RpcStream;

typedef struct {
    /* Client data (CONTINUE).  Returning false sends @error as STREAM
     * ERROR and closes the stream. */
    bool (*recv)(RpcStream *stream, const void *data, size_t len,
                 gpointer opaque, GError **error);
    /* The stream is closed (finished, aborted, failed, or the client went
     * away): release the backing resource.  Called exactly once. */
    void (*closed)(RpcStream *stream, gpointer opaque);
} RpcStreamOps;

/**
 * rpc_stream_open:
 * Registers a stream for the call @call on its client; the caller then
 * replies to the call normally (the reply goes out before any data).
 * @opaque is freed with @destroy after ops->closed.
 * Returns: (transfer none): the stream, owned by the client.
 */
RpcStream *rpc_stream_open(RpcCall *call, const RpcStreamOps *ops,
                           gpointer opaque, GDestroyNotify destroy);

/* Sends data; split into RPC_STREAM_CHUNK packets. */
void rpc_stream_send_data(RpcStream *stream, const void *data, size_t len);
/* Server-side end of data: an empty CONTINUE.  The stream stays
 * registered until the client's finish (or abort) arrives. */
void rpc_stream_send_eof(RpcStream *stream);
/* Fails the stream: STREAM ERROR + remote_error, then closes it. */
void rpc_stream_abort(RpcStream *stream, const GError *error);
/* Bytes queued to the client and not yet written: the backing source
 * should pause above a threshold. */
size_t rpc_stream_pending(RpcStream *stream);
