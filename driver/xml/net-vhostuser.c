/* SPDX-License-Identifier: Apache-2.0 */
/* <interface type='vhostuser'>: virtio-net whose queues a vhost-user back end serves. */
#include <config.h>

#include <string.h>

#include "config/vm-config-ratelimit.h"
#include "driver/xml/domain-priv.h"

/*
 * libvirt's form (formatdomain "vhost-user interface"):
 *
 *   <interface type='vhostuser'>
 *     <mac address='52:54:00:3b:83:1a'/>
 *     <source type='unix' path='/tmp/vhost1.sock' mode='server'/>
 *     <model type='virtio'/>
 *   </interface>
 *
 * mode is the hypervisor's side of the socket: with mode='server' the
 * hypervisor listens and the VM waits for the back end before it runs,
 * with mode='client' it connects to a listening back end.  That is CH's
 * vhost_mode Server / Client word for word, which libvirt's ch driver
 * maps the same way.  The back end maps guest RAM, so the domain needs
 * <memoryBacking><access mode='shared'/>.
 */

ENUM_IMPL(domain_net_vhost_mode, DOMAIN_NET_VHOST_MODE_LAST, "client",
          "server");

bool
domain_net_vhostuser_parse(xmlNodePtr node, DomainNetDef *net,
                           GError **error)
{
    g_autofree char *path = xml_node_path(node);
    xmlNodePtr src;

    if (!domain_vhostuser_source_parse(node, "interface", "NIC", &src,
                                       &net->vhost_path, error))
        return false;
    if (!xmlHasProp(src, (const xmlChar *)"mode")) {
        drv_xml_error(error, DRV_ERROR_XML_ERROR,
                      "%s: <interface type='vhostuser'> needs <source "
                      "mode='client'/> or mode='server'",
                      path);
        return false;
    }
    if (!xml_prop_enum(src, "mode", domain_net_vhost_mode_from_string,
                       &net->vhost_mode, error))
        return false;
    /* The back end owns the host side: there is no TAP nor address. */
    if (xml_child(node, "target") || xml_child(node, "ip")) {
        drv_xml_error(error, DRV_ERROR_CONFIG_UNSUPPORTED,
                      "%s: <%s> is not supported by nimbus on interface type "
                      "'vhostuser' (the back end owns the host side)",
                      path, xml_child(node, "target") ? "target" : "ip");
        return false;
    }
    return true;
}

void
domain_net_vhostuser_format(XmlBuf *buf, const DomainNetDef *net)
{
    xml_buf_open(buf, "source");
    xml_buf_attr(buf, "type", "unix");
    xml_buf_attr(buf, "path", net->vhost_path);
    xml_buf_attr(buf, "mode", domain_net_vhost_mode_to_string(net->vhost_mode));
    xml_buf_end_empty(buf);
}

bool
domain_net_vhostuser_validate(const DomainDef *def, const DomainNetDef *net,
                              GError **error)
{
    g_autoptr(RateLimiterConfig) rl =
        domain_net_bandwidth_to_rate_limiter(&net->bandwidth);
    g_autofree char *who = g_strdup_printf("interface vhostuser '%s'",
                                           net->vhost_path);

    if (!domain_vhostuser_validate(def, who, net->vhost_path, error))
        return false;
    /* The back end moves and limits the traffic itself. */
    if (rl) {
        drv_xml_error(error, DRV_ERROR_CONFIG_UNSUPPORTED,
                      "interface vhostuser '%s': <bandwidth> is not "
                      "supported by nimbus (the vhost-user back end moves "
                      "the packets)",
                      net->vhost_path);
        return false;
    }
    return true;
}

void
domain_net_vhostuser_to_config(const DomainNetDef *def, NetConfig *net)
{
    net->vhost_user = true;
    net->vhost_socket = g_strdup(def->vhost_path);
    /* NULL is CH's default, Client (vm-config.h). */
    g_free(net->vhost_mode);
    net->vhost_mode = def->vhost_mode == DOMAIN_NET_VHOST_MODE_SERVER ?
                      g_strdup("Server") : NULL;
}
