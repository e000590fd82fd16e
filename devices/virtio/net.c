/* SPDX-License-Identifier: Apache-2.0 */
/* virtio-net (virtio 1.2 §5.1) on a TAP: one worker per queue pair plus a control worker. */
#include <config.h>

#include <endian.h>
#include <errno.h>
#include <poll.h>
#include <limits.h>
#include <string.h>
#include <sys/timerfd.h>
#include <sys/uio.h>
#include <unistd.h>
#include <gio/gio.h>

#include "devices/virtio/iov.h"
#include "devices/virtio/net.h"
#include "devices/virtio/rate-limiter.h"
#include "devices/virtio/worker.h"

typedef struct VirtioNet VirtioNet;

/* Owned by its worker thread ("<id>_qp<n>") while the device is active;
 * @active is written by the control worker (VQ_PAIRS_SET) and read
 * atomically. */
typedef struct {
    VirtioNet *net;
    unsigned index;
    int fd;                      /* backend fd, immutable */
    VirtQueue *rx;
    VirtQueue *tx;
    VirtioWorker *worker;
    unsigned fd_slot;
    VirtQueueElem *rx_elem;
    VirtQueueElem *tx_elem;
    bool rx_starved;             /* no guest buffers: not polling the fd */
    bool tx_blocked;             /* backend full: waiting for POLLOUT */
    bool fd_error;               /* backend fd reported an error */
    /* Rate limiting (CH: one limiter per direction): a throttled
     * direction stops (RX: the TAP is not polled; TX: the chain stays on
     * the ring) until @timer_fd fires.  The fd is made at creation. */
    int timer_fd;
    bool rx_throttled;
    bool tx_throttled;
    gint active;                 /* atomic */
} NetPair;

struct VirtioNet {
    VirtioDevice vdev;
    /* Immutable after virtio_net_new(). */
    NetBackend *be;
    unsigned pairs;
    uint8_t config[VIRTIO_NET_CONFIG_SIZE];
    /* Pairs the driver enabled (VQ_PAIRS_SET; 1 after reset); control
     * worker, or the control thread while the device is stopped. */
    unsigned active_pairs;
    NetPair *qp;
    VirtQueue *ctrl;             /* NULL without CTRL_VQ */
    VirtioWorker *ctrl_worker;
    VirtQueueElem *ctrl_elem;
    /* Immutable pointers; the limiters lock themselves.  Unlimited until
     * configured, so that they can be changed at run time. */
    RateLimiter *rx_rl;
    RateLimiter *tx_rl;
    /* Atomic counters. */
    guint64 rx_bytes, rx_frames, tx_bytes, tx_frames, tx_dropped;
};

static VirtioNet *
virtio_net_from_vdev(VirtioDevice *vdev)
{
    return (VirtioNet *)vdev;
}

static void
net_count(guint64 *c, guint64 v)
{
    __atomic_add_fetch(c, v, __ATOMIC_RELAXED);
}

/* POLLIN while the guest has receive buffers, POLLOUT while a transmit
 * waits for room; neither (fd ignored) on an inactive or failed queue. */
static void
net_pair_update_events(NetPair *p)
{
    short ev = 0;

    if (g_atomic_int_get(&p->active) && !p->fd_error) {
        ev |= p->rx_starved || p->rx_throttled ? 0 : POLLIN;
        ev |= p->tx_blocked ? POLLOUT : 0;
    }
    virtio_worker_set_events(p->worker, p->fd_slot, ev);
}

/* Arms the pair's timer for @wait_us (the limiter's answer). */
static void
net_throttle(NetPair *p, int64_t wait_us)
{
    struct itimerspec its = { { 0, 0 }, { 0, 0 } };

    its.it_value.tv_sec = wait_us / G_USEC_PER_SEC;
    its.it_value.tv_nsec = (wait_us % G_USEC_PER_SEC) * 1000;
    if (timerfd_settime(p->timer_fd, 0, &its, NULL) < 0)
        g_debug("%s: queue pair %u: timerfd_settime: %s", p->net->vdev.id,
                p->index, g_strerror(errno));
}

/* ---- Receive: backend -> guest ------------------------------------------ */

