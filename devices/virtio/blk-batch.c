/* SPDX-License-Identifier: Apache-2.0 */
/* virtio-blk kick coalescing policy (see blk-batch.h): pure, unit-tested. */
#include <config.h>

#include "devices/virtio/blk-batch.h"

unsigned
blk_batch_next(BlkBatch *b, unsigned started, bool timed, gint64 now_us)
{
    gint64 gap = b->last_us > 0 ? now_us - b->last_us : 0;

    b->last_us = now_us;
    /* One request (or none) per pass: the guest waits for its answer
     * before it adds the next one, so a timer would only delay it. */
    if (started < 2) {
        b->window_us = 0;
        return 0;
    }
    if (timed && b->window_us > 0) {
        /* Still a batch: try a shorter wait, the requests of this one
         * may have waited longer than the next needed to come. */
        b->window_us = MAX(b->window_us - MAX(b->window_us / 8, 1u),
                           (unsigned)BLK_BATCH_MIN_US);
        return b->window_us;
    }
    /* A kick's pass found a batch: the guest added several requests in
     * the time since the last pass.  Nothing to measure that by on the
     * first pass. */
    if (gap <= 0) {
        b->window_us = 0;
        return 0;
    }
    b->window_us = (unsigned)CLAMP(gap, BLK_BATCH_MIN_US, BLK_BATCH_MAX_US);
    return b->window_us;
}
