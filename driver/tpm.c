/* SPDX-License-Identifier: Apache-2.0 */
/* The swtpm nimbusd runs for a domain's <tpm>: its state directory, start and stop. */
#include <config.h>

#include <errno.h>
#include <string.h>
#include <unistd.h>
#include <gio/gio.h>

#include "driver/conf.h"
#include "driver/drv-error.h"
#include "driver/helper-proc.h"
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

void
drv_tpm_release(DrvDriver *driver, const char *name)
{
    g_autofree char *sock = tpm_run_path(driver, name, ".swtpm.sock");
    g_autofree char *pidfile = tpm_run_path(driver, name, ".swtpm.pid");
    GPid pid = drv_helper_pid_read(pidfile, "swtpm");

    /* SIGTERM: swtpm writes its state out and exits. */
    drv_helper_stop(pid, "swtpm", name);
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
        const char *wait[] = { sock, pidfile, NULL };
        const DrvHelperSpawn spawn = {
            .what = "swtpm", .domain = name, .argv = argv,
            .wait_paths = wait, .log = log, .log_own = true,
            .timeout_ms = TPM_SOCKET_WAIT_MS,
        };

        if (!drv_helper_spawn(&spawn, error))
            return false;
    }
    domain_def_tpm_set_socket(def, sock);
    return true;
}
