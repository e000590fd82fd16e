/* SPDX-License-Identifier: Apache-2.0 */
/* PCI segment 0: host bridge, config access through 0xcf8/0xcfc and ECAM, slot allocation. */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <glib.h>

#include "devices/device-host.h"
#include "devices/pci/pci.h"

/* CH's layout (x86_64): ECAM at 0xe8000000, 1 MiB (bus 0) per segment. */
#define PCI_ECAM_BASE 0xe8000000ULL
#define PCI_ECAM_SEGMENT_SIZE 0x100000ULL
#define PCI_CONFIG_ADDRESS_PORT 0xcf8   /* 0xcf8 address, 0xcfc data */
/* The host bridge's ids (CH: Intel vendor, device 0x0d57). */
#define PCI_HOST_BRIDGE_VENDOR 0x8086
#define PCI_HOST_BRIDGE_DEVICE 0x0d57

/**
 * pci_bus_create:
 * Creates PCI segment 0: the host bridge at 00:00.0, config mechanism #1
 * at ports 0xcf8-0xcff and 1 MiB of ECAM (bus 0) at @ecam_base.  BARs get
 * their addresses from device_host_alloc_mmio32/64().  What the firmware
 * tables describe (ECAM, windows) is the caller's to record: see
 * pci_bus_ecam_base()/pci_bus_ecam_size().
 *
 * The bus is itself a device ("__pci_segment0"), added to @host with
 * device_host_add_device(), which owns and frees it.
 *
 * Returns: (transfer none) the bus, or NULL with @error set.
 */
PciBus *pci_bus_create(DeviceHost *host, uint64_t ecam_base, GError **error);
/* The id pci_bus_create() gives the bus device. */
#define PCI_BUS_SEGMENT0_ID "__pci_segment0"
/* The bus that @dev is (the device pci_bus_create() added), or NULL when
 * @dev is something else or NULL; for hot-add, which finds the bus by
 * its id. */
PciBus *pci_bus_from_device(VmmDevice *dev);
uint64_t pci_bus_ecam_base(const PciBus *bus);
uint64_t pci_bus_ecam_size(const PciBus *bus);

/* A host bridge memory window [@base, @base + @size). */
typedef struct {
    uint64_t base;
    uint64_t size;
} PciWindow;
#define PCI_BUS_MAX_WINDOWS 2

/**
 * pci_bus_set_windows:
 * Records the memory windows the firmware tables give the host bridge
 * (ACPI _CRS: the 32- and 64-bit MMIO windows).  From then on a BAR
 * decodes only while it lies wholly inside one of them, as behind a real
 * root complex, which forwards nothing else to PCI: a guest that moves a
 * BAR onto RAM, the LAPIC, the IOAPIC or any other address outside the
 * windows gets a BAR that decodes nothing until it writes a usable
 * address back.  A bus without windows (unit tests) only keeps BARs off
 * RAM and off other devices.  Call before the vCPUs run; at most
 * PCI_BUS_MAX_WINDOWS windows, empty ones are skipped.
 */
void pci_bus_set_windows(PciBus *bus, const PciWindow *windows, unsigned n);
/* Whether [@addr, @addr + @size) may decode as a BAR on @bus (no lock:
 * the windows are immutable once the vCPUs run). */
bool pci_bus_window_contains(const PciBus *bus, uint64_t addr, uint64_t size);

/**
 * pci_bus_add_device:
 * Puts @pdev on the bus at @slot (1-31), or at the first free slot when
 * @slot is -1 (sequential allocation, as CH does).  Function 0 only.
 * Errors name the slot (taken, out of range, bus full); the host's
 * add_device prefixes them with the device id.
 */
bool pci_bus_add_device(PciBus *bus, PciDevice *pdev, int slot,
                        GError **error);
/* Frees @pdev's slot (unrealize, hot-unplug). */
void pci_bus_remove_device(PciBus *bus, PciDevice *pdev);

/* The config lock: taken around config accesses; reset and restore of a
 * function take it too. */
void pci_bus_lock(PciBus *bus);
void pci_bus_unlock(PciBus *bus);

/* For tests and diagnostics: the function at @slot (NULL if empty). */
PciDevice *pci_bus_get_device(PciBus *bus, unsigned slot);
/* Config accesses as the guest does them (ECAM offset: dev << 15 | reg). */
void pci_bus_ecam_read(PciBus *bus, uint64_t off, void *data, unsigned len);
void pci_bus_ecam_write(PciBus *bus, uint64_t off, const void *data,
                        unsigned len);
