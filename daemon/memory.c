/* SPDX-License-Identifier: Apache-2.0 */
/* Guest RAM: mmap of each RAM range, bounds-checked accessors. */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <gio/gio.h>

#include "config/vm-config-numa.h"
#include "daemon/memory.h"

/* <numaif.h> is libnuma's; the system call needs only these. */
#define MPOL_BIND_MODE 2
#define MPOL_MF_MOVE_FLAG (1u << 1)
/* Linux 5.14 MADV_POPULATE_WRITE; older kernels refuse it (EINVAL) and
 * the pages are then faulted in by the guest. */
#define MADV_POPULATE_WRITE_ADVICE 23

#ifndef MFD_HUGETLB
#define MFD_HUGETLB 0x0004U
#endif
#ifndef MFD_HUGE_SHIFT
#define MFD_HUGE_SHIFT 26
#endif

/* How one RAM region is backed: --memory's options, or its zone's. */
typedef struct {
    bool shared;
    bool hugepages;
    uint64_t hugepage_size;
    bool prefault;
    bool reserve;
    bool thp;
    bool mergeable;
    const char *file;             /* a zone's file=, or NULL */
    uint64_t file_offset;         /* where this region starts in it */
    int host_numa_node;           /* -1: none */
} RegionBacking;

static void
backing_from_memory(const MemoryConfig *m, RegionBacking *b)
{
    *b = (RegionBacking){
        .shared = m->shared, .hugepages = m->hugepages,
        .hugepage_size = m->hugepage_size, .prefault = m->prefault,
        .reserve = m->reserve, .thp = m->thp, .mergeable = m->mergeable,
        .host_numa_node = -1,
    };
}

/* A zone has its own backing; thp and mergeable of --memory apply to
 * every zone (CH: a zone's mergeable inherits --memory's). */
static void
backing_from_zone(const MemoryConfig *m, const MemoryZoneConfig *z,
                  uint64_t offset, RegionBacking *b)
{
    *b = (RegionBacking){
        .shared = z->shared, .hugepages = z->hugepages,
        .hugepage_size = z->hugepage_size, .prefault = z->prefault,
        .reserve = z->reserve, .thp = m->thp,
        .mergeable = z->mergeable || m->mergeable, .file = z->file,
        .file_offset = offset, .host_numa_node = z->host_numa_node,
    };
}

/* A zone's file=: a directory gets an unnamed file of its own (CH), an
 * existing file must hold the whole zone.  Returns the fd or -1. */
static int
guest_region_open_file(GuestRegion *r, const RegionBacking *b, GError **error)
{
    struct stat sb;
    int fd;

    if (g_file_test(b->file, G_FILE_TEST_IS_DIR))
        fd = open(b->file, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
    else
        fd = open(b->file, O_RDWR | O_CLOEXEC);
    if (fd < 0 || fstat(fd, &sb) < 0) {
        int e = errno;
        g_set_error(error, G_IO_ERROR, g_io_error_from_errno(e),
                    "cannot open memory zone file '%s': %s", b->file,
                    g_strerror(e));
        if (fd >= 0)
            close(fd);
        return -1;
    }
    if (S_ISREG(sb.st_mode) && sb.st_nlink == 0 &&
        ftruncate(fd, (off_t)(b->file_offset + r->size)) < 0) {
        int e = errno;
        g_set_error(error, G_IO_ERROR, g_io_error_from_errno(e),
                    "cannot size a memory file in '%s': %s", b->file,
                    g_strerror(e));
        close(fd);
        return -1;
    }
    if (fstat(fd, &sb) < 0 ||
        (uint64_t)sb.st_size < b->file_offset + r->size) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                    "memory zone file '%s' is %" G_GINT64_FORMAT " bytes, "
                    "smaller than its zone", b->file, (gint64)sb.st_size);
        close(fd);
        return -1;
    }
    return fd;
}

/* MPOL_BIND to one host node, moving pages already there (prefault). */
static bool
guest_region_bind(GuestRegion *r, int node, GError **error)
{
    unsigned long mask[(VM_CONFIG_HOST_NUMA_NODE_MAX + 1) /
                       (8 * sizeof(unsigned long))] = { 0 };
    const unsigned long bits = 8 * sizeof(unsigned long);

    mask[node / bits] = 1UL << (node % bits);
    /* The kernel reads maxnode - 1 bits (mm/mempolicy.c get_nodes()). */
    if (syscall(SYS_mbind, r->hva, r->size, MPOL_BIND_MODE, mask,
                (unsigned long)(VM_CONFIG_HOST_NUMA_NODE_MAX + 2),
                MPOL_MF_MOVE_FLAG) < 0) {
        int e = errno;
        g_set_error(error, G_IO_ERROR, g_io_error_from_errno(e),
                    "cannot bind guest memory at 0x%" G_GINT64_MODIFIER "x "
                    "to host NUMA node %d: %s", r->gpa, node, g_strerror(e));
        return false;
    }
    return true;
}

