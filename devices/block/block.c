/* SPDX-License-Identifier: Apache-2.0 */
/* Block backends: requests mapped through the image's format, run on an I/O engine. */
#include <config.h>

#include <errno.h>
#include <linux/falloc.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <gio/gio.h>

#include "devices/block/block.h"
#include "devices/block/format.h"
#include "devices/virtio/iov.h"

/* Immutable after block_backend_open(), but for the format's size, which
 * block_backend_grow() raises atomically: shared by the workers. */
struct BlockBackend {
    BlockFormat *fmt;        /* owns the file */
    const BlockFile *file;
};

const char *
block_backend_path(const BlockBackend *bb)
{
    return block_file_path(bb->file);
}

const char *
block_backend_format(const BlockBackend *bb)
{
    return block_format_name(bb->fmt);
}

uint64_t
block_backend_size(const BlockBackend *bb)
{
    return __atomic_load_n(&bb->fmt->size, __ATOMIC_ACQUIRE);
}

bool
block_backend_grow(BlockBackend *bb, uint64_t size, GError **error)
{
    const char *path = block_file_path(bb->file);
    struct stat st;

    /* A qcow2 image's virtual size lives in its header and L1 table,
     * which nimbus's qcow2 code does not rewrite; a block device's size
     * is the host's. */
    if (strcmp(block_format_name(bb->fmt), "raw") != 0) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
                    "'%s': growing a %s image is not supported (only raw)",
                    path, block_format_name(bb->fmt));
        return false;
    }
    if (block_file_readonly(bb->file)) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_READ_ONLY,
                    "'%s' is read-only", path);
        return false;
    }
    if (fstat(block_file_fd(bb->file), &st) < 0 || !S_ISREG(st.st_mode)) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
                    "'%s' is not a regular file: only image files can grow",
                    path);
        return false;
    }
    if (size > G_MAXINT64 || ftruncate(block_file_fd(bb->file), (off_t)size) < 0) {
        int err = size > G_MAXINT64 ? EFBIG : errno;

        g_set_error(error, G_IO_ERROR, g_io_error_from_errno(err),
                    "cannot grow '%s' to %" G_GUINT64_FORMAT " bytes: %s",
                    path, size, g_strerror(err));
        return false;
    }
    /* The one field that changes after open: it only grows, so a worker
     * that still reads the old size refuses at most what the guest cannot
     * address yet (it learns the size from the config change after). */
    __atomic_store_n(&bb->fmt->size, size, __ATOMIC_RELEASE);
    return true;
}

bool
block_backend_readonly(const BlockBackend *bb)
{
    return block_file_readonly(bb->file);
}

uint32_t
block_backend_logical_block_size(const BlockBackend *bb)
{
    return block_file_logical_block_size(bb->file);
}

uint32_t
block_backend_physical_block_size(const BlockBackend *bb)
{
    return block_file_physical_block_size(bb->file);
}

bool
block_backend_can_discard(const BlockBackend *bb)
{
    return !block_file_readonly(bb->file);
}

char *
block_backend_default_serial(const BlockBackend *bb)
{
    return block_file_default_serial(bb->file);
}

BlockBackend *
block_backend_open(const char *path, bool readonly, bool direct,
                   ImageType type, GError **error)
{
    BlockFormatOptions opts = {
        .readonly = readonly, .direct = direct, .type = type,
        .backing_files = false, .sparse = true, .depth = 0,
    };

    return block_backend_open_opts(path, &opts, error);
}

BlockBackend *
block_backend_open_opts(const char *path, const BlockFormatOptions *opts,
                        GError **error)
{
    BlockFormat *fmt = block_format_open_opts(path, opts, error);
    BlockBackend *bb;

    if (!fmt)
        return NULL;
    bb = g_new0(BlockBackend, 1);
    bb->fmt = fmt;
    bb->file = fmt->file;
    return bb;
}

void
block_backend_free(BlockBackend *bb)
{
    if (!bb)
        return;
    block_format_close(bb->fmt);
    g_free(bb);
}

