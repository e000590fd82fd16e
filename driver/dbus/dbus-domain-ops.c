/* SPDX-License-Identifier: Apache-2.0 */
/* org.libvirt.Domain: save, hotplug, resize and statistics methods. */
#include <config.h>

#include "driver/dbus/dbus-priv.h"
#include "driver/domain-stats.h"
#include "driver/hotplug.h"
#include "driver/rename.h"
#include "driver/save.h"
#include "driver/vcpu.h"

/*
 * As in dbus-domain.c: each method resolves its path to a domain, then
 * calls the driver entry point of the REMOTE procedure it mirrors
 * (remote-save.c, remote-hotplug.c, remote-vcpu.c, remote-stats.c,
 * remote-domain.c), with libvirt-dbus's argument conventions ("" for NULL
 * strings).
 */

/* = DOMAIN_SAVE_FLAGS */
static GVariant *
dbus_domain_save(DbusService *svc, const char *path, GVariant *args,
                 GError **error)
{
    g_autoptr(DrvDomainObj) obj = dbus_domain_from_path(svc, path, error);
    const char *to, *xml;
    guint32 flags;

    g_variant_get(args, "(&s&su)", &to, &xml, &flags);
    if (!obj || !drv_domain_save(svc->driver, obj, to, dbus_empty_to_null(xml),
                                 flags, error))
        return NULL;
    return g_variant_new("()");
}

/* = DOMAIN_MANAGED_SAVE */
static GVariant *
dbus_domain_managed_save(DbusService *svc, const char *path, GVariant *args,
                         GError **error)
{
    return dbus_domain_flags_op(svc, path, args, drv_domain_managed_save,
                                error);
}

/* = DOMAIN_MANAGED_SAVE_REMOVE */
static GVariant *
dbus_domain_managed_save_remove(DbusService *svc, const char *path,
                                GVariant *args, GError **error)
{
    return dbus_domain_flags_op(svc, path, args,
                                drv_domain_managed_save_remove, error);
}

/* = DOMAIN_ATTACH_DEVICE_FLAGS */
static GVariant *
dbus_domain_attach_device(DbusService *svc, const char *path, GVariant *args,
                          GError **error)
{
    g_autoptr(DrvDomainObj) obj = dbus_domain_from_path(svc, path, error);
    const char *xml;
    guint32 flags;

    g_variant_get(args, "(&su)", &xml, &flags);
    if (!obj || !drv_domain_attach_device(svc->driver, obj, xml, flags, error))
        return NULL;
    return g_variant_new("()");
}

/* = DOMAIN_DETACH_DEVICE_FLAGS */
static GVariant *
dbus_domain_detach_device(DbusService *svc, const char *path, GVariant *args,
                          GError **error)
{
    g_autoptr(DrvDomainObj) obj = dbus_domain_from_path(svc, path, error);
    const char *xml;
    guint32 flags;

    g_variant_get(args, "(&su)", &xml, &flags);
    if (!obj || !drv_domain_detach_device(svc->driver, obj, xml, NULL, flags,
                                          error))
        return NULL;
    return g_variant_new("()");
}

/* = DOMAIN_RENAME: the object path is the uuid's, so it stays. */
static GVariant *
dbus_domain_rename(DbusService *svc, const char *path, GVariant *args,
                   GError **error)
{
    g_autoptr(DrvDomainObj) obj = dbus_domain_from_path(svc, path, error);
    const char *name;
    guint32 flags;

    g_variant_get(args, "(&su)", &name, &flags);
    if (!obj || !drv_domain_rename(svc->driver, obj, name, flags, error))
        return NULL;
    return g_variant_new("()");
}

/* = DOMAIN_BLOCK_RESIZE */
static GVariant *
dbus_domain_block_resize(DbusService *svc, const char *path, GVariant *args,
                         GError **error)
{
    g_autoptr(DrvDomainObj) obj = dbus_domain_from_path(svc, path, error);
    const char *disk;
    guint64 size;
    guint32 flags;

    g_variant_get(args, "(&stu)", &disk, &size, &flags);
    if (!obj || !drv_domain_block_resize(svc->driver, obj, disk, size, flags,
                                         error))
        return NULL;
    return g_variant_new("()");
}

/* = DOMAIN_SET_VCPUS_FLAGS */
static GVariant *
dbus_domain_set_vcpus(DbusService *svc, const char *path, GVariant *args,
                      GError **error)
{
    g_autoptr(DrvDomainObj) obj = dbus_domain_from_path(svc, path, error);
    guint32 vcpus, flags;

    g_variant_get(args, "(uu)", &vcpus, &flags);
    if (!obj || !drv_domain_set_vcpus(svc->driver, obj, vcpus, flags, error))
        return NULL;
    return g_variant_new("()");
}

