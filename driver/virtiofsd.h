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

/**
 * drv_virtiofsd_start_one:
 * For filesystem @i that attach-device adds to running domain @name
 * (@def: its new running definition, the filesystem named already):
 * the checks of drv_virtiofsd_prepare(), then its virtiofsd, whose
 * socket is set into @def.  The others are left alone.  On error nothing
 * is left running.
 */
bool drv_virtiofsd_start_one(DrvDriver *driver, const char *name,
                             DomainDef *def, guint i, GError **error);
/* Stops the virtiofsd of the filesystem nimbus knows as @id (the guest
 * let go of it, or its attach failed) and removes its socket and pid
 * file; nothing when none runs. */
void drv_virtiofsd_stop_one(DrvDriver *driver, const char *name,
                            const char *id);
