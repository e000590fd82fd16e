/* SPDX-License-Identifier: Apache-2.0 */
/* A guest's watchdog expiring: libvirt's WATCHDOG event and the pause/shutdown actions. */
#include <config.h>

#include "driver/monitor.h"
#include "driver/process.h"
#include "driver/watchdog.h"

/*
 * nimbus's watchdog device resets or powers off the VM itself, or only
 * reports (its action none); either way its "guest"/"watchdog" event
 * reaches nimbusd, which tells libvirt clients (VIR_DOMAIN_EVENT_ID_
 * WATCHDOG with the <watchdog action>).  pause and shutdown are nimbusd's
 * to do, as libvirt's qemu driver leaves them to QEMU's runstate: the VMM
 * was configured with action none for them (driver/xml/watchdog.c).
 */

static DrvWatchdogEventAction
event_action(int action)
{
    switch (action) {
    case DOMAIN_WATCHDOG_ACTION_RESET:
        return DRV_WATCHDOG_EVENT_RESET;
    case DOMAIN_WATCHDOG_ACTION_SHUTDOWN:
        return DRV_WATCHDOG_EVENT_SHUTDOWN;
    case DOMAIN_WATCHDOG_ACTION_POWEROFF:
        return DRV_WATCHDOG_EVENT_POWEROFF;
    case DOMAIN_WATCHDOG_ACTION_PAUSE:
        return DRV_WATCHDOG_EVENT_PAUSE;
    default:
        return DRV_WATCHDOG_EVENT_NONE;
    }
}

DrvWatchdogFollowUp
drv_watchdog_expired(DrvDriver *driver, DrvDomainObj *obj)
{
    int action = obj->live ? domain_def_watchdog_action(obj->live) : -1;
    DrvDomainEvent ev = {
        .event_id = DRV_EVENT_ID_WATCHDOG,
        .name = obj->name,
        .uuid = obj->uuid,
        .id = obj->id,
        .watchdog_action = event_action(action),
    };

    g_message("domain '%s': the guest's watchdog expired (action %s)",
              obj->name, action >= 0 ? domain_watchdog_action_to_string(action)
                                     : "of the VMM");
    if (driver->event_func)
        driver->event_func(&ev, driver->event_data);
    if (action == DOMAIN_WATCHDOG_ACTION_PAUSE)
        return DRV_WATCHDOG_FOLLOW_PAUSE;
    if (action == DOMAIN_WATCHDOG_ACTION_SHUTDOWN)
        return DRV_WATCHDOG_FOLLOW_SHUTDOWN;
    return DRV_WATCHDOG_FOLLOW_NONE;
}

void
drv_watchdog_follow_up(DrvDriver *driver, DrvDomainObj *obj,
                       DrvWatchdogFollowUp what, unsigned int generation)
{
    g_autofree char *sock = g_strdup(obj->proc->api_socket);
    g_autoptr(GError) error = NULL;
    bool pause = what == DRV_WATCHDOG_FOLLOW_PAUSE;
    bool ok;

    if (what == DRV_WATCHDOG_FOLLOW_NONE ||
        (pause && obj->state != DRV_STATE_RUNNING))
        return;
    /* The job keeps everyone else away while the call runs unlocked. */
    drv_domain_obj_unlock(obj);
    ok = drv_monitor_put(sock, pause ? "vm.pause" : "vm.power-button", NULL,
                         &error);
    drv_domain_obj_lock(obj);
    if (!ok) {
        g_warning("domain '%s': watchdog action %s: %s", obj->name,
                  pause ? "pause" : "shutdown", error->message);
        return;
    }
    if (!obj->proc || obj->proc->generation != generation || !pause)
        return;
    drv_domain_obj_set_state(obj, DRV_STATE_PAUSED, DRV_PAUSED_WATCHDOG);
    drv_domain_event_emit(driver, obj, DRV_EVENT_SUSPENDED,
                          DRV_EVENT_SUSPENDED_WATCHDOG);
    drv_process_save_state(driver, obj);
}
