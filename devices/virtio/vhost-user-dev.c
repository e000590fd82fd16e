/* SPDX-License-Identifier: Apache-2.0 */
/* The queue half of a vhost-user front end: rings to the back end, its calls relayed. */
#include <config.h>

#include <errno.h>
#include <poll.h>
#include <string.h>
#include <sys/eventfd.h>
#include <gio/gio.h>

#include "common/fd-util.h"
#include "devices/virtio/vhost-user-dev.h"

/* The back end used buffers of a queue: it already decided that the
 * driver wants an interrupt (EVENT_IDX is its business now). */
static void
vhost_user_dev_on_call(gpointer opaque, int fd, short revents)
{
    VhostUserDev *d = opaque;
    VirtioDevice *vdev = d->vdev;
    unsigned q;

    virtio_eventfd_drain(fd);
    for (q = 0; q < d->nqueues && d->call_fds[q] != fd; q++)
        ;
    if (q == d->nqueues)
        return;
    g_atomic_int_or(&vdev->isr, 1);   /* virtio 1.2 §4.1.4.5 */
    if (vdev->transport)
        vdev->transport->notify(vdev, vdev->vqs[q].msix_vector);
}

static void
vhost_user_dev_on_err(gpointer opaque, int fd, short revents)
{
    VhostUserDev *d = opaque;

    virtio_eventfd_drain(fd);
    virtio_device_set_broken(d->vdev, "the vhost-user back end reported a "
                             "queue error");
}

static void
vhost_user_dev_on_hangup(gpointer opaque, int fd, short revents)
{
    VhostUserDev *d = opaque;

    /* Polled no more: the condition stays true. */
    virtio_worker_set_events(d->worker, d->sock_slot, 0);
    virtio_device_set_broken(d->vdev, "the vhost-user back end closed its "
                             "socket");
}

bool
vhost_user_dev_init(VhostUserDev *d, VirtioDevice *vdev, VhostUser *vu,
                    GError **error)
{
    return vhost_user_dev_init_queues(d, vdev, vu, vdev->nvqs, error);
}

bool
vhost_user_dev_init_queues(VhostUserDev *d, VirtioDevice *vdev,
                           VhostUser *vu, unsigned nqueues, GError **error)
{
    unsigned nvqs = MIN(nqueues, vdev->nvqs);

    d->nqueues = nvqs;
    d->backend_mask = ~0ULL;
    d->vdev = vdev;
    d->vu = vu;
    d->started = g_new0(bool, nvqs);
    d->call_fds = g_new(int, nvqs);
    d->err_fds = g_new(int, nvqs);
    for (unsigned q = 0; q < nvqs; q++)
        d->call_fds[q] = d->err_fds[q] = -1;
    for (unsigned q = 0; q < nvqs; q++) {
        d->call_fds[q] = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
        d->err_fds[q] = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
        if (d->call_fds[q] < 0 || d->err_fds[q] < 0) {
            int err = errno;

            g_set_error(error, G_IO_ERROR, g_io_error_from_errno(err),
                        "cannot create an eventfd: %s", g_strerror(err));
            return false;
        }
    }
    return true;
}

/* Hands queue @q to the back end (vhost-user.rst "Starting and stopping
 * rings"): size, addresses, where to start, the eventfds, then enable. */
static bool
vhost_user_dev_start_queue(VhostUserDev *d, unsigned q, GError **error)
{
    VirtQueue *vq = &d->vdev->vqs[q];
    VhostUser *vu = d->vu;

    if (!vq->ready)
        return true;
    if (!vhost_user_set_vring_num(vu, q, vq->size, error) ||
        !vhost_user_set_vring_addr(vu, q, vq->desc, vq->avail, vq->used,
                                   error) ||
        !vhost_user_set_vring_base(vu, q, vq->last_avail, error) ||
        !vhost_user_set_vring_fd(vu, VHOST_USER_SET_VRING_CALL, q,
                                 d->call_fds[q], error) ||
        !vhost_user_set_vring_fd(vu, VHOST_USER_SET_VRING_ERR, q,
                                 d->err_fds[q], error) ||
        !vhost_user_set_vring_fd(vu, VHOST_USER_SET_VRING_KICK, q,
                                 d->vdev->kick_fds[q], error))
        return false;
    d->started[q] = true;
    /* With protocol features rings start disabled (vhost-user.rst). */
    if (vhost_user_has_protocol_features(vu) &&
        !vhost_user_set_vring_enable(vu, q, true, error))
        return false;
    return true;
}

