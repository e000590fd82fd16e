/* SPDX-License-Identifier: Apache-2.0 */
/* <interface type='bridge'|'network'>: a TAP nimbusd makes on a bridge. */
#include <config.h>

#include "driver/xml/domain-priv.h"

/*
 * virt-install's default NIC is <interface type='network'><source
 * network='default'/>, and virt-manager offers host bridges as
 * <interface type='bridge'><source bridge='br0'/>.  For both nimbusd
 * creates the TAP itself and attaches it to the bridge (the network's
 * bridge comes from libvirtd); nimbus then opens that TAP by name, as it
 * does for type='ethernet'.  The live XML shows the TAP (<target dev>)
 * and, for a network, its bridge, as libvirt's does.
 */

ENUM_IMPL(domain_net_type, DOMAIN_NET_TYPE_LAST, "ethernet", "bridge",
          "network", "vhostuser");

bool
domain_net_source_parse(xmlNodePtr node, DomainNetDef *net, GError **error)
{
    g_autofree char *path = NULL;
    xmlNodePtr src;

    /* unsupported.c admitted only these three; no type is an error there. */
    if (!xml_prop_enum(node, "type", domain_net_type_from_string, &net->type,
                       error))
        return false;
    if (net->type == DOMAIN_NET_TYPE_ETHERNET)
        return true;
    if (net->type == DOMAIN_NET_TYPE_VHOSTUSER)
        return domain_net_vhostuser_parse(node, net, error);
    if ((src = xml_child(node, "source"))) {
        net->source_network = xml_prop(src, "network");
        net->source_bridge = xml_prop(src, "bridge");
    }
    path = xml_node_path(node);
    if (net->type == DOMAIN_NET_TYPE_NETWORK &&
        (!net->source_network || !*net->source_network)) {
        drv_xml_error(error, DRV_ERROR_XML_ERROR,
                      "%s: <interface type='network'> needs <source network='NAME'/>",
                      path);
        return false;
    }
    if (net->type == DOMAIN_NET_TYPE_BRIDGE &&
        (!net->source_bridge || !*net->source_bridge)) {
        drv_xml_error(error, DRV_ERROR_XML_ERROR,
                      "%s: <interface type='bridge'> needs <source bridge='NAME'/>",
                      path);
        return false;
    }
    /* nimbusd always makes (and removes) a bridged interface's TAP: there
     * is no unmanaged one to open. */
    if ((src = xml_child(node, "target")) &&
        xmlHasProp(src, (const xmlChar *)"managed")) {
        drv_xml_error(error, DRV_ERROR_CONFIG_UNSUPPORTED,
                      "%s: <target managed> is not supported by nimbus on "
                      "interface type '%s' (nimbusd creates its TAP)",
                      path, domain_net_type_to_string(net->type));
        return false;
    }
    /* CH's net.ip/mask configure the host end of the TAP; a bridge port
     * has no address of its own. */
    if (xml_child(node, "ip")) {
        drv_xml_error(error, DRV_ERROR_CONFIG_UNSUPPORTED,
                      "%s: <ip> is not supported by nimbus on interface type "
                      "'%s' (a bridge port has no host address)",
                      path, domain_net_type_to_string(net->type));
        return false;
    }
    return true;
}

void
domain_net_source_format(XmlBuf *buf, const DomainNetDef *net)
{
    if (net->type == DOMAIN_NET_TYPE_ETHERNET)
        return;
    if (net->type == DOMAIN_NET_TYPE_VHOSTUSER) {
        domain_net_vhostuser_format(buf, net);
        return;
    }
    xml_buf_open(buf, "source");
    xml_buf_attr(buf, "network", net->source_network);
    xml_buf_attr(buf, "bridge", net->source_bridge);
    xml_buf_end_empty(buf);
}

bool
domain_net_attach_one(DomainNetDef *net, DomainNetAttachFunc attach,
                      gpointer data, GPtrArray *created, GError **error)
{
    DomainNetAttach a = { 0 };
    g_autofree char *tap = NULL;
    g_autofree char *bridge = NULL;

    /* No TAP to make: nimbus opens the ethernet one, a vhost-user back
     * end owns the host side of the other. */
    if (net->type == DOMAIN_NET_TYPE_ETHERNET ||
        net->type == DOMAIN_NET_TYPE_VHOSTUSER)
        return true;
    a.network = net->type == DOMAIN_NET_TYPE_NETWORK ?
                net->source_network : NULL;
    a.bridge = net->type == DOMAIN_NET_TYPE_BRIDGE ?
               net->source_bridge : NULL;
    a.ifname = net->ifname;
    /* nimbus opens the TAP with IFF_MULTI_QUEUE for more than one
     * queue pair (devices/net/tap.c); the flags must match. */
    a.multi_queue = net->queues > 1;
    if (!attach(&a, &tap, &bridge, data, error))
        return false;
    g_ptr_array_add(created, g_strdup(tap));
    g_free(net->ifname);
    net->ifname = g_steal_pointer(&tap);
    g_free(net->source_bridge);
    net->source_bridge = g_steal_pointer(&bridge);
    return true;
}

bool
domain_def_attach_nets(DomainDef *def, DomainNetAttachFunc attach,
                       gpointer data, GPtrArray *created, GError **error)
{
    guint n = domain_def_ndevices(def, DOMAIN_DEVICE_NET);

    for (guint i = 0; i < n; i++) {
        if (!domain_net_attach_one(domain_def_device(def, DOMAIN_DEVICE_NET, i),
                                   attach, data, created, error))
            return false;
    }
    return true;
}

char **
domain_def_bridged_taps(const DomainDef *def)
{
    guint n = domain_def_ndevices(def, DOMAIN_DEVICE_NET);
    GPtrArray *taps = g_ptr_array_new();

    for (guint i = 0; i < n; i++) {
        const DomainNetDef *net = domain_def_device(def, DOMAIN_DEVICE_NET, i);

        if (net->type != DOMAIN_NET_TYPE_ETHERNET && net->ifname)
            g_ptr_array_add(taps, g_strdup(net->ifname));
    }
    g_ptr_array_add(taps, NULL);
    return (char **)g_ptr_array_free(taps, FALSE);
}
