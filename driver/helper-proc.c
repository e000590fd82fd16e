/* SPDX-License-Identifier: Apache-2.0 */
/* Helper daemons nimbusd runs beside a domain's nimbus (swtpm, virtiofsd): start, find, stop. */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <gio/gio.h>

#include "driver/drv-error.h"
#include "driver/helper-proc.h"

/* TASK_COMM_LEN (16) less the terminating NUL. */
#define HELPER_COMM_MAX 15
#define HELPER_STOP_WAIT_MS 5000

/* Reaps @pid if it is our child, else waits for it to go. */
static bool
helper_wait_gone(GPid pid, int timeout_ms)
{
    gint64 deadline = g_get_monotonic_time() +
                      (gint64)timeout_ms * G_TIME_SPAN_MILLISECOND;

    do {
        pid_t r = waitpid(pid, NULL, WNOHANG);

        if (r == pid || (r < 0 && kill(pid, 0) < 0 && errno == ESRCH))
            return true;
        g_usleep(20 * 1000);
    } while (g_get_monotonic_time() < deadline);
    return false;
}

void
drv_helper_stop(GPid pid, const char *what, const char *domain)
{
    if (pid <= 0)
        return;
    /* SIGTERM: swtpm writes its state out, virtiofsd ends its sandboxed
     * child (which dies with its parent, PR_SET_PDEATHSIG). */
    kill(pid, SIGTERM);
    if (!helper_wait_gone(pid, HELPER_STOP_WAIT_MS)) {
        g_warning("domain '%s': %s pid %d ignored SIGTERM, killing it",
                  domain, what, (int)pid);
        kill(pid, SIGKILL);
        helper_wait_gone(pid, HELPER_STOP_WAIT_MS);
    }
}

GPid
drv_helper_pid_read(const char *pidfile, const char *program)
{
    g_autofree char *text = NULL;
    g_autofree char *comm_path = NULL;
    g_autofree char *comm = NULL;
    g_autofree char *want = NULL;
    g_auto(GStrv) lines = NULL;
    guint64 pid = 0;

    if (!g_file_get_contents(pidfile, &text, NULL, NULL))
        return 0;
    lines = g_strsplit(text, "\n", 3);
    if (!lines[0] ||
        !g_ascii_string_to_unsigned(g_strstrip(lines[0]), 10, 1, G_MAXINT32,
                                    &pid, NULL))
        return 0;
    if (!program && (!lines[1] || !*(program = g_strstrip(lines[1]))))
        return 0;
    want = g_path_get_basename(program);
    if (strlen(want) > HELPER_COMM_MAX)
        want[HELPER_COMM_MAX] = '\0';
    /* A pid reused by another program is left alone.  A helper that
     * exited by itself stays a zombie of ours, comm intact, until
     * drv_helper_stop() reaps it. */
    comm_path = g_strdup_printf("/proc/%d/comm", (int)pid);
    if (!g_file_get_contents(comm_path, &comm, NULL, NULL) ||
        strcmp(g_strstrip(comm), want) != 0)
        return 0;
    return (GPid)pid;
}

/* The last line of @log (transfer full), "" when there is none. */
static char *
helper_log_last_line(const char *log)
{
    g_autofree char *text = NULL;
    char *nl;

    if (!log || !g_file_get_contents(log, &text, NULL, NULL))
        return g_strdup("");
    g_strchomp(text);
    nl = strrchr(text, '\n');
    return g_strdup(nl ? nl + 1 : text);
}

static bool
helper_paths_exist(const char *const *paths)
{
    for (; *paths; paths++) {
        if (!g_file_test(*paths, G_FILE_TEST_EXISTS))
            return false;
    }
    return true;
}

static void
helper_unlink_all(const DrvHelperSpawn *spawn)
{
    for (const char *const *p = spawn->wait_paths; *p; p++)
        unlink(*p);
    if (spawn->pidfile)
        unlink(spawn->pidfile);
}

bool
drv_helper_spawn(const DrvHelperSpawn *spawn, GError **error)
{
    g_autofree char *pid_text = NULL;
    int log_fd = -1;
    gint64 deadline;
    GPid pid = 0;
    bool ok;

    if (spawn->log && !spawn->log_own &&
        (log_fd = open(spawn->log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC,
                       0600)) < 0) {
        g_set_error(error, DRV_ERROR, DRV_ERROR_SYSTEM_ERROR,
                    "cannot open %s log '%s': %s", spawn->what, spawn->log,
                    g_strerror(errno));
        return false;
    }
    /* Not reaped by GLib: drv_helper_stop() reaps it, so that its pid
     * stays ours (a zombie at worst) until then. */
    ok = g_spawn_async_with_fds(NULL, (char **)spawn->argv, NULL,
                                G_SPAWN_DO_NOT_REAP_CHILD |
                                G_SPAWN_STDIN_FROM_DEV_NULL |
                                (log_fd < 0 ? G_SPAWN_STDOUT_TO_DEV_NULL |
                                              G_SPAWN_STDERR_TO_DEV_NULL : 0),
                                NULL, NULL, &pid, -1, log_fd, log_fd, error);
    if (log_fd >= 0)
        close(log_fd);
    if (!ok) {
        g_prefix_error(error, "cannot start %s for domain '%s': ",
                       spawn->what, spawn->domain);
        return false;
    }
    pid_text = g_strdup_printf("%d\n%s\n", (int)pid, spawn->argv[0]);
    if (spawn->pidfile &&
        !g_file_set_contents(spawn->pidfile, pid_text, -1, error)) {
        g_prefix_error(error, "%s for domain '%s': ", spawn->what,
                       spawn->domain);
        drv_helper_stop(pid, spawn->what, spawn->domain);
        helper_unlink_all(spawn);
        return false;
    }
    deadline = g_get_monotonic_time() +
               (gint64)spawn->timeout_ms * G_TIME_SPAN_MILLISECOND;
    while (!helper_paths_exist(spawn->wait_paths)) {
        bool exited = waitpid(pid, NULL, WNOHANG) == pid;

        if (exited || g_get_monotonic_time() >= deadline) {
            g_autofree char *last = helper_log_last_line(spawn->log);

            g_set_error(error, DRV_ERROR, DRV_ERROR_OPERATION_FAILED,
                        "%s for domain '%s' did not start%s%s (log: %s)",
                        spawn->what, spawn->domain, *last ? ": " : "", last,
                        spawn->log ? spawn->log : "none");
            /* Reaped already when it exited: its pid is no longer ours. */
            if (!exited) {
                kill(pid, SIGKILL);
                helper_wait_gone(pid, HELPER_STOP_WAIT_MS);
            }
            helper_unlink_all(spawn);
            return false;
        }
        g_usleep(20 * 1000);
    }
    return true;
}
