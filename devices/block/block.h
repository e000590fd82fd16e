/* SPDX-License-Identifier: Apache-2.0 */
/* Block backends: an opened, locked raw image and the I/O engines (io_uring, synchronous). */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/uio.h>
#include <glib.h>

#include "config/vm-config.h"

typedef struct BlockBackend BlockBackend;

/**
 * block_backend_open:
 * Opens the image at @path (read-only or read-write, O_DIRECT with
 * @direct) and takes an OFD lock on it: a write lock for read-write, a
 * read lock for read-only, so that a second writer, or a writer next to a
 * reader, is refused with an error naming the image
 * (G_IO_ERROR_BUSY).  @type must be raw or unknown (autodetect); images
 * whose header says qcow2/VHDX/VHD, and other formats, are refused
 * (G_IO_ERROR_NOT_SUPPORTED).  Regular files and block devices only.
 * Returns (transfer full) or NULL with @error set.
 */
BlockBackend *block_backend_open(const char *path, bool readonly, bool direct,
                                 ImageType type, GError **error);
void block_backend_free(BlockBackend *bb);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(BlockBackend, block_backend_free)

const char *block_backend_path(const BlockBackend *bb);
int block_backend_fd(const BlockBackend *bb);
uint64_t block_backend_size(const BlockBackend *bb);
bool block_backend_readonly(const BlockBackend *bb);
/* Logical block size (512 unless a block device or O_DIRECT needs more)
 * and physical block size, for VIRTIO_BLK_F_BLK_SIZE / TOPOLOGY. */
uint32_t block_backend_logical_block_size(const BlockBackend *bb);
uint32_t block_backend_physical_block_size(const BlockBackend *bb);
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
 * One I/O, owned by the caller from submit until reap (the engine keeps a
 * pointer).  For READ/WRITE the data is @iov (@len is their total);
 * DISCARD/WRITE_ZEROES use @offset/@len (@unmap: may deallocate).
 * @result is bytes transferred (all of @len) or -errno once reaped.
 * The bounce buffer (O_DIRECT with unaligned guest buffers) is allocated
 * on first need and kept for the slot's lifetime: block_request_clear().
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

    /* Engine side. */
    struct iovec io_vec;          /* the bounce buffer as an iovec */
    const struct iovec *io_iov;   /* what the engine transfers */
    unsigned io_iovcnt;
    void *bounce;
    size_t bounce_size;
} BlockRequest;

void block_request_clear(BlockRequest *req);

typedef struct BlockQueue BlockQueue;

/**
 * BlockEngineOps:
 * An I/O engine; one BlockQueue per virtio queue, used by one thread.
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

/* Validates and prepares @req (bounds, bounce buffer), then queues it.
 * Returns 0 or -errno (the request is not queued then). */
int block_queue_submit(BlockQueue *q, BlockRequest *req);
int block_queue_kick(BlockQueue *q);
int block_queue_completion_fd(BlockQueue *q);
/* Reaps completions and finishes them (bounce copy-out, short I/O
 * retried synchronously, WRITE_ZEROES fallback). */
unsigned block_queue_reap(BlockQueue *q, BlockRequest **done, unsigned max);

/* ---- For engines (block.c) ------------------------------------------------- */

/* Runs @req synchronously on the image; returns bytes or -errno. */
int64_t block_backend_do_sync(BlockBackend *bb, BlockRequest *req);
/* fallocate() mode for DISCARD/WRITE_ZEROES. */
int block_backend_fallocate_mode(const BlockRequest *req);
/* Completes a request the engine finished with @res (>= 0 bytes or
 * -errno): retries short transfers, copies bounce data out. */
void block_request_finish(BlockBackend *bb, BlockRequest *req, int64_t res);
