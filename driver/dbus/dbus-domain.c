/* SPDX-License-Identifier: Apache-2.0 */
/* org.libvirt.Domain objects (/org/libvirt/CH/domain/_<uuid>). */
#include <config.h>

#include "driver/dbus/dbus-priv.h"
#include "driver/save.h"

/*
 * Each call resolves its object path to a domain first (NO_DOMAIN when it
 * names none), then calls the driver entry point of the RPC procedure it
 * mirrors (driver/remote/remote-lifecycle.c, remote-domain.c).
 */

/* A (u) method with an empty reply onto a flags entry point. */
GVariant *
dbus_domain_flags_op(DbusService *svc, const char *path, GVariant *args,
                     DbusFlagsOp op, GError **error)
{
    g_autoptr(DrvDomainObj) obj = dbus_domain_from_path(svc, path, error);
    guint32 flags;

    g_variant_get(args, "(u)", &flags);
    if (!obj || !op(svc->driver, obj, flags, error))
        return NULL;
    return g_variant_new("()");
}

/* = DOMAIN_CREATE_WITH_FLAGS */
static GVariant *
dbus_domain_create(DbusService *svc, const char *path, GVariant *args,
                   GError **error)
{
    return dbus_domain_flags_op(svc, path, args, drv_domain_create, error);
}

/* = DOMAIN_DESTROY_FLAGS */
static GVariant *
dbus_domain_destroy(DbusService *svc, const char *path, GVariant *args,
                    GError **error)
{
    return dbus_domain_flags_op(svc, path, args, drv_domain_destroy, error);
}

/* = DOMAIN_SHUTDOWN_FLAGS */
static GVariant *
dbus_domain_shutdown(DbusService *svc, const char *path, GVariant *args,
                     GError **error)
{
    return dbus_domain_flags_op(svc, path, args, drv_domain_shutdown, error);
}

static GVariant *
dbus_domain_reboot(DbusService *svc, const char *path, GVariant *args,
                   GError **error)
{
    return dbus_domain_flags_op(svc, path, args, drv_domain_reboot, error);
}

/* = DOMAIN_UNDEFINE_FLAGS */
static GVariant *
dbus_domain_undefine(DbusService *svc, const char *path, GVariant *args,
                     GError **error)
{
    return dbus_domain_flags_op(svc, path, args, drv_domain_undefine, error);
}

static GVariant *
dbus_domain_suspend(DbusService *svc, const char *path, GVariant *args,
                    GError **error)
{
    g_autoptr(DrvDomainObj) obj = dbus_domain_from_path(svc, path, error);

    if (!obj || !drv_domain_suspend(svc->driver, obj, error))
        return NULL;
    return g_variant_new("()");
}

static GVariant *
dbus_domain_resume(DbusService *svc, const char *path, GVariant *args,
                   GError **error)
{
    g_autoptr(DrvDomainObj) obj = dbus_domain_from_path(svc, path, error);

    if (!obj || !drv_domain_resume(svc->driver, obj, error))
        return NULL;
    return g_variant_new("()");
}

static GVariant *
dbus_domain_get_xml_desc(DbusService *svc, const char *path, GVariant *args,
                         GError **error)
{
    g_autoptr(DrvDomainObj) obj = dbus_domain_from_path(svc, path, error);
    g_autofree char *xml = NULL;
    guint32 flags;

    /* No read-only check as REMOTE's: the bus policy admits only callers
     * that may use the read-write socket (data/dbus/org.libvirt.CH.conf). */
    g_variant_get(args, "(u)", &flags);
    if (!obj || !(xml = drv_domain_get_xml_desc(svc->driver, obj, flags, error)))
        return NULL;
    return g_variant_new("(s)", xml);
}

static GVariant *
dbus_domain_get_state(DbusService *svc, const char *path, GVariant *args,
                      GError **error)
{
    g_autoptr(DrvDomainObj) obj = NULL;
    gint32 state, reason;
    guint32 flags;

    g_variant_get(args, "(u)", &flags);
    if (!drv_check_flags(flags, 0, "virDomainGetState", error) ||
        !(obj = dbus_domain_from_path(svc, path, error)))
        return NULL;
    drv_domain_obj_lock(obj);
    state = obj->state;
    reason = obj->reason;
    drv_domain_obj_unlock(obj);
    return g_variant_new("((ii))", state, reason);
}

static GVariant *
dbus_domain_has_managed_save_image(DbusService *svc, const char *path,
                                   GVariant *args, GError **error)
{
    g_autoptr(DrvDomainObj) obj = NULL;
    guint32 flags;

    g_variant_get(args, "(u)", &flags);
    if (!drv_check_flags(flags, 0, "virDomainHasManagedSaveImage", error) ||
        !(obj = dbus_domain_from_path(svc, path, error)))
        return NULL;
    /* The same answer as REMOTE's HAS_MANAGED_SAVE_IMAGE. */
    return g_variant_new("(b)", drv_managed_save_exists(svc->driver, obj));
}

/* ---- properties ---------------------------------------------------------- */

typedef enum {
    DBUS_DOMAIN_ACTIVE,
    DBUS_DOMAIN_AUTOSTART,
    DBUS_DOMAIN_ID,
    DBUS_DOMAIN_PERSISTENT,
} DbusDomainField;

