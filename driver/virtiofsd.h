/* SPDX-License-Identifier: Apache-2.0 */
/* The virtiofsd nimbusd runs for each <filesystem> of a domain: start and stop. */
#pragma once

#include <stdbool.h>
#include <glib.h>

#include "driver/driver.h"
#include "driver/xml/domain-conf.h"

/* The private directory (0700) of @name's virtiofsd sockets, pid files
 * and logs, in the state directory.  (transfer full) */
char *drv_virtiofsd_dir(DrvDriver *driver, const char *name);

/**
 * drv_virtiofsd_prepare:
 * For domain @name starting with @def: starts one virtiofsd per
 * <filesystem> (the <binary path>, else the host's: the Rust virtiofsd
 * or QEMU's) sharing its source directory on a vhost-user socket in
 * drv_virtiofsd_dir(), waits for the sockets and sets them into @def for
 * nimbus's --fs.  A missing virtiofsd or source directory is refused
 * before anything starts.  True when @def has no <filesystem>.  On error
 * nothing is left running.
 */
bool drv_virtiofsd_prepare(DrvDriver *driver, const char *name,
                           DomainDef *def, GError **error);
/* Stops the virtiofsd of @name, if any runs, and removes their sockets and
 * pid files (domain stop, failed start); the logs stay. */
void drv_virtiofsd_release(DrvDriver *driver, const char *name);
