/* SPDX-License-Identifier: Apache-2.0 */
/* Virtio worker threads: a named thread polling a fixed set of fds (queue kicks, backends). */
#include <config.h>

#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <sys/eventfd.h>
#include <unistd.h>
#include <gio/gio.h>

#include "common/fd-util.h"
#include "devices/virtio/worker.h"

typedef struct {
    VirtioWorkerFunc func;
    gpointer opaque;
    int fd;
} WorkerSlot;

/*
 * The fd set is fixed before start (control thread) and then owned by the
 * worker thread; only @stop_fd is shared, and an eventfd needs no lock.
 * Slot 0 is the stop eventfd.
 */
struct VirtioWorker {
    char *name;
    ThreadRole role;              /* immutable */
    GThread *thread;              /* control/vCPU thread that starts/stops */
    int stop_fd;
    GArray *pfds;                 /* struct pollfd; worker thread */
    GArray *slots;                /* WorkerSlot; immutable once started */
};

uint64_t
virtio_eventfd_drain(int fd)
{
    uint64_t v = 0;

    if (read(fd, &v, sizeof(v)) != sizeof(v))
        return 0;
    return v;
}

void
virtio_eventfd_signal(int fd)
{
    uint64_t one = 1;

    /* EAGAIN means the counter is saturated: the reader wakes anyway. */
    while (write(fd, &one, sizeof(one)) < 0 && errno == EINTR)
        ;
}

VirtioWorker *
virtio_worker_new(ThreadRole role, const char *name)
{
    VirtioWorker *w = g_new0(VirtioWorker, 1);
    struct pollfd p = { .events = POLLIN };
    WorkerSlot s = { 0 };

    w->name = g_strdup(name);
    w->role = role;
    w->stop_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    w->pfds = g_array_new(FALSE, TRUE, sizeof(struct pollfd));
    w->slots = g_array_new(FALSE, TRUE, sizeof(WorkerSlot));
    p.fd = w->stop_fd;
    g_array_append_val(w->pfds, p);
    g_array_append_val(w->slots, s);
    return w;
}

void
virtio_worker_free(VirtioWorker *w)
{
    if (!w)
        return;
    virtio_worker_stop(w);
    fd_close(w->stop_fd);
    g_array_unref(w->pfds);
    g_array_unref(w->slots);
    g_free(w->name);
    g_free(w);
}

unsigned
virtio_worker_add_fd(VirtioWorker *w, int fd, short events,
                     VirtioWorkerFunc func, gpointer opaque)
{
    struct pollfd p = { .fd = events ? fd : -1, .events = events };
    WorkerSlot s = { .func = func, .opaque = opaque, .fd = fd };

    g_assert(!w->thread);
    g_array_append_val(w->pfds, p);
    g_array_append_val(w->slots, s);
    return w->pfds->len - 1;
}

void
virtio_worker_set_events(VirtioWorker *w, unsigned slot, short events)
{
    struct pollfd *p = &g_array_index(w->pfds, struct pollfd, slot);

    /* poll() ignores negative fds: with no events the fd is not polled
     * at all, so its POLLERR/POLLHUP cannot spin the loop either. */
    p->events = events;
    p->fd = events ? g_array_index(w->slots, WorkerSlot, slot).fd : -1;
}

static gpointer
virtio_worker_main(gpointer data)
{
    VirtioWorker *w = data;

    for (;;) {
        struct pollfd *pfds = (struct pollfd *)w->pfds->data;
        int n = poll(pfds, w->pfds->len, -1);

        if (n < 0) {
            if (errno == EINTR)
                continue;
            g_warning("%s: poll failed: %s", w->name, g_strerror(errno));
            break;
        }
        if (pfds[0].revents)
            break;
        for (guint i = 1; i < w->pfds->len; i++) {
            short re = g_array_index(w->pfds, struct pollfd, i).revents;
            WorkerSlot *s = &g_array_index(w->slots, WorkerSlot, i);

            if (re)
                s->func(s->opaque, s->fd, re);
        }
    }
    return NULL;
}

bool
virtio_worker_start(VirtioWorker *w, GError **error)
{
    if (w->thread)
        return true;
    if (w->stop_fd < 0) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_FAILED,
                    "%s: no stop eventfd", w->name);
        return false;
    }
    virtio_eventfd_drain(w->stop_fd);
    /* Named (prctl PR_SET_NAME) and filtered for its kind. */
    w->thread = thread_role_new(w->role, w->name, virtio_worker_main, w,
                                error);
    return w->thread != NULL;
}

void
virtio_worker_stop(VirtioWorker *w)
{
    if (!w->thread)
        return;
    virtio_eventfd_signal(w->stop_fd);
    g_thread_join(w->thread);
    w->thread = NULL;
    virtio_eventfd_drain(w->stop_fd);
}

bool
virtio_worker_running(VirtioWorker *w)
{
    return w->thread != NULL;
}
