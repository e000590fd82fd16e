/* SPDX-License-Identifier: Apache-2.0 */
/* DrvForward: nimbusd's connection to libvirtd, for networks and storage. */
#pragma once

#include <stdbool.h>
#include <glib.h>
#include <libvirt/libvirt.h>

#include "driver/drv-error.h"

/*
 * Networks, storage pools and volumes are not nimbusd's to implement: on
 * Debian 12 libvirtd's network and storage drivers own them (issue 11).
 * nimbusd opens a libvirt client connection to that daemon
 * (DrvConfig.libvirtd_uri)
 * and passes those procedures through it; libvirtd's hypervisor driver
 * itself is never used.
 */
typedef struct DrvForward DrvForward;

G_DEFINE_AUTOPTR_CLEANUP_FUNC(virConnect, virConnectClose)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(virNetwork, virNetworkFree)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(virStoragePool, virStoragePoolFree)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(virStorageVol, virStorageVolFree)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(virInterface, virInterfaceFree)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(virNodeDevice, virNodeDeviceFree)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(virSecret, virSecretFree)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(virNWFilter, virNWFilterFree)

/*
 * libvirtd's lifecycle events of the objects nimbusd forwards, for the
 * D-Bus signals that libvirt-dbus sends from them.  Main thread (the
 * client library's event loop is nimbusd's default GMainContext); the
 * objects are borrowed for the call.  Any member may be NULL.
 */
typedef struct {
    /* virConnectNetworkEventLifecycleCallback's @event. */
    void (*network)(virNetworkPtr net, int event, gpointer data);
    /* virConnectStoragePoolEventLifecycleCallback's @event and @detail. */
    void (*pool)(virStoragePoolPtr pool, int event, int detail,
                 gpointer data);
    /* VIR_STORAGE_POOL_EVENT_ID_REFRESH */
    void (*pool_refresh)(virStoragePoolPtr pool, gpointer data);
    /* virConnectNodeDeviceEventLifecycleCallback's @event and @detail. */
    void (*node_device)(virNodeDevicePtr dev, int event, int detail,
                        gpointer data);
    /* VIR_NODE_DEVICE_EVENT_ID_UPDATE */
    void (*node_device_update)(virNodeDevicePtr dev, gpointer data);
} DrvForwardEvents;

/**
 * drv_forward_new:
 * @uri: libvirtd's URI (copied)
 * Connects lazily: nothing is opened until the first forwarded call, so
 * nimbusd starts and serves domains whether or not libvirtd runs.
 * Returns: (transfer full)
 */
DrvForward *drv_forward_new(const char *uri);
void drv_forward_free(DrvForward *fwd);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(DrvForward, drv_forward_free)

/**
 * drv_forward_set_events:
 * @events: (nullable): where libvirtd's events go from now on, for this
 * @data (one sink per @data, beside those of other @data: D-Bus and the
 * RPC clients each have one; NULL: this @data's sink is dropped, and once
 * this returns no callback uses it).
 * Events are received while the connection is open: from the first
 * forwarded call on, as libvirt-dbus's own connection, and again after a
 * reconnection (events of the time between are lost).  Main thread.
 */
void drv_forward_set_events(DrvForward *fwd, const DrvForwardEvents *events,
                            gpointer data);

/* Whether the first forwarded call may start the system libvirtd when
 * its socket is absent (driver/libvirtd-start.h; once per @fwd).  Off
 * until set: nimbusd's --start-libvirtd. */
void drv_forward_set_may_start(DrvForward *fwd, bool may_start);

/* The URI given to drv_forward_new() (transfer none). */
const char *drv_forward_get_uri(const DrvForward *fwd);

/* What a forwarded call asks libvirtd for: its errors name it. */
typedef enum {
    DRV_FORWARD_NETWORKS,       /* and their DHCP leases */
    DRV_FORWARD_STORAGE,        /* pools and volumes */
    DRV_FORWARD_NODE_DEVICES,
    DRV_FORWARD_SECRETS,
    DRV_FORWARD_NWFILTERS,
    DRV_FORWARD_INTERFACES,

    DRV_FORWARD_KIND_LAST
} DrvForwardKind;

/**
 * drv_forward_conn_new:
 * Returns: (transfer full) a reference to the shared connection, opened on
 * first use and again after libvirtd went away; NULL with @error
 * (VIR_ERR_NO_SUPPORT) saying that @kind's objects come from libvirtd,
 * which is not reachable, at which URI and why.
 * Safe from any thread (libvirt connections are thread-safe).
 */
virConnectPtr drv_forward_conn_new(DrvForward *fwd, DrvForwardKind kind,
                                   GError **error);

/* Fills @error from libvirt's last error of the calling thread: libvirt's
 * domain, code and message unchanged (DRV_RELAYED_ERROR). */
void drv_forward_set_error(GError **error);

/**
 * drv_forward_network_bridge:
 * The bridge of the libvirt network @network (it must be active: a bridge
 * only exists while its network runs).
 * Returns: (transfer full), or NULL with @error (NO_NETWORK, not active,
 * libvirtd unreachable).
 */
char *drv_forward_network_bridge(DrvForward *fwd, const char *network,
                                 GError **error);

/**
 * drv_forward_volume_path:
 * The path of volume @volume in storage pool @pool.
 * Returns: (transfer full), or NULL with @error (NO_STORAGE_POOL,
 * NO_STORAGE_VOL, libvirtd unreachable).
 */
char *drv_forward_volume_path(DrvForward *fwd, const char *pool,
                              const char *volume, GError **error);

/* drv_forward_volume_path() as a DomainVolumeResolver (@fwd: DrvForward),
 * for domain_def_resolve_volumes(). */
char *drv_forward_volume_resolver(const char *pool, const char *volume,
                                  gpointer fwd, GError **error);
