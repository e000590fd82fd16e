/* SPDX-License-Identifier: Apache-2.0 */
/* <disk type='file'|'volume'|'vhostuser' device='disk'>: virtio-blk disks. */
#include <config.h>

#include "driver/xml/domain-priv.h"
#include "driver/xml/iommu.h"

ENUM_IMPL(domain_disk_bus, DOMAIN_DISK_BUS_LAST,
          "ide", "fdc", "scsi", "virtio", "xen", "usb", "uml", "sata", "sd");
ENUM_IMPL(domain_disk_cache, DOMAIN_DISK_CACHE_LAST,
          "default", "none", "writethrough", "writeback", "directsync",
          "unsafe");
ENUM_IMPL(domain_disk_io, 4, "default", "native", "threads", "io_uring");
ENUM_IMPL(domain_disk_discard, 3, "default", "unmap", "ignore");

void
domain_disk_def_free(DomainDiskDef *disk)
{
    if (!disk)
        return;
    domain_device_info_clear(&disk->info);
    g_free(disk->driver_name);
    g_free(disk->driver_type);
    g_free(disk->src);
    g_free(disk->src_pool);
    g_free(disk->src_volume);
    g_free(disk->vhost_path);
    g_free(disk->dst);
    g_free(disk->serial);
    g_free(disk->iotune.group_name);
    g_clear_pointer(&disk->backing, g_ptr_array_unref);
    g_free(disk);
}

/* <driver queues queue_size>: CH's num_queues and queue_size. */
static bool
domain_disk_parse_u32(xmlNodePtr n, const char *name, unsigned int *out,
                      GError **error)
{
    uint64_t v = 0;

    if (!xml_prop_uint(n, name, G_MAXUINT32, &v, NULL, error))
        return false;
    *out = v;
    return true;
}

static gpointer
domain_disk_parse(xmlNodePtr node, const DomainParseCtx *ctx, GError **error)
{
    g_autoptr(DomainDiskDef) disk = g_new0(DomainDiskDef, 1);
    g_autofree char *type = xml_prop(node, "type");
    xmlNodePtr n;

    /* -1 = absent: printed back only if given (bus is inferred later). */
    disk->cache = disk->io = disk->discard = disk->bus = -1;
    if (!domain_iommu_driver_parse(xml_child(node, "driver"), &disk->iommu,
                                   error))
        return NULL;
    if ((n = xml_child(node, "driver"))) {
        disk->driver_name = xml_prop(n, "name");
        disk->driver_type = xml_prop(n, "type");
        if (!xml_prop_enum(n, "cache", domain_disk_cache_from_string,
                           &disk->cache, error) ||
            !xml_prop_enum(n, "io", domain_disk_io_from_string, &disk->io,
                           error) ||
            !xml_prop_enum(n, "discard", domain_disk_discard_from_string,
                           &disk->discard, error) ||
            !domain_disk_parse_u32(n, "queues", &disk->queues, error) ||
            !domain_disk_parse_u32(n, "queue_size", &disk->queue_size,
                                   error))
            return NULL;
    }
    /* unsupported.c admitted only 'file' (the default), 'volume' and
     * 'vhostuser'. */
    if (type && g_str_equal(type, "volume")) {
        if (!domain_disk_volume_parse(node, disk, error))
            return NULL;
    } else if (type && g_str_equal(type, "vhostuser")) {
        if (!domain_disk_vhostuser_parse(node, disk, error))
            return NULL;
    } else if ((n = xml_child(node, "source"))) {
        disk->src = xml_prop(n, "file");
    }
    if ((n = xml_child(node, "target"))) {
        disk->dst = xml_prop(n, "dev");
        if (!xml_prop_enum(n, "bus", domain_disk_bus_from_string, &disk->bus,
                           error))
            return NULL;
    }
    if (!disk->dst) {
        g_autofree char *path = xml_node_path(node);
        drv_xml_error(error, DRV_ERROR_XML_ERROR,
                      "%s: missing <target dev=...> (e.g. 'vda')", path);
        return NULL;
    }
    /* Flags are empty elements: their presence is the value. */
    disk->readonly = xml_child(node, "readonly") != NULL;
    disk->shareable = xml_child(node, "shareable") != NULL;
    if ((n = xml_child(node, "serial")))
        disk->serial = xml_text(n);
    domain_disk_backing_parse(node, disk, ctx);
    if (!domain_disk_iotune_parse(node, &disk->iotune, error))
        return NULL;
    if (!domain_device_info_parse(node, &disk->info, true, ctx, error))
        return NULL;
    return g_steal_pointer(&disk);
}

