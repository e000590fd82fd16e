/* SPDX-License-Identifier: Apache-2.0 */
/* DrvDomainObj: one domain's definitions, run state and job lock. */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <glib.h>

#include "driver/xml/domain-conf.h"

/* libvirt's virDomainState (reference §1.5). */
typedef enum {
    DRV_STATE_NOSTATE = 0,
    DRV_STATE_RUNNING = 1,
    DRV_STATE_BLOCKED = 2,
    DRV_STATE_PAUSED = 3,
    DRV_STATE_SHUTDOWN = 4,
    DRV_STATE_SHUTOFF = 5,
    DRV_STATE_CRASHED = 6,
    DRV_STATE_PMSUSPENDED = 7,
} DrvDomainState;

/* State reasons (libvirt's virDomain*Reason), only those we report. */
enum {
    DRV_RUNNING_UNKNOWN = 0,
    DRV_RUNNING_BOOTED = 1,
    DRV_RUNNING_MIGRATED = 2,
    DRV_RUNNING_RESTORED = 3,
    DRV_RUNNING_FROM_SNAPSHOT = 4,
    DRV_RUNNING_UNPAUSED = 5,
};
enum {
    DRV_PAUSED_UNKNOWN = 0,
    DRV_PAUSED_USER = 1,
    DRV_PAUSED_MIGRATION = 2,
    DRV_PAUSED_SAVE = 3,
    DRV_PAUSED_WATCHDOG = 6,
    DRV_PAUSED_FROM_SNAPSHOT = 7,
};
enum {
    DRV_CRASHED_UNKNOWN = 0,
    DRV_CRASHED_PANICKED = 1,
};
enum {
    DRV_SHUTOFF_UNKNOWN = 0,
    DRV_SHUTOFF_SHUTDOWN = 1,
    DRV_SHUTOFF_DESTROYED = 2,
    DRV_SHUTOFF_CRASHED = 3,
    DRV_SHUTOFF_MIGRATED = 4,
    DRV_SHUTOFF_SAVED = 5,
    DRV_SHUTOFF_FAILED = 6,
    DRV_SHUTOFF_FROM_SNAPSHOT = 7,
};

/* Lifecycle events and details (virDomainEventType, reference §1.5). */
typedef enum {
    DRV_EVENT_DEFINED = 0,
    DRV_EVENT_UNDEFINED = 1,
    DRV_EVENT_STARTED = 2,
    DRV_EVENT_SUSPENDED = 3,
    DRV_EVENT_RESUMED = 4,
    DRV_EVENT_STOPPED = 5,
    DRV_EVENT_SHUTDOWN = 6,
    DRV_EVENT_PMSUSPENDED = 7,
    DRV_EVENT_CRASHED = 8,
} DrvEventType;
enum {
    DRV_EVENT_DEFINED_ADDED = 0,
    DRV_EVENT_DEFINED_UPDATED = 1,
    DRV_EVENT_DEFINED_RENAMED = 2,
    DRV_EVENT_UNDEFINED_REMOVED = 0,
    DRV_EVENT_UNDEFINED_RENAMED = 1,
    DRV_EVENT_STARTED_BOOTED = 0,
    DRV_EVENT_STARTED_MIGRATED = 1,
    DRV_EVENT_STARTED_RESTORED = 2,
    DRV_EVENT_STARTED_FROM_SNAPSHOT = 3,
    DRV_EVENT_SUSPENDED_PAUSED = 0,
    DRV_EVENT_SUSPENDED_MIGRATED = 1,
    DRV_EVENT_SUSPENDED_WATCHDOG = 3,
    DRV_EVENT_SUSPENDED_RESTORED = 4,
    DRV_EVENT_SUSPENDED_FROM_SNAPSHOT = 5,
    DRV_EVENT_RESUMED_UNPAUSED = 0,
    DRV_EVENT_RESUMED_MIGRATED = 1,
    DRV_EVENT_STOPPED_SHUTDOWN = 0,
    DRV_EVENT_STOPPED_DESTROYED = 1,
    DRV_EVENT_STOPPED_CRASHED = 2,
    DRV_EVENT_STOPPED_MIGRATED = 3,
    DRV_EVENT_STOPPED_SAVED = 4,
    DRV_EVENT_STOPPED_FAILED = 5,
    DRV_EVENT_STOPPED_FROM_SNAPSHOT = 6,
    DRV_EVENT_SHUTDOWN_FINISHED = 0,
    DRV_EVENT_SHUTDOWN_GUEST = 1,
    DRV_EVENT_SHUTDOWN_HOST = 2,
    DRV_EVENT_CRASHED_PANICKED = 0,
};

