/* SPDX-License-Identifier: Apache-2.0 */
/* One set and one get over a device rate limiter (blkdeviotune, domiftune). */
#pragma once

#include <stdbool.h>
#include <glib.h>

#include "driver/driver.h"

/*
 * What differs between virDomainSetBlockIoTune and
 * virDomainSetInterfaceParameters: the XML helpers of the device class and
 * the names shown in errors.  @params is the class's own parameter array
 * (DomainIotuneParam, DomainIfParam), passed through untouched.
 */
typedef struct {
    const char *set_api;    /* the libvirt API named by flag errors */
    const char *get_api;
    const char *job;        /* the job name shown while nimbus works */
    /* A checked copy of @def with the parameters set (define's checks). */
    DomainDef *(*with)(const DomainDef *def, const char *dev,
                       const void *params, guint n, GError **error);
    /* The body of PUT vm.nimbus-update-rate-limiter that takes the running
     * domain from @old to @new. */
    char *(*live_body)(const DomainDef *old, const DomainDef *new,
                       const char *dev, GError **error);
    /* The same change in place, on a definition @with accepted. */
    bool (*set)(DomainDef *def, const char *dev, const void *params,
                guint n, GError **error);
    /* Every parameter of @dev in @def: a GPtrArray (transfer full). */
    GPtrArray *(*get)(const DomainDef *def, const char *dev, GError **error);
} DrvDevTuneOps;

/**
 * drv_dev_tune_set:
 * Sets the @n parameters @params of device @dev in the definitions the
 * DRV_DOMAIN_AFFECT_* @flags name, every change checked before any is
 * made; live, nimbus changes the rate limiter at once.
 */
bool drv_dev_tune_set(const DrvDevTuneOps *ops, DrvDriver *driver,
                      DrvDomainObj *obj, const char *dev,
                      const void *params, guint n, unsigned int flags,
                      GError **error);

/**
 * drv_dev_tune_get:
 * Every parameter of device @dev in the one definition @flags names.
 * Returns: (transfer full) @ops->get's array, NULL with @error set.
 */
GPtrArray *drv_dev_tune_get(const DrvDevTuneOps *ops, DrvDomainObj *obj,
                            const char *dev, unsigned int flags,
                            GError **error);
