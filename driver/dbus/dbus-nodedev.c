/* SPDX-License-Identifier: Apache-2.0 */
/* org.libvirt.Interface and NodeDevice objects: libvirtd's, forwarded. */
#include <config.h>

#include <string.h>
#include <libvirt/virterror.h>

#include "driver/dbus/dbus-fwd-object.h"

/*
 * The host's network interfaces and devices are libvirtd's, as networks
 * and pools are (dbus-network.c): its interface and nodedev drivers own
 * them, so each method makes the same libvirt call on the shared
 * connection and answers libvirtd's errors unchanged.  libvirt-dbus names
 * an interface by its encoded MAC (and finds it by MAC) and a node device
 * by its encoded name.
 *
 * Not here, so NO_SUPPORT: NodeDevice Detach, ReAttach and Reset, which
 * libvirt implements in the hypervisor driver (they hand a PCI device to
 * the hypervisor), and nimbusd never uses libvirtd's hypervisor driver;
 * interface definition and transactions (InterfaceDefineXML,
 * InterfaceChange*), which change the host's network configuration files
 * behind its network manager.
 */

/* ---- paths --------------------------------------------------------------- */

/* (transfer full), or NULL for an interface without a MAC: libvirt-dbus's
 * path for it would be the bare prefix, which names no object. */
static char *
dbus_iface_path(virInterfacePtr iface)
{
    const char *mac = virInterfaceGetMACString(iface);
    g_autofree char *enc = NULL;

    if (!mac || !*mac)
        return NULL;
    enc = dbus_encode_str(mac);
    return g_strconcat(DBUS_IFACE_PATH "/", enc, NULL);
}

char *
dbus_nodedev_path(virNodeDevicePtr dev)
{
    g_autofree char *enc = dbus_encode_str(virNodeDeviceGetName(dev));

    return g_strconcat(DBUS_NODEDEV_PATH "/", enc, NULL);
}

static gpointer
dbus_iface_lookup(virConnectPtr conn, const char *mac)
{
    return virInterfaceLookupByMACString(conn, mac);
}

static gpointer
dbus_nodedev_lookup(virConnectPtr conn, const char *name)
{
    return virNodeDeviceLookupByName(conn, name);
}

static const DbusFwdKind dbus_iface_kind = {
    .prefix = DBUS_IFACE_PATH,
    .fwd_kind = DRV_FORWARD_INTERFACES,
    .lookup_str = dbus_iface_lookup,
    .err_domain = VIR_FROM_INTERFACE,
    .err_code = VIR_ERR_NO_INTERFACE,
    .not_found = "Interface not found: no Interface with matching object "
                 "path",
};

static const DbusFwdKind dbus_nodedev_kind = {
    .prefix = DBUS_NODEDEV_PATH,
    .fwd_kind = DRV_FORWARD_NODE_DEVICES,
    .lookup_str = dbus_nodedev_lookup,
    .err_domain = VIR_FROM_NODEDEV,
    .err_code = VIR_ERR_NO_NODE_DEVICE,
    .not_found = "Node device not found: no Node device with matching "
                 "object path",
};

/* The interface @path names.  (transfer full) */
static virInterfacePtr
dbus_iface_from_path(DbusService *svc, const char *path, GError **error)
{
    return dbus_fwd_object_from_path(svc, &dbus_iface_kind, path, error);
}

/* The node device @path names.  (transfer full) */
static virNodeDevicePtr
dbus_nodedev_from_path(DbusService *svc, const char *path, GError **error)
{
    return dbus_fwd_object_from_path(svc, &dbus_nodedev_kind, path, error);
}

/* ---- Connect methods ----------------------------------------------------- */

/* = CONNECT_LIST_ALL_INTERFACES */
GVariant *
dbus_connect_list_interfaces(DbusService *svc, const char *path,
                             GVariant *args, GError **error)
{
    g_autoptr(virConnect) conn =
        drv_forward_conn_new(svc->driver->forward, DRV_FORWARD_INTERFACES, error);
    virInterfacePtr *ifaces = NULL;
    GVariantBuilder b;
    guint32 flags;
    int n;

    g_variant_get(args, "(u)", &flags);
    if (!conn)
        return NULL;
    if ((n = virConnectListAllInterfaces(conn, &ifaces, flags)) < 0) {
        drv_forward_set_error(error);
        return NULL;
    }
    g_variant_builder_init(&b, G_VARIANT_TYPE("ao"));
    for (int i = 0; i < n; i++) {
        g_autofree char *p = dbus_iface_path(ifaces[i]);

        if (p)
            g_variant_builder_add(&b, "o", p);
        virInterfaceFree(ifaces[i]);
    }
    free(ifaces);   /* libvirt's allocation */
    return g_variant_new("(ao)", &b);
}

