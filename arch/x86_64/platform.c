/* SPDX-License-Identifier: Apache-2.0 */
/* x86_64 platform hook: the PC devices (UART, i8042, CMOS, ACPI PM, GED, PCI/CPU hotplug, ...). */
#include <config.h>

#include <string.h>
#include <gio/gio.h>

#include "arch/arch.h"
#include "arch/x86_64/layout.h"
#include "arch/x86_64/e820.h"
#include "devices/legacy/cpu-hotplug.h"
#include "devices/legacy/fw-cfg.h"
#include "devices/legacy/memory-hotplug.h"
#include "devices/legacy/legacy.h"
#include "devices/pci/pci-hotplug.h"
#include "devices/registry.h"

/* Device ids, as Cloud Hypervisor names its platform devices where it
 * has them ("__serial", "__debug_console"). */
#define ID_I8042         "__i8042"
#define ID_CMOS          "__cmos"
#define ID_ACPI_PM       "__acpi_pm"
#define ID_GED           "__ged"
#define ID_DEBUG_PORT    "__debug_port"

static bool
x86_platform_add(DeviceHost *host, VmmDevice *dev, GError **error)
{
    if (!dev) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_FAILED,
                    "cannot create a platform device");
        return false;
    }
    return device_host_add_device(host, dev, error);
}

/* The 16550 at 0x3f8 (COM1, IRQ 4), when --serial is on. */
static bool
x86_platform_serial(DeviceHost *host, ArchPlatformConsoles *cons,
                    ArchPlatformInfo *plat, GError **error)
{
    VmmDevice *dev;

    if (!cons->serial)
        return true;
    dev = serial8250_new(host, DEVICE_ID_SERIAL, SERIAL8250_COM1_BASE,
                         SERIAL8250_COM1_GSI, g_steal_pointer(&cons->serial));
    if (!x86_platform_add(host, dev, error))
        return false;
    /* The DSDT describes COM1 only when it exists. */
    plat->serial = true;
    return true;
}

/* Cloud Hypervisor's debug console: one port (0xe9 by default). */
static bool
x86_platform_debug_console(DeviceHost *host, ArchPlatformConsoles *cons,
                           GError **error)
{
    VmmDevice *dev;

    if (!cons->debug_console)
        return true;
    dev = debug_console_new(host, DEVICE_ID_DEBUG_CONSOLE,
                            cons->debug_console_iobase,
                            g_steal_pointer(&cons->debug_console));
    return x86_platform_add(host, dev, error);
}

/* CH's ACPI PCI hotplug controller, which interrupts through @ged: its
 * window, allocated at realize, goes into the DSDT's PHPR. */
static bool
x86_platform_pci_hotplug(DeviceHost *host, VmmDevice *ged,
                         ArchPlatformInfo *plat, GError **error)
{
    VmmDevice *hp = pci_hotplug_new(host, PCI_HOTPLUG_ID, ged);

    if (!x86_platform_add(host, hp, error))
        return false;
    plat->pci_hotplug_base = pci_hotplug_get_mmio_base(hp);
    return true;
}

/* The devices every PC has, whatever the config says. */
static bool
x86_platform_fixed(DeviceHost *host, ArchPlatformInfo *plat, GError **error)
{
    const GuestMemory *mem = device_host_memory(host);
    uint64_t below = 0, above = 0;
    VmmDevice *ged;

    /* The CMOS memory-size registers count RAM below and above 4 GiB. */
    for (unsigned i = 0; i < mem->nregions; i++) {
        if (mem->regions[i].hotplug)
            continue;
        if (mem->regions[i].gpa < X86_RAM_64BIT_START)
            below += mem->regions[i].size;
        else
            above += mem->regions[i].size;
    }
    if (!x86_platform_add(host, i8042_new(host, ID_I8042), error) ||
        !x86_platform_add(host, rtc_cmos_new(host, ID_CMOS, below, above),
                          error) ||
        !x86_platform_add(host, acpi_pm_new(host, ID_ACPI_PM), error) ||
        !x86_platform_add(host, debug_port_new(host, ID_DEBUG_PORT, 0), error))
        return false;
    ged = ged_new(host, ID_GED);
    if (!x86_platform_add(host, ged, error))
        return false;
    /* GED's window and IRQ are allocated at realize: read them back for
     * the DSDT's GED device. */
    plat->ged = true;
    plat->ged_base = ged_get_mmio_base(ged);
    plat->ged_irq = ged_get_irq(ged);
    return x86_platform_pci_hotplug(host, ged, plat, error);
}

bool
arch_platform_create(DeviceHost *host, ArchPlatformConsoles *consoles,
                     ArchPlatformInfo *platform, GError **error)
{
    bool ok = x86_platform_fixed(host, platform, error) &&
              x86_platform_serial(host, consoles, platform, error) &&
              x86_platform_debug_console(host, consoles, error);

    /* What no device took (an earlier step failed) goes now. */
    g_clear_pointer(&consoles->serial, chardev_free);
    g_clear_pointer(&consoles->debug_console, chardev_free);
    return ok;
}

