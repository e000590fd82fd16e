/* SPDX-License-Identifier: Apache-2.0 */
/* nimbus: entry point (CLI -> VmConfig -> Vmm, API servers, main loop). */
#include <config.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <glib-unix.h>
#include <gio/gio.h>

#include "daemon/api.h"
#include "daemon/cli.h"
#include "daemon/device-manager.h"
#include "daemon/event-monitor.h"
#include "daemon/log.h"
#include "daemon/seccomp.h"
#include "daemon/snapshot.h"
#include "daemon/vmm.h"
#include "devices/registry.h"

static gboolean
on_terminate(gpointer data)
{
    Vmm *vmm = data;

    g_info("terminating on signal");
    vmm_shutdown(vmm);
    return G_SOURCE_REMOVE;
}

static void
restore_terminal_at_exit(void)
{
    device_manager_restore_terminal();
}

int
main(int argc, char **argv)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(Vmm) vmm = NULL;
    g_autoptr(ApiHttp) http = NULL;
    g_autoptr(ApiDbus) dbus = NULL;
    NimbusCli cli;
    VmmOptions options = { 0 };
    SeccompMode seccomp;
    int status;

    /* libvirt and CH tooling find the VMM thread by this name. */
    prctl(PR_SET_NAME, "vmm", 0, 0, 0);
    /* A client that goes away must not kill the VMM. */
    signal(SIGPIPE, SIG_IGN);
    atexit(restore_terminal_at_exit);
    /* Device types with a config kind: before any config is parsed. */
    device_registry_init();

    if (!nimbus_cli_parse(argc, argv, &cli, &error)) {
        fprintf(stderr, "nimbus: %s\n", error->message);
        return 1;
    }
    if (cli.help) {
        g_autofree char *help = nimbus_cli_help();
        fputs(help, stdout);
        nimbus_cli_free(&cli);
        return 0;
    }
    if (cli.version) {
        g_autofree char *v = nimbus_cli_version();
        printf("%s\n", v);
        nimbus_cli_free(&cli);
        return 0;
    }
    if (!nimbus_log_init(cli.log_file, cli.verbosity, &error))
        goto fail;
    /* Before any other thread starts: each starts under its role's filter
     * (docs/seccomp.md). */
    if (!seccomp_mode_parse(cli.seccomp, &seccomp, &error) ||
        !seccomp_setup(seccomp, &error))
        goto fail;
    if ((cli.event_monitor_path || cli.event_monitor_fd >= 0) &&
        !event_monitor_open(cli.event_monitor_path, cli.event_monitor_fd, &error))
        goto fail;

    options.no_shutdown = cli.no_shutdown;
    vmm = vmm_new(&options, NULL);
    g_unix_signal_add(SIGTERM, on_terminate, vmm);
    g_unix_signal_add(SIGINT, on_terminate, vmm);

    if (cli.api_socket_path || cli.api_socket_fd >= 0) {
        http = api_http_new(vmm, NULL, cli.api_socket_path, cli.api_socket_fd,
                            &error);
        if (!http)
            goto fail;
    }
    if (cli.dbus_service_name || cli.dbus_object_path) {
        dbus = api_dbus_new(vmm, NULL, cli.dbus_service_name,
                            cli.dbus_object_path, cli.dbus_system_bus, &error);
        if (!dbus)
            goto fail;
    }
    /* With a payload on the command line: create and boot now (CH). */
    if (cli.restore) {
        if (!vmm_vm_restore(vmm, cli.restore, cli.restore->cli_fds, &error))
            goto fail;
    } else if (cli.vm) {
        if (!vmm_vm_create(vmm, g_steal_pointer(&cli.vm), &error) ||
            !vmm_vm_boot(vmm, &error))
            goto fail;
    }
    status = vmm_run(vmm);
    g_clear_pointer(&http, api_http_free);
    g_clear_pointer(&dbus, api_dbus_free);
    g_clear_pointer(&vmm, vmm_free);
    event_monitor_close();
    device_manager_restore_terminal();
    nimbus_cli_free(&cli);
    return status;

 fail:
    fprintf(stderr, "nimbus: %s\n", error->message);
    g_clear_pointer(&http, api_http_free);
    g_clear_pointer(&dbus, api_dbus_free);
    g_clear_pointer(&vmm, vmm_free);
    event_monitor_close();
    device_manager_restore_terminal();
    nimbus_cli_free(&cli);
    return 1;
}
