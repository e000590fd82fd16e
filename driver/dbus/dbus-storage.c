/* SPDX-License-Identifier: Apache-2.0 */
/* org.libvirt.StoragePool and StorageVol objects: libvirtd's, forwarded. */
#include <config.h>

#include <string.h>
#include <libvirt/virterror.h>

#include "driver/dbus/dbus-fwd-object.h"

/*
 * Pools and volumes are libvirtd's (driver/forward.h): each method makes
 * the libvirt call of the RPC procedure it mirrors
 * (driver/remote/remote-storage-pool.c, remote-storage-vol.c) on the same
 * shared connection.  Pools are found by UUID, volumes by key: the names
 * libvirt-dbus gives their objects.
 */

/* ---- paths --------------------------------------------------------------- */

char *
dbus_pool_path(virStoragePoolPtr pool)
{
    unsigned char uuid[16];
    char node[DBUS_UUID_NODE_LEN + 1];

    virStoragePoolGetUUID(pool, uuid);
    dbus_domain_node(uuid, node);
    return g_strconcat(DBUS_POOL_PATH "/", node, NULL);
}

char *
dbus_vol_path(virStorageVolPtr vol)
{
    /* libvirt-dbus: "<driver>/storagevol/" + the encoded volume key. */
    g_autofree char *key = dbus_encode_str(virStorageVolGetKey(vol));

    return g_strconcat(DBUS_VOL_PATH "/", key, NULL);
}

static gpointer
dbus_pool_lookup(virConnectPtr conn, const unsigned char *uuid)
{
    return virStoragePoolLookupByUUID(conn, uuid);
}

static gpointer
dbus_vol_lookup(virConnectPtr conn, const char *key)
{
    return virStorageVolLookupByKey(conn, key);
}

/* NO_STORAGE_POOL / NO_STORAGE_VOL for a path that cannot name one: the
 * code libvirtd gives for an unknown object. */
static const DbusFwdKind dbus_pool_kind = {
    .prefix = DBUS_POOL_PATH,
    .fwd_kind = DRV_FORWARD_STORAGE,
    .lookup_uuid = dbus_pool_lookup,
    .err_domain = VIR_FROM_STORAGE,
    .err_code = VIR_ERR_NO_STORAGE_POOL,
    .not_found = "Storage pool not found: no storage pool with matching "
                 "object path",
};

static const DbusFwdKind dbus_vol_kind = {
    .prefix = DBUS_VOL_PATH,
    .fwd_kind = DRV_FORWARD_STORAGE,
    .lookup_str = dbus_vol_lookup,
    .err_domain = VIR_FROM_STORAGE,
    .err_code = VIR_ERR_NO_STORAGE_VOL,
    .not_found = "Storage volume not found: no storage vol with matching "
                 "object path",
};

/* The pool @path names.  (transfer full) */
static virStoragePoolPtr
dbus_pool_from_path(DbusService *svc, const char *path, GError **error)
{
    return dbus_fwd_object_from_path(svc, &dbus_pool_kind, path, error);
}

/* The volume @path names.  (transfer full) */
static virStorageVolPtr
dbus_vol_from_path(DbusService *svc, const char *path, GError **error)
{
    return dbus_fwd_object_from_path(svc, &dbus_vol_kind, path, error);
}

/* (o) for @pool, which it consumes; libvirt's error for NULL. */
static GVariant *
dbus_reply_pool(virStoragePoolPtr pool, GError **error)
{
    g_autofree char *path = NULL;

    if (!pool) {
        drv_forward_set_error(error);
        return NULL;
    }
    path = dbus_pool_path(pool);
    virStoragePoolFree(pool);
    return g_variant_new("(o)", path);
}

static GVariant *
dbus_reply_vol(virStorageVolPtr vol, GError **error)
{
    g_autofree char *path = NULL;

    if (!vol) {
        drv_forward_set_error(error);
        return NULL;
    }
    path = dbus_vol_path(vol);
    virStorageVolFree(vol);
    return g_variant_new("(o)", path);
}

/* ---- Connect methods ----------------------------------------------------- */

