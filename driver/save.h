/* SPDX-License-Identifier: Apache-2.0 */
/* virDomainSave/Restore, save images and managed save (driver/save.c). */
#pragma once

#include <stdbool.h>
#include <glib.h>

#include "driver/driver.h"

/* virDomainSaveRestoreFlags (libvirt's values). */
#define DRV_DOMAIN_SAVE_BYPASS_CACHE (1u << 0)
#define DRV_DOMAIN_SAVE_RUNNING      (1u << 1)
#define DRV_DOMAIN_SAVE_PAUSED       (1u << 2)
#define DRV_DOMAIN_SAVE_RESET_NVRAM  (1u << 3)

/**
 * drv_domain_save:
 * virDomainSaveFlags: pauses the domain, has nimbus snapshot it, writes
 * the save image at @path (atomically), then stops the domain (STOPPED
 * SAVED).  On failure the domain runs on as before.  @dxml (nullable):
 * the XML to store instead of the live one; it must describe the same
 * VMM configuration.
 */
bool drv_domain_save(DrvDriver *driver, DrvDomainObj *obj, const char *path,
                     const char *dxml, unsigned int flags, GError **error);

/**
 * drv_domain_restore:
 * virDomainRestoreFlags: checks and unpacks the image at @path, finds or
 * adds its domain (same name and uuid, else refused), starts nimbus from
 * the snapshot (STARTED RESTORED); running or paused as the image says,
 * unless DRV_DOMAIN_SAVE_RUNNING/_PAUSED says otherwise.
 */
bool drv_domain_restore(DrvDriver *driver, const char *path,
                        const char *dxml, unsigned int flags, GError **error);

/* virDomainSaveImageGetXMLDesc: the XML in @path's header.  (transfer full) */
char *drv_domain_save_image_get_xml(DrvDriver *driver, const char *path,
                                    unsigned int flags, GError **error);
/* virDomainSaveImageDefineXML: replaces the XML (same VMM configuration)
 * and, with RUNNING/PAUSED, the state restore goes to. */
bool drv_domain_save_image_define_xml(DrvDriver *driver, const char *path,
                                      const char *dxml, unsigned int flags,
                                      GError **error);

/* ---- managed save ---------------------------------------------------- */

/* <config_dir>/save/<name>.save (transfer full). */
char *drv_managed_save_path(DrvDriver *driver, const char *name);
/* Whether @obj's managed save image exists (lock not needed). */
bool drv_managed_save_exists(DrvDriver *driver, DrvDomainObj *obj);

bool drv_domain_managed_save(DrvDriver *driver, DrvDomainObj *obj,
                             unsigned int flags, GError **error);
bool drv_domain_managed_save_remove(DrvDriver *driver, DrvDomainObj *obj,
                                    unsigned int flags, GError **error);
char *drv_domain_managed_save_get_xml(DrvDriver *driver, DrvDomainObj *obj,
                                      unsigned int flags, GError **error);
bool drv_domain_managed_save_define_xml(DrvDriver *driver, DrvDomainObj *obj,
                                        const char *dxml, unsigned int flags,
                                        GError **error);

/**
 * drv_managed_save_start:
 * For start (obj locked, job held, inactive): if a managed save image
 * exists, restores it (@paused, or as it was saved) and removes it; with
 * FORCE_BOOT the image is discarded instead and nothing starts.
 * *@started tells whether this call started the domain.
 */
bool drv_managed_save_start(DrvDriver *driver, DrvDomainObj *obj,
                            unsigned int start_flags, bool *started,
                            GError **error);
