/* SPDX-License-Identifier: Apache-2.0 */
/* DrvForward: the libvirt client connection to libvirtd's own drivers. */
#include <config.h>

#include <libvirt/virterror.h>

#include "driver/forward.h"
#include "driver/libvirtd-start.h"

/* The event callbacks registered on each connection. */
enum {
    DRV_FORWARD_CB_NETWORK,
    DRV_FORWARD_CB_POOL,
    DRV_FORWARD_CB_POOL_REFRESH,
    DRV_FORWARD_CB_NODE_DEVICE,
    DRV_FORWARD_CB_NODE_DEVICE_UPDATE,
    DRV_FORWARD_CB_LAST
};

/* Where libvirtd's events go: D-Bus and the RPC clients. */
#define DRV_FORWARD_SINKS_MAX 4

typedef struct {
    const DrvForwardEvents *events;
    gpointer data;
} DrvForwardSink;

struct DrvForward {
    char *uri;                  /* immutable */
    GMutex lock;
    virConnectPtr conn;         /* lock; NULL until first used */
    int cb_ids[DRV_FORWARD_CB_LAST];    /* lock; -1: not registered */
    bool may_start;             /* lock; drv_forward_set_may_start() */
    bool start_tried;           /* lock; libvirtd started once at most */
    GMutex events_lock;
    DrvForwardSink sinks[DRV_FORWARD_SINKS_MAX];    /* events_lock */
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
    for (int i = 0; i < DRV_FORWARD_SINKS_MAX; i++) {
        const DrvForwardSink *s = &fwd->sinks[i];

        if (s->events && s->events->network)
            s->events->network(net, event, s->data);
    }
    g_mutex_unlock(&fwd->events_lock);
}

static void
drv_forward_pool_cb(virConnectPtr conn G_GNUC_UNUSED, virStoragePoolPtr pool,
                    int event, int detail, void *opaque)
{
    DrvForward *fwd = opaque;

    g_mutex_lock(&fwd->events_lock);
    for (int i = 0; i < DRV_FORWARD_SINKS_MAX; i++) {
        const DrvForwardSink *s = &fwd->sinks[i];

        if (s->events && s->events->pool)
            s->events->pool(pool, event, detail, s->data);
    }
    g_mutex_unlock(&fwd->events_lock);
}

static void
drv_forward_pool_refresh_cb(virConnectPtr conn G_GNUC_UNUSED,
                            virStoragePoolPtr pool, void *opaque)
{
    DrvForward *fwd = opaque;

    g_mutex_lock(&fwd->events_lock);
    for (int i = 0; i < DRV_FORWARD_SINKS_MAX; i++) {
        const DrvForwardSink *s = &fwd->sinks[i];

        if (s->events && s->events->pool_refresh)
            s->events->pool_refresh(pool, s->data);
    }
    g_mutex_unlock(&fwd->events_lock);
}

static void
drv_forward_node_device_cb(virConnectPtr conn G_GNUC_UNUSED,
                           virNodeDevicePtr dev, int event, int detail,
                           void *opaque)
{
    DrvForward *fwd = opaque;

    g_mutex_lock(&fwd->events_lock);
    for (int i = 0; i < DRV_FORWARD_SINKS_MAX; i++) {
        const DrvForwardSink *s = &fwd->sinks[i];

        if (s->events && s->events->node_device)
            s->events->node_device(dev, event, detail, s->data);
    }
    g_mutex_unlock(&fwd->events_lock);
}

