/* SPDX-License-Identifier: Apache-2.0 */
/* org.libvirt.Network objects and Connect's network methods: libvirtd's. */
#include <config.h>

#include <string.h>
#include <libvirt/virterror.h>

#include "driver/dbus/dbus-fwd-object.h"

/*
 * Networks are libvirtd's (driver/forward.h): each method makes the same
 * libvirt call, on the same shared connection, as the RPC procedure it
 * mirrors (driver/remote/remote-network.c), so ch:/// and D-Bus give the
 * same answers and libvirtd's errors unchanged.  Objects are found by UUID,
 * as libvirtd's network driver finds them.
 */

char *
dbus_network_path(virNetworkPtr net)
{
    unsigned char uuid[16];
    char node[DBUS_UUID_NODE_LEN + 1];

    /* libvirt-dbus: "<driver>/network/" + the UUID node of a domain. */
    virNetworkGetUUID(net, uuid);
    dbus_domain_node(uuid, node);
    return g_strconcat(DBUS_NETWORK_PATH "/", node, NULL);
}

static gpointer
dbus_network_lookup(virConnectPtr conn, const unsigned char *uuid)
{
    return virNetworkLookupByUUID(conn, uuid);
}

/* libvirtd's code and text for a network it does not know. */
static const DbusFwdKind dbus_network_kind = {
    .prefix = DBUS_NETWORK_PATH,
    .fwd_kind = DRV_FORWARD_NETWORKS,
    .lookup_uuid = dbus_network_lookup,
    .err_domain = VIR_FROM_NETWORK,
    .err_code = VIR_ERR_NO_NETWORK,
    .not_found = "Network not found: no network with matching object path",
};

/* The network @path names.  (transfer full) */
static virNetworkPtr
dbus_network_from_path(DbusService *svc, const char *path, GError **error)
{
    return dbus_fwd_object_from_path(svc, &dbus_network_kind, path, error);
}

/* (o) for @net, which it consumes; NULL with libvirt's error for NULL. */
static GVariant *
dbus_reply_network(virNetworkPtr net, GError **error)
{
    g_autofree char *path = NULL;

    if (!net) {
        drv_forward_set_error(error);
        return NULL;
    }
    path = dbus_network_path(net);
    virNetworkFree(net);
    return g_variant_new("(o)", path);
}

/* ---- Connect methods ----------------------------------------------------- */

/* = CONNECT_LIST_ALL_NETWORKS */
GVariant *
dbus_connect_list_networks(DbusService *svc, const char *path, GVariant *args,
                           GError **error)
{
    g_autoptr(virConnect) conn =
        drv_forward_conn_new(svc->driver->forward, DRV_FORWARD_NETWORKS, error);
    virNetworkPtr *nets = NULL;
    GVariantBuilder b;
    guint32 flags;
    int n;

    g_variant_get(args, "(u)", &flags);
    if (!conn)
        return NULL;
    if ((n = virConnectListAllNetworks(conn, &nets, flags)) < 0) {
        drv_forward_set_error(error);
        return NULL;
    }
    g_variant_builder_init(&b, G_VARIANT_TYPE("ao"));
    for (int i = 0; i < n; i++) {
        g_autofree char *p = dbus_network_path(nets[i]);

        g_variant_builder_add(&b, "o", p);
        virNetworkFree(nets[i]);
    }
    free(nets);
    return g_variant_new("(ao)", &b);
}

GVariant *
dbus_connect_network_lookup_by_name(DbusService *svc, const char *path,
                                    GVariant *args, GError **error)
{
    g_autoptr(virConnect) conn =
        drv_forward_conn_new(svc->driver->forward, DRV_FORWARD_NETWORKS, error);
    const char *name;

    g_variant_get(args, "(&s)", &name);
    return conn ? dbus_reply_network(virNetworkLookupByName(conn, name), error)
                : NULL;
}

/* virNetworkLookupByUUIDString: the client library parses the string, so
 * a bad one is libvirt's own "invalid argument" error. */
GVariant *
dbus_connect_network_lookup_by_uuid(DbusService *svc, const char *path,
                                    GVariant *args, GError **error)
{
    g_autoptr(virConnect) conn =
        drv_forward_conn_new(svc->driver->forward, DRV_FORWARD_NETWORKS, error);
    const char *uuid;

    g_variant_get(args, "(&s)", &uuid);
    return conn ? dbus_reply_network(virNetworkLookupByUUIDString(conn, uuid),
                                     error)
                : NULL;
}

GVariant *
dbus_connect_network_define_xml(DbusService *svc, const char *path,
                                GVariant *args, GError **error)
{
    g_autoptr(virConnect) conn =
        drv_forward_conn_new(svc->driver->forward, DRV_FORWARD_NETWORKS, error);
    const char *xml;

    g_variant_get(args, "(&s)", &xml);
    return conn ? dbus_reply_network(virNetworkDefineXML(conn, xml), error)
                : NULL;
}

