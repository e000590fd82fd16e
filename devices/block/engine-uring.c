/* SPDX-License-Identifier: Apache-2.0 */
/* The io_uring I/O engine: batched submission, completions signalled by the ring's own fd. */
#include <config.h>

#include <errno.h>
#include <liburing.h>
#include <gio/gio.h>

#include "devices/block/block.h"

/*
 * One ring per virtio queue, used only by that queue's worker thread.
 *
 * The worker polls the ring's fd, which is readable while the completion
 * queue holds entries (as QEMU's aio=io_uring does), rather than an
 * eventfd registered with the ring: an eventfd costs the kernel a signal
 * per completion and the worker a read() per reap to rearm it, even for
 * the reads that the page cache completes inside io_uring_enter() and
 * that the worker reaps right after submitting, before it sleeps again.
 */
typedef struct {
    BlockQueue base;
    struct io_uring ring;
    bool ring_ok;
    unsigned queued;         /* SQEs prepared since the last kick */
} UringQueue;

static void
uring_queue_free(BlockQueue *q)
{
    UringQueue *u = (UringQueue *)q;

    if (u->ring_ok)
        io_uring_queue_exit(&u->ring);
    g_free(u);
}

static int
uring_queue_setup(UringQueue *u, unsigned depth)
{
    int r = io_uring_queue_init(MAX(depth, 1u), &u->ring, 0);

    if (r < 0)
        return r;
    u->ring_ok = true;
    return 0;
}

bool
block_engine_uring_available(void)
{
    static gsize probed;
    static bool available;

    if (g_once_init_enter(&probed)) {
        struct io_uring ring;
        int r = io_uring_queue_init(1, &ring, 0);

        if (r == 0)
            io_uring_queue_exit(&ring);
        else
            g_debug("io_uring is not available: %s", g_strerror(-r));
        available = r == 0;
        g_once_init_leave(&probed, 1);
    }
    return available;
}

static BlockQueue *
uring_queue_new(BlockBackend *bb, unsigned depth, GError **error)
{
    UringQueue *u = g_new0(UringQueue, 1);
    int r;

    u->base.ops = &block_engine_uring;
    u->base.bb = bb;
    r = uring_queue_setup(u, depth);
    if (r < 0) {
        g_set_error(error, G_IO_ERROR, g_io_error_from_errno(-r),
                    "cannot set up io_uring: %s", g_strerror(-r));
        uring_queue_free(&u->base);
        return NULL;
    }
    return &u->base;
}

static int
uring_kick(BlockQueue *q)
{
    UringQueue *u = (UringQueue *)q;
    int r;

    if (u->queued == 0)
        return 0;
    /* One io_uring_enter() for the whole batch the worker just popped. */
    r = io_uring_submit(&u->ring);
    if (r < 0)
        return r;
    u->queued -= MIN((unsigned)r, u->queued);
    return 0;
}

static int
uring_submit(BlockQueue *q, BlockRequest *req)
{
    UringQueue *u = (UringQueue *)q;
    /* The file and offset come from the format's mapping. */
    int fd = block_file_fd(req->io_file);
    struct io_uring_sqe *sqe = io_uring_get_sqe(&u->ring);

    if (!sqe) {
        /* SQ ring full: push what we have and try once more. */
        uring_kick(q);
        sqe = io_uring_get_sqe(&u->ring);
        if (!sqe)
            return -EBUSY;
    }
    /* A request the format layer already ran: a NOP carries it through
     * the ring, so that it completes in order with the others. */
    switch (req->io_done ? BLOCK_OP_LAST : req->op) {
    case BLOCK_OP_READ:
        io_uring_prep_readv(sqe, fd, req->io_iov, req->io_iovcnt,
                            req->io_offset);
        break;
    case BLOCK_OP_WRITE:
        io_uring_prep_writev(sqe, fd, req->io_iov, req->io_iovcnt,
                             req->io_offset);
        break;
    case BLOCK_OP_FLUSH:
        io_uring_prep_fsync(sqe, fd, IORING_FSYNC_DATASYNC);
        break;
    case BLOCK_OP_DISCARD:
    case BLOCK_OP_WRITE_ZEROES:
        io_uring_prep_fallocate(sqe, fd, block_request_fallocate_mode(req),
                                req->io_offset, req->len);
        break;
    default:
        io_uring_prep_nop(sqe);
        break;
    }
    io_uring_sqe_set_data(sqe, req);
    u->queued++;
    return 0;
}

static int
uring_completion_fd(BlockQueue *q)
{
    /* Level-triggered: POLLIN while a CQE waits, so entries left behind
     * by a reap that hit @max wake the worker again by themselves. */
    return ((UringQueue *)q)->ring.ring_fd;
}

static unsigned
uring_reap(BlockQueue *q, BlockRequest **done, unsigned max)
{
    UringQueue *u = (UringQueue *)q;
    struct io_uring_cqe *cqe;
    unsigned n = 0;

    /* No syscall: io_uring_peek_cqe() reads the shared CQ ring (with
     * the acquire barrier that pairs with the kernel's tail update). */
    while (n < max && io_uring_peek_cqe(&u->ring, &cqe) == 0) {
        BlockRequest *req = io_uring_cqe_get_data(cqe);
        int res = cqe->res;

        io_uring_cqe_seen(&u->ring, cqe);
        block_request_finish(req, res);
        done[n++] = req;
    }
    return n;
}

const BlockEngineOps block_engine_uring = {
    .name = "io_uring",
    .queue_new = uring_queue_new,
    .queue_free = uring_queue_free,
    .submit = uring_submit,
    .kick = uring_kick,
    .completion_fd = uring_completion_fd,
    .reap = uring_reap,
};