static void
net_rx(NetPair *p)
{
    VirtioDevice *vdev = &p->net->vdev;
    unsigned pushed = 0;
    int r;

    p->rx_starved = false;
    p->rx_throttled = false;
    for (;;) {
        VirtQueueElem *e = p->rx_elem;
        int64_t wait_us;
        ssize_t n;

        /* A frame's size is known once it is read: an op and a byte now,
         * the rest of its bytes after (a debt the refill pays back). */
        if (!rate_limiter_consume(p->net->rx_rl, 1, 1, &wait_us)) {
            net_throttle(p, wait_us);
            p->rx_throttled = true;
            break;
        }
        r = virtqueue_pop(p->rx, e);
        if (r != 0)
            rate_limiter_adjust(p->net->rx_rl, -1, -1);
        if (r == -ENOENT) {
            /* Out of buffers: ask for a kick, then re-check (§2.7.10). */
            if (virtqueue_enable_notify(p->rx))
                continue;
            p->rx_starved = true;
            break;
        }
        if (r < 0) {
            virtio_device_set_broken(vdev, "queue %u: %s", p->rx->index,
                                     p->rx->error);
            return;
        }
        if (e->in_len < NET_VNET_HDR_LEN || e->out_num > 0) {
            virtio_device_set_broken(vdev, "queue %u: receive buffer of %zu "
                                     "bytes, or with readable parts",
                                     p->rx->index, e->in_len);
            return;
        }
        n = readv(p->fd, VIRTQUEUE_ELEM_IN(e), (int)MIN(e->in_num, IOV_MAX));
        if (n < (ssize_t)NET_VNET_HDR_LEN)
            rate_limiter_adjust(p->net->rx_rl, -1, -1);   /* no frame */
        else
            rate_limiter_adjust(p->net->rx_rl, 0,
                                n - (ssize_t)NET_VNET_HDR_LEN - 1);
        if (n < 0) {
            virtqueue_unpop(p->rx);
            if (errno != EAGAIN && errno != EINTR) {
                g_debug("%s: receive on queue pair %u: %s", vdev->id, p->index,
                        g_strerror(errno));
                p->fd_error = errno != EIO;
            }
            break;
        }
        if ((size_t)n < NET_VNET_HDR_LEN) {
            /* The bytes landed in guest memory all the same. */
            virtqueue_mark_written(p->rx, e, 0, (size_t)n);
            virtqueue_unpop(p->rx);
            continue;     /* not a packet we can hand over */
        }
        virtio_net_rx_fixup(VIRTQUEUE_ELEM_IN(e), e->in_num);
        n = MIN((size_t)n, e->in_len);
        virtqueue_push(p->rx, e, (uint32_t)n);
        net_count(&p->net->rx_bytes, (guint64)n - NET_VNET_HDR_LEN);
        net_count(&p->net->rx_frames, 1);
        /* Interrupt in batches, not per packet, while data keeps coming. */
        if (++pushed % 64 == 0)
            virtio_notify(vdev, p->rx);
    }
    if (pushed)
        virtio_notify(vdev, p->rx);
}

/* ---- Transmit: guest -> backend ------------------------------------------ */

/* Sends one packet; false when the backend is full (the chain goes back
 * to the ring and the worker waits for POLLOUT). */
static bool
net_tx_one(NetPair *p, VirtQueueElem *e)
{
    VirtioNet *net = p->net;
    const char *why = NULL;
    ssize_t n;

    if (virtio_net_tx_check(VIRTQUEUE_ELEM_OUT(e), e->out_num, e->out_len,
                            net->vdev.driver_features, &why) < 0) {
        g_debug("%s: packet dropped: %s", net->vdev.id, why);
        net_count(&net->tx_dropped, 1);
        return true;
    }
    n = writev(p->fd, VIRTQUEUE_ELEM_OUT(e), (int)MIN(e->out_num, IOV_MAX));
    if (n < 0 && (errno == EAGAIN || errno == EINTR))
        return false;
    if (n < 0) {
        /* Link down (EIO), a GSO packet the kernel refuses...: the packet
         * is lost, as on a real wire. */
        net_count(&net->tx_dropped, 1);
    } else {
        net_count(&net->tx_bytes, e->out_len - NET_VNET_HDR_LEN);
        net_count(&net->tx_frames, 1);
    }
    return true;
}

