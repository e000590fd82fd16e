/* SPDX-License-Identifier: Apache-2.0 */
/* Connect's network, storage, host device and host-memory methods. */
#include <config.h>

#include "driver/dbus/dbus-priv.h"
#include "driver/nodestats.h"

/* The host the node statistics describe (the RPC procedure's root). */
#define DBUS_HOST_ROOT "/"

/* = NODE_GET_MEMORY_STATS: the same counters, in KiB, as {field: value}
 * (libvirt-dbus's a{st}; cockpit-machines reads "total"). */
static GVariant *
dbus_connect_node_get_memory_stats(DbusService *svc, const char *path,
                                   GVariant *args, GError **error)
{
    DrvNodeStat st[DRV_NODE_MEMORY_STATS_COUNT];
    GVariantBuilder b;
    gint32 cell;
    guint32 flags;
    int n;

    g_variant_get(args, "(iu)", &cell, &flags);
    if (!drv_check_flags(flags, 0, "virNodeGetMemoryStats", error) ||
        (n = drv_node_memory_stats(DBUS_HOST_ROOT, cell, st, error)) < 0)
        return NULL;
    g_variant_builder_init(&b, G_VARIANT_TYPE("a{st}"));
    for (int i = 0; i < n; i++)
        g_variant_builder_add(&b, "{st}", st[i].field, (guint64)st[i].value);
    return g_variant_new("(a{st})", &b);
}

/* Network, storage, interface and node device methods live beside their
 * objects (dbus-network.c, dbus-storage.c, dbus-nodedev.c); this table
 * adds them to Connect's. */
const DbusMethod dbus_connect_more_methods[] = {
    { "InterfaceLookupByMAC", dbus_connect_iface_lookup_by_mac },
    { "InterfaceLookupByName", dbus_connect_iface_lookup_by_name },
    { "ListInterfaces", dbus_connect_list_interfaces },
    { "ListNetworks", dbus_connect_list_networks },
    { "ListNodeDevices", dbus_connect_list_node_devices },
    { "ListStoragePools", dbus_connect_list_storage_pools },
    { "NetworkCreateXML", dbus_connect_network_create_xml },
    { "NetworkDefineXML", dbus_connect_network_define_xml },
    { "NetworkLookupByName", dbus_connect_network_lookup_by_name },
    { "NetworkLookupByUUID", dbus_connect_network_lookup_by_uuid },
    { "NodeDeviceLookupByName", dbus_connect_nodedev_lookup_by_name },
    { "NodeGetMemoryStats", dbus_connect_node_get_memory_stats },
    { "StoragePoolCreateXML", dbus_connect_pool_create_xml },
    { "StoragePoolDefineXML", dbus_connect_pool_define_xml },
    { "StoragePoolLookupByName", dbus_connect_pool_lookup_by_name },
    { "StoragePoolLookupByUUID", dbus_connect_pool_lookup_by_uuid },
    { "StorageVolLookupByKey", dbus_connect_vol_lookup_by_key },
    { "StorageVolLookupByPath", dbus_connect_vol_lookup_by_path },
    { NULL, NULL },
};