/* ---- Synchronous I/O ------------------------------------------------------ */

int
block_request_fallocate_mode(const BlockRequest *req)
{
    if (req->op == BLOCK_OP_DISCARD ||
        (req->op == BLOCK_OP_WRITE_ZEROES && req->unmap))
        return FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE;
    return FALLOC_FL_ZERO_RANGE | FALLOC_FL_KEEP_SIZE;
}

/* The result of fallocate() over @len bytes at @offset of @file. */
static int64_t
block_fallocate_result(const BlockFile *file, const BlockRequest *req,
                       uint64_t offset, uint64_t len, int64_t res)
{
    if (res >= 0)
        return (int64_t)len;
    /* DISCARD is a hint (virtio 1.2 §5.2.6.2): not supported is fine. */
    if (req->op == BLOCK_OP_DISCARD && (res == -EOPNOTSUPP || res == -EINVAL))
        return (int64_t)len;
    if (req->op == BLOCK_OP_WRITE_ZEROES &&
        (res == -EOPNOTSUPP || res == -EINVAL))
        return block_file_write_zeroes(file, offset, len);
    return res;
}

/* Runs @req's part [@skip, @skip + @len) at @offset of @file. */
static int64_t
block_run_extent(const BlockFile *file, const BlockRequest *req,
                 uint64_t skip, uint64_t len, uint64_t offset)
{
    int r;

    switch (req->op) {
    case BLOCK_OP_READ:
    case BLOCK_OP_WRITE:
        return block_file_rw(file, req->op == BLOCK_OP_WRITE, req->io_iov,
                             req->io_iovcnt, skip, len, offset);
    case BLOCK_OP_FLUSH:
        return block_file_flush(file);
    case BLOCK_OP_DISCARD:
    case BLOCK_OP_WRITE_ZEROES:
        r = block_file_fallocate(file, block_request_fallocate_mode(req),
                                 offset, len);
        return block_fallocate_result(file, req, offset, len, r);
    default:
        return -EOPNOTSUPP;
    }
}

int64_t
block_request_run_sync(BlockRequest *req)
{
    if (req->io_done)
        return req->result;
    return block_run_extent(req->io_file, req, 0, req->len, req->io_offset);
}

/* A request that the format maps to several extents, or to unallocated
 * ones: run here, extent by extent, synchronously.  Formats keep their
 * data contiguous where they can, so this is the uncommon path (a
 * request across clusters); the engines' batching serves the rest. */
