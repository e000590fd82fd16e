/* SPDX-License-Identifier: Apache-2.0 */
/* <sysinfo type='smbios'> and <os><smbios mode>: the guest's SMBIOS strings (--platform). */
#include <config.h>

#include <string.h>

#include "config/vm-config-platform.h"
#include "config/vm-config-schema.h"
#include "driver/xml/domain-priv.h"

/*
 * nimbus's --platform carries SMBIOS type 1 (system) strings, the chassis
 * asset tag and type 11 OEM strings; this file maps libvirt's <sysinfo>
 * onto exactly those and refuses the rest by name.  As libvirt does, the
 * guest's system UUID is the domain's UUID whatever the mode, and a
 * <system><entry name='uuid'> must equal it.  <sysinfo> is applied with
 * <os><smbios mode='sysinfo'/> and when no mode is given; mode='emulate'
 * with a <sysinfo> would drop it silently and is refused, and so is
 * mode='host' (copying the host's tables is not implemented).
 */

ENUM_IMPL(domain_smbios_mode, DOMAIN_SMBIOS_LAST,
          "emulate", "sysinfo");

/* libvirt's <system> entry names, in its output order. */
static const char *const system_names[DOMAIN_SYSINFO_SYSTEM_LAST] = {
    "manufacturer", "product", "version", "serial", "uuid", "sku", "family",
};

void
domain_sysinfo_clear(DomainSysinfoDef *si)
{
    for (guint i = 0; i < DOMAIN_SYSINFO_SYSTEM_LAST; i++)
        g_clear_pointer(&si->system[i], g_free);
    g_clear_pointer(&si->chassis_asset, g_free);
    g_clear_pointer(&si->oem_strings, g_ptr_array_unref);
    si->present = false;
}

/* Before the schema: what libvirt has and nimbus cannot give, by name. */
bool
domain_sysinfo_check_unsupported(xmlNodePtr node, GError **error)
{
    g_autofree char *type = xml_prop(node, "type");

    if (type && strcmp(type, "smbios") != 0) {
        drv_xml_error(error, DRV_ERROR_CONFIG_UNSUPPORTED,
                      "sysinfo type '%s' is not supported by nimbus (only "
                      "'smbios')", type);
        return false;
    }
    for (xmlNodePtr n = node->children; n; n = n->next) {
        if (n->type != XML_ELEMENT_NODE || xml_is_element(n, "system") ||
            xml_is_element(n, "oemStrings"))
            continue;
        if (!xml_is_element(n, "chassis")) {
            drv_xml_error(error, DRV_ERROR_CONFIG_UNSUPPORTED,
                          "sysinfo block '%s' is not supported by nimbus "
                          "(only <system>, <chassis> asset and <oemStrings>)",
                          (const char *)n->name);
            return false;
        }
        for (xmlNodePtr e = n->children; e; e = e->next) {
            g_autofree char *name = NULL;

            if (!xml_is_element(e, "entry"))
                continue;
            name = xml_prop(e, "name");
            if (name && strcmp(name, "asset") != 0) {
                drv_xml_error(error, DRV_ERROR_CONFIG_UNSUPPORTED,
                              "sysinfo chassis entry '%s' is not supported by "
                              "nimbus (only 'asset')", name);
                return false;
            }
        }
    }
    return true;
}

/* After the schema: names and values are known to be well-formed. */
bool
domain_sysinfo_parse(xmlNodePtr node, DomainSysinfoDef *si, GError **error)
{
    xmlNodePtr block;

    domain_sysinfo_clear(si);
    si->present = true;
    if ((block = xml_child(node, "system"))) {
        for (xmlNodePtr e = block->children; e; e = e->next) {
            g_autofree char *name = NULL;
            guint i;

            if (!xml_is_element(e, "entry"))
                continue;
            name = xml_prop(e, "name");
            for (i = 0; i < DOMAIN_SYSINFO_SYSTEM_LAST; i++) {
                if (name && strcmp(name, system_names[i]) == 0)
                    break;
            }
            if (i == DOMAIN_SYSINFO_SYSTEM_LAST)
                continue;   /* the schema allows none */
            if (si->system[i]) {
                drv_xml_error(error, DRV_ERROR_XML_ERROR,
                              "/domain/sysinfo/system: entry '%s' is given "
                              "twice", name);
                return false;
            }
            si->system[i] = xml_text(e);
        }
    }
    if ((block = xml_child(node, "chassis")) &&
        (block = xml_child(block, "entry")))
        si->chassis_asset = xml_text(block);
    if ((block = xml_child(node, "oemStrings"))) {
        si->oem_strings = g_ptr_array_new_with_free_func(g_free);
        for (xmlNodePtr e = block->children; e; e = e->next) {
            if (xml_is_element(e, "entry"))
                g_ptr_array_add(si->oem_strings, xml_text(e));
        }
    }
    return true;
}

