/* SPDX-License-Identifier: Apache-2.0 */
/* virtio-rng (virtio 1.2 §5.4): fills the guest's buffers from --rng src. */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <unistd.h>
#include <gio/gio.h>

#include "common/fd-util.h"
#include "devices/virtio/rng.h"
#include "devices/virtio/worker.h"

#define RNG_QUEUE_SIZE 256

typedef struct {
    VirtioDevice vdev;
    int fd;                   /* immutable */
    char *src;                /* immutable */
    VirtioWorker *worker;     /* control/vCPU thread (activate/reset) */
    VirtQueueElem *elem;      /* worker thread */
    guint64 bytes;            /* atomic */
} VirtioRng;

static VirtioRng *
virtio_rng_from_vdev(VirtioDevice *vdev)
{
    return (VirtioRng *)vdev;
}

/* Fills the writable part of @e; a source that fails or ends gives
 * fewer bytes (the driver asks again), never an error for the guest. */
static size_t
rng_fill(VirtioRng *rng, VirtQueueElem *e)
{
    ssize_t n = readv(rng->fd, VIRTQUEUE_ELEM_IN(e),
                      (int)MIN(e->in_num, IOV_MAX));

    if (n < 0) {
        g_debug("%s: reading %s: %s", rng->vdev.id, rng->src, g_strerror(errno));
        return 0;
    }
    return (size_t)n;
}

static void
rng_on_kick(gpointer opaque, int fd, short revents)
{
    VirtioRng *rng = opaque;
    VirtioDevice *vdev = &rng->vdev;
    VirtQueue *vq = &vdev->vqs[0];
    int r;

    virtio_eventfd_drain(fd);
    if (virtio_device_is_broken(vdev))
        return;
    while ((r = virtqueue_pop(vq, rng->elem)) == 0) {
        size_t n;

        /* §5.4.6.1: the driver only places device-writable buffers. */
        if (rng->elem->out_num > 0) {
            virtio_device_set_broken(vdev, "queue 0: request with "
                                     "device-readable buffers");
            return;
        }
        n = rng_fill(rng, rng->elem);

        virtqueue_push(vq, rng->elem, (uint32_t)n);
        __atomic_add_fetch(&rng->bytes, n, __ATOMIC_RELAXED);
    }
    if (r != -ENOENT) {
        virtio_device_set_broken(vdev, "queue 0: %s", vq->error);
        return;
    }
    virtio_notify(vdev, vq);
}

static bool
virtio_rng_activate(VirtioDevice *vdev, GError **error)
{
    VirtioRng *rng = virtio_rng_from_vdev(vdev);

    rng->worker = virtio_worker_new(THREAD_ROLE_VIRTIO_RNG, vdev->id);
    virtio_worker_add_fd(rng->worker, vdev->kick_fds[0], POLLIN, rng_on_kick,
                         rng);
    virtio_eventfd_signal(vdev->kick_fds[0]);
    return virtio_worker_start(rng->worker, error);
}

static void
virtio_rng_reset(VirtioDevice *vdev)
{
    g_clear_pointer(&virtio_rng_from_vdev(vdev)->worker, virtio_worker_free);
}

static bool
virtio_rng_pause(VirtioDevice *vdev, GError **error)
{
    virtio_worker_stop(virtio_rng_from_vdev(vdev)->worker);
    return true;
}

static bool
virtio_rng_resume(VirtioDevice *vdev, GError **error)
{
    return virtio_worker_start(virtio_rng_from_vdev(vdev)->worker, error);
}

static void
virtio_rng_free(VirtioDevice *vdev)
{
    VirtioRng *rng = virtio_rng_from_vdev(vdev);

    virtio_rng_reset(vdev);
    virtqueue_elem_free(rng->elem);
    fd_close(rng->fd);
    g_free(rng->src);
    virtio_device_cleanup(vdev);
    g_free(rng);
}

static const VirtioDeviceOps virtio_rng_ops = {
    .name = "rng",
    .device_type = VIRTIO_ID_RNG,
    .config_size = 0,
    .activate = virtio_rng_activate,
    .reset = virtio_rng_reset,
    .pause = virtio_rng_pause,
    .resume = virtio_rng_resume,
    .free = virtio_rng_free,
};

VirtioDevice *
virtio_rng_new(DeviceHost *host, const RngConfig *cfg,
               GError **error)
{
    const char *src = cfg->src ? cfg->src : "/dev/urandom";
    VirtioRng *rng;
    int fd;

    /* Non-blocking: a source with nothing to give (a FIFO, /dev/random
     * before it is seeded) yields short reads, never a stuck worker that a
     * device reset would wait for. */
    fd = open(src, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0) {
        g_set_error(error, G_IO_ERROR, g_io_error_from_errno(errno),
                    "%s: cannot open src '%s': %s", cfg->id ? cfg->id : "__rng",
                    src, g_strerror(errno));
        return NULL;
    }
    rng = g_new0(VirtioRng, 1);
    rng->fd = fd;
    rng->src = g_strdup(src);
    rng->elem = virtqueue_elem_new(64);
    if (!virtio_device_init(&rng->vdev, &virtio_rng_ops, host,
                            cfg->id ? cfg->id : "__rng", VIRTIO_COMMON_FEATURES,
                            1, RNG_QUEUE_SIZE, error)) {
        virtio_rng_free(&rng->vdev);
        return NULL;
    }
    return &rng->vdev;
}
