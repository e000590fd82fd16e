/* SPDX-License-Identifier: Apache-2.0 */
/* Architecture hooks: exactly one arch/<arch>/ implements them (chosen at configure time). */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <glib.h>

#include "daemon/hv/hv.h"
#include "config/vm-config.h"
#include "devices/char/chardev.h"
#include "devices/device-host.h"
#include "devices/guest-memory.h"

/*
 * arch/ never sees the Vm: the core calls these hooks with what each one
 * needs (config, memory, the hypervisor backend, the DeviceHost devices
 * are created on), and arch code reaches the VM through nothing else.
 */

/**
 * ArchPlatformInfo:
 * Where the platform pieces the firmware tables describe ended up: filled
 * while the VM's devices are created (arch_platform_create() and the
 * device manager), read by arch_vm_load_payload().
 */
typedef struct {
    bool serial;                  /* 16550 at 0x3f8, IRQ 4 */
    bool ged;                     /* ACPI GED (power button, hotplug) */
    uint64_t ged_base;
    uint32_t ged_irq;
    uint64_t pci_hotplug_base;    /* ACPI PCI hotplug registers; 0: none */
    uint64_t cpu_hotplug_base;    /* ACPI CPU hotplug registers; 0: none */
    /* ACPI memory hotplug registers (0: none), and the DIMM slots. */
    uint64_t mem_hotplug_base;
    uint64_t mem_hotplug_region_gpa;
    uint64_t mem_hotplug_slot_size;
    uint32_t mem_hotplug_nslots;
    uint64_t pci_ecam_base;       /* 0 when there is no PCI bus */
    uint64_t pci_ecam_size;
    uint64_t mmio32_base;         /* PCI 32-bit BAR window */
    uint64_t mmio32_size;
    uint64_t mmio64_base;         /* PCI 64-bit BAR window */
    uint64_t mmio64_size;
    bool fw_cfg;                  /* the fw_cfg device (QEMU0002) */
    /* The virtio-iommu (x86: the VIOT): its PCI function and the ones it
     * translates, on segment 0 as bus << 8 | devfn; viommu false: none. */
    bool viommu;
    uint16_t viommu_bdf;
    uint16_t viommu_endpoints[32];        /* at most one per slot */
    unsigned n_viommu_endpoints;
} ArchPlatformInfo;

/* Guest RAM ranges for @ram_size bytes (x86: split around the 32-bit device
 * hole).  Returns the number of ranges written (<= @max). */
unsigned arch_ram_ranges(uint64_t ram_size, GuestRange *ranges, unsigned max);

/* Guest RAM ranges of @memory's zones (memory->zones set): the zones one
 * after the other in RAM order, laid out as arch_ram_ranges() lays out
 * their total (CH's layout), a zone split in two where the device hole
 * cuts it; then the hotplug region (.hotplug) of each zone with
 * hotplug_size, in zone order, each at arch_hotplug_start() of the end of
 * the range before it.  @zone_of[i] is the index of range i's zone.
 * Returns the number of ranges, 0 when they need more than @max. */
unsigned arch_ram_zone_ranges(const MemoryConfig *memory, GuestRange *ranges,
                              unsigned *zone_of, unsigned max);

/* Where the memory hotplug region starts for RAM ending at @ram_end (the
 * 64-bit MMIO window then follows the region). */
uint64_t arch_hotplug_start(uint64_t ram_end);

/* Start of the 32-bit device window and the area for 64-bit MMIO. */
void arch_mmio_windows(uint64_t ram_end, uint8_t phys_bits,
                       uint64_t *mmio32_base, uint64_t *mmio32_size,
                       uint64_t *mmio64_base, uint64_t *mmio64_size);

/* VM-wide state the architecture keeps (x86: the power-on state of the
 * in-kernel interrupt controllers).  Called after the irqchip exists. */
gpointer arch_vm_init(const HvOps *ops, Hv *hv, GError **error);
bool arch_vm_reset(const HvOps *ops, Hv *hv, gpointer arch_vm, GError **error);
void arch_vm_free(gpointer arch_vm);

