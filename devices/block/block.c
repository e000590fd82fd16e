/* SPDX-License-Identifier: Apache-2.0 */
/* Block backends: an opened, locked raw image and the I/O engines (io_uring, synchronous). */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/fs.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <gio/gio.h>

#include "common/fd-util.h"
#include "devices/block/block.h"
#include "devices/virtio/iov.h"

#define BLOCK_ZERO_BUF_SIZE (64 * 1024)

/* Immutable after block_backend_open(): shared read-only by the workers. */
struct BlockBackend {
    char *path;
    int fd;
    bool readonly;
    bool direct;
    bool is_blockdev;
    uint64_t size;
    uint32_t lbs;            /* logical block size */
    uint32_t pbs;            /* physical block size */
    uint32_t mem_align;      /* O_DIRECT buffer alignment */
    struct stat st;
    void *zeroes;            /* BLOCK_ZERO_BUF_SIZE, aligned, for WRITE_ZEROES */
};

const char *
block_backend_path(const BlockBackend *bb)
{
    return bb->path;
}

int
block_backend_fd(const BlockBackend *bb)
{
    return bb->fd;
}

uint64_t
block_backend_size(const BlockBackend *bb)
{
    return bb->size;
}

bool
block_backend_readonly(const BlockBackend *bb)
{
    return bb->readonly;
}

uint32_t
block_backend_logical_block_size(const BlockBackend *bb)
{
    return bb->lbs;
}

uint32_t
block_backend_physical_block_size(const BlockBackend *bb)
{
    return bb->pbs;
}

bool
block_backend_can_discard(const BlockBackend *bb)
{
    return !bb->readonly;
}

char *
block_backend_default_serial(const BlockBackend *bb)
{
    char *s = g_strdup_printf("%" G_GUINT64_FORMAT "%" G_GUINT64_FORMAT
                              "%" G_GUINT64_FORMAT, (guint64)bb->st.st_dev,
                              (guint64)bb->st.st_rdev, (guint64)bb->st.st_ino);

    if (strlen(s) > 20)
        s[20] = '\0';
    return s;
}

/* Format probe (the header magics CH's detect_image_type looks at). */
static const char *
block_probe_format(int fd)
{
    uint8_t head[8] = { 0 };

    if (pread(fd, head, sizeof(head), 0) < 4)
        return NULL;
    if (memcmp(head, "QFI\xfb", 4) == 0)
        return "qcow2";
    if (memcmp(head, "vhdxfile", 8) == 0)
        return "vhdx";
    if (memcmp(head, "KDMV", 4) == 0)
        return "vmdk";
    return NULL;
}

static bool
block_backend_lock(BlockBackend *bb, GError **error)
{
    struct flock fl = {
        .l_type = bb->readonly ? F_RDLCK : F_WRLCK,
        .l_whence = SEEK_SET,
        .l_start = 0,
        .l_len = 0,          /* the whole file */
    };

    /* OFD locks belong to this open file description: they conflict with
     * other nimbus (or CH, or QEMU) processes and are released on close,
     * not by an unrelated close() of the same file elsewhere. */
    if (fcntl(bb->fd, F_OFD_SETLK, &fl) == 0)
        return true;
    if (errno == EAGAIN || errno == EACCES) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_BUSY,
                    "disk image '%s' is locked by another process (%s "
                    "access refused: is another VM using it?)", bb->path,
                    bb->readonly ? "read" : "write");
    } else {
        g_set_error(error, G_IO_ERROR, g_io_error_from_errno(errno),
                    "cannot lock disk image '%s': %s", bb->path,
                    g_strerror(errno));
    }
    return false;
}

