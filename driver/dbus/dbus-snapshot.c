/* SPDX-License-Identifier: Apache-2.0 */
/* org.libvirt.DomainSnapshot objects and the Domain methods that name them. */
#include <config.h>

#include <string.h>

#include "driver/dbus/dbus-priv.h"
#include "driver/snapshot.h"

/*
 * A snapshot object is "<DBUS_SNAPSHOT_PATH>/<domain node>_<name>" as
 * libvirt-dbus builds it (dbus_snapshot_path()); each call decodes its
 * path to the domain and the name, then calls the driver entry point of
 * the REMOTE procedure it mirrors (driver/remote/remote-snapshot.c), so
 * both answer alike, errors included.
 */

/* An "ao" reply: @names' object paths, in the driver's order. */
static GVariant *
dbus_snapshot_paths(DrvDomainObj *obj, GPtrArray *names)
{
    GVariantBuilder b;

    g_variant_builder_init(&b, G_VARIANT_TYPE("ao"));
    for (guint i = 0; i < names->len; i++) {
        g_autofree char *p = dbus_snapshot_path(obj->uuid, names->pdata[i]);

        g_variant_builder_add(&b, "o", p);
    }
    return g_variant_new("(ao)", &b);
}

/* A "(o)" reply for the snapshot @name (transfer full; NULL: failed). */
static GVariant *
dbus_snapshot_reply(DrvDomainObj *obj, char *name)
{
    g_autofree char *owned = name;
    g_autofree char *p = NULL;

    if (!owned)
        return NULL;
    p = dbus_snapshot_path(obj->uuid, owned);
    return g_variant_new("(o)", p);
}

/* ---- org.libvirt.Domain --------------------------------------------------- */

/* = DOMAIN_LIST_ALL_SNAPSHOTS */
GVariant *
dbus_domain_list_snapshots(DbusService *svc, const char *path, GVariant *args,
                           GError **error)
{
    g_autoptr(DrvDomainObj) obj = NULL;
    g_autoptr(GPtrArray) names = NULL;
    guint32 flags;

    g_variant_get(args, "(u)", &flags);
    if (!(obj = dbus_domain_from_path(svc, path, error)) ||
        !(names = drv_snapshot_list(svc->driver, obj, NULL, flags,
                                    "virDomainListAllSnapshots", error)))
        return NULL;
    return dbus_snapshot_paths(obj, names);
}

/* = DOMAIN_SNAPSHOT_CREATE_XML */
GVariant *
dbus_domain_snapshot_create_xml(DbusService *svc, const char *path,
                                GVariant *args, GError **error)
{
    g_autoptr(DrvDomainObj) obj = NULL;
    const char *xml;
    guint32 flags;

    g_variant_get(args, "(&su)", &xml, &flags);
    if (!(obj = dbus_domain_from_path(svc, path, error)))
        return NULL;
    return dbus_snapshot_reply(obj, drv_snapshot_create(svc->driver, obj, xml,
                                                        flags, error));
}

/* = DOMAIN_SNAPSHOT_CURRENT */
GVariant *
dbus_domain_snapshot_current(DbusService *svc, const char *path,
                             GVariant *args, GError **error)
{
    g_autoptr(DrvDomainObj) obj = NULL;
    bool none;
    guint32 flags;

    g_variant_get(args, "(u)", &flags);
    if (!drv_check_flags(flags, 0, "virDomainSnapshotCurrent", error) ||
        !(obj = dbus_domain_from_path(svc, path, error)))
        return NULL;
    return dbus_snapshot_reply(obj, drv_snapshot_current(svc->driver, obj,
                                                         &none, error));
}

/* = DOMAIN_SNAPSHOT_LOOKUP_BY_NAME */
GVariant *
dbus_domain_snapshot_lookup_by_name(DbusService *svc, const char *path,
                                    GVariant *args, GError **error)
{
    g_autoptr(DrvDomainObj) obj = NULL;
    const char *name;
    guint32 flags;

    g_variant_get(args, "(&su)", &name, &flags);
    if (!drv_check_flags(flags, 0, "virDomainSnapshotLookupByName", error) ||
        !(obj = dbus_domain_from_path(svc, path, error)) ||
        !drv_snapshot_lookup(svc->driver, obj, name, error))
        return NULL;
    return dbus_snapshot_reply(obj, g_strdup(name));
}

/* ---- org.libvirt.DomainSnapshot ------------------------------------------- */

/* = DOMAIN_SNAPSHOT_DELETE */
static GVariant *
dbus_snapshot_delete(DbusService *svc, const char *path, GVariant *args,
                     GError **error)
{
    g_autofree char *name = NULL;
    g_autoptr(DrvDomainObj) obj = dbus_snapshot_from_path(svc, path, &name,
                                                          error);
    guint32 flags;

    g_variant_get(args, "(u)", &flags);
    if (!obj || !drv_snapshot_delete(svc->driver, obj, name, flags, error))
        return NULL;
    return g_variant_new("()");
}

