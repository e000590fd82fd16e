/* SPDX-License-Identifier: Apache-2.0 */
/* Virtio worker threads: a named thread polling a fixed set of fds (queue kicks, backends). */
#pragma once

#include <stdbool.h>
#include <glib.h>

#include "common/thread-role.h"

typedef struct VirtioWorker VirtioWorker;

/* Runs on the worker thread when @fd polls ready (@revents from poll()). */
typedef void (*VirtioWorkerFunc)(gpointer opaque, int fd, short revents);

/**
 * virtio_worker_new:
 * A worker named @name (the thread name libvirt and CH users look for:
 * "_disk0_q0", "_net0_qp0", "_net0_ctrl"...) whose thread runs under
 * @role's seccomp filter (THREAD_ROLE_VIRTIO_*: what the device's queue
 * handlers and backend need).  Add fds, then start it.
 */
VirtioWorker *virtio_worker_new(ThreadRole role, const char *name);
void virtio_worker_free(VirtioWorker *w);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(VirtioWorker, virtio_worker_free)

/* Watches @fd for @events (POLLIN...; 0: not yet); returns its slot.
 * Before start. */
unsigned virtio_worker_add_fd(VirtioWorker *w, int fd, short events,
                              VirtioWorkerFunc func, gpointer opaque);
/* Changes the events watched on @slot (0: the fd is not polled at all).  Worker thread
 * only (e.g. net RX stops polling the TAP while the guest has no buffers). */
void virtio_worker_set_events(VirtioWorker *w, unsigned slot, short events);

/* Starts the thread; false with @error if it cannot be created. */
bool virtio_worker_start(VirtioWorker *w, GError **error);
/* Asks the thread to exit and joins it; no-op if not running.  Must not be
 * called from the worker itself. */
void virtio_worker_stop(VirtioWorker *w);
bool virtio_worker_running(VirtioWorker *w);

/* Reads an eventfd to clear it; returns the counter (0 if none). */
uint64_t virtio_eventfd_drain(int fd);
/* Signals an eventfd (adds 1). */
void virtio_eventfd_signal(int fd);