static bool
block_backend_probe_sizes(BlockBackend *bb, GError **error)
{
    bb->lbs = 512;
    bb->pbs = 512;
    bb->mem_align = 512;
    if (bb->is_blockdev) {
        int lbs = 0;
        unsigned pbs = 0;

        if (ioctl(bb->fd, BLKGETSIZE64, &bb->size) < 0) {
            g_set_error(error, G_IO_ERROR, g_io_error_from_errno(errno),
                        "cannot read the size of '%s': %s", bb->path,
                        g_strerror(errno));
            return false;
        }
        if (ioctl(bb->fd, BLKSSZGET, &lbs) == 0 && lbs >= 512 && lbs <= 65536)
            bb->lbs = lbs;
        if (ioctl(bb->fd, BLKPBSZGET, &pbs) == 0 && pbs >= bb->lbs &&
            pbs <= 65536)
            bb->pbs = pbs;
    } else {
        bb->size = (uint64_t)bb->st.st_size;
        if (bb->st.st_blksize >= 512 && bb->st.st_blksize <= 65536 &&
            (bb->st.st_blksize & (bb->st.st_blksize - 1)) == 0)
            bb->pbs = (uint32_t)bb->st.st_blksize;
    }
    if (bb->direct) {
        struct statx stx;

        /* STATX_DIOALIGN (Linux 6.1) says what O_DIRECT needs; older
         * kernels: the logical block size is the safe guess. */
        if (statx(bb->fd, "", AT_EMPTY_PATH, STATX_DIOALIGN, &stx) == 0 &&
            (stx.stx_mask & STATX_DIOALIGN) && stx.stx_dio_offset_align) {
            bb->lbs = MAX(bb->lbs, stx.stx_dio_offset_align);
            bb->mem_align = MAX(512u, stx.stx_dio_mem_align);
        }
        bb->mem_align = MAX(bb->mem_align, bb->lbs);
        bb->pbs = MAX(bb->pbs, bb->lbs);
    }
    return true;
}

BlockBackend *
block_backend_open(const char *path, bool readonly, bool direct,
                   ImageType type, GError **error)
{
    g_autoptr(BlockBackend) bb = g_new0(BlockBackend, 1);
    int flags = (readonly ? O_RDONLY : O_RDWR) | O_CLOEXEC |
                (direct ? O_DIRECT : 0);
    const char *fmt;

    bb->fd = -1;
    bb->path = g_strdup(path);
    bb->readonly = readonly;
    bb->direct = direct;
    /* vm_config_validate() lets only raw and autodetected images through;
     * what an autodetected image's header says is checked below. */
    g_assert(type == IMAGE_TYPE_RAW || type == IMAGE_TYPE_UNKNOWN);
    bb->fd = open(path, flags);
    if (bb->fd < 0) {
        g_set_error(error, G_IO_ERROR, g_io_error_from_errno(errno),
                    "cannot open disk image '%s'%s: %s", path,
                    direct ? " with O_DIRECT" : "", g_strerror(errno));
        return NULL;
    }
    if (fstat(bb->fd, &bb->st) < 0 ||
        (!S_ISREG(bb->st.st_mode) && !S_ISBLK(bb->st.st_mode))) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                    "disk image '%s' is neither a regular file nor a block "
                    "device", path);
        return NULL;
    }
    bb->is_blockdev = S_ISBLK(bb->st.st_mode);
    if (!block_backend_lock(bb, error))
        return NULL;
    if (type == IMAGE_TYPE_UNKNOWN && (fmt = block_probe_format(bb->fd))) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
                    "disk image '%s' is in %s format, which is not supported "
                    "yet (raw images only)", path, fmt);
        return NULL;
    }
    if (!block_backend_probe_sizes(bb, error))
        return NULL;
    if (posix_memalign(&bb->zeroes, MAX(4096u, bb->mem_align),
                       BLOCK_ZERO_BUF_SIZE) != 0) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_FAILED, "out of memory");
        return NULL;
    }
    memset(bb->zeroes, 0, BLOCK_ZERO_BUF_SIZE);
    return g_steal_pointer(&bb);
}

void
block_backend_free(BlockBackend *bb)
{
    if (!bb)
        return;
    fd_close(bb->fd);
    free(bb->zeroes);
    g_free(bb->path);
    g_free(bb);
}

/* ---- Synchronous I/O ------------------------------------------------------ */

/* preadv/pwritev of bytes [@skip, @len) of @iov at @offset + @skip, until
 * done: short transfers are continued, EOF on a read is an I/O error. */