/* = DOMAIN_SET_MEMORY_FLAGS (KiB, as libvirt's) */
static GVariant *
dbus_domain_set_memory(DbusService *svc, const char *path, GVariant *args,
                       GError **error)
{
    g_autoptr(DrvDomainObj) obj = dbus_domain_from_path(svc, path, error);
    guint64 kib;
    guint32 flags;

    g_variant_get(args, "(tu)", &kib, &flags);
    if (!obj || !drv_domain_set_memory(svc->driver, obj, kib, flags, error))
        return NULL;
    return g_variant_new("()");
}

/* = DOMAIN_MEMORY_STATS: {tag: value} as libvirt-dbus answers it. */
static GVariant *
dbus_domain_memory_stats(DbusService *svc, const char *path, GVariant *args,
                         GError **error)
{
    g_autoptr(DrvDomainObj) obj = NULL;
    DrvMemoryStat st[DRV_MEMORY_STATS_COUNT];
    GVariantBuilder b;
    guint32 flags;
    int n;

    g_variant_get(args, "(u)", &flags);
    if (!drv_check_flags(flags, 0, "virDomainMemoryStats", error) ||
        !(obj = dbus_domain_from_path(svc, path, error)) ||
        (n = drv_domain_memory_stats(obj, st, G_N_ELEMENTS(st), error)) < 0)
        return NULL;
    g_variant_builder_init(&b, G_VARIANT_TYPE("a{it}"));
    for (int i = 0; i < n; i++)
        g_variant_builder_add(&b, "{it}", st[i].tag, (guint64)st[i].value);
    return g_variant_new("(a{it})", &b);
}

/* One typed parameter as libvirt-dbus sends it: the value in a variant. */
static GVariant *
dbus_typed_param_value(const DrvTypedParam *p)
{
    switch (p->type) {
    case DRV_PARAM_INT:
        return g_variant_new_int32((gint32)p->value);
    case DRV_PARAM_UINT:
        return g_variant_new_uint32((guint32)p->value);
    case DRV_PARAM_ULLONG:
        return g_variant_new_uint64(p->value);
    case DRV_PARAM_STRING:
        break;
    }
    return g_variant_new_string(p->str ? p->str : "");
}

/*
 * = CONNECT_GET_ALL_DOMAIN_STATS for this one domain (virDomainListGetStats).
 * libvirt-dbus wraps each value twice, {"state.state": <<1>>}: the "v" of
 * the a{sv} holds a variant (cockpit-machines reads .v.v).
 */
static GVariant *
dbus_domain_get_stats(DbusService *svc, const char *path, GVariant *args,
                      GError **error)
{
    g_autoptr(DrvDomainObj) obj = NULL;
    g_autoptr(GPtrArray) params = NULL;
    guint32 stats, flags;
    unsigned int groups;
    GVariantBuilder b;

    g_variant_get(args, "(uu)", &stats, &flags);
    if (!drv_domain_stats_groups(stats, flags, true, &groups, error) ||
        !(obj = dbus_domain_from_path(svc, path, error)) ||
        !(params = drv_domain_stats_record(obj, groups, error)))
        return NULL;
    g_variant_builder_init(&b, G_VARIANT_TYPE("a{sv}"));
    for (guint i = 0; i < params->len; i++) {
        const DrvTypedParam *p = g_ptr_array_index(params, i);

        g_variant_builder_add(&b, "{sv}", p->field,
                              g_variant_new_variant(dbus_typed_param_value(p)));
    }
    return g_variant_new("(a{sv})", &b);
}

const DbusMethod dbus_domain_ops_methods[] = {
    { "AttachDevice", dbus_domain_attach_device },
    { "BlockResize", dbus_domain_block_resize },
    { "DetachDevice", dbus_domain_detach_device },
    { "GetStats", dbus_domain_get_stats },
    { "ManagedSave", dbus_domain_managed_save },
    { "ManagedSaveRemove", dbus_domain_managed_save_remove },
    { "MemoryStats", dbus_domain_memory_stats },
    { "Rename", dbus_domain_rename },
    { "Save", dbus_domain_save },
    { "SetMemory", dbus_domain_set_memory },
    { "SetVcpus", dbus_domain_set_vcpus },
    { NULL, NULL },
};
