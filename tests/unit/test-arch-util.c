/* SPDX-License-Identifier: Apache-2.0 */
/* Guest RAM for the arch unit tests, without KVM or daemon/memory.c. */
#include <config.h>

#include <errno.h>
#include <string.h>
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

void *
guest_mem_ptr(const GuestMemory *mem, uint64_t gpa, uint64_t len)
{
    for (unsigned i = 0; i < mem->nregions; i++) {
        const GuestRegion *r = &mem->regions[i];

        if (gpa >= r->gpa && gpa - r->gpa <= r->size &&
            len <= r->size - (gpa - r->gpa))
            return r->hva + (gpa - r->gpa);
    }
    return NULL;
}

static const GuestRegion *
region_of(const GuestMemory *mem, uint64_t gpa)
{
    for (unsigned i = 0; i < mem->nregions; i++) {
        const GuestRegion *r = &mem->regions[i];

        if (gpa >= r->gpa && gpa - r->gpa < r->size)
            return r;
    }
    return NULL;
}

static int
copy(const GuestMemory *mem, uint64_t gpa, uint8_t *buf, size_t len,
     bool write)
{
    if (len > 0 && gpa + len - 1 < gpa)
        return -EFAULT;
    /* Pass 1 checks every byte is RAM, so nothing is copied on failure;
     * pass 2 copies region by region. */
    for (int pass = 0; pass < 2; pass++) {
        for (uint64_t done = 0; done < len;) {
            const GuestRegion *r = region_of(mem, gpa + done);
            uint64_t off, n;

            if (!r)
                return -EFAULT;
            off = gpa + done - r->gpa;
            n = MIN(len - done, r->size - off);
            if (pass == 1 && write)
                memcpy(r->hva + off, buf + done, n);
            else if (pass == 1)
                memcpy(buf + done, r->hva + off, n);
            done += n;
        }
    }
    return 0;
}

int
guest_mem_read(const GuestMemory *mem, uint64_t gpa, void *buf, size_t len)
{
    return copy(mem, gpa, buf, len, false);
}

int
guest_mem_write(const GuestMemory *mem, uint64_t gpa, const void *buf,
                size_t len)
{
    return copy(mem, gpa, (uint8_t *)buf, len, true);
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
