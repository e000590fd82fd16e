/* SPDX-License-Identifier: Apache-2.0 */
/* One set and one get over a device rate limiter (blkdeviotune, domiftune). */
#include <config.h>

#include <gio/gio.h>

#include "driver/devtune.h"
#include "driver/drv-error.h"
#include "driver/monitor.h"
#include "driver/process.h"

/*
 * libvirt's <iotune> and <bandwidth> both map onto nimbus's rate limiters
 * (driver/xml/disk-iotune.c, net-bandwidth.c): the new parameters are
 * applied to a copy of each definition and checked as define checks them,
 * then the running VMM is told through nimbus's rate limiter update
 * extension (docs/rate-limiter.md), and only then are the definitions
 * replaced.
 */

bool
drv_dev_tune_set(const DrvDevTuneOps *ops, DrvDriver *driver,
                 DrvDomainObj *obj, const char *dev, const void *params,
                 guint n, unsigned int flags, GError **error)
{
    g_autoptr(DomainDef) config = NULL;
    g_autoptr(DomainDef) live = NULL;
    g_autofree char *body = NULL;
    g_autofree char *sock = NULL;
    bool ok = false;

    if (!drv_check_flags(flags, DRV_DOMAIN_AFFECT_LIVE |
                                DRV_DOMAIN_AFFECT_CONFIG,
                         ops->set_api, error))
        return false;
    drv_domain_obj_lock(obj);
    if (!drv_domain_affect(obj, &flags, ops->set_api, error))
        goto cleanup;
    if ((flags & DRV_DOMAIN_AFFECT_CONFIG) &&
        !(config = ops->with(obj->def, dev, params, n, error)))
        goto cleanup;
    if (flags & DRV_DOMAIN_AFFECT_LIVE) {
        if (!(live = ops->with(obj->live, dev, params, n, error)) ||
            !(body = ops->live_body(obj->live, live, dev, error)) ||
            !(sock = drv_domain_begin_running(obj, ops->job, error)))
            goto cleanup;
        /* Unlocked while nimbus works, as every monitor call. */
        drv_domain_obj_unlock(obj);
        ok = drv_monitor_put(sock, "vm.nimbus-update-rate-limiter", body,
                             error);
        drv_domain_obj_lock(obj);
        drv_domain_job_end(obj);
        if (!ok)
            goto cleanup;
        ok = false;
        /* The domain may have stopped while unlocked: nothing to record. */
        if (obj->live) {
            /* obj->live stays the same object (others may hold it while
             * unlocked); the change passed on @live, so it cannot fail
             * differently here. */
            if (!ops->set(obj->live, dev, params, n, error))
                goto cleanup;
            drv_process_save_state(driver, obj);
        }
    }
    if (config && !drv_domain_commit_config(driver, obj, &config, error))
        goto cleanup;
    ok = true;
 cleanup:
    drv_domain_obj_unlock(obj);
    return ok;
}

GPtrArray *
drv_dev_tune_get(const DrvDevTuneOps *ops, DrvDomainObj *obj,
                 const char *dev, unsigned int flags, GError **error)
{
    GPtrArray *params = NULL;

    if (!drv_check_flags(flags, DRV_DOMAIN_AFFECT_LIVE |
                                DRV_DOMAIN_AFFECT_CONFIG,
                         ops->get_api, error))
        return NULL;
    drv_domain_obj_lock(obj);
    if (drv_domain_affect(obj, &flags, ops->get_api, error)) {
        if ((flags & DRV_DOMAIN_AFFECT_LIVE) &&
            (flags & DRV_DOMAIN_AFFECT_CONFIG)) {
            /* libvirt's words (virDomainObjGetDefs...) */
            g_set_error_literal(error, DRV_ERROR, DRV_ERROR_INVALID_ARG,
                                "invalid argument: Flags 'affect live' and "
                                "'affect config' are mutually exclusive");
        } else {
            params = ops->get(flags & DRV_DOMAIN_AFFECT_LIVE ? obj->live
                                                             : obj->def,
                              dev, error);
        }
    }
    drv_domain_obj_unlock(obj);
    return params;
}
