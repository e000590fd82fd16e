/* SPDX-License-Identifier: Apache-2.0 */
/* A small log rate limiter for messages a guest can trigger at will. */
#include <config.h>

#include "devices/legacy/ratelimit.h"

bool
ratelimit_allow(RateLimit *rl, unsigned burst, int64_t interval_us,
                unsigned *suppressed)
{
    int64_t now = g_get_monotonic_time();

    if (rl->window_start == 0 || now - rl->window_start >= interval_us) {
        rl->window_start = now;
        rl->used = 0;
    }
    if (rl->used >= burst) {
        rl->suppressed++;
        *suppressed = 0;
        return false;
    }
    rl->used++;
    *suppressed = rl->suppressed;
    rl->suppressed = 0;
    return true;
}
