/* SPDX-License-Identifier: Apache-2.0 */
/* Device manager: builds the VM's device set from its VmConfig. */
#include <config.h>

#include <gio/gio.h>

#include "arch/x86_64/layout.h"
#include "daemon/device-manager.h"
#include "devices/char/chardev.h"
#include "devices/legacy/legacy.h"
#include "devices/registry.h"

/* Device ids of the platform devices (the configurable types' ids are
 * in devices/registry.c). */
#define ID_I8042         "__i8042"
#define ID_CMOS          "__cmos"
#define ID_ACPI_PM       "__acpi_pm"
#define ID_GED           "__ged"
#define ID_DEBUG_PORT    "__debug_port"

static bool
dm_add(Vm *vm, VmmDevice *dev, GError **error)
{
    if (!dev) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_FAILED,
                    "cannot create a platform device");
        return false;
    }
    return vm_add_device(vm, dev, error);
}

static bool
dm_create_platform(Vm *vm, GError **error)
{
    const GuestMemory *mem = vm_memory(vm);
    uint64_t below = 0, above = 0;
    VmmDevice *ged;

    for (unsigned i = 0; i < mem->nregions; i++) {
        if (mem->regions[i].gpa < X86_RAM_64BIT_START)
            below += mem->regions[i].size;
        else
            above += mem->regions[i].size;
    }
    if (!dm_add(vm, i8042_new(vm, ID_I8042), error) ||
        !dm_add(vm, rtc_cmos_new(vm, ID_CMOS, below, above), error) ||
        !dm_add(vm, acpi_pm_new(vm, ID_ACPI_PM), error) ||
        !dm_add(vm, debug_port_new(vm, ID_DEBUG_PORT, 0), error))
        return false;
    ged = ged_new(vm, ID_GED);
    if (!dm_add(vm, ged, error))
        return false;
    vm_platform_info(vm)->ged = true;
    vm_platform_info(vm)->ged_base = ged_get_mmio_base(ged);
    vm_platform_info(vm)->ged_irq = ged_get_irq(ged);
    return true;
}

/* The platform devices, then every configured device through the
 * registry, which creates PCI segment 0 when the first PCI device needs
 * it. */
bool
device_manager_create(Vm *vm, GError **error)
{
    DeviceCreateCtx ctx = { .vm = vm };

    return dm_create_platform(vm, error) &&
           device_registry_create_all(&ctx, vm_get_config(vm), error);
}

void
device_manager_boot_started(Vm *vm)
{
    VmmDevice *dev = vm_find_device(vm, ID_DEBUG_PORT);

    if (dev)
        debug_port_set_boot_time(dev, g_get_monotonic_time());
}

bool
device_manager_power_button(Vm *vm, GError **error)
{
    VmmDevice *ged = vm_find_device(vm, ID_GED);

    if (!ged) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
                    "the VM has no ACPI power button");
        return false;
    }
    ged_notify(ged, GED_EVENT_POWER_BUTTON);
    return true;
}

void
device_manager_restore_terminal(void)
{
    chardev_tty_restore();
}
