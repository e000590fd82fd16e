/* SPDX-License-Identifier: Apache-2.0 */
/* virtio-watchdog (virtio device 35) as CH has it: pings on one queue, a reset when they stop. */
#include <config.h>

#include <errno.h>
#include <poll.h>
#include <gio/gio.h>

#include "devices/legacy/ratelimit.h"
#include "devices/virtio/virtio-pci.h"
#include "devices/virtio/watchdog.h"
#include "devices/virtio/worker.h"
#include "devices/watchdog-timer.h"

/*
 * The virtio spec reserves id 35 for a watchdog but defines no device;
 * this is CH's (virtio-devices/src/watchdog.rs), driven by the
 * virtio_watchdog driver of CH's own kernel tree (stock Linux has none:
 * a stock guest uses the 6300ESB, devices/pci/i6300esb.c).  One queue,
 * no config space, no feature bits of its own.  The driver keeps a
 * device-writable buffer in the queue and each time it pets the watchdog
 * it adds one; every chain with device-writable bytes is a ping, and is
 * returned at once with nothing written.  The first ping starts a clock
 * that looks every 15 s; when the last ping is more than 20 s old the
 * device resets the VM ("guest"/"watchdog" event with action "reset",
 * and the reset's own vm events).  A device reset, or the VM's, stops the
 * clock until the next first ping; a paused VM does not count (CH gives
 * the guest a fresh 20 s at resume, and so does nimbus).
 *
 * Threads: the queue is served on the device's worker ("virtio-watchdog"
 * role), the clock fires on the control thread; @last_ping is the only
 * thing they share, and it is atomic.
 */

#define WATCHDOG_QUEUE_SIZE 256

typedef struct {
    VirtioDevice vdev;
    int64_t interval_us;          /* immutable */
    int64_t timeout_us;           /* immutable */
    WatchdogTimer *timer;         /* immutable */
    VirtioWorker *worker;         /* control/vCPU thread (activate/reset) */
    VirtQueueElem *elem;          /* worker thread */
    RateLimit log_limit;          /* worker thread */
    int64_t last_ping;            /* atomic; monotonic us, 0: not armed */
    guint64 pings;                /* atomic */
} VirtioWatchdog;

static VirtioWatchdog *
virtio_watchdog_from_vdev(VirtioDevice *vdev)
{
    return (VirtioWatchdog *)vdev;
}

/* Control thread: the clock's look. */
static void
watchdog_tick(gpointer opaque)
{
    VirtioWatchdog *w = opaque;
    int64_t last = __atomic_load_n(&w->last_ping, __ATOMIC_ACQUIRE);
    int64_t now = g_get_monotonic_time();
    const char *props[] = { "id", w->vdev.id, "action", "reset", NULL };

    if (last == 0)
        return;                   /* reset since it was armed */
    if (now - last <= w->timeout_us) {
        watchdog_timer_arm(w->timer, now + w->interval_us);
        return;
    }
    /* The reset that follows resets the device, which disarms for good;
     * until then no second bite. */
    __atomic_store_n(&w->last_ping, 0, __ATOMIC_RELEASE);
    g_message("%s: watchdog expired: no ping for %" G_GINT64_FORMAT " ms, "
              "resetting the VM", w->vdev.id, (now - last) / 1000);
    device_host_emit_event(w->vdev.host, "guest", "watchdog", props);
    device_host_request_reset(w->vdev.host);
}

bool
virtio_watchdog_handle(VirtioDevice *vdev, const VirtQueueElem *elem)
{
    VirtioWatchdog *w = virtio_watchdog_from_vdev(vdev);
    int64_t now, before;

    if (elem->in_len == 0) {
        legacy_debug_ratelimited(&w->log_limit, "%s: a chain with no "
                                 "device-writable bytes is no ping",
                                 vdev->id);
        return false;
    }
    now = g_get_monotonic_time();
    before = __atomic_exchange_n(&w->last_ping, now, __ATOMIC_ACQ_REL);
    __atomic_add_fetch(&w->pings, 1, __ATOMIC_RELAXED);
    if (before == 0) {
        g_info("%s: first ping, the watchdog is armed", vdev->id);
        watchdog_timer_arm(w->timer, now + w->interval_us);
    }
    return true;
}