static void
net_tx(NetPair *p)
{
    VirtioDevice *vdev = &p->net->vdev;
    VirtQueueElem *e = p->tx_elem;
    unsigned pushed = 0;
    int r = 0;

    p->tx_blocked = false;
    p->tx_throttled = false;
    while (!p->tx_blocked && !p->tx_throttled) {
        virtqueue_disable_notify(p->tx);
        while ((r = virtqueue_pop(p->tx, e)) == 0) {
            int64_t wait_us;

            if (e->out_len < NET_VNET_HDR_LEN) {
                virtio_device_set_broken(vdev, "queue %u: transmit buffer "
                                         "without a virtio-net header",
                                         p->tx->index);
                return;
            }
            if (!rate_limiter_consume(p->net->tx_rl, 1,
                                      e->out_len - NET_VNET_HDR_LEN,
                                      &wait_us)) {
                /* It stays on the ring for the timer's next pass. */
                virtqueue_unpop(p->tx);
                net_throttle(p, wait_us);
                p->tx_throttled = true;
                break;
            }
            if (!net_tx_one(p, e)) {
                /* Not sent: its tokens go back. */
                rate_limiter_adjust(p->net->tx_rl, -1,
                                    -(int64_t)(e->out_len - NET_VNET_HDR_LEN));
                virtqueue_unpop(p->tx);
                p->tx_blocked = true;   /* resume on POLLOUT */
                break;
            }
            virtqueue_push(p->tx, e, 0);
            pushed++;
        }
        if (p->tx_blocked || p->tx_throttled)
            break;
        if (r != -ENOENT) {
            virtio_device_set_broken(vdev, "queue %u: %s", p->tx->index,
                                     p->tx->error);
            return;
        }
        if (!virtqueue_enable_notify(p->tx))
            break;
    }
    if (pushed)
        virtio_notify(vdev, p->tx);
}

static void
net_on_rx_kick(gpointer opaque, int fd, short revents)
{
    NetPair *p = opaque;

    virtio_eventfd_drain(fd);
    p->fd_error = false;        /* the driver acted: try the backend again */
    if (!virtio_device_is_broken(&p->net->vdev) && g_atomic_int_get(&p->active))
        net_rx(p);
    net_pair_update_events(p);
}

static void
net_on_tx_kick(gpointer opaque, int fd, short revents)
{
    NetPair *p = opaque;

    virtio_eventfd_drain(fd);
    if (!virtio_device_is_broken(&p->net->vdev))
        net_tx(p);
    net_pair_update_events(p);
}

static void
net_on_timer(gpointer opaque, int fd, short revents)
{
    NetPair *p = opaque;
    uint64_t expirations;

    /* Non-blocking: a spurious wakeup reads nothing. */
    if (read(fd, &expirations, sizeof(expirations)) < 0 && errno != EAGAIN)
        g_debug("%s: queue pair %u: timer: %s", p->net->vdev.id, p->index,
                g_strerror(errno));
    if (virtio_device_is_broken(&p->net->vdev))
        return;
    if (p->tx_throttled)
        net_tx(p);
    if (p->rx_throttled && g_atomic_int_get(&p->active))
        net_rx(p);
    net_pair_update_events(p);
}

static void
net_on_backend(gpointer opaque, int fd, short revents)
{
    NetPair *p = opaque;

    if (virtio_device_is_broken(&p->net->vdev))
        return;
    if (revents & (POLLERR | POLLNVAL)) {
        /* A detached or dead TAP queue: stop polling it until the guest
         * reconfigures (the next rx kick tries again). */
        g_debug("%s: queue pair %u backend error", p->net->vdev.id, p->index);
        p->fd_error = true;
    }
    if (revents & POLLOUT)
        net_tx(p);
    if (revents & POLLIN)
        net_rx(p);
    net_pair_update_events(p);
}

/* ---- Control queue (§5.1.6.5) ----------------------------------------- */

static uint8_t
net_ctrl_mq(VirtioNet *net, const VirtioNetCtrl *c)
{
    uint16_t n;

    if (c->cmd != VIRTIO_NET_CTRL_MQ_VQ_PAIRS_SET || c->data_len != 2 ||
        !virtio_has_feature(&net->vdev, VIRTIO_NET_F_MQ))
        return VIRTIO_NET_ERR;
    memcpy(&n, c->data, sizeof(n));
    n = le16toh(n);
    if (n < 1 || n > net->pairs)
        return VIRTIO_NET_ERR;
    if (net->be->ops->set_queues && net->be->ops->set_queues(net->be, n) < 0)
        return VIRTIO_NET_ERR;
    net->active_pairs = n;
    for (unsigned i = 0; i < net->pairs; i++) {
        g_atomic_int_set(&net->qp[i].active, i < n);
        /* The pair's worker re-reads its state on a kick. */
        virtio_eventfd_signal(net->vdev.kick_fds[2 * i]);
    }
    return VIRTIO_NET_OK;
}

