/* SPDX-License-Identifier: Apache-2.0 */
/* Virtio 1.x modern PCI transport with Cloud Hypervisor's BAR0 layout. */
#pragma once

#include <stdbool.h>
#include <glib.h>

#include "devices/pci/pci-bus.h"
#include "devices/virtio/virtio.h"

/* BAR0 (64-bit, 512 KiB), CH's layout (virtio-devices/src/transport/pci_device.rs). */
#define VIRTIO_PCI_BAR_SIZE 0x80000
#define VIRTIO_PCI_COMMON_OFF 0x0
#define VIRTIO_PCI_COMMON_LEN 0x40
#define VIRTIO_PCI_ISR_OFF 0x2000
#define VIRTIO_PCI_DEVICE_OFF 0x4000
#define VIRTIO_PCI_DEVICE_LEN 0x2000
#define VIRTIO_PCI_NOTIFY_OFF 0x6000
#define VIRTIO_PCI_NOTIFY_MULT 4
#define VIRTIO_PCI_NOTIFY_LEN 0x1000   /* up to 0x400 queues */
#define VIRTIO_PCI_MSIX_TABLE_OFF 0x8000
#define VIRTIO_PCI_MSIX_PBA_OFF 0x48000
#define VIRTIO_PCI_VENDOR 0x1af4
#define VIRTIO_PCI_DEVICE_BASE 0x1040

/**
 * virtio_pci_new:
 * Wraps @vdev (transfer full, also on failure) in a virtio-pci function
 * for @bus at @slot (-1: next free).  The result is not realized yet: add
 * it with device_host_add_device(), whose realize places BAR0, builds the
 * capabilities (common/ISR/device/notify/pci_cfg + MSI-X with one vector
 * per queue plus one for configuration changes) and takes the slot.
 * Returns (transfer full) the device.
 */
VmmDevice *virtio_pci_new(DeviceHost *host, PciBus *bus, VirtioDevice *vdev,
                          int slot);

/* (transfer none) accessors, for tests and the device manager. */
VirtioDevice *virtio_pci_get_virtio(VmmDevice *dev);
PciDevice *virtio_pci_get_pci(VmmDevice *dev);
struct Msix *virtio_pci_get_msix(VmmDevice *dev);
