/* SPDX-License-Identifier: Apache-2.0 */
/* nimbusd (also virtchd): the libvirt remote protocol server for nimbus VMs. */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>
#include <glib-unix.h>
#include <gio/gio.h>

#include "devices/registry.h"
#include "driver/compat.h"
#include "driver/dbus/dbus.h"
#include "driver/driver.h"
#include "driver/remote/remote.h"
#include "driver/rpc/server.h"

/* Worker threads answering calls (libvirtd's default is 20). */
#define NIMBUSD_WORKERS 16

typedef struct {
    char **listen;
    char **listen_ro;
    char *state_dir;
    char *config_dir;
    char *dbus;
    char *libvirtd_uri;
    char *start_libvirtd;
    char *config_file;
    int timeout;
    gboolean verbose;
    gboolean version;
    gboolean daemonize;
} NimbusdOptions;

/* Frees what GOption filled in (every return of main(), usage errors too). */
static void
nimbusd_options_clear(NimbusdOptions *opts)
{
    g_clear_pointer(&opts->listen, g_strfreev);
    g_clear_pointer(&opts->listen_ro, g_strfreev);
    g_clear_pointer(&opts->state_dir, g_free);
    g_clear_pointer(&opts->config_dir, g_free);
    g_clear_pointer(&opts->dbus, g_free);
    g_clear_pointer(&opts->libvirtd_uri, g_free);
    g_clear_pointer(&opts->start_libvirtd, g_free);
    g_clear_pointer(&opts->config_file, g_free);
}
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(NimbusdOptions, nimbusd_options_clear)

typedef struct {
    GMainLoop *loop;
    RpcServer *server;
    DrvDriver *driver;
    RemoteDaemon *remote;
    DbusService *dbus;      /* NULL: not on D-Bus */
    int timeout;
    int idle;               /* seconds without clients nor running domains */
} Nimbusd;

/* The driver has one event sink: it feeds both front ends. */
static void
nimbusd_event_emit(const DrvDomainEvent *event, gpointer data)
{
    Nimbusd *d = data;
    DbusService *dbus = g_atomic_pointer_get(&d->dbus);

    remote_event_emit(event, d->remote);
    if (dbus)
        dbus_service_emit_event(event, dbus);
}

/*
 * --dbus: the bus that serves org.libvirt (driver/dbus/).  "auto" is the
 * bus matching the default sockets, as for libvirt-dbus: the system bus
 * with ch:///system (root), the session bus with ch:///session; and none
 * when --listen picks private sockets, so that a test or second daemon
 * never takes org.libvirt from the real one.
 */
static bool
nimbusd_dbus_bus(const NimbusdOptions *opts, bool *on, GBusType *type,
                 GError **error)
{
    const char *v = opts->dbus ? opts->dbus : "auto";

    *on = true;
    if (g_str_equal(v, "auto")) {
        *on = !opts->listen && !opts->listen_ro;
        *type = geteuid() == 0 ? G_BUS_TYPE_SYSTEM : G_BUS_TYPE_SESSION;
    } else if (g_str_equal(v, "system")) {
        *type = G_BUS_TYPE_SYSTEM;
    } else if (g_str_equal(v, "session")) {
        *type = G_BUS_TYPE_SESSION;
    } else if (g_str_equal(v, "none")) {
        *on = false;
    } else {
        g_set_error(error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                    "--dbus takes auto, system, session or none, not '%s'", v);
        return false;
    }
    return true;
}

/*
 * --start-libvirtd: whether nimbusd starts the system libvirtd where
 * nothing has (driver/libvirtd-start.h).  "auto" is yes on the default
 * sockets and no with --listen, as for --dbus: a test or second daemon
 * never starts a system-wide one.
 */
static bool
nimbusd_start_libvirtd(const NimbusdOptions *opts, bool *on, GError **error)
{
    const char *v = opts->start_libvirtd ? opts->start_libvirtd : "auto";

    if (g_str_equal(v, "auto")) {
        *on = !opts->listen && !opts->listen_ro;
    } else if (g_str_equal(v, "yes") || g_str_equal(v, "no")) {
        *on = g_str_equal(v, "yes");
    } else {
        g_set_error(error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                    "--start-libvirtd takes auto, yes or no, not '%s'", v);
        return false;
    }
    return true;
}

/* A bus that cannot be reached costs the D-Bus service only: the RPC
 * sockets are what libvirt clients use, and they keep serving. */
