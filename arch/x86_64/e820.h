/* SPDX-License-Identifier: Apache-2.0 */
/* E820 memory map of an x86_64 guest (bzImage zero page and PVH memmap). */
#pragma once

#include <stdint.h>

#include "devices/guest-memory.h"

#define E820_RAM        1
#define E820_RESERVED   2

/* Enough for every map x86_e820_build() can produce: the low 640 KiB, one
 * entry per (merged) RAM region, MMCONFIG. */
#define X86_E820_MAX_ENTRIES (GUEST_MEM_MAX_REGIONS + 2)

typedef struct {
    uint64_t addr;
    uint64_t size;
    uint32_t type;
} X86E820Entry;

/**
 * x86_e820_build:
 * Fills @out with CH's map for @mem: [0, 640 KiB) RAM, RAM from 1 MiB to the
 * end of the first region, every further RAM region (adjacent regions
 * merged), then the PCI MMCONFIG window as reserved.  The order is CH's
 * (MMCONFIG last, so the table is not sorted; Linux sorts it).
 * Returns the number of entries written, at most @max; a @max below
 * X86_E820_MAX_ENTRIES may truncate the map (a programmer error, reported
 * with g_critical()).
 */
unsigned x86_e820_build(const GuestMemory *mem, X86E820Entry *out,
                        unsigned max);
