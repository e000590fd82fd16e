/* SPDX-License-Identifier: Apache-2.0 */
/* Block backends: an opened image (format + file), requests and the I/O engines. */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/uio.h>
#include <glib.h>

#include "config/vm-config.h"
#include "devices/block/file.h"

/* What a device holds: an image in some format (devices/block/format.h)
 * on its locked file.  Immutable after open, shared by the workers. */
typedef struct BlockBackend BlockBackend;

/**
 * block_backend_open:
 * Opens the image at @path (read-only or read-write, O_DIRECT with
 * @direct) in the format @type says, or the one its header says for
 * IMAGE_TYPE_UNKNOWN (block_format_open() decides which formats are
 * supported: G_IO_ERROR_NOT_SUPPORTED otherwise).  The file is OFD-locked:
 * a write lock for read-write, a read lock for read-only, so that a second
 * writer, or a writer next to a reader, is refused with an error naming
 * the image (G_IO_ERROR_BUSY).  Regular files and block devices only.
 * Returns (transfer full) or NULL with @error set.
 */
BlockBackend *block_backend_open(const char *path, bool readonly, bool direct,
                                 ImageType type, GError **error);
/* The same with every option of the format layer (backing files, sparse):
 * BlockFormatOptions in devices/block/format.h. */
typedef struct BlockFormatOptions BlockFormatOptions;
BlockBackend *block_backend_open_opts(const char *path,
                                      const BlockFormatOptions *opts,
                                      GError **error);
void block_backend_free(BlockBackend *bb);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(BlockBackend, block_backend_free)

const char *block_backend_path(const BlockBackend *bb);
/* The image's format ("raw"). */
const char *block_backend_format(const BlockBackend *bb);
/* The virtual disk's size in bytes (what the guest sees). */
uint64_t block_backend_size(const BlockBackend *bb);
bool block_backend_readonly(const BlockBackend *bb);
/* Logical block size (512 unless a block device or O_DIRECT needs more)
 * and physical block size, for VIRTIO_BLK_F_BLK_SIZE / TOPOLOGY. */
uint32_t block_backend_logical_block_size(const BlockBackend *bb);
uint32_t block_backend_physical_block_size(const BlockBackend *bb);
/**
 * block_backend_grow:
 * Control thread: grows a writable raw image file to @size bytes
 * (ftruncate; the new part reads as zeroes) and makes that the disk's
 * size.  qcow2 images, block devices and read-only disks are refused
 * (G_IO_ERROR_NOT_SUPPORTED, _READ_ONLY) naming the image; shrinking is
 * the caller's to refuse.
 */
bool block_backend_grow(BlockBackend *bb, uint64_t size, GError **error);
/* Whether fallocate() can punch holes / zero ranges (DISCARD,
 * WRITE_ZEROES). */
bool block_backend_can_discard(const BlockBackend *bb);
/* "dev_ino" style serial when the user gave none (GET_ID), at most 20
 * bytes, as CH builds it from st_dev, st_rdev and st_ino. */
char *block_backend_default_serial(const BlockBackend *bb);

/* ---- Requests and engines ------------------------------------------------ */

typedef enum {
    BLOCK_OP_READ,
    BLOCK_OP_WRITE,
    BLOCK_OP_FLUSH,
    BLOCK_OP_DISCARD,
    BLOCK_OP_WRITE_ZEROES,
    BLOCK_OP_LAST
} BlockOp;

/**
 * BlockRequest:
 * One I/O on the virtual disk, owned by the caller from submit until reap
 * (the engine keeps a pointer).  For READ/WRITE the data is @iov (@len is
 * their total); DISCARD/WRITE_ZEROES use @offset/@len (@unmap: may
 * deallocate).  @result is bytes transferred (all of @len) or -errno once
 * reaped.  The bounce buffer (O_DIRECT with unaligned guest buffers) is
 * allocated on first need and kept for the slot's lifetime:
 * block_request_clear().
 */
