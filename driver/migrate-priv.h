/* SPDX-License-Identifier: Apache-2.0 */
/* Helpers the source (migrate.c) and destination (migrate-dest.c) sides share. */
#pragma once

#include <stdbool.h>
#include <glib.h>

#include "driver/migrate.h"

/* Refuses a definition a migration cannot carry yet (host resources made
 * per run: TAPs, vsock CIDs), naming the domain. */
bool drv_migrate_check_def(const DomainDef *def, GError **error);

/* Fills @io's outgoing cookie from @cookie. */
void drv_migrate_cookie_out(const DrvMigrateCookie *cookie,
                            DrvMigrateCookieIO *io);

/* Waits (obj locked) until nimbus reported the end of the migration, it
 * exited, or @deadline (monotonic us; 0: none) passed; then the phase is
 * DONE or FAILED. */
void drv_migrate_wait_locked(DrvDriver *driver, DrvDomainObj *obj,
                             gint64 deadline);
