/* SPDX-License-Identifier: Apache-2.0 */
/* x86_64 guest-physical layout: Cloud Hypervisor's, one constant per row. */
#pragma once

#include <stdint.h>

/*
 * Cloud Hypervisor arch/src/x86_64/layout.rs, kept address for address so
 * that firmware and guests built for CH boot unchanged.  Everything below
 * 1 MiB lives in the first RAM region (which starts at GPA 0); the E820 map
 * hides [X86_EBDA_START, X86_HIGH_RAM_START) so the guest treats the ACPI
 * tables and SMBIOS area there as reserved.
 */

/* ---- Low RAM (0 .. 640 KiB) ---- */
#define X86_LOW_RAM_START           0x0ULL
#define X86_EBDA_POINTER            0x40eULL    /* BDA word: EBDA segment */
#define X86_BOOT_GDT_START          0x500ULL
#define X86_BOOT_GDT_MAX            4           /* null, code, data, TSS */
#define X86_BOOT_IDT_START          0x520ULL
#define X86_PVH_INFO_START          0x6000ULL   /* struct hvm_start_info */
#define X86_MODLIST_START           0x6040ULL   /* struct hvm_modlist_entry[] */
#define X86_MEMMAP_START            0x7000ULL   /* PVH memmap ... */
#define X86_ZERO_PAGE_START         0x7000ULL   /* ... or bzImage boot_params */
#define X86_BOOT_STACK_START        0x8000ULL
#define X86_BOOT_STACK_POINTER      0x8ff0ULL
/* Identity page tables (only a 64-bit entry would use them; both of our
 * entries start in 32-bit protected mode without paging).  CH moved PML4 to
 * 0xa000 when it added PML5 at 0x9000. */
#define X86_PML5_START              0x9000ULL
#define X86_PML4_START              0xa000ULL
#define X86_PDPTE_START             0xb000ULL
#define X86_PDE_START               0xc000ULL
#define X86_CMDLINE_START           0x20000ULL
#define X86_CMDLINE_MAX             0x10000ULL  /* bytes, NUL included */
#define X86_MPTABLE_START           0x9fc00ULL

/* ---- EBDA (640 KiB .. 1 MiB): ACPI, then SMBIOS ---- */
#define X86_EBDA_START              0xa0000ULL
#define X86_RSDP_START              X86_EBDA_START
#define X86_SMBIOS_START            0xf0000ULL

/* ---- High RAM (1 MiB .. 3 GiB) ---- */
#define X86_HIGH_RAM_START          0x100000ULL

/* ---- 32-bit reserved area (3 GiB .. 3968 MiB) ---- */
#define X86_MEM_32BIT_RESERVED_START 0xc0000000ULL
#define X86_MEM_32BIT_DEVICES_START X86_MEM_32BIT_RESERVED_START
#define X86_MEM_32BIT_DEVICES_SIZE  (640ULL << 20)
/* 0xe8000000 */
#define X86_PCI_MMCONFIG_START      (X86_MEM_32BIT_DEVICES_START + \
                                     X86_MEM_32BIT_DEVICES_SIZE)
#define X86_PCI_MMCONFIG_SIZE       (256ULL << 20)
#define X86_MEM_32BIT_RESERVED_SIZE (X86_MEM_32BIT_DEVICES_SIZE + \
                                     X86_PCI_MMCONFIG_SIZE)
#define X86_KVM_TSS_ADDR            (X86_PCI_MMCONFIG_START + \
                                     X86_PCI_MMCONFIG_SIZE)     /* 0xf8000000 */
#define X86_KVM_TSS_SIZE            (3ULL * 4096)
#define X86_KVM_IDENTITY_MAP_ADDR   (X86_KVM_TSS_ADDR + X86_KVM_TSS_SIZE)
#define X86_KVM_IDENTITY_MAP_SIZE   4096ULL
#define X86_IOAPIC_START            0xfec00000ULL
#define X86_IOAPIC_SIZE             0x20ULL
#define X86_LAPIC_START             0xfee00000ULL

/* ---- 64-bit RAM (4 GiB ..), then the 64-bit MMIO / hotplug area ---- */
#define X86_RAM_64BIT_START         0x100000000ULL
/* The 64-bit PCI window starts on the first page after RAM (CH's
 * start_of_device_area without memory hotplug). */
#define X86_MMIO64_ALIGN            0x1000ULL

/* ---- ACPI fixed hardware (port I/O) ---- */
#define X86_ACPI_SLEEP_PORT         0x600       /* sleep ctl/status + reset */
#define X86_ACPI_SLEEP_PORT_SIZE    8
#define X86_ACPI_RESET_VALUE        1
#define X86_ACPI_SLEEP_TYPE_S5      5           /* \_S5_ package value */
/* ACPI 6.x §4.8.3.7: SLP_TYPx in bits 2-4, SLP_EN is bit 5. */
#define X86_ACPI_SLEEP_CTL_S5       ((X86_ACPI_SLEEP_TYPE_S5 << 2) | (1 << 5))
#define X86_ACPI_PM_TIMER_PORT      0x608
#define X86_ACPI_PM_TIMER_PORT_SIZE 4

/**
 * x86_mmio64_start:
 * First GPA of the 64-bit MMIO window for @ram_size bytes of RAM laid out by
 * arch_ram_ranges(): 4 GiB when all RAM fits below the hole, else the first
 * page after the RAM above 4 GiB.
 */
static inline uint64_t
x86_mmio64_start(uint64_t ram_size)
{
    uint64_t end;

    if (ram_size <= X86_MEM_32BIT_RESERVED_START)
        return X86_RAM_64BIT_START;
    end = X86_RAM_64BIT_START + (ram_size - X86_MEM_32BIT_RESERVED_START);
    return (end + X86_MMIO64_ALIGN - 1) & ~(X86_MMIO64_ALIGN - 1);
}
/* The contract's name for it. */
#define X86_MMIO64_START(ram_size) x86_mmio64_start(ram_size)
