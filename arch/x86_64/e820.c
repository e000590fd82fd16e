/* SPDX-License-Identifier: Apache-2.0 */
/* E820 memory map of an x86_64 guest (bzImage zero page and PVH memmap). */
#include <config.h>

#include <glib.h>

#include "arch/x86_64/e820.h"
#include "arch/x86_64/layout.h"

static void
e820_add(X86E820Entry *out, unsigned max, unsigned *n, uint64_t addr,
         uint64_t size, uint32_t type, bool *truncated)
{
    if (size == 0)
        return;
    if (*n >= max) {
        *truncated = true;
        return;
    }
    out[(*n)++] = (X86E820Entry){ .addr = addr, .size = size, .type = type };
}

unsigned
x86_e820_build(const GuestMemory *mem, X86E820Entry *out, unsigned max)
{
    unsigned n = 0;
    bool truncated = false;
    unsigned i = 0;

    while (i < mem->nregions) {
        uint64_t start = mem->regions[i].gpa;
        uint64_t end = start + mem->regions[i].size;

        /* Hotplug memory reaches the guest through its device, not here. */
        if (mem->regions[i].hotplug) {
            i++;
            continue;
        }
        /* Adjacent regions (e.g. a split memfd) are one range for the guest. */
        for (i++; i < mem->nregions && mem->regions[i].gpa == end &&
                  !mem->regions[i].hotplug; i++)
            end += mem->regions[i].size;

        /* Below 1 MiB only the conventional 640 KiB is RAM: the EBDA, ACPI
         * tables and SMBIOS above it stay out of the map, as on a PC. */
        if (start < X86_EBDA_START) {
            e820_add(out, max, &n, start, MIN(end, X86_EBDA_START) - start,
                     E820_RAM, &truncated);
        }
        if (end > X86_HIGH_RAM_START) {
            uint64_t s = MAX(start, X86_HIGH_RAM_START);

            e820_add(out, max, &n, s, end - s, E820_RAM, &truncated);
        }
    }
    e820_add(out, max, &n, X86_PCI_MMCONFIG_START, X86_PCI_MMCONFIG_SIZE,
             E820_RESERVED, &truncated);
    if (truncated)
        g_critical("E820 map truncated to %u entries", max);
    return n;
}
