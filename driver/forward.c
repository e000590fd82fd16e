/* SPDX-License-Identifier: Apache-2.0 */
/* DrvForward: the libvirt client connection to libvirtd's own drivers. */
#include <config.h>

#include <libvirt/virterror.h>

#include "driver/forward.h"

/* The event callbacks registered on each connection. */
enum {
    DRV_FORWARD_CB_NETWORK,
    DRV_FORWARD_CB_POOL,
    DRV_FORWARD_CB_POOL_REFRESH,
    DRV_FORWARD_CB_NODE_DEVICE,
    DRV_FORWARD_CB_LAST
};

struct DrvForward {
    char *uri;                  /* immutable */
    GMutex lock;
    virConnectPtr conn;         /* lock; NULL until first used */
    int cb_ids[DRV_FORWARD_CB_LAST];    /* lock; -1: not registered */
    GMutex events_lock;
    const DrvForwardEvents *events;     /* events_lock */
    gpointer events_data;               /* events_lock */
};

/* libvirt prints every error on stderr unless the application installs a
 * handler; ours are reported to the client, so the handler drops them. */
static void
drv_forward_quiet(void *opaque G_GNUC_UNUSED, virErrorPtr err G_GNUC_UNUSED)
{
}

static gpointer
drv_forward_init_once(gpointer data G_GNUC_UNUSED)
{
    /* Before any worker thread uses libvirt (virInitialize is not
     * thread-safe in old releases). */
    if (virInitialize() < 0)
        g_warning("libvirt client library failed to initialise");
    virSetErrorFunc(NULL, drv_forward_quiet);
    /* libvirtd's events (drv_forward_set_events) need an event loop in
     * the client library: its default one is GLib's default main
     * context, which nimbusd's main loop runs, so the callbacks come on
     * the main thread and no thread is added. */
    if (virEventRegisterDefaultImpl() < 0)
        g_warning("libvirt client event loop failed to register");
    return NULL;
}

/* ---- libvirtd's events (main thread) ------------------------------------- */

static void
drv_forward_network_cb(virConnectPtr conn G_GNUC_UNUSED, virNetworkPtr net,
                       int event, int detail G_GNUC_UNUSED, void *opaque)
{
    DrvForward *fwd = opaque;

    g_mutex_lock(&fwd->events_lock);
    if (fwd->events && fwd->events->network)
        fwd->events->network(net, event, fwd->events_data);
    g_mutex_unlock(&fwd->events_lock);
}

static void
drv_forward_pool_cb(virConnectPtr conn G_GNUC_UNUSED, virStoragePoolPtr pool,
                    int event, int detail, void *opaque)
{
    DrvForward *fwd = opaque;

    g_mutex_lock(&fwd->events_lock);
    if (fwd->events && fwd->events->pool)
        fwd->events->pool(pool, event, detail, fwd->events_data);
    g_mutex_unlock(&fwd->events_lock);
}

static void
drv_forward_pool_refresh_cb(virConnectPtr conn G_GNUC_UNUSED,
                            virStoragePoolPtr pool, void *opaque)
{
    DrvForward *fwd = opaque;

    g_mutex_lock(&fwd->events_lock);
    if (fwd->events && fwd->events->pool_refresh)
        fwd->events->pool_refresh(pool, fwd->events_data);
    g_mutex_unlock(&fwd->events_lock);
}

static void
drv_forward_node_device_cb(virConnectPtr conn G_GNUC_UNUSED,
                           virNodeDevicePtr dev, int event, int detail,
                           void *opaque)
{
    DrvForward *fwd = opaque;

    g_mutex_lock(&fwd->events_lock);
    if (fwd->events && fwd->events->node_device)
        fwd->events->node_device(dev, event, detail, fwd->events_data);
    g_mutex_unlock(&fwd->events_lock);
}

/* A libvirtd without one of the drivers (nodedev) refuses that
 * registration only: said once per connection, with libvirt's reason (the
 * calling thread's last error is that call's), and the other events still
 * come. */
static void
drv_forward_note_refused(const DrvForward *fwd, int id, const char *what)
{
    virErrorPtr err;

    if (id >= 0)
        return;
    err = virGetLastError();
    g_message("libvirtd at '%s' sends no %s events: %s", fwd->uri, what,
              err && err->message ? err->message : "unknown error");
}

