/* SPDX-License-Identifier: Apache-2.0 */
/* The swtpm nimbusd runs for a domain's <tpm>: its state directory, start and stop. */
#include <config.h>

#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <gio/gio.h>

#include "driver/conf.h"
#include "driver/drv-error.h"
#include "driver/tpm.h"

/*
 * One swtpm per running domain, as libvirt's qemu driver does: started
 * as nimbusd's own user (which runs nimbus too), its state (EK, seeds, NV,
 * PCRs when it stops) in <config_dir>/swtpm/<name>/ beside the domain's
 * definition, its control socket, pid file and log in the state
 * directory.  The pid file, not nimbusd's memory, says which process to
 * stop: a nimbusd restarted while the domain ran still stops it.
 * Undefining the domain removes the state directory unless the caller
 * keeps it (virsh undefine --keep-tpm; driver.c).
 */

/* swtpm creates its socket at once; a slow host gets some slack. */
#define TPM_SOCKET_WAIT_MS 10000
#define TPM_STOP_WAIT_MS 5000

char *
drv_tpm_state_dir(DrvDriver *driver, const char *name)
{
    return g_build_filename(driver->config->config_dir, "swtpm", name, NULL);
}

static char *
tpm_run_path(DrvDriver *driver, const char *name, const char *suffix)
{
    return drv_config_state_path(driver->config, name, suffix);
}

/* The pid in @name's pid file if that process is a swtpm; 0 otherwise. */
static GPid
tpm_running_pid(DrvDriver *driver, const char *name)
{
    g_autofree char *pidfile = tpm_run_path(driver, name, ".swtpm.pid");
    g_autofree char *text = NULL;
    g_autofree char *comm_path = NULL;
    g_autofree char *comm = NULL;
    guint64 pid = 0;

    if (!g_file_get_contents(pidfile, &text, NULL, NULL) ||
        !g_ascii_string_to_unsigned(g_strstrip(text), 10, 1, G_MAXINT32,
                                    &pid, NULL))
        return 0;
    /* A pid reused by another program is left alone. */
    comm_path = g_strdup_printf("/proc/%d/comm", (int)pid);
    if (!g_file_get_contents(comm_path, &comm, NULL, NULL) ||
        strcmp(g_strstrip(comm), "swtpm") != 0)
        return 0;
    return (GPid)pid;
}

/* Reaps @pid if it is our child, else waits for it to go. */
static bool
tpm_wait_gone(GPid pid, int timeout_ms)
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
drv_tpm_release(DrvDriver *driver, const char *name)
{
    g_autofree char *sock = tpm_run_path(driver, name, ".swtpm.sock");
    g_autofree char *pidfile = tpm_run_path(driver, name, ".swtpm.pid");
    GPid pid = tpm_running_pid(driver, name);

    if (pid > 0) {
        /* SIGTERM: swtpm writes its state out and exits. */
        kill(pid, SIGTERM);
        if (!tpm_wait_gone(pid, TPM_STOP_WAIT_MS)) {
            g_warning("domain '%s': swtpm pid %d ignored SIGTERM, killing it",
                      name, (int)pid);
            kill(pid, SIGKILL);
            tpm_wait_gone(pid, TPM_STOP_WAIT_MS);
        }
    }
    unlink(sock);
    unlink(pidfile);
}

bool
drv_tpm_prepare(DrvDriver *driver, const char *name, DomainDef *def,
                GError **error)
{
    g_autofree char *swtpm = NULL;
    g_autofree char *state = NULL;
    g_autofree char *sock = NULL;
    g_autofree char *pidfile = NULL;
    g_autofree char *log = NULL;
    g_autofree char *state_arg = NULL;
    g_autofree char *ctrl_arg = NULL;
    g_autofree char *pid_arg = NULL;
    g_autofree char *log_arg = NULL;
    gint64 deadline;
    GPid pid = 0;

    if (!domain_def_has_tpm(def))
        return true;
    if (!(swtpm = g_find_program_in_path("swtpm"))) {
        g_set_error_literal(error, DRV_ERROR, DRV_ERROR_CONFIG_UNSUPPORTED,
                            "<tpm> needs swtpm, which is not installed "
                            "(Debian: apt install swtpm)");
        return false;
    }
    state = drv_tpm_state_dir(driver, name);
    sock = tpm_run_path(driver, name, ".swtpm.sock");
    pidfile = tpm_run_path(driver, name, ".swtpm.pid");
    log = tpm_run_path(driver, name, ".swtpm.log");
    if (g_mkdir_with_parents(state, 0700) < 0) {
        g_set_error(error, DRV_ERROR, DRV_ERROR_SYSTEM_ERROR,
                    "cannot create TPM state directory '%s': %s", state,
                    g_strerror(errno));
        return false;
    }
    /* A swtpm left by a crashed run would hold the state: stop it. */
    drv_tpm_release(driver, name);
    state_arg = g_strdup_printf("dir=%s,mode=0600", state);
    ctrl_arg = g_strdup_printf("type=unixio,path=%s,mode=0600", sock);
    pid_arg = g_strdup_printf("file=%s", pidfile);
    log_arg = g_strdup_printf("file=%s", log);
    {
        const char *argv[] = { swtpm, "socket", "--tpm2",
                               "--tpmstate", state_arg, "--ctrl", ctrl_arg,
                               "--pid", pid_arg, "--log", log_arg, NULL };

        if (!g_spawn_async(NULL, (char **)argv, NULL,
                           G_SPAWN_DO_NOT_REAP_CHILD |
                           G_SPAWN_STDIN_FROM_DEV_NULL |
                           G_SPAWN_STDOUT_TO_DEV_NULL |
                           G_SPAWN_STDERR_TO_DEV_NULL,
                           NULL, NULL, &pid, error)) {
            g_prefix_error(error, "cannot start swtpm for '%s': ", name);
            return false;
        }
    }
    deadline = g_get_monotonic_time() +
               TPM_SOCKET_WAIT_MS * G_TIME_SPAN_MILLISECOND;
    while (!g_file_test(sock, G_FILE_TEST_EXISTS) ||
           !g_file_test(pidfile, G_FILE_TEST_EXISTS)) {
        if (waitpid(pid, NULL, WNOHANG) == pid ||
            g_get_monotonic_time() >= deadline) {
            g_set_error(error, DRV_ERROR, DRV_ERROR_OPERATION_FAILED,
                        "swtpm for domain '%s' did not start (log: %s)",
                        name, log);
            kill(pid, SIGKILL);
            tpm_wait_gone(pid, TPM_STOP_WAIT_MS);
            unlink(sock);
            unlink(pidfile);
            return false;
        }
        g_usleep(20 * 1000);
    }
    domain_def_tpm_set_socket(def, sock);
    return true;
}