/* = DOMAIN_SNAPSHOT_GET_PARENT */
static GVariant *
dbus_snapshot_get_parent(DbusService *svc, const char *path, GVariant *args,
                         GError **error)
{
    g_autofree char *name = NULL;
    g_autoptr(DrvDomainObj) obj = NULL;
    guint32 flags;

    g_variant_get(args, "(u)", &flags);
    if (!drv_check_flags(flags, 0, "virDomainSnapshotGetParent", error) ||
        !(obj = dbus_snapshot_from_path(svc, path, &name, error)))
        return NULL;
    return dbus_snapshot_reply(obj, drv_snapshot_get_parent(svc->driver, obj,
                                                            name, error));
}

/* = DOMAIN_SNAPSHOT_GET_XML_DESC */
static GVariant *
dbus_snapshot_get_xml_desc(DbusService *svc, const char *path, GVariant *args,
                           GError **error)
{
    g_autofree char *name = NULL;
    g_autoptr(DrvDomainObj) obj = dbus_snapshot_from_path(svc, path, &name,
                                                          error);
    g_autofree char *xml = NULL;
    guint32 flags;

    /* SECURE needs no check here: the bus policy admits only callers that
     * may use the read-write socket (as Domain.GetXMLDesc). */
    g_variant_get(args, "(u)", &flags);
    if (!obj || !(xml = drv_snapshot_get_xml(svc->driver, obj, name, flags,
                                             error)))
        return NULL;
    return g_variant_new("(s)", xml);
}

/* = DOMAIN_SNAPSHOT_IS_CURRENT */
static GVariant *
dbus_snapshot_is_current(DbusService *svc, const char *path, GVariant *args,
                         GError **error)
{
    g_autofree char *name = NULL;
    g_autoptr(DrvDomainObj) obj = NULL;
    guint32 flags;
    int current;

    g_variant_get(args, "(u)", &flags);
    if (!drv_check_flags(flags, 0, "virDomainSnapshotIsCurrent", error) ||
        !(obj = dbus_snapshot_from_path(svc, path, &name, error)))
        return NULL;
    current = drv_snapshot_is_current(svc->driver, obj, name, error);
    return current < 0 ? NULL : g_variant_new("(b)", current > 0);
}

/* = DOMAIN_SNAPSHOT_LIST_ALL_CHILDREN */
static GVariant *
dbus_snapshot_list_children(DbusService *svc, const char *path,
                            GVariant *args, GError **error)
{
    g_autofree char *name = NULL;
    g_autoptr(DrvDomainObj) obj = dbus_snapshot_from_path(svc, path, &name,
                                                          error);
    g_autoptr(GPtrArray) names = NULL;
    guint32 flags;

    g_variant_get(args, "(u)", &flags);
    if (!obj || !(names = drv_snapshot_list(svc->driver, obj, name, flags,
                                            "virDomainSnapshotListAllChildren",
                                            error)))
        return NULL;
    return dbus_snapshot_paths(obj, names);
}

/* = DOMAIN_REVERT_TO_SNAPSHOT */
static GVariant *
dbus_snapshot_revert(DbusService *svc, const char *path, GVariant *args,
                     GError **error)
{
    g_autofree char *name = NULL;
    g_autoptr(DrvDomainObj) obj = dbus_snapshot_from_path(svc, path, &name,
                                                          error);
    guint32 flags;

    g_variant_get(args, "(u)", &flags);
    if (!obj || !drv_snapshot_revert(svc->driver, obj, name, flags, error))
        return NULL;
    return g_variant_new("()");
}

char **
dbus_snapshot_enumerate(DbusService *svc)
{
    g_autoptr(GPtrArray) list = drv_domain_list_collect(svc->driver->domains);
    GPtrArray *nodes = g_ptr_array_new();
    const size_t skip = strlen(DBUS_SNAPSHOT_PATH "/");

    for (guint i = 0; i < list->len; i++) {
        DrvDomainObj *obj = g_ptr_array_index(list, i);
        g_autoptr(GPtrArray) names = drv_snapshot_list(svc->driver, obj, NULL,
                                                       0, "enumerate", NULL);

        for (guint j = 0; names && j < names->len; j++) {
            g_autofree char *p = dbus_snapshot_path(obj->uuid, names->pdata[j]);

            g_ptr_array_add(nodes, g_strdup(p + skip));
        }
    }
    g_ptr_array_add(nodes, NULL);
    return (char **)g_ptr_array_free(nodes, FALSE);
}

static const DbusMethod dbus_snapshot_methods[] = {
    { "Delete", dbus_snapshot_delete },
    { "GetParent", dbus_snapshot_get_parent },
    { "GetXMLDesc", dbus_snapshot_get_xml_desc },
    { "IsCurrent", dbus_snapshot_is_current },
    { "ListChildren", dbus_snapshot_list_children },
    { "Revert", dbus_snapshot_revert },
};

const DbusInterfaceImpl dbus_snapshot_impl = {
    .name = "org.libvirt.DomainSnapshot",
    .methods = dbus_snapshot_methods,
    .n_methods = G_N_ELEMENTS(dbus_snapshot_methods),
};
