/* SPDX-License-Identifier: Apache-2.0 */
/* <disk type='volume'>: a disk on a volume of a libvirt storage pool. */
#include <config.h>

#include "driver/xml/domain-priv.h"

/*
 * virt-manager and virt-install write <source pool='P' volume='V'/> for
 * disks they created in a pool.  Pools are libvirtd's (issue 11), so the
 * definition keeps pool and volume as written, and the path nimbus opens
 * is asked of libvirtd whenever the domain is defined or started, as
 * libvirt's own hypervisor drivers do.
 */

bool
domain_disk_volume_parse(xmlNodePtr node, DomainDiskDef *disk, GError **error)
{
    xmlNodePtr n = xml_child(node, "source");

    if (n) {
        disk->src_pool = xml_prop(n, "pool");
        disk->src_volume = xml_prop(n, "volume");
    }
    if (!disk->src_pool || !*disk->src_pool || !disk->src_volume ||
        !*disk->src_volume) {
        g_autofree char *path = xml_node_path(node);

        drv_xml_error(error, DRV_ERROR_XML_ERROR,
                      "%s: <disk type='volume'> needs <source pool='POOL' volume='VOLUME'/>",
                      path);
        return false;
    }
    return true;
}

void
domain_disk_volume_format(XmlBuf *buf, const DomainDiskDef *disk)
{
    xml_buf_open(buf, "source");
    xml_buf_attr(buf, "pool", disk->src_pool);
    xml_buf_attr(buf, "volume", disk->src_volume);
    xml_buf_end_empty(buf);
}

bool
domain_def_resolve_volumes(DomainDef *def, DomainVolumeResolver resolve,
                           gpointer data, GError **error)
{
    guint n = domain_def_ndevices(def, DOMAIN_DEVICE_DISK);

    for (guint i = 0; i < n; i++) {
        DomainDiskDef *disk = domain_def_device(def, DOMAIN_DEVICE_DISK, i);
        char *path;

        if (!disk->src_volume)
            continue;
        /* libvirtd's error (no such pool or volume, not reachable) is the
         * client's answer as it stands. */
        if (!(path = resolve(disk->src_pool, disk->src_volume, data, error)))
            return false;
        g_free(disk->src);
        disk->src = path;
    }
    return true;
}
