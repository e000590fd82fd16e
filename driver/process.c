/* SPDX-License-Identifier: Apache-2.0 */
/* One nimbus process per running domain: spawn, stop, state file, reconnect. */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>
#include <gio/gio.h>
#include <json-glib/json-glib.h>

#include "common/fd-util.h"
#include "driver/image-chain.h"
#include "driver/monitor.h"
#include "driver/net-tap.h"
#include "driver/process.h"
#include "driver/tpm.h"
#include "driver/virtiofsd.h"
#include "driver/vcpu-pin.h"
#include "driver/vsock.h"
#include "driver/util.h"

/* The most nimbus may take to answer on its API socket.  The wait ends at
 * once when nimbus exits (its log tail then says why), so this bound only
 * catches a VMM that hangs alive: generous, because a nimbus started under
 * emulated KVM on a loaded host was seen taking over 15 s (the earlier
 * limit) for the ~30 ms of CPU its start-up needs natively (loading,
 * compiling its seccomp filters).  A worker thread waits, not the main
 * loop, and the domain's job keeps other calls on it out. */
#define DRV_PROCESS_API_TIMEOUT_MS 120000
/* SIGTERM, then SIGKILL after this long (libvirt's qemu driver waits 10 s). */
#define DRV_PROCESS_TERM_WAIT_S 10
#define DRV_PROCESS_KILL_WAIT_S 5

void
drv_process_free(DrvProcess *proc)
{
    if (!proc)
        return;
    /* Watches are gone by now (drv_process_unwatch); only memory is left. */
    g_assert(!proc->tail && !proc->exit_watch);
    if (proc->pidfd >= 0)
        fd_close(proc->pidfd);
    g_clear_pointer(&proc->serial_log, drv_console_log_stop);
    g_clear_pointer(&proc->console_log, drv_console_log_stop);
    g_free(proc->api_socket);
    g_free(proc->events_path);
    g_free(proc->state_path);
    g_free(proc->log_path);
    g_free(proc);
}

bool
drv_process_console_logs_start(DrvProcess *proc, const DomainDef *def,
                               bool append, GError **error)
{
    if (def->serial_log && def->serial_type == DOMAIN_CHR_PTY &&
        def->serial_path && !proc->serial_log &&
        !(proc->serial_log = drv_console_log_start(
              def->serial_path, def->serial_log,
              append || def->serial_log_append, error)))
        return false;
    if (def->console_log && def->console_type == DOMAIN_CHR_PTY &&
        def->console_path && !proc->console_log &&
        !(proc->console_log = drv_console_log_start(
              def->console_path, def->console_log,
              append || def->console_log_append, error)))
        return false;
    return true;
}

/* Removes what a run leaves in the state dir once its nimbus is gone: the
 * API socket and the lock file nimbus keeps next to it (it never removes
 * that one itself: see daemon/api-http.c), the event stream, the state
 * file.  The log stays. */
static void
drv_process_remove_files(const DrvProcess *proc)
{
    g_autofree char *lock = g_strconcat(proc->api_socket, ".lock", NULL);

    unlink(proc->api_socket);
    unlink(lock);
    unlink(proc->events_path);
    unlink(proc->state_path);
}

static DrvProcess *
drv_process_new(DrvDriver *driver, DrvDomainObj *obj)
{
    DrvProcess *proc = g_new0(DrvProcess, 1);

    proc->generation = ++obj->generation;
    proc->pidfd = -1;
    proc->api_socket = drv_config_state_path(driver->config, obj->name, ".sock");
    proc->events_path = drv_config_state_path(driver->config, obj->name, ".events");
    proc->state_path = drv_config_state_path(driver->config, obj->name, ".json");
    proc->log_path = drv_config_state_path(driver->config, obj->name, ".log");
    return proc;
}

/* ---- state file -------------------------------------------------------------- */

