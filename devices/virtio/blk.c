/* SPDX-License-Identifier: Apache-2.0 */
/* virtio-blk (virtio 1.2 §5.2): one worker thread per queue on an io_uring (or sync) engine. */
#include <config.h>

#include <endian.h>
#include <errno.h>
#include <poll.h>
#include <stddef.h>
#include <string.h>
#include <unistd.h>
#include <sys/timerfd.h>
#include <gio/gio.h>

#include "devices/block/block.h"
#include "devices/block/format.h"
#include "devices/virtio/blk.h"
#include "devices/virtio/iov.h"
#include "devices/virtio/rate-limiter.h"
#include "devices/virtio/worker.h"

typedef struct BlkQueue BlkQueue;
typedef struct VirtioBlk VirtioBlk;

/* One in-flight request; a queue has queue_size of them, allocated at
 * creation (the data plane does not allocate). */
typedef struct {
    BlockRequest io;
    VirtQueueElem *elem;
    VirtioBlkReq req;
    gint64 start_us;
    int next_free;
} BlkSlot;

/* Latency and volume counters of one direction; atomic (workers update,
 * the control thread reads for vm.counters). */
typedef struct {
    guint64 bytes;
    guint64 ops;
    guint64 lat_min;          /* microseconds; G_MAXUINT64: no sample yet */
    guint64 lat_max;
    guint64 lat_total;
} BlkStats;

/* Owned by its worker thread between activate and reset/pause. */
struct BlkQueue {
    VirtioBlk *blk;
    VirtQueue *vq;
    unsigned index;
    VirtioWorker *worker;
    BlockQueue *bq;
    BlkSlot *slots;
    unsigned nslots;
    int free_head;           /* -1: none */
    unsigned inflight;
    bool starved;            /* stopped popping for lack of a free slot */
    BlockRequest **done;
    /* Rate limiting: a throttled request stays on the ring, notifications
     * stay off, and @timer_fd (made at creation, closed at free) fires
     * when the limiter has tokens again. */
    int timer_fd;
    bool throttled;
    /* One clock read per pass, not two per request: the requests of a
     * pass start with one io_uring_enter() and are reaped together.
     * 0: not read in this pass yet. */
    gint64 now_us;
    /* How well requests batch (worker thread; logged at teardown, once
     * the worker is joined, at info level: nimbus -v): requests started,
     * passes that started any (one io_uring_enter() each), kicks the
     * worker woke for. */
    guint64 n_requests;
    guint64 n_passes;
    guint64 n_kicks;
};

struct VirtioBlk {
    VirtioDevice vdev;
    /* Immutable after virtio_blk_new(). */
    BlockBackend *bb;
    bool allow_uring;
    unsigned seg_max;
    /* Sectors; grown by virtio_blk_resize() on the control thread, read
     * by the workers with blk_capacity(): atomic. */
    uint64_t capacity;
    uint32_t max_discard_sectors;
    char serial[VIRTIO_BLK_ID_BYTES];
    struct virtio_blk_config config;
    BlkQueue *queues;
    /* The disk's own limiter (unlimited until configured, so that it can
     * be changed at run time) or its group's; immutable pointer, the
     * limiter locks itself. */
    RateLimiter *rl;
    bool rl_group;
    /* Atomic. */
    BlkStats read;
    BlkStats write;
};

static VirtioBlk *
virtio_blk_from_vdev(VirtioDevice *vdev)
{
    return (VirtioBlk *)vdev;
}

static uint64_t
blk_capacity(VirtioBlk *blk)
{
    return __atomic_load_n(&blk->capacity, __ATOMIC_ACQUIRE);
}

/* ---- Counters ---------------------------------------------------------- */

