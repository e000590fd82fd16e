/* SPDX-License-Identifier: Apache-2.0 */
/* Device manager: builds the VM's device set from its VmConfig. */
#include <config.h>

#include <gio/gio.h>

#include "arch/arch.h"
#include "daemon/device-manager.h"
#include "devices/char/chardev.h"
#include "devices/pci/pci-bus.h"
#include "devices/virtio/virtio-devices.h"

/* Opens the backend of a platform console (--serial, --debug-console);
 * *be stays NULL when the console is off.  A pty's path is recorded in the
 * config, which is how vm.info (and libvirt) learn it. */
static bool
dm_open_console(Vm *vm, ConsoleConfig *con, const char *option,
                CharBackend **be, GError **error)
{
    *be = NULL;
    if (con->mode == CONSOLE_MODE_OFF)
        return true;
    *be = chardev_new(con, option, vm_main_context(vm), error);
    if (!*be)
        return false;
    if (con->mode == CONSOLE_MODE_PTY) {
        g_free(con->file);
        con->file = g_strdup(chardev_get_pty_path(*be));
    }
    return true;
}

/* The machine's own devices come from the architecture (arch/<arch>/
 * platform.c); the consoles it puts on them are opened here. */
static bool
dm_create_platform(Vm *vm, GError **error)
{
    VmConfig *cfg = vm_get_config_mutable(vm);
    ArchPlatformConsoles cons = {
        .debug_console_iobase = (uint16_t)cfg->debug_console.iobase,
    };

    if (!dm_open_console(vm, &cfg->serial, "--serial", &cons.serial, error))
        return false;
    if (!dm_open_console(vm, &cfg->debug_console, "--debug-console",
                         &cons.debug_console, error)) {
        g_clear_pointer(&cons.serial, chardev_free);
        return false;
    }
    return arch_platform_create(vm_device_host(vm), &cons,
                                vm_platform_info(vm), error);
}

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
    return dm_create_platform(vm, error) && dm_create_pci(vm, error);
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
