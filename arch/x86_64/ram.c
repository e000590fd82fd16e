/* SPDX-License-Identifier: Apache-2.0 */
/* arch_ram_ranges() for x86_64: RAM split around the 32-bit device hole. */
#include <config.h>

#include "arch/arch.h"
#include "arch/x86_64/layout.h"

/*
 * CH's arch_memory_regions(): RAM fills [0, 3 GiB); the rest goes above
 * 4 GiB, leaving [3 GiB, 4 GiB) for 32-bit MMIO, MMCONFIG, the KVM TSS,
 * IOAPIC and LAPIC.
 */
unsigned
arch_ram_ranges(uint64_t ram_size, GuestRange *ranges, unsigned max)
{
    unsigned n = 0;
    uint64_t low = MIN(ram_size, X86_MEM_32BIT_RESERVED_START);

    if (low > 0 && n < max)
        ranges[n++] = (GuestRange){ .start = 0, .size = low };
    if (ram_size > low && n < max) {
        ranges[n++] = (GuestRange){ .start = X86_RAM_64BIT_START,
                                    .size = ram_size - low };
    }
    return n;
}

/* Above 4 GiB and on a 1 GiB boundary: Linux adds hotplugged memory in
 * memory blocks (128 MiB, more on large guests), which must not straddle
 * the region's start. */
uint64_t
arch_hotplug_start(uint64_t ram_end)
{
    uint64_t start = MAX(ram_end, X86_RAM_64BIT_START);

    return (start + (1ULL << 30) - 1) & ~((1ULL << 30) - 1);
}
