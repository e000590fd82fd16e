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

/* A call that answers one interface. */
static bool
remote_sec_iface_reply(virInterfacePtr iface, void *ret, GError **error)
{
    remote_sec_interface_ret *r = ret;

    if (!iface) {
        drv_forward_set_error(error);
        return false;
    }
    remote_sec_make_iface(iface, &r->iface);
    virInterfaceFree(iface);
    return true;
}

/* The counting calls: -1 is failure. */
typedef int (*RemoteSecCount)(virConnectPtr conn);

static bool
remote_sec_count(RpcCall *call, RemoteSecCount count, void *ret,
                 GError **error)
{
    g_autoptr(virConnect) conn =
        remote_fwd_conn(call, DRV_FORWARD_INTERFACES, error);
    remote_fwd_num_ret *r = ret;

    if (!conn)
        return false;
    if ((r->num = count(conn)) < 0) {
        drv_forward_set_error(error);
        return false;
    }
    return true;
}

/* The legacy listing calls. */
typedef int (*RemoteSecList)(virConnectPtr conn, char **names, int max);

static bool
remote_sec_list(RpcCall *call, RemoteSecList list, int maxnames, void *ret,
                GError **error)
{
    g_autoptr(virConnect) conn =
        remote_fwd_conn(call, DRV_FORWARD_INTERFACES, error);
    char **names;

    if (!conn || !(names = remote_fwd_names_new(maxnames, error)))
        return false;
    return remote_fwd_names_finish(names, list(conn, names, maxnames), ret,
                                   error);
}

REMOTE_HANDLER(remote_sec_connect_num_of_interfaces)
{
    return remote_sec_count(call, virConnectNumOfInterfaces, ret, error);
}

REMOTE_HANDLER(remote_sec_connect_num_of_defined_interfaces)
{
    return remote_sec_count(call, virConnectNumOfDefinedInterfaces, ret,
                            error);
}

REMOTE_HANDLER(remote_sec_connect_list_interfaces)
{
    const remote_fwd_maxnames_args *a = args;

    return remote_sec_list(call, virConnectListInterfaces, a->maxnames, ret,
                           error);
}

REMOTE_HANDLER(remote_sec_connect_list_defined_interfaces)
{
    const remote_fwd_maxnames_args *a = args;

    return remote_sec_list(call, virConnectListDefinedInterfaces,
                           a->maxnames, ret, error);
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
    if (n < 0) {
        drv_forward_set_error(error);
        return false;
    }
    r->ret = n;
    if (ifaces) {
        r->ifaces.ifaces_len = n;
        r->ifaces.ifaces_val = g_new0(remote_nonnull_interface, MAX(n, 1));
        for (int i = 0; i < n; i++) {
            remote_sec_make_iface(ifaces[i], &r->ifaces.ifaces_val[i]);
            virInterfaceFree(ifaces[i]);
        }
        free(ifaces);
    }
    return true;
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
    g_autoptr(virConnect) conn =
        remote_fwd_conn(call, DRV_FORWARD_INTERFACES, error);
    g_autoptr(virInterface) iface = NULL;

    if (!conn || !(iface = remote_sec_iface(conn, &a->iface, error)))
        return false;
    return remote_fwd_take_string(virInterfaceGetXMLDesc(iface, a->flags),
                                  &((remote_fwd_string_ret *)ret)->str,
                                  error);
}

REMOTE_HANDLER(remote_sec_interface_is_active)
{
    const remote_sec_interface_args *a = args;
    remote_fwd_num_ret *r = ret;
    g_autoptr(virConnect) conn =
        remote_fwd_conn(call, DRV_FORWARD_INTERFACES, error);
    g_autoptr(virInterface) iface = NULL;

    if (!conn || !(iface = remote_sec_iface(conn, &a->iface, error)))
        return false;
    if ((r->num = virInterfaceIsActive(iface)) < 0) {
        drv_forward_set_error(error);
        return false;
    }
    return true;
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