static void
watchdog_on_kick(gpointer opaque, int fd, short revents)
{
    VirtioWatchdog *w = opaque;
    VirtioDevice *vdev = &w->vdev;
    VirtQueue *vq = &vdev->vqs[0];
    int r;

    virtio_eventfd_drain(fd);
    if (virtio_device_is_broken(vdev))
        return;
    while ((r = virtqueue_pop(vq, w->elem)) == 0) {
        virtio_watchdog_handle(vdev, w->elem);
        virtqueue_push(vq, w->elem, 0);      /* nothing written */
    }
    if (r != -ENOENT) {
        virtio_device_set_broken(vdev, "queue 0: %s", vq->error);
        return;
    }
    virtio_notify(vdev, vq);
}

static bool
virtio_watchdog_activate(VirtioDevice *vdev, GError **error)
{
    VirtioWatchdog *w = virtio_watchdog_from_vdev(vdev);

    w->worker = virtio_worker_new(THREAD_ROLE_VIRTIO_WATCHDOG, vdev->id);
    virtio_worker_add_fd(w->worker, vdev->kick_fds[0], POLLIN,
                         watchdog_on_kick, w);
    virtio_eventfd_signal(vdev->kick_fds[0]);
    return virtio_worker_start(w->worker, error);
}

static void
virtio_watchdog_reset(VirtioDevice *vdev)
{
    VirtioWatchdog *w = virtio_watchdog_from_vdev(vdev);

    g_clear_pointer(&w->worker, virtio_worker_free);
    __atomic_store_n(&w->last_ping, 0, __ATOMIC_RELEASE);
    if (w->timer)
        watchdog_timer_arm(w->timer, -1);
}

static bool
virtio_watchdog_pause(VirtioDevice *vdev, GError **error)
{
    VirtioWatchdog *w = virtio_watchdog_from_vdev(vdev);

    virtio_worker_stop(w->worker);
    watchdog_timer_arm(w->timer, -1);
    return true;
}

static bool
virtio_watchdog_resume(VirtioDevice *vdev, GError **error)
{
    VirtioWatchdog *w = virtio_watchdog_from_vdev(vdev);
    int64_t now = g_get_monotonic_time();

    /* The time paused is not the guest's fault: count from now. */
    if (__atomic_load_n(&w->last_ping, __ATOMIC_ACQUIRE) != 0) {
        __atomic_store_n(&w->last_ping, now, __ATOMIC_RELEASE);
        watchdog_timer_arm(w->timer, now + w->interval_us);
    }
    return w->worker ? virtio_worker_start(w->worker, error) : true;
}

/* Snapshot state: whether the guest had pinged (CH's "enabled"). */
typedef struct {
    bool armed;
} VirtioWatchdogState;

static const VmmStateField virtio_watchdog_state_fields[] = {
    VMM_STATE_BOOL_FIELD(VirtioWatchdogState, armed),
};

static const VmmStateDesc virtio_watchdog_state_desc = {
    .name = "virtio-watchdog",
    .version = 1,
    .size = sizeof(VirtioWatchdogState),
    .fields = virtio_watchdog_state_fields,
    .n_fields = G_N_ELEMENTS(virtio_watchdog_state_fields),
};

static void
virtio_watchdog_state_get(VirtioDevice *vdev, void *opaque)
{
    VirtioWatchdogState *st = opaque;

    st->armed = __atomic_load_n(&virtio_watchdog_from_vdev(vdev)->last_ping,
                                __ATOMIC_ACQUIRE) != 0;
}

/* Restores run paused; resume starts the clock from a fresh ping time. */
static void
virtio_watchdog_state_set(VirtioDevice *vdev, const void *opaque)
{
    const VirtioWatchdogState *st = opaque;

    __atomic_store_n(&virtio_watchdog_from_vdev(vdev)->last_ping,
                     st->armed ? g_get_monotonic_time() : 0,
                     __ATOMIC_RELEASE);
}

static JsonNode *
virtio_watchdog_counters(VirtioDevice *vdev)
{
    g_autoptr(JsonBuilder) jb = json_builder_new();

    json_builder_begin_object(jb);
    json_builder_set_member_name(jb, "pings");
    json_builder_add_int_value(jb, (gint64)virtio_watchdog_pings(vdev));
    json_builder_end_object(jb);
    return json_builder_get_root(jb);
}

