/* SPDX-License-Identifier: Apache-2.0 */
/* attach/detach-device and blockresize: nimbus's PCI hotplug through libvirt. */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <glib.h>

#include "driver/driver.h"

/* virDomainBlockResizeFlags: the size is in bytes, not KiB. */
#define DRV_DOMAIN_BLOCK_RESIZE_BYTES (1u << 0)

/**
 * drv_domain_attach_device:
 * virDomainAttachDeviceFlags for one <disk>, <interface>, <memory> or
 * virtiofs <filesystem> (driver/fs-device.c).  @flags:
 * DRV_DOMAIN_AFFECT_* (0: the running definition of a running domain,
 * else the persistent one).  Live: vm.add-disk / vm.add-net, then the live
 * definition shows the device with its alias and PCI address and
 * DEVICE_ADDED is sent.  Config: the persistent definition is rewritten
 * on disk.  Everything is checked before anything changes.
 */
bool drv_domain_attach_device(DrvDriver *driver, DrvDomainObj *obj,
                              const char *xml, unsigned int flags,
                              GError **error);

/**
 * drv_domain_detach_device:
 * virDomainDetachDeviceFlags (@xml) or virDomainDetachDeviceAlias
 * (@alias; exactly one of the two).  Live: vm.remove-device, which
 * returns once the guest let go of the device; DEVICE_REMOVED follows
 * nimbus's device-removed event.  A guest that does not let go sends
 * DEVICE_REMOVAL_FAILED and the device stays.
 */
bool drv_domain_detach_device(DrvDriver *driver, DrvDomainObj *obj,
                              const char *xml, const char *alias,
                              unsigned int flags, GError **error);

/**
 * drv_hotplug_device_removed:
 * nimbus no longer has the device it knows as @vmm_id: drops it from the
 * live definition (obj locked), removes the TAP nimbusd made for it and
 * sends DEVICE_REMOVED.  Nothing when the definition has no such device
 * (already handled).
 */
void drv_hotplug_device_removed(DrvDriver *driver, DrvDomainObj *obj,
                                const char *vmm_id);

/**
 * drv_domain_block_resize:
 * virDomainBlockResize: grows the running domain's disk @disk (target dev
 * or source path) to @size KiB, or bytes with
 * DRV_DOMAIN_BLOCK_RESIZE_BYTES, through vm.resize-disk.
 */
bool drv_domain_block_resize(DrvDriver *driver, DrvDomainObj *obj,
                             const char *disk, uint64_t size,
                             unsigned int flags, GError **error);
