/* SPDX-License-Identifier: Apache-2.0 */
/* virDomainRename (DOMAIN_RENAME, 358): a shut-off domain's new name. */
#pragma once

#include <stdbool.h>
#include <glib.h>

#include "driver/driver.h"

/**
 * drv_domain_rename:
 * Renames the persistent, shut-off domain @obj (unlocked) to @new_name,
 * with libvirt's rules: no flags, a valid name no other domain has, and
 * no managed save image or snapshot (their files are keyed by the name).
 * The definition, its autostart link and the TPM state move; the events
 * are UNDEFINED/RENAMED under the old name, then DEFINED/RENAMED under the
 * new one.  On failure nothing has changed.
 */
bool drv_domain_rename(DrvDriver *driver, DrvDomainObj *obj,
                       const char *new_name, unsigned int flags,
                       GError **error);
