/* SPDX-License-Identifier: Apache-2.0 */
/* vhost-user-blk: a virtio-blk whose queues a vhost-user back end serves (--disk vhost_user=on). */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <glib.h>

#include "config/vm-config.h"
#include "devices/virtio/virtio.h"

/* The part of struct virtio_blk_config (virtio 1.2 §5.2.4) nimbus asks
 * the back end for and shows the guest: up to write_zeroes_may_unmap.
 * Later fields (secure erase, zoned) go with features not offered, and
 * an older back end refuses a GET_CONFIG longer than its struct. */
#define VHOST_USER_BLK_CONFIG_SIZE 60

/* The virtio-blk features a vhost-user-blk may pass from back end to
 * driver: the ones whose config fields fit VHOST_USER_BLK_CONFIG_SIZE
 * and that need nothing of the front end (CONFIG_WCE would need
 * SET_CONFIG). */
#define VHOST_USER_BLK_FEATURES                                                \
    (VIRTIO_COMMON_FEATURES | (1ULL << VIRTIO_BLK_F_SIZE_MAX) |               \
     (1ULL << VIRTIO_BLK_F_SEG_MAX) | (1ULL << VIRTIO_BLK_F_GEOMETRY) |       \
     (1ULL << VIRTIO_BLK_F_RO) | (1ULL << VIRTIO_BLK_F_BLK_SIZE) |            \
     (1ULL << VIRTIO_BLK_F_FLUSH) | (1ULL << VIRTIO_BLK_F_TOPOLOGY) |         \
     (1ULL << VIRTIO_BLK_F_MQ) | (1ULL << VIRTIO_BLK_F_DISCARD) |             \
     (1ULL << VIRTIO_BLK_F_WRITE_ZEROES))

/**
 * vhost_user_blk_new:
 * A virtio-blk device for @disk (a DiskConfig with vhost_user set that
 * passed validation): connects to the back end on its socket, negotiates
 * and reads its config space.  (transfer full) or NULL with @error
 * naming the disk and the socket.
 */
VirtioDevice *vhost_user_blk_new(DeviceHost *host, const DiskConfig *disk,
                                 GError **error);

/**
 * vhost_user_blk_check_config:
 * Checks the config space @cfg (VHOST_USER_BLK_CONFIG_SIZE bytes, as the
 * back end sent it) against the @features it offers and fixes what
 * nimbus owns (num_queues = @num_queues).  Pure: the fuzz target's entry.
 */
bool vhost_user_blk_check_config(uint8_t *cfg, uint64_t features,
                                 unsigned num_queues, GError **error);

/* Whether @vdev is a vhost-user-blk (vm.resize-disk and the rate limiter
 * calls are virtio-blk's, not its). */
bool vhost_user_blk_is(const VirtioDevice *vdev);