typedef struct {
    BlockOp op;
    uint64_t offset;
    uint64_t len;
    const struct iovec *iov;
    unsigned iovcnt;
    bool unmap;
    int64_t result;
    gpointer opaque;

    /* Engine side, set by block_queue_submit() from the format's mapping:
     * the engine runs @op on @io_file at @io_offset, or, with @io_done,
     * only reports @result (the format layer ran a request that maps to
     * several extents itself). */
    struct iovec io_vec;          /* the bounce buffer as an iovec */
    const struct iovec *io_iov;   /* what the engine transfers */
    unsigned io_iovcnt;
    const BlockFile *io_file;
    uint64_t io_offset;
    bool io_done;
    void *bounce;
    size_t bounce_size;
} BlockRequest;

void block_request_clear(BlockRequest *req);

typedef struct BlockQueue BlockQueue;

/**
 * BlockEngineOps:
 * An I/O engine; one BlockQueue per virtio queue, used by one thread.
 * Engines execute requests already mapped to the file (@io_file,
 * @io_offset): they know nothing of formats.
 * @submit queues a request (the sync engine completes it at once);
 * @kick hands everything queued to the kernel in one call (batching);
 * @completion_fd is polled for completions (-1: none, reap right away);
 * @reap returns up to @max completed requests.
 */
typedef struct {
    const char *name;
    BlockQueue *(*queue_new)(BlockBackend *bb, unsigned depth, GError **error);
    void (*queue_free)(BlockQueue *q);
    int (*submit)(BlockQueue *q, BlockRequest *req);
    int (*kick)(BlockQueue *q);
    int (*completion_fd)(BlockQueue *q);
    unsigned (*reap)(BlockQueue *q, BlockRequest **done, unsigned max);
} BlockEngineOps;

/* Engines embed this first. */
struct BlockQueue {
    const BlockEngineOps *ops;
    BlockBackend *bb;
};

extern const BlockEngineOps block_engine_uring;
/* Whether this process can set up an io_uring now (probed once): what
 * vmm.ping's "io_uring" feature reports, so that it is not listed where
 * every queue would fall back to synchronous I/O. */
bool block_engine_uring_available(void);
extern const BlockEngineOps block_engine_sync;

/**
 * block_queue_new:
 * A queue on the io_uring engine, or on the synchronous one when
 * @allow_uring is false or the kernel refuses io_uring (ENOSYS, EPERM
 * under seccomp or io_uring_disabled): that fallback is logged once.
 */
BlockQueue *block_queue_new(BlockBackend *bb, unsigned depth, bool allow_uring,
                            GError **error);
void block_queue_free(BlockQueue *q);
const char *block_queue_engine(const BlockQueue *q);

/* Validates @req, maps it through the image's format (bounds: -EINVAL),
 * prepares the bounce buffer, then queues it.  Returns 0 or -errno (the
 * request is not queued then). */
int block_queue_submit(BlockQueue *q, BlockRequest *req);
int block_queue_kick(BlockQueue *q);
int block_queue_completion_fd(BlockQueue *q);
/* Reaps completions and finishes them (bounce copy-out, short I/O
 * retried synchronously, WRITE_ZEROES fallback). */
unsigned block_queue_reap(BlockQueue *q, BlockRequest **done, unsigned max);

/* ---- For engines (block.c) ------------------------------------------------- */

/* Runs the mapped @req synchronously on its file; returns bytes or
 * -errno (@result for an @io_done request). */
int64_t block_request_run_sync(BlockRequest *req);
/* fallocate() mode for DISCARD/WRITE_ZEROES. */
int block_request_fallocate_mode(const BlockRequest *req);
/* Completes a request the engine finished with @res (>= 0 bytes or
 * -errno): retries short transfers, copies bounce data out. */
void block_request_finish(BlockRequest *req, int64_t res);
