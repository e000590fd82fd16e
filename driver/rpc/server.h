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
/* A client whose unsent output would grow beyond this is disconnected (a
 * reader that stopped reading must not exhaust our memory).  Each packet
 * counts its size plus RPC_CLIENT_PACKET_COST, what queueing it costs in
 * heap (GBytes, the queue link, allocator headers: a 28-byte PONG took
 * about 140 bytes), and at most RPC_CLIENT_MAX_TX_PACKETS may wait: a
 * client that floods keepalive PINGs and never reads its PONGs is cut off
 * after a few thousand of them, not after 64 MiB of bookkeeping. */
#define RPC_CLIENT_MAX_TX (64u * 1024 * 1024)
#define RPC_CLIENT_PACKET_COST 128u
#define RPC_CLIENT_MAX_TX_PACKETS 4096u
/* Keepalive PINGs a client may send before CONNECT_OPEN: libvirt's client
 * starts keepalive only after opening, so more is a flood, not a client. */
#define RPC_CLIENT_MAX_PINGS_BEFORE_OPEN 16u
/* Connections beyond these are accepted and closed at once.  The -ro
 * socket (0666: any local user) and the read-write ones count apart, so
 * that unprivileged clients can never lock root out; root gets a reserve
 * on top, so that it can still connect when its own clients leaked. */
#define RPC_SERVER_MAX_CLIENTS 1024
#define RPC_SERVER_MAX_RO_CLIENTS 1024
#define RPC_SERVER_ROOT_RESERVE 32
/* Connections accepted per wake-up of a listener (a burst of connects
 * must not take one main-loop iteration each). */
#define RPC_SERVER_ACCEPT_BURST 64

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