static void
blk_stats_add(BlkStats *s, uint64_t bytes, uint64_t lat)
{
    guint64 cur;

    __atomic_add_fetch(&s->bytes, bytes, __ATOMIC_RELAXED);
    __atomic_add_fetch(&s->ops, 1, __ATOMIC_RELAXED);
    __atomic_add_fetch(&s->lat_total, lat, __ATOMIC_RELAXED);
    cur = __atomic_load_n(&s->lat_min, __ATOMIC_RELAXED);
    while (lat < cur && !__atomic_compare_exchange_n(&s->lat_min, &cur, lat, true,
                                                      __ATOMIC_RELAXED,
                                                      __ATOMIC_RELAXED))
        ;
    cur = __atomic_load_n(&s->lat_max, __ATOMIC_RELAXED);
    while (lat > cur && !__atomic_compare_exchange_n(&s->lat_max, &cur, lat, true,
                                                      __ATOMIC_RELAXED,
                                                      __ATOMIC_RELAXED))
        ;
}

static void
blk_stats_json(JsonBuilder *b, const char *dir, BlkStats *s)
{
    guint64 ops = __atomic_load_n(&s->ops, __ATOMIC_RELAXED);
    guint64 min = __atomic_load_n(&s->lat_min, __ATOMIC_RELAXED);
    g_autofree char *k_bytes = g_strdup_printf("%s_bytes", dir);
    g_autofree char *k_ops = g_strdup_printf("%s_ops", dir);
    g_autofree char *k_min = g_strdup_printf("%s_latency_min", dir);
    g_autofree char *k_max = g_strdup_printf("%s_latency_max", dir);
    g_autofree char *k_avg = g_strdup_printf("%s_latency_avg", dir);

    json_builder_set_member_name(b, k_bytes);
    json_builder_add_int_value(b, (gint64)__atomic_load_n(&s->bytes,
                                                          __ATOMIC_RELAXED));
    json_builder_set_member_name(b, k_ops);
    json_builder_add_int_value(b, (gint64)ops);
    /* CH reports u64::MAX before the first sample; JSON integers here are
     * signed 64-bit, so nimbus reports 0 instead. */
    json_builder_set_member_name(b, k_min);
    json_builder_add_int_value(b, ops ? (gint64)min : 0);
    json_builder_set_member_name(b, k_max);
    json_builder_add_int_value(b, (gint64)__atomic_load_n(&s->lat_max,
                                                          __ATOMIC_RELAXED));
    json_builder_set_member_name(b, k_avg);
    json_builder_add_int_value(b, ops ? (gint64)(__atomic_load_n(
                                                    &s->lat_total,
                                                    __ATOMIC_RELAXED) / ops)
                                      : 0);
}

static JsonNode *
virtio_blk_counters(VirtioDevice *vdev)
{
    VirtioBlk *blk = virtio_blk_from_vdev(vdev);
    g_autoptr(JsonBuilder) b = json_builder_new();

    json_builder_begin_object(b);
    blk_stats_json(b, "read", &blk->read);
    blk_stats_json(b, "write", &blk->write);
    json_builder_end_object(b);
    return json_builder_get_root(b);
}

/* ---- Request processing (worker thread) ------------------------------- */

static void
blk_slot_release(BlkQueue *q, BlkSlot *s)
{
    s->next_free = q->free_head;
    q->free_head = (int)(s - q->slots);
}

/* Writes the status and returns the chain to the driver. */
static void
blk_complete(BlkQueue *q, BlkSlot *s, uint8_t status, uint32_t written)
{
    *s->req.status = status;
    /* The used length counts data then status, but the status byte ends
     * the chain, past data the device may not have filled: mark it apart
     * (live migration must resend it). */
    virtqueue_mark_written(q->vq, s->elem, s->elem->in_len - 1, 1);
    virtqueue_push(q->vq, s->elem, written + 1);
    blk_slot_release(q, s);
}

static gint64
blk_now(BlkQueue *q)
{
    if (q->now_us == 0)
        q->now_us = g_get_monotonic_time();
    return q->now_us;
}