void
drv_process_save_state(DrvDriver *driver, DrvDomainObj *obj)
{
    DrvProcess *proc = obj->proc;
    g_autoptr(JsonBuilder) b = json_builder_new();
    g_autoptr(JsonGenerator) gen = json_generator_new();
    g_autoptr(JsonNode) root = NULL;
    g_autoptr(GError) error = NULL;
    g_autofree char *xml = NULL;
    g_autofree char *text = NULL;

    if (!proc || !obj->live)
        return;
    /* The live XML keeps what the persistent config may no longer say
     * (a redefine while running, a transient domain, pty paths). */
    xml = domain_def_format(obj->live, obj->id, 0, &error);
    if (!xml) {
        g_warning("domain '%s': cannot format the live XML for the state file: %s",
                  obj->name, error->message);
        return;
    }
    json_builder_begin_object(b);
    json_builder_set_member_name(b, "pid");
    json_builder_add_int_value(b, proc->pid);
    json_builder_set_member_name(b, "start_ticks");
    json_builder_add_int_value(b, (gint64)proc->start_ticks);
    json_builder_set_member_name(b, "id");
    json_builder_add_int_value(b, obj->id);
    json_builder_set_member_name(b, "state");
    json_builder_add_int_value(b, obj->state);
    json_builder_set_member_name(b, "reason");
    json_builder_add_int_value(b, obj->reason);
    json_builder_set_member_name(b, "shutdown_requested");
    json_builder_add_boolean_value(b, proc->shutdown_requested);
    json_builder_set_member_name(b, "xml");
    json_builder_add_string_value(b, xml);
    json_builder_end_object(b);
    root = json_builder_get_root(b);
    json_generator_set_root(gen, root);
    json_generator_set_pretty(gen, TRUE);
    text = json_generator_to_data(gen, NULL);
    /* temp file + fsync + rename: a crash leaves the old or the new file */
    if (!g_file_set_contents_full(proc->state_path, text, -1,
                                  G_FILE_SET_CONTENTS_CONSISTENT |
                                  G_FILE_SET_CONTENTS_DURABLE, 0600, &error))
        g_warning("domain '%s': cannot write the state file: %s", obj->name,
                  error->message);
}

/* ---- start ------------------------------------------------------------------- */

static void
drv_process_child_setup(gpointer data)
{
    /* A session of its own: signals for nimbusd's process group (Ctrl-C,
     * a service manager stopping the daemon) must not reach the VMs. */
    setsid();
}

static bool
drv_process_alive(gpointer data)
{
    DrvDomainObj *obj = data;
    bool alive;

    drv_domain_obj_lock(obj);
    alive = obj->proc && !obj->proc->exited;
    drv_domain_obj_unlock(obj);
    return alive;
}

/* The last lines nimbus wrote in this run, to make a start failure
 * self-explanatory (our own "starting up" header excluded). */
static char *
drv_process_log_tail(const char *path)
{
    g_autofree char *text = NULL;
    gsize len = 0;
    const char *start;
    const char *run;
    const char *nl;
    int lines = 0;

    if (!g_file_get_contents(path, &text, &len, NULL) || len == 0)
        return g_strdup("");
    run = g_strrstr(text, ": starting up: ");
    if (run && (nl = strchr(run, '\n'))) {
        memmove(text, nl + 1, len - (gsize)(nl + 1 - text) + 1);
        len = strlen(text);
    }
    if (len == 0)
        return g_strdup("");
    start = text + len;
    while (start > text && lines < 4) {
        start--;
        if (*start == '\n' && start != text + len - 1)
            lines++;
    }
    if (*start == '\n')
        start++;
    return g_strstrip(g_strdup(start));
}

/* Appends "<time>: <text>" to the domain's log (best effort: the log is a
 * diagnostic, its failure must not hide the error being logged). */
static void G_GNUC_PRINTF(2, 3)
drv_process_log_line(const char *path, const char *fmt, ...)
{
    g_autoptr(GDateTime) now = g_date_time_new_now_local();
    g_autofree char *stamp = g_date_time_format_iso8601(now);
    g_autofree char *text = NULL;
    g_autofree char *line = NULL;
    g_autofd_t fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
    va_list ap;

    if (fd < 0)
        return;
    va_start(ap, fmt);
    text = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    line = g_strdup_printf("%s: %s\n", stamp, text);
    fd_write_all(fd, line, strlen(line));
}

static int
drv_process_open_log(const char *path, const char *const *argv, GError **error)
{
    g_autoptr(GDateTime) now = g_date_time_new_now_local();
    g_autofree char *stamp = g_date_time_format_iso8601(now);
    g_autofree char *cmd = g_strjoinv(" ", (char **)argv);
    g_autofree char *line = g_strdup_printf("%s: starting up: %s\n", stamp, cmd);
    int fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);

    if (fd < 0) {
        g_set_error(error, G_IO_ERROR, g_io_error_from_errno(errno),
                    "cannot open log file '%s': %s", path, g_strerror(errno));
        return -1;
    }
    fd_write_all(fd, line, strlen(line));
    return fd;
}