/* (o) for @iface, which it consumes; NULL with libvirt's error for NULL. */
static GVariant *
dbus_reply_iface(virInterfacePtr iface, GError **error)
{
    g_autofree char *p = NULL;

    if (!iface) {
        drv_forward_set_error(error);
        return NULL;
    }
    p = dbus_iface_path(iface);
    if (!p) {
        g_set_error(error, DRV_RELAYED_ERROR,
                    DRV_RELAYED_CODE(VIR_FROM_INTERFACE,
                                     VIR_ERR_NO_INTERFACE),
                    "Interface not found: '%s' has no MAC address to name "
                    "its object by", virInterfaceGetName(iface));
    }
    virInterfaceFree(iface);
    return p ? g_variant_new("(o)", p) : NULL;
}

GVariant *
dbus_connect_iface_lookup_by_mac(DbusService *svc, const char *path,
                                 GVariant *args, GError **error)
{
    g_autoptr(virConnect) conn =
        drv_forward_conn_new(svc->driver->forward, DRV_FORWARD_INTERFACES, error);
    const char *mac;

    g_variant_get(args, "(&s)", &mac);
    return conn ? dbus_reply_iface(virInterfaceLookupByMACString(conn, mac),
                                   error)
                : NULL;
}

GVariant *
dbus_connect_iface_lookup_by_name(DbusService *svc, const char *path,
                                  GVariant *args, GError **error)
{
    g_autoptr(virConnect) conn =
        drv_forward_conn_new(svc->driver->forward, DRV_FORWARD_INTERFACES, error);
    const char *name;

    g_variant_get(args, "(&s)", &name);
    return conn ? dbus_reply_iface(virInterfaceLookupByName(conn, name), error)
                : NULL;
}

/* = CONNECT_LIST_ALL_NODE_DEVICES */
GVariant *
dbus_connect_list_node_devices(DbusService *svc, const char *path,
                               GVariant *args, GError **error)
{
    g_autoptr(virConnect) conn =
        drv_forward_conn_new(svc->driver->forward, DRV_FORWARD_NODE_DEVICES, error);
    virNodeDevicePtr *devs = NULL;
    GVariantBuilder b;
    guint32 flags;
    int n;

    g_variant_get(args, "(u)", &flags);
    if (!conn)
        return NULL;
    if ((n = virConnectListAllNodeDevices(conn, &devs, flags)) < 0) {
        drv_forward_set_error(error);
        return NULL;
    }
    g_variant_builder_init(&b, G_VARIANT_TYPE("ao"));
    for (int i = 0; i < n; i++) {
        g_autofree char *p = dbus_nodedev_path(devs[i]);

        g_variant_builder_add(&b, "o", p);
        virNodeDeviceFree(devs[i]);
    }
    free(devs);
    return g_variant_new("(ao)", &b);
}

GVariant *
dbus_connect_nodedev_lookup_by_name(DbusService *svc, const char *path,
                                    GVariant *args, GError **error)
{
    g_autoptr(virConnect) conn =
        drv_forward_conn_new(svc->driver->forward, DRV_FORWARD_NODE_DEVICES, error);
    g_autoptr(virNodeDevice) dev = NULL;
    g_autofree char *p = NULL;
    const char *name;

    g_variant_get(args, "(&s)", &name);
    if (!conn)
        return NULL;
    if (!(dev = virNodeDeviceLookupByName(conn, name))) {
        drv_forward_set_error(error);
        return NULL;
    }
    p = dbus_nodedev_path(dev);
    return g_variant_new("(o)", p);
}

/* ---- Interface ----------------------------------------------------------- */

static GVariant *
dbus_iface_create(DbusService *svc, const char *path, GVariant *args,
                  GError **error)
{
    g_autoptr(virInterface) iface = dbus_iface_from_path(svc, path, error);
    guint32 flags;

    g_variant_get(args, "(u)", &flags);
    return iface ? dbus_fwd_unit(virInterfaceCreate(iface, flags), error)
                 : NULL;
}

static GVariant *
dbus_iface_destroy(DbusService *svc, const char *path, GVariant *args,
                   GError **error)
{
    g_autoptr(virInterface) iface = dbus_iface_from_path(svc, path, error);
    guint32 flags;

    g_variant_get(args, "(u)", &flags);
    return iface ? dbus_fwd_unit(virInterfaceDestroy(iface, flags), error)
                 : NULL;
}

static GVariant *
dbus_iface_undefine(DbusService *svc, const char *path, GVariant *args,
                    GError **error)
{
    g_autoptr(virInterface) iface = dbus_iface_from_path(svc, path, error);

    return iface ? dbus_fwd_unit(virInterfaceUndefine(iface), error) : NULL;
}

static GVariant *
dbus_iface_get_xml_desc(DbusService *svc, const char *path, GVariant *args,
                        GError **error)
{
    g_autoptr(virInterface) iface = dbus_iface_from_path(svc, path, error);
    guint32 flags;

    g_variant_get(args, "(u)", &flags);
    return iface ? dbus_fwd_string(virInterfaceGetXMLDesc(iface, flags), error)
                 : NULL;
}

static GVariant *
dbus_iface_get_active(DbusService *svc, const char *path, GError **error)
{
    g_autoptr(virInterface) iface = dbus_iface_from_path(svc, path, error);

    return iface ? dbus_fwd_bool(virInterfaceIsActive(iface), error) : NULL;
}

