/* SPDX-License-Identifier: Apache-2.0 */
/* x86_64 ACPI tables (RSDP, XSDT, FADT, MADT, MCFG, DSDT, SRAT, SLIT) in guest memory. */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <glib.h>

#include "config/vm-config.h"
#include "devices/guest-memory.h"

/*
 * The GED (Generic Event Device, ACPI0013) register: one byte at ged_base
 * holding pending event bits.  The device raises ged_irq (edge, active
 * high) after setting a bit; a guest read returns the bits and clears them,
 * and \_SB_.GED_._EVT dispatches on them.
 */
#define X86_GED_SIZE            1
#define X86_GED_CPU_HOTPLUG     (1u << 0)
#define X86_GED_MEMORY_HOTPLUG  (1u << 1)
#define X86_GED_PCI_HOTPLUG     (1u << 2)
#define X86_GED_POWER_BUTTON    (1u << 3)
/* The PCI hotplug controller's window (devices/pci/pci-hotplug.h). */
#define X86_PCI_HOTPLUG_SIZE    0x10
/* The CPU hotplug controller's window (devices/legacy/cpu-hotplug.h). */
#define X86_CPU_HOTPLUG_SIZE    0xc
/* The memory hotplug controller's window (devices/legacy/memory-hotplug.h). */
#define X86_MEM_HOTPLUG_SIZE    0x18

/* The COM1 resources the DSDT and MADT describe (the 8250 must match). */
#define X86_COM1_PORT           0x3f8
#define X86_COM1_IRQ            4

/* DSDT CPU object names are C000..CFFF. */
#define X86_ACPI_MAX_CPUS       4096

/* A PCI slot of segment 0 described in the DSDT (device Sxxx under
 * \_SB_.PCI0).  The PCI hotplug work adds _EJ0 and the hotplug controller
 * on top of this list. */
typedef struct {
    uint8_t device;             /* 0..31 */
} X86AcpiPciSlot;

/* SRAT memory affinity: a guest-physical range of proximity domain
 * @node (ACPI 6.5 §5.2.16.2). */
typedef struct {
    uint64_t base;
    uint64_t size;
    uint32_t node;
    bool hotplug;                 /* the range is hot-pluggable */
} X86AcpiMemAffinity;

#define X86_ACPI_NO_NODE UINT32_MAX

/* The guest NUMA nodes SRAT and SLIT describe (acpi-srat.c). */
typedef struct {
    /* Per max vCPU: its proximity domain, or X86_ACPI_NO_NODE. */
    uint32_t *cpu_node;
    uint32_t n_cpus;
    X86AcpiMemAffinity *mem;
    unsigned n_mem;
    /* SLIT: domains 0..n_localities-1, distance[i * n + j] from i to j. */
    uint32_t n_localities;
    uint8_t *distances;
} X86AcpiNuma;

/* The nodes of @config's --numa, with the RAM ranges of its zones (NULL
 * without --numa).  (transfer full) */
X86AcpiNuma *x86_acpi_numa_new(const VmConfig *config);
void x86_acpi_numa_free(X86AcpiNuma *numa);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(X86AcpiNuma, x86_acpi_numa_free)

typedef struct {
    /* MADT: one x2APIC entry per max vCPU, enabled if below boot_vcpus. */
    uint32_t boot_vcpus, max_vcpus;
    /* 0 means 1 (threads, dies, packages) or max_vcpus (cores). */
    uint32_t threads_per_core, cores_per_die, dies_per_package, packages;
    bool serial;                /* COM1 PNP0501 + MADT ISO IRQ 4 -> GSI 4 */
    uint64_t ged_base;          /* 0: no GED (and no power button events) */
    uint32_t ged_irq;
    /* Segment 0: MCFG entry, MBRD reservation and PCI0's windows.
     * pci_ecam_size 0 leaves out MCFG, MBRD and PCI0. */
    uint64_t pci_ecam_base, pci_ecam_size;
    uint64_t pci_mmio32_base, pci_mmio32_size;
    uint64_t pci_mmio64_base, pci_mmio64_size;
    const X86AcpiPciSlot *pci_slots;    /* (transfer none) may be NULL */
    unsigned n_pci_slots;
    /* The PCI hotplug controller's MMIO window (below 4 GiB); 0: none.
     * With it, every slot of PCI0 is described, ejectable, and the GED's
     * PCI bit scans them (needs the GED and PCI0); pci_slots is then
     * unused. */
    uint64_t pci_hotplug_base;
    /* The CPU hotplug controller's MMIO window (below 4 GiB); 0: none.
     * With it, each processor's _STA asks the controller, _EJ0 ejects,
     * and the GED's CPU bit scans them (needs the GED). */
    uint64_t cpu_hotplug_base;
    /* The memory hotplug controller's MMIO window (below 4 GiB); 0: none.
     * With it, \_SB_.MHPC describes mem_hotplug_nslots DIMM slots of
     * mem_hotplug_slot_size bytes from mem_hotplug_region_gpa, whose _STA
     * asks the controller, and the GED's memory bit scans them (needs the
     * GED). */
    uint64_t mem_hotplug_base;
    uint64_t mem_hotplug_region_gpa;
    uint64_t mem_hotplug_slot_size;
    uint32_t mem_hotplug_nslots;
    /* The TPM 2.0 CRB at TPM_CRB_MMIO_BASE (devices/tpm/tpm-crb.h): the
     * TPM2 table and \_SB_.TPM2 (acpi-tpm.c). */
    bool tpm;
    /* \_SB_.FWCF (QEMU0002) over the fw_cfg ports (acpi-dsdt.c). */
    bool fw_cfg;
    /* SRAT and SLIT (acpi-srat.c); NULL: no NUMA description.  Its
     * n_cpus must be max_vcpus. */
    const X86AcpiNuma *numa;
    /* VIOT (acpi-viot.c), only with a virtio-iommu: its PCI function on
     * segment 0 (bus << 8 | devfn) and the functions it translates. */
    bool viommu;
    uint16_t viommu_bdf;
    const uint16_t *viommu_endpoints;   /* (transfer none) may be NULL */
    unsigned n_viommu_endpoints;
} X86AcpiConfig;

/**
 * x86_acpi_build:
 * Validates @cfg and writes CH's tables to guest memory: the RSDP at
 * X86_RSDP_START (ACPI 2.0, XSDT only), then contiguously the DSDT, FACP,
 * APIC (MADT), MCFG and, last, the XSDT; all below X86_SMBIOS_START.
 * Sets *@rsdp_addr.  On error nothing is written.
 */
bool x86_acpi_build(GuestMemory *mem, const X86AcpiConfig *cfg,
                    uint64_t *rsdp_addr, GError **error);
