/* SPDX-License-Identifier: Apache-2.0 */
/* pci_bus_new(): segment 0 plus what the firmware tables need to know about it. */
#include <config.h>

#include "arch/arch.h"
#include "devices/pci/pci-bus.h"

/* Kept apart from pci-bus.c so that device unit tests, which link a fake
 * VM without platform info or config, can use pci_bus_create(). */
PciBus *
pci_bus_new(Vm *vm, GError **error)
{
    VmPlatformInfo *plat = vm_platform_info(vm);
    const GuestMemory *mem = vm_memory(vm);
    const GuestRegion *last = &mem->regions[mem->nregions - 1];
    uint64_t b32, s32, b64, s64;
    PciBus *bus = pci_bus_create(vm, PCI_ECAM_BASE, error);

    if (!bus)
        return NULL;
    /* The windows the host bridge decodes, for the ACPI _CRS: the same
     * ones vm_alloc_mmio32/64() hand BAR addresses out of. */
    arch_mmio_windows(last->gpa + last->size,
                      vm_get_config(vm)->cpus.max_phys_bits, &b32, &s32, &b64,
                      &s64);
    plat->pci_ecam_base = pci_bus_ecam_base(bus);
    plat->pci_ecam_size = pci_bus_ecam_size(bus);
    plat->mmio32_base = b32;
    plat->mmio32_size = s32;
    plat->mmio64_base = b64;
    plat->mmio64_size = s64;
    return bus;
}
