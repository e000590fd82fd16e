/* SPDX-License-Identifier: Apache-2.0 */
/* Network, storage pool and node device events: libvirtd's, to our clients. */
#include <config.h>

#include <string.h>

#include "driver/remote/remote-secondary.h"
#include "driver/rpc/client.h"

/*
 * libvirtd sends these events on nimbusd's own connection to it
 * (driver/forward.c registers for them when it connects); nimbusd relays
 * each to the clients that registered for it, as libvirtd relays its
 * drivers' events to its clients.  The registrations live in the
 * client's RemoteConn beside the domain ones, with event ids offset by
 * object kind so that no domain event ever matches them; an object filter
 * is kept as 16 bytes: the UUID of a network or pool, a digest of a node
 * device's name.
 */
enum {
    REMOTE_SEC_KIND_NETWORK = 0x100,
    REMOTE_SEC_KIND_POOL = 0x200,
    REMOTE_SEC_KIND_NODE_DEVICE = 0x300,
    REMOTE_SEC_KIND_MASK = 0xf00,
};

/* What registering for one kind's events needs to know. */
typedef struct {
    int kind;                   /* REMOTE_SEC_KIND_* */
    DrvForwardKind fwd_kind;    /* libvirtd's absence is named for it */
    int last;                   /* its event ids are 0 to last - 1 */
} RemoteSecEventKind;

/* libvirt 9.0's event ids of each kind: network LIFECYCLE; pool
 * LIFECYCLE, REFRESH; node device LIFECYCLE, UPDATE. */
static const RemoteSecEventKind remote_sec_network_events = {
    REMOTE_SEC_KIND_NETWORK, DRV_FORWARD_NETWORKS, 1,
};
static const RemoteSecEventKind remote_sec_pool_events = {
    REMOTE_SEC_KIND_POOL, DRV_FORWARD_STORAGE, 2,
};
static const RemoteSecEventKind remote_sec_node_device_events = {
    REMOTE_SEC_KIND_NODE_DEVICE, DRV_FORWARD_NODE_DEVICES, 2,
};

/* The filter key of a node device: its name's digest. */
static void
remote_sec_name_key(const char *name, unsigned char key[16])
{
    g_autoptr(GChecksum) sum = g_checksum_new(G_CHECKSUM_SHA256);
    guint8 digest[32];
    gsize len = sizeof(digest);

    g_checksum_update(sum, (const guchar *)name, -1);
    g_checksum_get_digest(sum, digest, &len);
    memcpy(key, digest, 16);
}

/* ---- delivery (main thread: libvirt's client event loop) ---------------- */

typedef struct {
    int event_id;               /* kind | libvirt's id */
    unsigned char key[16];      /* the object's filter key */
    int32_t proc;
    xdrproc_t filter;
    void *msg;                  /* its first member is the callbackID */
} RemoteSecEvent;

static void
remote_sec_send_client(RpcClient *client, gpointer data)
{
    const RemoteSecEvent *ev = data;
    RemoteConn *conn = rpc_client_get_data(client);
    RpcHeader hdr = {
        .prog = REMOTE_PROGRAM,
        .vers = REMOTE_PROTOCOL_VERSION,
        .type = RPC_TYPE_MESSAGE,
        .serial = 1,
        .status = RPC_STATUS_OK,
        .proc = ev->proc,
    };

    if (!conn)
        return;
    g_mutex_lock(&conn->lock);
    for (guint i = 0; i < conn->callbacks->len; i++) {
        const RemoteEventCallback *cb = &g_array_index(conn->callbacks,
                                                       RemoteEventCallback, i);
        g_autoptr(GBytes) pkt = NULL;

        if (cb->event_id != ev->event_id ||
            (cb->has_dom && memcmp(cb->uuid, ev->key, 16) != 0))
            continue;
        *(int *)ev->msg = cb->id;
        if ((pkt = rpc_packet_encode(&hdr, ev->filter, ev->msg, NULL)))
            rpc_client_send(client, pkt);
    }
    g_mutex_unlock(&conn->lock);
}

static void
remote_sec_emit(RemoteDaemon *daemon, RemoteSecEvent *ev)
{
    if (daemon->server)
        rpc_server_foreach_client(daemon->server, remote_sec_send_client, ev);
}