static void
domain_disk_format(XmlBuf *buf, gconstpointer dev, const DomainFormatCtx *ctx)
{
    const DomainDiskDef *disk = dev;

    /* unsupported.c admits type='file'|'volume'|'vhostuser' device='disk'
     * only ('file' and 'disk' are libvirt's defaults), printed explicitly
     * as libvirt does. */
    xml_buf_open(buf, "disk");
    xml_buf_attr(buf, "type", disk->src_volume ? "volume" :
                              disk->vhost_path ? "vhostuser" : "file");
    xml_buf_attr(buf, "device", "disk");
    xml_buf_end_open(buf);
    if (disk->driver_name || disk->driver_type || disk->cache >= 0 ||
        disk->io >= 0 || disk->discard >= 0 || disk->queues ||
        disk->queue_size || disk->iommu) {
        /* libvirt's attribute order: name, type, cache, io, discard,
         * queues, queue_size, then the virtio options (iommu). */
        xml_buf_open(buf, "driver");
        xml_buf_attr(buf, "name", disk->driver_name);
        xml_buf_attr(buf, "type", disk->driver_type);
        xml_buf_attr(buf, "cache", domain_disk_cache_to_string(disk->cache));
        xml_buf_attr(buf, "io", domain_disk_io_to_string(disk->io));
        xml_buf_attr(buf, "discard",
                     domain_disk_discard_to_string(disk->discard));
        if (disk->queues)
            xml_buf_attr_uint(buf, "queues", disk->queues);
        if (disk->queue_size)
            xml_buf_attr_uint(buf, "queue_size", disk->queue_size);
        xml_buf_attr(buf, "iommu", xml_on_off_to_string(disk->iommu));
        xml_buf_end_empty(buf);
    }
    /* A missing source fails validation; copy() may still format it.  A
     * volume's path is libvirtd's to say: printed as pool and volume. */
    if (disk->src_volume) {
        domain_disk_volume_format(buf, disk);
    } else if (disk->vhost_path) {
        domain_disk_vhostuser_format(buf, disk);
    } else if (disk->src) {
        xml_buf_open(buf, "source");
        xml_buf_attr(buf, "file", disk->src);
        xml_buf_end_empty(buf);
    }
    /* libvirt's place for it: right after <source>. */
    domain_disk_backing_format(buf, disk, ctx);
    xml_buf_open(buf, "target");
    xml_buf_attr(buf, "dev", disk->dst);
    xml_buf_attr(buf, "bus", domain_disk_bus_to_string(disk->bus));
    xml_buf_end_empty(buf);
    if (disk->readonly) {
        xml_buf_open(buf, "readonly");
        xml_buf_end_empty(buf);
    }
    if (disk->shareable) {
        xml_buf_open(buf, "shareable");
        xml_buf_end_empty(buf);
    }
    xml_buf_text_element(buf, "serial", disk->serial);
    domain_disk_iotune_format(buf, &disk->iotune);
    domain_device_info_format(buf, &disk->info);
    xml_buf_close(buf, "disk");
}

static DomainDeviceInfo *
domain_disk_info(gpointer dev)
{
    return &((DomainDiskDef *)dev)->info;
}

const DomainDeviceClass domain_disk_class = {
    .element = "disk",
    .parse = domain_disk_parse,
    .format = domain_disk_format,
    .free = (void (*)(gpointer))domain_disk_def_free,
    .info = domain_disk_info,
};
