/* SPDX-License-Identifier: Apache-2.0 */
/* virtio-blk request parsing (virtio 1.2 §5.2.6): pure functions, fuzzed. */
#include <config.h>

#include <endian.h>
#include <errno.h>
#include <string.h>

#include "devices/virtio/blk.h"
#include "devices/virtio/iov.h"

int
virtio_blk_parse(const VirtQueueElem *elem, VirtioBlkReq *req,
                 const char **why)
{
    const struct iovec *out = VIRTQUEUE_ELEM_OUT(elem);
    const struct iovec *in = VIRTQUEUE_ELEM_IN(elem);
    const struct iovec *last;
    uint8_t hdr[VIRTIO_BLK_HDR_SIZE];
    uint32_t type;
    uint64_t sector;
    int n = 0;

    /* §5.2.6: le32 type, le32 reserved, le64 sector, then data, then a
     * one-byte status the device writes. */
    if (elem->out_len < VIRTIO_BLK_HDR_SIZE) {
        *why = "request without a full header";
        return -EINVAL;
    }
    if (elem->in_num == 0) {
        *why = "request without a status byte";
        return -EINVAL;
    }
    iov_to_buf(out, elem->out_num, 0, hdr, sizeof(hdr));
    memcpy(&type, hdr, 4);
    memcpy(&sector, hdr + 8, 8);
    req->type = le32toh(type);
    req->sector = le64toh(sector);
    last = &in[elem->in_num - 1];
    req->status = (uint8_t *)last->iov_base + last->iov_len - 1;
    req->data_num = 0;
    req->data_len = 0;

    switch (req->type) {
    case VIRTIO_BLK_T_IN:
    case VIRTIO_BLK_T_GET_ID:
        req->data_len = elem->in_len - 1;
        n = iov_slice(in, elem->in_num, 0, req->data_len, req->data,
                      req->data_max);
        break;
    case VIRTIO_BLK_T_OUT:
    case VIRTIO_BLK_T_DISCARD:
    case VIRTIO_BLK_T_WRITE_ZEROES:
        req->data_len = elem->out_len - VIRTIO_BLK_HDR_SIZE;
        n = iov_slice(out, elem->out_num, VIRTIO_BLK_HDR_SIZE, req->data_len,
                      req->data, req->data_max);
        break;
    default:
        return 0;   /* FLUSH and unknown types carry no data we use */
    }
    if (n < 0) {
        *why = "more data segments than seg_max";
        return -EINVAL;
    }
    req->data_num = (unsigned)n;
    return 0;
}

bool
virtio_blk_range_ok(uint64_t sector, size_t len, uint64_t capacity)
{
    uint64_t sectors = len / VIRTIO_BLK_SECTOR_SIZE;

    return len % VIRTIO_BLK_SECTOR_SIZE == 0 && sector <= capacity &&
           sectors <= capacity - sector;
}

uint8_t
virtio_blk_parse_segment(const VirtioBlkReq *req, uint64_t capacity,
                         uint32_t max_sectors, VirtioBlkSegment *seg)
{
    uint8_t raw[VIRTIO_BLK_SEG_SIZE];
    uint64_t sector;
    uint32_t num, flags;

    /* §5.2.6.2: exactly as many segments as we allow (one). */
    if (req->data_len != VIRTIO_BLK_SEG_SIZE)
        return VIRTIO_BLK_S_IOERR;
    iov_to_buf(req->data, req->data_num, 0, raw, sizeof(raw));
    memcpy(&sector, raw, 8);
    memcpy(&num, raw + 8, 4);
    memcpy(&flags, raw + 12, 4);
    sector = le64toh(sector);
    num = le32toh(num);
    flags = le32toh(flags);
    /* Only the unmap bit is defined, and only for WRITE_ZEROES. */
    if ((flags & ~VIRTIO_BLK_WRITE_ZEROES_FLAG_UNMAP) ||
        (req->type == VIRTIO_BLK_T_DISCARD &&
         (flags & VIRTIO_BLK_WRITE_ZEROES_FLAG_UNMAP)))
        return VIRTIO_BLK_S_UNSUPP;
    if (num > max_sectors || sector > capacity || num > capacity - sector)
        return VIRTIO_BLK_S_IOERR;
    seg->sector = sector;
    seg->num_sectors = num;
    seg->unmap = flags & VIRTIO_BLK_WRITE_ZEROES_FLAG_UNMAP;
    return VIRTIO_BLK_S_OK;
}
