/* SPDX-License-Identifier: Apache-2.0 */
/* Helper daemons nimbusd runs beside a domain's nimbus (swtpm, virtiofsd): start, find, stop. */
#pragma once

#include <stdbool.h>
#include <glib.h>

/*
 * A helper is found again through its pid file, never through nimbusd's
 * memory, so that a nimbusd restarted while the domain ran still stops
 * it; the pid is trusted only while /proc/PID/comm names the helper's
 * program, so a pid reused by another program is left alone.
 */

/**
 * DrvHelperSpawn:
 * What drv_helper_spawn() runs and waits for.
 */
typedef struct {
    const char *what;           /* "swtpm", "virtiofsd": for messages */
    const char *domain;         /* the domain's name: for messages */
    const char *const *argv;    /* argv[0]: the program's absolute path */
    /* Paths the helper creates once it serves (NULL-terminated): its
     * socket, and its own pid file when it writes one. */
    const char *const *wait_paths;
    /* nimbusd writes the child's pid here, and argv[0] on the next line
     * (NULL: the helper writes its own pid file). */
    const char *pidfile;
    /* The helper's log: its stdout and stderr are appended to it, unless
     * it writes the file itself (@log_own); NULL: /dev/null. */
    const char *log;
    bool log_own;
    int timeout_ms;
} DrvHelperSpawn;

/**
 * drv_helper_spawn:
 * Runs @spawn->argv and waits until every wait path exists.  If the
 * helper exits first or the time runs out, it is killed, the wait paths
 * and pid file are removed, and the error names the helper, the domain,
 * the last line the helper logged and the log.
 */
bool drv_helper_spawn(const DrvHelperSpawn *spawn, GError **error);

/* The pid in @pidfile if that process runs @program (its comm is the
 * program's base name, which the kernel cuts to 15 bytes); 0 otherwise.
 * @program NULL: the one nimbusd recorded in the pid file. */
GPid drv_helper_pid_read(const char *pidfile, const char *program);

/**
 * drv_helper_stop:
 * SIGTERM to @pid, SIGKILL if it is still there after a grace period;
 * reaps it when it is nimbusd's child.  @what and @domain name it in the
 * warning about a helper that ignored SIGTERM.
 */
void drv_helper_stop(GPid pid, const char *what, const char *domain);
