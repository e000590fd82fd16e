/* SPDX-License-Identifier: Apache-2.0 */
/* What the files of driver/dbus/ share: the service, method tables, helpers. */
#pragma once

#include <stdbool.h>
#include <gio/gio.h>

#include "driver/dbus/dbus.h"

/* Domain objects live below this path (libvirt-dbus: "<driver>/domain"). */
#define DBUS_DOMAIN_PATH DBUS_SERVICE_PATH "/domain"
/* Snapshot objects: "<domain node>_<encoded name>" below this path. */
#define DBUS_SNAPSHOT_PATH DBUS_SERVICE_PATH "/domainsnapshot"
/* libvirtd's objects, forwarded (dbus-network.c, dbus-storage.c): networks
 * and pools by UUID node, volumes by encoded key, as libvirt-dbus names
 * them. */
#define DBUS_NETWORK_PATH DBUS_SERVICE_PATH "/network"
#define DBUS_POOL_PATH DBUS_SERVICE_PATH "/storagepool"
#define DBUS_VOL_PATH DBUS_SERVICE_PATH "/storagevol"
/* Host interfaces by encoded MAC, node devices by encoded name
 * (dbus-nodedev.c). */
#define DBUS_IFACE_PATH DBUS_SERVICE_PATH "/interface"
#define DBUS_NODEDEV_PATH DBUS_SERVICE_PATH "/nodedev"
/* "_" + 36 UUID characters, as libvirt-dbus's paths. */
#define DBUS_UUID_NODE_LEN 37

/*
 * A method or property accessor.  @path is the object the caller named,
 * @args the call's parameters (already checked against the interface XML by
 * GDBus).  Returns the reply tuple (floating or full), or NULL with @error
 * set.  Runs in a worker thread: it may block on the driver.
 */
typedef GVariant *(*DbusMethodFunc)(DbusService *svc, const char *path,
                                    GVariant *args, GError **error);
typedef GVariant *(*DbusGetFunc)(DbusService *svc, const char *path,
                                 GError **error);
typedef bool (*DbusSetFunc)(DbusService *svc, const char *path,
                            GVariant *value, GError **error);

typedef struct {
    const char *name;
    DbusMethodFunc call;
} DbusMethod;

typedef struct {
    const char *name;
    DbusGetFunc get;
    DbusSetFunc set;            /* NULL: read-only in the XML too */
} DbusProperty;

/* One interface's implementation.  Methods and properties the XML declares
 * but the table lacks answer VIR_ERR_NO_SUPPORT, naming the libvirt API of
 * the XML's DocString. */
typedef struct {
    const char *name;
    const DbusMethod *methods;
    gsize n_methods;
    /* A second table, for an interface served from two files; it ends
     * with an entry whose name is NULL. */
    const DbusMethod *more_methods;
    const DbusProperty *props;
    gsize n_props;
} DbusInterfaceImpl;

struct DbusService {
    DrvDriver *driver;              /* immutable */
    uint64_t hv_version;            /* immutable */
    GBusType bus_type;              /* immutable */
    GDBusConnection *conn;          /* immutable after new */
    GDBusNodeInfo *connect_node;    /* immutable after new */
    GDBusNodeInfo *domain_node;     /* immutable after new */
    GDBusNodeInfo *snapshot_node;   /* immutable after new */
    GDBusNodeInfo *network_node;    /* immutable after new */
    GDBusNodeInfo *pool_node;       /* immutable after new */
    GDBusNodeInfo *vol_node;        /* immutable after new */
    GDBusNodeInfo *iface_node;      /* immutable after new */
    GDBusNodeInfo *nodedev_node;    /* immutable after new */
    GThreadPool *pool;              /* the calls, off the main loop */
    guint connect_reg;              /* main thread */
    guint compat_reg;               /* main thread; /org/libvirt/QEMU */
    guint domain_reg;               /* main thread */
    guint snapshot_reg;             /* main thread */
    guint network_reg;              /* main thread */
    guint pool_reg;                 /* main thread */
    guint vol_reg;                  /* main thread */
    guint iface_reg;                /* main thread */
    guint nodedev_reg;              /* main thread */
    guint owner_id;                 /* main thread */
    gint serving;                   /* atomic: objects registered */
    /* qemu_compat (dbus-listeners.c): unique name -> the Connect paths
     * it called; NameOwnerChanged subscription.  Main thread. */
    GHashTable *listeners;
    guint owner_sub;
};

