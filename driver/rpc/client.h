/* SPDX-License-Identifier: Apache-2.0 */
/* One connected libvirt client: socket I/O, outgoing queue, connection state. */
#pragma once

#include <stdbool.h>
#include <sys/types.h>
#include <glib.h>

#include "driver/rpc/program.h"

/*
 * Threads: socket reads, writes and stream packets run on the main thread;
 * worker threads answer calls through rpc_client_send(), which only appends
 * to the locked outgoing queue and wakes the main loop.  A client stays
 * allocated while a worker holds a reference, even after it closed.
 */

RpcClient *rpc_client_ref(RpcClient *client);
void rpc_client_unref(RpcClient *client);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(RpcClient, rpc_client_unref)

/**
 * rpc_client_send:
 * Queues a whole packet (any thread).  Returns false when the client is
 * closed (or closing because its queue overflowed); the packet is dropped.
 */
bool rpc_client_send(RpcClient *client, GBytes *packet);

/* Closes the connection (any thread; done on the main thread). */
void rpc_client_close(RpcClient *client);
bool rpc_client_is_closed(RpcClient *client);

/* Peer credentials (SO_PEERCRED), read at accept. */
uid_t rpc_client_get_uid(RpcClient *client);
pid_t rpc_client_get_pid(RpcClient *client);
/* The socket only allows reading (the -ro socket) or CONNECT_OPEN asked
 * for it. */
bool rpc_client_is_readonly(RpcClient *client);

/* CONNECT_OPEN done: later calls are allowed; @readonly can only add the
 * restriction, never lift the socket's. */
void rpc_client_set_open(RpcClient *client, bool readonly);
bool rpc_client_is_open(RpcClient *client);

/* Program data attached to the client (e.g. its event callbacks); freed
 * with @destroy when the last reference goes. */
void rpc_client_set_data(RpcClient *client, gpointer data, GDestroyNotify destroy);
gpointer rpc_client_get_data(RpcClient *client);