static int64_t
block_rw_sync(BlockBackend *bb, bool write, const struct iovec *iov,
              unsigned iovcnt, uint64_t offset, uint64_t len, uint64_t skip)
{
    struct iovec part[IOV_MAX];

    while (skip < len) {
        int n = iov_slice(iov, iovcnt, skip, MIN(len - skip, (uint64_t)SSIZE_MAX),
                          part, IOV_MAX);
        ssize_t r;

        if (n == -E2BIG) {
            /* More pieces than one syscall takes: just the current one. */
            uint64_t pos = 0;

            for (unsigned i = 0; i < iovcnt; i++) {
                if (skip < pos + iov[i].iov_len) {
                    n = iov_slice(iov, iovcnt, skip,
                                  MIN(pos + iov[i].iov_len, len) - skip, part,
                                  1);
                    break;
                }
                pos += iov[i].iov_len;
            }
        }
        if (n < 0)
            return -EINVAL;
        r = write ? pwritev(bb->fd, part, n, (off_t)(offset + skip))
                  : preadv(bb->fd, part, n, (off_t)(offset + skip));
        if (r < 0) {
            if (errno == EINTR)
                continue;
            return -errno;
        }
        if (r == 0)
            return -EIO;
        skip += (uint64_t)r;
    }
    return (int64_t)len;
}

int
block_backend_fallocate_mode(const BlockRequest *req)
{
    if (req->op == BLOCK_OP_DISCARD ||
        (req->op == BLOCK_OP_WRITE_ZEROES && req->unmap))
        return FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE;
    return FALLOC_FL_ZERO_RANGE | FALLOC_FL_KEEP_SIZE;
}

/* WRITE_ZEROES on a file system without ZERO_RANGE: plain writes. */
static int64_t
block_write_zeroes_sync(BlockBackend *bb, uint64_t offset, uint64_t len)
{
    uint64_t done = 0;

    while (done < len) {
        uint64_t n = MIN(len - done, (uint64_t)BLOCK_ZERO_BUF_SIZE);
        ssize_t r = pwrite(bb->fd, bb->zeroes, n, (off_t)(offset + done));

        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return r < 0 ? -errno : -EIO;
        done += (uint64_t)r;
    }
    return (int64_t)len;
}

static int64_t
block_fallocate_result(BlockBackend *bb, BlockRequest *req, int64_t res)
{
    if (res >= 0)
        return (int64_t)req->len;
    /* DISCARD is a hint (virtio 1.2 §5.2.6.2): not supported is fine. */
    if (req->op == BLOCK_OP_DISCARD && (res == -EOPNOTSUPP || res == -EINVAL))
        return (int64_t)req->len;
    if (req->op == BLOCK_OP_WRITE_ZEROES &&
        (res == -EOPNOTSUPP || res == -EINVAL))
        return block_write_zeroes_sync(bb, req->offset, req->len);
    return res;
}

int64_t
block_backend_do_sync(BlockBackend *bb, BlockRequest *req)
{
    int r;

    switch (req->op) {
    case BLOCK_OP_READ:
    case BLOCK_OP_WRITE:
        return block_rw_sync(bb, req->op == BLOCK_OP_WRITE, req->io_iov,
                             req->io_iovcnt, req->offset, req->len, 0);
    case BLOCK_OP_FLUSH:
        r = fdatasync(bb->fd);
        return r < 0 ? -errno : 0;
    case BLOCK_OP_DISCARD:
    case BLOCK_OP_WRITE_ZEROES:
        r = fallocate(bb->fd, block_backend_fallocate_mode(req),
                      (off_t)req->offset, (off_t)req->len);
        return block_fallocate_result(bb, req, r < 0 ? -errno : 0);
    default:
        return -EOPNOTSUPP;
    }
}

/* ---- Request preparation / completion ------------------------------------ */

void
block_request_clear(BlockRequest *req)
{
    free(req->bounce);
    req->bounce = NULL;
    req->bounce_size = 0;
}

static bool
block_iov_aligned(const BlockBackend *bb, const struct iovec *iov, unsigned n)
{
    for (unsigned i = 0; i < n; i++) {
        if (((uintptr_t)iov[i].iov_base | iov[i].iov_len) & (bb->mem_align - 1))
            return false;
    }
    return true;
}