static uint8_t
net_ctrl_offloads(VirtioNet *net, const VirtioNetCtrl *c)
{
    uint64_t off;

    if (c->cmd != VIRTIO_NET_CTRL_GUEST_OFFLOADS_SET || c->data_len != 8 ||
        !virtio_has_feature(&net->vdev, VIRTIO_NET_F_CTRL_GUEST_OFFLOADS))
        return VIRTIO_NET_ERR;
    memcpy(&off, c->data, sizeof(off));
    off = le64toh(off);
    /* Only offloads that were negotiated can be turned on (§5.1.6.5.6.1). */
    if (off & ~(net->vdev.driver_features & VIRTIO_NET_GUEST_OFFLOADS))
        return VIRTIO_NET_ERR;
    return net->be->ops->set_offload(net->be, virtio_net_tun_offloads(off)) < 0
               ? VIRTIO_NET_ERR : VIRTIO_NET_OK;
}

static void
net_on_ctrl_kick(gpointer opaque, int fd, short revents)
{
    VirtioNet *net = opaque;
    VirtioDevice *vdev = &net->vdev;
    VirtioNetCtrl c;
    const char *why = NULL;
    int r;

    virtio_eventfd_drain(fd);
    if (virtio_device_is_broken(vdev))
        return;
    while ((r = virtqueue_pop(net->ctrl, net->ctrl_elem)) == 0) {
        if (virtio_net_ctrl_parse(net->ctrl_elem, &c, &why) < 0) {
            virtio_device_set_broken(vdev, "control queue: %s", why);
            return;
        }
        switch (c.cls) {
        case VIRTIO_NET_CTRL_MQ:
            *c.ack = net_ctrl_mq(net, &c);
            break;
        case VIRTIO_NET_CTRL_GUEST_OFFLOADS:
            *c.ack = net_ctrl_offloads(net, &c);
            break;
        case VIRTIO_NET_CTRL_RX:
        case VIRTIO_NET_CTRL_MAC:
        case VIRTIO_NET_CTRL_ANNOUNCE:
            /* The TAP sees every frame anyway: filters are no-ops. */
            *c.ack = VIRTIO_NET_OK;
            break;
        default:
            *c.ack = VIRTIO_NET_ERR;
            break;
        }
        /* The ack ends the writable part, which the used length (1) does
         * not reach when the driver gave more: mark it apart. */
        virtqueue_mark_written(net->ctrl, net->ctrl_elem,
                               net->ctrl_elem->in_len - 1, 1);
        virtqueue_push(net->ctrl, net->ctrl_elem, 1);
    }
    if (r != -ENOENT) {
        virtio_device_set_broken(vdev, "control queue: %s", net->ctrl->error);
        return;
    }
    virtio_notify(vdev, net->ctrl);
}

/* ---- Lifecycle ------------------------------------------------------------- */

static void
net_stop_workers(VirtioNet *net)
{
    for (unsigned i = 0; i < net->pairs; i++) {
        if (net->qp[i].worker)
            virtio_worker_stop(net->qp[i].worker);
    }
    if (net->ctrl_worker)
        virtio_worker_stop(net->ctrl_worker);
}

static void
net_free_workers(VirtioNet *net)
{
    net_stop_workers(net);
    for (unsigned i = 0; i < net->pairs; i++)
        g_clear_pointer(&net->qp[i].worker, virtio_worker_free);
    g_clear_pointer(&net->ctrl_worker, virtio_worker_free);
}

static bool
net_start_workers(VirtioNet *net, GError **error)
{
    for (unsigned i = 0; i < net->pairs; i++) {
        if (!virtio_worker_start(net->qp[i].worker, error))
            return false;
        virtio_eventfd_signal(net->vdev.kick_fds[2 * i]);
        virtio_eventfd_signal(net->vdev.kick_fds[2 * i + 1]);
    }
    if (net->ctrl_worker && !virtio_worker_start(net->ctrl_worker, error))
        return false;
    return true;
}

