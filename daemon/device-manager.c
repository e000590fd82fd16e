/* SPDX-License-Identifier: Apache-2.0 */
/* Device manager: builds the VM's device set from its VmConfig. */
#include <config.h>

#include <gio/gio.h>

#include "arch/arch.h"
#include "daemon/device-manager.h"
#include "devices/char/chardev.h"
#include "devices/pci/pci-bus.h"
#include "devices/virtio/virtio-devices.h"

/* PCI segment 0 and the virtio devices behind it (devices/virtio/): both
 * add their devices to the VM themselves. */
static bool
dm_create_pci(Vm *vm, GError **error)
{
    DeviceHost *host = vm_device_host(vm);
    ArchPlatformInfo *plat = vm_platform_info(vm);
    PciBus *bus = pci_bus_create(host, PCI_ECAM_BASE, error);

    if (!bus)
        return false;
    /* The ACPI MCFG and host bridge _CRS describe the ECAM window. */
    plat->pci_ecam_base = pci_bus_ecam_base(bus);
    plat->pci_ecam_size = pci_bus_ecam_size(bus);
    return virtio_devices_create(host, vm_get_config_mutable(vm), bus, error);
}

bool
device_manager_create(Vm *vm, GError **error)
{
    /* The machine's own devices come from the architecture (arch/<arch>/
     * platform.c), then PCI and what sits on it. */
    return arch_platform_create(vm_device_host(vm), vm_get_config_mutable(vm),
                                vm_platform_info(vm), error) &&
           dm_create_pci(vm, error);
}

void
device_manager_boot_started(Vm *vm)
{
    arch_platform_boot_started(vm_device_host(vm));
}

bool
device_manager_power_button(Vm *vm, GError **error)
{
    return arch_platform_power_button(vm_device_host(vm), error);
}

void
device_manager_restore_terminal(void)
{
    chardev_tty_restore();
}
