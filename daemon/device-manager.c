/* SPDX-License-Identifier: Apache-2.0 */
/* Device manager: builds the VM's device set from its VmConfig. */
#include <config.h>

#include <string.h>
#include <gio/gio.h>

#include "arch/arch.h"
#include "config/vm-config-numa.h"
#include "daemon/device-manager.h"
#include "devices/char/chardev.h"
#include "devices/pci/pci-bus.h"
#include "devices/registry.h"
#include "devices/virtio/mem.h"

/* arch/ cannot see devices/pci: the same bound, one slot per function. */
G_STATIC_ASSERT(sizeof(((ArchPlatformInfo *)0)->viommu_endpoints) ==
                sizeof(((DeviceIommuTopology *)0)->endpoints));

/* Opens the backend of a platform console (--serial, --debug-console);
 * *be stays NULL when the console is off. */
static bool
dm_open_console(Vm *vm, const ConsoleConfig *con, const char *option,
                CharBackend **be, GError **error)
{
    *be = NULL;
    if (con->mode == CONSOLE_MODE_OFF)
        return true;
    *be = chardev_new(con, option, vm_main_context(vm), error);
    return *be != NULL;
}

/* A pty's path is a runtime fact of the device on it (vm.info's runtime
 * member, and serial.file of the config it reports): never the config's. */
static void
dm_record_pty(Vm *vm, const char *id, const char *pty)
{
    VmmDevice *dev = pty ? vm_find_device(vm, id) : NULL;

    if (dev) {
        g_free(dev->runtime.pty);
        dev->runtime.pty = g_strdup(pty);
    }
}

/* The machine's own devices come from the architecture (arch/<arch>/
 * platform.c); the consoles it puts on them are opened here. */
static bool
dm_create_platform(Vm *vm, GError **error)
{
    const VmConfig *cfg = vm_get_config(vm);
    ArchPlatformConsoles cons = {
        .debug_console_iobase = (uint16_t)cfg->debug_console.iobase,
    };
    g_autofree char *serial_pty = NULL;
    g_autofree char *debug_pty = NULL;

    if (!dm_open_console(vm, &cfg->serial, "--serial", &cons.serial, error))
        return false;
    if (!dm_open_console(vm, &cfg->debug_console, "--debug-console",
                         &cons.debug_console, error)) {
        g_clear_pointer(&cons.serial, chardev_free);
        return false;
    }
    /* Read now: the platform takes the backends. */
    if (cons.serial)
        serial_pty = g_strdup(chardev_get_pty_path(cons.serial));
    if (cons.debug_console)
        debug_pty = g_strdup(chardev_get_pty_path(cons.debug_console));
    if (!arch_platform_create(vm_device_host(vm), &cons, vm_platform_info(vm),
                              error) ||
        !arch_platform_fw_cfg(vm_device_host(vm), &cfg->payload,
                              vm_platform_info(vm), error))
        return false;
    dm_record_pty(vm, DEVICE_ID_SERIAL, serial_pty);
    dm_record_pty(vm, DEVICE_ID_DEBUG_CONSOLE, debug_pty);
    return true;
}

/* --memory hotplug_method=virtio-mem: the device of the hotplug region
 * (daemon/vm.c mapped it), after the configured devices as CH adds it. */
static bool
dm_create_virtio_mem(DeviceCreateCtx *ctx, const MemoryConfig *m,
                     GError **error)
{
    if (m->hotplug_size == 0 || m->hotplug_method != MEMORY_HOTPLUG_VIRTIO_MEM)
        return true;
    return device_create_virtio_pci(ctx, virtio_mem_new(ctx->host,
                                                        VIRTIO_MEM_DEVICE_ID,
                                                        m->hotplugged_size,
                                                        error),
                                    -1, error) != NULL;
}

/* Each memory zone with hotplug_size: a virtio-mem device named after
 * the zone (CH) over the zone's hotplug region, where the layout the VM
 * mapped (arch_ram_zone_ranges(), daemon/vm.c) put it, in the zone's
 * NUMA node. */
