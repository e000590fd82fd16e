/* SPDX-License-Identifier: Apache-2.0 */
/* One <disk>, <interface> or <filesystem> in a definition: attach/detach-device XML. */
#include <config.h>

#include <stdio.h>
#include <string.h>
#include <libxml/parser.h>

#include "driver/xml/device-xml.h"
#include "driver/xml/domain-priv.h"
#include "driver/xml/iommu.h"
#include "driver/xml/memory-backing.h"
#include "driver/xml/memory-xml.h"

/* Device XML is a few hundred bytes; the bound keeps a client from
 * making libxml2 chew on megabytes for one element. */
#define DEVICE_XML_MAX_LEN (1024 * 1024)

static DomainDeviceType
kind_type(DomainHotplugKind kind)
{
    switch (kind) {
    case DOMAIN_HOTPLUG_DISK:
        return DOMAIN_DEVICE_DISK;
    case DOMAIN_HOTPLUG_MEMORY:
        return DOMAIN_DEVICE_MEMORY;
    case DOMAIN_HOTPLUG_FS:
        return DOMAIN_DEVICE_FILESYSTEM;
    case DOMAIN_HOTPLUG_NET:
    default:
        return DOMAIN_DEVICE_NET;
    }
}

static void
xml_doc_free0(xmlDocPtr doc)
{
    if (doc)
        xmlFreeDoc(doc);
}

/* @xml as a document whose root is a device nimbus hot-plugs. */
static xmlDocPtr
device_xml_read(const char *xml, DomainHotplugKind *kind, GError **error)
{
    size_t len = xml ? strlen(xml) : 0;
    xmlDocPtr doc;
    xmlNodePtr root;

    if (len == 0) {
        drv_xml_error(error, DRV_ERROR_XML_ERROR, "empty device XML");
        return NULL;
    }
    if (len > DEVICE_XML_MAX_LEN) {
        drv_xml_error(error, DRV_ERROR_XML_ERROR,
                      "device XML too large (%zu bytes, limit %d)", len,
                      DEVICE_XML_MAX_LEN);
        return NULL;
    }
    /* As for a domain: no network access, no entity expansion. */
    doc = xmlReadMemory(xml, (int)len, "device.xml", NULL,
                        XML_PARSE_NONET | XML_PARSE_NOERROR |
                        XML_PARSE_NOWARNING | XML_PARSE_NOCDATA);
    if (!doc) {
        drv_xml_error(error, DRV_ERROR_XML_ERROR,
                      "device XML is not well-formed");
        return NULL;
    }
    root = xmlDocGetRootElement(doc);
    if (doc->intSubset || doc->extSubset || !root || root->ns) {
        drv_xml_error(error, DRV_ERROR_XML_ERROR,
                      "device XML must be one <disk> or <interface> element");
    } else if (xml_is_element(root, "disk")) {
        *kind = DOMAIN_HOTPLUG_DISK;
        return doc;
    } else if (xml_is_element(root, "interface")) {
        *kind = DOMAIN_HOTPLUG_NET;
        return doc;
    } else if (xml_is_element(root, "memory")) {
        *kind = DOMAIN_HOTPLUG_MEMORY;
        return doc;
    } else if (xml_is_element(root, "filesystem")) {
        *kind = DOMAIN_HOTPLUG_FS;
        return doc;
    } else {
        drv_xml_error(error, DRV_ERROR_CONFIG_UNSUPPORTED,
                      "device '%s' cannot be attached or detached by "
                      "nimbus (only <disk>, <interface> and <memory>, or "
                      "a virtiofs <filesystem>)",
                      (const char *)root->name);
    }
    xmlFreeDoc(doc);
    return NULL;
}

