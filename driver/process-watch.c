/* SPDX-License-Identifier: Apache-2.0 */
/* Following a nimbus process: its exit, its event-monitor stream, the work they trigger. */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/inotify.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include <glib-unix.h>
#include <gio/gio.h>

#include "common/fd-util.h"
#include "driver/hotplug.h"
#include "driver/migrate.h"
#include "driver/monitor.h"
#include "driver/process.h"
#include "driver/util.h"
#include "driver/vmm-events.h"
#include "driver/watchdog.h"

/*
 * Threads: exit notifications and inotify wake-ups arrive on the main
 * thread, which only records them (under the object lock) and emits the
 * events that need no job.  Anything that changes the domain's run state
 * is queued to driver->tasks and runs as a job on a worker thread.
 */

struct DrvEventTail {
    int fd;                         /* read side of the events file */
    int wd;                         /* inotify watch; -1 if none */
    DrvVmmEventParser *parser;
};

typedef enum {
    DRV_TASK_EXITED,                /* the process is gone: clean up */
    DRV_TASK_KILL,                  /* on_reboot/on_crash want it gone */
    DRV_TASK_PRESERVE,              /* on_crash=preserve: keep it, paused */
    DRV_TASK_AUTOSTART,
    DRV_TASK_WATCHDOG_PAUSE,        /* <watchdog action='pause'> */
    DRV_TASK_WATCHDOG_SHUTDOWN,     /* <watchdog action='shutdown'> */
} DrvTaskType;

typedef struct {
    DrvTaskType type;
    DrvDomainObj *obj;              /* ref */
    unsigned int generation;
} DrvTask;

typedef struct {
    DrvDriver *driver;
    DrvDomainObj *obj;              /* ref */
    unsigned int generation;
} DrvWatchCtx;

static void
drv_watch_ctx_free(gpointer data)
{
    DrvWatchCtx *ctx = data;

    drv_domain_obj_unref(ctx->obj);
    g_free(ctx);
}

static DrvWatchCtx *
drv_watch_ctx_new(DrvDriver *driver, DrvDomainObj *obj)
{
    DrvWatchCtx *ctx = g_new0(DrvWatchCtx, 1);

    ctx->driver = driver;
    ctx->obj = drv_domain_obj_ref(obj);
    ctx->generation = obj->proc->generation;
    return ctx;
}

static void
drv_task_queue(DrvDriver *driver, DrvTaskType type, DrvDomainObj *obj,
               unsigned int generation)
{
    DrvTask *task = g_new0(DrvTask, 1);

    task->type = type;
    task->obj = drv_domain_obj_ref(obj);
    task->generation = generation;
    g_thread_pool_push(driver->tasks, task, NULL);
}

/* obj->proc of @generation, or NULL when that run is over (obj locked). */
static DrvProcess *
drv_process_current(DrvDomainObj *obj, unsigned int generation)
{
    return obj->proc && obj->proc->generation == generation ? obj->proc : NULL;
}

/* ---- exit ------------------------------------------------------------------- */

/* Main thread: records the exit and queues the cleanup. */
static void
drv_process_exited(DrvWatchCtx *ctx, int status, bool have_status)
{
    DrvDomainObj *obj = ctx->obj;
    DrvProcess *proc;

    drv_domain_obj_lock(obj);
    proc = drv_process_current(obj, ctx->generation);
    if (proc && !proc->exited) {
        proc->exited = true;
        proc->wait_status = have_status ? status : -1;
        proc->exit_watch = 0;
        g_debug("domain '%s': nimbus pid %d exited (status 0x%x)", obj->name,
                (int)proc->pid, have_status ? status : -1);
        /* Wakes a job waiting in drv_process_kill(). */
        g_cond_broadcast(&obj->cond);
        drv_task_queue(ctx->driver, DRV_TASK_EXITED, obj, ctx->generation);
    }
    drv_domain_obj_unlock(obj);
}

