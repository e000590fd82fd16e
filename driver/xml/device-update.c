/* SPDX-License-Identifier: Apache-2.0 */
/* update-device XML: a definition with one <disk> or <interface> replaced. */
#include <config.h>

#include <string.h>
#include <libxml/parser.h>

#include "driver/xml/device-update.h"
#include "driver/xml/domain-priv.h"

/* As device-xml.c: one element is a few hundred bytes. */
#define DEVICE_UPDATE_XML_MAX_LEN (1024 * 1024)

static DomainDeviceType
update_kind_type(DomainHotplugKind kind)
{
    return kind == DOMAIN_HOTPLUG_DISK ? DOMAIN_DEVICE_DISK
                                       : DOMAIN_DEVICE_NET;
}

char *
domain_device_xml_element(const char *xml, const char *child,
                          bool *has_child, GError **error)
{
    size_t len = xml ? strlen(xml) : 0;
    xmlDocPtr doc = NULL;
    xmlNodePtr root;
    char *name = NULL;

    if (len == 0 || len > DEVICE_UPDATE_XML_MAX_LEN) {
        drv_xml_error(error, DRV_ERROR_XML_ERROR,
                      "device XML is empty or too large (%zu bytes, limit "
                      "%d)", len, DEVICE_UPDATE_XML_MAX_LEN);
        return NULL;
    }
    /* No network access, no entities: the same reader as attach. */
    doc = xmlReadMemory(xml, (int)len, "device.xml", NULL,
                        XML_PARSE_NONET | XML_PARSE_NOERROR |
                        XML_PARSE_NOWARNING | XML_PARSE_NOCDATA);
    root = doc ? xmlDocGetRootElement(doc) : NULL;
    if (!root || doc->intSubset || doc->extSubset || root->ns) {
        drv_xml_error(error, DRV_ERROR_XML_ERROR,
                      "device XML is not one well-formed element");
    } else {
        name = g_strdup((const char *)root->name);
        if (has_child)
            *has_child = child && xml_child(root, child) != NULL;
    }
    if (doc)
        xmlFreeDoc(doc);
    return name;
}

/* The common part of a device (alias, address, boot order). */
static DomainDeviceInfo *
update_info(const DomainDef *def, DomainDeviceType type, guint index)
{
    return domain_device_classes[type]->info(domain_def_device(def, type,
                                                               index));
}

/* The device as the definition prints it, for comparisons. */
static char *
update_format_device(const DomainDef *def, DomainDeviceType type,
                     guint index, bool live)
{
    DomainFormatCtx ctx = { .flags = live ? 0 : DOMAIN_DEF_FORMAT_INACTIVE,
                            .live = live };
    XmlBuf buf = { g_string_new(NULL), 0 };

    domain_device_classes[type]->format(&buf, domain_def_device(def, type,
                                                                index), &ctx);
    return g_string_free(buf.str, FALSE);
}

DomainDef *
domain_def_with_device_replaced(const DomainDef *def, const char *xml,
                                bool live, DomainHotplugKind *kind,
                                guint *index, bool *changed, GError **error)
{
    g_autoptr(DomainDef) rest = NULL;
    g_autoptr(DomainDef) out = NULL;
    g_autofree char *before = NULL;
    g_autofree char *after = NULL;
    DomainDeviceInfo *old_info;
    DomainDeviceInfo *new_info;
    DomainDeviceType type;
    GPtrArray *devs;
    gpointer old;
    gpointer dev;
    guint last = 0;

    if (!domain_def_find_device_xml(def, xml, kind, index, error))
        return NULL;
    type = update_kind_type(*kind);
    /* The others judge the new device (duplicate targets, MACs, aliases),
     * not the one it replaces. */
    rest = domain_def_copy(def);
    old = g_ptr_array_steal_index(domain_def_priv(rest)->devices[type],
                                  *index);
    if (!(out = domain_def_with_device(rest, xml, live, kind, &last,
                                       error))) {
        domain_device_classes[type]->free(old);
        return NULL;
    }
    devs = domain_def_priv(out)->devices[type];
    dev = g_ptr_array_steal_index(devs, last);
    g_ptr_array_insert(devs, (gint)*index, dev);
    /* As libvirt: a device given without alias or address keeps the
     * ones nimbus (and the guest) know it by. */
    old_info = domain_device_classes[type]->info(old);
    new_info = update_info(out, type, *index);
    if (!new_info->alias)
        new_info->alias = g_steal_pointer(&old_info->alias);
    if (!new_info->address)
        new_info->address = g_steal_pointer(&old_info->address);
    if (type == DOMAIN_DEVICE_DISK)
        domain_disk_backing_keep(dev, old);
    domain_device_classes[type]->free(old);
    before = update_format_device(def, type, *index, live);
    after = update_format_device(out, type, *index, live);
    *changed = strcmp(before, after) != 0;
    return g_steal_pointer(&out);
}

bool
domain_device_only_source_differs(const DomainDef *a, const DomainDef *b,
                                  DomainHotplugKind kind, guint index)
{
    g_autoptr(DomainDef) b2 = NULL;
    g_autofree char *fa = NULL;
    g_autofree char *fb = NULL;
    DomainDiskDef *da;
    DomainDiskDef *db;

    if (kind != DOMAIN_HOTPLUG_DISK)
        return false;
    /* @b with @a's source: equal then iff only the source differed. */
    b2 = domain_def_copy(b);
    da = domain_def_device(a, DOMAIN_DEVICE_DISK, index);
    db = domain_def_device(b2, DOMAIN_DEVICE_DISK, index);
    g_free(db->src);
    db->src = g_strdup(da->src);
    g_free(db->src_pool);
    db->src_pool = g_strdup(da->src_pool);
    g_free(db->src_volume);
    db->src_volume = g_strdup(da->src_volume);
    g_free(db->vhost_path);
    db->vhost_path = g_strdup(da->vhost_path);
    domain_disk_backing_keep(db, da);
    fa = update_format_device(a, DOMAIN_DEVICE_DISK, index, true);
    fb = update_format_device(b2, DOMAIN_DEVICE_DISK, index, true);
    return strcmp(fa, fb) == 0;
}
