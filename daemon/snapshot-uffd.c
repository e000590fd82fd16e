/* SPDX-License-Identifier: Apache-2.0 */
/* On-demand restore of guest RAM: userfaultfd faults and a filler. */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <gio/gio.h>
#include <linux/userfaultfd.h>

#include "daemon/snapshot-uffd.h"

#define LAZY_PAGE 4096u
/* Pages the filler reads with one pread. */
#define LAZY_FILL_PAGES 64u

/*
 * Threads: the fault thread and the filler share @uffd and @fd (pread and
 * the UFFDIO ioctls are thread-safe); @regions is immutable after _new();
 * the counters are atomic.  Both threads stop when @stop_fd is signalled.
 */
struct SnapshotLazyMem {
    GuestRegion regions[GUEST_MEM_MAX_REGIONS];   /* immutable */
    uint64_t file_off[GUEST_MEM_MAX_REGIONS];     /* immutable */
    unsigned nregions;
    int uffd;
    int fd;                 /* memory-ranges */
    int stop_fd;            /* eventfd: end both threads */
    GThread *fault_thread;
    GThread *fill_thread;
    gint filled;            /* atomic: the filler is done */
    gint io_errors;         /* atomic: pages that could not be read */
    gint faults;            /* atomic */
};

static int
lazy_open_uffd(GError **error)
{
    int dev, fd;

    /* /dev/userfaultfd (Linux 6.1) is allowed by its file mode where the
     * syscall needs vm.unprivileged_userfaultfd or CAP_SYS_PTRACE for the
     * kernel-mode faults KVM and device I/O take. */
    dev = open("/dev/userfaultfd", O_RDWR | O_CLOEXEC);
    if (dev >= 0) {
        fd = ioctl(dev, USERFAULTFD_IOC_NEW, O_CLOEXEC | O_NONBLOCK);
        close(dev);
        if (fd >= 0)
            return fd;
    }
    fd = (int)syscall(SYS_userfaultfd, O_CLOEXEC | O_NONBLOCK);
    if (fd < 0) {
        int e = errno;
        g_set_error(error, G_IO_ERROR, g_io_error_from_errno(e),
                    "memory_restore_mode 'OnDemand' needs userfaultfd: "
                    "cannot open /dev/userfaultfd nor use the syscall: %s",
                    g_strerror(e));
        return -1;
    }
    return fd;
}

/* Drops whatever RAM pages exist, so that every page faults once. */
static bool
lazy_drop_pages(const GuestRegion *r, GError **error)
{
    int ret;

    if (r->fd >= 0)
        ret = fallocate(r->fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
                        (off_t)r->fd_offset, (off_t)r->size);
    else
        ret = madvise(r->hva, r->size, MADV_DONTNEED);
    if (ret < 0) {
        int e = errno;
        g_set_error(error, G_IO_ERROR, g_io_error_from_errno(e),
                    "cannot empty guest RAM for an on-demand restore: %s",
                    g_strerror(e));
        return false;
    }
    return true;
}

static bool
lazy_page_is_zero(const uint8_t *p)
{
    const uint64_t *w = (const uint64_t *)(const void *)p;

    for (size_t i = 0; i < LAZY_PAGE / sizeof(*w); i++) {
        if (w[i])
            return false;
    }
    return true;
}

/*
 * Places one page at @hva from @data (NULL or all zero: the zero page).
 * A page that is already there (EEXIST: the other thread was first) is
 * fine; the waiters on it are woken either way.
 */
static void
lazy_place(SnapshotLazyMem *lm, uint64_t hva, const uint8_t *data)
{
    int r;

    if (!data || lazy_page_is_zero(data)) {
        struct uffdio_zeropage z = {
            .range = { .start = hva, .len = LAZY_PAGE },
        };

        r = ioctl(lm->uffd, UFFDIO_ZEROPAGE, &z);
    } else {
        struct uffdio_copy c = {
            .dst = hva, .src = (uintptr_t)data, .len = LAZY_PAGE,
        };

        r = ioctl(lm->uffd, UFFDIO_COPY, &c);
    }
    if (r < 0 && errno == EEXIST) {
        struct uffdio_range w = { .start = hva, .len = LAZY_PAGE };

        ioctl(lm->uffd, UFFDIO_WAKE, &w);
    }
}