static bool
guest_region_map(GuestRegion *r, const RegionBacking *b, unsigned index,
                 GError **error)
{
    int prot = PROT_READ | PROT_WRITE;
    int flags = 0;
    off_t offset = 0;
    void *p;

    r->fd = -1;
    if (b->file) {
        if ((r->fd = guest_region_open_file(r, b, error)) < 0)
            return false;
        offset = (off_t)b->file_offset;
        r->fd_offset = b->file_offset;
        r->file = true;
        flags = b->shared ? MAP_SHARED : MAP_PRIVATE;
        r->shared = b->shared;
    } else if (b->shared || b->hugepages) {
        /* A memfd: shared mappings (vhost-user, live upgrade) need an fd
         * that other processes can map, and hugetlbfs pages come from a
         * hugetlb memfd rather than MAP_HUGETLB so that both look alike. */
        unsigned mfd_flags = MFD_CLOEXEC;
        g_autofree char *name = g_strdup_printf("nimbus-ram%u", index);

        if (b->hugepages) {
            mfd_flags |= MFD_HUGETLB;
            if (b->hugepage_size)
                mfd_flags |= (unsigned)g_bit_nth_lsf(b->hugepage_size, -1)
                             << MFD_HUGE_SHIFT;
        }
        r->fd = memfd_create(name, mfd_flags);
        if (r->fd < 0) {
            int e = errno;
            g_set_error(error, G_IO_ERROR, g_io_error_from_errno(e),
                        "cannot create guest memory%s: %s",
                        b->hugepages ? " with huge pages" : "", g_strerror(e));
            return false;
        }
        if (ftruncate(r->fd, (off_t)r->size) < 0) {
            int e = errno;
            g_set_error(error, G_IO_ERROR, g_io_error_from_errno(e),
                        "cannot size guest memory to %" G_GUINT64_FORMAT
                        " bytes%s: %s", r->size,
                        b->hugepages ? " (are enough huge pages reserved?)" : "",
                        g_strerror(e));
            return false;
        }
        flags = b->shared ? MAP_SHARED : MAP_PRIVATE;
        r->shared = b->shared;
    } else {
        flags = MAP_PRIVATE | MAP_ANONYMOUS;
    }
    /* The hotplug region costs nothing until the guest plugs blocks of
     * it: never reserved or populated up front. */
    if ((!b->reserve || r->hotplug) && !b->hugepages)
        flags |= MAP_NORESERVE;
    /* With a host node, pages are placed by the policy set below: they
     * are populated after it, not by mmap. */
    if (b->prefault && !r->hotplug && b->host_numa_node < 0)
        flags |= MAP_POPULATE;

    p = mmap(NULL, r->size, prot, flags, r->fd, offset);
    if (p == MAP_FAILED) {
        int e = errno;
        g_set_error(error, G_IO_ERROR, g_io_error_from_errno(e),
                    "cannot map %" G_GUINT64_FORMAT " bytes of guest memory: %s",
                    r->size, g_strerror(e));
        return false;
    }
    r->hva = p;
    if (b->host_numa_node >= 0) {
        if (!guest_region_bind(r, b->host_numa_node, error))
            return false;
        if (b->prefault && !r->hotplug)
            madvise(p, r->size, MADV_POPULATE_WRITE_ADVICE);
    }
    /* Guest RAM in a VMM core dump is useless (and possibly secret). */
    madvise(p, r->size, MADV_DONTDUMP);
    if (b->thp && !b->hugepages)
        madvise(p, r->size, MADV_HUGEPAGE);
    if (b->mergeable)
        madvise(p, r->size, MADV_MERGEABLE);
    return true;
}

static GuestMemory *
guest_memory_map(const MemoryConfig *config, const GuestRange *ranges,
                 const unsigned *zone_of, unsigned nranges, GError **error)
{
    g_autoptr(GuestMemory) mem = g_new0(GuestMemory, 1);
    uint64_t zone_offset = 0;

    if (nranges == 0 || nranges > GUEST_MEM_MAX_REGIONS) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                    "invalid guest memory layout (%u ranges)", nranges);
        return NULL;
    }
    for (unsigned i = 0; i < nranges; i++) {
        GuestRegion *r = &mem->regions[i];
        RegionBacking b;

        r->gpa = ranges[i].start;
        r->size = ranges[i].size;
        r->hotplug = ranges[i].hotplug;
        r->fd = -1;
        mem->nregions = i + 1;
        if (zone_of) {
            /* A zone the hole splits continues in the next range, at
             * the next offset of its file. */
            if (i > 0 && zone_of[i] != zone_of[i - 1])
                zone_offset = 0;
            backing_from_zone(config,
                              g_ptr_array_index(config->zones, zone_of[i]),
                              zone_offset, &b);
            zone_offset += r->size;
        } else {
            backing_from_memory(config, &b);
        }
        if (!guest_region_map(r, &b, i, error))
            return NULL;
        mem->ram_size += r->size;
    }
    return g_steal_pointer(&mem);
}

GuestMemory *
guest_memory_new(const MemoryConfig *config, const GuestRange *ranges,
                 unsigned nranges, GError **error)
{
    return guest_memory_map(config, ranges, NULL, nranges, error);
}

GuestMemory *
guest_memory_new_zones(const MemoryConfig *config, const GuestRange *ranges,
                       const unsigned *zone_of, unsigned nranges,
                       GError **error)
{
    for (unsigned i = 0; i < nranges; i++) {
        if (!config->zones || zone_of[i] >= config->zones->len) {
            g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                        "RAM range %u belongs to no memory zone", i);
            return NULL;
        }
    }
    return guest_memory_map(config, ranges, zone_of, nranges, error);
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
        /* A zone's shared file is the user's: zeroing it would destroy
         * it, so it is left as the guest wrote it.  A private mapping of
         * a file drops back to the file's contents. */
        if (r->file && r->shared)
            continue;
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