GVariant *
dbus_connect_network_create_xml(DbusService *svc, const char *path,
                                GVariant *args, GError **error)
{
    g_autoptr(virConnect) conn =
        drv_forward_conn_new(svc->driver->forward, DRV_FORWARD_NETWORKS, error);
    const char *xml;

    g_variant_get(args, "(&s)", &xml);
    return conn ? dbus_reply_network(virNetworkCreateXML(conn, xml), error)
                : NULL;
}

/* ---- Network methods ----------------------------------------------------- */

static GVariant *
dbus_network_create(DbusService *svc, const char *path, GVariant *args,
                    GError **error)
{
    g_autoptr(virNetwork) net = dbus_network_from_path(svc, path, error);

    return net ? dbus_fwd_unit(virNetworkCreate(net), error) : NULL;
}

static GVariant *
dbus_network_destroy(DbusService *svc, const char *path, GVariant *args,
                     GError **error)
{
    g_autoptr(virNetwork) net = dbus_network_from_path(svc, path, error);

    return net ? dbus_fwd_unit(virNetworkDestroy(net), error) : NULL;
}

static GVariant *
dbus_network_undefine(DbusService *svc, const char *path, GVariant *args,
                      GError **error)
{
    g_autoptr(virNetwork) net = dbus_network_from_path(svc, path, error);

    return net ? dbus_fwd_unit(virNetworkUndefine(net), error) : NULL;
}

static GVariant *
dbus_network_get_xml_desc(DbusService *svc, const char *path, GVariant *args,
                          GError **error)
{
    g_autoptr(virNetwork) net = dbus_network_from_path(svc, path, error);
    guint32 flags;

    g_variant_get(args, "(u)", &flags);
    return net ? dbus_fwd_string(virNetworkGetXMLDesc(net, flags), error)
               : NULL;
}

/* ---- properties ---------------------------------------------------------- */

static GVariant *
dbus_network_get_active(DbusService *svc, const char *path, GError **error)
{
    g_autoptr(virNetwork) net = dbus_network_from_path(svc, path, error);

    return net ? dbus_fwd_bool(virNetworkIsActive(net), error) : NULL;
}

static GVariant *
dbus_network_get_persistent(DbusService *svc, const char *path, GError **error)
{
    g_autoptr(virNetwork) net = dbus_network_from_path(svc, path, error);

    return net ? dbus_fwd_bool(virNetworkIsPersistent(net), error) : NULL;
}

static GVariant *
dbus_network_get_autostart(DbusService *svc, const char *path, GError **error)
{
    g_autoptr(virNetwork) net = dbus_network_from_path(svc, path, error);
    int autostart = 0;

    if (!net)
        return NULL;
    return dbus_fwd_bool(virNetworkGetAutostart(net, &autostart) < 0 ?
                             -1 : autostart, error);
}

static bool
dbus_network_set_autostart(DbusService *svc, const char *path,
                           GVariant *value, GError **error)
{
    g_autoptr(virNetwork) net = dbus_network_from_path(svc, path, error);

    if (!net)
        return false;
    if (virNetworkSetAutostart(net, g_variant_get_boolean(value)) < 0) {
        drv_forward_set_error(error);
        return false;
    }
    return true;
}

static GVariant *
dbus_network_get_name(DbusService *svc, const char *path, GError **error)
{
    g_autoptr(virNetwork) net = dbus_network_from_path(svc, path, error);

    return net ? g_variant_new_string(virNetworkGetName(net)) : NULL;
}

static GVariant *
dbus_network_get_uuid(DbusService *svc, const char *path, GError **error)
{
    g_autoptr(virNetwork) net = dbus_network_from_path(svc, path, error);
    char uuid[VIR_UUID_STRING_BUFLEN] = "";

    if (!net)
        return NULL;
    if (virNetworkGetUUIDString(net, uuid) < 0) {
        drv_forward_set_error(error);
        return NULL;
    }
    return g_variant_new_string(uuid);
}

/* Not forwarded by the RPC program either (GetDHCPLeases, Update): they
 * answer NO_SUPPORT from the table's absence. */
static const DbusMethod dbus_network_methods[] = {
    { "Create", dbus_network_create },
    { "Destroy", dbus_network_destroy },
    { "GetXMLDesc", dbus_network_get_xml_desc },
    { "Undefine", dbus_network_undefine },
};

static const DbusProperty dbus_network_props[] = {
    { "Active", dbus_network_get_active, NULL },
    { "Autostart", dbus_network_get_autostart, dbus_network_set_autostart },
    { "Name", dbus_network_get_name, NULL },
    { "Persistent", dbus_network_get_persistent, NULL },
    { "UUID", dbus_network_get_uuid, NULL },
};

const DbusInterfaceImpl dbus_network_impl = {
    .name = "org.libvirt.Network",
    .methods = dbus_network_methods,
    .n_methods = G_N_ELEMENTS(dbus_network_methods),
    .props = dbus_network_props,
    .n_props = G_N_ELEMENTS(dbus_network_props),
};
