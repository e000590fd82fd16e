/* SPDX-License-Identifier: Apache-2.0 */
/* virsh nodedev-*, nova's PCI and mdev inventory: libvirtd's node devices. */
#include <config.h>

#include "driver/remote/remote-secondary.h"

/* A node device is named by its name, as libvirtd's nodedev driver finds
 * it; the lookup's error is libvirtd's (NO_NODE_DEVICE). */
static virNodeDevicePtr
remote_sec_node_device(virConnectPtr conn, const char *name, GError **error)
{
    virNodeDevicePtr dev = virNodeDeviceLookupByName(conn, name);

    if (!dev)
        drv_forward_set_error(error);
    return dev;
}

static void
remote_sec_make_node_device(virNodeDevicePtr dev,
                            remote_nonnull_node_device *out)
{
    out->name = g_strdup(virNodeDeviceGetName(dev));
}

static const RemoteFwdType remote_sec_node_device_type = {
    .kind = DRV_FORWARD_NODE_DEVICES,
    .size = sizeof(remote_nonnull_node_device),
    .lookup = (gpointer (*)(virConnectPtr, gconstpointer, GError **))
        remote_sec_node_device,
    .make = (void (*)(gpointer, gpointer))remote_sec_make_node_device,
    .free = (int (*)(gpointer))virNodeDeviceFree,
};

/* A call that answers one node device. */
static bool
remote_sec_node_device_reply(virNodeDevicePtr dev, void *ret, GError **error)
{
    return remote_fwd_reply(&remote_sec_node_device_type, dev,
                            &((remote_sec_node_device_ret *)ret)->dev, error);
}

REMOTE_HANDLER(remote_sec_node_num_of_devices)
{
    const remote_sec_node_num_of_devices_args *a = args;
    g_autoptr(virConnect) conn =
        remote_fwd_conn(call, DRV_FORWARD_NODE_DEVICES, error);
    remote_fwd_num_ret *r = ret;

    if (!conn)
        return false;
    if ((r->num = virNodeNumOfDevices(conn, a->cap ? *a->cap : NULL,
                                      a->flags)) < 0) {
        drv_forward_set_error(error);
        return false;
    }
    return true;
}

REMOTE_HANDLER(remote_sec_node_list_devices)
{
    const remote_sec_node_list_devices_args *a = args;
    g_autoptr(virConnect) conn =
        remote_fwd_conn(call, DRV_FORWARD_NODE_DEVICES, error);
    char **names;

    if (!conn || !(names = remote_fwd_names_new(a->maxnames, error)))
        return false;
    return remote_fwd_names_finish(
        names, virNodeListDevices(conn, a->cap ? *a->cap : NULL, names,
                                  a->maxnames, a->flags), ret, error);
}

REMOTE_HANDLER(remote_sec_connect_list_all_node_devices)
{
    const remote_fwd_list_all_args *a = args;
    remote_sec_list_all_node_devices_ret *r = ret;
    g_autoptr(virConnect) conn =
        remote_fwd_conn(call, DRV_FORWARD_NODE_DEVICES, error);
    virNodeDevicePtr *devs = NULL;
    int n;

    if (!conn)
        return false;
    n = virConnectListAllNodeDevices(conn, a->need_results ? &devs : NULL,
                                     a->flags);
    return remote_fwd_list_all_finish(&remote_sec_node_device_type, n,
                                      (gpointer *)devs, &r->ret,
                                      &r->devices.devices_len,
                                      (gpointer *)&r->devices.devices_val,
                                      error);
}

REMOTE_HANDLER(remote_sec_node_device_lookup_by_name)
{
    const remote_fwd_name_args *a = args;
    g_autoptr(virConnect) conn =
        remote_fwd_conn(call, DRV_FORWARD_NODE_DEVICES, error);

    return conn && remote_sec_node_device_reply(
        virNodeDeviceLookupByName(conn, a->name), ret, error);
}

REMOTE_HANDLER(remote_sec_node_device_get_xml_desc)
{
    const remote_sec_name_flags_args *a = args;

    return remote_fwd_xml_desc(call, &remote_sec_node_device_type, a->name,
                               (RemoteFwdXmlOp)virNodeDeviceGetXMLDesc,
                               a->flags, ret, error);
}

REMOTE_HANDLER(remote_sec_node_device_get_parent)
{
    const remote_fwd_name_args *a = args;
    remote_sec_node_device_get_parent_ret *r = ret;
    g_autoptr(virConnect) conn =
        remote_fwd_conn(call, DRV_FORWARD_NODE_DEVICES, error);
    g_autoptr(virNodeDevice) dev = NULL;
    const char *parent;

    if (!conn || !(dev = remote_sec_node_device(conn, a->name, error)))
        return false;
    /* NULL is an answer (the root device has no parent), not a failure:
     * libvirt's client asks the daemon for it, and so do we. */
    if ((parent = virNodeDeviceGetParent(dev))) {
        r->parent = g_new0(char *, 1);
        *r->parent = g_strdup(parent);
    }
    return true;
}

REMOTE_HANDLER(remote_sec_node_device_num_of_caps)
{
    const remote_fwd_name_args *a = args;

    return remote_fwd_do(call, &remote_sec_node_device_type, a->name,
                         (RemoteFwdOp)virNodeDeviceNumOfCaps,
                         &((remote_fwd_num_ret *)ret)->num, error);
}

REMOTE_HANDLER(remote_sec_node_device_list_caps)
{
    const remote_sec_name_maxnames_args *a = args;
    g_autoptr(virConnect) conn =
        remote_fwd_conn(call, DRV_FORWARD_NODE_DEVICES, error);
    g_autoptr(virNodeDevice) dev = NULL;
    char **names;

    if (!conn || !(dev = remote_sec_node_device(conn, a->name, error)) ||
        !(names = remote_fwd_names_new(a->maxnames, error)))
        return false;
    return remote_fwd_names_finish(
        names, virNodeDeviceListCaps(dev, names, a->maxnames), ret, error);
}

REMOTE_HANDLER(remote_sec_node_device_create_xml)
{
    const remote_fwd_xml_flags_args *a = args;
    g_autoptr(virConnect) conn =
        remote_fwd_conn(call, DRV_FORWARD_NODE_DEVICES, error);

    return conn && remote_sec_node_device_reply(
        virNodeDeviceCreateXML(conn, a->xml, a->flags), ret, error);
}

REMOTE_HANDLER(remote_sec_node_device_destroy)
{
    const remote_fwd_name_args *a = args;

    return remote_fwd_do(call, &remote_sec_node_device_type, a->name,
                         (RemoteFwdOp)virNodeDeviceDestroy, NULL, error);
}
