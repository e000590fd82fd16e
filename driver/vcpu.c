/* SPDX-License-Identifier: Apache-2.0 */
/* virDomainSetVcpusFlags: vCPU counts of the definition and of the running guest. */
#include <config.h>

#include <gio/gio.h>

#include "driver/drv-error.h"
#include "driver/monitor.h"
#include "driver/process.h"
#include "driver/vcpu.h"
#include "driver/xml/domain-conf.h"

/* @def with @n vCPUs (or @n as its maximum), checked as define checks
 * it; NULL with @error set.  libvirt's words for its refusals. */
static DomainDef *
drv_vcpus_def(const DomainDef *def, unsigned int n, bool maximum,
              const char *which, GError **error)
{
    g_autoptr(DomainDef) copy = NULL;

    if (n == 0) {
        g_set_error_literal(error, DRV_ERROR, DRV_ERROR_INVALID_ARG,
                            "argument unsupported: the vCPU count must not "
                            "be zero");
        return NULL;
    }
    if (!maximum && n > def->max_vcpus) {
        g_set_error(error, DRV_ERROR, DRV_ERROR_INVALID_ARG,
                    "requested vcpus is greater than max allowable vcpus "
                    "for the %s domain: %u > %u", which, n, def->max_vcpus);
        return NULL;
    }
    copy = domain_def_copy(def);
    if (maximum) {
        copy->max_vcpus = n;
        copy->vcpus = MIN(copy->vcpus, n);
    } else {
        copy->vcpus = n;
    }
    return domain_def_check_vmconfig(copy, error) ? g_steal_pointer(&copy)
                                                  : NULL;
}

bool
drv_domain_set_vcpus(DrvDriver *driver, DrvDomainObj *obj,
                     unsigned int nvcpus, unsigned int flags, GError **error)
{
    bool maximum = flags & DRV_DOMAIN_VCPU_MAXIMUM;
    unsigned int affect = flags & ~DRV_DOMAIN_VCPU_MAXIMUM;
    g_autoptr(DomainDef) config = NULL;
    g_autoptr(DomainDef) live = NULL;
    g_autofree char *sock = NULL;
    g_autofree char *body = NULL;
    bool ok = false;

    if (flags & (DRV_DOMAIN_VCPU_GUEST | DRV_DOMAIN_VCPU_HOTPLUGGABLE)) {
        g_set_error_literal(error, DRV_ERROR, DRV_ERROR_NO_SUPPORT,
                            "this function is not supported by the "
                            "connection driver: vCPU counts through a guest "
                            "agent (--guest) or --hotpluggable");
        return false;
    }
    drv_domain_obj_lock(obj);
    if (!drv_domain_affect(obj, &affect, "virDomainSetVcpusFlags", error))
        goto cleanup;
    if (maximum && (affect & DRV_DOMAIN_AFFECT_LIVE)) {
        g_set_error_literal(error, DRV_ERROR, DRV_ERROR_OPERATION_INVALID,
                            "cannot change the maximum vCPU count of an "
                            "active domain");
        goto cleanup;
    }
    if ((affect & DRV_DOMAIN_AFFECT_CONFIG) &&
        !(config = drv_vcpus_def(obj->def, nvcpus, maximum, "persistent",
                                 error)))
        goto cleanup;
    if (affect & DRV_DOMAIN_AFFECT_LIVE) {
        if (!(live = drv_vcpus_def(obj->live, nvcpus, false, "live", error)) ||
            !(sock = drv_domain_begin_running(obj, "setvcpus", error)))
            goto cleanup;
        body = g_strdup_printf("{\"desired_vcpus\": %u}", nvcpus);
        /* Unlocked while nimbus works: the guest is told at once, the
         * answer does not wait for it. */
        drv_domain_obj_unlock(obj);
        ok = drv_monitor_put(sock, "vm.resize", body, error);
        drv_domain_obj_lock(obj);
        drv_domain_job_end(obj);
        if (!ok)
            goto cleanup;
        ok = false;
        if (obj->live) {
            obj->live->vcpus = nvcpus;
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