static void
virtio_watchdog_free(VirtioDevice *vdev)
{
    VirtioWatchdog *w = virtio_watchdog_from_vdev(vdev);

    g_clear_pointer(&w->worker, virtio_worker_free);
    g_clear_pointer(&w->timer, watchdog_timer_free);
    virtqueue_elem_free(w->elem);
    virtio_device_cleanup(vdev);
    g_free(w);
}

static const VirtioDeviceOps virtio_watchdog_ops = {
    .name = "watchdog",
    .device_type = VIRTIO_ID_WATCHDOG,
    .config_size = 0,
    .activate = virtio_watchdog_activate,
    .reset = virtio_watchdog_reset,
    .pause = virtio_watchdog_pause,
    .resume = virtio_watchdog_resume,
    .state_desc = &virtio_watchdog_state_desc,
    .state_get = virtio_watchdog_state_get,
    .state_set = virtio_watchdog_state_set,
    .counters = virtio_watchdog_counters,
    .free = virtio_watchdog_free,
};

VirtioDevice *
virtio_watchdog_new(DeviceHost *host, int64_t interval_us, int64_t timeout_us)
{
    VirtioWatchdog *w = g_new0(VirtioWatchdog, 1);
    g_autoptr(GError) error = NULL;

    w->interval_us = interval_us;
    w->timeout_us = timeout_us;
    w->elem = virtqueue_elem_new(64);
    w->timer = watchdog_timer_new(device_host_main_context(host),
                                  "virtio-watchdog", watchdog_tick, w);
    /* Only the features every device has: CH's has none of its own. */
    if (!virtio_device_init(&w->vdev, &virtio_watchdog_ops, host,
                            VIRTIO_WATCHDOG_ID, VIRTIO_COMMON_FEATURES, 1,
                            WATCHDOG_QUEUE_SIZE, &error)) {
        /* One queue of a valid size: only a programming error gets here. */
        g_critical("%s: %s", VIRTIO_WATCHDOG_ID, error->message);
        virtio_watchdog_free(&w->vdev);
        return NULL;
    }
    return &w->vdev;
}

guint64
virtio_watchdog_pings(VirtioDevice *vdev)
{
    return __atomic_load_n(&virtio_watchdog_from_vdev(vdev)->pings,
                           __ATOMIC_RELAXED);
}

/* ---- Registry descriptor: VmConfig's "watchdog" flag --------------------- */

static bool
virtio_watchdog_cli(VmConfig *config, const char *value, GError **error)
{
    config->watchdog = true;      /* a flag: no value */
    return true;
}

static guint
virtio_watchdog_count(const VmConfig *config)
{
    return config->watchdog ? 1 : 0;
}

static gpointer
virtio_watchdog_entry(const VmConfig *config, guint i)
{
    return (gpointer)&config->watchdog;
}

static const char *
virtio_watchdog_id(gconstpointer entry)
{
    return VIRTIO_WATCHDOG_ID;
}

static VmmDevice *
virtio_watchdog_create(DeviceCreateCtx *ctx, gpointer entry, GError **error)
{
    VirtioDevice *vdev;

    if (!device_create_pci_bus(ctx, error))
        return NULL;
    vdev = virtio_watchdog_new(ctx->host, VIRTIO_WATCHDOG_INTERVAL_US,
                               VIRTIO_WATCHDOG_TIMEOUT_US);
    if (!vdev) {
        g_set_error_literal(error, G_IO_ERROR, G_IO_ERROR_FAILED,
                            "cannot create the virtio-watchdog device");
        return NULL;
    }
    return device_create_virtio_pci(ctx, vdev, -1, error);
}

const DeviceType virtio_watchdog_type = {
    .name = "watchdog",
    .cli_option = "--watchdog",
    .json_key = "watchdog",
    .cli_help = "Enable virtio-watchdog",
    .cli_flag = true,
    .cli_parse = virtio_watchdog_cli,
    .count = virtio_watchdog_count,
    .entry = virtio_watchdog_entry,
    .id = virtio_watchdog_id,
    .create = virtio_watchdog_create,
};
