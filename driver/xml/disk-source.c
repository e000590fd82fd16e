/* SPDX-License-Identifier: Apache-2.0 */
/* A disk's image file and format, found by target dev or source path. */
#include <config.h>

#include "driver/xml/disk-source.h"
#include "driver/xml/domain-priv.h"

bool
domain_def_disk_image(const DomainDef *def, const char *disk, char **path,
                      char **format, GError **error)
{
    guint n = domain_def_ndevices(def, DOMAIN_DEVICE_DISK);

    for (guint i = 0; i < n; i++) {
        const DomainDiskDef *d = domain_def_device(def, DOMAIN_DEVICE_DISK, i);

        if (g_strcmp0(d->dst, disk) != 0 && g_strcmp0(d->src, disk) != 0 &&
            g_strcmp0(d->vhost_path, disk) != 0)
            continue;
        /* No image nimbusd could read: the back end serves it. */
        if (d->vhost_path) {
            drv_xml_error(error, DRV_ERROR_OPERATION_UNSUPPORTED,
                          "disk '%s' is a vhost-user disk: its size is "
                          "known only to the back end ('%s')",
                          d->dst, d->vhost_path);
            return false;
        }
        /* A volume whose pool could not resolve it has no path yet. */
        if (!d->src) {
            drv_xml_error(error, DRV_ERROR_OPERATION_INVALID,
                          "disk '%s' does not currently have a source "
                          "assigned", d->dst);
            return false;
        }
        *path = g_strdup(d->src);
        /* Post-parse makes an absent <driver type> "raw". */
        *format = g_strdup(d->driver_type ? d->driver_type : "raw");
        return true;
    }
    /* libvirt's words (qemuDomainGetBlockInfo). */
    drv_xml_error(error, DRV_ERROR_INVALID_ARG,
                  "invalid path '%s' not assigned to domain", disk);
    return false;
}
