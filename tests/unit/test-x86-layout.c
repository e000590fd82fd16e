/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests: x86_64 layout, arch_ram_ranges(), E820, topology, boot GDT. */
#include <config.h>

#include <glib.h>

#include "arch/arch.h"
#include "arch/x86_64/boot.h"
#include "arch/x86_64/e820.h"
#include "arch/x86_64/layout.h"
#include "arch/x86_64/topology.h"
#include "tests/unit/test-arch-util.h"

#define MiB (1ULL << 20)
#define GiB (1ULL << 30)

static void
test_layout_constants(void)
{
    /* The reference table (cloud-hypervisor-interface.md §6), row by row. */
    g_assert_cmphex(X86_EBDA_POINTER, ==, 0x40e);
    g_assert_cmphex(X86_BOOT_GDT_START, ==, 0x500);
    g_assert_cmphex(X86_BOOT_IDT_START, ==, 0x520);
    g_assert_cmphex(X86_PVH_INFO_START, ==, 0x6000);
    g_assert_cmphex(X86_MODLIST_START, ==, 0x6040);
    g_assert_cmphex(X86_ZERO_PAGE_START, ==, 0x7000);
    g_assert_cmphex(X86_MEMMAP_START, ==, 0x7000);
    g_assert_cmphex(X86_BOOT_STACK_POINTER, ==, 0x8ff0);
    g_assert_cmphex(X86_PML5_START, ==, 0x9000);
    g_assert_cmphex(X86_PDE_START, ==, 0xc000);
    g_assert_cmphex(X86_CMDLINE_START, ==, 0x20000);
    g_assert_cmphex(X86_CMDLINE_MAX, ==, 0x10000);
    g_assert_cmphex(X86_MPTABLE_START, ==, 0x9fc00);
    g_assert_cmphex(X86_RSDP_START, ==, 0xa0000);
    g_assert_cmphex(X86_SMBIOS_START, ==, 0xf0000);
    g_assert_cmphex(X86_HIGH_RAM_START, ==, 0x100000);
    g_assert_cmphex(X86_MEM_32BIT_DEVICES_START, ==, 0xc0000000);
    g_assert_cmphex(X86_MEM_32BIT_DEVICES_SIZE, ==, 640 * MiB);
    g_assert_cmphex(X86_PCI_MMCONFIG_START, ==, 0xe8000000);
    g_assert_cmphex(X86_PCI_MMCONFIG_SIZE, ==, 256 * MiB);
    g_assert_cmphex(X86_KVM_TSS_ADDR, ==, 0xf8000000);
    g_assert_cmphex(X86_KVM_IDENTITY_MAP_ADDR, ==, 0xf8003000);
    g_assert_cmphex(X86_IOAPIC_START, ==, 0xfec00000);
    g_assert_cmphex(X86_LAPIC_START, ==, 0xfee00000);
    g_assert_cmphex(X86_RAM_64BIT_START, ==, 0x100000000);
    g_assert_cmphex(X86_ACPI_SLEEP_PORT, ==, 0x600);
    g_assert_cmphex(X86_ACPI_PM_TIMER_PORT, ==, 0x608);
    g_assert_cmphex(X86_ACPI_SLEEP_CTL_S5, ==, 0x34);
    /* The 32-bit hole ends where the reserved area does, below IOAPIC. */
    g_assert_cmphex(X86_MEM_32BIT_RESERVED_START + X86_MEM_32BIT_RESERVED_SIZE,
                    ==, 0xf8000000);
}

static void
test_mmio64_start(void)
{
    g_assert_cmphex(x86_mmio64_start(512 * MiB), ==, 4 * GiB);
    g_assert_cmphex(x86_mmio64_start(3 * GiB), ==, 4 * GiB);
    g_assert_cmphex(x86_mmio64_start(5 * GiB), ==, 6 * GiB);
    g_assert_cmphex(x86_mmio64_start(3 * GiB + 1), ==, 4 * GiB + 0x1000);
    g_assert_cmphex(X86_MMIO64_START(5 * GiB), ==, 6 * GiB);
}