/* Spawns nimbus for @proc; fills pid and start_ticks. */
static bool
drv_process_spawn(DrvDriver *driver, DrvProcess *proc, GError **error)
{
    g_autofree char *api_arg = g_strdup_printf("path=%s", proc->api_socket);
    const char *argv[] = {
        driver->config->nimbus_binary,
        "--api-socket", api_arg,
        /* fd 3 is an O_APPEND regular file, not a pipe: nimbus never
         * blocks or gets SIGPIPE on it, and a restarted nimbusd can
         * follow it again from where it is. */
        "--event-monitor", "fd=3",
        /* Explicit although it is nimbus's default: every domain runs
         * with the per-thread filters on (docs/seccomp.md). */
        "--seccomp", "true",
        NULL,
    };
    g_autofd_t log_fd = -1;
    g_autofd_t ev_fd = -1;
    int source_fds[1];
    int target_fds[1] = { 3 };
    GPid pid = 0;

    if (!driver->config->nimbus_binary) {
        g_set_error_literal(error, DRV_ERROR, DRV_ERROR_INTERNAL_ERROR,
                            "cannot find the nimbus binary (set NIMBUS_BINARY or install nimbus in PATH)");
        return false;
    }
    log_fd = drv_process_open_log(proc->log_path, argv, error);
    if (log_fd < 0)
        return false;
    ev_fd = open(proc->events_path,
                 O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0600);
    if (ev_fd < 0) {
        g_set_error(error, G_IO_ERROR, g_io_error_from_errno(errno),
                    "cannot create '%s': %s", proc->events_path, g_strerror(errno));
        return false;
    }
    source_fds[0] = ev_fd;
    unlink(proc->api_socket);   /* a stale socket of a crashed run */
    if (!g_spawn_async_with_pipes_and_fds(NULL, argv, NULL,
                                          G_SPAWN_DO_NOT_REAP_CHILD |
                                          G_SPAWN_STDIN_FROM_DEV_NULL,
                                          drv_process_child_setup, NULL,
                                          -1, log_fd, log_fd,
                                          source_fds, target_fds, 1,
                                          &pid, NULL, NULL, NULL, error))
        return false;
    proc->pid = pid;
    proc->is_child = true;
    drv_proc_stat(pid, &proc->start_ticks, NULL);
    return true;
}

/* vm.restore of @dir; the VM comes back paused unless it resumes. */
static bool
drv_process_restore(DrvProcess *proc, const char *dir, bool paused,
                    GError **error)
{
    g_autoptr(JsonBuilder) b = json_builder_new();
    g_autoptr(JsonGenerator) gen = json_generator_new();
    g_autoptr(JsonNode) root = NULL;
    g_autofree char *url = g_filename_to_uri(dir, NULL, error);
    g_autofree char *body = NULL;

    if (!url)
        return false;
    json_builder_begin_object(b);
    json_builder_set_member_name(b, "source_url");
    json_builder_add_string_value(b, url);
    /* Copy: the memory is read before vm.restore answers, so the caller
     * may remove the directory at once. */
    json_builder_set_member_name(b, "memory_restore_mode");
    json_builder_add_string_value(b, "Copy");
    json_builder_set_member_name(b, "resume");
    json_builder_add_boolean_value(b, !paused);
    json_builder_end_object(b);
    root = json_builder_get_root(b);
    json_generator_set_root(gen, root);
    body = json_generator_to_data(gen, NULL);
    return drv_monitor_put(proc->api_socket, "vm.restore", body, error);
}

/* vm.receive-migration on @url: answers once nimbus listens. */
static bool
drv_process_receive(DrvProcess *proc, const char *url, GError **error)
{
    g_autoptr(JsonBuilder) b = json_builder_new();
    g_autoptr(JsonGenerator) gen = json_generator_new();
    g_autoptr(JsonNode) root = NULL;
    g_autofree char *body = NULL;

    json_builder_begin_object(b);
    json_builder_set_member_name(b, "receiver_url");
    json_builder_add_string_value(b, url);
    json_builder_end_object(b);
    root = json_builder_get_root(b);
    json_generator_set_root(gen, root);
    body = json_generator_to_data(gen, NULL);
    return drv_monitor_put(proc->api_socket, "vm.receive-migration", body,
                           error);
}

/* The REST sequence that turns a fresh nimbus into a running VM, or (with
 * @incoming_url) into one waiting for a migration: no VM, and so no
 * vm.info, until the migration completes. */