static void
blk_finish_io(BlkQueue *q, BlkSlot *s)
{
    VirtioBlk *blk = q->blk;
    bool ok = s->io.result >= 0;
    uint32_t written = 0;

    q->inflight--;
    if (ok && s->io.op == BLOCK_OP_READ) {
        written = (uint32_t)s->req.data_len;
        blk_stats_add(&blk->read, s->req.data_len,
                      (uint64_t)(blk_now(q) - s->start_us));
    } else if (ok && s->io.op == BLOCK_OP_WRITE) {
        blk_stats_add(&blk->write, s->req.data_len,
                      (uint64_t)(blk_now(q) - s->start_us));
    }
    /* A failed read may still have landed in part of the buffers. */
    if (!ok && s->io.op == BLOCK_OP_READ)
        virtqueue_mark_written(q->vq, s->elem, 0, s->req.data_len);
    if (!ok)
        g_debug("%s: %s at sector %" G_GUINT64_FORMAT ": %s", blk->vdev.id,
                s->io.op == BLOCK_OP_WRITE ? "write" : "I/O", s->req.sector,
                g_strerror((int)-s->io.result));
    /* Host I/O errors are the guest's to handle (§5.2.6.1), never ours. */
    blk_complete(q, s, ok ? VIRTIO_BLK_S_OK : VIRTIO_BLK_S_IOERR, written);
}

static unsigned
blk_reap(BlkQueue *q)
{
    unsigned total = 0, n;

    /* A fresh clock for these completions' latencies. */
    q->now_us = 0;
    /* A short batch means nothing else had completed; one posted since
     * keeps the completion fd readable, which wakes the worker for it. */
    do {
        n = block_queue_reap(q->bq, q->done, q->nslots);
        for (unsigned i = 0; i < n; i++)
            blk_finish_io(q, q->done[i]->opaque);
        total += n;
    } while (n == q->nslots);
    return total;
}

/* Starts the request in @s; returns false if the guest broke the rules. */
static bool
blk_start(BlkQueue *q, BlkSlot *s)
{
    VirtioBlk *blk = q->blk;
    VirtioBlkReq *req = &s->req;
    VirtioBlkSegment seg;
    const char *why = NULL;
    uint8_t st;
    size_t n;

    if (virtio_blk_parse(s->elem, req, &why) < 0) {
        virtio_device_set_broken(&blk->vdev, "queue %u: %s", q->index, why);
        return false;
    }
    memset(&s->io, 0, offsetof(BlockRequest, io_vec));
    s->io.opaque = s;
    switch (req->type) {
    case VIRTIO_BLK_T_IN:
    case VIRTIO_BLK_T_OUT:
        if (!virtio_blk_range_ok(req->sector, req->data_len,
                                 blk_capacity(blk)) ||
            (req->type == VIRTIO_BLK_T_OUT && block_backend_readonly(blk->bb))) {
            blk_complete(q, s, VIRTIO_BLK_S_IOERR, 0);
            return true;
        }
        s->io.op = req->type == VIRTIO_BLK_T_IN ? BLOCK_OP_READ : BLOCK_OP_WRITE;
        s->io.offset = req->sector * VIRTIO_BLK_SECTOR_SIZE;
        s->io.iov = req->data;
        s->io.iovcnt = req->data_num;
        break;
    case VIRTIO_BLK_T_FLUSH:
        s->io.op = BLOCK_OP_FLUSH;
        break;
    case VIRTIO_BLK_T_GET_ID:
        n = iov_from_buf(req->data, req->data_num, 0, blk->serial,
                         MIN(req->data_len, sizeof(blk->serial)));
        blk_complete(q, s, VIRTIO_BLK_S_OK, (uint32_t)n);
        return true;
    case VIRTIO_BLK_T_DISCARD:
    case VIRTIO_BLK_T_WRITE_ZEROES:
        if (block_backend_readonly(blk->bb)) {
            blk_complete(q, s, VIRTIO_BLK_S_UNSUPP, 0);
            return true;
        }
        st = virtio_blk_parse_segment(req, blk_capacity(blk),
                                      blk->max_discard_sectors, &seg);
        if (st != VIRTIO_BLK_S_OK) {
            blk_complete(q, s, st, 0);
            return true;
        }
        s->io.op = req->type == VIRTIO_BLK_T_DISCARD ? BLOCK_OP_DISCARD
                                                    : BLOCK_OP_WRITE_ZEROES;
        s->io.offset = seg.sector * VIRTIO_BLK_SECTOR_SIZE;
        s->io.len = (uint64_t)seg.num_sectors * VIRTIO_BLK_SECTOR_SIZE;
        s->io.unmap = seg.unmap;
        break;
    default:
        blk_complete(q, s, VIRTIO_BLK_S_UNSUPP, 0);
        return true;
    }
    s->start_us = blk_now(q);
    if (block_queue_submit(q->bq, &s->io) < 0) {
        blk_complete(q, s, VIRTIO_BLK_S_IOERR, 0);
        return true;
    }
    q->inflight++;
    return true;
}

