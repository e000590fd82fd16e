/* SPDX-License-Identifier: Apache-2.0 */
/* The queue half of a vhost-user front end: rings to the back end, its calls relayed. */
#pragma once

#include <stdbool.h>
#include <glib.h>

#include "devices/virtio/vhost-user.h"
#include "devices/virtio/virtio.h"
#include "devices/virtio/worker.h"

/*
 * What a vhost-user device (blk, net) does with its queues whatever its
 * type: on activation the rings, eventfds and memory table go to the
 * back end; a worker relays the back end's call eventfds to the
 * transport and watches its error eventfds and its socket, so that a
 * back end that fails or goes away makes the device NEEDS_RESET and
 * nothing else.  The device keeps its config space and features.
 *
 * Fields: @vdev, @vu, @call_fds and @err_fds are immutable after
 * vhost_user_dev_init(); @started and @worker belong to the thread that
 * activates, resets, pauses or resumes the device (the transport lock,
 * or the control thread with the device stopped).
 */
typedef struct {
    VirtioDevice *vdev;
    VhostUser *vu;                /* owned */
    int *call_fds;                /* per queue: the back end signals it */
    int *err_fds;                 /* per queue: the back end's errors */
    bool *started;                /* per queue: the back end runs it */
    unsigned sock_slot;           /* @worker's slot of the socket */
    VirtioWorker *worker;
    /* The queues the back end serves: the first @nqueues of @vdev's (a
     * queue after them, virtio-net's control queue, stays nimbus's). */
    unsigned nqueues;
    /* The driver's features the back end is told of (SET_FEATURES): all
     * by default; a device that offers features of its own (virtio-net's
     * MAC, control queue) keeps those from the back end. */
    uint64_t backend_mask;
} VhostUserDev;

/* Takes @vu over (also on failure) for @vdev's queues (already
 * initialised): makes the eventfds. */
bool vhost_user_dev_init(VhostUserDev *d, VirtioDevice *vdev, VhostUser *vu,
                         GError **error);
/* The same for only the first @nqueues of @vdev's queues. */
bool vhost_user_dev_init_queues(VhostUserDev *d, VirtioDevice *vdev,
                                VhostUser *vu, unsigned nqueues,
                                GError **error);
/* Stops the back end's rings and frees what init made. */
void vhost_user_dev_cleanup(VhostUserDev *d);

/* VirtioDeviceOps.activate: features, memory table, rings, worker. */
bool vhost_user_dev_activate(VhostUserDev *d, GError **error);
/* VirtioDeviceOps.reset: the back end stops every ring. */
void vhost_user_dev_reset(VhostUserDev *d);
bool vhost_user_dev_pause(VhostUserDev *d, GError **error);
bool vhost_user_dev_resume(VhostUserDev *d, GError **error);
