/* SPDX-License-Identifier: Apache-2.0 */
/* Live migration between nimbusd daemons: libvirt's v3 params sequence (driver/migrate.c). */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <glib.h>

#include "driver/driver.h"
#include "driver/migrate-params.h"

/*
 * Source: BEGIN (XML + cookie), PERFORM (vm.send-migration to the URL the
 * destination gave; with PEER2PEER the source daemon also calls PREPARE
 * and FINISH on the destination itself), CONFIRM (the source domain stops,
 * STOPPED MIGRATED).  Destination: PREPARE (a nimbus with no VM listens:
 * vm.receive-migration; the domain is PAUSED/MIGRATION, STARTED MIGRATED),
 * FINISH (waits for the VMM's verdict; RESUMED MIGRATED, or the domain
 * goes).  A failure before the hand-over leaves the source running.
 * Cookies and parameters: driver/migrate-params.h.  docs/migration.md.
 */

/* A cookie in and out of a step: bytes and length (transfer full out). */
typedef struct {
    const void *in;
    size_t in_len;
    char *out;
    size_t out_len;
} DrvMigrateCookieIO;

/* BEGIN3: the XML the destination defines, and the cookie. */
char *drv_migrate_begin(DrvDriver *driver, DrvDomainObj *obj,
                        const DrvMigrateParams *params, unsigned int flags,
                        DrvMigrateCookieIO *cookie, GError **error);

/* PREPARE3 (destination): (transfer full) the URL the source sends to. */
char *drv_migrate_prepare(DrvDriver *driver, const DrvMigrateParams *params,
                          unsigned int flags, DrvMigrateCookieIO *cookie,
                          GError **error);

/* PERFORM3: sends @obj; with DRV_MIGRATE_PEER2PEER the whole migration
 * to the daemon at @dconnuri. */
bool drv_migrate_perform(DrvDriver *driver, DrvDomainObj *obj,
                         const char *dconnuri, const DrvMigrateParams *params,
                         unsigned int flags, DrvMigrateCookieIO *cookie,
                         GError **error);

/* FINISH3 (destination): (transfer full) the running domain, or NULL
 * (always when @cancelled: the incoming domain is discarded). */
DrvDomainObj *drv_migrate_finish(DrvDriver *driver,
                                 const DrvMigrateParams *params,
                                 unsigned int flags, bool cancelled,
                                 DrvMigrateCookieIO *cookie, GError **error);

/* CONFIRM3 (source): stops the migrated domain, or (@cancelled) leaves
 * it running. */
bool drv_migrate_confirm(DrvDriver *driver, DrvDomainObj *obj,
                         unsigned int flags, bool cancelled,
                         DrvMigrateCookieIO *cookie, GError **error);

/* virDomainGetJobStats' numbers (libvirt's VIR_DOMAIN_JOB_* types). */
#define DRV_JOB_NONE 0
#define DRV_JOB_UNBOUNDED 2
#define DRV_JOB_COMPLETED 3
#define DRV_JOB_FAILED 4
#define DRV_JOB_STATS_COMPLETED (1u << 0)
#define DRV_JOB_STATS_KEEP_COMPLETED (1u << 1)

typedef struct {
    int type;                   /* DRV_JOB_* */
    uint64_t elapsed_ms;
    uint64_t memory_total;      /* bytes of guest RAM */
    unsigned int iterations;    /* pre-copy passes begun */
    bool outgoing;
} DrvMigrateJobInfo;

/* The migration running on @obj, or with DRV_JOB_STATS_COMPLETED the last
 * one that ended (type NONE if there is none). */
bool drv_migrate_get_job_info(DrvDriver *driver, DrvDomainObj *obj,
                              unsigned int flags, DrvMigrateJobInfo *info,
                              GError **error);

/* virDomainMigrateSetMaxDowntime: the downtime_ms of later sends. */
bool drv_migrate_set_max_downtime(DrvDriver *driver, DrvDomainObj *obj,
                                  uint64_t ms, unsigned int flags,
                                  GError **error);

/* nimbus's default downtime_ms, which migrate-getmaxdowntime reports
 * until migrate-setmaxdowntime changed it (CH's default too). */
#define DRV_MIGRATE_DEFAULT_DOWNTIME_MS 300

/* virDomainMigrateGetMaxDowntime: what later sends will use. */
bool drv_migrate_get_max_downtime(DrvDriver *driver, DrvDomainObj *obj,
                                  unsigned int flags, uint64_t *ms,
                                  GError **error);

/* virDomainAbortJob on a domain sending a migration: asks its nimbus to
 * cancel (vm.nimbus-cancel-migration) and returns; the PERFORM waiting
 * for it fails with OPERATION_ABORTED and the domain runs on.  Refused
 * (OPERATION_INVALID) with no outgoing migration, on the receiving side,
 * and once nimbus is completing the hand-over. */
bool drv_migrate_abort_job(DrvDriver *driver, DrvDomainObj *obj,
                           unsigned int flags, GError **error);

/* A "migration-*" VMM event of @obj's nimbus (obj locked). */
void drv_migrate_vmm_event(DrvDomainObj *obj, const char *event);

/* Whether @obj's nimbus exited after handing its VM over and CONFIRM
 * will stop the domain (obj locked): the exit is not a shutdown. */
bool drv_migrate_awaits_confirm(const DrvDomainObj *obj);