/* Whether the request just popped into @s may start now (CH's rules:
 * every request takes an operation token, reads and writes also their
 * bytes).  If not, the timer is armed for when the tokens are back. */
static bool
blk_admit(BlkQueue *q, BlkSlot *s)
{
    VirtioBlkReq *req = &s->req;
    struct itimerspec its = { { 0, 0 }, { 0, 0 } };
    const char *why = NULL;
    uint64_t bytes = 0;
    int64_t wait_us;

    if (!rate_limiter_is_limited(q->blk->rl))
        return true;
    /* A malformed chain is blk_start()'s to refuse: it costs one op. */
    if (virtio_blk_parse(s->elem, req, &why) == 0 &&
        (req->type == VIRTIO_BLK_T_IN || req->type == VIRTIO_BLK_T_OUT))
        bytes = req->data_len;
    if (rate_limiter_consume(q->blk->rl, 1, bytes, &wait_us))
        return true;
    its.it_value.tv_sec = wait_us / G_USEC_PER_SEC;
    its.it_value.tv_nsec = (wait_us % G_USEC_PER_SEC) * 1000;
    if (timerfd_settime(q->timer_fd, 0, &its, NULL) < 0) {
        /* Cannot happen with a valid fd and time; retry on the next
         * kick rather than never. */
        g_debug("%s: queue %u: timerfd_settime: %s", q->blk->vdev.id,
                q->index, g_strerror(errno));
    }
    q->throttled = true;
    return false;
}

/* Pops and starts everything available, then submits the batch. */
static void
blk_process(BlkQueue *q)
{
    VirtioDevice *vdev = &q->blk->vdev;
    int r = 0;

    q->starved = false;
    q->throttled = false;
    for (;;) {
        guint64 started = q->n_requests;

        q->now_us = 0;
        virtqueue_disable_notify(q->vq);
        while (q->free_head >= 0) {
            BlkSlot *s = &q->slots[q->free_head];

            r = virtqueue_pop(q->vq, s->elem);
            if (r < 0)
                break;
            if (!blk_admit(q, s)) {
                /* It stays on the ring for the timer's next pass. */
                virtqueue_unpop(q->vq);
                break;
            }
            q->free_head = s->next_free;
            q->n_requests++;
            if (!blk_start(q, s))
                return;
        }
        if (q->n_requests != started)
            q->n_passes++;
        if (r < 0 && r != -ENOENT) {
            virtio_device_set_broken(vdev, "queue %u: %s", q->index,
                                     q->vq->error);
            return;
        }
        /* One io_uring_enter() for the whole batch. */
        block_queue_kick(q->bq);
        blk_reap(q);                 /* the sync engine is done already */
        if (q->free_head < 0) {
            q->starved = true;       /* a completion restarts us */
            break;
        }
        /* Throttled: the timer restarts us; kicks would only wake us to
         * find the limiter still empty. */
        if (q->throttled)
            break;
        if (!virtqueue_enable_notify(q->vq))
            break;
    }
    virtio_notify(vdev, q->vq);
}