static void
test_ram_ranges(void)
{
    GuestRange r[4];

    g_assert_cmpuint(arch_ram_ranges(0, r, 4), ==, 0);

    g_assert_cmpuint(arch_ram_ranges(512 * MiB, r, 4), ==, 1);
    g_assert_cmphex(r[0].start, ==, 0);
    g_assert_cmphex(r[0].size, ==, 512 * MiB);

    g_assert_cmpuint(arch_ram_ranges(3 * GiB, r, 4), ==, 1);
    g_assert_cmphex(r[0].size, ==, 3 * GiB);

    g_assert_cmpuint(arch_ram_ranges(3 * GiB + 4096, r, 4), ==, 2);
    g_assert_cmphex(r[0].size, ==, 3 * GiB);
    g_assert_cmphex(r[1].start, ==, 4 * GiB);
    g_assert_cmphex(r[1].size, ==, 4096);

    g_assert_cmpuint(arch_ram_ranges(5 * GiB, r, 4), ==, 2);
    g_assert_cmphex(r[0].start, ==, 0);
    g_assert_cmphex(r[0].size, ==, 3 * GiB);
    g_assert_cmphex(r[1].start, ==, 4 * GiB);
    g_assert_cmphex(r[1].size, ==, 2 * GiB);

    /* Never more than asked for. */
    g_assert_cmpuint(arch_ram_ranges(5 * GiB, r, 1), ==, 1);
    g_assert_cmphex(r[0].size, ==, 3 * GiB);
}

static void
check_e820(uint64_t ram, const X86E820Entry *want, unsigned nwant)
{
    g_autoptr(TestGuestMemory) mem = test_guest_memory_new(ram);
    X86E820Entry e[X86_E820_MAX_ENTRIES];
    unsigned n = x86_e820_build(mem, e, G_N_ELEMENTS(e));

    g_assert_cmpuint(n, ==, nwant);
    for (unsigned i = 0; i < n; i++) {
        g_assert_cmphex(e[i].addr, ==, want[i].addr);
        g_assert_cmphex(e[i].size, ==, want[i].size);
        g_assert_cmpuint(e[i].type, ==, want[i].type);
    }
}

static void
test_e820_512m(void)
{
    const X86E820Entry want[] = {
        { 0, 0xa0000, E820_RAM },
        { 0x100000, 512 * MiB - 0x100000, E820_RAM },
        { 0xe8000000, 256 * MiB, E820_RESERVED },
    };

    check_e820(512 * MiB, want, G_N_ELEMENTS(want));
}

static void
test_e820_3g(void)
{
    const X86E820Entry want[] = {
        { 0, 0xa0000, E820_RAM },
        { 0x100000, 3 * GiB - 0x100000, E820_RAM },
        { 0xe8000000, 256 * MiB, E820_RESERVED },
    };

    check_e820(3 * GiB, want, G_N_ELEMENTS(want));
}

static void
test_e820_5g(void)
{
    const X86E820Entry want[] = {
        { 0, 0xa0000, E820_RAM },
        { 0x100000, 3 * GiB - 0x100000, E820_RAM },
        { 4 * GiB, 2 * GiB, E820_RAM },
        { 0xe8000000, 256 * MiB, E820_RESERVED },
    };

    check_e820(5 * GiB, want, G_N_ELEMENTS(want));
}

static void
test_e820_merges_adjacent(void)
{
    /* Two regions back to back (as a memfd split might give) are one
     * E820 range. */
    GuestMemory mem = {
        .regions = { { .gpa = 0, .size = 256 * MiB },
                     { .gpa = 256 * MiB, .size = 256 * MiB } },
        .nregions = 2,
    };
    X86E820Entry e[X86_E820_MAX_ENTRIES];
    unsigned n = x86_e820_build(&mem, e, G_N_ELEMENTS(e));

    g_assert_cmpuint(n, ==, 3);
    g_assert_cmphex(e[1].addr, ==, 0x100000);
    g_assert_cmphex(e[1].size, ==, 512 * MiB - 0x100000);
}

/* The memory hotplug region is not boot RAM: not in the map, even when it
 * follows the RAM above 4 GiB directly; it starts on a 1 GiB boundary
 * above 4 GiB. */
static void
test_e820_hotplug_region(void)
{
    GuestMemory mem = {
        .regions = { { .gpa = 0, .size = 512 * MiB },
                     { .gpa = 4 * GiB, .size = 1 * GiB, .hotplug = true } },
        .nregions = 2,
    };
    X86E820Entry e[X86_E820_MAX_ENTRIES];
    unsigned n = x86_e820_build(&mem, e, G_N_ELEMENTS(e));

    g_assert_cmpuint(n, ==, 3);
    g_assert_cmphex(e[1].addr + e[1].size, ==, 512 * MiB);
    g_assert_cmphex(e[2].addr, ==, X86_PCI_MMCONFIG_START);
    mem.regions[0] = (GuestRegion){ .gpa = 4 * GiB, .size = 1 * GiB };
    mem.regions[1] = (GuestRegion){ .gpa = 5 * GiB, .size = 1 * GiB,
                                    .hotplug = true };
    n = x86_e820_build(&mem, e, G_N_ELEMENTS(e));
    g_assert_cmpuint(n, ==, 2);
    g_assert_cmphex(e[0].addr, ==, 4 * GiB);
    g_assert_cmphex(e[0].size, ==, 1 * GiB);
    g_assert_cmphex(arch_hotplug_start(512 * MiB), ==, 4 * GiB);
    g_assert_cmphex(arch_hotplug_start(5 * GiB), ==, 5 * GiB);
    g_assert_cmphex(arch_hotplug_start(5 * GiB + 4096), ==, 6 * GiB);
}