typedef struct DrvProcess DrvProcess;

/* Where a migration of the domain stands (driver/migrate.c). */
typedef enum {
    DRV_MIGRATE_NONE = 0,
    DRV_MIGRATE_RUNNING,            /* sending, or receiving */
    DRV_MIGRATE_DONE,               /* nimbus reported success */
    DRV_MIGRATE_FAILED,             /* nimbus reported failure */
} DrvMigratePhase;

/* A domain's migration (protected by the object's lock).  Filled by
 * driver/migrate.c and by the VMM's migration events. */
typedef struct {
    DrvMigratePhase phase;
    bool incoming;                  /* this side receives */
    gint64 started;                 /* monotonic us; 0 = never */
    gint64 ended;                   /* monotonic us; 0 = still running */
    unsigned int iterations;        /* pre-copy passes begun */
    uint64_t max_downtime_ms;       /* 0: nimbus's default */
    bool abort_requested;           /* domjobabort cancelled the send */
} DrvMigrateInfo;

/*
 * Locking: `lock` protects every mutable field.  Lock order is
 * domain list -> domain object; never take the list lock while holding an
 * object lock.  State changes that talk to nimbus hold the job (one at a
 * time per domain) and drop `lock` while waiting for the VMM, so that
 * queries never wait behind a slow REST call.
 */
typedef struct {
    gint ref;                       /* atomic */
    /* Changed only by a rename (driver/rename.c), under the list lock
     * and `lock`; callers holding neither may still read the name it
     * had, so the old strings live as long as the object (old_names). */
    char *name;
    GSList *old_names;
    unsigned char uuid[16];         /* immutable */

    GMutex lock;
    GCond cond;                     /* job release and process exit */
    DomainDef *def;                 /* persistent config; NULL = transient */
    DomainDef *live;                /* running definition; NULL = inactive */
    int id;                         /* -1 while inactive */
    DrvDomainState state;
    int reason;
    bool autostart;
    bool removed;                   /* dropped from the list */
    bool job;                       /* a state-changing job runs */
    const char *job_name;           /* for "lock held by" messages */
    unsigned int generation;        /* bumped at each start */
    DrvProcess *proc;               /* the nimbus process; NULL = none */
    DrvMigrateInfo migrate;         /* the last or current migration */
} DrvDomainObj;

/* Takes ownership of nothing: name/uuid are copied from @def. */
DrvDomainObj *drv_domain_obj_new(const DomainDef *def);
DrvDomainObj *drv_domain_obj_ref(DrvDomainObj *obj);
void drv_domain_obj_unref(DrvDomainObj *obj);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(DrvDomainObj, drv_domain_obj_unref)

void drv_domain_obj_lock(DrvDomainObj *obj);
void drv_domain_obj_unlock(DrvDomainObj *obj);

/* How long a job waits for the previous one (libvirt waits 30 s too). */
#define DRV_JOB_WAIT_SECONDS 30

/**
 * drv_domain_job_begin:
 * With @obj locked: waits until no job runs, then owns the job.  Fails
 * with OPERATION_TIMEOUT after DRV_JOB_WAIT_SECONDS, or NO_DOMAIN if the
 * domain was removed meanwhile.  @obj stays locked either way.
 */
bool drv_domain_job_begin(DrvDomainObj *obj, const char *name, GError **error);
void drv_domain_job_end(DrvDomainObj *obj);

/* With @obj locked. */
bool drv_domain_obj_is_active(const DrvDomainObj *obj);
bool drv_domain_obj_is_persistent(const DrvDomainObj *obj);
/* The definition a query shows: live while running, else persistent. */
const DomainDef *drv_domain_obj_current_def(const DrvDomainObj *obj);
/* The same, for calls that read the definition (lock held): NULL with
 * DRV_ERROR_NO_DOMAIN when @obj was undefined or its define/create failed
 * after a lookup found it (nova treats only NO_DOMAIN as "gone"), or with
 * DRV_ERROR_OPERATION_INVALID while a transient domain is still being
 * created. */
const DomainDef *drv_domain_obj_current_def_checked(const DrvDomainObj *obj,
                                                    GError **error);
void drv_domain_obj_set_state(DrvDomainObj *obj, DrvDomainState state, int reason);

/* OPERATION_INVALID "domain is not running" / "domain is already running". */
void drv_domain_set_error_not_running(GError **error);
void drv_domain_set_error_running(GError **error);