static void
drv_process_child_exited(GPid pid, gint status, gpointer data)
{
    /* GLib reaped the child: no zombie is left. */
    drv_process_exited(data, status, true);
}

static gboolean
drv_process_pidfd_ready(gint fd, GIOCondition cond, gpointer data)
{
    /* Not our child (adopted after a daemon restart): init reaps it and
     * its exit status is not ours to read. */
    drv_process_exited(data, 0, false);
    return G_SOURCE_REMOVE;
}

static gboolean
drv_process_poll_alive(gpointer data)
{
    DrvWatchCtx *ctx = data;
    pid_t pid = -1;

    drv_domain_obj_lock(ctx->obj);
    if (drv_process_current(ctx->obj, ctx->generation))
        pid = ctx->obj->proc->pid;
    drv_domain_obj_unlock(ctx->obj);
    if (pid > 0 && (kill(pid, 0) == 0 || errno == EPERM))
        return G_SOURCE_CONTINUE;
    drv_process_exited(ctx, 0, false);
    return G_SOURCE_REMOVE;
}

bool
drv_process_watch_exit(DrvDriver *driver, DrvDomainObj *obj, GError **error)
{
    DrvProcess *proc = obj->proc;
    int pidfd;

    if (proc->is_child) {
        /* g_child_watch_add_full() attaches to the default main context
         * from any thread. */
        proc->exit_watch = g_child_watch_add_full(G_PRIORITY_DEFAULT, proc->pid,
                                                  drv_process_child_exited,
                                                  drv_watch_ctx_new(driver, obj),
                                                  drv_watch_ctx_free);
        return true;
    }
    pidfd = (int)syscall(SYS_pidfd_open, proc->pid, 0);
    if (pidfd >= 0) {
        proc->pidfd = pidfd;
        proc->exit_watch = g_unix_fd_add_full(G_PRIORITY_DEFAULT, pidfd, G_IO_IN,
                                              drv_process_pidfd_ready,
                                              drv_watch_ctx_new(driver, obj),
                                              drv_watch_ctx_free);
        return true;
    }
    if (errno == ESRCH) {
        /* Died between the liveness check and now. */
        proc->exited = true;
        proc->wait_status = -1;
        drv_task_queue(driver, DRV_TASK_EXITED, obj, proc->generation);
        return true;
    }
    if (errno != ENOSYS) {
        g_set_error(error, G_IO_ERROR, g_io_error_from_errno(errno),
                    "cannot watch nimbus pid %d: %s", (int)proc->pid,
                    g_strerror(errno));
        return false;
    }
    /* Kernels before 5.3 have no pidfd: poll. */
    proc->exit_watch = g_timeout_add_full(G_PRIORITY_DEFAULT, 500,
                                          drv_process_poll_alive,
                                          drv_watch_ctx_new(driver, obj),
                                          drv_watch_ctx_free);
    return true;
}

/* ---- VMM events ------------------------------------------------------------- */

typedef struct {
    DrvDriver *driver;
    DrvDomainObj *obj;
} DrvEventCtx;

