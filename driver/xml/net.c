/* SPDX-License-Identifier: Apache-2.0 */
/* <interface type='ethernet'|'bridge'|'network'>: virtio-net on a TAP. */
#include <config.h>

#include "driver/xml/domain-priv.h"
#include "driver/xml/iommu.h"

void
domain_net_def_free(DomainNetDef *net)
{
    if (!net)
        return;
    domain_device_info_clear(&net->info);
    g_free(net->source_network);
    g_free(net->source_bridge);
    g_free(net->ifname);
    g_free(net->model);
    g_free(net->ip_address);
    g_free(net->vhost_path);
    g_free(net);
}

static bool
domain_net_parse_u32(xmlNodePtr n, const char *name, uint32_t *out,
                     GError **error)
{
    uint64_t v = 0;

    if (!xml_prop_uint(n, name, G_MAXUINT32, &v, NULL, error))
        return false;
    *out = v;
    return true;
}

static gpointer
domain_net_parse(xmlNodePtr node, const DomainParseCtx *ctx, GError **error)
{
    g_autoptr(DomainNetDef) net = g_new0(DomainNetDef, 1);
    xmlNodePtr n;

    net->ip_prefix = -1;
    if (!domain_net_source_parse(node, net, error))
        return NULL;
    if ((n = xml_child(node, "mac"))) {
        g_autofree char *mac = xml_prop(n, "address");

        /* The schema checks the shape; this also guards domain_def_copy(),
         * which parses without the schema. */
        if (!xml_mac_parse(mac, net->mac)) {
            drv_xml_error(error, DRV_ERROR_INVALID_ARG,
                          "unable to parse mac address '%s'",
                          mac ? mac : "");
            return NULL;
        }
        net->mac_set = true;
    }
    /* Without <target dev>, nimbus creates a TAP itself (vmtapN). */
    if ((n = xml_child(node, "target"))) {
        net->ifname = xml_prop(n, "dev");
        if (!xml_prop_tristate(n, "managed", false, &net->managed, error))
            return NULL;
    }
    if ((n = xml_child(node, "model")))
        net->model = xml_prop(n, "type");
    if ((n = xml_child(node, "mtu")) &&
        !domain_net_parse_u32(n, "size", &net->mtu, error))
        return NULL;
    if ((n = xml_child(node, "ip"))) {
        uint64_t prefix = 0;
        bool present = false;

        net->ip_address = xml_prop(n, "address");
        if (!xml_prop_uint(n, "prefix", 128, &prefix, &present, error))
            return NULL;
        if (present)
            net->ip_prefix = prefix;
    }
    /* Queue pairs and ring sizes: CH's num_queues and queue_size. */
    if ((n = xml_child(node, "driver")) &&
        (!domain_net_parse_u32(n, "queues", &net->queues, error) ||
         !domain_net_parse_u32(n, "rx_queue_size", &net->rx_queue_size,
                               error) ||
         !domain_net_parse_u32(n, "tx_queue_size", &net->tx_queue_size,
                               error)))
        return NULL;
    if (!domain_iommu_driver_parse(xml_child(node, "driver"), &net->iommu,
                                   error))
        return NULL;
    if (!domain_net_bandwidth_parse(node, &net->bandwidth, error) ||
        !domain_device_info_parse(node, &net->info, true, ctx, error))
        return NULL;
    return g_steal_pointer(&net);
}

static void
domain_net_format(XmlBuf *buf, gconstpointer dev, const DomainFormatCtx *ctx)
{
    const DomainNetDef *net = dev;

    xml_buf_open(buf, "interface");
    xml_buf_attr(buf, "type", domain_net_type_to_string(net->type));
    xml_buf_end_open(buf);
    /* libvirt's order: mac, source, bandwidth, ip, target, model, driver,
     * mtu, then boot/alias/address. */
    if (net->mac_set) {
        char mac[18];

        xml_mac_format(net->mac, mac);
        xml_buf_open(buf, "mac");
        xml_buf_attr(buf, "address", mac);
        xml_buf_end_empty(buf);
    }
    domain_net_source_format(buf, net);
    domain_net_bandwidth_format(buf, &net->bandwidth);
    if (net->ip_address) {
        xml_buf_open(buf, "ip");
        xml_buf_attr(buf, "address", net->ip_address);
        if (net->ip_prefix >= 0)
            xml_buf_attr_uint(buf, "prefix", net->ip_prefix);
        xml_buf_end_empty(buf);
    }
    if (net->ifname) {
        xml_buf_open(buf, "target");
        xml_buf_attr(buf, "dev", net->ifname);
        xml_buf_attr(buf, "managed", xml_yes_no_to_string(net->managed));
        xml_buf_end_empty(buf);
    }
    if (net->model) {
        xml_buf_open(buf, "model");
        xml_buf_attr(buf, "type", net->model);
        xml_buf_end_empty(buf);
    }
    if (net->queues || net->rx_queue_size || net->tx_queue_size ||
        net->iommu) {
        xml_buf_open(buf, "driver");
        if (net->queues)
            xml_buf_attr_uint(buf, "queues", net->queues);
        if (net->rx_queue_size)
            xml_buf_attr_uint(buf, "rx_queue_size", net->rx_queue_size);
        if (net->tx_queue_size)
            xml_buf_attr_uint(buf, "tx_queue_size", net->tx_queue_size);
        /* libvirt puts the virtio options after the queue sizes. */
        xml_buf_attr(buf, "iommu", xml_on_off_to_string(net->iommu));
        xml_buf_end_empty(buf);
    }
    if (net->mtu) {
        xml_buf_open(buf, "mtu");
        xml_buf_attr_uint(buf, "size", net->mtu);
        xml_buf_end_empty(buf);
    }
    domain_device_info_format(buf, &net->info);
    xml_buf_close(buf, "interface");
}

static DomainDeviceInfo *
domain_net_info(gpointer dev)
{
    return &((DomainNetDef *)dev)->info;
}

const DomainDeviceClass domain_net_class = {
    .element = "interface",
    .parse = domain_net_parse,
    .format = domain_net_format,
    .free = (void (*)(gpointer))domain_net_def_free,
    .info = domain_net_info,
};
