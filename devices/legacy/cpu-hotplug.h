/* SPDX-License-Identifier: Apache-2.0 */
/* ACPI CPU hotplug controller: CH's CSEL/CPEN/CINS/CRMV/CEJ0 register block. */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <glib.h>

#include "devices/device.h"

/*
 * The register block the DSDT's \_SB_.PRES describes (Cloud Hypervisor's
 * CPU manager layout, vmm/src/cpu.rs), one MMIO window of 12 bytes:
 *   CSEL (0x0, 32 bits)  the vCPU the status byte refers to
 *   0x4 (8 bits)         status of the selected vCPU:
 *     bit 0 CPEN  read: the vCPU is present (plugged)
 *     bit 1 CINS  read: it was plugged and the guest has not been told;
 *                 write 1: told (clears it)
 *     bit 2 CRMV  read: the VMM wants it removed; write 1: told (clears it)
 *     bit 3 CEJ0  write 1: the guest let go of it (its _EJ0 ran)
 *   0x5..0xb             reserved: reads 0, writes ignored
 * Accesses of any width are taken byte by byte (the DSDT field is
 * ByteAcc).  A selector past the last vCPU reads as absent and its writes
 * are ignored.  The guest learns that something changed from the GED
 * (GED_EVENT_CPU_HOTPLUG), whose handler calls CSCN.
 */
#define CPU_HOTPLUG_MMIO_SIZE 0xc
#define CPU_HOTPLUG_REG_CSEL 0x0
#define CPU_HOTPLUG_REG_STATUS 0x4
#define CPU_HOTPLUG_CPEN (1u << 0)
#define CPU_HOTPLUG_CINS (1u << 1)
#define CPU_HOTPLUG_CRMV (1u << 2)
#define CPU_HOTPLUG_CEJ0 (1u << 3)
/* CH's limit for KVM on x86_64 (VM_CONFIG_MAX_VCPUS). */
#define CPU_HOTPLUG_MAX_VCPUS 8192
/* The id the platform gives its controller (the VM finds it by it). */
#define CPU_HOTPLUG_ID "__cpu_manager"

/**
 * CpuHotplugEjectFunc:
 * The guest ejected vCPU @cpu: only vCPUs the VMM asked to remove with
 * cpu_hotplug_request_eject() are reported.  Runs on the control thread
 * (the host's main context), never on the vCPU that wrote CEJ0.
 */
typedef void (*CpuHotplugEjectFunc)(uint32_t cpu, gpointer opaque);

/* @ged: (transfer none) the GED that interrupts the guest; it must
 * outlive the controller.  vCPUs 0..@present-1 of 0..@max_vcpus-1 start
 * present.  The MMIO window is allocated at realize. */
VmmDevice *cpu_hotplug_new(DeviceHost *host, const char *id, VmmDevice *ged,
                           uint32_t max_vcpus, uint32_t present);
/* Valid once realized: what the DSDT's PRES _CRS and PRST region hold. */
uint64_t cpu_hotplug_get_mmio_base(VmmDevice *dev);
/* Control thread: who is told about ejects (NULL: nobody). */
void cpu_hotplug_set_eject_handler(VmmDevice *dev, CpuHotplugEjectFunc func,
                                   gpointer opaque);
/* Control thread.  vCPU @cpu exists now: present, CINS, GED interrupt.
 * G_IO_ERROR_INVALID_ARGUMENT past the last vCPU, G_IO_ERROR_EXISTS if
 * it is present already. */
bool cpu_hotplug_plug(VmmDevice *dev, uint32_t cpu, GError **error);
/* Control thread.  Asks the guest to eject @cpu (CRMV, interrupt).
 * G_IO_ERROR_BUSY if its eject is pending already, _INVALID_ARGUMENT if
 * it is not present. */
bool cpu_hotplug_request_eject(VmmDevice *dev, uint32_t cpu, GError **error);
/* Whether @cpu is present (plugged and not ejected). */
bool cpu_hotplug_is_present(VmmDevice *dev, uint32_t cpu);
