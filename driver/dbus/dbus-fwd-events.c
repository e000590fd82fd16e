/* SPDX-License-Identifier: Apache-2.0 */
/* libvirtd's network, storage pool and node device events as D-Bus signals. */
#include <config.h>

#include "driver/dbus/dbus-priv.h"

/*
 * libvirt-dbus turns the lifecycle events of its connection into signals
 * of the Connect object: NetworkEvent (oi: libvirt-dbus drops the detail,
 * which networks never set), StoragePoolEvent (oii), NodeDeviceEvent
 * (oii); and a pool's refresh into Refresh on the pool's own object.
 * Ours come from libvirtd through DrvForward, on the main thread, and go
 * out the way DomainEvent does (dbus-listeners.c), so that qemu_compat
 * listeners get each once.  The ints are libvirt's enums, unchanged.
 */

static void
dbus_fwd_network_event(virNetworkPtr net, int event, gpointer data)
{
    DbusService *svc = data;
    g_autofree char *path = NULL;

    if (!g_atomic_int_get(&svc->serving))
        return;
    path = dbus_network_path(net);
    dbus_listeners_emit(svc, "NetworkEvent",
                        g_variant_new("(oi)", path, event));
}

static void
dbus_fwd_pool_event(virStoragePoolPtr pool, int event, int detail,
                    gpointer data)
{
    DbusService *svc = data;
    g_autofree char *path = NULL;

    if (!g_atomic_int_get(&svc->serving))
        return;
    path = dbus_pool_path(pool);
    dbus_listeners_emit(svc, "StoragePoolEvent",
                        g_variant_new("(oii)", path, event, detail));
}

static void
dbus_fwd_pool_refresh(virStoragePoolPtr pool, gpointer data)
{
    DbusService *svc = data;
    g_autofree char *path = NULL;

    if (!g_atomic_int_get(&svc->serving))
        return;
    /* On the pool's path, which is the same in qemu_compat mode: one
     * broadcast reaches every listener once. */
    path = dbus_pool_path(pool);
    g_dbus_connection_emit_signal(svc->conn, NULL, path,
                                  dbus_pool_impl.name, "Refresh", NULL, NULL);
}

static void
dbus_fwd_node_device_event(virNodeDevicePtr dev, int event, int detail,
                           gpointer data)
{
    DbusService *svc = data;
    g_autofree char *path = NULL;

    if (!g_atomic_int_get(&svc->serving))
        return;
    path = dbus_nodedev_path(dev);
    dbus_listeners_emit(svc, "NodeDeviceEvent",
                        g_variant_new("(oii)", path, event, detail));
}

static const DrvForwardEvents dbus_fwd_events = {
    .network = dbus_fwd_network_event,
    .pool = dbus_fwd_pool_event,
    .pool_refresh = dbus_fwd_pool_refresh,
    .node_device = dbus_fwd_node_device_event,
};

void
dbus_fwd_events_start(DbusService *svc)
{
    if (svc->driver->forward)
        drv_forward_set_events(svc->driver->forward, &dbus_fwd_events, svc);
}