DomainDef *
domain_def_with_device(const DomainDef *def, const char *xml, bool live,
                       DomainHotplugKind *kind, guint *index, GError **error)
{
    unsigned int fmt = DOMAIN_DEF_FORMAT_SECURE |
                       (live ? 0 : DOMAIN_DEF_FORMAT_INACTIVE);
    g_autoptr(DomainDef) out = NULL;
    g_autoptr(DomainDef) grown = NULL;
    g_autofree char *dom_xml = NULL;
    xmlDocPtr dev_doc = NULL;
    xmlDocPtr dom_doc = NULL;
    xmlChar *joined = NULL;
    xmlNodePtr devices;
    xmlNodePtr copy;
    int joined_len = 0;

    if (!(dev_doc = device_xml_read(xml, kind, error)))
        goto cleanup;
    /* libvirt counts a memory device in <memory>: it grows with it. */
    if (*kind == DOMAIN_HOTPLUG_MEMORY &&
        !(grown = domain_memory_def_grown(def, xmlDocGetRootElement(dev_doc),
                                          error)))
        goto cleanup;
    if (!(dom_xml = domain_def_format(grown ? grown : def, -1, fmt, error)))
        goto cleanup;
    /* Our own output: it parses. */
    dom_doc = xmlReadMemory(dom_xml, (int)strlen(dom_xml), "domain.xml", NULL,
                            XML_PARSE_NONET);
    devices = dom_doc ? xml_child(xmlDocGetRootElement(dom_doc), "devices")
                      : NULL;
    if (!devices && dom_doc)
        devices = xmlNewChild(xmlDocGetRootElement(dom_doc), NULL,
                              (const xmlChar *)"devices", NULL);
    if (!devices ||
        !(copy = xmlDocCopyNode(xmlDocGetRootElement(dev_doc), dom_doc, 1))) {
        drv_xml_error(error, DRV_ERROR_INTERNAL_ERROR,
                      "cannot insert the device into the definition");
        goto cleanup;
    }
    xmlAddChild(devices, copy);
    xmlDocDumpMemory(dom_doc, &joined, &joined_len);
    /* The whole definition again, schema included: the device is judged
     * among the others (duplicate targets, aliases, MACs, boot orders). */
    out = domain_def_parse_string((const char *)joined,
                                  live ? 0 : DOMAIN_DEF_PARSE_INACTIVE, error);
    if (!out)
        goto cleanup;
    /* A volume's path is not in the XML: keep what the old disks had. */
    for (guint i = 0; i < domain_def_ndevices(def, DOMAIN_DEVICE_DISK); i++) {
        const DomainDiskDef *o = domain_def_device(def, DOMAIN_DEVICE_DISK, i);
        DomainDiskDef *n = domain_def_device(out, DOMAIN_DEVICE_DISK, i);

        if (!n->src && o->src)
            n->src = g_strdup(o->src);
    }
    /* Nor are the sockets of the virtiofsd a run started. */
    domain_fs_copy_sockets(out, def);
    *index = domain_def_ndevices(out, kind_type(*kind)) - 1;

 cleanup:
    xmlFree(joined);
    xml_doc_free0(dom_doc);
    xml_doc_free0(dev_doc);
    return g_steal_pointer(&out);
}

/* Whether another device than @self (of @self_type) is known as @alias. */
static bool
alias_taken(const DomainDef *def, DomainDeviceType self_type, guint self,
            const char *alias)
{
    for (int t = 0; t < DOMAIN_DEVICE_LAST; t++) {
        for (guint i = 0; i < domain_def_ndevices(def, t); i++) {
            const DomainDeviceInfo *info =
                domain_device_classes[t]->info(domain_def_device(def, t, i));

            if ((DomainDeviceType)t == self_type && i == self)
                continue;
            if (info->alias && strcmp(info->alias, alias) == 0)
                return true;
            /* Nimbus ids of devices without an alias count too. */
            if ((t == DOMAIN_DEVICE_DISK || t == DOMAIN_DEVICE_NET ||
                 t == DOMAIN_DEVICE_FILESYSTEM) && !info->alias) {
                g_autofree char *id = domain_device_vmm_id(def, t, i);

                if (strcmp(id, alias) == 0)
                    return true;
            }
        }
    }
    return false;
}

void
domain_def_device_assign_alias(DomainDef *def, DomainHotplugKind kind,
                               guint index)
{
    static const char *const prefixes[] = {
        [DOMAIN_HOTPLUG_DISK] = "virtio-disk",
        [DOMAIN_HOTPLUG_NET] = "net",
        [DOMAIN_HOTPLUG_FS] = "fs",
    };
    DomainDeviceType type = kind_type(kind);
    DomainDeviceInfo *info =
        domain_device_classes[type]->info(domain_def_device(def, type, index));

    /* Memory devices are named by memory.c. */
    g_return_if_fail(kind < G_N_ELEMENTS(prefixes) && prefixes[kind]);

    /* A user alias ("ua-...") is the device's name everywhere; otherwise
     * the first free one of libvirt's pattern. */
    if (info->alias && g_str_has_prefix(info->alias, "ua-"))
        return;
    g_clear_pointer(&info->alias, g_free);
    for (guint n = 0;; n++) {
        g_autofree char *alias = g_strdup_printf("%s%u", prefixes[kind], n);

        if (!alias_taken(def, type, index, alias)) {
            info->alias = g_steal_pointer(&alias);
            break;
        }
    }
}

