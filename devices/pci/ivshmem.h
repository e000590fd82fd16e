/* SPDX-License-Identifier: Apache-2.0 */
/* ivshmem-plain (PCI 1af4:1110): the device and its registry type (--ivshmem). */
#pragma once

#include <stdint.h>
#include <glib.h>

#include "devices/device-host.h"
#include "devices/device.h"
#include "devices/pci/pci.h"
#include "devices/registry.h"

#define IVSHMEM_ID "__ivshmem"          /* CH's id */
#define IVSHMEM_VENDOR 0x1af4
#define IVSHMEM_DEVICE 0x1110
#define IVSHMEM_DEFAULT_SIZE (128ULL << 20)   /* CH's default for size= */

/* BAR0 registers (QEMU's docs/specs/ivshmem-spec.rst, revision 1). */
#define IVSHMEM_REG_BAR 0
#define IVSHMEM_MEM_BAR 2
#define IVSHMEM_REG_BAR_SIZE 256
#define IVSHMEM_REG_INTR_MASK 0x0
#define IVSHMEM_REG_INTR_STATUS 0x4
#define IVSHMEM_REG_IV_POSITION 0x8
#define IVSHMEM_REG_DOORBELL 0xc

extern const DeviceType ivshmem_type;

/**
 * ivshmem_new:
 * An ivshmem-plain function @id (NULL: IVSHMEM_ID) for slot @slot (-1:
 * the bus picks) of @bus, whose BAR2 is the first @size bytes of @path
 * (a regular file of at least @size bytes, @size a power of two of at
 * least a page), mapped shared: what the guest writes there is in the
 * file.  NULL with @error when the file cannot be used.  Added to the VM
 * with device_host_add_device().  (transfer full)
 */
VmmDevice *ivshmem_new(DeviceHost *host, const char *id, PciBus *bus,
                       int slot, const char *path, uint64_t size,
                       GError **error);
/* Its PCI function (tests).  (transfer none) */
PciDevice *ivshmem_get_pci(VmmDevice *dev);
