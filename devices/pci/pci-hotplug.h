/* SPDX-License-Identifier: Apache-2.0 */
/* ACPI PCI hotplug controller: CH's PCIU/PCID/B0EJ/PSEG register block. */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <glib.h>

#include "devices/device.h"

/*
 * The register block the DSDT's \_SB_.PHPR describes (Cloud Hypervisor's
 * layout: four 32-bit registers in one MMIO window), one bit per slot of
 * the selected PCI segment:
 *   PCIU (0x0)  read: slots whose device appeared since the last read;
 *               reading clears it
 *   PCID (0x4)  read: slots whose device the VMM wants ejected since the
 *               last read; reading clears it
 *   B0EJ (0x8)  write: the guest let go of the devices in these slots
 *               (its _EJ0 ran); reads as 0
 *   PSEG (0xc)  the segment the three others refer to; nimbus has one
 *               segment, so only 0 is accepted (others are ignored, as
 *               CH ignores a segment it does not have)
 * The guest learns that something changed from the GED (GED_EVENT_PCI_
 * HOTPLUG); its PSCN method then reads PCIU/PCID and notifies the slots.
 */
#define PCI_HOTPLUG_MMIO_SIZE 0x10
#define PCI_HOTPLUG_REG_PCIU 0x0
#define PCI_HOTPLUG_REG_PCID 0x4
#define PCI_HOTPLUG_REG_B0EJ 0x8
#define PCI_HOTPLUG_REG_PSEG 0xc
#define PCI_HOTPLUG_SEGMENTS 1
/* The id the platform gives its controller (the VMM finds it by it). */
#define PCI_HOTPLUG_ID "__pci_hotplug"

/**
 * PciHotplugEjectFunc:
 * The guest acknowledged the eject of the devices in @slots (a bitmap) of
 * @segment: only slots the VMM asked to eject with
 * pci_hotplug_request_eject() are reported.  Runs on the control thread
 * (the host's main context), never on the vCPU that wrote B0EJ.
 */
typedef void (*PciHotplugEjectFunc)(unsigned segment, uint32_t slots,
                                    gpointer opaque);

/* @ged: (transfer none) the Generic Event Device that interrupts the guest;
 * it must outlive the controller.  The MMIO window is allocated at
 * realize (read it back with pci_hotplug_get_mmio_base()). */
VmmDevice *pci_hotplug_new(DeviceHost *host, const char *id, VmmDevice *ged);
/* Valid once realized: what the DSDT's PHPR _CRS and PCST region hold. */
uint64_t pci_hotplug_get_mmio_base(VmmDevice *dev);
/* Control thread: who is told about acknowledged ejects (NULL: nobody;
 * the acknowledgements are then dropped). */
void pci_hotplug_set_eject_handler(VmmDevice *dev, PciHotplugEjectFunc func,
                                   gpointer opaque);

/* Control thread.  A device was put in @slot: latches its PCIU bit and
 * interrupts the guest. */
bool pci_hotplug_plug(VmmDevice *dev, unsigned segment, unsigned slot,
                      GError **error);
/* Control thread.  Asks the guest to eject @slot (PCID bit, interrupt).
 * G_IO_ERROR_BUSY if an eject of that slot is already pending. */
bool pci_hotplug_request_eject(VmmDevice *dev, unsigned segment,
                               unsigned slot, GError **error);
/**
 * pci_hotplug_cancel_eject:
 * Control thread: gives up a pending eject of @slot (the guest did not
 * answer in time), so that a late B0EJ for it is ignored.  Returns false
 * when it cannot be cancelled any more: the guest already wrote B0EJ and
 * the eject handler is about to be called for it.
 */
bool pci_hotplug_cancel_eject(VmmDevice *dev, unsigned segment,
                              unsigned slot);
