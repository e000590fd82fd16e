/* SPDX-License-Identifier: Apache-2.0 */
/* Frame dispatch: calls to the worker pool, keepalive, streams, protocol errors. */
#include <config.h>

#include <string.h>
#include <gio/gio.h>

#include "driver/rpc/rpc-priv.h"

const RpcProcedure *
rpc_program_lookup(const RpcProgram *program, int32_t proc)
{
    size_t lo = 0, hi = program->n_procs;

    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int32_t p = program->procs[mid].proc;

        if (p == proc)
            return &program->procs[mid];
        if (p < proc)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}

RpcClient *
rpc_call_get_client(RpcCall *call)
{
    return call->client;
}

const RpcHeader *
rpc_call_get_header(RpcCall *call)
{
    return &call->hdr;
}

gpointer
rpc_call_get_program_data(RpcCall *call)
{
    return call->client->server->program_data;
}

void
rpc_call_free(RpcCall *call)
{
    if (!call)
        return;
    g_clear_pointer(&call->client, rpc_client_unref);
    g_free(call->payload);
    g_free(call);
}

/* Answers @hdr with an error built from @err. */
static void
rpc_reply_error(RpcClient *client, const RpcHeader *hdr, const GError *err)
{
    RpcHeader h = *hdr;
    g_autoptr(GBytes) pkt = NULL;

    h.type = RPC_TYPE_REPLY;
    pkt = rpc_packet_encode_error(&h, err);
    rpc_client_send(client, pkt);
}

/* Decodes the arguments, runs the handler and queues the reply. */
static void
rpc_call_run(RpcCall *call)
{
    const RpcProcedure *p = call->proc;
    g_autoptr(GError) error = NULL;
    g_autofree void *args = p->args_size ? g_malloc0(p->args_size) : NULL;
    g_autofree void *ret = p->ret_size ? g_malloc0(p->ret_size) : NULL;
    g_autoptr(GBytes) pkt = NULL;
    RpcHeader h = call->hdr;
    bool args_ok;

    if (p->args_filter) {
        args_ok = rpc_payload_decode(call->payload, call->payload_len,
                                     p->args_filter, args, &error);
    } else {
        args_ok = call->payload_len == 0;
        if (!args_ok)
            g_set_error(&error, DRV_ERROR, DRV_ERROR_RPC,
                        "%s takes no arguments, got %zu bytes", p->api,
                        call->payload_len);
    }
    if (args_ok && p->handler(call, args, ret, &error)) {
        h.type = RPC_TYPE_REPLY;
        h.status = RPC_STATUS_OK;
        pkt = rpc_packet_encode(&h, p->ret_filter, ret, &error);
    }
    if (args_ok && p->ret_filter)
        xdr_free(p->ret_filter, ret);
    if (args_ok && p->args_filter)
        xdr_free(p->args_filter, args);
    if (pkt)
        rpc_client_send(call->client, pkt);
    else
        rpc_reply_error(call->client, &call->hdr, error);
}

void
rpc_dispatch_worker(gpointer data, gpointer server)
{
    RpcCall *call = data;

    rpc_call_run(call);
    rpc_client_call_done(call->client);
    rpc_call_free(call);
}

/* Access checks done before a call is queued (main thread). */
static bool
rpc_call_check(RpcClient *client, const RpcProcedure *p, GError **error)
{
    if (!(p->flags & RPC_PROC_BEFORE_OPEN) && !rpc_client_is_open(client)) {
        g_set_error(error, DRV_ERROR, DRV_ERROR_INTERNAL_ERROR,
                    "connection not open");
        return false;
    }
    if ((p->flags & RPC_PROC_WRITE) && rpc_client_is_readonly(client)) {
        g_set_error(error, DRV_ERROR, DRV_ERROR_OPERATION_DENIED,
                    "read only access prevents %s", p->api);
        return false;
    }
    return true;
}

static void
rpc_dispatch_call(RpcClient *client, const RpcPacket *pkt)
{
    RpcServer *server = client->server;
    const RpcProgram *program = server->program;
    const RpcProcedure *p = rpc_program_lookup(program, pkt->hdr.proc);
    g_autoptr(GError) error = NULL;
    RpcCall *call;

    if (!p) {
        /* Every procedure we lack answers VIR_ERR_NO_SUPPORT, known to the
         * protocol or not: virt-manager and nova treat exactly this code
         * as "not supported" (reference §1.3, §6 rule 2). */
        const char *name = program->unsupported_name ?
            program->unsupported_name(pkt->hdr.proc) : NULL;

        if (name)
            g_set_error_literal(&error, DRV_ERROR, DRV_ERROR_NO_SUPPORT, name);
        else
            g_set_error(&error, DRV_ERROR, DRV_ERROR_NO_SUPPORT,
                        "remote procedure %d", pkt->hdr.proc);
        rpc_reply_error(client, &pkt->hdr, error);
        return;
    }
    if (!rpc_call_check(client, p, &error)) {
        rpc_reply_error(client, &pkt->hdr, error);
        return;
    }

    call = g_new0(RpcCall, 1);
    call->client = rpc_client_ref(client);
    call->hdr = pkt->hdr;
    call->proc = p;
    call->payload = g_memdup2(pkt->payload, pkt->payload_len);
    call->payload_len = pkt->payload_len;
    if (p->flags & RPC_PROC_MAIN_THREAD) {
        rpc_call_run(call);
        rpc_call_free(call);
        return;
    }
    g_mutex_lock(&client->lock);
    client->calls++;
    g_mutex_unlock(&client->lock);
    g_thread_pool_push(server->workers, call, NULL);
}

