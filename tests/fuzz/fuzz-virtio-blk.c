/* SPDX-License-Identifier: Apache-2.0 */
/* Fuzz target: virtio-blk request parsing on chains popped from hostile rings. */
#include <config.h>

#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <gio/gio.h>

#include "devices/virtio/blk.h"
#include "devices/virtio/iov.h"
#include "tests/unit/fake-vm.h"
#include "tests/unit/test-virtio-driver.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CAPACITY 2048   /* sectors of the imaginary disk */

/*
 * Input: a ring as td_fuzz_load() builds it; each chain popped is parsed
 * as a request, then checked as the device checks it before any I/O
 * (sector range, DISCARD/WRITE_ZEROES segment), and answered with a
 * status byte.  Parsing must never read or write outside the chain.
 */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static GuestMemory *mem;
    static FakeHost *host;   /* the queue's memory and dirty marker */
    static VirtQueueElem *elem;
    static struct iovec dataiov[VIRTIO_BLK_MAX_SEG + 2];
    VirtQueue vq;
    int r;

    if (!mem) {
        mem = td_memory_new();
        host = fake_host_new_with_memory(mem);
        elem = virtqueue_elem_new(VIRTIO_BLK_MAX_SEG + 2);
    }
    if (!td_fuzz_load(fake_host_base(host), &vq, data, size))
        return 0;
    while ((r = virtqueue_pop(&vq, elem)) == 0) {
        VirtioBlkReq req = { .data = dataiov, .data_max = G_N_ELEMENTS(dataiov) };
        VirtioBlkSegment seg;
        const char *why = NULL;
        uint8_t st = VIRTIO_BLK_S_OK;
        uint8_t scratch[64];

        if (virtio_blk_parse(elem, &req, &why) < 0) {
            g_assert_nonnull(why);
            break;     /* the device would be NEEDS_RESET now */
        }
        g_assert_cmpuint(iov_size(req.data, req.data_num), ==, req.data_len);
        switch (req.type) {
        case VIRTIO_BLK_T_IN:
        case VIRTIO_BLK_T_OUT:
            if (!virtio_blk_range_ok(req.sector, req.data_len, CAPACITY))
                st = VIRTIO_BLK_S_IOERR;
            else
                iov_to_buf(req.data, req.data_num, 0, scratch,
                           MIN(sizeof(scratch), req.data_len));
            break;
        case VIRTIO_BLK_T_DISCARD:
        case VIRTIO_BLK_T_WRITE_ZEROES:
            st = virtio_blk_parse_segment(&req, CAPACITY, 1024, &seg);
            if (st == VIRTIO_BLK_S_OK)
                g_assert_cmpuint(seg.sector + seg.num_sectors, <=, CAPACITY);
            break;
        case VIRTIO_BLK_T_GET_ID:
            iov_from_buf(req.data, req.data_num, 0, "fuzz-serial",
                         MIN(req.data_len, (size_t)12));
            break;
        default:
            break;
        }
        *req.status = st;
        virtqueue_push(&vq, elem, 1);
    }
    return 0;
}