static bool
virtio_net_activate(VirtioDevice *vdev, GError **error)
{
    VirtioNet *net = virtio_net_from_vdev(vdev);
    uint64_t off = vdev->driver_features & VIRTIO_NET_GUEST_OFFLOADS;
    int r;

    /* The host may only hand the guest what it negotiated (§5.1.6.3). */
    r = net->be->ops->set_offload(net->be, virtio_net_tun_offloads(off));
    if (r < 0) {
        g_set_error(error, G_IO_ERROR, g_io_error_from_errno(-r),
                    "cannot set the TAP offloads: %s", g_strerror(-r));
        return false;
    }
    /* One pair until the driver asks for more with VQ_PAIRS_SET
     * (§5.1.6.5.5), or what a restored driver had asked for. */
    if (net->active_pairs < 1 || net->active_pairs > net->pairs)
        net->active_pairs = 1;
    if (net->be->ops->set_queues)
        net->be->ops->set_queues(net->be, net->active_pairs);
    for (unsigned i = 0; i < net->pairs; i++) {
        NetPair *p = &net->qp[i];
        g_autofree char *name = g_strdup_printf("%s_qp%u", vdev->id, i);

        p->rx = &vdev->vqs[2 * i];
        p->tx = &vdev->vqs[2 * i + 1];
        p->rx_starved = p->tx_blocked = p->fd_error = false;
        p->rx_throttled = p->tx_throttled = false;
        g_atomic_int_set(&p->active, i < net->active_pairs);
        p->worker = virtio_worker_new(THREAD_ROLE_VIRTIO_NET, name);
        virtio_worker_add_fd(p->worker, vdev->kick_fds[2 * i], POLLIN,
                             net_on_rx_kick, p);
        virtio_worker_add_fd(p->worker, vdev->kick_fds[2 * i + 1], POLLIN,
                             net_on_tx_kick, p);
        p->fd_slot = virtio_worker_add_fd(p->worker, p->fd, 0, net_on_backend, p);
        virtio_worker_add_fd(p->worker, p->timer_fd, POLLIN, net_on_timer, p);
    }
    if (net->ctrl) {
        g_autofree char *name = g_strdup_printf("%s_ctrl", vdev->id);

        net->ctrl_worker = virtio_worker_new(THREAD_ROLE_VIRTIO_NET_CTL, name);
        virtio_worker_add_fd(net->ctrl_worker, vdev->kick_fds[2 * net->pairs],
                             POLLIN, net_on_ctrl_kick, net);
    }
    return net_start_workers(net, error);
}

static void
virtio_net_reset(VirtioDevice *vdev)
{
    VirtioNet *net = virtio_net_from_vdev(vdev);

    net_free_workers(net);
    net->active_pairs = 1;
}

/* The pairs the driver enabled (VQ_PAIRS_SET); what the backend and the
 * workers follow once the device is re-activated.  @max_pairs bounds it. */
typedef struct {
    uint32_t active_pairs;
    uint64_t max_pairs;
} VirtioNetState;

static const VmmStateField virtio_net_state_fields[] = {
    { .name = "active_pairs", .type = VMM_STATE_UINT,
      .offset = offsetof(VirtioNetState, active_pairs),
      .size = VMM_STATE_MEMBER_SIZE(VirtioNetState, active_pairs),
      .min = 1, .max = G_MAXUINT32, .flags = VMM_STATE_F_DYN_MAX,
      .max_off = offsetof(VirtioNetState, max_pairs) },
};

static const VmmStateDesc virtio_net_state_desc = {
    .name = "virtio-net",
    .version = 1,
    .size = sizeof(VirtioNetState),
    .fields = virtio_net_state_fields,
    .n_fields = G_N_ELEMENTS(virtio_net_state_fields),
};

static void
virtio_net_state_get(VirtioDevice *vdev, void *opaque)
{
    VirtioNet *net = virtio_net_from_vdev(vdev);
    VirtioNetState *st = opaque;

    st->active_pairs = net->active_pairs;
    st->max_pairs = net->pairs;
}

static void
virtio_net_state_set(VirtioDevice *vdev, const void *opaque)
{
    const VirtioNetState *st = opaque;

    virtio_net_from_vdev(vdev)->active_pairs = st->active_pairs;
}

