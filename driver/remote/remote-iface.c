/* SPDX-License-Identifier: Apache-2.0 */
/* virsh iface-* (libvirtd's interface driver) and net-dhcp-leases. */
#include <config.h>

#include "driver/remote/remote-secondary.h"

/* An interface is named by its name, as libvirtd's driver finds it. */
static virInterfacePtr
remote_sec_iface(virConnectPtr conn, const remote_nonnull_interface *iface,
                 GError **error)
{
    virInterfacePtr i = virInterfaceLookupByName(conn, iface->name);

    if (!i)
        drv_forward_set_error(error);
    return i;
}

static void
remote_sec_make_iface(virInterfacePtr iface, remote_nonnull_interface *out)
{
    out->name = g_strdup(virInterfaceGetName(iface));
    out->mac = g_strdup(virInterfaceGetMACString(iface));
}

static const RemoteFwdType remote_sec_iface_type = {
    .kind = DRV_FORWARD_INTERFACES,
    .size = sizeof(remote_nonnull_interface),
    .lookup =
        (gpointer(*)(virConnectPtr, gconstpointer, GError **))remote_sec_iface,
    .make = (void (*)(gpointer, gpointer))remote_sec_make_iface,
    .free = (int (*)(gpointer))virInterfaceFree,
};

/* A call that answers one interface. */
static bool
remote_sec_iface_reply(virInterfacePtr obj, void *ret, GError **error)
{
    return remote_fwd_reply(&remote_sec_iface_type, obj,
                            &((remote_sec_interface_ret *)ret)->iface, error);
}

REMOTE_HANDLER(remote_sec_connect_num_of_interfaces)
{
    return remote_fwd_count(call, DRV_FORWARD_INTERFACES,
                            virConnectNumOfInterfaces, ret, error);
}

REMOTE_HANDLER(remote_sec_connect_num_of_defined_interfaces)
{
    return remote_fwd_count(call, DRV_FORWARD_INTERFACES,
                            virConnectNumOfDefinedInterfaces, ret, error);
}

REMOTE_HANDLER(remote_sec_connect_list_interfaces)
{
    const remote_fwd_maxnames_args *a = args;

    return remote_fwd_list(call, DRV_FORWARD_INTERFACES,
                           virConnectListInterfaces, a->maxnames, ret, error);
}

REMOTE_HANDLER(remote_sec_connect_list_defined_interfaces)
{
    const remote_fwd_maxnames_args *a = args;

    return remote_fwd_list(call, DRV_FORWARD_INTERFACES,
                           virConnectListDefinedInterfaces, a->maxnames, ret,
                           error);
}

REMOTE_HANDLER(remote_sec_connect_list_all_interfaces)
{
    const remote_fwd_list_all_args *a = args;
    remote_sec_list_all_interfaces_ret *r = ret;
    g_autoptr(virConnect) conn =
        remote_fwd_conn(call, DRV_FORWARD_INTERFACES, error);
    virInterfacePtr *ifaces = NULL;
    int n;

    if (!conn)
        return false;
    n = virConnectListAllInterfaces(conn, a->need_results ? &ifaces : NULL,
                                    a->flags);
    return remote_fwd_list_all_finish(&remote_sec_iface_type, n,
                                      (gpointer *)ifaces, &r->ret,
                                      &r->ifaces.ifaces_len,
                                      (gpointer *)&r->ifaces.ifaces_val, error);
}

REMOTE_HANDLER(remote_sec_interface_lookup_by_name)
{
    const remote_fwd_name_args *a = args;
    g_autoptr(virConnect) conn =
        remote_fwd_conn(call, DRV_FORWARD_INTERFACES, error);

    return conn && remote_sec_iface_reply(
        virInterfaceLookupByName(conn, a->name), ret, error);
}

REMOTE_HANDLER(remote_sec_interface_lookup_by_mac_string)
{
    const remote_fwd_name_args *a = args;
    g_autoptr(virConnect) conn =
        remote_fwd_conn(call, DRV_FORWARD_INTERFACES, error);

    return conn && remote_sec_iface_reply(
        virInterfaceLookupByMACString(conn, a->name), ret, error);
}

REMOTE_HANDLER(remote_sec_interface_get_xml_desc)
{
    const remote_sec_interface_flags_args *a = args;

    return remote_fwd_xml_desc(call, &remote_sec_iface_type, &a->iface,
                               (RemoteFwdXmlOp)virInterfaceGetXMLDesc, a->flags,
                               ret, error);
}

REMOTE_HANDLER(remote_sec_interface_is_active)
{
    const remote_sec_interface_args *a = args;

    return remote_fwd_do(call, &remote_sec_iface_type, &a->iface,
                         (RemoteFwdOp)virInterfaceIsActive,
                         &((remote_fwd_num_ret *)ret)->num, error);
}

/* An optional string of the reply from one of libvirt's. */
static remote_string
remote_sec_opt_string(const char *s)
{
    remote_string out = NULL;

    if (s) {
        out = g_new0(char *, 1);
        *out = g_strdup(s);
    }
    return out;
}

REMOTE_HANDLER(remote_sec_network_get_dhcp_leases)
{
    const remote_sec_network_get_dhcp_leases_args *a = args;
    remote_sec_network_get_dhcp_leases_ret *r = ret;
    g_autoptr(virConnect) conn =
        remote_fwd_conn(call, DRV_FORWARD_NETWORKS, error);
    g_autoptr(virNetwork) net = NULL;
    virNetworkDHCPLeasePtr *leases = NULL;
    int n;

    if (!conn || !(net = remote_fwd_network(conn, &a->net, error)))
        return false;
    n = virNetworkGetDHCPLeases(net, a->mac ? *a->mac : NULL,
                                a->need_results ? &leases : NULL, a->flags);
    if (n < 0) {
        drv_forward_set_error(error);
        return false;
    }
    r->ret = n;
    if (leases) {
        r->leases.leases_len = n;
        r->leases.leases_val = g_new0(remote_sec_dhcp_lease, MAX(n, 1));
        for (int i = 0; i < n; i++) {
            const virNetworkDHCPLease *l = leases[i];
            remote_sec_dhcp_lease *o = &r->leases.leases_val[i];

            o->iface = g_strdup(l->iface ? l->iface : "");
            o->expirytime = l->expirytime;
            o->type = l->type;
            o->mac = remote_sec_opt_string(l->mac);
            o->iaid = remote_sec_opt_string(l->iaid);
            o->ipaddr = g_strdup(l->ipaddr ? l->ipaddr : "");
            o->prefix = l->prefix;
            o->hostname = remote_sec_opt_string(l->hostname);
            o->clientid = remote_sec_opt_string(l->clientid);
            virNetworkDHCPLeaseFree(leases[i]);
        }
        free(leases);
    }
    return true;
}
