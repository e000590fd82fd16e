/* SPDX-License-Identifier: Apache-2.0 */
/* Domain lifecycle entry points: start, shutdown, reboot, destroy, pause, info. */
#include <config.h>

#include <string.h>

#include "driver/driver.h"
#include "driver/monitor.h"
#include "driver/process.h"
#include "driver/save.h"
#include "driver/util.h"

/*
 * Each entry point follows libvirt's sequence: check flags, lock the
 * domain, begin the job, check the state, talk to nimbus with the lock
 * dropped (the job keeps others out), relock, record the new state, emit
 * the event, end the job.
 */

bool
drv_domain_create(DrvDriver *driver, DrvDomainObj *obj, unsigned int flags,
                  GError **error)
{
    bool ok = false;
    bool restored = false;

    /* BYPASS_CACHE and FORCE_BOOT are about a managed save image
     * (drv_managed_save_start). */
    if (!drv_check_flags(flags, DRV_DOMAIN_START_PAUSED |
                         DRV_DOMAIN_START_BYPASS_CACHE |
                         DRV_DOMAIN_START_FORCE_BOOT,
                         "virDomainCreateWithFlags", error))
        return false;
    drv_domain_obj_lock(obj);
    if (!drv_domain_job_begin(obj, "start", error))
        goto cleanup;
    if (drv_domain_obj_is_active(obj))
        drv_domain_set_error_running(error);
    else if (!obj->def)
        g_set_error_literal(error, DRV_ERROR, DRV_ERROR_OPERATION_INVALID,
                            "domain has no persistent definition");
    else if (drv_managed_save_start(driver, obj, flags, &restored, error))
        ok = restored ||
             drv_process_start(driver, obj, domain_def_copy(obj->def),
                               flags & DRV_DOMAIN_START_PAUSED, error);
    drv_domain_job_end(obj);
 cleanup:
    drv_domain_obj_unlock(obj);
    return ok;
}

DrvDomainObj *
drv_domain_create_xml(DrvDriver *driver, const char *xml, unsigned int flags,
                      GError **error)
{
    g_autoptr(DomainDef) def = NULL;
    DrvDomainObj *obj;
    bool created = false;
    bool ok = false;

    if (!drv_check_flags(flags, DRV_DOMAIN_START_PAUSED | DRV_DOMAIN_START_VALIDATE,
                         "virDomainCreateXML", error))
        return NULL;
    def = domain_def_parse_string(xml, (flags & DRV_DOMAIN_START_VALIDATE) ?
                                  DOMAIN_DEF_PARSE_VALIDATE : 0, error);
    /* The name was checked by domain_def_validate() (domain_name_check),
     * the same rule as for define. */
    if (!def)
        return NULL;
    obj = drv_domain_list_claim(driver->domains, def, &created, error);
    if (!obj)
        return NULL;
    if (!drv_domain_job_begin(obj, "start", error))
        goto cleanup;
    /* An inactive persistent domain may be started with other XML: that
     * XML is the live definition, the persistent one stays. */
    if (drv_domain_obj_is_active(obj))
        g_set_error(error, DRV_ERROR, DRV_ERROR_OPERATION_INVALID,
                    "domain '%s' is already active", obj->name);
    else
        ok = drv_process_start(driver, obj, g_steal_pointer(&def),
                               flags & DRV_DOMAIN_START_PAUSED, error);
    if (!ok && created)
        drv_domain_list_remove_locked(driver->domains, obj);
    drv_domain_job_end(obj);
 cleanup:
    drv_domain_obj_unlock(obj);
    if (!ok)
        g_clear_pointer(&obj, drv_domain_obj_unref);
    return obj;
}

char *
drv_domain_begin_running(DrvDomainObj *obj, const char *job, GError **error)
{
    if (!drv_domain_job_begin(obj, job, error))
        return NULL;
    if (!drv_domain_obj_is_active(obj) || !obj->proc) {
        drv_domain_set_error_not_running(error);
        drv_domain_job_end(obj);
        return NULL;
    }
    return g_strdup(obj->proc->api_socket);
}

