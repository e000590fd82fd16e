/* SPDX-License-Identifier: Apache-2.0 */
/* vm.resize-zone: a memory zone's virtio-mem device, and what the zones plugged. */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <glib.h>

#include "config/vm-config.h"
#include "daemon/vm.h"

/**
 * vmm_zone_resize:
 * vm.resize-zone (CH's VmResizeZone): memory zone @id is to hold
 * @desired_ram bytes in all, its size plus what its virtio-mem device
 * plugs of its hotplug region.  On a booted @vm the device asks the
 * driver for the difference; without one (created, not booted) only
 * @config changes, and the boot plugs it.  @config's zone records it as
 * hotplugged_size (vm.info, snapshots, migration).  Errors are VMM_ERROR
 * (their codes the HTTP status); on error nothing changed.
 */
bool vmm_zone_resize(Vm *vm, VmConfig *config, const char *id,
                     uint64_t desired_ram, GError **error);

/* Bytes the zones' virtio-mem devices have plugged in @vm (0: none). */
uint64_t vmm_zone_plugged(Vm *vm, const VmConfig *config);
