/* SPDX-License-Identifier: Apache-2.0 */
/* Guest CIDs and host sockets of running domains' <vsock> devices. */
#pragma once

#include <stdbool.h>
#include <glib.h>

#include "driver/driver.h"
#include "driver/xml/domain-conf.h"

/**
 * drv_vsock_prepare:
 * For a domain @name starting (or found running) with @def: reserves its
 * <vsock>'s guest CID among nimbusd's domains (auto='yes': the given one
 * if free, else the lowest free one from 3) and sets it, with nimbus's
 * host socket in the state directory, into @def.  A fixed CID another
 * domain holds is refused.  True when @def has no <vsock>.
 */
bool drv_vsock_prepare(DrvDriver *driver, const char *name, DomainDef *def,
                       GError **error);
/* Gives back what drv_vsock_prepare() reserved for @name (stop). */
void drv_vsock_release(DrvDriver *driver, const char *name);
