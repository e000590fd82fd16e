/* SPDX-License-Identifier: Apache-2.0 */
/* org.libvirt.Connect at /org/libvirt/CH, onto the REMOTE program's code. */
#include <config.h>

#include <unistd.h>

#include "driver/caps.h"
#include "driver/dbus/dbus-priv.h"
#include "driver/nodeinfo.h"
#include "driver/remote/remote.h"

/*
 * Each method calls the driver entry point of the RPC procedure it mirrors
 * (driver/remote/remote-*.c), so that ch:/// and D-Bus give the same
 * answers and the same errors.
 */

/* (o) for @obj, which it consumes. */
static GVariant *
dbus_reply_domain(DrvDomainObj *obj)
{
    g_autofree char *path = NULL;

    if (!obj)
        return NULL;
    path = dbus_domain_path(obj->uuid);
    drv_domain_obj_unref(obj);
    return g_variant_new("(o)", path);
}

/* ---- methods ------------------------------------------------------------- */

/* = CONNECT_LIST_ALL_DOMAINS */
static GVariant *
dbus_connect_list_domains(DbusService *svc, const char *path, GVariant *args,
                          GError **error)
{
    g_autoptr(GPtrArray) list = NULL;
    GVariantBuilder b;
    guint32 flags;

    g_variant_get(args, "(u)", &flags);
    list = drv_domain_list_all(svc->driver, flags, error);
    if (!list)
        return NULL;
    g_variant_builder_init(&b, G_VARIANT_TYPE("ao"));
    for (guint i = 0; i < list->len; i++) {
        DrvDomainObj *obj = g_ptr_array_index(list, i);
        g_autofree char *p = dbus_domain_path(obj->uuid);

        g_variant_builder_add(&b, "o", p);
    }
    return g_variant_new("(ao)", &b);
}

static GVariant *
dbus_connect_lookup_by_name(DbusService *svc, const char *path, GVariant *args,
                            GError **error)
{
    const char *name;

    g_variant_get(args, "(&s)", &name);
    return dbus_reply_domain(drv_domain_lookup_by_name(svc->driver, name, error));
}

static GVariant *
dbus_connect_lookup_by_id(DbusService *svc, const char *path, GVariant *args,
                          GError **error)
{
    gint32 id;

    g_variant_get(args, "(i)", &id);
    return dbus_reply_domain(drv_domain_lookup_by_id(svc->driver, id, error));
}

/* = DOMAIN_LOOKUP_BY_UUID after virDomainLookupByUUIDString's parsing. */
static GVariant *
dbus_connect_lookup_by_uuid(DbusService *svc, const char *path, GVariant *args,
                            GError **error)
{
    const char *str;
    unsigned char uuid[16];

    g_variant_get(args, "(&s)", &str);
    if (!domain_uuid_parse(str, uuid)) {
        /* Not echoed: the caller's string may be of any length. */
        g_set_error_literal(error, DRV_ERROR, DRV_ERROR_INVALID_ARG,
                            "uuidstr in virDomainLookupByUUIDString must be a valid UUID");
        return NULL;
    }
    return dbus_reply_domain(drv_domain_lookup_by_uuid(svc->driver, uuid, error));
}

/* = DOMAIN_DEFINE_XML (libvirt-dbus passes no flags) */
static GVariant *
dbus_connect_define_xml(DbusService *svc, const char *path, GVariant *args,
                        GError **error)
{
    const char *xml;

    g_variant_get(args, "(&s)", &xml);
    return dbus_reply_domain(drv_domain_define_xml(svc->driver, xml, 0, error));
}

static GVariant *
dbus_connect_create_xml(DbusService *svc, const char *path, GVariant *args,
                        GError **error)
{
    const char *xml;
    guint32 flags;

    g_variant_get(args, "(&su)", &xml, &flags);
    return dbus_reply_domain(drv_domain_create_xml(svc->driver, xml, flags, error));
}

static GVariant *
dbus_connect_get_capabilities(DbusService *svc, const char *path, GVariant *args,
                              GError **error)
{
    g_autoptr(DrvNodeInfo) node = drv_node_info_new("/", error);
    g_autofree char *caps = NULL;

    if (!node)
        return NULL;
    caps = drv_caps_format(svc->driver->config, node);
    return g_variant_new("(s)", caps);
}

