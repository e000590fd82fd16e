/* SPDX-License-Identifier: Apache-2.0 */
/* virsh domifaddr (DOMAIN_INTERFACE_ADDRESSES): leases, ARP; no agent. */
#include <config.h>

#include "driver/domain.h"
#include "driver/ifaddr.h"
#include "driver/refused.h"
#include "driver/remote/remote-secondary.h"

/* The addresses of @ifaces into the reply; interfaces without one are
 * left out, as libvirt's lease and ARP sources do. */
static void
remote_sec_ifaddr_reply(GPtrArray *ifaces,
                        remote_sec_domain_interface_addresses_ret *r)
{
    guint n = 0;

    r->ifaces.ifaces_val = g_new0(remote_sec_domain_interface,
                                  MAX(ifaces->len, 1));
    for (guint i = 0; i < ifaces->len; i++) {
        const DrvIfaddrIface *iface = g_ptr_array_index(ifaces, i);
        remote_sec_domain_interface *o = &r->ifaces.ifaces_val[n];

        if (iface->addrs->len == 0)
            continue;
        o->name = g_strdup(iface->name);
        o->hwaddr = g_new0(char *, 1);
        *o->hwaddr = g_strdup(iface->mac);
        o->addrs.addrs_len = iface->addrs->len;
        o->addrs.addrs_val = g_new0(remote_sec_domain_ip_addr,
                                    iface->addrs->len);
        for (guint j = 0; j < iface->addrs->len; j++) {
            const DrvIfaddrAddr *a = &g_array_index(iface->addrs,
                                                    DrvIfaddrAddr, j);

            o->addrs.addrs_val[j].type = a->type;
            o->addrs.addrs_val[j].addr = g_strdup(a->addr);
            o->addrs.addrs_val[j].prefix = a->prefix;
        }
        n++;
    }
    r->ifaces.ifaces_len = n;
}

REMOTE_HANDLER(remote_sec_domain_interface_addresses)
{
    const remote_sec_domain_interface_addresses_args *a = args;
    RemoteDaemon *daemon = remote_daemon_of(call);
    g_autoptr(DrvDomainObj) obj = remote_get_domain(daemon, &a->dom, error);
    g_autoptr(GPtrArray) ifaces = NULL;
    g_autofree char *xml = NULL;
    g_autofree char *arp = NULL;
    g_autoptr(GError) local = NULL;
    bool active;

    if (!obj)
        return false;
    /* nimbus guests have no guest agent channel: refused as every agent
     * call is (refused.h), with libvirt's checks and answer. */
    if (a->source == VIR_DOMAIN_INTERFACE_ADDRESSES_SRC_AGENT)
        return drv_domain_agent_refuse(obj, a->flags, 0,
                                       "virDomainInterfaceAddresses", error);
    if (!drv_check_flags(a->flags, 0, "virDomainInterfaceAddresses", error))
        return false;
    drv_domain_obj_lock(obj);
    active = drv_domain_obj_is_active(obj);
    drv_domain_obj_unlock(obj);
    if (!active) {
        drv_domain_set_error_not_running(error);
        return false;
    }
    switch (a->source) {
    case VIR_DOMAIN_INTERFACE_ADDRESSES_SRC_LEASE:
    case VIR_DOMAIN_INTERFACE_ADDRESSES_SRC_ARP:
        break;
    default:
        g_set_error(error, DRV_ERROR, DRV_ERROR_ARGUMENT_UNSUPPORTED,
                    "unknown IP address data source %u", a->source);
        return false;
    }
    if (!(xml = drv_domain_get_xml_desc(daemon->driver, obj, 0, error)) ||
        !(ifaces = drv_ifaddr_ifaces_from_xml(xml, error)))
        return false;
    if (a->source == VIR_DOMAIN_INTERFACE_ADDRESSES_SRC_LEASE) {
        if (!drv_ifaddr_add_leases(ifaces, daemon->driver->forward, error))
            return false;
    } else {
        /* The host's neighbour table: what it has seen the guest use. */
        if (!g_file_get_contents("/proc/net/arp", &arp, NULL, &local)) {
            g_set_error(error, DRV_ERROR, DRV_ERROR_INTERNAL_ERROR,
                        "cannot read the ARP table: %s", local->message);
            return false;
        }
        drv_ifaddr_add_arp(ifaces, arp);
    }
    remote_sec_ifaddr_reply(ifaces, ret);
    return true;
}
