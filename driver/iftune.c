/* SPDX-License-Identifier: Apache-2.0 */
/* virDomain{Set,Get}InterfaceParameters: an interface's <bandwidth>, live and persistent. */
#include <config.h>

#include <gio/gio.h>

#include "driver/drv-error.h"
#include "driver/iftune.h"
#include "driver/monitor.h"
#include "driver/process.h"

/*
 * libvirt's <bandwidth> maps onto nimbus's net rate limiter (driver/xml/
 * net-bandwidth.c): as for blkdeviotune (blkiotune.c), the new parameters
 * are applied to a copy of each definition and checked as define checks
 * them, then the running VMM is told through nimbus's rate limiter update
 * extension (docs/rate-limiter.md), and only then are the definitions
 * replaced.
 */

bool
drv_domain_set_interface_parameters(DrvDriver *driver, DrvDomainObj *obj,
                                    const char *device,
                                    const DomainIfParam *params, guint n,
                                    unsigned int flags, GError **error)
{
    g_autoptr(DomainDef) config = NULL;
    g_autoptr(DomainDef) live = NULL;
    g_autofree char *body = NULL;
    g_autofree char *sock = NULL;
    bool ok = false;

    if (!drv_check_flags(flags, DRV_DOMAIN_AFFECT_LIVE |
                                DRV_DOMAIN_AFFECT_CONFIG,
                         "virDomainSetInterfaceParameters", error))
        return false;
    drv_domain_obj_lock(obj);
    if (!drv_domain_affect(obj, &flags, "virDomainSetInterfaceParameters",
                           error))
        goto cleanup;
    if ((flags & DRV_DOMAIN_AFFECT_CONFIG) &&
        !(config = domain_def_with_net_bandwidth(obj->def, device, params, n,
                                                 error)))
        goto cleanup;
    if (flags & DRV_DOMAIN_AFFECT_LIVE) {
        if (!(live = domain_def_with_net_bandwidth(obj->live, device, params,
                                                   n, error)) ||
            !(body = domain_def_net_bandwidth_live_body(live, device,
                                                        error)) ||
            !(sock = drv_domain_begin_running(obj, "domiftune", error)))
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
            if (!domain_def_net_bandwidth_set(obj->live, device, params, n,
                                              error))
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
drv_domain_get_interface_parameters(DrvDomainObj *obj, const char *device,
                                    unsigned int flags, GError **error)
{
    GPtrArray *params = NULL;

    if (!drv_check_flags(flags, DRV_DOMAIN_AFFECT_LIVE |
                                DRV_DOMAIN_AFFECT_CONFIG,
                         "virDomainGetInterfaceParameters", error))
        return NULL;
    drv_domain_obj_lock(obj);
    if (drv_domain_affect(obj, &flags, "virDomainGetInterfaceParameters",
                          error)) {
        if ((flags & DRV_DOMAIN_AFFECT_LIVE) &&
            (flags & DRV_DOMAIN_AFFECT_CONFIG)) {
            /* libvirt's words (virDomainObjGetDefs...) */
            g_set_error_literal(error, DRV_ERROR, DRV_ERROR_INVALID_ARG,
                                "invalid argument: Flags 'affect live' and "
                                "'affect config' are mutually exclusive");
        } else {
            params = domain_def_net_bandwidth_get(
                flags & DRV_DOMAIN_AFFECT_LIVE ? obj->live : obj->def, device,
                error);
        }
    }
    drv_domain_obj_unlock(obj);
    return params;
}