static GVariant *
dbus_connect_get_domain_capabilities(DbusService *svc, const char *path,
                                     GVariant *args, GError **error)
{
    const char *emulator, *arch, *machine, *virttype;
    g_autofree char *caps = NULL;
    guint32 flags;

    /* libvirt-dbus turns "" into NULL (= the driver's default). */
    g_variant_get(args, "(&s&s&s&su)", &emulator, &arch, &machine, &virttype,
                  &flags);
    caps = drv_domcaps_format(svc->driver->config, dbus_empty_to_null(emulator),
                              dbus_empty_to_null(arch), dbus_empty_to_null(machine),
                              dbus_empty_to_null(virttype), flags, error);
    return caps ? g_variant_new("(s)", caps) : NULL;
}

static GVariant *
dbus_connect_node_get_free_memory(DbusService *svc, const char *path,
                                  GVariant *args, GError **error)
{
    uint64_t bytes = 0;

    if (!drv_node_free_memory("/", &bytes, error))
        return NULL;
    return g_variant_new("(t)", (guint64)bytes);
}

static GVariant *
dbus_connect_node_get_security_model(DbusService *svc, const char *path,
                                     GVariant *args, GError **error)
{
    /* No security driver: empty model and doi, as NODE_GET_SECURITY_MODEL. */
    return g_variant_new("(ss)", "", "");
}

/* ---- properties ---------------------------------------------------------- */

static GVariant *
dbus_connect_get_encrypted(DbusService *svc, const char *path, GError **error)
{
    /* libvirt's answer for a local socket; D-Bus traffic is out of scope
     * (the XML's DocString). */
    return g_variant_new_boolean(FALSE);
}

static GVariant *
dbus_connect_get_secure(DbusService *svc, const char *path, GError **error)
{
    /* As CONNECT_IS_SECURE: nothing local can be snooped on. */
    return g_variant_new_boolean(TRUE);
}

static GVariant *
dbus_connect_get_hostname(DbusService *svc, const char *path, GError **error)
{
    char buf[256] = "";

    if (gethostname(buf, sizeof(buf) - 1) < 0 || !*buf) {
        g_set_error_literal(error, DRV_ERROR, DRV_ERROR_SYSTEM_ERROR,
                            "cannot read the host name");
        return NULL;
    }
    return g_variant_new_string(buf);
}

static GVariant *
dbus_connect_get_lib_version(DbusService *svc, const char *path, GError **error)
{
    return g_variant_new_uint64(REMOTE_LIB_VERSION);
}

static GVariant *
dbus_connect_get_version(DbusService *svc, const char *path, GError **error)
{
    return g_variant_new_uint64(svc->hv_version);
}

static const DbusMethod dbus_connect_methods[] = {
    { "DomainCreateXML", dbus_connect_create_xml },
    { "DomainDefineXML", dbus_connect_define_xml },
    { "DomainLookupByID", dbus_connect_lookup_by_id },
    { "DomainLookupByName", dbus_connect_lookup_by_name },
    { "DomainLookupByUUID", dbus_connect_lookup_by_uuid },
    { "GetCapabilities", dbus_connect_get_capabilities },
    { "GetDomainCapabilities", dbus_connect_get_domain_capabilities },
    { "ListDomains", dbus_connect_list_domains },
    { "NodeGetFreeMemory", dbus_connect_node_get_free_memory },
    { "NodeGetSecurityModel", dbus_connect_node_get_security_model },
};

static const DbusProperty dbus_connect_props[] = {
    { "Encrypted", dbus_connect_get_encrypted, NULL },
    { "Hostname", dbus_connect_get_hostname, NULL },
    { "LibVersion", dbus_connect_get_lib_version, NULL },
    { "Secure", dbus_connect_get_secure, NULL },
    { "Version", dbus_connect_get_version, NULL },
};

const DbusInterfaceImpl dbus_connect_impl = {
    .name = "org.libvirt.Connect",
    .methods = dbus_connect_methods,
    .n_methods = G_N_ELEMENTS(dbus_connect_methods),
    .more_methods = dbus_connect_more_methods,
    .props = dbus_connect_props,
    .n_props = G_N_ELEMENTS(dbus_connect_props),
};