static int
block_request_prepare(BlockBackend *bb, BlockRequest *req)
{
    bool rw = req->op == BLOCK_OP_READ || req->op == BLOCK_OP_WRITE;

    if (req->op >= BLOCK_OP_LAST)
        return -EOPNOTSUPP;
    if (bb->readonly && req->op != BLOCK_OP_READ && req->op != BLOCK_OP_FLUSH)
        return -EROFS;
    if (rw)
        req->len = iov_size(req->iov, req->iovcnt);
    if (req->op != BLOCK_OP_FLUSH &&
        (req->offset > bb->size || req->len > bb->size - req->offset))
        return -EINVAL;
    req->io_iov = req->iov;
    req->io_iovcnt = req->iovcnt;
    req->result = 0;
    if (!rw || !bb->direct)
        return 0;
    if ((req->offset | req->len) & (bb->lbs - 1))
        return -EINVAL;   /* O_DIRECT needs block-aligned offsets and sizes */
    if (block_iov_aligned(bb, req->iov, req->iovcnt))
        return 0;
    /* Unaligned guest buffers: go through an aligned bounce buffer. */
    if (req->bounce_size < req->len) {
        void *p = NULL;

        if (posix_memalign(&p, MAX(4096u, bb->mem_align), req->len) != 0)
            return -ENOMEM;
        free(req->bounce);
        req->bounce = p;
        req->bounce_size = req->len;
    }
    if (req->op == BLOCK_OP_WRITE)
        iov_to_buf(req->iov, req->iovcnt, 0, req->bounce, req->len);
    req->io_vec.iov_base = req->bounce;
    req->io_vec.iov_len = req->len;
    req->io_iov = &req->io_vec;
    req->io_iovcnt = 1;
    return 0;
}

void
block_request_finish(BlockBackend *bb, BlockRequest *req, int64_t res)
{
    bool rw = req->op == BLOCK_OP_READ || req->op == BLOCK_OP_WRITE;

    if (rw && res >= 0 && (uint64_t)res < req->len) {
        /* A short transfer (signal, page cache pressure, EOF race): the
         * rest goes synchronously rather than failing the guest's I/O. */
        res = res == 0 ? -EIO
                       : block_rw_sync(bb, req->op == BLOCK_OP_WRITE,
                                       req->io_iov, req->io_iovcnt, req->offset,
                                       req->len, (uint64_t)res);
    } else if (req->op == BLOCK_OP_DISCARD || req->op == BLOCK_OP_WRITE_ZEROES) {
        res = block_fallocate_result(bb, req, res);
    } else if (req->op == BLOCK_OP_FLUSH && res > 0) {
        res = 0;
    }
    if (req->op == BLOCK_OP_READ && res >= 0 && req->io_iov == &req->io_vec)
        iov_from_buf(req->iov, req->iovcnt, 0, req->bounce, req->len);
    req->result = res;
}

/* ---- Queues ---------------------------------------------------------------- */

BlockQueue *
block_queue_new(BlockBackend *bb, unsigned depth, bool allow_uring,
                GError **error)
{
    g_autoptr(GError) uring_error = NULL;
    BlockQueue *q;

    if (allow_uring) {
        q = block_engine_uring.queue_new(bb, depth, &uring_error);
        if (q)
            return q;
        g_message("%s: io_uring unavailable (%s), using synchronous I/O",
                  bb->path, uring_error->message);
    }
    return block_engine_sync.queue_new(bb, depth, error);
}

void
block_queue_free(BlockQueue *q)
{
    if (q)
        q->ops->queue_free(q);
}

const char *
block_queue_engine(const BlockQueue *q)
{
    return q->ops->name;
}

int
block_queue_submit(BlockQueue *q, BlockRequest *req)
{
    int r = block_request_prepare(q->bb, req);

    return r < 0 ? r : q->ops->submit(q, req);
}

int
block_queue_kick(BlockQueue *q)
{
    return q->ops->kick(q);
}

int
block_queue_completion_fd(BlockQueue *q)
{
    return q->ops->completion_fd(q);
}

unsigned
block_queue_reap(BlockQueue *q, BlockRequest **done, unsigned max)
{
    return q->ops->reap(q, done, max);
}
