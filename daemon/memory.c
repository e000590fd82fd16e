/* SPDX-License-Identifier: Apache-2.0 */
/* Guest RAM: mmap of each RAM range, bounds-checked accessors. */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include <gio/gio.h>

#include "daemon/memory.h"

#ifndef MFD_HUGETLB
#define MFD_HUGETLB 0x0004U
#endif
#ifndef MFD_HUGE_SHIFT
#define MFD_HUGE_SHIFT 26
#endif

static bool
guest_region_map(GuestRegion *r, const MemoryConfig *cfg, unsigned index,
                 GError **error)
{
    int prot = PROT_READ | PROT_WRITE;
    int flags = 0;
    void *p;

    r->fd = -1;
    if (cfg->shared || cfg->hugepages) {
        /* A memfd: shared mappings (vhost-user, live upgrade) need an fd
         * that other processes can map, and hugetlbfs pages come from a
         * hugetlb memfd rather than MAP_HUGETLB so that both look alike. */
        unsigned mfd_flags = MFD_CLOEXEC;
        g_autofree char *name = g_strdup_printf("nimbus-ram%u", index);

        if (cfg->hugepages) {
            mfd_flags |= MFD_HUGETLB;
            if (cfg->hugepage_size)
                mfd_flags |= (unsigned)g_bit_nth_lsf(cfg->hugepage_size, -1)
                             << MFD_HUGE_SHIFT;
        }
        r->fd = memfd_create(name, mfd_flags);
        if (r->fd < 0) {
            int e = errno;
            g_set_error(error, G_IO_ERROR, g_io_error_from_errno(e),
                        "cannot create guest memory%s: %s",
                        cfg->hugepages ? " with huge pages" : "", g_strerror(e));
            return false;
        }
        if (ftruncate(r->fd, (off_t)r->size) < 0) {
            int e = errno;
            g_set_error(error, G_IO_ERROR, g_io_error_from_errno(e),
                        "cannot size guest memory to %" G_GUINT64_FORMAT
                        " bytes%s: %s", r->size,
                        cfg->hugepages ? " (are enough huge pages reserved?)" : "",
                        g_strerror(e));
            return false;
        }
        flags = cfg->shared ? MAP_SHARED : MAP_PRIVATE;
        r->shared = cfg->shared;
    } else {
        flags = MAP_PRIVATE | MAP_ANONYMOUS;
    }
    if (!cfg->reserve && !cfg->hugepages)
        flags |= MAP_NORESERVE;
    if (cfg->prefault)
        flags |= MAP_POPULATE;

    p = mmap(NULL, r->size, prot, flags, r->fd, 0);
    if (p == MAP_FAILED) {
        int e = errno;
        g_set_error(error, G_IO_ERROR, g_io_error_from_errno(e),
                    "cannot map %" G_GUINT64_FORMAT " bytes of guest memory: %s",
                    r->size, g_strerror(e));
        return false;
    }
    r->hva = p;
    /* Guest RAM in a VMM core dump is useless (and possibly secret). */
    madvise(p, r->size, MADV_DONTDUMP);
    if (cfg->thp && !cfg->hugepages)
        madvise(p, r->size, MADV_HUGEPAGE);
    if (cfg->mergeable)
        madvise(p, r->size, MADV_MERGEABLE);
    return true;
}

GuestMemory *
guest_memory_new(const MemoryConfig *config, const GuestRange *ranges,
                 unsigned nranges, GError **error)
{
    g_autoptr(GuestMemory) mem = g_new0(GuestMemory, 1);

    if (nranges == 0 || nranges > GUEST_MEM_MAX_REGIONS) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                    "invalid guest memory layout (%u ranges)", nranges);
        return NULL;
    }
    for (unsigned i = 0; i < nranges; i++) {
        GuestRegion *r = &mem->regions[i];

        r->gpa = ranges[i].start;
        r->size = ranges[i].size;
        r->fd = -1;
        mem->nregions = i + 1;
        if (!guest_region_map(r, config, i, error))
            return NULL;
        mem->ram_size += r->size;
    }
    return g_steal_pointer(&mem);
}

void
guest_memory_free(GuestMemory *mem)
{
    if (!mem)
        return;
    for (unsigned i = 0; i < mem->nregions; i++) {
        GuestRegion *r = &mem->regions[i];

        if (r->hva)
            munmap(r->hva, r->size);
        if (r->fd >= 0)
            close(r->fd);
    }
    g_free(mem);
}

void *
guest_mem_ptr(const GuestMemory *mem, uint64_t gpa, uint64_t len)
{
    for (unsigned i = 0; i < mem->nregions; i++) {
        const GuestRegion *r = &mem->regions[i];

        /* Written so that no sum can overflow: gpa - r->gpa is only
         * computed once gpa >= r->gpa. */
        if (gpa >= r->gpa && gpa - r->gpa < r->size &&
            len <= r->size - (gpa - r->gpa))
            return r->hva + (gpa - r->gpa);
    }
    return NULL;
}

/* Walks [gpa, gpa + len) region by region; fails without side effects if
 * any byte is outside RAM. */
static int
guest_mem_copy(const GuestMemory *mem, uint64_t gpa, void *buf, size_t len,
               bool to_guest)
{
    uint64_t pos = gpa;
    size_t left = len;

    if (len == 0)
        return 0;
    if (gpa + len < gpa)
        return -EFAULT;
    /* First pass: check; second: copy. */
    for (int pass = 0; pass < 2; pass++) {
        pos = gpa;
        left = len;
        while (left > 0) {
            const GuestRegion *r = NULL;
            uint64_t chunk;

            for (unsigned i = 0; i < mem->nregions; i++) {
                const GuestRegion *c = &mem->regions[i];
                if (pos >= c->gpa && pos - c->gpa < c->size) {
                    r = c;
                    break;
                }
            }
            if (!r)
                return -EFAULT;
            chunk = MIN(left, r->size - (pos - r->gpa));
            if (pass == 1) {
                uint8_t *h = r->hva + (pos - r->gpa);
                uint8_t *b = (uint8_t *)buf + (pos - gpa);

                if (to_guest)
                    memcpy(h, b, chunk);
                else
                    memcpy(b, h, chunk);
            }
            pos += chunk;
            left -= chunk;
        }
    }
    return 0;
}

int
guest_mem_read(const GuestMemory *mem, uint64_t gpa, void *buf, size_t len)
{
    return guest_mem_copy(mem, gpa, buf, len, false);
}

int
guest_mem_write(const GuestMemory *mem, uint64_t gpa, const void *buf,
                size_t len)
{
    return guest_mem_copy(mem, gpa, (void *)buf, len, true);
}

void
guest_memory_clear(GuestMemory *mem)
{
    for (unsigned i = 0; i < mem->nregions; i++) {
        GuestRegion *r = &mem->regions[i];

        /* Dropping pages is the cheapest way to zero them: punch the
         * memfd for shared mappings, MADV_DONTNEED for private ones (the
         * next touch maps a zero page; KVM's MMU notifier follows).  Fall
         * back to memset where the kernel refuses. */
        if (r->shared) {
            if (fallocate(r->fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
                          0, (off_t)r->size) == 0)
                continue;
        } else if (madvise(r->hva, r->size, MADV_DONTNEED) == 0) {
            continue;
        }
        memset(r->hva, 0, r->size);
    }
}
