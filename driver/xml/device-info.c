/* SPDX-License-Identifier: Apache-2.0 */
/* <alias>, <address> and <boot order>: the parts every device class shares. */
#include <config.h>

#include <string.h>

#include "driver/xml/domain-priv.h"

static void
xml_attr_free(gpointer p)
{
    XmlAttr *a = p;

    g_free(a->name);
    g_free(a->value);
    g_free(a);
}

/* All attributes of @node except @skip, in document order.  Used for parts
 * nimbus keeps without interpreting (PCI addresses, controller targets):
 * the schema constrains them, the formatter prints them back unchanged. */
GPtrArray *
xml_attrs_collect(xmlNodePtr node, const char *skip)
{
    GPtrArray *attrs = g_ptr_array_new_with_free_func(xml_attr_free);

    for (xmlAttrPtr p = node->properties; p; p = p->next) {
        XmlAttr *a;

        if (skip && strcmp((const char *)p->name, skip) == 0)
            continue;
        a = g_new0(XmlAttr, 1);
        a->name = g_strdup((const char *)p->name);
        a->value = xml_prop(node, a->name);
        if (!a->value)
            a->value = g_strdup("");
        g_ptr_array_add(attrs, a);
    }
    return attrs;
}

void
xml_attrs_format(XmlBuf *buf, const GPtrArray *attrs)
{
    for (guint i = 0; attrs && i < attrs->len; i++) {
        const XmlAttr *a = g_ptr_array_index(attrs, i);
        xml_buf_attr(buf, a->name, a->value);
    }
}

bool
domain_device_info_parse(xmlNodePtr node, DomainDeviceInfo *info,
                         bool allow_boot, const DomainParseCtx *ctx,
                         GError **error)
{
    xmlNodePtr n;

    if ((n = xml_child(node, "alias"))) {
        g_autofree char *name = xml_prop(n, "name");

        /* libvirt assigns aliases when a domain starts; only user aliases
         * (prefix "ua-") belong to the persistent definition. */
        if (name && (!(ctx->flags & DOMAIN_DEF_PARSE_INACTIVE) ||
                     g_str_has_prefix(name, "ua-")))
            info->alias = g_steal_pointer(&name);
    }
    if ((n = xml_child(node, "address")))
        info->address = xml_attrs_collect(n, NULL);
    if (allow_boot && (n = xml_child(node, "boot"))) {
        uint64_t order = 0;

        if (!xml_prop_uint(n, "order", G_MAXUINT32, &order, NULL, error))
            return false;
        if (order == 0) {
            g_autofree char *path = xml_node_path(n);
            drv_xml_error(error, DRV_ERROR_XML_ERROR,
                          "%s: boot order must be a positive integer", path);
            return false;
        }
        info->boot_order = order;
    }
    return true;
}

void
domain_device_info_format(XmlBuf *buf, const DomainDeviceInfo *info)
{
    /* libvirt's virDomainDeviceInfoFormat order: boot, alias, address. */
    if (info->boot_order) {
        xml_buf_open(buf, "boot");
        xml_buf_attr_uint(buf, "order", info->boot_order);
        xml_buf_end_empty(buf);
    }
    if (info->alias) {
        xml_buf_open(buf, "alias");
        xml_buf_attr(buf, "name", info->alias);
        xml_buf_end_empty(buf);
    }
    if (info->address) {
        xml_buf_open(buf, "address");
        xml_attrs_format(buf, info->address);
        xml_buf_end_empty(buf);
    }
}

void
domain_device_info_clear(DomainDeviceInfo *info)
{
    g_clear_pointer(&info->alias, g_free);
    g_clear_pointer(&info->address, g_ptr_array_unref);
    info->boot_order = 0;
}