/* etc/e820: the map the guest boots with (x86_e820_build()), in QEMU's
 * format: packed little-endian {u64 address, u64 length, u32 type}. */
static GBytes *
x86_platform_fw_cfg_e820(DeviceHost *host)
{
    X86E820Entry map[X86_E820_MAX_ENTRIES];
    unsigned n = x86_e820_build(device_host_memory(host), map,
                                G_N_ELEMENTS(map));
    uint8_t *buf = g_malloc0((gsize)n * FW_CFG_E820_ENTRY_SIZE);

    for (unsigned i = 0; i < n; i++) {
        uint8_t *e = buf + (gsize)i * FW_CFG_E820_ENTRY_SIZE;
        uint64_t addr = GUINT64_TO_LE(map[i].addr);
        uint64_t size = GUINT64_TO_LE(map[i].size);
        uint32_t type = GUINT32_TO_LE(map[i].type);

        memcpy(e, &addr, 8);
        memcpy(e + 8, &size, 8);
        memcpy(e + 16, &type, 4);
    }
    return g_bytes_new_take(buf, (gsize)n * FW_CFG_E820_ENTRY_SIZE);
}

bool
arch_platform_fw_cfg(DeviceHost *host, const PayloadConfig *payload,
                     ArchPlatformInfo *platform, GError **error)
{
    VmmDevice *dev;

    if (!payload->fw_cfg_config)
        return true;
    dev = fw_cfg_new(host, FW_CFG_ID);
    if (payload->fw_cfg_config->e820) {
        g_autoptr(GBytes) e820 = x86_platform_fw_cfg_e820(host);

        if (!fw_cfg_add_file(dev, "etc/e820", e820, error)) {
            vmm_device_free(dev);
            return false;
        }
    }
    if (!fw_cfg_load_payload(dev, payload, error)) {
        vmm_device_free(dev);
        return false;
    }
    if (!x86_platform_add(host, dev, error))
        return false;
    /* The DSDT describes it only when it exists. */
    platform->fw_cfg = true;
    return true;
}

VmmDevice *
arch_platform_cpu_hotplug(DeviceHost *host, uint32_t max_vcpus,
                          uint32_t present, ArchPlatformInfo *platform,
                          GError **error)
{
    VmmDevice *ged = device_host_find_device(host, ID_GED);
    VmmDevice *hp;

    if (!ged) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
                    "the VM has no ACPI GED to announce vCPU hotplug with");
        return NULL;
    }
    hp = cpu_hotplug_new(host, CPU_HOTPLUG_ID, ged, max_vcpus, present);
    if (!x86_platform_add(host, hp, error))
        return NULL;
    /* Its window, allocated at realize, goes into the DSDT's PRES. */
    platform->cpu_hotplug_base = cpu_hotplug_get_mmio_base(hp);
    return hp;
}

VmmDevice *
arch_platform_memory_hotplug(DeviceHost *host, uint64_t region_gpa,
                             uint64_t region_size, uint64_t slot_size,
                             uint64_t plugged, ArchPlatformInfo *platform,
                             GError **error)
{
    VmmDevice *ged = device_host_find_device(host, ID_GED);
    VmmDevice *hp;

    if (!ged) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
                    "the VM has no ACPI GED to announce memory hotplug with");
        return NULL;
    }
    hp = memory_hotplug_new(host, MEMORY_HOTPLUG_ID, ged, region_gpa,
                            region_size, slot_size, plugged);
    if (!hp) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                    "cannot cut a %" G_GUINT64_FORMAT "-byte hotplug region "
                    "into DIMM slots of %" G_GUINT64_FORMAT " bytes",
                    region_size, slot_size);
        return NULL;
    }
    if (!x86_platform_add(host, hp, error))
        return NULL;
    /* Its window, allocated at realize, and the slots go into the DSDT's
     * MHPC. */
    platform->mem_hotplug_base = memory_hotplug_get_mmio_base(hp);
    platform->mem_hotplug_region_gpa = region_gpa;
    platform->mem_hotplug_slot_size = slot_size;
    platform->mem_hotplug_nslots = (uint32_t)(region_size / slot_size);
    return hp;
}

void
arch_platform_boot_started(DeviceHost *host)
{
    VmmDevice *dev = device_host_find_device(host, ID_DEBUG_PORT);

    if (dev)
        debug_port_set_boot_time(dev, g_get_monotonic_time());
}

bool
arch_platform_power_button(DeviceHost *host, GError **error)
{
    VmmDevice *ged = device_host_find_device(host, ID_GED);

    if (!ged) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
                    "the VM has no ACPI power button");
        return false;
    }
    ged_notify(ged, GED_EVENT_POWER_BUTTON);
    return true;
}
