/* SPDX-License-Identifier: Apache-2.0 */
/* A one-shot deadline on the control thread that any thread may (re)arm: the watchdogs' clock. */
#pragma once

#include <stdint.h>
#include <glib.h>

/*
 * A watchdog is petted on a vCPU or worker thread and bites on a clock.
 * The clock is a GSource on the VM's control context with a ready time:
 * arming it from another thread only takes the context's lock and wakes
 * the loop (futex, eventfd write), which every thread role may do, so no
 * role needs a timer syscall of its own and nothing polls.
 */
typedef struct WatchdogTimer WatchdogTimer;

/* Called on the control thread when the deadline passed.  The timer is
 * disarmed first; the callback re-arms it if it still has time to wait
 * (a pet may have moved the deadline while the loop woke up). */
typedef void (*WatchdogTimerFunc)(gpointer opaque);

/* A disarmed timer attached to @context (transfer full). */
WatchdogTimer *watchdog_timer_new(GMainContext *context, const char *name,
                                  WatchdogTimerFunc func, gpointer opaque);
/* Fires at @deadline_us (g_get_monotonic_time() clock), or never when it
 * is -1.  Any thread. */
void watchdog_timer_arm(WatchdogTimer *timer, int64_t deadline_us);
/* Control thread; NULL is accepted. */
void watchdog_timer_free(WatchdogTimer *timer);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(WatchdogTimer, watchdog_timer_free)
