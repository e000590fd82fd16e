/* SPDX-License-Identifier: Apache-2.0 */
/* Guest RAM: mmap of each RAM range, bounds-checked accessors. */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
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
    /* The hotplug region costs nothing until the guest plugs blocks of
     * it: never reserved or populated up front. */
    if ((!cfg->reserve || r->hotplug) && !cfg->hugepages)
        flags |= MAP_NORESERVE;
    if (cfg->prefault && !r->hotplug)
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
        r->hotplug = ranges[i].hotplug;
        r->fd = -1;
        mem->nregions = i + 1;
        if (!guest_region_map(r, config, i, error))
            return NULL;
        mem->ram_size += r->size;
    }
    return g_steal_pointer(&mem);
}

GuestMemory *
guest_memory_new_from_fds(const MemoryConfig *config, const GuestRange *ranges,
                          unsigned nranges, const int *fds, GError **error)
{
    g_autoptr(GuestMemory) mem = g_new0(GuestMemory, 1);

    if (nranges == 0 || nranges > GUEST_MEM_MAX_REGIONS) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                    "invalid guest memory layout (%u ranges)", nranges);
        return NULL;
    }
    for (unsigned i = 0; i < nranges; i++) {
        GuestRegion *r = &mem->regions[i];
        struct stat sb;
        void *p;

        r->gpa = ranges[i].start;
        r->size = ranges[i].size;
        r->hotplug = ranges[i].hotplug;
        r->fd = -1;
        mem->nregions = i + 1;
        if (fds[i] < 0 || fstat(fds[i], &sb) < 0 ||
            (uint64_t)sb.st_size < r->size) {
            g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                        "no usable memory fd for RAM region %u (%"
                        G_GUINT64_FORMAT " bytes at 0x%" G_GINT64_MODIFIER
                        "x)", i, r->size, r->gpa);
            return NULL;
        }
        /* Our own descriptor: the caller keeps (and closes) its own. */
        r->fd = fcntl(fds[i], F_DUPFD_CLOEXEC, 0);
        if (r->fd < 0) {
            int e = errno;
            g_set_error(error, G_IO_ERROR, g_io_error_from_errno(e),
                        "cannot duplicate the memory fd of region %u: %s", i,
                        g_strerror(e));
            return NULL;
        }
        /* Shared, so the pages are the ones the other process wrote. */
        p = mmap(NULL, r->size, PROT_READ | PROT_WRITE,
                 MAP_SHARED | MAP_NORESERVE, r->fd, 0);
        if (p == MAP_FAILED) {
            int e = errno;
            g_set_error(error, G_IO_ERROR, g_io_error_from_errno(e),
                        "cannot map the memory fd of region %u: %s", i,
                        g_strerror(e));
            return NULL;
        }
        r->hva = p;
        r->shared = true;
        madvise(p, r->size, MADV_DONTDUMP);
        if (config->thp && !config->hugepages)
            madvise(p, r->size, MADV_HUGEPAGE);
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

/* ---- Dirty-page log ------------------------------------------------------ */

struct GuestDirtyLog {
    const GuestMemory *mem;         /* immutable */
    uint64_t *bitmaps[GUEST_MEM_MAX_REGIONS];   /* atomic words */
    size_t nwords[GUEST_MEM_MAX_REGIONS];       /* immutable */
};

GuestDirtyLog *
guest_dirty_log_new(const GuestMemory *mem)
{
    GuestDirtyLog *log = g_new0(GuestDirtyLog, 1);

    log->mem = mem;
    for (unsigned i = 0; i < mem->nregions; i++) {
        uint64_t pages = (mem->regions[i].size + GUEST_DIRTY_PAGE_SIZE - 1) >>
                         GUEST_DIRTY_PAGE_SHIFT;

        log->nwords[i] = (size_t)((pages + 63) / 64);
        log->bitmaps[i] = g_new0(uint64_t, log->nwords[i]);
    }
    return log;
}

void
guest_dirty_log_free(GuestDirtyLog *log)
{
    if (!log)
        return;
    for (unsigned i = 0; i < GUEST_MEM_MAX_REGIONS; i++)
        g_free(log->bitmaps[i]);
    g_free(log);
}

void
guest_dirty_log_mark(GuestDirtyLog *log, uint64_t gpa, uint64_t len)
{
    const GuestMemory *mem = log->mem;
    uint64_t end;

    if (len == 0)
        return;
    /* Clamp instead of refusing: the device has already written the
     * range, and a wrapped one would otherwise mark nothing. */
    end = gpa + len - 1 < gpa ? G_MAXUINT64 : gpa + len - 1;
    for (unsigned i = 0; i < mem->nregions; i++) {
        const GuestRegion *r = &mem->regions[i];
        uint64_t lo = MAX(gpa, r->gpa);
        uint64_t hi = MIN(end, r->gpa + r->size - 1);

        if (lo > hi)
            continue;
        /* Release: whoever fetches the bit (acquire) also sees the bytes
         * the device wrote before marking them. */
        for (uint64_t p = (lo - r->gpa) >> GUEST_DIRTY_PAGE_SHIFT;
             p <= (hi - r->gpa) >> GUEST_DIRTY_PAGE_SHIFT; p++)
            __atomic_fetch_or(&log->bitmaps[i][p / 64], 1ULL << (p % 64),
                              __ATOMIC_RELEASE);
    }
}

size_t
guest_dirty_log_words(const GuestDirtyLog *log, unsigned region)
{
    return region < log->mem->nregions ? log->nwords[region] : 0;
}

size_t
guest_dirty_log_fetch_and_clear(GuestDirtyLog *log, unsigned region,
                                uint64_t *out, size_t nwords)
{
    size_t n = MIN(nwords, guest_dirty_log_words(log, region));

    /* An exchange per word: a device marking concurrently either lands
     * before (and is returned now) or after (and stays for next time). */
    for (size_t w = 0; w < n; w++)
        out[w] = __atomic_exchange_n(&log->bitmaps[region][w], 0,
                                     __ATOMIC_ACQ_REL);
    return n;
}
