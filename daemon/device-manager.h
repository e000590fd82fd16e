/* SPDX-License-Identifier: Apache-2.0 */
/* Device manager: builds the VM's device set from its VmConfig. */
#pragma once

#include <stdbool.h>
#include <glib.h>

#include "daemon/vm.h"

/* Creates and realizes every device the config asks for (platform devices,
 * consoles, PCI and virtio) and fills vm_platform_info(): the platform
 * devices through the arch hook arch_platform_create(). */
bool device_manager_create(Vm *vm, GError **error);
/* The vCPUs are about to start (boot or reboot): time origin of the
 * debug port's boot-progress log. */
void device_manager_boot_started(Vm *vm);
/* Presses the ACPI power button (GED notification). */
bool device_manager_power_button(Vm *vm, GError **error);
/* Restores terminal state changed by tty backends; safe from any thread
 * and at exit. */
void device_manager_restore_terminal(void);
