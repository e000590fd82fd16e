/* SPDX-License-Identifier: Apache-2.0 */
/* <memory> devices through libvirt: update-memory-device on virtio-mem. */
#pragma once

#include <stdbool.h>
#include <glib.h>

#include "driver/driver.h"
#include "driver/update-device.h"

/* update-device of a <memory> element: a virtio-mem device's <requested>,
 * live through vm.resize desired_ram (driver/update-device.c's table). */
extern const DrvDeviceUpdateOps drv_memory_update_ops;

/**
 * drv_memory_attach_live:
 * The live half of attach-device for the memory device @index of @live
 * (a copy of @obj's running definition with the device in it, taken
 * over): a virtio-pmem through vm.add-pmem (the live XML gets its PCI
 * address), a DIMM through vm.resize desired_ram.  @obj locked, its job
 * held (the lock is dropped while nimbus works); DEVICE_ADDED on success.
 */
bool drv_memory_attach_live(DrvDriver *driver, DrvDomainObj *obj,
                            const char *sock, DomainDef *live, guint index,
                            GError **error);

/**
 * drv_memory_refresh_current:
 * For the live XML of @obj (locked): reads vm.info's memory_actual_size
 * and records what the guest plugged as the virtio-mem device's
 * <current>, with a MEMORY_DEVICE_SIZE_CHANGE event through @driver when
 * it moved.  Drops the lock while nimbus answers; does nothing for a
 * domain without virtio-mem, and keeps the last value if nimbus does not
 * answer (the XML is still shown).  After update-memory-device a thread
 * does the same twice a second until the guest has what it was asked.
 */
void drv_memory_refresh_current(DrvDriver *driver, DrvDomainObj *obj);
