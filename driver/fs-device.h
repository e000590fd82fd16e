/* SPDX-License-Identifier: Apache-2.0 */
/* <filesystem> (virtiofs) attach and detach on a running domain: its virtiofsd and vm.add-fs. */
#pragma once

#include <stdbool.h>
#include <glib.h>

#include "driver/driver.h"
#include "driver/xml/domain-conf.h"

/**
 * drv_fs_attach_live:
 * The live half of attach-device for filesystem @index of @live (a copy
 * of @obj's running definition with the filesystem in it, taken over):
 * names it, starts its virtiofsd, then vm.add-fs; the live XML gets the
 * filesystem with its alias and PCI address, and DEVICE_ADDED is sent.
 * @obj locked, its job held (the lock is dropped while nimbus works).
 * On error the definition is unchanged and no virtiofsd is left.
 */
bool drv_fs_attach_live(DrvDriver *driver, DrvDomainObj *obj,
                        const char *sock, DomainDef *live, guint index,
                        GError **error);

/**
 * drv_fs_removed:
 * nimbus no longer has the filesystem it knew as @vmm_id (the guest let
 * go of it): stops its virtiofsd.  @obj locked.
 */
void drv_fs_removed(DrvDriver *driver, DrvDomainObj *obj,
                    const char *vmm_id);