/* = CONNECT_LIST_ALL_STORAGE_POOLS */
GVariant *
dbus_connect_list_storage_pools(DbusService *svc, const char *path,
                                GVariant *args, GError **error)
{
    g_autoptr(virConnect) conn =
        drv_forward_conn_new(svc->driver->forward, DRV_FORWARD_STORAGE, error);
    virStoragePoolPtr *pools = NULL;
    GVariantBuilder b;
    guint32 flags;
    int n;

    g_variant_get(args, "(u)", &flags);
    if (!conn)
        return NULL;
    if ((n = virConnectListAllStoragePools(conn, &pools, flags)) < 0) {
        drv_forward_set_error(error);
        return NULL;
    }
    g_variant_builder_init(&b, G_VARIANT_TYPE("ao"));
    for (int i = 0; i < n; i++) {
        g_autofree char *p = dbus_pool_path(pools[i]);

        g_variant_builder_add(&b, "o", p);
        virStoragePoolFree(pools[i]);
    }
    free(pools);
    return g_variant_new("(ao)", &b);
}

GVariant *
dbus_connect_pool_lookup_by_name(DbusService *svc, const char *path,
                                 GVariant *args, GError **error)
{
    g_autoptr(virConnect) conn =
        drv_forward_conn_new(svc->driver->forward, DRV_FORWARD_STORAGE, error);
    const char *name;

    g_variant_get(args, "(&s)", &name);
    return conn ? dbus_reply_pool(virStoragePoolLookupByName(conn, name), error)
                : NULL;
}

GVariant *
dbus_connect_pool_lookup_by_uuid(DbusService *svc, const char *path,
                                 GVariant *args, GError **error)
{
    g_autoptr(virConnect) conn =
        drv_forward_conn_new(svc->driver->forward, DRV_FORWARD_STORAGE, error);
    const char *uuid;

    g_variant_get(args, "(&s)", &uuid);
    return conn ? dbus_reply_pool(virStoragePoolLookupByUUIDString(conn, uuid),
                                  error)
                : NULL;
}

GVariant *
dbus_connect_pool_define_xml(DbusService *svc, const char *path,
                             GVariant *args, GError **error)
{
    g_autoptr(virConnect) conn =
        drv_forward_conn_new(svc->driver->forward, DRV_FORWARD_STORAGE, error);
    const char *xml;
    guint32 flags;

    g_variant_get(args, "(&su)", &xml, &flags);
    return conn ? dbus_reply_pool(virStoragePoolDefineXML(conn, xml, flags),
                                  error)
                : NULL;
}

GVariant *
dbus_connect_pool_create_xml(DbusService *svc, const char *path,
                             GVariant *args, GError **error)
{
    g_autoptr(virConnect) conn =
        drv_forward_conn_new(svc->driver->forward, DRV_FORWARD_STORAGE, error);
    const char *xml;
    guint32 flags;

    g_variant_get(args, "(&su)", &xml, &flags);
    return conn ? dbus_reply_pool(virStoragePoolCreateXML(conn, xml, flags),
                                  error)
                : NULL;
}

GVariant *
dbus_connect_vol_lookup_by_key(DbusService *svc, const char *path,
                               GVariant *args, GError **error)
{
    g_autoptr(virConnect) conn =
        drv_forward_conn_new(svc->driver->forward, DRV_FORWARD_STORAGE, error);
    const char *key;

    g_variant_get(args, "(&s)", &key);
    return conn ? dbus_reply_vol(virStorageVolLookupByKey(conn, key), error)
                : NULL;
}

GVariant *
dbus_connect_vol_lookup_by_path(DbusService *svc, const char *path,
                                GVariant *args, GError **error)
{
    g_autoptr(virConnect) conn =
        drv_forward_conn_new(svc->driver->forward, DRV_FORWARD_STORAGE, error);
    const char *vpath;

    g_variant_get(args, "(&s)", &vpath);
    return conn ? dbus_reply_vol(virStorageVolLookupByPath(conn, vpath), error)
                : NULL;
}

/* ---- StoragePool methods ------------------------------------------------- */

/* The pool methods that take flags and answer nothing. */
#define DBUS_POOL_FLAGS_METHOD(fn, call)                                    \
    static GVariant *                                                       \
    fn(DbusService *svc, const char *path, GVariant *args, GError **error)  \
    {                                                                       \
        g_autoptr(virStoragePool) pool = NULL;                              \
        guint32 flags;                                                      \
                                                                            \
        g_variant_get(args, "(u)", &flags);                                 \
        if (!(pool = dbus_pool_from_path(svc, path, error)))                \
            return NULL;                                                    \
        return dbus_fwd_unit(call(pool, flags), error);                 \
    }

