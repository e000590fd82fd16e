/* SPDX-License-Identifier: Apache-2.0 */
/* One nimbus process per running domain: spawn, watch, stop, reconnect. */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <glib.h>

#include "driver/console-log.h"
#include "driver/driver.h"

typedef struct DrvEventTail DrvEventTail;

/*
 * Owned by its DrvDomainObj (obj->proc) and protected by the object's lock,
 * except where noted.  `generation` ties asynchronous notifications (exit,
 * VMM events) to the run they belong to: a notification for an older run
 * is ignored.
 */
struct DrvProcess {
    unsigned int generation;        /* immutable */
    pid_t pid;                      /* immutable */
    uint64_t start_ticks;           /* immutable: /proc start time, pid reuse guard */
    bool is_child;                  /* immutable: spawned by this daemon */
    char *api_socket;               /* immutable */
    char *events_path;              /* immutable */
    char *state_path;               /* immutable */
    char *log_path;                 /* immutable */
    guint exit_watch;               /* child watch or pidfd source id */
    int pidfd;                      /* reconnected processes; -1 otherwise */
    bool exited;
    int wait_status;                /* valid when exited && is_child */
    bool shutdown_requested;        /* a host-side shutdown was asked */
    bool guest_shutdown;            /* the VMM reported "vm shutdown" */
    bool shutdown_event_sent;
    bool reboot_destroy;            /* on_reboot=destroy triggered */
    bool panicked;                  /* the guest reported a panic */
    bool killing;                   /* we sent SIGTERM/SIGKILL */
    DrvEventTail *tail;             /* the event-monitor reader */
    DrvConsoleLog *serial_log;      /* <serial><log>; NULL without one */
    DrvConsoleLog *console_log;     /* virtio <console><log> */
};

void drv_process_free(DrvProcess *proc);

/**
 * drv_process_console_logs_start:
 * With @obj's lock held, once @def (the live definition) has its pty paths:
 * starts copying the output of each pty with a <log file> there.  @append
 * appends even where the XML says to truncate (a reconnect or a migrated
 * domain keeps what was logged before).  Starts nothing twice.
 */
bool drv_process_console_logs_start(DrvProcess *proc, const DomainDef *def,
                                    bool append, GError **error);

/**
 * drv_process_start:
 * With @obj locked and its job held: spawns nimbus, creates and boots the
 * VM from @def (transfer full), pauses it after boot if @paused, and makes
 * @def the live definition with the pty paths the VMM reports.  Drops the
 * object lock while it waits for the VMM.  On failure nothing is left
 * running and the error names the log file.
 */
bool drv_process_start(DrvDriver *driver, DrvDomainObj *obj, DomainDef *def,
                       bool paused, GError **error);

/**
 * drv_process_start_restore:
 * As drv_process_start(), but the VM comes from the nimbus snapshot in
 * @snapshot_dir (vm.restore, memory copied, so the directory may go once
 * this returns) instead of vm.create + vm.boot.  @started_detail is
 * DRV_EVENT_STARTED_RESTORED or _FROM_SNAPSHOT: the STARTED event's
 * detail, and the run state's reason follows it.
 */
bool drv_process_start_restore(DrvDriver *driver, DrvDomainObj *obj,
                               DomainDef *def, const char *snapshot_dir,
                               bool paused, int started_detail,
                               GError **error);

/**
 * drv_process_start_incoming:
 * As drv_process_start(), but nimbus starts with no VM and listens for an
 * incoming migration on @url (vm.receive-migration); the domain is
 * PAUSED/MIGRATION (STARTED MIGRATED) until driver/migrate.c finishes it.
 */
bool drv_process_start_incoming(DrvDriver *driver, DrvDomainObj *obj,
                                DomainDef *def, const char *url,
                                GError **error);
/**
 * drv_process_kill:
 * With @obj locked and its job held: SIGTERM, then SIGKILL unless
 * @graceful, and waits for the process to exit.  Does not clean up: call
 * drv_process_stop() afterwards.
 */
bool drv_process_kill(DrvDriver *driver, DrvDomainObj *obj, bool graceful,
                      GError **error);

/**
 * drv_process_stop:
 * With @obj locked and its job held, once the process has exited: removes
 * its runtime files, marks the domain shut off with @reason
 * (DRV_SHUTOFF_*), emits STOPPED, and drops a transient domain from the
 * list.
 */
void drv_process_stop(DrvDriver *driver, DrvDomainObj *obj, int reason);

/* Rewrites the state file after a state change (obj locked). */
void drv_process_save_state(DrvDriver *driver, DrvDomainObj *obj);

/**
 * drv_process_reconnect_all:
 * At daemon start (main thread, before serving): for each state file, finds
 * the live nimbus it describes and adopts it; a dead one is cleaned up.
 */
void drv_process_reconnect_all(DrvDriver *driver);

/* process-watch.c ---------------------------------------------------------- */

/* Starts watching for the exit of obj->proc (obj locked). */
bool drv_process_watch_exit(DrvDriver *driver, DrvDomainObj *obj, GError **error);
/* Starts following obj->proc's event-monitor file from @offset (obj locked). */
bool drv_process_watch_events(DrvDriver *driver, DrvDomainObj *obj,
                              int64_t offset, GError **error);
/* Stops both watches (obj locked). */
void drv_process_unwatch(DrvDriver *driver, DrvDomainObj *obj);
/* Reads what the event-monitor file holds now, handling each event
 * (obj locked). */
void drv_process_drain_events(DrvDriver *driver, DrvDomainObj *obj);
/* Queues a background start of an autostart domain. */
void drv_process_queue_autostart(DrvDriver *driver, DrvDomainObj *obj);
/* The inotify source and task pool the driver owns (main thread). */
bool drv_process_watch_init(DrvDriver *driver, GError **error);
void drv_process_watch_fini(DrvDriver *driver);