static void
test_e820_truncated(void)
{
    if (g_test_subprocess()) {
        g_autoptr(TestGuestMemory) mem = test_guest_memory_new(5 * GiB);
        X86E820Entry e[2];

        x86_e820_build(mem, e, G_N_ELEMENTS(e));
        return;
    }
    /* Too small a table is a programmer error: g_critical (fatal here). */
    g_test_trap_subprocess(NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
    g_test_trap_assert_failed();
    g_test_trap_assert_stderr("*E820 map truncated*");
}

static void
test_topology_apic_id(void)
{
    /* Flat: IDs are indices. */
    for (uint32_t i = 0; i < 8; i++)
        g_assert_cmpuint(x86_topology_apic_id(i, 1, 8, 1), ==, i);
    /* 2 threads x 3 cores (2 bits) x 1 die x 2 packages: package 1 starts
     * at 1 << (1 + 2). */
    g_assert_cmpuint(x86_topology_apic_id(0, 2, 3, 1), ==, 0);
    g_assert_cmpuint(x86_topology_apic_id(1, 2, 3, 1), ==, 1);
    g_assert_cmpuint(x86_topology_apic_id(2, 2, 3, 1), ==, 2);
    g_assert_cmpuint(x86_topology_apic_id(5, 2, 3, 1), ==, 5);
    g_assert_cmpuint(x86_topology_apic_id(6, 2, 3, 1), ==, 8);
    g_assert_cmpuint(x86_topology_apic_id(7, 2, 3, 1), ==, 9);
    /* topology=1:2:1:2 from the issue: cores 1 bit, packages above. */
    g_assert_cmpuint(x86_topology_apic_id(2, 1, 2, 1), ==, 2);
    g_assert_cmpuint(x86_topology_apic_id(3, 1, 2, 1), ==, 3);
    /* Dies: 1 thread, 2 cores, 3 dies (2 bits). */
    g_assert_cmpuint(x86_topology_apic_id(6, 1, 2, 3), ==, 8);
    g_assert_cmpuint(x86_topology_field_width(0), ==, 0);
    g_assert_cmpuint(x86_topology_field_width(1), ==, 0);
    g_assert_cmpuint(x86_topology_field_width(2), ==, 1);
    g_assert_cmpuint(x86_topology_field_width(5), ==, 3);
    g_assert_cmpuint(x86_topology_field_width(256), ==, 8);
}

static void
test_boot_gdt(void)
{
    /* Flat 4 GiB segments, CH's flags 0xc09b / 0xc093 / 0x008b. */
    g_assert_cmphex(x86_boot_gdt[0], ==, 0);
    g_assert_cmphex(x86_boot_gdt[1], ==, 0x00cf9b000000ffffULL);
    g_assert_cmphex(x86_boot_gdt[2], ==, 0x00cf93000000ffffULL);
    g_assert_cmphex(x86_boot_gdt[3], ==, 0x000f8b000000ffffULL);
    g_assert_cmpuint(X86_BOOT_CODE_SELECTOR / 8, ==, 1);
    g_assert_cmpuint(X86_BOOT_DATA_SELECTOR / 8, ==, 2);
    g_assert_cmpuint(X86_BOOT_TSS_SELECTOR / 8, ==, 3);
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/x86/layout/constants", test_layout_constants);
    g_test_add_func("/x86/layout/mmio64-start", test_mmio64_start);
    g_test_add_func("/x86/layout/ram-ranges", test_ram_ranges);
    g_test_add_func("/x86/e820/512m", test_e820_512m);
    g_test_add_func("/x86/e820/3g", test_e820_3g);
    g_test_add_func("/x86/e820/5g", test_e820_5g);
    g_test_add_func("/x86/e820/merges-adjacent", test_e820_merges_adjacent);
    g_test_add_func("/x86/e820/truncated", test_e820_truncated);
    g_test_add_func("/x86/e820/hotplug-region", test_e820_hotplug_region);
    g_test_add_func("/x86/topology/apic-id", test_topology_apic_id);
    g_test_add_func("/x86/boot/gdt", test_boot_gdt);
    return g_test_run();
}