/* Registers the callbacks on a new connection. */
static void
drv_forward_register_events_locked(DrvForward *fwd)
{
    virConnectPtr c = fwd->conn;
    int *id = fwd->cb_ids;

    id[DRV_FORWARD_CB_NETWORK] = virConnectNetworkEventRegisterAny(
        c, NULL, VIR_NETWORK_EVENT_ID_LIFECYCLE,
        VIR_NETWORK_EVENT_CALLBACK(drv_forward_network_cb), fwd, NULL);
    drv_forward_note_refused(fwd, id[DRV_FORWARD_CB_NETWORK], "network");
    id[DRV_FORWARD_CB_POOL] = virConnectStoragePoolEventRegisterAny(
        c, NULL, VIR_STORAGE_POOL_EVENT_ID_LIFECYCLE,
        VIR_STORAGE_POOL_EVENT_CALLBACK(drv_forward_pool_cb), fwd, NULL);
    drv_forward_note_refused(fwd, id[DRV_FORWARD_CB_POOL], "storage pool");
    id[DRV_FORWARD_CB_POOL_REFRESH] = virConnectStoragePoolEventRegisterAny(
        c, NULL, VIR_STORAGE_POOL_EVENT_ID_REFRESH,
        VIR_STORAGE_POOL_EVENT_CALLBACK(drv_forward_pool_refresh_cb), fwd,
        NULL);
    drv_forward_note_refused(fwd, id[DRV_FORWARD_CB_POOL_REFRESH],
                             "storage pool refresh");
    id[DRV_FORWARD_CB_NODE_DEVICE] = virConnectNodeDeviceEventRegisterAny(
        c, NULL, VIR_NODE_DEVICE_EVENT_ID_LIFECYCLE,
        VIR_NODE_DEVICE_EVENT_CALLBACK(drv_forward_node_device_cb), fwd,
        NULL);
    drv_forward_note_refused(fwd, id[DRV_FORWARD_CB_NODE_DEVICE],
                             "node device");
}

/* Drops the connection and its callbacks: a callback holds a reference
 * on its connection, which would otherwise stay open. */
static void
drv_forward_close_locked(DrvForward *fwd)
{
    virConnectPtr c = fwd->conn;
    int *id = fwd->cb_ids;

    if (!c)
        return;
    /* On a dead connection the remote half fails; the local half, which
     * holds the reference, is gone all the same. */
    if (id[DRV_FORWARD_CB_NETWORK] >= 0)
        virConnectNetworkEventDeregisterAny(c, id[DRV_FORWARD_CB_NETWORK]);
    if (id[DRV_FORWARD_CB_POOL] >= 0)
        virConnectStoragePoolEventDeregisterAny(c, id[DRV_FORWARD_CB_POOL]);
    if (id[DRV_FORWARD_CB_POOL_REFRESH] >= 0)
        virConnectStoragePoolEventDeregisterAny(
            c, id[DRV_FORWARD_CB_POOL_REFRESH]);
    if (id[DRV_FORWARD_CB_NODE_DEVICE] >= 0)
        virConnectNodeDeviceEventDeregisterAny(
            c, id[DRV_FORWARD_CB_NODE_DEVICE]);
    for (int i = 0; i < DRV_FORWARD_CB_LAST; i++)
        id[i] = -1;
    g_clear_pointer(&fwd->conn, virConnectClose);
}

void
drv_forward_set_events(DrvForward *fwd, const DrvForwardEvents *events,
                       gpointer data)
{
    g_mutex_lock(&fwd->events_lock);
    fwd->events = events;
    fwd->events_data = data;
    g_mutex_unlock(&fwd->events_lock);
}

DrvForward *
drv_forward_new(const char *uri)
{
    static GOnce once = G_ONCE_INIT;
    DrvForward *fwd = g_new0(DrvForward, 1);

    g_once(&once, drv_forward_init_once, NULL);
    fwd->uri = g_strdup(uri);
    g_mutex_init(&fwd->lock);
    g_mutex_init(&fwd->events_lock);
    for (int i = 0; i < DRV_FORWARD_CB_LAST; i++)
        fwd->cb_ids[i] = -1;
    return fwd;
}

void
drv_forward_free(DrvForward *fwd)
{
    if (!fwd)
        return;
    drv_forward_close_locked(fwd);
    g_mutex_clear(&fwd->lock);
    g_mutex_clear(&fwd->events_lock);
    g_free(fwd->uri);
    g_free(fwd);
}