static bool
drv_process_boot(DrvProcess *proc, DrvDomainObj *obj, const char *config_json,
                 const char *restore_dir, const char *incoming_url,
                 bool paused, JsonNode **info, GError **error)
{
    gint64 t0 = g_get_monotonic_time();

    if (!drv_monitor_wait_ready(proc->api_socket, DRV_PROCESS_API_TIMEOUT_MS,
                                drv_process_alive, obj, error))
        return false;
    /* How long the VMM took to come up: on a slow host this line is what
     * tells a slow start from a hung one. */
    drv_process_log_line(proc->log_path, "API answered after %.1f s",
                         (double)(g_get_monotonic_time() - t0) /
                             G_TIME_SPAN_SECOND);
    if (incoming_url)
        return drv_process_receive(proc, incoming_url, error);
    if (restore_dir) {
        if (!drv_process_restore(proc, restore_dir, paused, error))
            return false;
        *info = drv_monitor_get(proc->api_socket, "vm.info", error);
        return *info != NULL;
    }
    if (!drv_monitor_put(proc->api_socket, "vm.create", config_json, error) ||
        !drv_monitor_put(proc->api_socket, "vm.boot", NULL, error))
        return false;
    /* The REST API has no "create paused": Created -> Paused is not a
     * transition vm.pause accepts, so the guest boots and is paused right
     * away (its first instructions may run). */
    if (paused && !drv_monitor_put(proc->api_socket, "vm.pause", NULL, error))
        return false;
    *info = drv_monitor_get(proc->api_socket, "vm.info", error);
    return *info != NULL;
}

/* The run state and events of a fresh start, a restore or a revert (the
 * reasons and details libvirt's qemu driver reports for each). */
static void
drv_process_set_started(DrvDriver *driver, DrvDomainObj *obj, bool paused,
                        int started_detail)
{
    int running = DRV_RUNNING_BOOTED;
    int suspended = DRV_EVENT_SUSPENDED_PAUSED;
    int paused_reason = DRV_PAUSED_USER;

    if (started_detail == DRV_EVENT_STARTED_MIGRATED) {
        /* Waiting for the incoming migration, as libvirt's destination
         * domain: paused until the finish step resumes it. */
        drv_domain_obj_set_state(obj, DRV_STATE_PAUSED, DRV_PAUSED_MIGRATION);
        drv_domain_event_emit(driver, obj, DRV_EVENT_STARTED, started_detail);
        return;
    }
    if (started_detail == DRV_EVENT_STARTED_RESTORED) {
        running = DRV_RUNNING_RESTORED;
        suspended = DRV_EVENT_SUSPENDED_RESTORED;
    } else if (started_detail == DRV_EVENT_STARTED_FROM_SNAPSHOT) {
        running = DRV_RUNNING_FROM_SNAPSHOT;
        suspended = DRV_EVENT_SUSPENDED_FROM_SNAPSHOT;
        paused_reason = DRV_PAUSED_FROM_SNAPSHOT;
    }
    drv_domain_obj_set_state(obj, DRV_STATE_RUNNING, running);
    drv_domain_event_emit(driver, obj, DRV_EVENT_STARTED, started_detail);
    if (paused) {
        drv_domain_obj_set_state(obj, DRV_STATE_PAUSED, paused_reason);
        drv_domain_event_emit(driver, obj, DRV_EVENT_SUSPENDED, suspended);
    }
}

