/* SPDX-License-Identifier: Apache-2.0 */
/* The watchdogs' clock: a ready-time GSource on the control context (watchdog-timer.h). */
#include <config.h>

#include "devices/watchdog-timer.h"

typedef struct {
    GSource source;
    WatchdogTimerFunc func;       /* immutable */
    gpointer opaque;              /* immutable */
} WatchdogSource;

struct WatchdogTimer {
    GSource *source;              /* immutable; its ready time: any thread */
};

static gboolean
watchdog_source_dispatch(GSource *source, GSourceFunc unused, gpointer data)
{
    WatchdogSource *ws = (WatchdogSource *)source;

    /* Disarm before the callback, which re-arms under the device's lock
     * with whatever deadline is current. */
    g_source_set_ready_time(source, -1);
    ws->func(ws->opaque);
    return G_SOURCE_CONTINUE;
}

static GSourceFuncs watchdog_source_funcs = {
    .dispatch = watchdog_source_dispatch,
};

WatchdogTimer *
watchdog_timer_new(GMainContext *context, const char *name,
                   WatchdogTimerFunc func, gpointer opaque)
{
    WatchdogTimer *t = g_new0(WatchdogTimer, 1);
    WatchdogSource *ws;

    t->source = g_source_new(&watchdog_source_funcs, sizeof(WatchdogSource));
    ws = (WatchdogSource *)t->source;
    ws->func = func;
    ws->opaque = opaque;
    g_source_set_name(t->source, name);
    g_source_set_ready_time(t->source, -1);
    g_source_attach(t->source, context);
    return t;
}

void
watchdog_timer_arm(WatchdogTimer *timer, int64_t deadline_us)
{
    /* GLib takes the context's lock and wakes its loop when the ready
     * time changes from another thread. */
    g_source_set_ready_time(timer->source, deadline_us < 0 ? -1
                                                           : deadline_us);
}

void
watchdog_timer_free(WatchdogTimer *timer)
{
    if (!timer)
        return;
    g_source_destroy(timer->source);
    g_source_unref(timer->source);
    g_free(timer);
}
