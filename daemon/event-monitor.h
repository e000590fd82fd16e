/* SPDX-License-Identifier: Apache-2.0 */
/* The event monitor: Cloud Hypervisor's JSON event stream (--event-monitor) and its subscribers. */
#pragma once

#include <stdbool.h>
#include <glib.h>

/**
 * event_monitor_open:
 * Starts writing events to @path (created/truncated) or, when @path is NULL,
 * to the inherited descriptor @fd (set non-blocking, as CH does).  Events
 * emitted before this call are not kept.  Control thread.
 */
bool event_monitor_open(const char *path, int fd, GError **error);

/**
 * event_monitor_emit:
 * Queues one event: @properties is NULL or a NULL-terminated list of
 * key, value strings.  Any thread; never blocks on the consumer.  The
 * "event-monitor" thread writes it (pretty JSON + blank line, CH's format)
 * and hands it to every subscriber.
 */
void event_monitor_emit(const char *source, const char *event,
                        const char *const *properties);

/* Formats one event as CH does (exposed for tests). */
char *event_monitor_format(gint64 secs, gint32 nanos, const char *source,
                           const char *event, const char *const *properties);

/* Called on the event-monitor thread with the event JSON (no trailing
 * blank line); the D-Bus API forwards it as its Event signal. */
typedef void (*EventMonitorFunc)(const char *json, gpointer opaque);
guint event_monitor_subscribe(EventMonitorFunc func, gpointer opaque);
void event_monitor_unsubscribe(guint id);

/* Writes every queued event, then stops the thread (process exit). */
void event_monitor_close(void);
