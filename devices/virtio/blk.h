/* SPDX-License-Identifier: Apache-2.0 */
/* virtio-blk (virtio 1.2 §5.2): request parsing and the device. */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <glib.h>
#include <linux/virtio_blk.h>

#include "config/vm-config.h"
#include "devices/virtio/queue.h"
#include "devices/virtio/virtio.h"

#define VIRTIO_BLK_SECTOR_SIZE 512
#define VIRTIO_BLK_HDR_SIZE 16
/* One DISCARD / WRITE_ZEROES segment (struct virtio_blk_discard_write_zeroes). */
#define VIRTIO_BLK_SEG_SIZE 16
/* Largest chain of data segments we advertise (seg_max), whatever the
 * queue size: bounds the per-request iovec arrays. */
#define VIRTIO_BLK_MAX_SEG 254

/**
 * VirtioBlkReq:
 * A parsed request.  @data describes the data bytes without copying them:
 * for IN and GET_ID the device-writable bytes before the status byte, for
 * OUT, DISCARD and WRITE_ZEROES the device-readable bytes after the header.
 * @status points at the status byte (the last device-writable byte).
 */
typedef struct {
    uint32_t type;
    uint64_t sector;
    struct iovec *data;       /* caller's array of @data_max entries */
    unsigned data_max;
    unsigned data_num;
    size_t data_len;
    uint8_t *status;
} VirtioBlkReq;

/**
 * virtio_blk_parse:
 * Splits @elem into header, data and status (virtio 1.2 §5.2.6).  Returns
 * 0, or -EINVAL for a request the spec forbids (no full header, no status
 * byte, more data segments than @req->data_max): the device is then
 * broken, and *@why says why.  Unknown types parse fine (the device answers
 * VIRTIO_BLK_S_UNSUPP).  Pure: no I/O, no allocation (fuzzed).
 */
int virtio_blk_parse(const VirtQueueElem *elem, VirtioBlkReq *req,
                     const char **why);

/* A DISCARD/WRITE_ZEROES segment, validated. */
typedef struct {
    uint64_t sector;
    uint32_t num_sectors;
    bool unmap;
} VirtioBlkSegment;

/**
 * virtio_blk_parse_segment:
 * Reads the single segment of a DISCARD/WRITE_ZEROES request (we advertise
 * max_discard_seg = max_write_zeroes_seg = 1) and checks it against
 * @capacity sectors and @max_sectors.  Returns the virtio status:
 * VIRTIO_BLK_S_OK, _UNSUPP (reserved flags, unmap on DISCARD) or _IOERR
 * (segment count, range).
 */
uint8_t virtio_blk_parse_segment(const VirtioBlkReq *req, uint64_t capacity,
                                 uint32_t max_sectors, VirtioBlkSegment *seg);

/* Checks a READ/WRITE range: whole sectors within @capacity sectors. */
bool virtio_blk_range_ok(uint64_t sector, size_t len, uint64_t capacity);

/**
 * virtio_blk_new:
 * Opens @disk's image (OFD-locked, see block_backend_open()) and creates a
 * virtio-blk device with disk->num_queues queues of disk->queue_size.
 * @allow_uring false forces the synchronous engine.  Errors name the
 * option and the image.  Returns (transfer full).
 */
VirtioDevice *virtio_blk_new(DeviceHost *host, const DiskConfig *disk,
                             bool allow_uring, GError **error);
/**
 * virtio_blk_resize:
 * Control thread (vm.resize-disk): grows the disk's image to @bytes (a
 * multiple of 512; raw images only, see block_backend_grow()), updates
 * the capacity the device reports and the guest's I/O is checked
 * against, and sends a configuration change interrupt.  Shrinking is
 * refused; the current size is a no-op.
 */
bool virtio_blk_resize(VirtioDevice *vdev, uint64_t bytes, GError **error);
/**
 * virtio_blk_set_rate_limiter:
 * Control thread: the disk's limits from now on (@cfg NULL: none);
 * throttled requests are looked at again at once.  Refused for a disk in
 * a rate limit group (the group's limiter is changed instead).
 */
bool virtio_blk_set_rate_limiter(VirtioDevice *vdev,
                                 const RateLimiterConfig *cfg,
                                 GError **error);
/* The engine queue @q uses ("io_uring", "sync"; NULL before activation). */
const char *virtio_blk_engine(VirtioDevice *vdev, unsigned q);