static bool
virtio_net_pause(VirtioDevice *vdev, GError **error)
{
    net_stop_workers(virtio_net_from_vdev(vdev));
    return true;
}

static bool
virtio_net_resume(VirtioDevice *vdev, GError **error)
{
    return net_start_workers(virtio_net_from_vdev(vdev), error);
}

static void
virtio_net_read_config(VirtioDevice *vdev, uint32_t off, void *data,
                       unsigned len)
{
    VirtioNet *net = virtio_net_from_vdev(vdev);

    virtio_config_read(net->config, sizeof(net->config), off, data, len);
}

static JsonNode *
virtio_net_counters(VirtioDevice *vdev)
{
    VirtioNet *net = virtio_net_from_vdev(vdev);
    g_autoptr(JsonBuilder) b = json_builder_new();

    json_builder_begin_object(b);
#define COUNTER(name)                                                         \
    json_builder_set_member_name(b, #name);                                    \
    json_builder_add_int_value(b, (gint64)__atomic_load_n(&net->name,          \
                                                          __ATOMIC_RELAXED))
    COUNTER(rx_bytes);
    COUNTER(rx_frames);
    COUNTER(tx_bytes);
    COUNTER(tx_frames);
#undef COUNTER
    json_builder_end_object(b);
    return json_builder_get_root(b);
}

static void
virtio_net_free(VirtioDevice *vdev)
{
    VirtioNet *net = virtio_net_from_vdev(vdev);

    if (net->qp)
        net_free_workers(net);
    for (unsigned i = 0; net->qp && i < net->pairs; i++) {
        virtqueue_elem_free(net->qp[i].rx_elem);
        virtqueue_elem_free(net->qp[i].tx_elem);
        if (net->rx_rl)
            rate_limiter_remove_wake_fd(net->rx_rl, vdev->kick_fds[2 * i]);
        if (net->tx_rl)
            rate_limiter_remove_wake_fd(net->tx_rl,
                                        vdev->kick_fds[2 * i + 1]);
        if (net->qp[i].timer_fd >= 0)
            close(net->qp[i].timer_fd);
    }
    g_free(net->qp);
    g_clear_pointer(&net->rx_rl, rate_limiter_unref);
    g_clear_pointer(&net->tx_rl, rate_limiter_unref);
    virtqueue_elem_free(net->ctrl_elem);
    net_backend_free(net->be);
    virtio_device_cleanup(vdev);
    g_free(net);
}

static const VirtioDeviceOps virtio_net_ops = {
    .name = "net",
    .device_type = VIRTIO_ID_NET,
    .config_size = VIRTIO_NET_CONFIG_SIZE,
    .read_config = virtio_net_read_config,
    .activate = virtio_net_activate,
    .reset = virtio_net_reset,
    .pause = virtio_net_pause,
    .resume = virtio_net_resume,
    .state_desc = &virtio_net_state_desc,
    .state_get = virtio_net_state_get,
    .state_set = virtio_net_state_set,
    .counters = virtio_net_counters,
    .free = virtio_net_free,
};

static uint64_t
virtio_net_features(const NetConfig *cfg, unsigned pairs)
{
    uint64_t f = VIRTIO_COMMON_FEATURES | (1ULL << VIRTIO_NET_F_MAC) |
                 (1ULL << VIRTIO_NET_F_STATUS) | (1ULL << VIRTIO_NET_F_CTRL_VQ) |
                 (1ULL << VIRTIO_NET_F_CTRL_GUEST_OFFLOADS);

    if (cfg->offload_csum) {
        f |= (1ULL << VIRTIO_NET_F_CSUM) | (1ULL << VIRTIO_NET_F_GUEST_CSUM);
        /* Segmentation needs checksum offload on both sides. */
        if (cfg->offload_tso)
            f |= (1ULL << VIRTIO_NET_F_HOST_TSO4) |
                 (1ULL << VIRTIO_NET_F_HOST_TSO6) |
                 (1ULL << VIRTIO_NET_F_GUEST_TSO4) |
                 (1ULL << VIRTIO_NET_F_GUEST_TSO6) |
                 (1ULL << VIRTIO_NET_F_GUEST_ECN);
        if (cfg->offload_ufo)
            f |= (1ULL << VIRTIO_NET_F_HOST_UFO) |
                 (1ULL << VIRTIO_NET_F_GUEST_UFO);
    }
    if (cfg->mtu)
        f |= 1ULL << VIRTIO_NET_F_MTU;
    if (pairs > 1)
        f |= 1ULL << VIRTIO_NET_F_MQ;
    return f;
}

VirtioDevice *
virtio_net_new(DeviceHost *host, const NetConfig *cfg,
               NetBackend *be, GError **error)
{
    g_autoptr(NetBackend) backend = be;
    VirtioNet *net;
    unsigned pairs = cfg->num_queues / 2, qs = cfg->queue_size;
    uint8_t mac[6];
    uint16_t v;

    /* @cfg passed vm_config_validate() (an even num_queues >= 2, a
     * power-of-two queue_size, no iommu); the backend is the caller's and
     * must have been opened for as many pairs.  The MAC is parsed here
     * because the caller picks it when the config has none. */
    if (backend->nfds != pairs) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                    "net '%s': num_queues=%u needs %u TAP queue(s), the "
                    "backend has %u", cfg->id, cfg->num_queues, pairs,
                    backend->nfds);
        return NULL;
    }
    if (!net_parse_mac(cfg->mac, mac)) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                    "%s: mac '%s' is not a MAC address", cfg->id,
                    cfg->mac ? cfg->mac : "");
        return NULL;
    }
    net = g_new0(VirtioNet, 1);
    net->be = g_steal_pointer(&backend);
    net->pairs = pairs;
    net->active_pairs = 1;
    if (!virtio_device_init(&net->vdev, &virtio_net_ops, host, cfg->id,
                            virtio_net_features(cfg, pairs), 2 * pairs + 1,
                            (uint16_t)qs, error)) {
        virtio_net_free(&net->vdev);
        return NULL;
    }
    /* §5.1.4: mac, status (link up), max_virtqueue_pairs, mtu. */
    memcpy(net->config, mac, 6);
    v = htole16(VIRTIO_NET_S_LINK_UP);
    memcpy(net->config + 6, &v, 2);
    v = htole16((uint16_t)pairs);
    memcpy(net->config + 8, &v, 2);
    v = htole16((uint16_t)cfg->mtu);
    memcpy(net->config + 10, &v, 2);
    net->rx_rl = rate_limiter_new(cfg->rate_limiter_config);
    net->tx_rl = rate_limiter_new(cfg->rate_limiter_config);
    net->qp = g_new0(NetPair, pairs);
    for (unsigned i = 0; i < pairs; i++)
        net->qp[i].timer_fd = -1;
    for (unsigned i = 0; i < pairs; i++) {
        /* Here, on the control thread: the workers' seccomp role may
         * arm a timer but not create one. */
        net->qp[i].timer_fd = timerfd_create(CLOCK_MONOTONIC,
                                             TFD_CLOEXEC | TFD_NONBLOCK);
        if (net->qp[i].timer_fd < 0) {
            int e = errno;

            g_set_error(error, G_IO_ERROR, g_io_error_from_errno(e),
                        "%s: timerfd_create: %s", cfg->id, g_strerror(e));
            virtio_net_free(&net->vdev);
            return NULL;
        }
        /* A change of limits wakes throttled queues at once. */
        rate_limiter_add_wake_fd(net->rx_rl, net->vdev.kick_fds[2 * i]);
        rate_limiter_add_wake_fd(net->tx_rl, net->vdev.kick_fds[2 * i + 1]);
        net->qp[i].net = net;
        net->qp[i].index = i;
        net->qp[i].fd = net->be->fds[i];
        net->qp[i].rx_elem = virtqueue_elem_new(VIRTIO_NET_MAX_SEGS);
        net->qp[i].tx_elem = virtqueue_elem_new(VIRTIO_NET_MAX_SEGS);
    }
    net->ctrl = &net->vdev.vqs[2 * pairs];
    net->ctrl_elem = virtqueue_elem_new(VIRTIO_NET_MAX_SEGS);
    return &net->vdev;
}

void
virtio_net_set_rate_limiter(VirtioDevice *vdev, const RateLimiterConfig *cfg)
{
    VirtioNet *net = virtio_net_from_vdev(vdev);

    rate_limiter_update(net->rx_rl, cfg);
    rate_limiter_update(net->tx_rl, cfg);
}