/* One event from nimbus (obj locked). */
static void
drv_process_handle_event(const char *source, const char *event,
                         JsonObject *properties, gpointer data)
{
    DrvEventCtx *ctx = data;
    DrvDomainObj *obj = ctx->obj;
    DrvProcess *proc = obj->proc;

    g_debug("domain '%s': VMM event %s/%s", obj->name, source, event);
    if (!proc || !obj->live)
        return;   /* still starting: the start job reports the state */
    if (g_str_equal(source, "vm") && g_str_equal(event, "shutdown")) {
        if (proc->killing)
            return;     /* the VMM stopping on our SIGTERM */
        proc->guest_shutdown = true;
        if (!proc->shutdown_event_sent) {
            proc->shutdown_event_sent = true;
            drv_domain_event_emit(ctx->driver, obj, DRV_EVENT_SHUTDOWN,
                                  proc->shutdown_requested ?
                                  DRV_EVENT_SHUTDOWN_HOST : DRV_EVENT_SHUTDOWN_GUEST);
        }
    } else if (g_str_equal(source, "vm") && g_str_equal(event, "rebooting")) {
        /* nimbus resets the guest itself; only on_reboot=destroy needs us. */
        if (obj->live->on_reboot == DOMAIN_LIFECYCLE_DESTROY && !proc->reboot_destroy) {
            proc->reboot_destroy = true;
            drv_task_queue(ctx->driver, DRV_TASK_KILL, obj, proc->generation);
        }
    } else if (g_str_equal(source, "vm") && g_str_equal(event, "paused")) {
        /* Paused behind our back (nimbus-remote): a job of ours that
         * pauses reports the change itself. */
        if (!obj->job && obj->state == DRV_STATE_RUNNING) {
            drv_domain_obj_set_state(obj, DRV_STATE_PAUSED, DRV_PAUSED_UNKNOWN);
            drv_domain_event_emit(ctx->driver, obj, DRV_EVENT_SUSPENDED,
                                  DRV_EVENT_SUSPENDED_PAUSED);
            drv_process_save_state(ctx->driver, obj);
        }
    } else if (g_str_equal(source, "vm") && g_str_equal(event, "resumed")) {
        /* An incoming migration resumes its VM on completion: the finish
         * step reports that (RESUMED MIGRATED). */
        if (!obj->job && obj->state == DRV_STATE_PAUSED &&
            obj->migrate.phase != DRV_MIGRATE_RUNNING) {
            drv_domain_obj_set_state(obj, DRV_STATE_RUNNING, DRV_RUNNING_UNPAUSED);
            drv_domain_event_emit(ctx->driver, obj, DRV_EVENT_RESUMED,
                                  DRV_EVENT_RESUMED_UNPAUSED);
            drv_process_save_state(ctx->driver, obj);
        }
    } else if (g_str_equal(source, "vm") &&
               g_str_equal(event, "device-removed")) {
        /* The guest let go of a device (detach-device, or nimbus-remote
         * remove-device behind our back). */
        drv_hotplug_device_removed(ctx->driver, obj,
                                   properties ? drv_json_string(properties, "id")
                                              : NULL);
    } else if (g_str_equal(source, "vm") &&
               g_str_has_prefix(event, "migration-")) {
        drv_migrate_vmm_event(obj, event);
    } else if (g_str_equal(source, "guest") && g_str_equal(event, "panic")) {
        if (!proc->panicked) {
            proc->panicked = true;
            drv_domain_event_emit(ctx->driver, obj, DRV_EVENT_CRASHED,
                                  DRV_EVENT_CRASHED_PANICKED);
            drv_task_queue(ctx->driver,
                           obj->live->on_crash == DOMAIN_LIFECYCLE_PRESERVE ?
                           DRV_TASK_PRESERVE : DRV_TASK_KILL,
                           obj, proc->generation);
        }
    } else if (g_str_equal(source, "guest") && g_str_equal(event, "watchdog")) {
        DrvWatchdogFollowUp what = drv_watchdog_expired(ctx->driver, obj);

        if (what != DRV_WATCHDOG_FOLLOW_NONE)
            drv_task_queue(ctx->driver,
                           what == DRV_WATCHDOG_FOLLOW_PAUSE ?
                           DRV_TASK_WATCHDOG_PAUSE : DRV_TASK_WATCHDOG_SHUTDOWN,
                           obj, proc->generation);
    }
}

void
drv_process_drain_events(DrvDriver *driver, DrvDomainObj *obj)
{
    DrvEventCtx ctx = { .driver = driver, .obj = obj };
    DrvEventTail *tail = obj->proc ? obj->proc->tail : NULL;
    char buf[4096];

    if (!tail)
        return;
    for (;;) {
        ssize_t n = read(tail->fd, buf, sizeof(buf));

        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        drv_vmm_event_parser_feed(tail->parser, buf, (size_t)n,
                                  drv_process_handle_event, &ctx);
    }
}

