/* SPDX-License-Identifier: Apache-2.0 */
/* DrvDriver: nimbusd's domain driver, the entry points the RPC layer calls. */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <glib.h>

#include "driver/conf.h"
#include "driver/console-log.h"
#include "driver/domain-list.h"
#include "driver/domain.h"
#include "driver/forward.h"

/* virDomainEventID values nimbusd produces. */
#define DRV_EVENT_ID_LIFECYCLE 0
#define DRV_EVENT_ID_WATCHDOG 3
#define DRV_EVENT_ID_DEVICE_REMOVED 15
#define DRV_EVENT_ID_DEVICE_ADDED 19
#define DRV_EVENT_ID_DEVICE_REMOVAL_FAILED 22
#define DRV_EVENT_ID_METADATA_CHANGE 23
#define DRV_EVENT_ID_MEMORY_DEVICE_SIZE_CHANGE 26

/* A domain event, as the RPC layer sends it (reference §1.5). */
typedef struct {
    int event_id;                   /* DRV_EVENT_ID_* */
    const char *name;
    const unsigned char *uuid;      /* 16 bytes */
    int id;
    int event;                      /* lifecycle: DrvEventType */
    int detail;
    int metadata_type;              /* metadata change: DomainMetadataType */
    const char *metadata_uri;       /* metadata change: element namespace */
    const char *dev_alias;          /* device added/removed/removal failed */
    int watchdog_action;            /* watchdog: DrvWatchdogEventAction */
    uint64_t mem_size_kib;          /* memory device size change: current */
} DrvDomainEvent;

/* Called with the domain locked, from any thread; must not block. */
typedef void (*DrvEventFunc)(const DrvDomainEvent *event, gpointer data);

typedef struct DrvDriver DrvDriver;

struct DrvDriver {
    DrvConfig *config;              /* immutable */
    DrvDomainList *domains;         /* immutable pointer, self-locking */
    DrvForward *forward;            /* libvirtd; immutable, self-locking */
    GThreadPool *tasks;             /* background work (exits, autostart) */
    DrvEventFunc event_func;        /* set before serving, then immutable */
    gpointer event_data;
    int inotify_fd;                 /* event-monitor files; main thread */
    guint inotify_watch;
    GHashTable *inotify_wds;        /* wd -> DrvDomainObj* (ref); main thread */
    GMutex lock;
    int next_id;                    /* lock */
    GHashTable *vsock_cids;         /* lock: guest CID -> domain (vsock.c) */
};

/* Flags (libvirt's values). */
#define DRV_DOMAIN_START_PAUSED         (1u << 0)
#define DRV_DOMAIN_START_AUTODESTROY    (1u << 1)
#define DRV_DOMAIN_START_BYPASS_CACHE   (1u << 2)
#define DRV_DOMAIN_START_FORCE_BOOT     (1u << 3)
#define DRV_DOMAIN_START_VALIDATE       (1u << 4)
#define DRV_DOMAIN_DEFINE_VALIDATE      (1u << 0)
#define DRV_DOMAIN_UNDEFINE_MANAGED_SAVE       (1u << 0)
#define DRV_DOMAIN_UNDEFINE_SNAPSHOTS_METADATA (1u << 1)
#define DRV_DOMAIN_UNDEFINE_NVRAM              (1u << 2)
#define DRV_DOMAIN_UNDEFINE_KEEP_NVRAM         (1u << 3)
#define DRV_DOMAIN_UNDEFINE_CHECKPOINTS_METADATA (1u << 4)
#define DRV_DOMAIN_UNDEFINE_TPM                (1u << 5)
#define DRV_DOMAIN_UNDEFINE_KEEP_TPM           (1u << 6)
#define DRV_DOMAIN_SHUTDOWN_ACPI_POWER_BTN (1u << 0)
#define DRV_DOMAIN_REBOOT_ACPI_POWER_BTN   (1u << 0)
#define DRV_DOMAIN_DESTROY_GRACEFUL        (1u << 0)
#define DRV_DOMAIN_XML_SECURE     (1u << 0)
#define DRV_DOMAIN_XML_INACTIVE   (1u << 1)
#define DRV_DOMAIN_XML_UPDATE_CPU (1u << 2)
#define DRV_DOMAIN_XML_MIGRATABLE (1u << 3)
#define DRV_DOMAIN_AFFECT_LIVE    (1u << 0)
#define DRV_DOMAIN_AFFECT_CONFIG  (1u << 1)
/* virDomainMemoryModFlags: <memory> rather than the current size. */
#define DRV_DOMAIN_MEM_MAXIMUM    (1u << 2)
#define DRV_DOMAIN_CONSOLE_FORCE  (1u << 0)
#define DRV_DOMAIN_CONSOLE_SAFE   (1u << 1)