/* Reads @n bytes of memory-ranges at @off; on a short read or an I/O
 * error the rest is zero and the error counted (logged once). */
static void
lazy_read(SnapshotLazyMem *lm, uint8_t *buf, size_t n, uint64_t off)
{
    size_t done = 0;
    int err = 0;

    while (done < n) {
        ssize_t r = pread(lm->fd, buf + done, n - done, (off_t)(off + done));

        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0) {
            err = r < 0 ? errno : 0;
            break;
        }
        done += (size_t)r;
    }
    if (done < n) {
        memset(buf + done, 0, n - done);
        /* The file was complete when the restore began: a page lost now
         * can only be zero-filled, which the guest may not survive; say
         * so loudly rather than leave its vCPU waiting forever. */
        if (g_atomic_int_add(&lm->io_errors, 1) == 0)
            g_warning("on-demand restore: memory-ranges cannot be read at "
                      "offset %" PRIu64 " (%s); the page is zero-filled",
                      off + done, err ? g_strerror(err) : "end of file");
    }
}

static bool
lazy_locate(SnapshotLazyMem *lm, uint64_t addr, uint64_t *file_off)
{
    for (unsigned i = 0; i < lm->nregions; i++) {
        const GuestRegion *r = &lm->regions[i];
        uint64_t hva = (uintptr_t)r->hva;

        if (addr >= hva && addr - hva < r->size) {
            *file_off = lm->file_off[i] + (addr - hva);
            return true;
        }
    }
    return false;
}

static gpointer
lazy_fault_thread(gpointer data)
{
    SnapshotLazyMem *lm = data;
    g_autofree uint8_t *page = g_malloc(LAZY_PAGE);

    for (;;) {
        struct pollfd p[2] = {
            { .fd = lm->uffd, .events = POLLIN },
            { .fd = lm->stop_fd, .events = POLLIN },
        };
        struct uffd_msg msg;
        uint64_t addr, off;
        ssize_t n;

        /* Once the filler is done no page can fault any more: leave when
         * nothing is queued. */
        if (poll(p, 2, g_atomic_int_get(&lm->filled) ? 0 : -1) < 0) {
            if (errno == EINTR)
                continue;
            break;
        }
        if (p[1].revents)
            break;
        if (!(p[0].revents & POLLIN)) {
            if (g_atomic_int_get(&lm->filled))
                break;
            continue;
        }
        n = read(lm->uffd, &msg, sizeof(msg));
        if (n != (ssize_t)sizeof(msg) || msg.event != UFFD_EVENT_PAGEFAULT)
            continue;
        addr = msg.arg.pagefault.address & ~(uint64_t)(LAZY_PAGE - 1);
        if (!lazy_locate(lm, addr, &off))
            continue;
        lazy_read(lm, page, LAZY_PAGE, off);
        lazy_place(lm, addr, page);
        g_atomic_int_inc(&lm->faults);
    }
    return NULL;
}

static bool
lazy_stopped(SnapshotLazyMem *lm)
{
    struct pollfd p = { .fd = lm->stop_fd, .events = POLLIN };

    return poll(&p, 1, 0) > 0;
}

static gpointer
lazy_fill_thread(gpointer data)
{
    SnapshotLazyMem *lm = data;
    g_autofree uint8_t *buf = g_malloc(LAZY_PAGE * LAZY_FILL_PAGES);

    for (unsigned i = 0; i < lm->nregions; i++) {
        const GuestRegion *r = &lm->regions[i];

        for (uint64_t off = 0; off < r->size;
             off += LAZY_PAGE * LAZY_FILL_PAGES) {
            size_t n = (size_t)MIN((uint64_t)LAZY_PAGE * LAZY_FILL_PAGES,
                                   r->size - off);

            if (lazy_stopped(lm))
                return NULL;
            lazy_read(lm, buf, n, lm->file_off[i] + off);
            for (size_t p = 0; p < n; p += LAZY_PAGE)
                lazy_place(lm, (uintptr_t)r->hva + off + p, buf + p);
        }
    }
    /* Every page is present: nothing can fault any more. */
    for (unsigned i = 0; i < lm->nregions; i++) {
        struct uffdio_range range = {
            .start = (uintptr_t)lm->regions[i].hva,
            .len = lm->regions[i].size,
        };

        ioctl(lm->uffd, UFFDIO_UNREGISTER, &range);
    }
    g_atomic_int_set(&lm->filled, 1);
    return NULL;
}

