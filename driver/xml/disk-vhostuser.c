/* SPDX-License-Identifier: Apache-2.0 */
/* <disk type='vhostuser'>: a virtio-blk disk whose queues a vhost-user back end serves. */
#include <config.h>

#include <string.h>

#include "driver/xml/domain-priv.h"

/*
 * libvirt's form (formatdomain, disk type 'vhostuser'):
 *
 *   <disk type='vhostuser' device='disk'>
 *     <driver name='qemu' type='raw' queues='4'/>
 *     <source type='unix' path='/tmp/vhost-blk.sock'/>
 *     <target dev='vdb' bus='virtio'/>
 *   </disk>
 *
 * The hypervisor is always the client of the socket.  The back end
 * (qemu-storage-daemon, SPDK...) owns the image: its format, cache mode,
 * size, backing chain, serial and I/O limits are its business, so the
 * elements that describe them are refused rather than accepted and
 * ignored; the VMM refuses the same options on --disk vhost_user=on
 * (config/vm-config-validate.c), this names them in XML words at
 * define.  The back end maps guest RAM, so the domain needs
 * <memoryBacking><access mode='shared'/>, as libvirt requires.
 */

bool
domain_disk_vhostuser_parse(xmlNodePtr node, DomainDiskDef *disk,
                            GError **error)
{
    xmlNodePtr src;

    return domain_vhostuser_source_parse(node, "disk", "disk", &src,
                                         &disk->vhost_path, error);
}

void
domain_disk_vhostuser_format(XmlBuf *buf, const DomainDiskDef *disk)
{
    xml_buf_open(buf, "source");
    xml_buf_attr(buf, "type", "unix");
    xml_buf_attr(buf, "path", disk->vhost_path);
    xml_buf_end_empty(buf);
}

/* The first element of @disk that describes an image, in XML words, or
 * NULL.  Post-parse made an absent <driver type> "raw". */
static const char *
vhostuser_image_element(const DomainDiskDef *disk)
{
    if (strcmp(disk->driver_type, "raw") != 0)
        return "<driver type> other than 'raw'";
    if (disk->cache > DOMAIN_DISK_CACHE_DEFAULT)
        return "<driver cache>";
    if (disk->io > 0)
        return "<driver io>";
    if (disk->discard > 0)
        return "<driver discard>";
    if (disk->readonly)
        return "<readonly/>";
    if (disk->shareable)
        return "<shareable/>";
    if (disk->serial)
        return "<serial>";
    if (domain_disk_iotune_is_set(&disk->iotune) || disk->iotune.group_name)
        return "<iotune>";
    return NULL;
}

bool
domain_disk_vhostuser_validate(const DomainDef *def,
                               const DomainDiskDef *disk, GError **error)
{
    g_autofree char *who = g_strdup_printf("disk '%s'", disk->dst);
    const char *image = vhostuser_image_element(disk);

    if (!domain_vhostuser_validate(def, who, disk->vhost_path, error))
        return false;
    if (image) {
        drv_xml_error(error, DRV_ERROR_CONFIG_UNSUPPORTED,
                      "disk '%s': %s is not supported by nimbus on a "
                      "vhostuser disk (the vhost-user back end decides how "
                      "it serves the image)",
                      disk->dst, image);
        return false;
    }
    return true;
}

void
domain_disk_vhostuser_to_config(const DomainDiskDef *def, DiskConfig *disk)
{
    disk->vhost_user = true;
    disk->vhost_socket = g_strdup(def->vhost_path);
}

bool
domain_def_check_no_vhost_user_disk(const DomainDef *def, const char *action,
                                    GError **error)
{
    guint n = domain_def_ndevices(def, DOMAIN_DEVICE_DISK);

    for (guint i = 0; i < n; i++) {
        const DomainDiskDef *d = domain_def_device(def, DOMAIN_DEVICE_DISK, i);

        if (!d->vhost_path)
            continue;
        drv_xml_error(error, DRV_ERROR_OPERATION_UNSUPPORTED,
                      "cannot %s domain '%s': disk '%s' is a vhost-user "
                      "disk, whose image and requests in flight are its "
                      "back end's ('%s'), which nimbus cannot save or "
                      "hand over",
                      action, def->name, d->dst, d->vhost_path);
        return false;
    }
    return true;
}