/*
 * Takes queue @q back: the back end stops it and says where it stopped,
 * which becomes the queue's state (a resume starts there).  The used
 * index is the one in guest memory, written by the back end.
 */
static bool
vhost_user_dev_stop_queue(VhostUserDev *d, unsigned q, GError **error)
{
    VirtQueue *vq = &d->vdev->vqs[q];
    unsigned base;
    uint16_t used_idx;

    if (!d->started[q])
        return true;
    d->started[q] = false;
    if (!vhost_user_get_vring_base(d->vu, q, &base, error))
        return false;
    vq->last_avail = (uint16_t)base;
    memcpy(&used_idx, vq->used + 2, sizeof(used_idx));
    vq->used_idx = GUINT16_FROM_LE(used_idx);
    return true;
}

static bool
vhost_user_dev_start_all(VhostUserDev *d, GError **error)
{
    for (unsigned q = 0; q < d->nqueues; q++) {
        if (!vhost_user_dev_start_queue(d, q, error))
            return false;
    }
    return true;
}

/* Stops every queue the back end runs; the first error is kept, but
 * every queue is marked stopped. */
static bool
vhost_user_dev_stop_all(VhostUserDev *d, GError **error)
{
    bool ok = true;

    for (unsigned q = 0; q < d->nqueues; q++) {
        if (!vhost_user_dev_stop_queue(d, q, ok ? error : NULL))
            ok = false;
    }
    return ok;
}

static bool
vhost_user_dev_worker_start(VhostUserDev *d, GError **error)
{
    VirtioDevice *vdev = d->vdev;

    d->worker = virtio_worker_new(THREAD_ROLE_VIRTIO_VHOST_USER, vdev->id);
    for (unsigned q = 0; q < d->nqueues; q++) {
        virtio_worker_add_fd(d->worker, d->call_fds[q], POLLIN,
                             vhost_user_dev_on_call, d);
        virtio_worker_add_fd(d->worker, d->err_fds[q], POLLIN,
                             vhost_user_dev_on_err, d);
    }
    d->sock_slot = virtio_worker_add_fd(d->worker, vhost_user_fd(d->vu),
                                        POLLRDHUP, vhost_user_dev_on_hangup,
                                        d);
    return virtio_worker_start(d->worker, error);
}

bool
vhost_user_dev_activate(VhostUserDev *d, GError **error)
{
    VirtioDevice *vdev = d->vdev;

    return vhost_user_set_features(d->vu,
                                   vdev->driver_features & d->backend_mask,
                                   error) &&
           vhost_user_set_mem_table(d->vu, device_host_memory(vdev->host),
                                    error) &&
           vhost_user_dev_start_all(d, error) &&
           vhost_user_dev_worker_start(d, error);
}

void
vhost_user_dev_reset(VhostUserDev *d)
{
    g_autoptr(GError) error = NULL;

    g_clear_pointer(&d->worker, virtio_worker_free);
    /* A broken device already said why (a back end that went away). */
    if (!vhost_user_dev_stop_all(d, &error) &&
        !virtio_device_is_broken(d->vdev))
        g_warning("%s: %s", d->vdev->id, error->message);
}

bool
vhost_user_dev_pause(VhostUserDev *d, GError **error)
{
    if (d->worker)
        virtio_worker_stop(d->worker);
    /* A back end already known dead has nothing left to stop: the VM
     * still pauses (and a resume finds the device NEEDS_RESET). */
    if (virtio_device_is_broken(d->vdev)) {
        vhost_user_dev_stop_all(d, NULL);
        return true;
    }
    return vhost_user_dev_stop_all(d, error);
}

bool
vhost_user_dev_resume(VhostUserDev *d, GError **error)
{
    if (virtio_device_is_broken(d->vdev))
        return true;
    return vhost_user_dev_start_all(d, error) &&
           (!d->worker || virtio_worker_start(d->worker, error));
}

void
vhost_user_dev_cleanup(VhostUserDev *d)
{
    if (d->vu && d->started)
        vhost_user_dev_reset(d);
    g_clear_pointer(&d->worker, virtio_worker_free);
    g_clear_pointer(&d->vu, vhost_user_free);
    for (unsigned q = 0; d->call_fds && q < d->nqueues; q++) {
        fd_close(d->call_fds[q]);
        fd_close(d->err_fds[q]);
    }
    g_clear_pointer(&d->call_fds, g_free);
    g_clear_pointer(&d->err_fds, g_free);
    g_clear_pointer(&d->started, g_free);
}