char *
domain_def_hotplug_prepare(DomainDef *def, DomainHotplugKind kind,
                           guint index, DomainVolumeResolver resolve,
                           gpointer resolve_data, DomainNetAttachFunc attach,
                           gpointer attach_data, GPtrArray *created,
                           GError **error)
{
    DomainDeviceType type = kind_type(kind);
    DomainDeviceInfo *info =
        domain_device_classes[type]->info(domain_def_device(def, type, index));

    /* Memory and filesystems have their own (memory-device.c,
     * fs-device.c). */
    g_return_val_if_fail(kind == DOMAIN_HOTPLUG_DISK ||
                         kind == DOMAIN_HOTPLUG_NET, NULL);
    /* Before any TAP exists: the VMM would refuse it too. */
    if (!domain_iommu_check_attach(def, type, index, error))
        return NULL;
    if (kind == DOMAIN_HOTPLUG_DISK) {
        DomainDiskDef *disk = domain_def_device(def, type, index);

        if (disk->src_volume) {
            g_free(disk->src);
            if (!(disk->src = resolve(disk->src_pool, disk->src_volume,
                                      resolve_data, error)))
                return NULL;
        }
    } else if (!domain_net_attach_one(domain_def_device(def, type, index),
                                      attach, attach_data, created, error)) {
        return NULL;
    }
    domain_def_device_assign_alias(def, kind, index);
    /* The address is nimbus's choice; it is recorded once known. */
    g_clear_pointer(&info->address, g_ptr_array_unref);
    return domain_device_vmconfig_json(def, type, index);
}

static void
address_add(GPtrArray *attrs, const char *name, char *value)
{
    XmlAttr *a = g_new0(XmlAttr, 1);

    a->name = g_strdup(name);
    a->value = value;
    g_ptr_array_add(attrs, a);
}

static void
xml_attr_free(gpointer p)
{
    XmlAttr *a = p;

    g_free(a->name);
    g_free(a->value);
    g_free(a);
}

bool
domain_def_device_set_pci_address(DomainDef *def, DomainHotplugKind kind,
                                  guint index, const char *bdf, GError **error)
{
    DomainDeviceType type = kind_type(kind);
    DomainDeviceInfo *info =
        domain_device_classes[type]->info(domain_def_device(def, type, index));
    unsigned int seg, bus, slot, fn;
    char end;

    if (!bdf || sscanf(bdf, "%x:%x:%x.%x%c", &seg, &bus, &slot, &fn, &end) != 4 ||
        seg > 0xffff || bus > 0xff || slot > 0x1f || fn > 7) {
        drv_xml_error(error, DRV_ERROR_INTERNAL_ERROR,
                      "nimbus reported an invalid PCI address '%s'",
                      bdf ? bdf : "");
        return false;
    }
    g_clear_pointer(&info->address, g_ptr_array_unref);
    info->address = g_ptr_array_new_with_free_func(xml_attr_free);
    /* libvirt's <address type='pci' .../> spelling. */
    address_add(info->address, "type", g_strdup("pci"));
    address_add(info->address, "domain", g_strdup_printf("0x%04x", seg));
    address_add(info->address, "bus", g_strdup_printf("0x%02x", bus));
    address_add(info->address, "slot", g_strdup_printf("0x%02x", slot));
    address_add(info->address, "function", g_strdup_printf("0x%x", fn));
    return true;
}

static bool
found_one(int found, const char *what, GError **error)
{
    if (found == 0) {
        drv_xml_error(error, DRV_ERROR_DEVICE_MISSING, "%s not found", what);
        return false;
    }
    if (found > 1) {
        drv_xml_error(error, DRV_ERROR_OPERATION_FAILED,
                      "multiple devices matching %s", what);
        return false;
    }
    return true;
}

