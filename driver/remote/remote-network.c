/* SPDX-License-Identifier: Apache-2.0 */
/* virsh net-*, virt-manager and virt-install's networks: libvirtd's. */
#include <config.h>

#include "driver/remote/remote-forward.h"

/* Counting and legacy listing (virsh net-list asks list-all first; older
 * tools and virt-manager's probe use these). */
REMOTE_HANDLER(remote_fwd_connect_num_of_networks)
{
    return remote_fwd_count(call, DRV_FORWARD_NETWORKS,
                            virConnectNumOfNetworks, ret, error);
}

REMOTE_HANDLER(remote_fwd_connect_num_of_defined_networks)
{
    return remote_fwd_count(call, DRV_FORWARD_NETWORKS,
                            virConnectNumOfDefinedNetworks, ret, error);
}

REMOTE_HANDLER(remote_fwd_connect_list_networks)
{
    const remote_fwd_maxnames_args *a = args;

    return remote_fwd_list(call, DRV_FORWARD_NETWORKS, virConnectListNetworks,
                           a->maxnames, ret, error);
}

REMOTE_HANDLER(remote_fwd_connect_list_defined_networks)
{
    const remote_fwd_maxnames_args *a = args;

    return remote_fwd_list(call, DRV_FORWARD_NETWORKS,
                           virConnectListDefinedNetworks, a->maxnames, ret,
                           error);
}

REMOTE_HANDLER(remote_fwd_connect_list_all_networks)
{
    const remote_fwd_list_all_args *a = args;
    remote_fwd_list_all_networks_ret *r = ret;
    g_autoptr(virConnect) conn =
        remote_fwd_conn(call, DRV_FORWARD_NETWORKS, error);
    virNetworkPtr *nets = NULL;
    int n;

    if (!conn)
        return false;
    n = virConnectListAllNetworks(conn, a->need_results ? &nets : NULL,
                                  a->flags);
    return remote_fwd_list_all_finish(&remote_fwd_network_type, n,
                                      (gpointer *)nets, &r->ret,
                                      &r->nets.nets_len,
                                      (gpointer *)&r->nets.nets_val, error);
}

/* A call that answers one network. */
static bool
remote_fwd_network_reply(virNetworkPtr net, void *ret, GError **error)
{
    return remote_fwd_reply(&remote_fwd_network_type, net,
                            &((remote_fwd_network_ret *)ret)->net, error);
}

REMOTE_HANDLER(remote_fwd_network_lookup_by_name)
{
    const remote_fwd_name_args *a = args;
    g_autoptr(virConnect) conn =
        remote_fwd_conn(call, DRV_FORWARD_NETWORKS, error);

    return conn && remote_fwd_network_reply(
        virNetworkLookupByName(conn, a->name), ret, error);
}

REMOTE_HANDLER(remote_fwd_network_lookup_by_uuid)
{
    const remote_fwd_uuid_args *a = args;
    g_autoptr(virConnect) conn =
        remote_fwd_conn(call, DRV_FORWARD_NETWORKS, error);

    return conn && remote_fwd_network_reply(
        virNetworkLookupByUUID(conn, (const unsigned char *)a->uuid),
        ret, error);
}

REMOTE_HANDLER(remote_fwd_network_create_xml)
{
    const remote_fwd_xml_args *a = args;
    g_autoptr(virConnect) conn =
        remote_fwd_conn(call, DRV_FORWARD_NETWORKS, error);

    return conn && remote_fwd_network_reply(
        virNetworkCreateXML(conn, a->xml), ret, error);
}

REMOTE_HANDLER(remote_fwd_network_define_xml)
{
    const remote_fwd_xml_args *a = args;
    g_autoptr(virConnect) conn =
        remote_fwd_conn(call, DRV_FORWARD_NETWORKS, error);

    return conn && remote_fwd_network_reply(
        virNetworkDefineXML(conn, a->xml), ret, error);
}

/* The calls on one network: found by UUID, then @op.  -1 is failure. */
static bool
remote_fwd_network_do(RpcCall *call, const remote_nonnull_network *net,
                      int (*op)(virNetworkPtr), int *result, GError **error)
{
    return remote_fwd_do(call, &remote_fwd_network_type, net,
                         (RemoteFwdOp)op, result, error);
}

REMOTE_HANDLER(remote_fwd_network_create)
{
    const remote_fwd_network_args *a = args;

    return remote_fwd_network_do(call, &a->net, virNetworkCreate, NULL,
                                 error);
}

REMOTE_HANDLER(remote_fwd_network_destroy)
{
    const remote_fwd_network_args *a = args;

    return remote_fwd_network_do(call, &a->net, virNetworkDestroy, NULL,
                                 error);
}

REMOTE_HANDLER(remote_fwd_network_undefine)
{
    const remote_fwd_network_args *a = args;

    return remote_fwd_network_do(call, &a->net, virNetworkUndefine, NULL,
                                 error);
}

REMOTE_HANDLER(remote_fwd_network_is_active)
{
    const remote_fwd_network_args *a = args;

    return remote_fwd_network_do(call, &a->net, virNetworkIsActive,
                                 &((remote_fwd_num_ret *)ret)->num, error);
}

REMOTE_HANDLER(remote_fwd_network_is_persistent)
{
    const remote_fwd_network_args *a = args;

    return remote_fwd_network_do(call, &a->net, virNetworkIsPersistent,
                                 &((remote_fwd_num_ret *)ret)->num, error);
}

REMOTE_HANDLER(remote_fwd_network_get_autostart)
{
    const remote_fwd_network_args *a = args;
    remote_fwd_num_ret *r = ret;
    g_autoptr(virConnect) conn =
        remote_fwd_conn(call, DRV_FORWARD_NETWORKS, error);
    g_autoptr(virNetwork) n = NULL;

    if (!conn || !(n = remote_fwd_network(conn, &a->net, error)))
        return false;
    if (virNetworkGetAutostart(n, &r->num) < 0) {
        drv_forward_set_error(error);
        return false;
    }
    return true;
}

REMOTE_HANDLER(remote_fwd_network_set_autostart)
{
    const remote_fwd_network_set_autostart_args *a = args;
    g_autoptr(virConnect) conn =
        remote_fwd_conn(call, DRV_FORWARD_NETWORKS, error);
    g_autoptr(virNetwork) n = NULL;

    if (!conn || !(n = remote_fwd_network(conn, &a->net, error)))
        return false;
    if (virNetworkSetAutostart(n, a->autostart) < 0) {
        drv_forward_set_error(error);
        return false;
    }
    return true;
}

REMOTE_HANDLER(remote_fwd_network_get_xml_desc)
{
    const remote_fwd_network_flags_args *a = args;

    return remote_fwd_xml_desc(call, &remote_fwd_network_type, &a->net,
                               (RemoteFwdXmlOp)virNetworkGetXMLDesc, a->flags,
                               ret, error);
}

REMOTE_HANDLER(remote_fwd_network_get_bridge_name)
{
    const remote_fwd_network_args *a = args;
    g_autoptr(virConnect) conn =
        remote_fwd_conn(call, DRV_FORWARD_NETWORKS, error);
    g_autoptr(virNetwork) n = NULL;

    if (!conn || !(n = remote_fwd_network(conn, &a->net, error)))
        return false;
    return remote_fwd_take_string(virNetworkGetBridgeName(n),
                                  &((remote_fwd_string_ret *)ret)->str,
                                  error);
}