static gboolean
drv_process_inotify_ready(gint fd, GIOCondition cond, gpointer data)
{
    DrvDriver *driver = data;
    /* Aligned for struct inotify_event, as inotify(7) shows. */
    char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
    ssize_t n = read(fd, buf, sizeof(buf));

    for (ssize_t off = 0; n > 0 && off < n;) {
        const struct inotify_event *ev = (const void *)(buf + off);
        DrvDomainObj *obj;

        off += (ssize_t)(sizeof(*ev) + ev->len);
        g_mutex_lock(&driver->lock);
        obj = g_hash_table_lookup(driver->inotify_wds, GINT_TO_POINTER(ev->wd));
        if (obj)
            drv_domain_obj_ref(obj);
        g_mutex_unlock(&driver->lock);
        if (!obj)
            continue;
        drv_domain_obj_lock(obj);
        if (obj->proc && obj->proc->tail && obj->proc->tail->wd == ev->wd)
            drv_process_drain_events(driver, obj);
        drv_domain_obj_unlock(obj);
        drv_domain_obj_unref(obj);
    }
    return G_SOURCE_CONTINUE;
}

bool
drv_process_watch_events(DrvDriver *driver, DrvDomainObj *obj, int64_t offset,
                         GError **error)
{
    DrvProcess *proc = obj->proc;
    DrvEventTail *tail;
    int fd = open(proc->events_path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);

    if (fd < 0) {
        g_set_error(error, G_IO_ERROR, g_io_error_from_errno(errno),
                    "cannot open '%s': %s", proc->events_path, g_strerror(errno));
        return false;
    }
    if (offset > 0)
        lseek(fd, (off_t)offset, SEEK_SET);
    tail = g_new0(DrvEventTail, 1);
    tail->fd = fd;
    tail->parser = drv_vmm_event_parser_new();
    tail->wd = inotify_add_watch(driver->inotify_fd, proc->events_path, IN_MODIFY);
    if (tail->wd < 0) {
        g_set_error(error, G_IO_ERROR, g_io_error_from_errno(errno),
                    "cannot watch '%s': %s", proc->events_path, g_strerror(errno));
        drv_vmm_event_parser_free(tail->parser);
        fd_close(fd);
        g_free(tail);
        return false;
    }
    g_mutex_lock(&driver->lock);
    g_hash_table_insert(driver->inotify_wds, GINT_TO_POINTER(tail->wd),
                        drv_domain_obj_ref(obj));
    g_mutex_unlock(&driver->lock);
    proc->tail = tail;
    return true;
}

void
drv_process_unwatch(DrvDriver *driver, DrvDomainObj *obj)
{
    DrvProcess *proc = obj->proc;
    DrvEventTail *tail = proc->tail;

    if (proc->exit_watch) {
        /* Before the exit: this run is being abandoned (a failed start
         * whose process would not die). */
        g_source_remove(proc->exit_watch);
        proc->exit_watch = 0;
    }
    if (!tail)
        return;
    proc->tail = NULL;
    inotify_rm_watch(driver->inotify_fd, tail->wd);
    g_mutex_lock(&driver->lock);
    g_hash_table_remove(driver->inotify_wds, GINT_TO_POINTER(tail->wd));
    g_mutex_unlock(&driver->lock);
    drv_vmm_event_parser_free(tail->parser);
    fd_close(tail->fd);
    g_free(tail);
}

/* ---- tasks ------------------------------------------------------------------ */

