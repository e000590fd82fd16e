/* SPDX-License-Identifier: Apache-2.0 */
/* virtio-console (virtio 1.2 §5.3): one port, hvc0, on a character backend. */
#include <config.h>

#include <endian.h>
#include <errno.h>
#include <poll.h>
#include <string.h>
#include <sys/eventfd.h>
#include <gio/gio.h>
#include <linux/virtio_console.h>

#include "common/fd-util.h"
#include "devices/virtio/console.h"
#include "devices/virtio/iov.h"
#include "devices/virtio/worker.h"

#define CONSOLE_QUEUE_SIZE 64
#define CONSOLE_RXQ 0
#define CONSOLE_TXQ 1

/*
 * Threads: the backend delivers input and resizes on the VM's main
 * context; the worker ("<id>") moves bytes between the queues and the
 * backend.  @lock protects the input buffer and the config space.
 */
typedef struct {
    VirtioDevice vdev;
    CharBackend *be;                 /* immutable */
    int input_efd;                   /* input arrived (immutable fd) */
    VirtioWorker *worker;            /* activate/reset */
    VirtQueueElem *rx_elem;          /* worker */
    VirtQueueElem *tx_elem;          /* worker */

    GMutex lock;
    struct virtio_console_config config;        /* lock */
    uint8_t in[VIRTIO_CONSOLE_INPUT_BUFFER];     /* lock: ring buffer */
    size_t in_head;                              /* lock */
    size_t in_len;                               /* lock */
} VirtioConsole;

static VirtioConsole *
virtio_console_from_vdev(VirtioDevice *vdev)
{
    return (VirtioConsole *)vdev;
}

/* ---- Host side (main context) ------------------------------------------- */

static size_t
console_can_read(gpointer opaque)
{
    VirtioConsole *c = opaque;
    size_t room;

    g_mutex_lock(&c->lock);
    room = sizeof(c->in) - c->in_len;
    g_mutex_unlock(&c->lock);
    return room;
}

static void
console_read(gpointer opaque, const uint8_t *buf, size_t len)
{
    VirtioConsole *c = opaque;

    g_mutex_lock(&c->lock);
    for (size_t i = 0; i < len && c->in_len < sizeof(c->in); i++)
        c->in[(c->in_head + c->in_len++) % sizeof(c->in)] = buf[i];
    g_mutex_unlock(&c->lock);
    virtio_eventfd_signal(c->input_efd);
}

static void
console_resize(gpointer opaque, uint16_t cols, uint16_t rows)
{
    VirtioConsole *c = opaque;

    g_mutex_lock(&c->lock);
    c->config.cols = htole16(cols);
    c->config.rows = htole16(rows);
    g_mutex_unlock(&c->lock);
    /* §5.3.6: the driver re-reads cols/rows on a configuration change. */
    virtio_notify_config(&c->vdev);
}

/* ---- Guest side (worker) ---------------------------------------------- */

static void
console_rx(VirtioConsole *c)
{
    VirtioDevice *vdev = &c->vdev;
    VirtQueue *vq = &vdev->vqs[CONSOLE_RXQ];
    bool pushed = false, drained = false;
    int r = 0;

    g_mutex_lock(&c->lock);
    while (c->in_len > 0 && (r = virtqueue_pop(vq, c->rx_elem)) == 0) {
        VirtQueueElem *e = c->rx_elem;
        size_t n = MIN(c->in_len, e->in_len), done = 0;

        /* The ring buffer may wrap: at most two copies. */
        while (done < n) {
            size_t chunk = MIN(n - done, sizeof(c->in) - c->in_head);

            iov_from_buf(VIRTQUEUE_ELEM_IN(e), e->in_num, done,
                         c->in + c->in_head, chunk);
            c->in_head = (c->in_head + chunk) % sizeof(c->in);
            c->in_len -= chunk;
            done += chunk;
        }
        virtqueue_push(vq, e, (uint32_t)n);
        pushed = drained = true;
    }
    g_mutex_unlock(&c->lock);
    if (r < 0 && r != -ENOENT) {
        virtio_device_set_broken(vdev, "queue 0: %s", vq->error);
        return;
    }
    if (pushed)
        virtio_notify(vdev, vq);
    if (drained)
        chardev_accept_input(c->be);   /* room again: resume reading */
}

static void
console_tx(VirtioConsole *c)
{
    VirtioDevice *vdev = &c->vdev;
    VirtQueue *vq = &vdev->vqs[CONSOLE_TXQ];
    VirtQueueElem *e = c->tx_elem;
    int r;

    while ((r = virtqueue_pop(vq, e)) == 0) {
        for (unsigned i = 0; i < e->out_num; i++)
            chardev_write(c->be, e->iov[i].iov_base, e->iov[i].iov_len);
        virtqueue_push(vq, e, 0);
    }
    if (r != -ENOENT) {
        virtio_device_set_broken(vdev, "queue 1: %s", vq->error);
        return;
    }
    virtio_notify(vdev, vq);
}