static bool
dm_create_zone_virtio_mems(DeviceCreateCtx *ctx, const VmConfig *cfg,
                           GError **error)
{
    GuestRange ranges[GUEST_MEM_MAX_REGIONS];
    unsigned zone_of[GUEST_MEM_MAX_REGIONS];
    unsigned n;

    if (!cfg->memory.zones || cfg->memory.zones->len == 0)
        return true;
    n = arch_ram_zone_ranges(&cfg->memory, ranges, zone_of,
                             G_N_ELEMENTS(ranges));
    for (unsigned i = 0; i < n; i++) {
        const MemoryZoneConfig *z;
        const NumaConfig *node;

        if (!ranges[i].hotplug)
            continue;
        z = g_ptr_array_index(cfg->memory.zones, zone_of[i]);
        node = vm_config_numa_of_zone(cfg, z->id);
        if (!device_create_virtio_pci(
                ctx, virtio_mem_new_at(ctx->host, z->id, ranges[i].start,
                                       node ? (int)node->guest_numa_id : -1,
                                       z->hotplugged_size, error),
                -1, error))
            return false;
    }
    return true;
}

/* --memory hotplug_method=acpi: the DIMM slots' controller over the
 * hotplug region (daemon/vm.c mapped it), hotplugged_size plugged. */
static bool
dm_create_acpi_dimms(Vm *vm, const MemoryConfig *m, GError **error)
{
    const GuestMemory *mem = vm_memory(vm);

    if (m->hotplug_size == 0 || m->hotplug_method != MEMORY_HOTPLUG_ACPI)
        return true;
    for (unsigned i = 0; i < mem->nregions; i++) {
        const GuestRegion *r = &mem->regions[i];

        if (r->hotplug)
            return arch_platform_memory_hotplug(
                       vm_device_host(vm), r->gpa, r->size,
                       vm_config_acpi_slot_size(r->size), m->hotplugged_size,
                       vm_platform_info(vm), error) != NULL;
    }
    g_set_error(error, G_IO_ERROR, G_IO_ERROR_FAILED,
                "the VM has no memory hotplug region for its DIMM slots");
    return false;
}

/* The platform devices, PCI segment 0, then every configured device
 * through the registry, then the memory hotplug device. */
bool
device_manager_create(Vm *vm, GError **error)
{
    DeviceCreateCtx ctx = { .host = vm_device_host(vm) };
    ArchPlatformInfo *plat = vm_platform_info(vm);

    if (!dm_create_platform(vm, error) ||
        !(ctx.bus = pci_bus_create(ctx.host, PCI_ECAM_BASE, error)))
        return false;
    /* The ACPI MCFG and host bridge _CRS describe the ECAM window. */
    plat->pci_ecam_base = pci_bus_ecam_base(ctx.bus);
    plat->pci_ecam_size = pci_bus_ecam_size(ctx.bus);
    /* BARs decode only inside the windows the host bridge's _CRS gives
     * the guest (docs/security.md, hostile guests). */
    pci_bus_set_windows(ctx.bus, (const PciWindow[]){
                            { plat->mmio32_base, plat->mmio32_size },
                            { plat->mmio64_base, plat->mmio64_size } }, 2);
    if (!device_registry_create_all(&ctx, vm_get_config(vm), error))
        return false;
    /* The firmware tables say which functions the IOMMU translates. */
    plat->viommu = ctx.iommu.present;
    plat->viommu_bdf = ctx.iommu.bdf;
    plat->n_viommu_endpoints = ctx.iommu.n_endpoints;
    memcpy(plat->viommu_endpoints, ctx.iommu.endpoints,
           sizeof(plat->viommu_endpoints));
    return dm_create_virtio_mem(&ctx, &vm_get_config(vm)->memory, error) &&
           dm_create_zone_virtio_mems(&ctx, vm_get_config(vm), error) &&
           dm_create_acpi_dimms(vm, &vm_get_config(vm)->memory, error);
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