/* CONNECT_LIST_ALL_DOMAINS filters (reference §2.3). */
#define DRV_LIST_ACTIVE          (1u << 0)
#define DRV_LIST_INACTIVE        (1u << 1)
#define DRV_LIST_PERSISTENT      (1u << 2)
#define DRV_LIST_TRANSIENT       (1u << 3)
#define DRV_LIST_RUNNING         (1u << 4)
#define DRV_LIST_PAUSED          (1u << 5)
#define DRV_LIST_SHUTOFF         (1u << 6)
#define DRV_LIST_OTHER           (1u << 7)
#define DRV_LIST_MANAGEDSAVE     (1u << 8)
#define DRV_LIST_NO_MANAGEDSAVE  (1u << 9)
#define DRV_LIST_AUTOSTART       (1u << 10)
#define DRV_LIST_NO_AUTOSTART    (1u << 11)
#define DRV_LIST_HAS_SNAPSHOT    (1u << 12)
#define DRV_LIST_NO_SNAPSHOT     (1u << 13)
#define DRV_LIST_HAS_CHECKPOINT  (1u << 14)
#define DRV_LIST_NO_CHECKPOINT   (1u << 15)
#define DRV_LIST_ALL_FLAGS       0xffffu

/* Checks @flags against the @supported mask (libvirt's virCheckFlags). */
bool drv_check_flags(unsigned int flags, unsigned int supported,
                     const char *api, GError **error);

/**
 * drv_driver_new:
 * Takes @config.  Loads nothing yet: see drv_driver_load().
 */
DrvDriver *drv_driver_new(DrvConfig *config, GError **error);
void drv_driver_set_event_func(DrvDriver *driver, DrvEventFunc func, gpointer data);
/**
 * drv_driver_load:
 * Reads the persistent definitions, reconnects to the nimbus processes of
 * domains that ran when the previous daemon stopped, then starts autostart
 * domains in the background.  A broken file is logged and skipped.
 * Main thread.
 */
bool drv_driver_load(DrvDriver *driver, GError **error);
/* Running domains keep running: nothing is stopped. */
void drv_driver_free(DrvDriver *driver);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(DrvDriver, drv_driver_free)
/* Any domain running (the idle timeout waits for none). */
bool drv_driver_has_active(DrvDriver *driver);

/* Emits a lifecycle event for @obj (locked). */
void drv_domain_event_emit(DrvDriver *driver, DrvDomainObj *obj, int event,
                           int detail);
int drv_driver_next_id(DrvDriver *driver);

/* ---- lookups: (transfer full), NO_DOMAIN errors -------------------------- */
DrvDomainObj *drv_domain_lookup_by_name(DrvDriver *driver, const char *name,
                                        GError **error);
DrvDomainObj *drv_domain_lookup_by_uuid(DrvDriver *driver,
                                        const unsigned char uuid[16],
                                        GError **error);
DrvDomainObj *drv_domain_lookup_by_id(DrvDriver *driver, int id, GError **error);

/* ---- definitions (driver.c) ----------------------------------------------- */
DrvDomainObj *drv_domain_define_xml(DrvDriver *driver, const char *xml,
                                    unsigned int flags, GError **error);
bool drv_domain_undefine(DrvDriver *driver, DrvDomainObj *obj,
                         unsigned int flags, GError **error);
char *drv_domain_get_xml_desc(DrvDriver *driver, DrvDomainObj *obj,
                              unsigned int flags, GError **error);
bool drv_domain_set_autostart(DrvDriver *driver, DrvDomainObj *obj,
                              bool autostart, GError **error);
/* Writes @def to <config_dir>/<name>.xml atomically (temp file, fsync,
 * rename). */
