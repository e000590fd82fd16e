/* SPDX-License-Identifier: Apache-2.0 */
/* DrvDomainObj: one domain's definitions, run state and job lock. */
#include <config.h>

#include <string.h>

#include "driver/domain.h"
#include "driver/process.h"

/* A new domain starts shut off with reason "unknown", as libvirt reports a
 * domain that never ran; the caller attaches the definitions. */
DrvDomainObj *
drv_domain_obj_new(const DomainDef *def)
{
    DrvDomainObj *obj = g_new0(DrvDomainObj, 1);

    obj->ref = 1;
    obj->name = g_strdup(def->name);
    memcpy(obj->uuid, def->uuid, sizeof(obj->uuid));
    g_mutex_init(&obj->lock);
    g_cond_init(&obj->cond);
    obj->id = -1;
    obj->state = DRV_STATE_SHUTOFF;
    obj->reason = DRV_SHUTOFF_UNKNOWN;
    return obj;
}

DrvDomainObj *
drv_domain_obj_ref(DrvDomainObj *obj)
{
    g_atomic_int_inc(&obj->ref);
    return obj;
}

void
drv_domain_obj_unref(DrvDomainObj *obj)
{
    if (!obj || !g_atomic_int_dec_and_test(&obj->ref))
        return;
    /* The last reference: no job and no watch can run any more (watches
     * hold references), so the process record is plain memory here. */
    g_clear_pointer(&obj->def, domain_def_free);
    g_clear_pointer(&obj->live, domain_def_free);
    g_clear_pointer(&obj->proc, drv_process_free);
    g_mutex_clear(&obj->lock);
    g_cond_clear(&obj->cond);
    g_free(obj->name);
    g_slist_free_full(obj->old_names, g_free);
    g_free(obj);
}

void
drv_domain_obj_lock(DrvDomainObj *obj)
{
    g_mutex_lock(&obj->lock);
}

void
drv_domain_obj_unlock(DrvDomainObj *obj)
{
    g_mutex_unlock(&obj->lock);
}

bool
drv_domain_job_begin(DrvDomainObj *obj, const char *name, GError **error)
{
    gint64 deadline = g_get_monotonic_time() +
        (gint64)DRV_JOB_WAIT_SECONDS * G_TIME_SPAN_SECOND;

    /* The condition is shared with process exits and spurious wake-ups
     * happen: re-check the job after every wake-up. */
    while (obj->job) {
        if (!g_cond_wait_until(&obj->cond, &obj->lock, deadline) && obj->job) {
            g_set_error(error, DRV_ERROR, DRV_ERROR_OPERATION_TIMEOUT,
                        "cannot acquire state change lock (held by %s)",
                        obj->job_name ? obj->job_name : "another call");
            return false;
        }
    }
    if (obj->removed) {
        g_set_error(error, DRV_ERROR, DRV_ERROR_NO_DOMAIN,
                    "domain '%s' was removed", obj->name);
        return false;
    }
    obj->job = true;
    obj->job_name = name;
    return true;
}

void
drv_domain_job_end(DrvDomainObj *obj)
{
    g_assert(obj->job);
    obj->job = false;
    obj->job_name = NULL;
    /* The same condition also signals process exits: wake everybody. */
    g_cond_broadcast(&obj->cond);
}

/* libvirt's definition: a domain is active while it has an id. */
bool
drv_domain_obj_is_active(const DrvDomainObj *obj)
{
    return obj->id != -1;
}

bool
drv_domain_obj_is_persistent(const DrvDomainObj *obj)
{
    return obj->def != NULL;
}

const DomainDef *
drv_domain_obj_current_def(const DrvDomainObj *obj)
{
    return obj->live ? obj->live : obj->def;
}

const DomainDef *
drv_domain_obj_current_def_checked(const DrvDomainObj *obj, GError **error)
{
    const DomainDef *def = drv_domain_obj_current_def(obj);

    if (def)
        return def;
    if (obj->removed)
        g_set_error(error, DRV_ERROR, DRV_ERROR_NO_DOMAIN,
                    "no domain with matching name '%s'", obj->name);
    else
        g_set_error(error, DRV_ERROR, DRV_ERROR_OPERATION_INVALID,
                    "domain '%s' is being started", obj->name);
    return NULL;
}

void
drv_domain_obj_set_state(DrvDomainObj *obj, DrvDomainState state, int reason)
{
    obj->state = state;
    obj->reason = reason;
}

void
drv_domain_set_error_not_running(GError **error)
{
    g_set_error_literal(error, DRV_ERROR, DRV_ERROR_OPERATION_INVALID,
                        "domain is not running");
}

void
drv_domain_set_error_running(GError **error)
{
    g_set_error_literal(error, DRV_ERROR, DRV_ERROR_OPERATION_INVALID,
                        "domain is already running");
}