bool
domain_def_find_device_xml(const DomainDef *def, const char *xml,
                           DomainHotplugKind *kind, guint *index,
                           GError **error)
{
    DomainParseCtx ctx = { .flags = 0 };
    g_autofree char *what = NULL;
    xmlDocPtr doc = NULL;
    DomainDeviceType type;
    gpointer dev = NULL;
    DomainDeviceInfo *want;
    int found = 0;
    bool ok = false;

    /* The element alone, no defaults: only what it says is matched. */
    if (!(doc = device_xml_read(xml, kind, error)))
        return false;
    if (*kind == DOMAIN_HOTPLUG_MEMORY) {
        /* Matched by domain_def_find_memory_xml() (memory.c), whose
         * callers dispatch on the element first. */
        drv_xml_error(error, DRV_ERROR_INTERNAL_ERROR,
                      "memory devices are not matched here");
        xmlFreeDoc(doc);
        return false;
    }
    type = kind_type(*kind);
    if (!(dev = domain_device_classes[type]->parse(xmlDocGetRootElement(doc),
                                                   &ctx, error)))
        goto cleanup;
    want = domain_device_classes[type]->info(dev);
    for (guint i = 0; i < domain_def_ndevices(def, type); i++) {
        gpointer have = domain_def_device(def, type, i);
        const DomainDeviceInfo *info = domain_device_classes[type]->info(have);
        bool match;

        if (*kind == DOMAIN_HOTPLUG_DISK) {
            const DomainDiskDef *w = dev;

            match = w->dst && g_strcmp0(w->dst,
                                        ((DomainDiskDef *)have)->dst) == 0;
        } else if (*kind == DOMAIN_HOTPLUG_FS) {
            match = g_strcmp0(domain_fs_dev_tag(dev),
                              domain_fs_dev_tag(have)) == 0;
        } else {
            const DomainNetDef *w = dev;

            match = !w->mac_set ||
                    memcmp(w->mac, ((DomainNetDef *)have)->mac, 6) == 0;
        }
        if (match && want->alias)
            match = g_strcmp0(want->alias, info->alias) == 0;
        if (match) {
            *index = i;
            found++;
        }
    }
    if (*kind == DOMAIN_HOTPLUG_DISK) {
        what = g_strdup_printf("disk %s", ((DomainDiskDef *)dev)->dst ?
                               ((DomainDiskDef *)dev)->dst : "(no target)");
    } else if (*kind == DOMAIN_HOTPLUG_FS) {
        what = g_strdup_printf("filesystem with target dir '%s'",
                               domain_fs_dev_tag(dev));
    } else if (((DomainNetDef *)dev)->mac_set) {
        char mac[18];

        xml_mac_format(((DomainNetDef *)dev)->mac, mac);
        what = g_strdup_printf("interface with MAC address %s", mac);
    } else {
        what = g_strdup("interface");
    }
    ok = found_one(found, what, error);

 cleanup:
    if (dev)
        domain_device_classes[type]->free(dev);
    xmlFreeDoc(doc);
    return ok;
}

bool
domain_def_find_device_alias(const DomainDef *def, const char *alias,
                             DomainHotplugKind *kind, guint *index,
                             GError **error)
{
    g_autofree char *what = g_strdup_printf("device with alias '%s'", alias);

    if (!domain_def_find_device_vmm_id(def, alias, kind, index)) {
        drv_xml_error(error, DRV_ERROR_DEVICE_MISSING, "%s not found", what);
        return false;
    }
    return true;
}

char *
domain_def_device_vmm_id(const DomainDef *def, DomainHotplugKind kind,
                         guint index)
{
    return domain_device_vmm_id(def, kind_type(kind), index);
}

char *
domain_def_device_bridged_tap(const DomainDef *def, DomainHotplugKind kind,
                              guint index)
{
    const DomainNetDef *net;

    if (kind != DOMAIN_HOTPLUG_NET)
        return NULL;
    net = domain_def_device(def, DOMAIN_DEVICE_NET, index);
    return net->type == DOMAIN_NET_TYPE_ETHERNET ? NULL
                                                 : g_strdup(net->ifname);
}

void
domain_def_remove_device(DomainDef *def, DomainHotplugKind kind, guint index,
                         bool live)
{
    DomainDeviceType type = kind_type(kind);

    if (type == DOMAIN_DEVICE_MEMORY) {
        /* <memory> shrinks with it (memory.c). */
        domain_def_memory_remove(def, index, live);
        return;
    }
    /* Filesystems too: nimbusd names them "fsN" by position. */
    if (live && (type == DOMAIN_DEVICE_NET ||
                 type == DOMAIN_DEVICE_FILESYSTEM)) {
        for (guint i = 0; i < domain_def_ndevices(def, type); i++) {
            DomainDeviceInfo *info =
                domain_device_classes[type]->info(domain_def_device(def, type,
                                                                    i));

            if (!info->alias)
                info->alias = domain_device_vmm_id(def, type, i);
        }
    }
    g_ptr_array_remove_index(domain_def_priv(def)->devices[type], index);
}

bool
domain_def_find_device_vmm_id(const DomainDef *def, const char *vmm_id,
                              DomainHotplugKind *kind, guint *index)
{
    static const DomainHotplugKind kinds[] = {
        DOMAIN_HOTPLUG_DISK, DOMAIN_HOTPLUG_NET, DOMAIN_HOTPLUG_MEMORY,
        DOMAIN_HOTPLUG_FS
    };

    for (guint k = 0; k < G_N_ELEMENTS(kinds); k++) {
        DomainDeviceType type = kind_type(kinds[k]);

        for (guint i = 0; i < domain_def_ndevices(def, type); i++) {
            g_autofree char *id = domain_device_vmm_id(def, type, i);

            if (g_strcmp0(id, vmm_id) == 0) {
                *kind = kinds[k];
                *index = i;
                return true;
            }
        }
    }
    return false;
}
