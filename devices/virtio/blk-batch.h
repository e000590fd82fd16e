/* SPDX-License-Identifier: Apache-2.0 */
/* virtio-blk kick coalescing: when a queue's worker leaves kicks off and comes back on a timer. */
#pragma once

#include <stdbool.h>
#include <glib.h>

/*
 * A guest that keeps a queue busy kicks once per pass of the worker: the
 * worker re-enables notifications at the end of each pass, and the next
 * request the guest adds kicks it again.  Each kick is a VM exit, and each
 * pass ends with an interrupt (and its EOI exit).  While the guest adds
 * requests faster than one per pass, the worker can instead leave kicks off
 * and come back after a window on a timer, taking what the guest added
 * meanwhile in one pass: no kick exits, and one interrupt for the batch.
 *
 * The window follows the cadence of the guest's requests: it starts at the
 * interval between the two passes that showed a stream, shrinks by an
 * eighth at every timed pass that still found a batch (so that a request
 * waits no longer than it takes the next to come), and the queue goes back
 * to kicks as soon as a timed pass finds fewer than two requests: a guest
 * with one request in flight (or an idle one) always runs on kicks, with
 * no added latency.
 */

/* Bounds of the window, in microseconds. */
#define BLK_BATCH_MIN_US 5
#define BLK_BATCH_MAX_US 1000

/* Worker thread only. */
typedef struct {
    unsigned window_us;      /* 0: kicks on */
    gint64 last_us;          /* end of the previous pass; 0: none yet */
} BlkBatch;

/**
 * blk_batch_next:
 * The policy, pure: after a pass that ended at @now_us and started
 * @started requests, woken by the batch timer (@timed) or by a kick or a
 * completion, returns how long to leave kicks off before the next pass
 * (microseconds), or 0 to turn kicks back on.
 */
unsigned blk_batch_next(BlkBatch *b, unsigned started, bool timed,
                        gint64 now_us);