/* How the run ended, from what we saw (obj locked). */
static int
drv_process_exit_reason(const DrvProcess *proc)
{
    if (proc->panicked)
        return DRV_SHUTOFF_CRASHED;
    if (proc->guest_shutdown || proc->reboot_destroy)
        return DRV_SHUTOFF_SHUTDOWN;
    /* Without --no-shutdown nimbus exits 0 once the guest powered off. */
    if (proc->is_child && proc->wait_status >= 0 &&
        WIFEXITED(proc->wait_status) && WEXITSTATUS(proc->wait_status) == 0)
        return DRV_SHUTOFF_SHUTDOWN;
    return DRV_SHUTOFF_CRASHED;
}

/* Ends the run after the process is gone; restarts per on_poweroff /
 * on_crash (obj locked, job held). */
static void
drv_process_finish(DrvDriver *driver, DrvDomainObj *obj)
{
    DrvProcess *proc = obj->proc;
    int reason;
    DomainLifecycleAction action;
    g_autoptr(GError) error = NULL;

    drv_process_drain_events(driver, obj);
    reason = drv_process_exit_reason(proc);
    action = reason == DRV_SHUTOFF_CRASHED ? obj->live->on_crash :
             proc->reboot_destroy ? DOMAIN_LIFECYCLE_DESTROY : obj->live->on_poweroff;
    if (reason == DRV_SHUTOFF_SHUTDOWN && !proc->shutdown_event_sent) {
        proc->shutdown_event_sent = true;
        drv_domain_event_emit(driver, obj, DRV_EVENT_SHUTDOWN,
                              proc->shutdown_requested ?
                              DRV_EVENT_SHUTDOWN_HOST : DRV_EVENT_SHUTDOWN_GUEST);
    }
    drv_process_stop(driver, obj, reason);
    if ((action == DOMAIN_LIFECYCLE_RESTART ||
         action == DOMAIN_LIFECYCLE_RENAME_RESTART ||
         action == DOMAIN_LIFECYCLE_COREDUMP_RESTART) &&
        drv_domain_obj_is_persistent(obj) && !obj->removed) {
        g_message("domain '%s': restarting after %s", obj->name,
                  reason == DRV_SHUTOFF_CRASHED ? "a crash" : "power-off");
        if (!drv_process_start(driver, obj, domain_def_copy(obj->def), false, &error))
            g_warning("domain '%s': restart failed: %s", obj->name, error->message);
    }
}

/* on_crash=preserve, as libvirt's qemu driver keeps a panicked guest:
 * the vCPUs stop (vm.pause) and the domain stays, CRASHED/PANICKED, for
 * inspection until it is destroyed (obj locked, job held). */
static void
drv_process_preserve(DrvDriver *driver, DrvDomainObj *obj,
                     unsigned int generation)
{
    g_autofree char *sock = g_strdup(obj->proc->api_socket);
    g_autoptr(GError) error = NULL;
    bool ok;

    /* The job keeps everyone else away while the call runs unlocked. */
    drv_domain_obj_unlock(obj);
    ok = drv_monitor_put(sock, "vm.pause", NULL, &error);
    drv_domain_obj_lock(obj);
    if (!ok) {
        g_warning("domain '%s': pausing the panicked guest: %s", obj->name,
                  error->message);
        return;
    }
    if (!drv_process_current(obj, generation))
        return;
    drv_domain_obj_set_state(obj, DRV_STATE_CRASHED, DRV_CRASHED_PANICKED);
    drv_process_save_state(driver, obj);
}