/* dbus-listeners.c: Connect's signals, once per listener in qemu_compat
 * mode.  All on the main thread. */
void dbus_listeners_init(DbusService *svc);
void dbus_listeners_clear(DbusService *svc);
/* Records that @sender called a method on @path. */
void dbus_listeners_note_call(DbusService *svc, const char *sender,
                              const char *path);
/* Emits Connect's @signal with @args (floating: consumed). */
void dbus_listeners_emit(DbusService *svc, const char *signal, GVariant *args);

/* dbus-connect.c, dbus-domain.c, dbus-snapshot.c */
extern const DbusInterfaceImpl dbus_connect_impl;
extern const DbusInterfaceImpl dbus_domain_impl;
extern const DbusInterfaceImpl dbus_snapshot_impl;
/* dbus-network.c, dbus-storage.c: libvirtd's objects. */
extern const DbusInterfaceImpl dbus_network_impl;
extern const DbusInterfaceImpl dbus_pool_impl;
extern const DbusInterfaceImpl dbus_vol_impl;
/* dbus-nodedev.c: libvirtd's host interfaces and node devices. */
extern const DbusInterfaceImpl dbus_iface_impl;
extern const DbusInterfaceImpl dbus_nodedev_impl;

/* dbus-fwd-events.c: libvirtd's network, pool and node device events as
 * libvirt-dbus's signals, from dbus_service_new() until the driver's
 * DrvForward is freed (nimbusd frees the driver first).  Main thread. */
void dbus_fwd_events_start(DbusService *svc);

/* dbus-connect-more.c: Connect's network, storage and host methods (ends
 * with a NULL name). */
extern const DbusMethod dbus_connect_more_methods[];
/* dbus-network.c: Connect's network methods. */
GVariant *dbus_connect_list_networks(DbusService *svc, const char *path,
                                     GVariant *args, GError **error);
GVariant *dbus_connect_network_lookup_by_name(DbusService *svc,
                                              const char *path,
                                              GVariant *args, GError **error);
GVariant *dbus_connect_network_lookup_by_uuid(DbusService *svc,
                                              const char *path,
                                              GVariant *args, GError **error);
GVariant *dbus_connect_network_define_xml(DbusService *svc, const char *path,
                                          GVariant *args, GError **error);
GVariant *dbus_connect_network_create_xml(DbusService *svc, const char *path,
                                          GVariant *args, GError **error);
/* dbus-storage.c: Connect's pool and volume methods. */
GVariant *dbus_connect_list_storage_pools(DbusService *svc, const char *path,
                                          GVariant *args, GError **error);
GVariant *dbus_connect_pool_lookup_by_name(DbusService *svc, const char *path,
                                           GVariant *args, GError **error);
GVariant *dbus_connect_pool_lookup_by_uuid(DbusService *svc, const char *path,
                                           GVariant *args, GError **error);
GVariant *dbus_connect_pool_define_xml(DbusService *svc, const char *path,
                                       GVariant *args, GError **error);
GVariant *dbus_connect_pool_create_xml(DbusService *svc, const char *path,
                                       GVariant *args, GError **error);
GVariant *dbus_connect_vol_lookup_by_key(DbusService *svc, const char *path,
                                         GVariant *args, GError **error);
GVariant *dbus_connect_vol_lookup_by_path(DbusService *svc, const char *path,
                                          GVariant *args, GError **error);
/* dbus-nodedev.c: Connect's interface and node device methods. */
GVariant *dbus_connect_list_interfaces(DbusService *svc, const char *path,
                                       GVariant *args, GError **error);
GVariant *dbus_connect_iface_lookup_by_mac(DbusService *svc, const char *path,
                                           GVariant *args, GError **error);
GVariant *dbus_connect_iface_lookup_by_name(DbusService *svc,
                                            const char *path,
                                            GVariant *args, GError **error);
