/* SPDX-License-Identifier: Apache-2.0 */
/* virDomainUpdateDeviceFlags: a per-device-kind dispatch for update-device. */
#pragma once

#include <stdbool.h>
#include <glib.h>

#include "driver/driver.h"
#include "driver/xml/domain-conf.h"

/**
 * DrvDeviceUpdateOps:
 * What update-device means for one device element.  A kind slots in with
 * one entry in update-device.c's table (the element name is the key).
 * @element: the device XML's root element ("disk", "interface").
 * @config: the persistent definition @def with the device of @xml
 *   replaced (transfer full), or NULL with @error; nothing else changes.
 *   NULL when the kind has no persistent update.
 * @live: changes the running domain @obj (locked; a job may be taken)
 *   as @xml says, or refuses with libvirt's words.  NULL when the kind
 *   has no live update.
 */
typedef struct {
    const char *element;
    DomainDef *(*config)(const DomainDef *def, const char *xml,
                         GError **error);
    bool (*live)(DrvDriver *driver, DrvDomainObj *obj, const char *xml,
                 GError **error);
} DrvDeviceUpdateOps;

/* The entry for device element @element, or NULL. */
const DrvDeviceUpdateOps *drv_device_update_ops_find(const char *element);

/**
 * drv_domain_update_device:
 * virDomainUpdateDeviceFlags.  @flags: DRV_DOMAIN_AFFECT_* (0: the
 * running definition of a running domain, else the persistent one).
 * The persistent copy is prepared first, so that a refusal of either
 * part changes nothing; it is written atomically after the live part.
 */
bool drv_domain_update_device(DrvDriver *driver, DrvDomainObj *obj,
                              const char *xml, unsigned int flags,
                              GError **error);
