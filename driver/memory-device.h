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
 * drv_memory_refresh_current:
 * For the live XML of @obj (locked): reads vm.info's memory_actual_size
 * and records what the guest plugged as the virtio-mem device's
 * <current>.  Drops the lock while nimbus answers; does nothing for a
 * domain without virtio-mem, and keeps the last value if nimbus does not
 * answer (the XML is still shown).
 */
void drv_memory_refresh_current(DrvDomainObj *obj);