GVariant *dbus_connect_list_node_devices(DbusService *svc, const char *path,
                                         GVariant *args, GError **error);
GVariant *dbus_connect_nodedev_lookup_by_name(DbusService *svc,
                                              const char *path,
                                              GVariant *args, GError **error);
/* Object paths of libvirtd's objects.  (transfer full) */
char *dbus_network_path(virNetworkPtr net);
char *dbus_pool_path(virStoragePoolPtr pool);
char *dbus_vol_path(virStorageVolPtr vol);
char *dbus_nodedev_path(virNodeDevicePtr dev);

/* dbus-domain.c: a (u) method with an empty reply onto a driver entry
 * point taking the domain and the flags. */
typedef bool (*DbusFlagsOp)(DrvDriver *driver, DrvDomainObj *obj,
                            unsigned int flags, GError **error);
GVariant *dbus_domain_flags_op(DbusService *svc, const char *path,
                               GVariant *args, DbusFlagsOp op, GError **error);

/* dbus-domain-ops.c: Domain's save, hotplug, resize and stats methods. */
extern const DbusMethod dbus_domain_ops_methods[];

/* dbus-snapshot.c: the Domain methods that answer snapshot objects. */
GVariant *dbus_domain_list_snapshots(DbusService *svc, const char *path,
                                     GVariant *args, GError **error);
GVariant *dbus_domain_snapshot_create_xml(DbusService *svc, const char *path,
                                          GVariant *args, GError **error);
GVariant *dbus_domain_snapshot_current(DbusService *svc, const char *path,
                                       GVariant *args, GError **error);
GVariant *dbus_domain_snapshot_lookup_by_name(DbusService *svc,
                                              const char *path,
                                              GVariant *args, GError **error);
/* The children of DBUS_SNAPSHOT_PATH: every snapshot of every domain.
 * (transfer full, NULL-terminated) */
char **dbus_snapshot_enumerate(DbusService *svc);

/* dbus-util.c */
/* The object path of the domain with @uuid.  (transfer full) */
char *dbus_domain_path(const unsigned char uuid[16]);
/* The leaf name of that path: "_" + UUID with "-" turned to "_". */
void dbus_domain_node(const unsigned char uuid[16],
                      char out[DBUS_UUID_NODE_LEN + 1]);
/* The UUID of a node dbus_domain_node() wrote; false for anything else. */
bool dbus_domain_node_parse(const char *node, unsigned char uuid[16]);
/* The domain @path names, or NO_DOMAIN for any path that decodes to no
 * known domain.  (transfer full) */
DrvDomainObj *dbus_domain_from_path(DbusService *svc, const char *path,
                                    GError **error);
/* libvirt-dbus's path element for any string: [A-Za-z0-9] as they are,
 * every other byte as "_" and two lower-case hex digits.  (transfer full) */
char *dbus_encode_str(const char *s);
/* The reverse; NULL for anything dbus_encode_str() cannot have written
 * (a bad escape, an escaped NUL).  (transfer full) */
char *dbus_decode_str(const char *s);
/* The object path of @obj's snapshot @name.  (transfer full) */
char *dbus_snapshot_path(const unsigned char uuid[16], const char *name);
/* The domain and snapshot name @path names: NO_DOMAIN when the path
 * decodes to no known domain, NO_DOMAIN_SNAPSHOT when the domain has no
 * such snapshot.  (transfer full) */
DrvDomainObj *dbus_snapshot_from_path(DbusService *svc, const char *path,
                                      char **name, GError **error);
/* The NO_SUPPORT error for @member of @iface, naming the libvirt API the
 * interface XML documents for it. */
void dbus_set_error_no_support(GDBusInterfaceInfo *iface, const char *member,
                               GError **error);
/* Replies to @inv with org.libvirt.Error and libvirt's message for @err. */
void dbus_return_error(GDBusMethodInvocation *inv, const GError *err);
/* "" means NULL in libvirt-dbus's string arguments (DocStrings). */
static inline const char *
dbus_empty_to_null(const char *s)
{
    return s && *s ? s : NULL;
}