/* Returns false when the client must be disconnected. */
static bool
rpc_dispatch_keepalive(RpcClient *client, const RpcPacket *pkt)
{
    RpcHeader pong = {
        .prog = KEEPALIVE_PROGRAM,
        .vers = KEEPALIVE_PROTOCOL_VERSION,
        .proc = KEEPALIVE_PROC_PONG,
        .type = RPC_TYPE_MESSAGE,
        .serial = 0,
        .status = RPC_STATUS_OK,
    };
    g_autoptr(GBytes) out = NULL;

    /* PING and PONG are MESSAGEs with serial 0 and no payload (§1.4).
     * We never ping first, so a PONG needs nothing. */
    if (pkt->hdr.proc != KEEPALIVE_PROC_PING)
        return true;
    /* Anyone can connect to the -ro socket: a stream of PINGs from a peer
     * that never opens a connection is a flood, not a client. */
    if (!rpc_client_is_open(client) &&
        ++client->pings_before_open > RPC_CLIENT_MAX_PINGS_BEFORE_OPEN) {
        g_message("client pid %d: more than %u keepalive PINGs before CONNECT_OPEN; disconnecting",
                  (int)client->pid, RPC_CLIENT_MAX_PINGS_BEFORE_OPEN);
        return false;
    }
    out = rpc_packet_encode_raw(&pong, NULL, 0);
    return rpc_client_send(client, out);
}

bool
rpc_dispatch_frame(RpcClient *client, const uint8_t *frame, size_t len)
{
    const RpcProgram *program = client->server->program;
    g_autoptr(GError) error = NULL;
    RpcPacket pkt;

    if (!rpc_packet_parse(frame, len, &pkt, &error)) {
        g_message("client pid %d: %s", (int)client->pid, error->message);
        return false;
    }

    if (pkt.hdr.prog == KEEPALIVE_PROGRAM) {
        if (pkt.hdr.vers != KEEPALIVE_PROTOCOL_VERSION ||
            pkt.hdr.type != RPC_TYPE_MESSAGE) {
            g_message("client pid %d: bad keepalive packet (version %u, type %u)",
                      (int)client->pid, pkt.hdr.vers, pkt.hdr.type);
            return false;
        }
        return rpc_dispatch_keepalive(client, &pkt);
    }

    switch (pkt.hdr.type) {
    case RPC_TYPE_CALL:
    case RPC_TYPE_CALL_WITH_FDS:
        if (pkt.hdr.prog != program->prog || pkt.hdr.vers != program->vers) {
            /* Answer, so that a client probing for QEMU/LXC programs gets an
             * error instead of a hang; the framing is still intact. */
            g_set_error(&error, DRV_ERROR, DRV_ERROR_RPC,
                        "cannot find program %d version %d",
                        (int)pkt.hdr.prog, (int)pkt.hdr.vers);
            rpc_reply_error(client, &pkt.hdr, error);
            return true;
        }
        if (pkt.hdr.status != RPC_STATUS_OK) {
            g_message("client pid %d: call with status %u", (int)client->pid,
                      pkt.hdr.status);
            return false;
        }
        if (pkt.hdr.type == RPC_TYPE_CALL_WITH_FDS) {
            /* No procedure we serve takes fds (only *_WITH_FILES and
             * OPEN_GRAPHICS_FD do); the fds themselves never arrive since
             * we do not read ancillary data. */
            g_set_error(&error, DRV_ERROR, DRV_ERROR_NO_SUPPORT,
                        "passing file descriptors (procedure %d)",
                        pkt.hdr.proc);
            rpc_reply_error(client, &pkt.hdr, error);
            return true;
        }
        rpc_dispatch_call(client, &pkt);
        return true;
    case RPC_TYPE_STREAM:
        if (pkt.hdr.prog != program->prog || pkt.hdr.vers != program->vers)
            return false;
        rpc_stream_dispatch(client, &pkt);
        return true;
    case RPC_TYPE_STREAM_HOLE:
        /* Only sparse volume streams use holes; no stream of ours does.
         * libvirtd ignores packets of streams it does not know. */
        return true;
    default:
        /* REPLY/MESSAGE from a client, or an unknown type: the peer does
         * not speak the protocol. */
        g_message("client pid %d: unexpected packet type %u", (int)client->pid,
                  pkt.hdr.type);
        return false;
    }
}