static void
blk_on_kick(gpointer opaque, int fd, short revents)
{
    BlkQueue *q = opaque;

    virtio_eventfd_drain(fd);
    q->n_kicks++;
    if (!virtio_device_is_broken(&q->blk->vdev))
        blk_process(q);
}

static void
blk_on_timer(gpointer opaque, int fd, short revents)
{
    BlkQueue *q = opaque;
    uint64_t expirations;

    /* Non-blocking: a spurious wakeup reads nothing. */
    if (read(fd, &expirations, sizeof(expirations)) < 0 && errno != EAGAIN)
        g_debug("%s: queue %u: timer: %s", q->blk->vdev.id, q->index,
                g_strerror(errno));
    if (!virtio_device_is_broken(&q->blk->vdev))
        blk_process(q);
}

static void
blk_on_completion(gpointer opaque, int fd, short revents)
{
    BlkQueue *q = opaque;

    if (blk_reap(q) > 0)
        virtio_notify(&q->blk->vdev, q->vq);
    if (q->starved && !virtio_device_is_broken(&q->blk->vdev))
        blk_process(q);
}

/* Waits for every in-flight request (reset, pause): the kernel may still
 * write into guest memory until they complete. */
static void
blk_drain(BlkQueue *q, bool push)
{
    int fd = block_queue_completion_fd(q->bq);

    while (q->inflight > 0) {
        struct pollfd p = { .fd = fd, .events = POLLIN };

        if (fd >= 0)
            poll(&p, 1, 100);
        if (push) {
            blk_reap(q);
        } else {
            unsigned n = block_queue_reap(q->bq, q->done, q->nslots);

            for (unsigned i = 0; i < n; i++)
                blk_slot_release(q, q->done[i]->opaque);
            q->inflight -= n;
        }
    }
    if (push)
        virtio_notify(&q->blk->vdev, q->vq);
}

/* ---- Lifecycle (control or vCPU thread) ---------------------------------- */

static void
blk_queue_stop(BlkQueue *q, bool push)
{
    if (!q->worker)
        return;
    virtio_worker_stop(q->worker);
    blk_drain(q, push);
}

static void
blk_queue_teardown(BlkQueue *q)
{
    blk_queue_stop(q, false);
    if (q->n_requests > 0) {
        g_info("%s: queue %u: %" G_GUINT64_FORMAT " requests in %"
               G_GUINT64_FORMAT " passes, %" G_GUINT64_FORMAT " kicks",
               q->blk->vdev.id, q->index, q->n_requests, q->n_passes,
               q->n_kicks);
        q->n_requests = q->n_passes = q->n_kicks = 0;
    }
    g_clear_pointer(&q->worker, virtio_worker_free);
    g_clear_pointer(&q->bq, block_queue_free);
}

static bool
virtio_blk_activate(VirtioDevice *vdev, GError **error)
{
    VirtioBlk *blk = virtio_blk_from_vdev(vdev);

    for (unsigned i = 0; i < vdev->nvqs; i++) {
        BlkQueue *q = &blk->queues[i];
        g_autofree char *name = g_strdup_printf("%s_q%u", vdev->id, i);
        int cfd;

        q->vq = &vdev->vqs[i];
        q->free_head = -1;
        for (unsigned k = q->nslots; k > 0; k--)
            blk_slot_release(q, &q->slots[k - 1]);
        q->inflight = 0;
        q->starved = false;
        q->throttled = false;
        q->n_requests = q->n_passes = q->n_kicks = 0;
        q->bq = block_queue_new(blk->bb, q->nslots, blk->allow_uring, error);
        if (!q->bq)
            return false;
        q->worker = virtio_worker_new(THREAD_ROLE_VIRTIO_BLK, name);
        virtio_worker_add_fd(q->worker, vdev->kick_fds[i], POLLIN, blk_on_kick,
                             q);
        cfd = block_queue_completion_fd(q->bq);
        if (cfd >= 0)
            virtio_worker_add_fd(q->worker, cfd, POLLIN, blk_on_completion, q);
        virtio_worker_add_fd(q->worker, q->timer_fd, POLLIN, blk_on_timer, q);
        if (!virtio_worker_start(q->worker, error))
            return false;
        /* Buffers may already be there (restore, or a kick that came
         * before the worker existed). */
        virtio_eventfd_signal(vdev->kick_fds[i]);
    }
    return true;
}

