/* SPDX-License-Identifier: Apache-2.0 */
/* A small log rate limiter for messages a guest can trigger at will. */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <glib.h>

/*
 * At most @burst messages per @interval_us; the rest are counted and the
 * count is reported by the first message allowed after them.  Not locked:
 * the caller holds its device's lock (or is single-threaded).
 */
typedef struct {
    int64_t window_start;   /* monotonic us */
    unsigned used;          /* messages in this window */
    unsigned suppressed;    /* since the last allowed message */
} RateLimit;

#define RATELIMIT_BURST 10
#define RATELIMIT_INTERVAL_US G_USEC_PER_SEC

/* True if a message may be logged now; *suppressed gets (and resets) the
 * number of messages dropped before it. */
bool ratelimit_allow(RateLimit *rl, unsigned burst, int64_t interval_us,
                     unsigned *suppressed);

/* g_debug() through a RateLimit with the default budget. */
#define legacy_debug_ratelimited(rl, fmt, ...)                                \
    do {                                                                      \
        unsigned legacy_supp_;                                                \
        if (ratelimit_allow((rl), RATELIMIT_BURST, RATELIMIT_INTERVAL_US,     \
                            &legacy_supp_)) {                                 \
            if (legacy_supp_)                                                 \
                g_debug("(%u similar messages suppressed)", legacy_supp_);    \
            g_debug(fmt, ##__VA_ARGS__);                                      \
        }                                                                     \
    } while (0)