static DbusService *
nimbusd_dbus_start(const NimbusdOptions *opts, DrvDriver *driver,
                   uint64_t hv_version)
{
    g_autoptr(GError) error = NULL;
    DbusService *svc;
    GBusType type = G_BUS_TYPE_NONE;
    bool on;

    if (!nimbusd_dbus_bus(opts, &on, &type, &error) || !on)
        return NULL;
    svc = dbus_service_new(driver, hv_version, type, &error);
    if (!svc)
        g_warning("D-Bus: not serving org.libvirt: %s", error->message);
    return svc;
}

static gboolean
nimbusd_quit(gpointer data)
{
    Nimbusd *d = data;

    g_message("shutting down; running domains keep running");
    g_main_loop_quit(d->loop);
    return G_SOURCE_REMOVE;
}

/* --timeout=N: like libvirt's daemons, exit after N idle seconds, so that
 * the client's session autostart (virtchd --timeout=120) does not leave a
 * daemon behind.  Idle = no client and no running domain. */
static gboolean
nimbusd_idle_tick(gpointer data)
{
    Nimbusd *d = data;

    if (rpc_server_n_clients(d->server) > 0 || drv_driver_has_active(d->driver)) {
        d->idle = 0;
        return G_SOURCE_CONTINUE;
    }
    if (++d->idle >= d->timeout) {
        g_message("idle for %d s: exiting", d->timeout);
        g_main_loop_quit(d->loop);
        return G_SOURCE_REMOVE;
    }
    return G_SOURCE_CONTINUE;
}

/* The sockets libvirt clients look for (reference §3). */
static bool
nimbusd_listen_default(RpcServer *server, GError **error)
{
    g_autofree char *dir = NULL;
    g_autofree char *rw = NULL;

    if (geteuid() == 0) {
        /* /run/libvirt is shared with other libvirt daemons: 0755. */
        if (g_mkdir_with_parents("/run/libvirt", 0755) < 0) {
            g_set_error(error, G_IO_ERROR, g_io_error_from_errno(errno),
                        "cannot create /run/libvirt: %s", g_strerror(errno));
            return false;
        }
        return rpc_server_listen_unix(server, "/run/libvirt/virtchd-sock", 0600,
                                      false, error) &&
               rpc_server_listen_unix(server, "/run/libvirt/virtchd-sock-ro", 0666,
                                      true, error);
    }
    /* ch:///session: $XDG_RUNTIME_DIR/libvirt/virtchd-sock, directory 0700. */
    dir = g_build_filename(g_get_user_runtime_dir(), "libvirt", NULL);
    if (!drv_config_make_dir(dir, error))
        return false;
    rw = g_build_filename(dir, "virtchd-sock", NULL);
    return rpc_server_listen_unix(server, rw, 0600, false, error);
}

/* qemu_compat: also where libvirt's client looks for qemu:///system (in
 * addition to the ch:/// sockets, whichever they are). */
static bool
nimbusd_listen_compat(RpcServer *server, GError **error)
{
    if (g_mkdir_with_parents("/run/libvirt", 0755) < 0) {
        g_set_error(error, G_IO_ERROR, g_io_error_from_errno(errno),
                    "cannot create /run/libvirt: %s", g_strerror(errno));
        return false;
    }
    if (!rpc_server_listen_unix(server, DRV_COMPAT_SOCK, 0600, false, error) ||
        !rpc_server_listen_unix(server, DRV_COMPAT_SOCK_RO, 0666, true, error))
        return false;
    g_message("qemu_compat: answering " DRV_COMPAT_URI " on %s",
              DRV_COMPAT_SOCK);
    return true;
}

static bool
nimbusd_listen(RpcServer *server, const NimbusdOptions *opts,
               const DrvConfig *cfg, GError **error)
{
    if (cfg->qemu_compat && !nimbusd_listen_compat(server, error))
        return false;
    if (!opts->listen && !opts->listen_ro)
        return nimbusd_listen_default(server, error);
    for (char **p = opts->listen; p && *p; p++) {
        if (!rpc_server_listen_unix(server, *p, 0600, false, error))
            return false;
    }
    for (char **p = opts->listen_ro; p && *p; p++) {
        if (!rpc_server_listen_unix(server, *p, 0666, true, error))
            return false;
    }
    return true;
}

/* --daemon: detach before any thread exists (fork keeps only the caller). */
static bool
nimbusd_daemonize(GError **error)
{
    pid_t pid = fork();
    int null;

    if (pid < 0) {
        g_set_error(error, G_IO_ERROR, g_io_error_from_errno(errno),
                    "fork failed: %s", g_strerror(errno));
        return false;
    }
    if (pid > 0)
        _exit(0);
    setsid();
    null = open("/dev/null", O_RDWR | O_CLOEXEC);
    if (null >= 0) {
        dup2(null, STDIN_FILENO);
        dup2(null, STDOUT_FILENO);
        dup2(null, STDERR_FILENO);
        if (null > STDERR_FILENO)
            close(null);
    }
    return true;
}