const char *
drv_forward_get_uri(const DrvForward *fwd)
{
    return fwd->uri;
}

void
drv_forward_set_error(GError **error)
{
    virErrorPtr err = virGetLastError();

    if (!err) {
        /* libvirt failed without saying why: still one clear error. */
        g_set_error(error, DRV_ERROR, DRV_ERROR_INTERNAL_ERROR,
                    "libvirtd call failed without an error");
        return;
    }
    g_set_error_literal(error, DRV_RELAYED_ERROR,
                        DRV_RELAYED_CODE(err->domain, err->code),
                        err->message ? err->message : "unknown error");
}

virConnectPtr
drv_forward_conn_new(DrvForward *fwd, GError **error)
{
    virConnectPtr conn;
    virErrorPtr err;

    g_mutex_lock(&fwd->lock);
    /* A connection whose libvirtd went away (restarted, stopped) is
     * replaced; calls still holding a reference keep it until they finish.
     * Without an event loop the client library only notices a closed
     * socket when it next uses it, so a cheap call checks first: else the
     * first call after a libvirtd restart would fail with EPIPE.  It runs
     * under the lock, so that one caller reconnects and the others wait
     * for it (a local round trip). */
    if (fwd->conn && (virConnectIsAlive(fwd->conn) != 1 ||
                      virConnectGetLibVersion(fwd->conn, &(unsigned long){0})
                      < 0))
        drv_forward_close_locked(fwd);
    if (!fwd->conn && (fwd->conn = virConnectOpen(fwd->uri)))
        drv_forward_register_events_locked(fwd);
    if (!fwd->conn) {
        err = virGetLastError();
        g_mutex_unlock(&fwd->lock);
        /*
         * Without libvirtd nimbusd has no networks or storage: it declines
         * the call, with VIR_ERR_NO_SUPPORT, the one code tools read as
         * "this connection has no such API" (reference §1.3): virt-install
         * then uses a type=file disk as it is and virt-manager hides its
         * storage pages, where any other code makes them fail on every
         * disk.  The message says why, which daemon, and where.
         */
        g_set_error(error, DRV_ERROR, DRV_ERROR_NO_SUPPORT,
                    "networks and storage come from libvirtd, which is not "
                    "reachable at '%s' (%s)", fwd->uri,
                    err && err->message ? err->message : "unknown error");
        return NULL;
    }
    conn = fwd->conn;
    virConnectRef(conn);
    g_mutex_unlock(&fwd->lock);
    return conn;
}

char *
drv_forward_network_bridge(DrvForward *fwd, const char *network,
                           GError **error)
{
    g_autoptr(virConnect) conn = drv_forward_conn_new(fwd, error);
    g_autoptr(virNetwork) net = NULL;
    g_autofree char *bridge = NULL;
    int active;

    if (!conn)
        return NULL;
    if (!(net = virNetworkLookupByName(conn, network))) {
        drv_forward_set_error(error);
        return NULL;
    }
    if ((active = virNetworkIsActive(net)) < 0) {
        drv_forward_set_error(error);
        return NULL;
    }
    /* The bridge device exists only while the network runs. */
    if (!active) {
        g_set_error(error, DRV_ERROR, DRV_ERROR_OPERATION_INVALID,
                    "network '%s' is not active", network);
        return NULL;
    }
    if (!(bridge = virNetworkGetBridgeName(net))) {
        drv_forward_set_error(error);
        return NULL;
    }
    /* libvirt allocates with malloc; hand out a GLib string. */
    return g_strdup(bridge);
}

char *
drv_forward_volume_path(DrvForward *fwd, const char *pool,
                        const char *volume, GError **error)
{
    g_autoptr(virConnect) conn = drv_forward_conn_new(fwd, error);
    g_autoptr(virStoragePool) p = NULL;
    g_autoptr(virStorageVol) vol = NULL;
    g_autofree char *path = NULL;

    if (!conn)
        return NULL;
    if (!(p = virStoragePoolLookupByName(conn, pool)) ||
        !(vol = virStorageVolLookupByName(p, volume)) ||
        !(path = virStorageVolGetPath(vol))) {
        drv_forward_set_error(error);
        return NULL;
    }
    return g_strdup(path);
}

char *
drv_forward_volume_resolver(const char *pool, const char *volume,
                            gpointer fwd, GError **error)
{
    return drv_forward_volume_path(fwd, pool, volume, error);
}
