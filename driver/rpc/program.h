/* SPDX-License-Identifier: Apache-2.0 */
/* The procedure table a program (REMOTE) hands to the RPC server. */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <glib.h>
#include <rpc/rpc.h>

#include "driver/rpc/packet.h"

typedef struct RpcClient RpcClient;
typedef struct RpcCall RpcCall;

/*
 * A handler decodes nothing itself: the server decodes @args with
 * args_filter and encodes @ret with ret_filter.  Both are zeroed
 * buffers of args_size/ret_size bytes, released with xdr_free() after the
 * reply is sent, so a handler allocates ret members with g_malloc/g_strdup
 * (glibc's free() releases them; tirpc uses malloc/free underneath).
 * A handler returns false with @error set to answer with remote_error.
 */
typedef bool (*RpcHandler)(RpcCall *call, void *args, void *ret,
                           GError **error);

/* Allowed before CONNECT_OPEN (AUTH_LIST, SUPPORTS_FEATURE, OPEN). */
#define RPC_PROC_BEFORE_OPEN (1u << 0)
/* Changes state: refused with VIR_ERR_OPERATION_DENIED on read-only
 * connections (the -ro socket, or CONNECT_OPEN with flag bit 0). */
#define RPC_PROC_WRITE       (1u << 1)
/* Runs on the main thread, before any later packet of the connection is
 * read: for cheap calls that must order with stream packets (opening a
 * stream registers it before the reply leaves). Never blocks. */
#define RPC_PROC_MAIN_THREAD (1u << 2)

typedef struct {
    int32_t proc;
    const char *api;            /* libvirt API name, for error messages */
    xdrproc_t args_filter;      /* NULL: no arguments */
    size_t args_size;
    xdrproc_t ret_filter;       /* NULL: void reply */
    size_t ret_size;
    RpcHandler handler;
    unsigned int flags;         /* RPC_PROC_* */
} RpcProcedure;

typedef struct {
    uint32_t prog;
    uint32_t vers;
    const RpcProcedure *procs;  /* sorted by proc number */
    size_t n_procs;
    /* Name of a procedure the table lacks ("virDomainXxx"), for the
     * NO_SUPPORT message; may return NULL. */
    const char *(*unsupported_name)(int32_t proc);
    /* Per-client data created at accept (main thread) and freed with
     * the client (rpc_client_get_data). Optional. */
    gpointer (*client_data_new)(RpcClient *client, gpointer program_data);
    GDestroyNotify client_data_free;
    /* Called on the main thread once a client is gone (its event
     * callbacks and streams must be dropped). Optional. */
    void (*client_closed)(RpcClient *client, gpointer program_data);
} RpcProgram;

/* The procedure of @proc in @program, or NULL. */
const RpcProcedure *rpc_program_lookup(const RpcProgram *program, int32_t proc);

/* The client that made @call (transfer none; valid during the handler). */
RpcClient *rpc_call_get_client(RpcCall *call);
const RpcHeader *rpc_call_get_header(RpcCall *call);
/* The server's program_data (rpc_server_new). */
gpointer rpc_call_get_program_data(RpcCall *call);