static void
drv_forward_node_device_update_cb(virConnectPtr conn G_GNUC_UNUSED,
                                  virNodeDevicePtr dev, void *opaque)
{
    DrvForward *fwd = opaque;

    g_mutex_lock(&fwd->events_lock);
    for (int i = 0; i < DRV_FORWARD_SINKS_MAX; i++) {
        const DrvForwardSink *s = &fwd->sinks[i];

        if (s->events && s->events->node_device_update)
            s->events->node_device_update(dev, s->data);
    }
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
    /* A libvirtd without the nodedev driver refused the one above: not
     * said twice. */
    if (id[DRV_FORWARD_CB_NODE_DEVICE] >= 0)
        id[DRV_FORWARD_CB_NODE_DEVICE_UPDATE] =
            virConnectNodeDeviceEventRegisterAny(
                c, NULL, VIR_NODE_DEVICE_EVENT_ID_UPDATE,
                VIR_NODE_DEVICE_EVENT_CALLBACK(
                    drv_forward_node_device_update_cb), fwd, NULL);
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
    if (id[DRV_FORWARD_CB_NODE_DEVICE_UPDATE] >= 0)
        virConnectNodeDeviceEventDeregisterAny(
            c, id[DRV_FORWARD_CB_NODE_DEVICE_UPDATE]);
    for (int i = 0; i < DRV_FORWARD_CB_LAST; i++)
        id[i] = -1;
    g_clear_pointer(&fwd->conn, virConnectClose);
}

void
drv_forward_set_events(DrvForward *fwd, const DrvForwardEvents *events,
                       gpointer data)
{
    int free_slot = -1;

    g_mutex_lock(&fwd->events_lock);
    /* One sink per @data: replaced, or dropped with @events NULL. */
    for (int i = 0; i < DRV_FORWARD_SINKS_MAX; i++) {
        if (fwd->sinks[i].events && fwd->sinks[i].data == data)
            fwd->sinks[i].events = NULL;
        if (!fwd->sinks[i].events && free_slot < 0)
            free_slot = i;
    }
    /* The sinks are nimbusd's own (D-Bus, RPC): never more than the
     * table holds. */
    g_assert(!events || free_slot >= 0);
    if (events) {
        fwd->sinks[free_slot].events = events;
        fwd->sinks[free_slot].data = data;
    }
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

void
drv_forward_set_may_start(DrvForward *fwd, bool may_start)
{
    g_mutex_lock(&fwd->lock);
    fwd->may_start = may_start;
    g_mutex_unlock(&fwd->lock);
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

/* The objects of each kind, as the errors name them. */
static const char *const drv_forward_kind_what[] = {
    [DRV_FORWARD_NETWORKS] = "networks",
    [DRV_FORWARD_STORAGE] = "storage pools and volumes",
    [DRV_FORWARD_NODE_DEVICES] = "node devices",
    [DRV_FORWARD_SECRETS] = "secrets",
    [DRV_FORWARD_NWFILTERS] = "network filters",
    [DRV_FORWARD_INTERFACES] = "host interfaces",
};
G_STATIC_ASSERT(G_N_ELEMENTS(drv_forward_kind_what) == DRV_FORWARD_KIND_LAST);

virConnectPtr
drv_forward_conn_new(DrvForward *fwd, DrvForwardKind kind, GError **error)
{
    const char *what = drv_forward_kind_what[kind];
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
    /* Where nothing has started libvirtd, nimbusd does, once
     * (driver/libvirtd-start.h); its failure is the answer. */
    if (!fwd->conn && fwd->may_start && !fwd->start_tried &&
        drv_libvirtd_needs_start(fwd->uri)) {
        g_autoptr(GError) local = NULL;

        fwd->start_tried = true;
        if (!drv_libvirtd_start(fwd->uri, &local)) {
            g_mutex_unlock(&fwd->lock);
            g_set_error(error, DRV_ERROR, DRV_ERROR_NO_SUPPORT,
                        "%s come from libvirtd, which is not running at "
                        "'%s' and could not be started: %s", what, fwd->uri,
                        local->message);
            return NULL;
        }
    }
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
                    "%s come from libvirtd, which is not reachable at '%s' "
                    "(%s)", what, fwd->uri,
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
    g_autoptr(virConnect) conn = drv_forward_conn_new(fwd, DRV_FORWARD_NETWORKS,
                                                      error);
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
    g_autoptr(virConnect) conn = drv_forward_conn_new(fwd, DRV_FORWARD_STORAGE,
                                                      error);
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
