/* SPDX-License-Identifier: Apache-2.0 */
/* <serial>/<console> <log file>: nimbusd copies a pty's output to a file. */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <termios.h>
#include <unistd.h>
#include <glib-unix.h>

#include "common/fd-util.h"
#include "driver/console-log.h"
#include "driver/drv-error.h"

struct DrvConsoleLog {
    gint ref;                   /* atomic */
    char *file;                 /* immutable */
    int pty_fd;                 /* immutable until freed */
    int log_fd;                 /* immutable until freed */
    GSource *source;            /* main context; NULL once ended */
    bool write_failed;          /* main context: warned once */
    DrvConsoleLogSink sink;     /* main context */
    gpointer sink_opaque;
};

DrvConsoleLog *
drv_console_log_ref(DrvConsoleLog *log)
{
    g_atomic_int_inc(&log->ref);
    return log;
}

void
drv_console_log_unref(DrvConsoleLog *log)
{
    if (!log || !g_atomic_int_dec_and_test(&log->ref))
        return;
    /* The source holds a reference: it is gone by now. */
    if (log->pty_fd >= 0)
        fd_close(log->pty_fd);
    if (log->log_fd >= 0)
        fd_close(log->log_fd);
    g_free(log->file);
    g_free(log);
}

/* Main context: no more reading; the sink learns it. */
static void
drv_console_log_end(DrvConsoleLog *log)
{
    DrvConsoleLogSink sink = log->sink;
    gpointer opaque = log->sink_opaque;

    if (log->source) {
        g_source_destroy(log->source);
        g_clear_pointer(&log->source, g_source_unref);
    }
    log->sink = NULL;
    log->sink_opaque = NULL;
    if (sink)
        sink(NULL, 0, opaque);
}

static void
drv_console_log_write(DrvConsoleLog *log, const char *buf, size_t len)
{
    while (len > 0) {
        ssize_t n = write(log->log_fd, buf, len);

        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            /* A full disk must not stop the console: warn once, drop. */
            if (!log->write_failed)
                g_warning("console log '%s': %s: output dropped", log->file,
                          n < 0 ? g_strerror(errno) : "short write");
            log->write_failed = true;
            return;
        }
        buf += n;
        len -= (size_t)n;
    }
}

static gboolean
drv_console_log_readable(gint fd, GIOCondition cond G_GNUC_UNUSED,
                         gpointer data)
{
    DrvConsoleLog *log = data;
    char buf[65536];
    ssize_t n = read(fd, buf, sizeof(buf));

    if (n < 0 && (errno == EAGAIN || errno == EINTR))
        return G_SOURCE_CONTINUE;
    if (n <= 0) {
        /* EIO (or 0) once nimbus, the master side, is gone. */
        drv_console_log_end(log);
        return G_SOURCE_REMOVE;
    }
    drv_console_log_write(log, buf, (size_t)n);
    if (log->sink)
        log->sink(buf, (size_t)n, log->sink_opaque);
    return G_SOURCE_CONTINUE;
}

DrvConsoleLog *
drv_console_log_start(const char *pty_path, const char *file, bool append,
                      GError **error)
{
    g_autoptr(DrvConsoleLog) log = g_new0(DrvConsoleLog, 1);
    struct termios tio;

    log->ref = 1;
    log->file = g_strdup(file);
    log->pty_fd = -1;
    log->log_fd = open(file, O_WRONLY | O_CREAT | O_CLOEXEC | O_NOCTTY |
                                 (append ? O_APPEND : O_TRUNC), 0600);
    if (log->log_fd < 0) {
        g_set_error(error, DRV_ERROR, DRV_ERROR_OPERATION_FAILED,
                    "cannot open console log file '%s': %s", file,
                    g_strerror(errno));
        return NULL;
    }
    log->pty_fd = open(pty_path, O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
    if (log->pty_fd < 0) {
        g_set_error(error, DRV_ERROR, DRV_ERROR_OPERATION_FAILED,
                    "cannot open console pty '%s' for its log: %s", pty_path,
                    g_strerror(errno));
        return NULL;
    }
    /* Raw, as the console stream opens it: the guest's bytes unchanged. */
    if (tcgetattr(log->pty_fd, &tio) == 0) {
        cfmakeraw(&tio);
        tcsetattr(log->pty_fd, TCSANOW, &tio);
    }
    log->source = g_unix_fd_source_new(log->pty_fd,
                                       G_IO_IN | G_IO_HUP | G_IO_ERR);
    g_source_set_callback(log->source, G_SOURCE_FUNC(drv_console_log_readable),
                          drv_console_log_ref(log),
                          (GDestroyNotify)drv_console_log_unref);
    g_source_attach(log->source, NULL);
    return g_steal_pointer(&log);
}

static gboolean
drv_console_log_stop_cb(gpointer data)
{
    drv_console_log_end(data);
    return G_SOURCE_REMOVE;
}

void
drv_console_log_stop(DrvConsoleLog *log)
{
    if (!log)
        return;
    /* The source and the sink belong to the main context. */
    g_main_context_invoke_full(NULL, G_PRIORITY_DEFAULT,
                               drv_console_log_stop_cb, log,
                               (GDestroyNotify)drv_console_log_unref);
}

bool
drv_console_log_attach(DrvConsoleLog *log, DrvConsoleLogSink sink,
                       gpointer opaque)
{
    if (!log->source)
        return false;
    log->sink = sink;
    log->sink_opaque = opaque;
    return true;
}

void
drv_console_log_detach(DrvConsoleLog *log, gpointer opaque)
{
    if (log->sink_opaque != opaque)
        return;
    log->sink = NULL;
    log->sink_opaque = NULL;
}
