/* SPDX-License-Identifier: Apache-2.0 */
/* DrvMigratePeer: the source nimbusd's RPC connection to the destination nimbusd. */
#pragma once

#include <stdbool.h>
#include <glib.h>
#include <rpc/rpc.h>

/*
 * Peer-to-peer migration has the source daemon call PREPARE3_PARAMS and
 * FINISH3_PARAMS on the destination daemon.  libvirt's client library has
 * no public call for those (virDomainMigrate3 would drive the source
 * daemon again), so nimbusd speaks the remote protocol itself: a
 * synchronous client over one UNIX socket, using the same packet codec and
 * rpcgen code as the server (docs/architecture.md).  One caller at a time.
 */
typedef struct DrvMigratePeer DrvMigratePeer;

/**
 * drv_migrate_peer_open:
 * Connects to the daemon of @uri (drv_migrate_peer_socket()) and opens
 * the connection (CONNECT_OPEN).  Returns: (transfer full) or NULL.
 */
DrvMigratePeer *drv_migrate_peer_open(const char *uri, GError **error);

/* Closes the connection (CONNECT_CLOSE, best effort) and frees @peer. */
void drv_migrate_peer_close(DrvMigratePeer *peer);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(DrvMigratePeer, drv_migrate_peer_close)

/**
 * drv_migrate_peer_call:
 * Calls REMOTE procedure @proc with @args (encoded with @args_filter, or
 * no payload when NULL) and decodes the reply into @ret with @ret_filter
 * (free it with xdr_free()).  An error reply becomes @error with the
 * peer's libvirt code and message (DRV_RELAYED_ERROR).
 */
bool drv_migrate_peer_call(DrvMigratePeer *peer, int proc,
                           xdrproc_t args_filter, void *args,
                           xdrproc_t ret_filter, void *ret, GError **error);