/* Per-vCPU setup after creation (CPUID, LAPIC, MSRs) for a VM configured
 * as @config, whose arch_vm_init() state is @arch_vm; returns the state
 * reset goes back to (transfer full, g_free). */
gpointer arch_vcpu_init(const VmConfig *config, gpointer arch_vm,
                        const HvOps *ops, Hv *hv, HvVcpu *vcpu,
                        uint32_t index, GError **error);
bool arch_vcpu_reset(const HvOps *ops, HvVcpu *vcpu, gpointer arch_vcpu,
                     GError **error);

/* Loads the payload @config names (kernel/firmware, initramfs, cmdline)
 * into @mem, writes the boot tables (ACPI, E820, boot params) describing
 * @platform and sets the boot vCPU's registers. */
bool arch_vm_load_payload(const VmConfig *config, GuestMemory *mem,
                          const ArchPlatformInfo *platform, const HvOps *ops,
                          HvVcpu *bsp, GError **error);

/* ---- The platform hook: the machine's own devices ----------------------- */

/**
 * ArchPlatformConsoles:
 * The console backends the core opened for the platform's own consoles
 * (opening them, and recording a pty's path, is the core's business):
 * @serial: the --serial backend; NULL: no UART
 * @debug_console: the --debug-console backend; NULL: none
 * @debug_console_iobase: its port (x86: 0xe9 by default)
 */
typedef struct {
    CharBackend *serial;
    CharBackend *debug_console;
    uint16_t debug_console_iobase;
} ArchPlatformConsoles;

/**
 * arch_platform_create:
 * Creates the architecture's platform devices (x86: i8042, CMOS, ACPI PM,
 * GED, debug port, and the 16550 and debug console when @consoles has
 * backends for them) on @host, adding each with device_host_add_device(),
 * and records in @platform what the firmware tables must describe.  Takes
 * the backends in @consoles (transfer full, also on error: the pointers are
 * cleared).  On error the devices already added stay with the host's
 * owner, which frees them.
 */
bool arch_platform_create(DeviceHost *host, ArchPlatformConsoles *consoles,
                          ArchPlatformInfo *platform, GError **error);
/**
 * arch_platform_fw_cfg:
 * The fw_cfg device (--fw-cfg-config) when @payload asks for one, at the
 * architecture's place, with the architecture's etc/e820 when
 * fw_cfg_config.e820 is on; records it in @platform for the firmware
 * tables.  Called after arch_platform_create().
 */
bool arch_platform_fw_cfg(DeviceHost *host, const PayloadConfig *payload,
                          ArchPlatformInfo *platform, GError **error);
/**
 * arch_platform_cpu_hotplug:
 * Creates the platform's CPU hotplug controller on @host for vCPUs
 * 0..@max_vcpus-1, of which 0..@present-1 are plugged, notified through
 * the platform's GED, and records its window in @platform.  Returns
 * (transfer none) the controller, which @host owns, or NULL with @error
 * set.  Called after arch_platform_create().
 */
VmmDevice *arch_platform_cpu_hotplug(DeviceHost *host, uint32_t max_vcpus,
                                     uint32_t present,
                                     ArchPlatformInfo *platform,
                                     GError **error);
/**
 * arch_platform_memory_hotplug:
 * Creates the platform's ACPI memory hotplug controller on @host for the
 * hotplug region [@region_gpa, +@region_size), cut into DIMM slots of
 * @slot_size, the first @plugged bytes plugged, notified through the
 * platform's GED, and records it in @platform.  Returns (transfer none)
 * the controller, which @host owns, or NULL with @error set.  Called
 * after arch_platform_create().
 */
VmmDevice *arch_platform_memory_hotplug(DeviceHost *host, uint64_t region_gpa,
                                        uint64_t region_size,
                                        uint64_t slot_size, uint64_t plugged,
                                        ArchPlatformInfo *platform,
                                        GError **error);
/* The vCPUs are about to start (boot or reboot): time origin of the
 * platform's boot-progress log. */
void arch_platform_boot_started(DeviceHost *host);
/* Presses the platform's ACPI power button; an error if it has none. */
bool arch_platform_power_button(DeviceHost *host, GError **error);