/* Up to this many fds, when the hard limit allows it. */
#define NIMBUSD_NOFILE_WANTED 65536

/* Each client is an fd, and the default soft limit (1024) would make
 * accept() fail with EMFILE before the client caps are reached, locking
 * out every socket at once, root's too.  libvirtd's unit raises it the
 * same way (LimitNOFILE); we may run without systemd. */
static void
nimbusd_raise_nofile(void)
{
    struct rlimit rl;

    if (getrlimit(RLIMIT_NOFILE, &rl) < 0)
        return;
    if (rl.rlim_cur >= NIMBUSD_NOFILE_WANTED || rl.rlim_cur >= rl.rlim_max)
        return;
    rl.rlim_cur = MIN(rl.rlim_max, (rlim_t)NIMBUSD_NOFILE_WANTED);
    if (setrlimit(RLIMIT_NOFILE, &rl) < 0)
        g_warning("cannot raise the open-files limit: %s", g_strerror(errno));
}

static int
nimbusd_run(const NimbusdOptions *opts)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(DrvConfig) config = NULL;
    g_autoptr(DbusService) dbus = NULL;
    g_autoptr(DrvDriver) driver = NULL;
    g_autoptr(RemoteDaemon) daemon = NULL;
    g_autoptr(RpcServer) server = NULL;
    g_autoptr(GMainLoop) loop = g_main_loop_new(NULL, FALSE);
    Nimbusd d = { .loop = loop, .timeout = opts->timeout };
    bool start_libvirtd = false;

    nimbusd_raise_nofile();
    config = drv_config_new(opts->config_dir, opts->state_dir, &error);
    if (config && !drv_config_load_file(config, opts->config_file, &error))
        g_clear_pointer(&config, drv_config_free);
    /* The command line wins over the file. */
    if (config && opts->libvirtd_uri) {
        g_free(config->libvirtd_uri);
        config->libvirtd_uri = g_strdup(opts->libvirtd_uri);
    }
    if (config && config->qemu_compat && !drv_compat_check(config, &error))
        g_clear_pointer(&config, drv_config_free);
    if (!config || !(driver = drv_driver_new(g_steal_pointer(&config), &error))) {
        g_printerr("nimbusd: %s\n", error->message);
        return 1;
    }
    if (nimbusd_start_libvirtd(opts, &start_libvirtd, NULL))
        drv_forward_set_may_start(driver->forward, start_libvirtd);
    if (!driver->config->nimbus_binary)
        g_warning("no nimbus binary found (NIMBUS_BINARY, next to nimbusd, PATH): domains cannot start");
    daemon = remote_daemon_new(driver);
    d.remote = daemon;
    drv_driver_set_event_func(driver, nimbusd_event_emit, &d);
    server = rpc_server_new(remote_program(), daemon, NIMBUSD_WORKERS, &error);
    if (!server) {
        g_printerr("nimbusd: %s\n", error->message);
        return 1;
    }
    daemon->server = server;
    /* Reconnect to running domains before clients can look at them. */
    if (!drv_driver_load(driver, &error) ||
        !nimbusd_listen(server, opts, driver->config, &error)) {
        g_printerr("nimbusd: %s\n", error->message);
        return 1;
    }
    d.server = server;
    d.driver = driver;
    /* After the load: no call finds a half-loaded driver.  Events only
     * reach d.dbus once it is set (the main thread sets it once). */
    dbus = nimbusd_dbus_start(opts, driver, daemon->hv_version);
    g_atomic_pointer_set(&d.dbus, dbus);
    g_unix_signal_add(SIGTERM, nimbusd_quit, &d);
    g_unix_signal_add(SIGINT, nimbusd_quit, &d);
    if (opts->timeout > 0)
        g_timeout_add_seconds(1, nimbusd_idle_tick, &d);
    g_message("nimbusd %s ready (config %s, state %s)", PACKAGE_VERSION,
              driver->config->config_dir, driver->config->state_dir);
    g_main_loop_run(loop);

    /* Clients go first (their calls may use the driver), then the driver,
     * which leaves every nimbus process running for the next daemon. */
    rpc_server_shutdown(server);
    /* Background tasks may still emit events through daemon and server:
     * the driver (which waits for them) goes before those two. */
    g_clear_pointer(&driver, drv_driver_free);
    g_clear_pointer(&dbus, dbus_service_free);
    return 0;
}