static void
virtio_blk_reset(VirtioDevice *vdev)
{
    VirtioBlk *blk = virtio_blk_from_vdev(vdev);

    for (unsigned i = 0; i < vdev->nvqs; i++)
        blk_queue_teardown(&blk->queues[i]);
}

static bool
virtio_blk_pause(VirtioDevice *vdev, GError **error)
{
    VirtioBlk *blk = virtio_blk_from_vdev(vdev);

    /* Completed requests go to the used ring: a snapshot then needs no
     * in-flight state. */
    for (unsigned i = 0; i < vdev->nvqs; i++)
        blk_queue_stop(&blk->queues[i], true);
    return true;
}

static bool
virtio_blk_resume(VirtioDevice *vdev, GError **error)
{
    VirtioBlk *blk = virtio_blk_from_vdev(vdev);

    for (unsigned i = 0; i < vdev->nvqs; i++) {
        BlkQueue *q = &blk->queues[i];

        if (q->worker && !virtio_worker_start(q->worker, error))
            return false;
        virtio_eventfd_signal(vdev->kick_fds[i]);
    }
    return true;
}

static void
virtio_blk_read_config(VirtioDevice *vdev, uint32_t off, void *data,
                       unsigned len)
{
    VirtioBlk *blk = virtio_blk_from_vdev(vdev);

    virtio_config_read(&blk->config, sizeof(blk->config), off, data, len);
}

static void
virtio_blk_free(VirtioDevice *vdev)
{
    VirtioBlk *blk = virtio_blk_from_vdev(vdev);

    for (unsigned i = 0; blk->queues && i < vdev->nvqs; i++) {
        BlkQueue *q = &blk->queues[i];

        blk_queue_teardown(q);
        if (blk->rl)
            rate_limiter_remove_wake_fd(blk->rl, vdev->kick_fds[i]);
        if (q->timer_fd >= 0)
            close(q->timer_fd);
        for (unsigned k = 0; q->slots && k < q->nslots; k++) {
            virtqueue_elem_free(q->slots[k].elem);
            g_free(q->slots[k].req.data);
            block_request_clear(&q->slots[k].io);
        }
        g_free(q->slots);
        g_free(q->done);
    }
    g_free(blk->queues);
    g_clear_pointer(&blk->rl, rate_limiter_unref);
    block_backend_free(blk->bb);
    virtio_device_cleanup(vdev);
    g_free(blk);
}

static const VirtioDeviceOps virtio_blk_ops = {
    .name = "block",
    .device_type = VIRTIO_ID_BLOCK,
    .config_size = sizeof(struct virtio_blk_config),
    .read_config = virtio_blk_read_config,
    .activate = virtio_blk_activate,
    .reset = virtio_blk_reset,
    .pause = virtio_blk_pause,
    .resume = virtio_blk_resume,
    .counters = virtio_blk_counters,
    .free = virtio_blk_free,
};

const char *
virtio_blk_engine(VirtioDevice *vdev, unsigned q)
{
    VirtioBlk *blk = virtio_blk_from_vdev(vdev);

    return q < vdev->nvqs && blk->queues[q].bq
               ? block_queue_engine(blk->queues[q].bq) : NULL;
}

