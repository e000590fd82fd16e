/* SPDX-License-Identifier: Apache-2.0 */
/* virDomain{Set,Get}BlockIoTune: a disk's <iotune>, live and persistent. */
#include <config.h>

#include "driver/blkiotune.h"
#include "driver/devtune.h"

/* The work is drv_dev_tune_set/get's (devtune.c); these adapt the typed
 * <iotune> helpers (driver/xml/disk-iotune.c) to its table. */

static DomainDef *
blkiotune_with(const DomainDef *def, const char *disk, const void *params,
               guint n, GError **error)
{
    return domain_def_with_disk_iotune(def, disk, params, n, error);
}

static bool
blkiotune_set(DomainDef *def, const char *disk, const void *params, guint n,
              GError **error)
{
    return domain_def_disk_iotune_set(def, disk, params, n, error);
}

static const DrvDevTuneOps blkiotune_ops = {
    .set_api = "virDomainSetBlockIoTune",
    .get_api = "virDomainGetBlockIoTune",
    .job = "blkdeviotune",
    .with = blkiotune_with,
    .live_body = domain_def_disk_iotune_live_body,
    .set = blkiotune_set,
    .get = domain_def_disk_iotune_get,
};

bool
drv_domain_set_block_io_tune(DrvDriver *driver, DrvDomainObj *obj,
                             const char *disk,
                             const DomainIotuneParam *params, guint n,
                             unsigned int flags, GError **error)
{
    return drv_dev_tune_set(&blkiotune_ops, driver, obj, disk, params, n,
                            flags, error);
}

GPtrArray *
drv_domain_get_block_io_tune(DrvDomainObj *obj, const char *disk,
                             unsigned int flags, GError **error)
{
    return drv_dev_tune_get(&blkiotune_ops, obj, disk, flags, error);
}