static void
remote_sec_network_event(virNetworkPtr net, int event, gpointer data)
{
    remote_sec_network_event_lifecycle_msg msg = {
        .net.name = (char *)virNetworkGetName(net),
        .event = event,
    };
    RemoteSecEvent ev = {
        .event_id = REMOTE_SEC_KIND_NETWORK | VIR_NETWORK_EVENT_ID_LIFECYCLE,
        .proc = REMOTE_PROC_NETWORK_EVENT_LIFECYCLE,
        .filter = (xdrproc_t)xdr_remote_sec_network_event_lifecycle_msg,
        .msg = &msg,
    };

    virNetworkGetUUID(net, (unsigned char *)msg.net.uuid);
    memcpy(ev.key, msg.net.uuid, 16);
    remote_sec_emit(data, &ev);
}

static void
remote_sec_pool_event(virStoragePoolPtr pool, int event, int detail,
                      gpointer data)
{
    remote_sec_pool_event_lifecycle_msg msg = {
        .pool.name = (char *)virStoragePoolGetName(pool),
        .event = event,
        .detail = detail,
    };
    RemoteSecEvent ev = {
        .event_id = REMOTE_SEC_KIND_POOL | VIR_STORAGE_POOL_EVENT_ID_LIFECYCLE,
        .proc = REMOTE_PROC_STORAGE_POOL_EVENT_LIFECYCLE,
        .filter = (xdrproc_t)xdr_remote_sec_pool_event_lifecycle_msg,
        .msg = &msg,
    };

    virStoragePoolGetUUID(pool, (unsigned char *)msg.pool.uuid);
    memcpy(ev.key, msg.pool.uuid, 16);
    remote_sec_emit(data, &ev);
}

static void
remote_sec_pool_refresh(virStoragePoolPtr pool, gpointer data)
{
    remote_sec_pool_event_refresh_msg msg = {
        .pool.name = (char *)virStoragePoolGetName(pool),
    };
    RemoteSecEvent ev = {
        .event_id = REMOTE_SEC_KIND_POOL | VIR_STORAGE_POOL_EVENT_ID_REFRESH,
        .proc = REMOTE_PROC_STORAGE_POOL_EVENT_REFRESH,
        .filter = (xdrproc_t)xdr_remote_sec_pool_event_refresh_msg,
        .msg = &msg,
    };

    virStoragePoolGetUUID(pool, (unsigned char *)msg.pool.uuid);
    memcpy(ev.key, msg.pool.uuid, 16);
    remote_sec_emit(data, &ev);
}

static void
remote_sec_node_device_event(virNodeDevicePtr dev, int event, int detail,
                             gpointer data)
{
    remote_sec_node_device_event_lifecycle_msg msg = {
        .dev.name = (char *)virNodeDeviceGetName(dev),
        .event = event,
        .detail = detail,
    };
    RemoteSecEvent ev = {
        .event_id = REMOTE_SEC_KIND_NODE_DEVICE |
                    VIR_NODE_DEVICE_EVENT_ID_LIFECYCLE,
        .proc = REMOTE_PROC_NODE_DEVICE_EVENT_LIFECYCLE,
        .filter = (xdrproc_t)xdr_remote_sec_node_device_event_lifecycle_msg,
        .msg = &msg,
    };

    remote_sec_name_key(msg.dev.name, ev.key);
    remote_sec_emit(data, &ev);
}

static void
remote_sec_node_device_update(virNodeDevicePtr dev, gpointer data)
{
    remote_sec_node_device_event_update_msg msg = {
        .dev.name = (char *)virNodeDeviceGetName(dev),
    };
    RemoteSecEvent ev = {
        .event_id = REMOTE_SEC_KIND_NODE_DEVICE |
                    VIR_NODE_DEVICE_EVENT_ID_UPDATE,
        .proc = REMOTE_PROC_NODE_DEVICE_EVENT_UPDATE,
        .filter = (xdrproc_t)xdr_remote_sec_node_device_event_update_msg,
        .msg = &msg,
    };

    remote_sec_name_key(msg.dev.name, ev.key);
    remote_sec_emit(data, &ev);
}

static const DrvForwardEvents remote_sec_events = {
    .network = remote_sec_network_event,
    .pool = remote_sec_pool_event,
    .pool_refresh = remote_sec_pool_refresh,
    .node_device = remote_sec_node_device_event,
    .node_device_update = remote_sec_node_device_update,
};