static bool
drv_process_start_common(DrvDriver *driver, DrvDomainObj *obj,
                         DomainDef *def_in, const char *restore_dir,
                         const char *incoming_url, bool paused,
                         int started_detail, GError **error)
{
    g_autoptr(DomainDef) def = def_in;
    g_autoptr(GPtrArray) taps = NULL;
    g_autofree char *config_json = NULL;
    g_autoptr(JsonNode) info = NULL;
    g_autoptr(GError) local = NULL;
    g_autofree char *serial = NULL;
    g_autofree char *console = NULL;
    struct sockaddr_un addr;
    DrvProcess *proc;
    bool ok;

    g_assert(obj->job && !obj->proc);
    /* Volumes are looked up at each start: libvirtd may have moved them.
     * TAPs of bridged interfaces come last, and go if anything fails. */
    taps = g_ptr_array_new_with_free_func(g_free);
    if (!domain_def_resolve_volumes(def, drv_forward_volume_resolver,
                                    driver->forward, error) ||
        !drv_domain_cputune_check_host(def, error) ||
        !domain_def_shmem_prepare(def, error) ||
        !domain_def_read_backing_chains(def, drv_image_chain_read, NULL,
                                        error) ||
        !domain_def_attach_nets(def, drv_tap_attach, driver, taps, error) ||
        !drv_vsock_prepare(driver, obj->name, def, error) ||
        !drv_tpm_prepare(driver, obj->name, def, error) ||
        !drv_virtiofsd_prepare(driver, obj->name, def, error) ||
        !(config_json = domain_def_to_vmconfig_json(def, error))) {
        drv_vsock_release(driver, obj->name);
        drv_tpm_release(driver, obj->name);
        drv_virtiofsd_release(driver, obj->name);
        drv_tap_delete_list(taps);
        return false;
    }
    proc = drv_process_new(driver, obj);
    if (strlen(proc->api_socket) >= sizeof(addr.sun_path)) {
        g_set_error(error, DRV_ERROR, DRV_ERROR_INTERNAL_ERROR,
                    "API socket path '%s' is too long for a UNIX socket: use a shorter state directory or domain name",
                    proc->api_socket);
        drv_process_free(proc);
        drv_tap_delete_list(taps);
        drv_tpm_release(driver, obj->name);
        drv_virtiofsd_release(driver, obj->name);
        return false;
    }
    if (!drv_process_spawn(driver, proc, error)) {
        drv_process_free(proc);
        drv_tap_delete_list(taps);
        drv_tpm_release(driver, obj->name);
        drv_virtiofsd_release(driver, obj->name);
        return false;
    }
    obj->proc = proc;
    if (!drv_process_watch_exit(driver, obj, &local) ||
        !drv_process_watch_events(driver, obj, 0, &local)) {
        ok = false;
    } else {
        g_debug("domain '%s': nimbus pid %d started", obj->name, (int)proc->pid);
        drv_domain_obj_unlock(obj);
        ok = drv_process_boot(proc, obj, config_json, restore_dir,
                              incoming_url, paused, &info, &local) &&
             drv_domain_cputune_apply_started(proc->pid, def, &local);
        drv_domain_obj_lock(obj);
    }
    if (ok) {
        /* An incoming domain learns its ptys when the migration is done. */
        serial = info ? drv_monitor_info_pty(info, "serial") : NULL;
        console = info ? drv_monitor_info_pty(info, "console") : NULL;
        if (def->serial_type == DOMAIN_CHR_PTY && serial)
            domain_def_set_serial_path(def, serial);
        if (def->console_type == DOMAIN_CHR_PTY && console)
            domain_def_set_console_path(def, console);
        /* As libvirt, a log file that cannot be written fails the start. */
        ok = drv_process_console_logs_start(proc, def, false, &local);
    }
    if (!ok) {
        g_autofree char *tail = drv_process_log_tail(proc->log_path);

        g_set_error(error, DRV_ERROR, DRV_ERROR_OPERATION_FAILED,
                    "cannot start domain '%s': %s%s%s (log: %s)", obj->name,
                    local->message, *tail ? ": " : "", tail, proc->log_path);
        /* The log tells the whole story, not only "starting up". */
        drv_process_log_line(proc->log_path, "start failed: %s",
                             local->message);
        g_clear_error(&local);
        if (!drv_process_kill(driver, obj, false, &local))
            g_warning("domain '%s': %s", obj->name, local->message);
        drv_process_unwatch(driver, obj);
        drv_process_remove_files(proc);
        obj->proc = NULL;
        drv_process_free(proc);
        drv_tap_delete_list(taps);
        drv_vsock_release(driver, obj->name);
        drv_tpm_release(driver, obj->name);
        drv_virtiofsd_release(driver, obj->name);
        return false;
    }

    obj->live = g_steal_pointer(&def);
    obj->id = drv_driver_next_id(driver);
    drv_process_set_started(driver, obj, paused, started_detail);
    drv_process_save_state(driver, obj);
    return true;
}

bool
drv_process_start(DrvDriver *driver, DrvDomainObj *obj, DomainDef *def,
                  bool paused, GError **error)
{
    return drv_process_start_common(driver, obj, def, NULL, NULL, paused,
                                    DRV_EVENT_STARTED_BOOTED, error);
}

