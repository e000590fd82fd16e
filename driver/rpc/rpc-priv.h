/* SPDX-License-Identifier: Apache-2.0 */
/* Internals shared by the RPC server, client, dispatch and stream code. */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <glib.h>

#include "driver/drv-error.h"
#include "driver/rpc/client.h"
#include "driver/rpc/packet.h"
#include "driver/rpc/server.h"
#include "driver/rpc/stream.h"

struct RpcServer {
    const RpcProgram *program;          /* immutable */
    gpointer program_data;              /* immutable */
    GThreadPool *workers;               /* immutable until shutdown */
    GMainContext *context;              /* the main thread's (immutable) */
    GPtrArray *listeners;               /* RpcListener*, main thread only */
    GMutex lock;
    GPtrArray *clients;                 /* RpcClient* (ref), lock */
    unsigned int n_ro_clients;          /* lock: clients of -ro sockets */
    bool shutting_down;                 /* lock */
};

struct RpcClient {
    gint ref;                           /* atomic */
    RpcServer *server;                  /* immutable; outlives clients */
    int fd;                             /* immutable until close (main thread) */
    uid_t uid;                          /* immutable */
    pid_t pid;                          /* immutable */
    bool ro_socket;                     /* immutable: accepted on the -ro socket */

    /* Main thread only. */
    GSource *source;
    gpointer fd_tag;
    GIOCondition polled;                /* what fd_tag is polled for now */
    unsigned int pings_before_open;     /* keepalive PINGs before CONNECT_OPEN */
    uint8_t len_buf[RPC_LEN_SIZE];
    size_t len_got;
    uint8_t *rx_buf;                    /* whole frame, length word included */
    size_t rx_len;
    size_t rx_got;
    GHashTable *streams;                /* serial -> RpcStream* */

    /* Protected by lock. */
    GMutex lock;
    GQueue tx;                          /* GBytes* packets */
    size_t tx_off;                      /* bytes of the head already sent */
    size_t tx_bytes;                    /* cost of the queue (see rpc_client_send) */
    unsigned int tx_packets;            /* packets queued */
    bool closing;                       /* close asked for; the source closes it */
    bool closed;                        /* no more I/O; set once */
    bool open;                          /* CONNECT_OPEN succeeded */
    bool readonly;
    unsigned int calls;                 /* calls queued or running */

    gpointer data;                      /* program data, see rpc_client_set_data */
    GDestroyNotify data_destroy;
};

struct RpcCall {
    RpcClient *client;                  /* ref */
    RpcHeader hdr;
    const RpcProcedure *proc;
    uint8_t *payload;                   /* owned copy of the arguments */
    size_t payload_len;
};

/* client.c */
RpcClient *rpc_client_new(RpcServer *server, int fd, bool readonly,
                          uid_t uid, pid_t pid);
/* Closes on the main thread: removes the source, closes the fd, closes
 * streams, tells the program.  Idempotent. */
void rpc_client_close_now(RpcClient *client);
/* A call finished: lets reading resume (any thread). */
void rpc_client_call_done(RpcClient *client);
size_t rpc_client_tx_pending(RpcClient *client);

/* dispatch.c: one complete frame from @client (main thread).  Returns false
 * when the connection must be closed. */
bool rpc_dispatch_frame(RpcClient *client, const uint8_t *frame, size_t len);
/* The worker-pool function. */
void rpc_dispatch_worker(gpointer call, gpointer server);
void rpc_call_free(RpcCall *call);

/* stream.c */
/* A STREAM packet from the client (main thread). */
void rpc_stream_dispatch(RpcClient *client, const RpcPacket *pkt);
/* Closes every stream of a client that went away. */
void rpc_stream_close_all(RpcClient *client);

/* server.c */
void rpc_server_remove_client(RpcServer *server, RpcClient *client);