/* One field of the domain, read under its lock. */
static GVariant *
dbus_domain_field(DbusService *svc, const char *path, DbusDomainField field,
                  GError **error)
{
    g_autoptr(DrvDomainObj) obj = dbus_domain_from_path(svc, path, error);
    GVariant *v = NULL;

    if (!obj)
        return NULL;
    drv_domain_obj_lock(obj);
    switch (field) {
    case DBUS_DOMAIN_ACTIVE:
        v = g_variant_new_boolean(drv_domain_obj_is_active(obj));
        break;
    case DBUS_DOMAIN_AUTOSTART:
        v = g_variant_new_boolean(obj->autostart);
        break;
    case DBUS_DOMAIN_ID:
        /* "u": libvirt-dbus shows an inactive domain's -1 as 0. */
        v = g_variant_new_uint32(obj->id < 0 ? 0 : (guint32)obj->id);
        break;
    case DBUS_DOMAIN_PERSISTENT:
        v = g_variant_new_boolean(drv_domain_obj_is_persistent(obj));
        break;
    }
    drv_domain_obj_unlock(obj);
    return v;
}

static GVariant *
dbus_domain_get_active(DbusService *svc, const char *path, GError **error)
{
    return dbus_domain_field(svc, path, DBUS_DOMAIN_ACTIVE, error);
}

static GVariant *
dbus_domain_get_autostart(DbusService *svc, const char *path, GError **error)
{
    return dbus_domain_field(svc, path, DBUS_DOMAIN_AUTOSTART, error);
}

static GVariant *
dbus_domain_get_id(DbusService *svc, const char *path, GError **error)
{
    return dbus_domain_field(svc, path, DBUS_DOMAIN_ID, error);
}

static GVariant *
dbus_domain_get_persistent(DbusService *svc, const char *path, GError **error)
{
    return dbus_domain_field(svc, path, DBUS_DOMAIN_PERSISTENT, error);
}

static GVariant *
dbus_domain_get_name(DbusService *svc, const char *path, GError **error)
{
    g_autoptr(DrvDomainObj) obj = dbus_domain_from_path(svc, path, error);

    return obj ? g_variant_new_string(obj->name) : NULL;
}

static GVariant *
dbus_domain_get_uuid(DbusService *svc, const char *path, GError **error)
{
    g_autoptr(DrvDomainObj) obj = dbus_domain_from_path(svc, path, error);
    char uuid[37];

    if (!obj)
        return NULL;
    domain_uuid_format(obj->uuid, uuid);
    return g_variant_new_string(uuid);
}

static GVariant *
dbus_domain_get_os_type(DbusService *svc, const char *path, GError **error)
{
    g_autoptr(DrvDomainObj) obj = dbus_domain_from_path(svc, path, error);

    /* As DOMAIN_GET_OS_TYPE: the XML model accepts <type>hvm</type> only. */
    return obj ? g_variant_new_string("hvm") : NULL;
}

static bool
dbus_domain_set_autostart(DbusService *svc, const char *path, GVariant *value,
                          GError **error)
{
    g_autoptr(DrvDomainObj) obj = dbus_domain_from_path(svc, path, error);

    return obj && drv_domain_set_autostart(svc->driver, obj,
                                           g_variant_get_boolean(value), error);
}

static const DbusMethod dbus_domain_methods[] = {
    { "Create", dbus_domain_create },
    { "Destroy", dbus_domain_destroy },
    { "GetState", dbus_domain_get_state },
    { "GetXMLDesc", dbus_domain_get_xml_desc },
    { "HasManagedSaveImage", dbus_domain_has_managed_save_image },
    { "ListDomainSnapshots", dbus_domain_list_snapshots },
    { "Reboot", dbus_domain_reboot },
    { "Resume", dbus_domain_resume },
    { "Shutdown", dbus_domain_shutdown },
    { "SnapshotCreateXML", dbus_domain_snapshot_create_xml },
    { "SnapshotCurrent", dbus_domain_snapshot_current },
    { "SnapshotLookupByName", dbus_domain_snapshot_lookup_by_name },
    { "Suspend", dbus_domain_suspend },
    { "Undefine", dbus_domain_undefine },
};

static const DbusProperty dbus_domain_props[] = {
    { "Active", dbus_domain_get_active, NULL },
    { "Autostart", dbus_domain_get_autostart, dbus_domain_set_autostart },
    { "Id", dbus_domain_get_id, NULL },
    { "Name", dbus_domain_get_name, NULL },
    { "OSType", dbus_domain_get_os_type, NULL },
    { "Persistent", dbus_domain_get_persistent, NULL },
    { "UUID", dbus_domain_get_uuid, NULL },
};

const DbusInterfaceImpl dbus_domain_impl = {
    .name = "org.libvirt.Domain",
    .methods = dbus_domain_methods,
    .n_methods = G_N_ELEMENTS(dbus_domain_methods),
    .more_methods = dbus_domain_ops_methods,
    .props = dbus_domain_props,
    .n_props = G_N_ELEMENTS(dbus_domain_props),
};