DBUS_POOL_FLAGS_METHOD(dbus_pool_build, virStoragePoolBuild)
DBUS_POOL_FLAGS_METHOD(dbus_pool_create, virStoragePoolCreate)
DBUS_POOL_FLAGS_METHOD(dbus_pool_delete, virStoragePoolDelete)
DBUS_POOL_FLAGS_METHOD(dbus_pool_refresh, virStoragePoolRefresh)

static GVariant *
dbus_pool_destroy(DbusService *svc, const char *path, GVariant *args,
                  GError **error)
{
    g_autoptr(virStoragePool) pool = dbus_pool_from_path(svc, path, error);

    return pool ? dbus_fwd_unit(virStoragePoolDestroy(pool), error) : NULL;
}

static GVariant *
dbus_pool_undefine(DbusService *svc, const char *path, GVariant *args,
                   GError **error)
{
    g_autoptr(virStoragePool) pool = dbus_pool_from_path(svc, path, error);

    return pool ? dbus_fwd_unit(virStoragePoolUndefine(pool), error) : NULL;
}

static GVariant *
dbus_pool_get_info(DbusService *svc, const char *path, GVariant *args,
                   GError **error)
{
    g_autoptr(virStoragePool) pool = dbus_pool_from_path(svc, path, error);
    virStoragePoolInfo info;

    if (!pool)
        return NULL;
    if (virStoragePoolGetInfo(pool, &info) < 0) {
        drv_forward_set_error(error);
        return NULL;
    }
    return g_variant_new("((ittt))", (gint32)info.state,
                         (guint64)info.capacity, (guint64)info.allocation,
                         (guint64)info.available);
}

static GVariant *
dbus_pool_get_xml_desc(DbusService *svc, const char *path, GVariant *args,
                       GError **error)
{
    g_autoptr(virStoragePool) pool = NULL;
    guint32 flags;

    g_variant_get(args, "(u)", &flags);
    if (!(pool = dbus_pool_from_path(svc, path, error)))
        return NULL;
    return dbus_fwd_string(virStoragePoolGetXMLDesc(pool, flags), error);
}

/* = STORAGE_POOL_LIST_ALL_VOLUMES */
static GVariant *
dbus_pool_list_volumes(DbusService *svc, const char *path, GVariant *args,
                       GError **error)
{
    g_autoptr(virStoragePool) pool = NULL;
    virStorageVolPtr *vols = NULL;
    GVariantBuilder b;
    guint32 flags;
    int n;

    g_variant_get(args, "(u)", &flags);
    if (!(pool = dbus_pool_from_path(svc, path, error)))
        return NULL;
    if ((n = virStoragePoolListAllVolumes(pool, &vols, flags)) < 0) {
        drv_forward_set_error(error);
        return NULL;
    }
    g_variant_builder_init(&b, G_VARIANT_TYPE("ao"));
    for (int i = 0; i < n; i++) {
        g_autofree char *p = dbus_vol_path(vols[i]);

        g_variant_builder_add(&b, "o", p);
        virStorageVolFree(vols[i]);
    }
    free(vols);
    return g_variant_new("(ao)", &b);
}

static GVariant *
dbus_pool_vol_create_xml(DbusService *svc, const char *path, GVariant *args,
                         GError **error)
{
    g_autoptr(virStoragePool) pool = NULL;
    const char *xml;
    guint32 flags;

    g_variant_get(args, "(&su)", &xml, &flags);
    if (!(pool = dbus_pool_from_path(svc, path, error)))
        return NULL;
    return dbus_reply_vol(virStorageVolCreateXML(pool, xml, flags), error);
}

/* libvirt-dbus names the volume to clone by its key. */
static GVariant *
dbus_pool_vol_create_xml_from(DbusService *svc, const char *path,
                              GVariant *args, GError **error)
{
    g_autoptr(virStoragePool) pool = NULL;
    g_autoptr(virStorageVol) from = NULL;
    const char *xml, *key;
    guint32 flags;

    g_variant_get(args, "(&s&su)", &xml, &key, &flags);
    if (!(pool = dbus_pool_from_path(svc, path, error)))
        return NULL;
    if (!(from = virStorageVolLookupByKey(virStoragePoolGetConnect(pool),
                                          key))) {
        drv_forward_set_error(error);
        return NULL;
    }
    return dbus_reply_vol(virStorageVolCreateXMLFrom(pool, xml, from, flags),
                          error);
}

