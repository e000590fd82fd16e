/* SPDX-License-Identifier: Apache-2.0 */
/* virsh domifaddr's lease and ARP sources (ifaddr.h). */
#include <config.h>

#include <string.h>
#include <libxml/parser.h>
#include <libxml/tree.h>

#include "driver/drv-error.h"
#include "driver/ifaddr.h"

/* linux/if_arp.h: the entry is complete (the MAC is known). */
#define DRV_IFADDR_ATF_COM 0x02

static void
drv_ifaddr_addr_clear(gpointer p)
{
    DrvIfaddrAddr *a = p;

    g_free(a->addr);
}

static DrvIfaddrIface *
drv_ifaddr_iface_new(void)
{
    DrvIfaddrIface *iface = g_new0(DrvIfaddrIface, 1);

    iface->addrs = g_array_new(FALSE, TRUE, sizeof(DrvIfaddrAddr));
    g_array_set_clear_func(iface->addrs, drv_ifaddr_addr_clear);
    return iface;
}

void
drv_ifaddr_iface_free(DrvIfaddrIface *iface)
{
    if (!iface)
        return;
    g_free(iface->name);
    g_free(iface->mac);
    g_free(iface->network);
    g_array_unref(iface->addrs);
    g_free(iface);
}

static void
drv_ifaddr_add(DrvIfaddrIface *iface, int type, const char *addr,
               unsigned int prefix)
{
    DrvIfaddrAddr a = { .type = type, .addr = g_strdup(addr),
                        .prefix = prefix };

    g_array_append_val(iface->addrs, a);
}

/* The attribute @attr of @node's first child element @child, or NULL. */
static char *
drv_ifaddr_child_attr(xmlNodePtr node, const char *child, const char *attr)
{
    for (xmlNodePtr c = node->children; c; c = c->next) {
        if (c->type == XML_ELEMENT_NODE &&
            xmlStrEqual(c->name, (const xmlChar *)child)) {
            xmlChar *v = xmlGetProp(c, (const xmlChar *)attr);
            char *out = v ? g_strdup((const char *)v) : NULL;

            xmlFree(v);
            return out;
        }
    }
    return NULL;
}

static xmlNodePtr
drv_ifaddr_child(xmlNodePtr node, const char *name)
{
    for (xmlNodePtr c = node ? node->children : NULL; c; c = c->next) {
        if (c->type == XML_ELEMENT_NODE &&
            xmlStrEqual(c->name, (const xmlChar *)name))
            return c;
    }
    return NULL;
}

GPtrArray *
drv_ifaddr_ifaces_from_xml(const char *xml, GError **error)
{
    g_autoptr(GPtrArray) ifaces =
        g_ptr_array_new_with_free_func((GDestroyNotify)drv_ifaddr_iface_free);
    xmlDocPtr doc = xmlReadMemory(xml, strlen(xml), "domain.xml", NULL,
                                  XML_PARSE_NONET | XML_PARSE_NOERROR |
                                  XML_PARSE_NOWARNING);
    xmlNodePtr devices;

    if (!doc) {
        g_set_error(error, DRV_ERROR, DRV_ERROR_INTERNAL_ERROR,
                    "cannot parse the domain's live XML");
        return NULL;
    }
    devices = drv_ifaddr_child(xmlDocGetRootElement(doc), "devices");
    for (xmlNodePtr n = devices ? devices->children : NULL; n; n = n->next) {
        g_autoptr(DrvIfaddrIface) iface = NULL;
        g_autofree char *mac = NULL;
        xmlChar *type;

        if (n->type != XML_ELEMENT_NODE ||
            !xmlStrEqual(n->name, (const xmlChar *)"interface") ||
            !(mac = drv_ifaddr_child_attr(n, "mac", "address")))
            continue;
        iface = drv_ifaddr_iface_new();
        /* MACs compare case-insensitively; leases and ARP use lowercase. */
        iface->mac = g_ascii_strdown(mac, -1);
        iface->name = drv_ifaddr_child_attr(n, "target", "dev");
        if (!iface->name)
            iface->name = g_strdup(iface->mac);
        type = xmlGetProp(n, (const xmlChar *)"type");
        if (type && xmlStrEqual(type, (const xmlChar *)"network"))
            iface->network = drv_ifaddr_child_attr(n, "source", "network");
        xmlFree(type);
        g_ptr_array_add(ifaces, g_steal_pointer(&iface));
    }
    xmlFreeDoc(doc);
    return g_steal_pointer(&ifaces);
}

void
drv_ifaddr_add_arp(GPtrArray *ifaces, const char *arp)
{
    g_auto(GStrv) lines = g_strsplit(arp, "\n", -1);

    /* "IP address  HW type  Flags  HW address  Mask  Device": the first
     * line is the heading.  An empty text splits into no line at all. */
    if (!lines[0])
        return;
    for (guint l = 1; lines[l]; l++) {
        char ip[64], hw[64], mask[64], dev[64];
        unsigned int hwtype, flags;

        if (sscanf(lines[l], "%63s 0x%x 0x%x %63s %63s %63s", ip, &hwtype,
                   &flags, hw, mask, dev) != 6 ||
            !(flags & DRV_IFADDR_ATF_COM))
            continue;
        for (guint i = 0; i < ifaces->len; i++) {
            DrvIfaddrIface *iface = g_ptr_array_index(ifaces, i);

            if (g_ascii_strcasecmp(iface->mac, hw) == 0)
                drv_ifaddr_add(iface, VIR_IP_ADDR_TYPE_IPV4, ip, 0);
        }
    }
}

bool
drv_ifaddr_add_leases(GPtrArray *ifaces, DrvForward *fwd, GError **error)
{
    g_autoptr(virConnect) conn = NULL;

    for (guint i = 0; i < ifaces->len; i++) {
        DrvIfaddrIface *iface = g_ptr_array_index(ifaces, i);
        g_autoptr(virNetwork) net = NULL;
        virNetworkDHCPLeasePtr *leases = NULL;
        int n;

        /* Only a libvirt network has leases to ask for (libvirt's lease
         * source skips the other interface types too). */
        if (!iface->network)
            continue;
        if (!conn && !(conn = drv_forward_conn_new(fwd, DRV_FORWARD_NETWORKS,
                                                    error)))
            return false;
        if (!(net = virNetworkLookupByName(conn, iface->network)) ||
            (n = virNetworkGetDHCPLeases(net, iface->mac, &leases, 0)) < 0) {
            drv_forward_set_error(error);
            return false;
        }
        for (int j = 0; j < n; j++) {
            drv_ifaddr_add(iface, leases[j]->type, leases[j]->ipaddr,
                           leases[j]->prefix);
            virNetworkDHCPLeaseFree(leases[j]);
        }
        free(leases);
    }
    return true;
}
