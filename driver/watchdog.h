/* SPDX-License-Identifier: Apache-2.0 */
/* A guest's watchdog expiring: libvirt's WATCHDOG event and the actions nimbusd carries out. */
#pragma once

#include "driver/driver.h"

/* virDomainEventWatchdogAction (libvirt's values). */
typedef enum {
    DRV_WATCHDOG_EVENT_NONE = 0,
    DRV_WATCHDOG_EVENT_PAUSE = 1,
    DRV_WATCHDOG_EVENT_RESET = 2,
    DRV_WATCHDOG_EVENT_POWEROFF = 3,
    DRV_WATCHDOG_EVENT_SHUTDOWN = 4,
} DrvWatchdogEventAction;

/* What nimbusd still has to do after the VMM's guest/watchdog event. */
typedef enum {
    DRV_WATCHDOG_FOLLOW_NONE,       /* the VMM acted (or nothing to do) */
    DRV_WATCHDOG_FOLLOW_PAUSE,
    DRV_WATCHDOG_FOLLOW_SHUTDOWN,
} DrvWatchdogFollowUp;

/* The VMM reported an expiry (obj locked): emits the WATCHDOG event with
 * the <watchdog action> and says what is left for a background task. */
DrvWatchdogFollowUp drv_watchdog_expired(DrvDriver *driver, DrvDomainObj *obj);
/* The follow-up (obj locked, job held, run @generation current): pauses
 * the domain (PAUSED/WATCHDOG) or presses its power button. */
void drv_watchdog_follow_up(DrvDriver *driver, DrvDomainObj *obj,
                            DrvWatchdogFollowUp what, unsigned int generation);