static GVariant *
dbus_pool_vol_lookup_by_name(DbusService *svc, const char *path,
                             GVariant *args, GError **error)
{
    g_autoptr(virStoragePool) pool = NULL;
    const char *name;

    g_variant_get(args, "(&s)", &name);
    if (!(pool = dbus_pool_from_path(svc, path, error)))
        return NULL;
    return dbus_reply_vol(virStorageVolLookupByName(pool, name), error);
}

/* ---- StoragePool properties ---------------------------------------------- */

static GVariant *
dbus_pool_get_active(DbusService *svc, const char *path, GError **error)
{
    g_autoptr(virStoragePool) pool = dbus_pool_from_path(svc, path, error);

    return pool ? dbus_fwd_bool(virStoragePoolIsActive(pool), error) : NULL;
}

static GVariant *
dbus_pool_get_persistent(DbusService *svc, const char *path, GError **error)
{
    g_autoptr(virStoragePool) pool = dbus_pool_from_path(svc, path, error);

    return pool ? dbus_fwd_bool(virStoragePoolIsPersistent(pool), error)
                : NULL;
}

static GVariant *
dbus_pool_get_autostart(DbusService *svc, const char *path, GError **error)
{
    g_autoptr(virStoragePool) pool = dbus_pool_from_path(svc, path, error);
    int autostart = 0;

    if (!pool)
        return NULL;
    return dbus_fwd_bool(virStoragePoolGetAutostart(pool, &autostart) < 0 ?
                         -1 : autostart, error);
}

static bool
dbus_pool_set_autostart(DbusService *svc, const char *path, GVariant *value,
                        GError **error)
{
    g_autoptr(virStoragePool) pool = dbus_pool_from_path(svc, path, error);

    if (!pool)
        return false;
    if (virStoragePoolSetAutostart(pool, g_variant_get_boolean(value)) < 0) {
        drv_forward_set_error(error);
        return false;
    }
    return true;
}

static GVariant *
dbus_pool_get_name(DbusService *svc, const char *path, GError **error)
{
    g_autoptr(virStoragePool) pool = dbus_pool_from_path(svc, path, error);

    return pool ? g_variant_new_string(virStoragePoolGetName(pool)) : NULL;
}

static GVariant *
dbus_pool_get_uuid(DbusService *svc, const char *path, GError **error)
{
    g_autoptr(virStoragePool) pool = dbus_pool_from_path(svc, path, error);
    char uuid[VIR_UUID_STRING_BUFLEN] = "";

    if (!pool)
        return NULL;
    if (virStoragePoolGetUUIDString(pool, uuid) < 0) {
        drv_forward_set_error(error);
        return NULL;
    }
    return g_variant_new_string(uuid);
}

static const DbusMethod dbus_pool_methods[] = {
    { "Build", dbus_pool_build },
    { "Create", dbus_pool_create },
    { "Delete", dbus_pool_delete },
    { "Destroy", dbus_pool_destroy },
    { "GetInfo", dbus_pool_get_info },
    { "GetXMLDesc", dbus_pool_get_xml_desc },
    { "ListStorageVolumes", dbus_pool_list_volumes },
    { "Refresh", dbus_pool_refresh },
    { "StorageVolCreateXML", dbus_pool_vol_create_xml },
    { "StorageVolCreateXMLFrom", dbus_pool_vol_create_xml_from },
    { "StorageVolLookupByName", dbus_pool_vol_lookup_by_name },
    { "Undefine", dbus_pool_undefine },
};

static const DbusProperty dbus_pool_props[] = {
    { "Active", dbus_pool_get_active, NULL },
    { "Autostart", dbus_pool_get_autostart, dbus_pool_set_autostart },
    { "Name", dbus_pool_get_name, NULL },
    { "Persistent", dbus_pool_get_persistent, NULL },
    { "UUID", dbus_pool_get_uuid, NULL },
};

const DbusInterfaceImpl dbus_pool_impl = {
    .name = "org.libvirt.StoragePool",
    .methods = dbus_pool_methods,
    .n_methods = G_N_ELEMENTS(dbus_pool_methods),
    .props = dbus_pool_props,
    .n_props = G_N_ELEMENTS(dbus_pool_props),
};

/* ---- StorageVol ---------------------------------------------------------- */