/* ---- registration (worker threads) --------------------------------------- */

/*
 * Registers callback @id of @ek's kind for @call's client, filtered on
 * @key when not NULL.  libvirtd must be reachable: the events are its, and
 * a registration that could never fire would be a lie; the connection
 * opened here is the one they come on.
 */
static bool
remote_sec_register(RpcCall *call, const RemoteSecEventKind *ek, int id,
                    const unsigned char *key, void *ret, GError **error)
{
    RemoteDaemon *daemon = remote_daemon_of(call);
    RemoteConn *conn = rpc_client_get_data(rpc_call_get_client(call));
    g_autoptr(virConnect) lv = NULL;
    RemoteEventCallback cb = { .event_id = ek->kind | id };

    if (id < 0 || id >= ek->last) {
        g_set_error(error, DRV_ERROR, DRV_ERROR_INVALID_ARG,
                    "unsupported event ID %d", id);
        return false;
    }
    if (!(lv = remote_fwd_conn(call, ek->fwd_kind, error)))
        return false;
    /* The sink stays for the driver's life: nimbusd frees the driver, and
     * with it libvirtd's connection and callbacks, before the daemon, and
     * the callbacks only run on the main loop, stopped by then. */
    drv_forward_set_events(daemon->driver->forward, &remote_sec_events,
                           daemon);
    if (key) {
        cb.has_dom = true;
        memcpy(cb.uuid, key, 16);
    }
    g_mutex_lock(&conn->lock);
    cb.id = conn->next_callback_id++;
    g_array_append_val(conn->callbacks, cb);
    g_mutex_unlock(&conn->lock);
    ((remote_sec_event_register_ret *)ret)->callbackID = cb.id;
    return true;
}

static bool
remote_sec_deregister(RpcCall *call, const RemoteSecEventKind *ek,
                      int callback_id, GError **error)
{
    RemoteConn *conn = rpc_client_get_data(rpc_call_get_client(call));
    bool found = false;

    g_mutex_lock(&conn->lock);
    for (guint i = 0; i < conn->callbacks->len && !found; i++) {
        const RemoteEventCallback *cb = &g_array_index(conn->callbacks,
                                                       RemoteEventCallback, i);

        if (cb->id == callback_id &&
            (cb->event_id & REMOTE_SEC_KIND_MASK) == ek->kind) {
            g_array_remove_index(conn->callbacks, i);
            found = true;
        }
    }
    g_mutex_unlock(&conn->lock);
    if (!found)
        g_set_error(error, DRV_ERROR, DRV_ERROR_INVALID_ARG,
                    "event callback %d not registered", callback_id);
    return found;
}

/* The deregistrations are alike but for the kind. */
#define REMOTE_SEC_DEREGISTER(handler, ek) \
    REMOTE_HANDLER(handler) \
    { \
        const remote_sec_event_deregister_args *a = args; \
        return remote_sec_deregister(call, ek, a->callbackID, error); \
    }

REMOTE_SEC_DEREGISTER(remote_sec_connect_network_event_deregister_any,
                      &remote_sec_network_events)
REMOTE_SEC_DEREGISTER(remote_sec_connect_storage_pool_event_deregister_any,
                      &remote_sec_pool_events)
REMOTE_SEC_DEREGISTER(remote_sec_connect_node_device_event_deregister_any,
                      &remote_sec_node_device_events)

REMOTE_HANDLER(remote_sec_connect_network_event_register_any)
{
    const remote_sec_network_event_register_args *a = args;

    return remote_sec_register(call, &remote_sec_network_events, a->eventID,
                               a->net ? (unsigned char *)a->net->uuid : NULL,
                               ret, error);
}

REMOTE_HANDLER(remote_sec_connect_storage_pool_event_register_any)
{
    const remote_sec_pool_event_register_args *a = args;

    return remote_sec_register(call, &remote_sec_pool_events, a->eventID,
                               a->pool ? (unsigned char *)a->pool->uuid : NULL,
                               ret, error);
}

REMOTE_HANDLER(remote_sec_connect_node_device_event_register_any)
{
    const remote_sec_node_device_event_register_args *a = args;
    unsigned char key[16];

    if (a->dev)
        remote_sec_name_key(a->dev->name, key);
    return remote_sec_register(call, &remote_sec_node_device_events,
                               a->eventID, a->dev ? key : NULL, ret, error);
}