static int64_t
block_run_mapped(BlockBackend *bb, BlockRequest *req)
{
    BlockFormat *fmt = bb->fmt;
    uint64_t done = 0;

    while (done < req->len) {
        BlockExtent ext = { 0 };
        uint64_t left = req->len - done;
        int64_t r = fmt->ops->map(fmt, req->op, req->offset + done, left,
                                  &ext);

        if (r < 0)
            return r;
        /* A format that maps nothing, or more than asked, is broken:
         * fail the request rather than loop or overrun. */
        if (ext.len == 0 || ext.len > left || ext.kind >= BLOCK_EXTENT_LAST)
            return -EIO;
        if (ext.kind == BLOCK_EXTENT_FORMAT) {
            /* Only reads map there (compressed clusters, backing files). */
            if (req->op != BLOCK_OP_READ || !fmt->ops->read)
                return -EIO;
            r = fmt->ops->read(fmt, req->offset + done, ext.len, req->io_iov,
                               req->io_iovcnt, done);
            if (r < 0)
                return r;
        } else if (ext.kind == BLOCK_EXTENT_ZERO) {
            /* Writes must be mapped to DATA; DISCARD / WRITE_ZEROES of an
             * unallocated range have nothing left to do. */
            if (req->op == BLOCK_OP_WRITE)
                return -EIO;
            if (req->op == BLOCK_OP_READ)
                iov_memset(req->io_iov, req->io_iovcnt, done, 0, ext.len);
        } else {
            r = block_run_extent(bb->file, req, done, ext.len,
                                 ext.file_offset);
            if (r < 0)
                return r;
        }
        done += ext.len;
    }
    return (int64_t)req->len;
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
block_iov_aligned(uint32_t align, const struct iovec *iov, unsigned n)
{
    for (unsigned i = 0; i < n; i++) {
        if (((uintptr_t)iov[i].iov_base | iov[i].iov_len) & (align - 1))
            return false;
    }
    return true;
}

/* Asks the format where @req goes: one DATA extent for all of it lets the
 * engine run it; anything else the format layer runs itself, and the
 * engine only reports the result (io_done). */
static int
block_request_map(BlockBackend *bb, BlockRequest *req)
{
    BlockExtent ext = { 0 };
    int r;

    req->io_file = bb->file;
    req->io_offset = 0;
    req->io_done = false;
    if (req->op == BLOCK_OP_FLUSH)
        return 0;
    r = bb->fmt->ops->map(bb->fmt, req->op, req->offset, req->len, &ext);
    if (r < 0)
        return r;
    if (ext.kind == BLOCK_EXTENT_DATA && ext.len == req->len) {
        req->io_offset = ext.file_offset;
        return 0;
    }
    if (ext.len == 0 || ext.len > req->len)
        return -EIO;      /* a broken format: see block_run_mapped() */
    req->io_done = true;
    return 0;
}

static int
block_request_prepare(BlockBackend *bb, BlockRequest *req)
{
    bool rw = req->op == BLOCK_OP_READ || req->op == BLOCK_OP_WRITE;
    uint32_t align = block_file_mem_align(bb->file);
    uint32_t lbs = block_file_logical_block_size(bb->file);
    int r;

    if (req->op >= BLOCK_OP_LAST)
        return -EOPNOTSUPP;
    if (block_file_readonly(bb->file) && req->op != BLOCK_OP_READ &&
        req->op != BLOCK_OP_FLUSH)
        return -EROFS;
    if (rw)
        req->len = iov_size(req->iov, req->iovcnt);
    req->io_iov = req->iov;
    req->io_iovcnt = req->iovcnt;
    req->result = 0;
    /* The format owns the bounds: -EINVAL outside the virtual disk. */
    r = block_request_map(bb, req);
    if (r < 0)
        return r;
    if (rw && block_file_direct(bb->file)) {
        if ((req->offset | req->len) & (lbs - 1))
            return -EINVAL;   /* O_DIRECT needs block-aligned offsets, sizes */
        if (!block_iov_aligned(align, req->iov, req->iovcnt)) {
            /* Unaligned guest buffers: an aligned bounce buffer. */
            if (req->bounce_size < req->len) {
                void *p = NULL;

                if (posix_memalign(&p, MAX(4096u, align), req->len) != 0)
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
        }
    }
    if (req->io_done)
        req->result = block_run_mapped(bb, req);
    return 0;
}

void
block_request_finish(BlockRequest *req, int64_t res)
{
    bool rw = req->op == BLOCK_OP_READ || req->op == BLOCK_OP_WRITE;

    if (req->io_done) {
        res = req->result;    /* the engine only carried it */
    } else if (rw && res >= 0 && (uint64_t)res < req->len) {
        /* A short transfer (signal, page cache pressure, EOF race): the
         * rest goes synchronously rather than failing the guest's I/O. */
        res = res == 0 ? -EIO
                       : block_file_rw(req->io_file, req->op == BLOCK_OP_WRITE,
                                       req->io_iov, req->io_iovcnt,
                                       (uint64_t)res, req->len - (uint64_t)res,
                                       req->io_offset + (uint64_t)res);
        if (res >= 0)
            res = (int64_t)req->len;
    } else if (req->op == BLOCK_OP_DISCARD ||
               req->op == BLOCK_OP_WRITE_ZEROES) {
        res = block_fallocate_result(req->io_file, req, req->io_offset,
                                     req->len, res);
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
                  block_backend_path(bb), uring_error->message);
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