static GVariant *
dbus_vol_delete(DbusService *svc, const char *path, GVariant *args,
                GError **error)
{
    g_autoptr(virStorageVol) vol = NULL;
    guint32 flags;

    g_variant_get(args, "(u)", &flags);
    if (!(vol = dbus_vol_from_path(svc, path, error)))
        return NULL;
    return dbus_fwd_unit(virStorageVolDelete(vol, flags), error);
}

/* = STORAGE_VOL_GET_INFO; the RPC procedure has no flags, and libvirt
 * defines none but ALLOCATION for a sparse file's size, which the client
 * library passes on to libvirtd (STORAGE_VOL_GET_INFO_FLAGS). */
static GVariant *
dbus_vol_get_info(DbusService *svc, const char *path, GVariant *args,
                  GError **error)
{
    g_autoptr(virStorageVol) vol = NULL;
    virStorageVolInfo info;
    guint32 flags;

    g_variant_get(args, "(u)", &flags);
    if (!(vol = dbus_vol_from_path(svc, path, error)))
        return NULL;
    if ((flags ? virStorageVolGetInfoFlags(vol, &info, flags) :
                 virStorageVolGetInfo(vol, &info)) < 0) {
        drv_forward_set_error(error);
        return NULL;
    }
    return g_variant_new("((itt))", (gint32)info.type, (guint64)info.capacity,
                         (guint64)info.allocation);
}

static GVariant *
dbus_vol_get_xml_desc(DbusService *svc, const char *path, GVariant *args,
                      GError **error)
{
    g_autoptr(virStorageVol) vol = NULL;
    guint32 flags;

    g_variant_get(args, "(u)", &flags);
    if (!(vol = dbus_vol_from_path(svc, path, error)))
        return NULL;
    return dbus_fwd_string(virStorageVolGetXMLDesc(vol, flags), error);
}

static GVariant *
dbus_vol_resize(DbusService *svc, const char *path, GVariant *args,
                GError **error)
{
    g_autoptr(virStorageVol) vol = NULL;
    guint64 capacity;
    guint32 flags;

    g_variant_get(args, "(tu)", &capacity, &flags);
    if (!(vol = dbus_vol_from_path(svc, path, error)))
        return NULL;
    return dbus_fwd_unit(virStorageVolResize(vol, capacity, flags), error);
}

static GVariant *
dbus_vol_get_name(DbusService *svc, const char *path, GError **error)
{
    g_autoptr(virStorageVol) vol = dbus_vol_from_path(svc, path, error);

    return vol ? g_variant_new_string(virStorageVolGetName(vol)) : NULL;
}

static GVariant *
dbus_vol_get_key(DbusService *svc, const char *path, GError **error)
{
    g_autoptr(virStorageVol) vol = dbus_vol_from_path(svc, path, error);

    return vol ? g_variant_new_string(virStorageVolGetKey(vol)) : NULL;
}

static GVariant *
dbus_vol_get_path(DbusService *svc, const char *path, GError **error)
{
    g_autoptr(virStorageVol) vol = dbus_vol_from_path(svc, path, error);
    char *vpath;
    GVariant *v;

    if (!vol)
        return NULL;
    if (!(vpath = virStorageVolGetPath(vol))) {
        drv_forward_set_error(error);
        return NULL;
    }
    v = g_variant_new_string(vpath);
    free(vpath);
    return v;
}

/* Wipe is left out (NO_SUPPORT): libvirt-dbus calls virStorageVolWipePattern,
 * whose patterns the RPC program does not forward either. */
static const DbusMethod dbus_vol_methods[] = {
    { "Delete", dbus_vol_delete },
    { "GetInfo", dbus_vol_get_info },
    { "GetXMLDesc", dbus_vol_get_xml_desc },
    { "Resize", dbus_vol_resize },
};

static const DbusProperty dbus_vol_props[] = {
    { "Key", dbus_vol_get_key, NULL },
    { "Name", dbus_vol_get_name, NULL },
    { "Path", dbus_vol_get_path, NULL },
};

const DbusInterfaceImpl dbus_vol_impl = {
    .name = "org.libvirt.StorageVol",
    .methods = dbus_vol_methods,
    .n_methods = G_N_ELEMENTS(dbus_vol_methods),
    .props = dbus_vol_props,
    .n_props = G_N_ELEMENTS(dbus_vol_props),
};
