/* SPDX-License-Identifier: Apache-2.0 */
/* ACPI memory (DIMM) hotplug controller: CH's MHPC register block over the hotplug region. */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <glib.h>

#include "devices/device.h"

/*
 * The register block the DSDT's \_SB_.MHPC describes (Cloud Hypervisor's
 * memory manager layout, vmm/src/memory_manager.rs), one MMIO window of
 * 0x18 bytes, for the DIMM slot MSEL selects:
 *   0x00 (32 bits)  read: MHBL, base bits 0-31; write: MSEL, the slot
 *   0x04 (32 bits)  MHBH, base bits 32-63 (read only)
 *   0x08 (32 bits)  MHLL, length bits 0-31 (read only)
 *   0x0c (32 bits)  MHLH, length bits 32-63 (read only)
 *   0x10 (32 bits)  MHPX, proximity domain: 0, nimbus has no NUMA (read only)
 *   0x14 (8 bits)   status:
 *     bit 0 MEN_  read: the slot holds a DIMM (plugged)
 *     bit 1 MINS  read: plugged and the guest has not been told;
 *                 write 1: told (clears it)
 *     bit 2 MRMV  read: always 0, the VMM never asks for a DIMM back
 *     bit 3 MEJ0  write: ignored, nimbus does not unplug DIMMs (CH does
 *                 not shrink ACPI-hotplugged memory either)
 *   0x15..0x17      reserved: read 0, writes ignored
 * Accesses of any width are taken byte by byte.  A slot past the last one
 * reads as all zeroes (no DIMM) and its status writes are ignored.  The
 * guest learns that something changed from the GED
 * (GED_EVENT_MEMORY_HOTPLUG), whose handler calls MSCN.
 *
 * The hotplug region is cut into slots of one size (the granularity), so
 * each slot's place is fixed when the VM is created and the DSDT can
 * describe it; a resize plugs the next slots, lowest first.
 */
#define MEMORY_HOTPLUG_MMIO_SIZE 0x18
#define MEMORY_HOTPLUG_REG_SEL 0x00
#define MEMORY_HOTPLUG_REG_BASE_LO 0x00
#define MEMORY_HOTPLUG_REG_BASE_HI 0x04
#define MEMORY_HOTPLUG_REG_LEN_LO 0x08
#define MEMORY_HOTPLUG_REG_LEN_HI 0x0c
#define MEMORY_HOTPLUG_REG_PXM 0x10
#define MEMORY_HOTPLUG_REG_STATUS 0x14
#define MEMORY_HOTPLUG_MEN (1u << 0)
#define MEMORY_HOTPLUG_MINS (1u << 1)
#define MEMORY_HOTPLUG_MRMV (1u << 2)
#define MEMORY_HOTPLUG_MEJ0 (1u << 3)
/* The id the VM gives its controller (the resize path finds it by it). */
#define MEMORY_HOTPLUG_ID "__memory_manager"

/* @ged: (transfer none) the GED that interrupts the guest; it must
 * outlive the controller.  The region [@region_gpa, +@region_size) is cut
 * into slots of @slot_size (it divides @region_size; at most
 * VM_CONFIG_ACPI_DIMM_SLOTS_MAX slots), of which the first @plugged bytes
 * start plugged: the guest finds them present when it boots.  The MMIO
 * window is allocated at realize. */
VmmDevice *memory_hotplug_new(DeviceHost *host, const char *id,
                              VmmDevice *ged, uint64_t region_gpa,
                              uint64_t region_size, uint64_t slot_size,
                              uint64_t plugged);
/* Valid once realized: what the DSDT's MHPC _CRS and MHPR region hold. */
uint64_t memory_hotplug_get_mmio_base(VmmDevice *dev);
/* Bytes of the region plugged now. */
uint64_t memory_hotplug_plugged(VmmDevice *dev);
/* Whether memory_hotplug_plug(@bytes) would succeed, with the same
 * errors, changing nothing. */
bool memory_hotplug_check(VmmDevice *dev, uint64_t bytes, GError **error);
/* Control thread.  Makes @bytes of the region plugged: the slots added
 * get MEN_ and MINS, then the GED interrupt.  G_IO_ERROR_INVALID_ARGUMENT
 * if @bytes is not a multiple of the slot size, _NO_SPACE past the
 * region, _NOT_SUPPORTED below what is plugged (no unplug).  @bytes equal
 * to what is plugged is a success that changes nothing. */
bool memory_hotplug_plug(VmmDevice *dev, uint64_t bytes, GError **error);
