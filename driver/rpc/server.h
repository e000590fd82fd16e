/* SPDX-License-Identifier: Apache-2.0 */
/* The RPC server: UNIX listeners, clients, the worker pool. */
#pragma once

#include <stdbool.h>
#include <sys/types.h>
#include <glib.h>

#include "driver/rpc/client.h"
#include "driver/rpc/program.h"

typedef struct RpcServer RpcServer;

/* At most this many calls of one client run at once; reading from that
 * client pauses until one finishes (libvirt's max_client_requests idea). */
#define RPC_CLIENT_MAX_CALLS 16
/* A client whose unsent output grows beyond this is disconnected (a reader
 * that stopped reading must not exhaust our memory). */
#define RPC_CLIENT_MAX_TX (64u * 1024 * 1024)
/* Connections beyond this are accepted and closed at once. */
#define RPC_SERVER_MAX_CLIENTS 1024

/**
 * rpc_server_new:
 * @program: the procedure table (static)
 * @program_data: handed to handlers through rpc_call_get_program_data()
 * @max_workers: threads answering calls concurrently
 * Must be created on the thread that runs the default main context.
 */
RpcServer *rpc_server_new(const RpcProgram *program, gpointer program_data,
                          unsigned int max_workers, GError **error);

/**
 * rpc_server_listen_unix:
 * Binds @path with file mode @mode.  A stale socket file is replaced; one a
 * live server answers on is an error (G_IO_ERROR_ADDRESS_IN_USE).
 * Clients of a @readonly listener cannot call RPC_PROC_WRITE procedures.
 * Non-read-only listeners only accept peers running as root or as our uid.
 */
bool rpc_server_listen_unix(RpcServer *server, const char *path,
                            unsigned int mode, bool readonly, GError **error);

/* Connected clients right now. */
unsigned int rpc_server_n_clients(RpcServer *server);

/* Calls @fn for each open client while holding the client list lock
 * (any thread); @fn must not block. */
void rpc_server_foreach_client(RpcServer *server,
                               void (*fn)(RpcClient *client, gpointer data),
                               gpointer data);

/* Stops listening (socket files removed), closes every client, waits for
 * running calls.  Main thread. */
void rpc_server_shutdown(RpcServer *server);
void rpc_server_free(RpcServer *server);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(RpcServer, rpc_server_free)