/* PUT @endpoint on a running domain's nimbus under a job. */
static bool
drv_domain_simple_call(DrvDomainObj *obj, const char *job, const char *endpoint,
                       GError **error)
{
    g_autofree char *sock = NULL;
    bool ok;

    drv_domain_obj_lock(obj);
    sock = drv_domain_begin_running(obj, job, error);
    if (!sock) {
        drv_domain_obj_unlock(obj);
        return false;
    }
    drv_domain_obj_unlock(obj);
    ok = drv_monitor_put(sock, endpoint, NULL, error);
    drv_domain_obj_lock(obj);
    drv_domain_job_end(obj);
    drv_domain_obj_unlock(obj);
    return ok;
}

bool
drv_domain_shutdown(DrvDriver *driver, DrvDomainObj *obj, unsigned int flags,
                    GError **error)
{
    g_autofree char *sock = NULL;
    bool ok;

    /* The ACPI power button is the one mode nimbus offers (no guest agent,
     * initctl or paravirt channel); it is also what "default" means. */
    if (flags & ~DRV_DOMAIN_SHUTDOWN_ACPI_POWER_BTN) {
        g_set_error(error, DRV_ERROR, DRV_ERROR_ARGUMENT_UNSUPPORTED,
                    "shutdown mode 0x%x is not supported, only the ACPI power button",
                    flags);
        return false;
    }
    drv_domain_obj_lock(obj);
    sock = drv_domain_begin_running(obj, "shutdown", error);
    if (!sock) {
        drv_domain_obj_unlock(obj);
        return false;
    }
    /* Remembered so that the guest's power-off counts as host-initiated. */
    obj->proc->shutdown_requested = true;
    drv_process_save_state(driver, obj);
    drv_domain_obj_unlock(obj);
    ok = drv_monitor_put(sock, "vm.power-button", NULL, error);
    drv_domain_obj_lock(obj);
    drv_domain_job_end(obj);
    drv_domain_obj_unlock(obj);
    return ok;
}

bool
drv_domain_reboot(DrvDriver *driver, DrvDomainObj *obj, unsigned int flags,
                  GError **error)
{
    if (flags) {
        g_set_error(error, DRV_ERROR, DRV_ERROR_ARGUMENT_UNSUPPORTED,
                    "reboot mode 0x%x is not supported, only the default (reset by nimbus)",
                    flags);
        return false;
    }
    return drv_domain_simple_call(obj, "reboot", "vm.reboot", error);
}

bool
drv_domain_destroy(DrvDriver *driver, DrvDomainObj *obj, unsigned int flags,
                   GError **error)
{
    bool ok = false;

    if (!drv_check_flags(flags, DRV_DOMAIN_DESTROY_GRACEFUL,
                         "virDomainDestroyFlags", error))
        return false;
    drv_domain_obj_lock(obj);
    if (!drv_domain_job_begin(obj, "destroy", error))
        goto cleanup;
    if (!drv_domain_obj_is_active(obj) || !obj->proc) {
        drv_domain_set_error_not_running(error);
    } else if (drv_process_kill(driver, obj, flags & DRV_DOMAIN_DESTROY_GRACEFUL,
                                error)) {
        drv_process_stop(driver, obj, DRV_SHUTOFF_DESTROYED);
        ok = true;
    }
    drv_domain_job_end(obj);
 cleanup:
    drv_domain_obj_unlock(obj);
    return ok;
}

bool
drv_domain_suspend(DrvDriver *driver, DrvDomainObj *obj, GError **error)
{
    g_autofree char *sock = NULL;
    bool ok = true;

    drv_domain_obj_lock(obj);
    sock = drv_domain_begin_running(obj, "suspend", error);
    if (!sock) {
        drv_domain_obj_unlock(obj);
        return false;
    }
    /* Pausing a paused domain succeeds without a call, as in libvirt. */
    if (obj->state != DRV_STATE_PAUSED) {
        drv_domain_obj_unlock(obj);
        ok = drv_monitor_put(sock, "vm.pause", NULL, error);
        drv_domain_obj_lock(obj);
        if (ok && obj->proc) {
            drv_domain_obj_set_state(obj, DRV_STATE_PAUSED, DRV_PAUSED_USER);
            drv_domain_event_emit(driver, obj, DRV_EVENT_SUSPENDED,
                                  DRV_EVENT_SUSPENDED_PAUSED);
            drv_process_save_state(driver, obj);
        }
    }
    drv_domain_job_end(obj);
    drv_domain_obj_unlock(obj);
    return ok;
}