static void
console_on_event(gpointer opaque, int fd, short revents)
{
    VirtioConsole *c = opaque;

    virtio_eventfd_drain(fd);
    if (virtio_device_is_broken(&c->vdev))
        return;
    if (fd == c->vdev.kick_fds[CONSOLE_TXQ])
        console_tx(c);
    else
        console_rx(c);
}

/* ---- Lifecycle --------------------------------------------------------------- */

static bool
virtio_console_activate(VirtioDevice *vdev, GError **error)
{
    VirtioConsole *c = virtio_console_from_vdev(vdev);

    c->worker = virtio_worker_new(THREAD_ROLE_VIRTIO_CONSOLE, vdev->id);
    virtio_worker_add_fd(c->worker, vdev->kick_fds[CONSOLE_RXQ], POLLIN,
                         console_on_event, c);
    virtio_worker_add_fd(c->worker, vdev->kick_fds[CONSOLE_TXQ], POLLIN,
                         console_on_event, c);
    virtio_worker_add_fd(c->worker, c->input_efd, POLLIN, console_on_event, c);
    virtio_eventfd_signal(c->input_efd);
    virtio_eventfd_signal(vdev->kick_fds[CONSOLE_TXQ]);
    return virtio_worker_start(c->worker, error);
}

static void
virtio_console_reset(VirtioDevice *vdev)
{
    g_clear_pointer(&virtio_console_from_vdev(vdev)->worker, virtio_worker_free);
}

static bool
virtio_console_pause(VirtioDevice *vdev, GError **error)
{
    virtio_worker_stop(virtio_console_from_vdev(vdev)->worker);
    return true;
}

static bool
virtio_console_resume(VirtioDevice *vdev, GError **error)
{
    return virtio_worker_start(virtio_console_from_vdev(vdev)->worker, error);
}

static void
virtio_console_read_config(VirtioDevice *vdev, uint32_t off, void *data,
                           unsigned len)
{
    VirtioConsole *c = virtio_console_from_vdev(vdev);

    g_mutex_lock(&c->lock);
    virtio_config_read(&c->config, sizeof(c->config), off, data, len);
    g_mutex_unlock(&c->lock);
}

static void
virtio_console_free(VirtioDevice *vdev)
{
    VirtioConsole *c = virtio_console_from_vdev(vdev);

    virtio_console_reset(vdev);
    if (c->be) {
        chardev_set_input_handler(c->be, NULL, NULL, NULL);
        chardev_set_resize_handler(c->be, NULL, NULL);
        chardev_free(c->be);
    }
    virtqueue_elem_free(c->rx_elem);
    virtqueue_elem_free(c->tx_elem);
    fd_close(c->input_efd);
    g_mutex_clear(&c->lock);
    virtio_device_cleanup(vdev);
    g_free(c);
}

static const VirtioDeviceOps virtio_console_ops = {
    .name = "console",
    .device_type = VIRTIO_ID_CONSOLE,
    .config_size = sizeof(struct virtio_console_config),
    .read_config = virtio_console_read_config,
    .activate = virtio_console_activate,
    .reset = virtio_console_reset,
    .pause = virtio_console_pause,
    .resume = virtio_console_resume,
    .free = virtio_console_free,
};

VirtioDevice *
virtio_console_new(DeviceHost *host, const char *id,
                   CharBackend *be, GError **error)
{
    VirtioConsole *c = g_new0(VirtioConsole, 1);
    ConsoleMode mode = chardev_get_mode(be);
    bool sized = mode == CONSOLE_MODE_TTY || mode == CONSOLE_MODE_PTY;
    uint64_t features = VIRTIO_COMMON_FEATURES;
    uint16_t cols = 0, rows = 0;

    g_mutex_init(&c->lock);
    c->be = be;
    c->input_efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    c->rx_elem = virtqueue_elem_new(64);
    c->tx_elem = virtqueue_elem_new(64);
    if (sized)
        features |= 1ULL << VIRTIO_CONSOLE_F_SIZE;
    if (!virtio_device_init(&c->vdev, &virtio_console_ops, host,
                            id ? id : "__console", features, 2,
                            CONSOLE_QUEUE_SIZE, error)) {
        virtio_console_free(&c->vdev);
        return NULL;
    }
    if (c->input_efd < 0) {
        g_set_error(error, G_IO_ERROR, g_io_error_from_errno(errno),
                    "%s: cannot create an eventfd: %s", c->vdev.id,
                    g_strerror(errno));
        virtio_console_free(&c->vdev);
        return NULL;
    }
    c->config.max_nr_ports = htole32(1);
    if (sized && chardev_get_winsize(be, &cols, &rows)) {
        c->config.cols = htole16(cols);
        c->config.rows = htole16(rows);
    }
    chardev_set_input_handler(be, console_can_read, console_read, c);
    if (sized)
        chardev_set_resize_handler(be, console_resize, c);
    return &c->vdev;
}
