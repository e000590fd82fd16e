/* SPDX-License-Identifier: Apache-2.0 */
/* <sysinfo type='fwcfg'>: fw_cfg files for the guest (--fw-cfg-config items). */
#include <config.h>

#include <string.h>

#include "config/vm-config-fwcfg.h"
#include "config/vm-config-schema.h"
#include "driver/xml/domain-priv.h"

/*
 * libvirt's <sysinfo type='fwcfg'>: each <entry name='opt/...'> is one
 * fw_cfg file whose contents are the element's text or the host file its
 * file attribute names (exactly one of them).  They become nimbus's
 * payload.fw_cfg_config items; the name rules are config/'s
 * (vm_config_fw_cfg_name_valid()), so nimbusd and nimbus refuse the same
 * names with the same words.
 */

static void
fwcfg_entry_free(DomainFwCfgEntry *e)
{
    g_free(e->name);
    g_free(e->value);
    g_free(e->file);
    g_free(e);
}

/* After the schema: one <entry name=...> per item, text or file=. */
bool
domain_sysinfo_fwcfg_parse(xmlNodePtr node, DomainSysinfoDef *si,
                           GError **error)
{
    si->fwcfg = g_ptr_array_new_with_free_func(
        (GDestroyNotify)fwcfg_entry_free);
    for (xmlNodePtr n = node->children; n; n = n->next) {
        DomainFwCfgEntry *e;
        g_autofree char *text = NULL;

        if (!xml_is_element(n, "entry"))
            continue;
        e = g_new0(DomainFwCfgEntry, 1);
        e->name = xml_prop(n, "name");
        e->file = xml_prop(n, "file");
        text = xml_text(n);
        if (text && *text)
            e->value = g_steal_pointer(&text);
        g_ptr_array_add(si->fwcfg, e);
    }
    return true;
}

void
domain_sysinfo_fwcfg_format(XmlBuf *buf, const DomainSysinfoDef *si)
{
    if (!si->fwcfg)
        return;
    xml_buf_open(buf, "sysinfo");
    xml_buf_attr(buf, "type", "fwcfg");
    xml_buf_end_open(buf);
    for (guint i = 0; i < si->fwcfg->len; i++) {
        const DomainFwCfgEntry *e = g_ptr_array_index(si->fwcfg, i);

        xml_buf_open(buf, "entry");
        xml_buf_attr(buf, "name", e->name);
        if (e->file) {
            xml_buf_attr(buf, "file", e->file);
            xml_buf_end_empty(buf);
        } else {
            xml_buf_end_text(buf, "entry", e->value);
        }
    }
    xml_buf_close(buf, "sysinfo");
}

bool
domain_sysinfo_fwcfg_validate(const DomainSysinfoDef *si, GError **error)
{
    g_autoptr(GHashTable) seen = NULL;

    if (!si->fwcfg)
        return true;
    if (si->fwcfg->len > VM_CONFIG_FW_CFG_ITEMS_MAX) {
        drv_xml_error(error, DRV_ERROR_CONFIG_UNSUPPORTED,
                      "sysinfo fwcfg: %u entries; at most %u", si->fwcfg->len,
                      VM_CONFIG_FW_CFG_ITEMS_MAX);
        return false;
    }
    seen = g_hash_table_new(g_str_hash, g_str_equal);
    for (guint i = 0; i < si->fwcfg->len; i++) {
        const DomainFwCfgEntry *e = g_ptr_array_index(si->fwcfg, i);
        const char *why = NULL;

        if (!vm_config_fw_cfg_name_valid(e->name, &why)) {
            drv_xml_error(error, DRV_ERROR_CONFIG_UNSUPPORTED,
                          "sysinfo fwcfg entry '%s': %s", e->name, why);
            return false;
        }
        if (!g_hash_table_add(seen, e->name)) {
            drv_xml_error(error, DRV_ERROR_XML_ERROR,
                          "sysinfo fwcfg entry '%s' is given twice", e->name);
            return false;
        }
        if (!e->file == !e->value) {
            drv_xml_error(error, DRV_ERROR_XML_ERROR,
                          e->file ? "sysinfo fwcfg entry '%s' has both a "
                                    "value and a file attribute" :
                                    "sysinfo fwcfg entry '%s' needs a value "
                                    "or a file attribute", e->name);
            return false;
        }
    }
    return true;
}

FwCfgConfig *
domain_sysinfo_fwcfg_to_config(const DomainDef *def)
{
    const DomainSysinfoDef *si = &domain_def_priv(def)->sysinfo;
    FwCfgConfig *c;

    if (!si->fwcfg)
        return NULL;
    /* CH's defaults for the payload parts (e820, kernel, cmdline,
     * initramfs on), as QEMU always exposes them; the entries become
     * the items. */
    c = vschema_new(&vschema_fw_cfg);
    c->items = g_new0(FwCfgItemListConfig, 1);
    c->items->item_list = g_ptr_array_new_with_free_func(
        (GDestroyNotify)fw_cfg_item_config_free);
    for (guint i = 0; i < si->fwcfg->len; i++) {
        const DomainFwCfgEntry *e = g_ptr_array_index(si->fwcfg, i);
        FwCfgItemConfig *it = g_new0(FwCfgItemConfig, 1);

        it->name = g_strdup(e->name);
        it->file = g_strdup(e->file);
        it->string = g_strdup(e->value);
        g_ptr_array_add(c->items->item_list, it);
    }
    return c;
}