bool
drv_domain_resume(DrvDriver *driver, DrvDomainObj *obj, GError **error)
{
    g_autofree char *sock = NULL;
    bool ok = true;

    drv_domain_obj_lock(obj);
    sock = drv_domain_begin_running(obj, "resume", error);
    if (!sock) {
        drv_domain_obj_unlock(obj);
        return false;
    }
    if (obj->state == DRV_STATE_PAUSED) {
        drv_domain_obj_unlock(obj);
        ok = drv_monitor_put(sock, "vm.resume", NULL, error);
        drv_domain_obj_lock(obj);
        if (ok && obj->proc) {
            drv_domain_obj_set_state(obj, DRV_STATE_RUNNING, DRV_RUNNING_UNPAUSED);
            drv_domain_event_emit(driver, obj, DRV_EVENT_RESUMED,
                                  DRV_EVENT_RESUMED_UNPAUSED);
            drv_process_save_state(driver, obj);
        }
    }
    drv_domain_job_end(obj);
    drv_domain_obj_unlock(obj);
    return ok;
}

bool
drv_domain_get_info(DrvDriver *driver, DrvDomainObj *obj, DrvDomainInfo *info,
                    GError **error)
{
    const DomainDef *def;
    bool ok = true;

    memset(info, 0, sizeof(*info));
    drv_domain_obj_lock(obj);
    def = drv_domain_obj_current_def_checked(obj, error);
    if (!def) {
        ok = false;
    } else {
        info->state = obj->state;
        info->max_mem_kib = def->max_memory_kib;
        info->memory_kib = def->current_memory_kib;
        info->nr_vcpus = def->vcpus;
        /* CPU time of all nimbus threads (vCPUs, I/O, API). */
        if (obj->proc)
            drv_proc_stat(obj->proc->pid, NULL, &info->cpu_time_ns);
    }
    drv_domain_obj_unlock(obj);
    return ok;
}

char *
drv_domain_console_path(DrvDriver *driver, DrvDomainObj *obj,
                        const char *dev_name, DrvConsoleLog **log,
                        GError **error)
{
    DrvConsoleLog *copier;
    const DomainDef *def;
    char *path = NULL;
    bool want_console = false;

    *log = NULL;
    drv_domain_obj_lock(obj);
    if (!drv_domain_obj_is_active(obj) || !obj->live) {
        drv_domain_set_error_not_running(error);
        goto cleanup;
    }
    def = obj->live;
    /* A device is named by the alias the running XML shows it with;
     * "serial0" and "console0" always name the two ptys nimbus has. */
    if (dev_name) {
        DomainChrAlias found = domain_def_chr_alias_find(def, dev_name);

        if (found == DOMAIN_CHR_ALIAS_NONE && g_str_equal(dev_name, "serial0"))
            found = DOMAIN_CHR_ALIAS_SERIAL;
        if (found == DOMAIN_CHR_ALIAS_NONE && g_str_equal(dev_name, "console0"))
            found = DOMAIN_CHR_ALIAS_CONSOLE;
        if (found == DOMAIN_CHR_ALIAS_NONE) {
            g_set_error(error, DRV_ERROR, DRV_ERROR_INTERNAL_ERROR,
                        "cannot find character device %s", dev_name);
            goto cleanup;
        }
        want_console = found == DOMAIN_CHR_ALIAS_CONSOLE;
    }
    /* No device named: the serial port, else the <console>, as virsh
     * console expects the first console-capable device. */
    if (!dev_name && def->serial_type == DOMAIN_CHR_NONE)
        want_console = true;
    if (want_console ? def->console_type != DOMAIN_CHR_PTY || !def->console_path :
                       def->serial_type != DOMAIN_CHR_PTY || !def->serial_path) {
        g_set_error(error, DRV_ERROR, DRV_ERROR_OPERATION_FAILED,
                    "character device %s is not using a PTY",
                    dev_name ? dev_name : want_console ? "console0" : "serial0");
        goto cleanup;
    }
    path = g_strdup(want_console ? def->console_path : def->serial_path);
    copier = !obj->proc ? NULL :
             want_console ? obj->proc->console_log : obj->proc->serial_log;
    *log = copier ? drv_console_log_ref(copier) : NULL;
 cleanup:
    drv_domain_obj_unlock(obj);
    return path;
}
