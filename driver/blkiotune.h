/* SPDX-License-Identifier: Apache-2.0 */
/* virDomain{Set,Get}BlockIoTune: a disk's <iotune>, live and persistent. */
#pragma once

#include <stdbool.h>
#include <glib.h>

#include "driver/driver.h"
#include "driver/xml/disk-iotune-params.h"

/**
 * drv_domain_set_block_io_tune:
 * virDomainSetBlockIoTune: sets the @n parameters @params of disk @disk
 * (target dev or source path) in the definitions DRV_DOMAIN_AFFECT_*
 * @flags name; every change is checked before any is made.  Live, nimbus
 * changes the disk's (or its group's) rate limiter at once through
 * vm.nimbus-update-rate-limiter.
 */
bool drv_domain_set_block_io_tune(DrvDriver *driver, DrvDomainObj *obj,
                                  const char *disk,
                                  const DomainIotuneParam *params, guint n,
                                  unsigned int flags, GError **error);

/**
 * drv_domain_get_block_io_tune:
 * virDomainGetBlockIoTune: every parameter of disk @disk in the definition
 * @flags names (DRV_DOMAIN_AFFECT_LIVE or _CONFIG, or the current one).
 * Returns: (transfer full) a GPtrArray of DomainIotuneParam, NULL with
 * @error set.
 */
GPtrArray *drv_domain_get_block_io_tune(DrvDomainObj *obj, const char *disk,
                                        unsigned int flags, GError **error);