bool
drv_process_start_incoming(DrvDriver *driver, DrvDomainObj *obj,
                           DomainDef *def, const char *url, GError **error)
{
    return drv_process_start_common(driver, obj, def, NULL, url, true,
                                    DRV_EVENT_STARTED_MIGRATED, error);
}

bool
drv_process_start_restore(DrvDriver *driver, DrvDomainObj *obj,
                          DomainDef *def, const char *snapshot_dir,
                          bool paused, int started_detail, GError **error)
{
    return drv_process_start_common(driver, obj, def, snapshot_dir, NULL,
                                    paused, started_detail, error);
}

/* ---- kill and stop --------------------------------------------------------- */

/* Waits (obj locked) until the process exited or @seconds passed. */
static bool
drv_process_wait_exit(DrvDomainObj *obj, int seconds)
{
    gint64 deadline = g_get_monotonic_time() + (gint64)seconds * G_TIME_SPAN_SECOND;

    while (!obj->proc->exited) {
        if (!g_cond_wait_until(&obj->cond, &obj->lock, deadline))
            return obj->proc->exited;
    }
    return true;
}

bool
drv_process_kill(DrvDriver *driver, DrvDomainObj *obj, bool graceful,
                 GError **error)
{
    DrvProcess *proc = obj->proc;

    g_assert(proc);
    if (proc->exited)
        return true;
    /* nimbus shuts the VM down on SIGTERM and reports "vm shutdown":
     * that is our doing, not the guest's. */
    proc->killing = true;
    if (kill(proc->pid, SIGTERM) < 0 && errno != ESRCH) {
        g_set_error(error, DRV_ERROR, DRV_ERROR_SYSTEM_ERROR,
                    "cannot send SIGTERM to nimbus pid %d: %s", (int)proc->pid,
                    g_strerror(errno));
        return false;
    }
    if (drv_process_wait_exit(obj, DRV_PROCESS_TERM_WAIT_S))
        return true;
    if (graceful) {
        g_set_error(error, DRV_ERROR, DRV_ERROR_OPERATION_FAILED,
                    "nimbus pid %d did not exit within %d s of SIGTERM",
                    (int)proc->pid, DRV_PROCESS_TERM_WAIT_S);
        return false;
    }
    kill(proc->pid, SIGKILL);
    if (drv_process_wait_exit(obj, DRV_PROCESS_KILL_WAIT_S))
        return true;
    g_set_error(error, DRV_ERROR, DRV_ERROR_OPERATION_FAILED,
                "nimbus pid %d survived SIGKILL", (int)proc->pid);
    return false;
}

void
drv_process_stop(DrvDriver *driver, DrvDomainObj *obj, int reason)
{
    DrvProcess *proc = obj->proc;
    int detail;

    g_assert(proc);
    drv_process_unwatch(driver, obj);
    drv_process_remove_files(proc);
    obj->proc = NULL;
    drv_process_free(proc);

    /* The TAPs nimbusd made for bridged interfaces go with the VM, and
     * so do its vsock CID, its swtpm and its virtiofsd. */
    drv_tap_delete_all(obj->live);
    drv_vsock_release(driver, obj->name);
    drv_tpm_release(driver, obj->name);
    drv_virtiofsd_release(driver, obj->name);
    g_clear_pointer(&obj->live, domain_def_free);
    obj->id = -1;
    drv_domain_obj_set_state(obj, DRV_STATE_SHUTOFF, reason);
    switch (reason) {
    case DRV_SHUTOFF_SHUTDOWN:
        detail = DRV_EVENT_STOPPED_SHUTDOWN;
        break;
    case DRV_SHUTOFF_DESTROYED:
        detail = DRV_EVENT_STOPPED_DESTROYED;
        break;
    case DRV_SHUTOFF_CRASHED:
        detail = DRV_EVENT_STOPPED_CRASHED;
        break;
    case DRV_SHUTOFF_SAVED:
        detail = DRV_EVENT_STOPPED_SAVED;
        break;
    case DRV_SHUTOFF_MIGRATED:
        detail = DRV_EVENT_STOPPED_MIGRATED;
        break;
    case DRV_SHUTOFF_FROM_SNAPSHOT:
        detail = DRV_EVENT_STOPPED_FROM_SNAPSHOT;
        break;
    default:
        detail = DRV_EVENT_STOPPED_FAILED;
        break;
    }
    drv_domain_event_emit(driver, obj, DRV_EVENT_STOPPED, detail);
    if (!drv_domain_obj_is_persistent(obj))
        drv_domain_list_remove_locked(driver->domains, obj);
}