static void
drv_task_run(gpointer data, gpointer user_data)
{
    DrvTask *task = data;
    DrvDriver *driver = user_data;
    DrvDomainObj *obj = task->obj;
    g_autoptr(GError) error = NULL;
    DrvProcess *proc;

    drv_domain_obj_lock(obj);
    if (!drv_domain_job_begin(obj, "background task", &error)) {
        if (!obj->removed)
            g_warning("domain '%s': %s", obj->name, error->message);
        goto cleanup;
    }
    proc = drv_process_current(obj, task->generation);
    switch (task->type) {
    case DRV_TASK_EXITED:
        /* A VMM that handed its VM over to a migration's destination
         * exits 0: CONFIRM stops the domain (STOPPED MIGRATED). */
        if (proc && proc->exited && !drv_migrate_awaits_confirm(obj))
            drv_process_finish(driver, obj);
        break;
    case DRV_TASK_KILL:
        if (!proc)
            break;
        if (!drv_process_kill(driver, obj, false, &error)) {
            g_warning("domain '%s': %s", obj->name, error->message);
            break;
        }
        drv_process_finish(driver, obj);
        break;
    case DRV_TASK_PRESERVE:
        if (proc)
            drv_process_preserve(driver, obj, task->generation);
        break;
    case DRV_TASK_WATCHDOG_PAUSE:
    case DRV_TASK_WATCHDOG_SHUTDOWN:
        if (proc)
            drv_watchdog_follow_up(driver, obj,
                                   task->type == DRV_TASK_WATCHDOG_PAUSE ?
                                   DRV_WATCHDOG_FOLLOW_PAUSE :
                                   DRV_WATCHDOG_FOLLOW_SHUTDOWN,
                                   task->generation);
        break;
    case DRV_TASK_AUTOSTART:
        if (drv_domain_obj_is_active(obj) || !obj->def || !obj->autostart)
            break;
        if (!drv_process_start(driver, obj, domain_def_copy(obj->def), false, &error))
            g_warning("domain '%s': autostart failed: %s", obj->name, error->message);
        else
            g_message("domain '%s': autostarted", obj->name);
        break;
    }
    drv_domain_job_end(obj);
 cleanup:
    drv_domain_obj_unlock(obj);
    drv_domain_obj_unref(obj);
    g_free(task);
}

void
drv_process_queue_autostart(DrvDriver *driver, DrvDomainObj *obj)
{
    drv_task_queue(driver, DRV_TASK_AUTOSTART, obj, 0);
}

bool
drv_process_watch_init(DrvDriver *driver, GError **error)
{
    driver->inotify_fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
    if (driver->inotify_fd < 0) {
        g_set_error(error, G_IO_ERROR, g_io_error_from_errno(errno),
                    "inotify_init1 failed: %s", g_strerror(errno));
        return false;
    }
    driver->inotify_wds = g_hash_table_new_full(g_direct_hash, g_direct_equal, NULL,
                                                (GDestroyNotify)drv_domain_obj_unref);
    driver->inotify_watch = g_unix_fd_add(driver->inotify_fd, G_IO_IN,
                                          drv_process_inotify_ready, driver);
    driver->tasks = g_thread_pool_new(drv_task_run, driver, 4, FALSE, error);
    return driver->tasks != NULL;
}

void
drv_process_watch_fini(DrvDriver *driver)
{
    g_autoptr(GPtrArray) all = NULL;

    /* Background jobs first: they use the watches and the domains. */
    if (driver->tasks) {
        g_thread_pool_free(driver->tasks, FALSE, TRUE);
        driver->tasks = NULL;
    }
    /* The daemon leaves; the VMs stay.  Dropping the watches also drops
     * the references they hold on their domains. */
    all = drv_domain_list_collect(driver->domains);
    for (guint i = 0; i < all->len; i++) {
        DrvDomainObj *obj = g_ptr_array_index(all, i);

        drv_domain_obj_lock(obj);
        if (obj->proc)
            drv_process_unwatch(driver, obj);
        drv_domain_obj_unlock(obj);
    }
    if (driver->inotify_watch) {
        g_source_remove(driver->inotify_watch);
        driver->inotify_watch = 0;
    }
    g_clear_pointer(&driver->inotify_wds, g_hash_table_unref);
    if (driver->inotify_fd >= 0) {
        fd_close(driver->inotify_fd);
        driver->inotify_fd = -1;
    }
}
