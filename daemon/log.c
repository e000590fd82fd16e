/* SPDX-License-Identifier: Apache-2.0 */
/* Logging for nimbus: CH's line format, -v levels, --log-file. */
#include <config.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <gio/gio.h>

#include "daemon/log.h"

static struct {
    FILE *out;
    int verbosity;
    gint64 start_us;
    GMutex lock;
} nlog;

static int
log_level_rank(GLogLevelFlags level)
{
    if (level & (G_LOG_LEVEL_ERROR | G_LOG_LEVEL_CRITICAL | G_LOG_LEVEL_WARNING))
        return 0;
    if (level & (G_LOG_LEVEL_MESSAGE | G_LOG_LEVEL_INFO))
        return 1;
    return 2;
}

static const char *
log_level_name(GLogLevelFlags level)
{
    if (level & (G_LOG_LEVEL_ERROR | G_LOG_LEVEL_CRITICAL))
        return "ERROR";
    if (level & G_LOG_LEVEL_WARNING)
        return "WARN";
    if (level & (G_LOG_LEVEL_MESSAGE | G_LOG_LEVEL_INFO))
        return "INFO";
    return "DEBUG";
}

static GLogWriterOutput
nimbus_log_writer(GLogLevelFlags level, const GLogField *fields, gsize n,
                  gpointer unused)
{
    const char *msg = "", *domain = "", *file = NULL, *line = NULL;
    char thread[16] = "";
    gint64 us;

    if (log_level_rank(level) > nlog.verbosity)
        return G_LOG_WRITER_HANDLED;
    for (gsize i = 0; i < n; i++) {
        if (g_str_equal(fields[i].key, "MESSAGE"))
            msg = fields[i].value;
        else if (g_str_equal(fields[i].key, "GLIB_DOMAIN"))
            domain = fields[i].value;
        else if (g_str_equal(fields[i].key, "CODE_FILE"))
            file = fields[i].value;
        else if (g_str_equal(fields[i].key, "CODE_LINE"))
            line = fields[i].value;
    }
    prctl(PR_GET_NAME, thread, 0, 0, 0);
    us = g_get_monotonic_time() - nlog.start_us;
    g_mutex_lock(&nlog.lock);
    /* CH: "cloud-hypervisor: {boottime}s: <{thread}> {level}:{location} -- {msg}" */
    fprintf(nlog.out, "nimbus: %" G_GINT64_FORMAT ".%06" G_GINT64_FORMAT
            "s: <%s> %s:%s%s%s -- %s\n", us / G_USEC_PER_SEC, us % G_USEC_PER_SEC,
            thread, log_level_name(level), file ? file : domain,
            line ? ":" : "", line ? line : "", msg);
    fflush(nlog.out);
    g_mutex_unlock(&nlog.lock);
    return G_LOG_WRITER_HANDLED;
}

bool
nimbus_log_init(const char *path, int verbosity, GError **error)
{
    nlog.start_us = g_get_monotonic_time();
    nlog.verbosity = verbosity;
    nlog.out = stderr;
    g_mutex_init(&nlog.lock);
    if (path) {
        FILE *f = fopen(path, "ae");

        if (!f) {
            int e = errno;
            g_set_error(error, G_IO_ERROR, g_io_error_from_errno(e),
                        "--log-file: cannot open '%s': %s", path, g_strerror(e));
            return false;
        }
        setvbuf(f, NULL, _IOLBF, 0);
        nlog.out = f;
    }
    g_log_set_writer_func(nimbus_log_writer, NULL, NULL);
    return true;
}