/* The config space (§5.2.4): only the capacity changes, on a resize. */
static void
virtio_blk_fill_config(VirtioBlk *blk, unsigned nqueues)
{
    struct virtio_blk_config *c = &blk->config;
    uint32_t lbs = block_backend_logical_block_size(blk->bb);
    uint32_t pbs = block_backend_physical_block_size(blk->bb);
    unsigned exp = 0;

    while ((lbs << (exp + 1)) <= pbs && exp < 15)
        exp++;
    c->capacity = htole64(blk->capacity);
    c->seg_max = htole32(blk->seg_max);
    c->blk_size = htole32(lbs);
    c->physical_block_exp = (uint8_t)exp;
    c->alignment_offset = 0;
    c->min_io_size = htole16(1);
    c->opt_io_size = htole32(0);
    c->num_queues = htole16((uint16_t)nqueues);
    c->max_discard_sectors = htole32(blk->max_discard_sectors);
    c->max_discard_seg = htole32(1);
    c->discard_sector_alignment = htole32(lbs / VIRTIO_BLK_SECTOR_SIZE);
    c->max_write_zeroes_sectors = htole32(blk->max_discard_sectors);
    c->max_write_zeroes_seg = htole32(1);
    c->write_zeroes_may_unmap = 1;
}

VirtioDevice *
virtio_blk_new(DeviceHost *host, const DiskConfig *disk,
               bool allow_uring, GError **error)
{
    g_autofree VirtioBlk *blk = g_new0(VirtioBlk, 1);
    g_autoptr(BlockBackend) bb = NULL;
    g_autoptr(RateLimiter) rl = NULL;
    g_autofree char *serial = NULL;
    unsigned nq = MAX(disk->num_queues, 1u), qs = disk->queue_size;
    uint64_t features = VIRTIO_COMMON_FEATURES | (1ULL << VIRTIO_BLK_F_SEG_MAX) |
                        (1ULL << VIRTIO_BLK_F_BLK_SIZE) |
                        (1ULL << VIRTIO_BLK_F_FLUSH) |
                        (1ULL << VIRTIO_BLK_F_TOPOLOGY);
    BlockFormatOptions fo = {
        .readonly = disk->readonly, .direct = disk->direct,
        .type = disk->image_type, .backing_files = disk->backing_files,
        .sparse = true, .depth = 0,
    };

    /* @disk passed vm_config_validate(): a path, a power-of-two
     * queue_size of at least 4, no iommu, a raw, qcow2 or autodetected
     * image; a group it names exists, and it has no limiter of its own
     * then. */
    if (disk->rate_limit_group) {
        rl = device_host_rate_limit_group(host, disk->rate_limit_group,
                                          error);
        if (!rl) {
            g_prefix_error(error, "%s: ", disk->id);
            return NULL;
        }
        blk->rl_group = true;
    } else {
        rl = rate_limiter_new(disk->rate_limiter_config);
    }
    bb = block_backend_open_opts(disk->path, &fo, error);
    if (!bb) {
        g_prefix_error(error, "%s: ", disk->id);
        return NULL;
    }
    blk->seg_max = MIN(qs - 2, (unsigned)VIRTIO_BLK_MAX_SEG);
    blk->capacity = block_backend_size(bb) / VIRTIO_BLK_SECTOR_SIZE;
    blk->max_discard_sectors = G_MAXUINT32 >> 9 & ~0x7u;
    blk->allow_uring = allow_uring;
    if (nq > 1)
        features |= 1ULL << VIRTIO_BLK_F_MQ;
    if (disk->readonly)
        features |= 1ULL << VIRTIO_BLK_F_RO;
    else if (block_backend_can_discard(bb))
        features |= (1ULL << VIRTIO_BLK_F_DISCARD) |
                    (1ULL << VIRTIO_BLK_F_WRITE_ZEROES);
    serial = disk->serial ? g_strdup(disk->serial)
                          : block_backend_default_serial(bb);
    /* GET_ID: up to 20 bytes, NUL-padded (not terminated when full). */
    memcpy(blk->serial, serial, MIN(strlen(serial), sizeof(blk->serial)));
    blk->bb = g_steal_pointer(&bb);
    blk->read.lat_min = blk->write.lat_min = G_MAXUINT64;
    if (!virtio_device_init(&blk->vdev, &virtio_blk_ops, host, disk->id,
                            features, nq, (uint16_t)qs, error)) {
        VirtioBlk *b = g_steal_pointer(&blk);

        virtio_blk_free(&b->vdev);
        return NULL;
    }
    virtio_blk_fill_config(blk, nq);
    blk->rl = g_steal_pointer(&rl);
    blk->queues = g_new0(BlkQueue, nq);
    for (unsigned i = 0; i < nq; i++)
        blk->queues[i].timer_fd = -1;
    for (unsigned i = 0; i < nq; i++) {
        BlkQueue *q = &blk->queues[i];

        /* Here, on the control thread: the workers' seccomp role may
         * arm a timer but not create one. */
        q->timer_fd = timerfd_create(CLOCK_MONOTONIC,
                                     TFD_CLOEXEC | TFD_NONBLOCK);
        if (q->timer_fd < 0) {
            VirtioBlk *b = g_steal_pointer(&blk);
            int e = errno;

            g_set_error(error, G_IO_ERROR, g_io_error_from_errno(e),
                        "%s: timerfd_create: %s", disk->id, g_strerror(e));
            virtio_blk_free(&b->vdev);
            return NULL;
        }
        /* A change of limits wakes throttled queues at once. */
        rate_limiter_add_wake_fd(blk->rl, blk->vdev.kick_fds[i]);
        q->blk = blk;
        q->index = i;
        q->nslots = qs;
        q->slots = g_new0(BlkSlot, qs);
        q->done = g_new0(BlockRequest *, qs);
        for (unsigned k = 0; k < qs; k++) {
            /* header + seg_max data segments + status */
            q->slots[k].elem = virtqueue_elem_new(blk->seg_max + 2);
            q->slots[k].req.data = g_new0(struct iovec, blk->seg_max + 2);
            q->slots[k].req.data_max = blk->seg_max + 2;
        }
    }
    return &((VirtioBlk *)g_steal_pointer(&blk))->vdev;
}