bool drv_domain_save_config(DrvDriver *driver, const DomainDef *def,
                            GError **error);
/**
 * drv_domain_commit_config:
 * Makes *@config the persistent definition of @obj (locked): refused when
 * @obj has none any more (undefined while a job ran unlocked), else
 * written with drv_domain_save_config() and swapped in; *@config is
 * (transfer full) on success and left alone on failure.
 */
bool drv_domain_commit_config(DrvDriver *driver, DrvDomainObj *obj,
                              DomainDef **config, GError **error);
/* Resolves AFFECT_CURRENT in *@flags (DRV_DOMAIN_AFFECT_*) for @obj
 * (locked) and checks the definitions they name exist, with libvirt's
 * errors. */
bool drv_domain_affect(DrvDomainObj *obj, unsigned int *flags,
                       const char *api, GError **error);
/* Begins a job on a running domain and copies its API socket path (obj
 * locked on entry and exit); NULL with @error set when it is not running
 * or another job holds it. */
char *drv_domain_begin_running(DrvDomainObj *obj, const char *job,
                               GError **error);

/**
 * drv_domain_set_memory:
 * virDomainSetMemoryFlags: with DRV_DOMAIN_MEM_MAXIMUM, <memory> of the
 * persistent definition (currentMemory follows it down); otherwise the
 * memory the guest has, in KiB, which on a running domain is the balloon
 * target (a virtio <memballoon> is needed) and in the definition
 * <currentMemory>.  Both are checked before either changes.
 */
bool drv_domain_set_memory(DrvDriver *driver, DrvDomainObj *obj,
                           uint64_t kib, unsigned int flags, GError **error);
/* virDomainSetMetadata / virDomainGetMetadata (DomainMetadataType
 * @type; DRV_DOMAIN_AFFECT_* @flags).  The persistent definition is
 * rewritten on disk before it changes. */
bool drv_domain_set_metadata(DrvDriver *driver, DrvDomainObj *obj, int type,
                             const char *metadata, const char *key,
                             const char *uri, unsigned int flags, GError **error);
/* (transfer full) */
char *drv_domain_get_metadata(DrvDriver *driver, DrvDomainObj *obj, int type,
                              const char *uri, unsigned int flags, GError **error);
/* (transfer container) references, filtered by DRV_LIST_* @flags. */
GPtrArray *drv_domain_list_all(DrvDriver *driver, unsigned int flags,
                               GError **error);

/* ---- lifecycle (lifecycle.c) ---------------------------------------------- */
bool drv_domain_create(DrvDriver *driver, DrvDomainObj *obj,
                       unsigned int flags, GError **error);
DrvDomainObj *drv_domain_create_xml(DrvDriver *driver, const char *xml,
                                    unsigned int flags, GError **error);
bool drv_domain_shutdown(DrvDriver *driver, DrvDomainObj *obj,
                         unsigned int flags, GError **error);
bool drv_domain_reboot(DrvDriver *driver, DrvDomainObj *obj,
                       unsigned int flags, GError **error);
bool drv_domain_destroy(DrvDriver *driver, DrvDomainObj *obj,
                        unsigned int flags, GError **error);
bool drv_domain_suspend(DrvDriver *driver, DrvDomainObj *obj, GError **error);
bool drv_domain_resume(DrvDriver *driver, DrvDomainObj *obj, GError **error);

typedef struct {
    int state;
    uint64_t max_mem_kib;
    uint64_t memory_kib;
    unsigned int nr_vcpus;
    uint64_t cpu_time_ns;
} DrvDomainInfo;

bool drv_domain_get_info(DrvDriver *driver, DrvDomainObj *obj,
                         DrvDomainInfo *info, GError **error);

/**
 * drv_domain_console_path:
 * The pty of the domain's serial console (@dev_name NULL, "serial0") or of
 * its <console> ("console0"), while running.  (transfer full)  Sets @log
 * to the copier of that pty's <log> (a new reference), else to NULL: the
 * console's output then comes from it, as nimbusd is the pty's reader.
 */
char *drv_domain_console_path(DrvDriver *driver, DrvDomainObj *obj,
                              const char *dev_name, DrvConsoleLog **log,
                              GError **error);