static GVariant *
dbus_iface_get_mac(DbusService *svc, const char *path, GError **error)
{
    g_autoptr(virInterface) iface = dbus_iface_from_path(svc, path, error);
    const char *mac;

    if (!iface)
        return NULL;
    mac = virInterfaceGetMACString(iface);
    return g_variant_new_string(mac ? mac : "");
}

static GVariant *
dbus_iface_get_name(DbusService *svc, const char *path, GError **error)
{
    g_autoptr(virInterface) iface = dbus_iface_from_path(svc, path, error);

    return iface ? g_variant_new_string(virInterfaceGetName(iface)) : NULL;
}

static const DbusMethod dbus_iface_methods[] = {
    { "Create", dbus_iface_create },
    { "Destroy", dbus_iface_destroy },
    { "GetXMLDesc", dbus_iface_get_xml_desc },
    { "Undefine", dbus_iface_undefine },
};

static const DbusProperty dbus_iface_props[] = {
    { "Active", dbus_iface_get_active, NULL },
    { "MAC", dbus_iface_get_mac, NULL },
    { "Name", dbus_iface_get_name, NULL },
};

const DbusInterfaceImpl dbus_iface_impl = {
    .name = "org.libvirt.Interface",
    .methods = dbus_iface_methods,
    .n_methods = G_N_ELEMENTS(dbus_iface_methods),
    .props = dbus_iface_props,
    .n_props = G_N_ELEMENTS(dbus_iface_props),
};

/* ---- NodeDevice ---------------------------------------------------------- */

static GVariant *
dbus_nodedev_destroy(DbusService *svc, const char *path, GVariant *args,
                     GError **error)
{
    g_autoptr(virNodeDevice) dev = dbus_nodedev_from_path(svc, path, error);

    return dev ? dbus_fwd_unit(virNodeDeviceDestroy(dev), error) : NULL;
}

static GVariant *
dbus_nodedev_get_xml_desc(DbusService *svc, const char *path, GVariant *args,
                          GError **error)
{
    g_autoptr(virNodeDevice) dev = dbus_nodedev_from_path(svc, path, error);
    guint32 flags;

    g_variant_get(args, "(u)", &flags);
    return dev ? dbus_fwd_string(virNodeDeviceGetXMLDesc(dev, flags), error)
               : NULL;
}

static GVariant *
dbus_nodedev_list_caps(DbusService *svc, const char *path, GVariant *args,
                       GError **error)
{
    g_autoptr(virNodeDevice) dev = dbus_nodedev_from_path(svc, path, error);
    char **names = NULL;
    GVariantBuilder b;
    int n;

    if (!dev)
        return NULL;
    /* libvirt-dbus sizes the array from virNodeDeviceNumOfCaps, a second
     * round trip that may disagree with the first; list-all has no such
     * race, but this API has no list-all: ask for the count, then list
     * at most that many. */
    if ((n = virNodeDeviceNumOfCaps(dev)) < 0) {
        drv_forward_set_error(error);
        return NULL;
    }
    names = g_new0(char *, n + 1);
    if (n > 0 && (n = virNodeDeviceListCaps(dev, names, n)) < 0) {
        g_free(names);
        drv_forward_set_error(error);
        return NULL;
    }
    g_variant_builder_init(&b, G_VARIANT_TYPE("as"));
    for (int i = 0; i < n; i++) {
        g_variant_builder_add(&b, "s", names[i]);
        free(names[i]);     /* libvirt's allocation */
    }
    g_free(names);
    return g_variant_new("(as)", &b);
}

static GVariant *
dbus_nodedev_get_name(DbusService *svc, const char *path, GError **error)
{
    g_autoptr(virNodeDevice) dev = dbus_nodedev_from_path(svc, path, error);

    return dev ? g_variant_new_string(virNodeDeviceGetName(dev)) : NULL;
}

static GVariant *
dbus_nodedev_get_parent(DbusService *svc, const char *path, GError **error)
{
    g_autoptr(virNodeDevice) dev = dbus_nodedev_from_path(svc, path, error);
    const char *parent;

    if (!dev)
        return NULL;
    /* The root device ("computer") has none: "" as libvirt-dbus. */
    parent = virNodeDeviceGetParent(dev);
    return g_variant_new_string(parent ? parent : "");
}

static const DbusMethod dbus_nodedev_methods[] = {
    { "Destroy", dbus_nodedev_destroy },
    { "GetXMLDesc", dbus_nodedev_get_xml_desc },
    { "ListCaps", dbus_nodedev_list_caps },
};

static const DbusProperty dbus_nodedev_props[] = {
    { "Name", dbus_nodedev_get_name, NULL },
    { "Parent", dbus_nodedev_get_parent, NULL },
};

const DbusInterfaceImpl dbus_nodedev_impl = {
    .name = "org.libvirt.NodeDevice",
    .methods = dbus_nodedev_methods,
    .n_methods = G_N_ELEMENTS(dbus_nodedev_methods),
    .props = dbus_nodedev_props,
    .n_props = G_N_ELEMENTS(dbus_nodedev_props),
};