bool
virtio_blk_resize(VirtioDevice *vdev, uint64_t bytes, GError **error)
{
    VirtioBlk *blk = virtio_blk_from_vdev(vdev);
    uint64_t cur = blk_capacity(blk) * VIRTIO_BLK_SECTOR_SIZE;
    uint64_t le;

    if (bytes % VIRTIO_BLK_SECTOR_SIZE) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                    "%s: desired_size %" G_GUINT64_FORMAT " is not a "
                    "multiple of %d bytes", vdev->id, bytes,
                    VIRTIO_BLK_SECTOR_SIZE);
        return false;
    }
    if (bytes < cur) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                    "%s: shrinking from %" G_GUINT64_FORMAT " to %"
                    G_GUINT64_FORMAT " bytes is not supported", vdev->id, cur,
                    bytes);
        return false;
    }
    if (bytes == cur)
        return true;
    if (!block_backend_grow(blk->bb, bytes, error))
        return false;
    __atomic_store_n(&blk->capacity, bytes / VIRTIO_BLK_SECTOR_SIZE,
                     __ATOMIC_RELEASE);
    /* vCPUs may be reading the config space: bumping the generation
     * before the store as well as after it (virtio_notify_config) makes a
     * driver that read a torn capacity see two different generations and
     * read again (virtio 1.2 §2.5.1). */
    g_atomic_int_inc(&vdev->config_generation);
    le = htole64(bytes / VIRTIO_BLK_SECTOR_SIZE);
    memcpy(&blk->config.capacity, &le, sizeof(le));
    virtio_notify_config(vdev);
    g_info("%s: capacity now %" G_GUINT64_FORMAT " bytes", vdev->id, bytes);
    return true;
}

bool
virtio_blk_set_rate_limiter(VirtioDevice *vdev, const RateLimiterConfig *cfg,
                            GError **error)
{
    VirtioBlk *blk = virtio_blk_from_vdev(vdev);

    if (blk->rl_group) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                    "%s: the disk is in a rate limit group: change the "
                    "group's limits", vdev->id);
        return false;
    }
    rate_limiter_update(blk->rl, cfg);
    return true;
}
