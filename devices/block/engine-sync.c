/* SPDX-License-Identifier: Apache-2.0 */
/* The synchronous I/O engine: preadv/pwritev/fdatasync/fallocate on the worker thread. */
#include <config.h>

#include <errno.h>
#include <gio/gio.h>

#include "devices/block/block.h"

/* Completed requests wait in a ring until the worker reaps them. */
typedef struct {
    BlockQueue base;
    unsigned depth;
    unsigned head;
    unsigned count;
    BlockRequest **done;
} SyncQueue;

static BlockQueue *
sync_queue_new(BlockBackend *bb, unsigned depth, GError **error)
{
    SyncQueue *s = g_new0(SyncQueue, 1);

    s->base.ops = &block_engine_sync;
    s->base.bb = bb;
    s->depth = MAX(depth, 1u);
    s->done = g_new0(BlockRequest *, s->depth);
    return &s->base;
}

static void
sync_queue_free(BlockQueue *q)
{
    SyncQueue *s = (SyncQueue *)q;

    g_free(s->done);
    g_free(s);
}

static int
sync_submit(BlockQueue *q, BlockRequest *req)
{
    SyncQueue *s = (SyncQueue *)q;

    if (s->count == s->depth)
        return -EBUSY;
    block_request_finish(req, block_request_run_sync(req));
    s->done[(s->head + s->count++) % s->depth] = req;
    return 0;
}

static int
sync_kick(BlockQueue *q)
{
    return 0;
}

static int
sync_completion_fd(BlockQueue *q)
{
    return -1;
}

static unsigned
sync_reap(BlockQueue *q, BlockRequest **done, unsigned max)
{
    SyncQueue *s = (SyncQueue *)q;
    unsigned n = 0;

    while (n < max && s->count > 0) {
        done[n++] = s->done[s->head];
        s->head = (s->head + 1) % s->depth;
        s->count--;
    }
    return n;
}

const BlockEngineOps block_engine_sync = {
    .name = "sync",
    .queue_new = sync_queue_new,
    .queue_free = sync_queue_free,
    .submit = sync_submit,
    .kick = sync_kick,
    .completion_fd = sync_completion_fd,
    .reap = sync_reap,
};