int
main(int argc, char **argv)
{
    g_auto(NimbusdOptions) opts = { 0 };
    const GOptionEntry entries[] = {
        { "listen", 'l', 0, G_OPTION_ARG_FILENAME_ARRAY, &opts.listen,
          "Listen on this UNIX socket (read-write, mode 0600) instead of the "
          "default ones; repeatable",
          "PATH" },
        { "listen-ro", 0, 0, G_OPTION_ARG_FILENAME_ARRAY, &opts.listen_ro,
          "Listen on this UNIX socket for read-only clients (mode 0666); repeatable",
          "PATH" },
        { "timeout", 't', 0, G_OPTION_ARG_INT, &opts.timeout,
          "Exit after SECONDS without clients or running domains", "SECONDS" },
        { "state-dir", 0, 0, G_OPTION_ARG_FILENAME, &opts.state_dir,
          "Runtime state: sockets, logs and state of running domains", "DIR" },
        { "config-dir", 0, 0, G_OPTION_ARG_FILENAME, &opts.config_dir,
          "Persistent domain definitions and autostart links", "DIR" },
        { "dbus", 0, 0, G_OPTION_ARG_STRING, &opts.dbus,
          "Serve org.libvirt (libvirt-dbus's API, /org/libvirt/CH) on this bus: "
          "auto (default: system for root, session otherwise, none with --listen), "
          "system, session or none",
          "BUS" },
        { "libvirtd-uri", 0, 0, G_OPTION_ARG_STRING, &opts.libvirtd_uri,
          "libvirtd whose network and storage drivers serve networks, pools "
          "and volumes (default: qemu:///system for root, qemu:///session "
          "otherwise)",
          "URI" },
        { "start-libvirtd", 0, 0, G_OPTION_ARG_STRING, &opts.start_libvirtd,
          "Start the system libvirtd when its socket is absent and systemd "
          "does not manage it: auto (default: yes on the default sockets, "
          "no with --listen), yes or no",
          "WHEN" },
        { "config-file", 0, 0, G_OPTION_ARG_FILENAME, &opts.config_file,
          "Settings (qemu_compat, libvirtd_uri; default "
          "/etc/nimbus/nimbusd.conf for root, "
          "$XDG_CONFIG_HOME/nimbus/nimbusd.conf otherwise)",
          "FILE" },
        { "daemon", 'd', 0, G_OPTION_ARG_NONE, &opts.daemonize,
          "Run in the background", NULL },
        { "verbose", 'v', 0, G_OPTION_ARG_NONE, &opts.verbose,
          "Log debug messages", NULL },
        { "version", 'V', 0, G_OPTION_ARG_NONE, &opts.version,
          "Print the version and exit", NULL },
        { NULL },
    };
    g_autoptr(GOptionContext) ctx =
        g_option_context_new("- libvirt-compatible management daemon for nimbus VMs");
    g_autoptr(GError) error = NULL;
    GBusType dbus_type;
    bool dbus_on;
    bool start_libvirtd = false;
    int rc;

    g_option_context_set_summary(ctx,
        "Serves the libvirt remote protocol, so that virsh, python3-libvirt and\n"
        "virt-manager manage nimbus VMs with ch:///system (root) or ch:///session,\n"
        "or ch+unix:///system?socket=PATH with --listen PATH.");
    g_option_context_add_main_entries(ctx, entries, NULL);
    /* Device types with a config kind, so that define validates them as
     * start will. */
    device_registry_init();
    if (!g_option_context_parse(ctx, &argc, &argv, &error)) {
        g_printerr("nimbusd: %s\n", error->message);
        return 2;
    }
    if (opts.version) {
        printf("nimbusd (nimbus) %s\n", PACKAGE_VERSION);
        return 0;
    }
    /* A bad --dbus is a usage error, before anything starts. */
    if (!nimbusd_dbus_bus(&opts, &dbus_on, &dbus_type, &error) ||
        !nimbusd_start_libvirtd(&opts, &start_libvirtd, &error)) {
        g_printerr("nimbusd: %s\n", error->message);
        return 2;
    }
    if (opts.timeout < 0) {
        g_printerr("nimbusd: --timeout must be positive\n");
        return 2;
    }
    g_log_set_debug_enabled(opts.verbose);
    /* Writes to clients that went away must fail with EPIPE, not kill us;
     * nimbus inherits the disposition, which suits it too. */
    signal(SIGPIPE, SIG_IGN);
    if (opts.daemonize && !nimbusd_daemonize(&error)) {
        g_printerr("nimbusd: %s\n", error->message);
        return 1;
    }
    rc = nimbusd_run(&opts);
    return rc;
}