void
domain_sysinfo_format(XmlBuf *buf, const DomainSysinfoDef *si)
{
    bool system = false;

    if (!si->present)
        return;
    xml_buf_open(buf, "sysinfo");
    xml_buf_attr(buf, "type", "smbios");
    xml_buf_end_open(buf);
    for (guint i = 0; i < DOMAIN_SYSINFO_SYSTEM_LAST; i++)
        system |= si->system[i] != NULL;
    if (system) {
        xml_buf_open(buf, "system");
        xml_buf_end_open(buf);
        for (guint i = 0; i < DOMAIN_SYSINFO_SYSTEM_LAST; i++) {
            if (!si->system[i])
                continue;
            xml_buf_open(buf, "entry");
            xml_buf_attr(buf, "name", system_names[i]);
            xml_buf_end_text(buf, "entry", si->system[i]);
        }
        xml_buf_close(buf, "system");
    }
    if (si->chassis_asset) {
        xml_buf_open(buf, "chassis");
        xml_buf_end_open(buf);
        xml_buf_open(buf, "entry");
        xml_buf_attr(buf, "name", "asset");
        xml_buf_end_text(buf, "entry", si->chassis_asset);
        xml_buf_close(buf, "chassis");
    }
    if (si->oem_strings && si->oem_strings->len) {
        xml_buf_open(buf, "oemStrings");
        xml_buf_end_open(buf);
        for (guint i = 0; i < si->oem_strings->len; i++)
            xml_buf_text_element(buf, "entry",
                                 g_ptr_array_index(si->oem_strings, i));
        xml_buf_close(buf, "oemStrings");
    }
    xml_buf_close(buf, "sysinfo");
}

bool
domain_sysinfo_validate(const DomainDef *def, GError **error)
{
    const DomainDefPriv *priv = domain_def_priv(def);
    const DomainSysinfoDef *si = &priv->sysinfo;
    const char *uuid = si->system[DOMAIN_SYSINFO_SYSTEM_UUID];
    unsigned char parsed[16];

    if (priv->os.smbios_mode == DOMAIN_SMBIOS_SYSINFO && !si->present) {
        drv_xml_error(error, DRV_ERROR_XML_ERROR,
                      "Domain requires <sysinfo> element if <smbios "
                      "mode='sysinfo'> is specified");
        return false;
    }
    if (priv->os.smbios_mode == DOMAIN_SMBIOS_EMULATE && si->present) {
        drv_xml_error(error, DRV_ERROR_CONFIG_UNSUPPORTED,
                      "<sysinfo> has no effect with <smbios mode='emulate'>: "
                      "use mode='sysinfo' or remove one of them");
        return false;
    }
    if (uuid && (!domain_uuid_parse(uuid, parsed) ||
                 memcmp(parsed, def->uuid, sizeof(parsed)) != 0)) {
        drv_xml_error(error, DRV_ERROR_CONFIG_UNSUPPORTED,
                      "UUID mismatch between <uuid> and <sysinfo>");
        return false;
    }
    if (si->oem_strings && si->oem_strings->len > VM_CONFIG_OEM_STRINGS_MAX) {
        drv_xml_error(error, DRV_ERROR_CONFIG_UNSUPPORTED,
                      "sysinfo: %u oemStrings entries; at most %u",
                      si->oem_strings->len, VM_CONFIG_OEM_STRINGS_MAX);
        return false;
    }
    return true;
}

PlatformConfig *
domain_sysinfo_to_platform(const DomainDef *def)
{
    const DomainSysinfoDef *si = &domain_def_priv(def)->sysinfo;
    /* With the schema's defaults (the IOMMU's address width, 64). */
    PlatformConfig *p = vschema_new(&vschema_platform);
    char uuid[37];

    domain_uuid_format(def->uuid, uuid);
    p->system_uuid = g_strdup(uuid);
    if (!si->present)
        return p;
    p->system_manufacturer =
        g_strdup(si->system[DOMAIN_SYSINFO_SYSTEM_MANUFACTURER]);
    p->system_product_name = g_strdup(si->system[DOMAIN_SYSINFO_SYSTEM_PRODUCT]);
    p->system_version = g_strdup(si->system[DOMAIN_SYSINFO_SYSTEM_VERSION]);
    p->system_serial_number =
        g_strdup(si->system[DOMAIN_SYSINFO_SYSTEM_SERIAL]);
    p->system_sku_number = g_strdup(si->system[DOMAIN_SYSINFO_SYSTEM_SKU]);
    p->system_family = g_strdup(si->system[DOMAIN_SYSINFO_SYSTEM_FAMILY]);
    p->chassis_asset_tag = g_strdup(si->chassis_asset);
    if (si->oem_strings && si->oem_strings->len) {
        p->oem_strings = g_new0(char *, si->oem_strings->len + 1);
        for (guint i = 0; i < si->oem_strings->len; i++)
            p->oem_strings[i] = g_strdup(g_ptr_array_index(si->oem_strings,
                                                           i));
    }
    return p;
}
