/* SPDX-License-Identifier: Apache-2.0 */
/* <disk type='vhostuser'>: a virtio-blk disk whose queues a vhost-user back end serves. */
#include <config.h>

#include <string.h>
#include <sys/un.h>

#include "driver/xml/domain-priv.h"
#include "driver/xml/memory-backing.h"

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
    g_autofree char *path = xml_node_path(node);
    g_autofree char *type = NULL;
    xmlNodePtr src = xml_child(node, "source");

    if (!src) {
        drv_xml_error(error, DRV_ERROR_XML_ERROR,
                      "%s: <disk type='vhostuser'> needs <source "
                      "type='unix' path='...'/>",
                      path);
        return false;
    }
    type = xml_prop(src, "type");
    if (g_strcmp0(type, "unix") != 0) {
        drv_xml_error(error, DRV_ERROR_CONFIG_UNSUPPORTED,
                      "%s: vhostuser disk source type '%s' is not "
                      "supported by nimbus (only 'unix')",
                      path, type ? type : "");
        return false;
    }
    disk->vhost_path = xml_prop(src, "path");
    if (!disk->vhost_path || !*disk->vhost_path) {
        drv_xml_error(error, DRV_ERROR_XML_ERROR,
                      "%s: <disk type='vhostuser'> needs <source path='...'/>",
                      path);
        return false;
    }
    /* A back end that restarts leaves the disk needing a reset: nimbus
     * does not reconnect (as for vhost-user NICs). */
    if (xml_child(src, "reconnect")) {
        drv_xml_error(error, DRV_ERROR_CONFIG_UNSUPPORTED,
                      "%s: <reconnect> is not supported by nimbus (a "
                      "vhost-user back end that goes away leaves the disk "
                      "needing a reset)",
                      path);
        return false;
    }
    return true;
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
    const char *image = vhostuser_image_element(disk);

    if (disk->vhost_path[0] != '/') {
        drv_xml_error(error, DRV_ERROR_INVALID_ARG,
                      "disk '%s': vhostuser source path '%s' must be an "
                      "absolute path",
                      disk->dst, disk->vhost_path);
        return false;
    }
    if (strlen(disk->vhost_path) >=
        sizeof(((struct sockaddr_un *)0)->sun_path)) {
        drv_xml_error(error, DRV_ERROR_INVALID_ARG,
                      "disk '%s': vhostuser source path '%s' is longer than "
                      "a UNIX socket path may be",
                      disk->dst, disk->vhost_path);
        return false;
    }
    if (image) {
        drv_xml_error(error, DRV_ERROR_CONFIG_UNSUPPORTED,
                      "disk '%s': %s is not supported by nimbus on a "
                      "vhostuser disk (the vhost-user back end decides how "
                      "it serves the image)",
                      disk->dst, image);
        return false;
    }
    if (!domain_memory_backing_shared(def)) {
        drv_xml_error(error, DRV_ERROR_CONFIG_UNSUPPORTED,
                      "disk '%s': vhost-user needs shared memory: add "
                      "<memoryBacking><source type='memfd'/><access "
                      "mode='shared'/></memoryBacking>",
                      disk->dst);
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
