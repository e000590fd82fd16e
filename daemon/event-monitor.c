/* SPDX-License-Identifier: Apache-2.0 */
/* The event monitor: Cloud Hypervisor's JSON event stream (--event-monitor) and its subscribers. */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>
#include <gio/gio.h>
#include <json-glib/json-glib.h>

#include "common/fd-util.h"
#include "common/thread-role.h"
#include "daemon/event-monitor.h"

typedef struct {
    guint id;
    EventMonitorFunc func;
    gpointer opaque;
} Subscriber;

/*
 * One monitor per process (CH has one per VMM).  @queue carries formatted
 * events (char *) to the writer thread; a NULL-length sentinel string stops
 * it.  @lock protects @subscribers and @fd against the writer thread.
 */
static struct {
    GMutex lock;
    GAsyncQueue *queue;
    GThread *thread;
    gint64 start_us;          /* monotonic time the monitor was created */
    int fd;                   /* -1: no stream, subscribers only */
    GArray *subscribers;      /* Subscriber */
    guint next_id;
} em = { .fd = -1 };

static const char em_stop[] = "";

static void
em_init_once(void)
{
    static gsize once;

    if (g_once_init_enter(&once)) {
        g_mutex_init(&em.lock);
        em.queue = g_async_queue_new();
        em.subscribers = g_array_new(FALSE, FALSE, sizeof(Subscriber));
        em.start_us = g_get_monotonic_time();
        g_once_init_leave(&once, 1);
    }
}

/* JSON string literal with escapes (json-glib does the escaping). */
static char *
em_quote(const char *s)
{
    g_autoptr(JsonNode) n = json_node_new(JSON_NODE_VALUE);

    json_node_set_string(n, s);
    return json_to_string(n, FALSE);
}

char *
event_monitor_format(gint64 secs, gint32 nanos, const char *source,
                     const char *event, const char *const *properties)
{
    GString *s = g_string_new(NULL);
    g_autofree char *qsource = em_quote(source);
    g_autofree char *qevent = em_quote(event);

    /* serde_json's pretty printer, which CH uses: two-space indent and
     * "key": value. */
    g_string_append_printf(s, "{\n  \"timestamp\": {\n    \"secs\": %" G_GINT64_FORMAT
                           ",\n    \"nanos\": %d\n  },\n  \"source\": %s,\n"
                           "  \"event\": %s,\n  \"properties\": ",
                           secs, nanos, qsource, qevent);
    if (!properties || !properties[0]) {
        g_string_append(s, "null");
    } else {
        g_string_append(s, "{");
        for (unsigned i = 0; properties[i] && properties[i + 1]; i += 2) {
            g_autofree char *k = em_quote(properties[i]);
            g_autofree char *v = em_quote(properties[i + 1]);

            g_string_append_printf(s, "%s\n    %s: %s", i ? "," : "", k, v);
        }
        g_string_append(s, "\n  }");
    }
    g_string_append(s, "\n}");
    return g_string_free(s, FALSE);
}

static gpointer
em_thread(gpointer unused)
{
    for (;;) {
        g_autofree char *json = g_async_queue_pop(em.queue);
        g_autofree char *record = NULL;

        if (json[0] == '\0') {
            json = NULL;   /* the sentinel is static */
            break;
        }
        record = g_strconcat(json, "\n\n", NULL);
        g_mutex_lock(&em.lock);
        if (em.fd >= 0) {
            int r = fd_write_all(em.fd, record, strlen(record));

            if (r < 0) {
                g_warning("event monitor: write failed (%s); stream closed",
                          g_strerror(-r));
                close(em.fd);
                em.fd = -1;
            }
        }
        for (guint i = 0; i < em.subscribers->len; i++) {
            Subscriber *sub = &g_array_index(em.subscribers, Subscriber, i);
            sub->func(json, sub->opaque);
        }
        g_mutex_unlock(&em.lock);
    }
    return NULL;
}

static bool
em_start_thread(GError **error)
{
    if (!em.thread)
        em.thread = thread_role_new(THREAD_ROLE_EVENT_MONITOR, "event-monitor",
                                    em_thread, NULL, error);
    return em.thread != NULL;
}

bool
event_monitor_open(const char *path, int fd, GError **error)
{
    em_init_once();
    if (path) {
        fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
        if (fd < 0) {
            int e = errno;
            g_set_error(error, G_IO_ERROR, g_io_error_from_errno(e),
                        "--event-monitor: cannot open '%s': %s", path,
                        g_strerror(e));
            return false;
        }
    } else if (fcntl(fd, F_GETFD) < 0) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                    "--event-monitor: fd=%d is not an open file descriptor", fd);
        return false;
    } else {
        fd_set_cloexec(fd, true);
    }
    /* CH sets the stream non-blocking; fd_write_all() waits for room
     * instead of dropping, on the monitor thread only. */
    fd_set_nonblock(fd, true);
    g_mutex_lock(&em.lock);
    if (em.fd >= 0)
        close(em.fd);
    em.fd = fd;
    g_mutex_unlock(&em.lock);
    return em_start_thread(error);
}

void
event_monitor_emit(const char *source, const char *event,
                   const char *const *properties)
{
    g_autoptr(GError) err = NULL;
    gint64 us;

    em_init_once();
    us = g_get_monotonic_time() - em.start_us;
    g_async_queue_push(em.queue,
                       event_monitor_format(us / G_USEC_PER_SEC,
                                            (gint32)(us % G_USEC_PER_SEC) * 1000,
                                            source, event, properties));
    g_debug("event %s/%s", source, event);
    if (!em_start_thread(&err))
        g_warning("event monitor: %s", err->message);
}

guint
event_monitor_subscribe(EventMonitorFunc func, gpointer opaque)
{
    Subscriber sub = { .func = func, .opaque = opaque };

    em_init_once();
    g_mutex_lock(&em.lock);
    sub.id = ++em.next_id;
    g_array_append_val(em.subscribers, sub);
    g_mutex_unlock(&em.lock);
    return sub.id;
}

void
event_monitor_unsubscribe(guint id)
{
    em_init_once();
    g_mutex_lock(&em.lock);
    for (guint i = 0; i < em.subscribers->len; i++) {
        if (g_array_index(em.subscribers, Subscriber, i).id == id) {
            g_array_remove_index(em.subscribers, i);
            break;
        }
    }
    g_mutex_unlock(&em.lock);
}

void
event_monitor_close(void)
{
    em_init_once();
    if (!em.thread)
        return;
    g_async_queue_push(em.queue, (gpointer)em_stop);
    g_thread_join(g_steal_pointer(&em.thread));
    g_mutex_lock(&em.lock);
    if (em.fd >= 0) {
        close(em.fd);
        em.fd = -1;
    }
    g_mutex_unlock(&em.lock);
}
