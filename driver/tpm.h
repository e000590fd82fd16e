/* SPDX-License-Identifier: Apache-2.0 */
/* The swtpm nimbusd runs for a domain's <tpm>: its state directory, start and stop. */
#pragma once

#include <stdbool.h>
#include <glib.h>

#include "driver/driver.h"
#include "driver/xml/domain-conf.h"

/* Where the TPM state of domain @name lives (with its definition, so it
 * survives restarts of the domain and of nimbusd).  (transfer full) */
char *drv_tpm_state_dir(DrvDriver *driver, const char *name);

/**
 * drv_tpm_prepare:
 * For domain @name starting with @def: when it has a <tpm>, starts
 * "swtpm socket --tpm2" on its state directory (created on first use)
 * with its control socket in nimbusd's state directory, waits for the
 * socket and sets it into @def for nimbus's --tpm.  True when @def has
 * no <tpm>.  On error nothing is left running.
 */
bool drv_tpm_prepare(DrvDriver *driver, const char *name, DomainDef *def,
                     GError **error);
/* Stops the swtpm of @name, if one runs (domain stop, failed start). */
void drv_tpm_release(DrvDriver *driver, const char *name);