SnapshotLazyMem *
snapshot_lazy_mem_new(const GuestMemory *mem, const char *path, GError **error)
{
    g_autoptr(SnapshotLazyMem) lm = g_new0(SnapshotLazyMem, 1);
    struct uffdio_api api = { .api = UFFD_API };
    uint64_t off = 0;

    lm->uffd = lm->fd = lm->stop_fd = -1;
    lm->nregions = mem->nregions;
    for (unsigned i = 0; i < mem->nregions; i++) {
        lm->regions[i] = mem->regions[i];
        lm->file_off[i] = off;
        off += mem->regions[i].size;
    }
    lm->fd = open(path, O_RDONLY | O_CLOEXEC);
    if (lm->fd < 0) {
        int e = errno;
        g_set_error(error, G_IO_ERROR, g_io_error_from_errno(e),
                    "cannot open '%s': %s", path, g_strerror(e));
        return NULL;
    }
    lm->stop_fd = eventfd(0, EFD_CLOEXEC);
    if (lm->stop_fd < 0) {
        int e = errno;
        g_set_error(error, G_IO_ERROR, g_io_error_from_errno(e),
                    "eventfd: %s", g_strerror(e));
        return NULL;
    }
    lm->uffd = lazy_open_uffd(error);
    if (lm->uffd < 0)
        return NULL;
    if (ioctl(lm->uffd, UFFDIO_API, &api) < 0) {
        int e = errno;
        g_set_error(error, G_IO_ERROR, g_io_error_from_errno(e),
                    "UFFDIO_API: %s", g_strerror(e));
        return NULL;
    }
    for (unsigned i = 0; i < lm->nregions; i++) {
        const GuestRegion *r = &lm->regions[i];
        struct uffdio_register reg = {
            .range = { .start = (uintptr_t)r->hva, .len = r->size },
            .mode = UFFDIO_REGISTER_MODE_MISSING,
        };
        const uint64_t need = (1ull << _UFFDIO_COPY) |
                              (1ull << _UFFDIO_ZEROPAGE) |
                              (1ull << _UFFDIO_WAKE);

        if (!lazy_drop_pages(r, error))
            return NULL;
        if (ioctl(lm->uffd, UFFDIO_REGISTER, &reg) < 0 ||
            (reg.ioctls & need) != need) {
            int e = errno ? errno : EOPNOTSUPP;
            g_set_error(error, G_IO_ERROR, g_io_error_from_errno(e),
                        "cannot register guest RAM at 0x%" PRIx64
                        " with userfaultfd: %s", r->gpa, g_strerror(e));
            return NULL;
        }
    }
    lm->fault_thread = g_thread_new("uffd-fault", lazy_fault_thread, lm);
    lm->fill_thread = g_thread_new("uffd-fill", lazy_fill_thread, lm);
    return g_steal_pointer(&lm);
}

bool
snapshot_lazy_mem_wait(SnapshotLazyMem *lm, guint timeout_ms)
{
    gint64 deadline = g_get_monotonic_time() + (gint64)timeout_ms * 1000;

    while (!g_atomic_int_get(&lm->filled)) {
        if (g_get_monotonic_time() > deadline)
            return false;
        g_usleep(1000);
    }
    return true;
}

uint64_t
snapshot_lazy_mem_faults(SnapshotLazyMem *lm)
{
    return (uint64_t)g_atomic_int_get(&lm->faults);
}

void
snapshot_lazy_mem_free(SnapshotLazyMem *lm)
{
    uint64_t one = 1;

    if (!lm)
        return;
    if (lm->stop_fd >= 0 && write(lm->stop_fd, &one, sizeof(one)) < 0)
        g_warning("cannot stop the on-demand restore threads: %s",
                  g_strerror(errno));
    if (lm->fill_thread)
        g_thread_join(lm->fill_thread);
    if (lm->fault_thread)
        g_thread_join(lm->fault_thread);
    if (lm->uffd >= 0)
        close(lm->uffd);
    if (lm->fd >= 0)
        close(lm->fd);
    if (lm->stop_fd >= 0)
        close(lm->stop_fd);
    g_free(lm);
}
