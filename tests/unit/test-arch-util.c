/* SPDX-License-Identifier: Apache-2.0 */
/* Guest RAM for the arch unit tests, without KVM or daemon/memory.c. */
#include <config.h>

#include <sys/mman.h>

#include "arch/arch.h"
#include "tests/unit/test-arch-util.h"

GuestMemory *
test_guest_memory_new(uint64_t ram_size)
{
    GuestRange ranges[GUEST_MEM_MAX_REGIONS];
    unsigned n = arch_ram_ranges(ram_size, ranges, G_N_ELEMENTS(ranges));
    GuestMemory *mem = g_new0(GuestMemory, 1);

    for (unsigned i = 0; i < n; i++) {
        void *p = mmap(NULL, ranges[i].size, PROT_READ | PROT_WRITE,
                       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);

        g_assert(p != MAP_FAILED);
        mem->regions[i] = (GuestRegion){ .gpa = ranges[i].start,
                                         .size = ranges[i].size,
                                         .hva = p, .fd = -1 };
        mem->ram_size += ranges[i].size;
    }
    mem->nregions = n;
    return mem;
}

void
test_guest_memory_free(GuestMemory *mem)
{
    if (!mem)
        return;
    for (unsigned i = 0; i < mem->nregions; i++)
        munmap(mem->regions[i].hva, mem->regions[i].size);
    g_free(mem);
}

uint64_t
test_le(const void *p, unsigned n)
{
    const uint8_t *b = p;
    uint64_t v = 0;

    for (unsigned i = 0; i < n; i++)
        v |= (uint64_t)b[i] << (8 * i);
    return v;
}

void
test_st_le(void *p, uint64_t v, unsigned n)
{
    uint8_t *b = p;

    for (unsigned i = 0; i < n; i++)
        b[i] = (uint8_t)(v >> (8 * i));
}
