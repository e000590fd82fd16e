/* SPDX-License-Identifier: Apache-2.0 */
/* I/O rate limiters: token buckets for bytes and operations (CH's RateLimiterConfig). */
#include <config.h>

#include "devices/virtio/rate-limiter.h"
#include "devices/virtio/worker.h"

/* The shortest wait a throttled queue is given: a refill of less than a
 * millisecond is not worth a wakeup. */
#define RATE_LIMITER_MIN_WAIT_US 1000

struct RateLimiter {
    gint ref;                 /* atomic */
    /* Whether either bucket limits: atomic, read without @lock so that an
     * unlimited device (the common case) pays no lock per request. */
    gint limited;
    GMutex lock;
    /* @lock */
    TokenBucket bw;
    TokenBucket ops;
    GArray *wake_fds;         /* int; changed on the control thread only */
};

/* ---- TokenBucket --------------------------------------------------------- */

static void
token_bucket_set(TokenBucket *b, const TokenBucketConfig *cfg, int64_t now_us)
{
    bool was_limited = b->size != 0;

    if (!cfg || cfg->size == 0 || cfg->refill_time == 0) {
        /* CH builds no bucket then: nothing is limited. */
        b->size = 0;
        return;
    }
    b->size = MIN(cfg->size, (uint64_t)G_MAXINT64);
    /* refill_time is in ms; the schema bounds it to int64, and a time
     * beyond 2^63 us is "never" anyway. */
    b->refill_us = cfg->refill_time > (uint64_t)G_MAXINT64 / 1000
                       ? (uint64_t)G_MAXINT64 : cfg->refill_time * 1000;
    b->burst = cfg->one_time_burst;
    /* A new bucket starts full (CH); an updated one keeps what it has. */
    if (!was_limited || b->budget > (int64_t)b->size)
        b->budget = (int64_t)b->size;
    b->last_us = now_us;
}

void
token_bucket_init(TokenBucket *b, const TokenBucketConfig *cfg,
                  int64_t now_us)
{
    *b = (TokenBucket){ 0 };
    token_bucket_set(b, cfg, now_us);
}

/* Adds what accrued since last_us: size tokens per refill_us, whole
 * tokens only; the remainder of a token stays in the clock. */
static void
token_bucket_refill(TokenBucket *b, int64_t now_us)
{
    unsigned __int128 tokens;
    int64_t elapsed = now_us - b->last_us;

    if (b->budget >= (int64_t)b->size || elapsed <= 0) {
        /* A full bucket does not bank time for later. */
        if (b->budget >= (int64_t)b->size)
            b->last_us = now_us;
        return;
    }
    /* 128 bits: elapsed * size overflows 64 for large buckets. */
    tokens = (unsigned __int128)elapsed * b->size / b->refill_us;
    if (tokens == 0)
        return;
    if ((unsigned __int128)((__int128)b->size - b->budget) <= tokens) {
        b->budget = (int64_t)b->size;
        b->last_us = now_us;
        return;
    }
    b->budget += (int64_t)tokens;
    b->last_us += (int64_t)(tokens * b->refill_us / b->size);
}

bool
token_bucket_take(TokenBucket *b, uint64_t tokens, int64_t now_us,
                  int64_t *wait_us)
{
    unsigned __int128 need, wait;

    if (b->size == 0 || tokens == 0)
        return true;
    token_bucket_refill(b, now_us);
    /* The one-time burst is spent first (CH). */
    if (b->burst >= tokens) {
        b->burst -= tokens;
        return true;
    }
    if (tokens <= b->size) {
        if (b->budget >= 0 && (uint64_t)b->budget + b->burst >= tokens) {
            b->budget -= (int64_t)(tokens - b->burst);
            b->burst = 0;
            return true;
        }
        need = (unsigned __int128)((__int128)tokens - b->burst - b->budget);
    } else {
        /* Larger than the bucket: it goes once the bucket is full and
         * leaves a debt the refill pays back before anything else. */
        if (b->budget >= (int64_t)b->size) {
            b->budget -= (int64_t)MIN(tokens - b->burst,
                                      (uint64_t)G_MAXINT64 / 2);
            b->burst = 0;
            return true;
        }
        need = (unsigned __int128)((__int128)b->size - b->budget);
    }
    wait = (need * b->refill_us + b->size - 1) / b->size;
    /* The refill counts from last_us, which may lie in the past. */
    wait -= MIN(wait, (unsigned __int128)(now_us - b->last_us));
    *wait_us = (int64_t)MIN(wait, (unsigned __int128)G_MAXINT32);
    return false;
}

void
token_bucket_give_back(TokenBucket *b, uint64_t tokens)
{
    if (b->size == 0)
        return;
    b->budget = (int64_t)MIN((__int128)b->budget + tokens, (__int128)b->size);
}

/* ---- RateLimiter --------------------------------------------------------- */

RateLimiter *
rate_limiter_new(const RateLimiterConfig *cfg)
{
    RateLimiter *rl = g_new0(RateLimiter, 1);
    int64_t now = g_get_monotonic_time();

    rl->ref = 1;
    g_mutex_init(&rl->lock);
    token_bucket_init(&rl->bw, cfg ? cfg->bandwidth : NULL, now);
    token_bucket_init(&rl->ops, cfg ? cfg->ops : NULL, now);
    rl->limited = rl->bw.size || rl->ops.size;
    rl->wake_fds = g_array_new(FALSE, FALSE, sizeof(int));
    return rl;
}

RateLimiter *
rate_limiter_ref(RateLimiter *rl)
{
    g_atomic_int_inc(&rl->ref);
    return rl;
}

void
rate_limiter_unref(RateLimiter *rl)
{
    if (!rl || !g_atomic_int_dec_and_test(&rl->ref))
        return;
    g_mutex_clear(&rl->lock);
    g_array_unref(rl->wake_fds);
    g_free(rl);
}

bool
rate_limiter_is_limited(RateLimiter *rl)
{
    return g_atomic_int_get(&rl->limited) != 0;
}

bool
rate_limiter_consume_at(RateLimiter *rl, uint64_t ops, uint64_t bytes,
                        int64_t now_us, int64_t *wait_us)
{
    bool ok;

    *wait_us = 0;
    if (!g_atomic_int_get(&rl->limited))
        return true;
    g_mutex_lock(&rl->lock);
    ok = token_bucket_take(&rl->ops, ops, now_us, wait_us);
    if (ok && !token_bucket_take(&rl->bw, bytes, now_us, wait_us)) {
        /* Both or neither: the request is not going after all (CH's
         * manual_replenish). */
        token_bucket_give_back(&rl->ops, ops);
        ok = false;
    }
    g_mutex_unlock(&rl->lock);
    if (!ok)
        *wait_us = MAX(*wait_us, RATE_LIMITER_MIN_WAIT_US);
    return ok;
}

bool
rate_limiter_consume(RateLimiter *rl, uint64_t ops, uint64_t bytes,
                     int64_t *wait_us)
{
    return rate_limiter_consume_at(rl, ops, bytes, g_get_monotonic_time(),
                                   wait_us);
}

void
rate_limiter_adjust(RateLimiter *rl, int64_t ops, int64_t bytes)
{
    if (!g_atomic_int_get(&rl->limited))
        return;
    g_mutex_lock(&rl->lock);
    if (ops < 0)
        token_bucket_give_back(&rl->ops, (uint64_t)-ops);
    else if (ops > 0 && rl->ops.size)
        rl->ops.budget -= MIN(ops, G_MAXINT64 / 2);
    if (bytes < 0)
        token_bucket_give_back(&rl->bw, (uint64_t)-bytes);
    else if (bytes > 0 && rl->bw.size)
        rl->bw.budget -= MIN(bytes, G_MAXINT64 / 2);
    g_mutex_unlock(&rl->lock);
}

void
rate_limiter_update_at(RateLimiter *rl, const RateLimiterConfig *cfg,
                       int64_t now_us)
{
    g_mutex_lock(&rl->lock);
    token_bucket_set(&rl->bw, cfg ? cfg->bandwidth : NULL, now_us);
    token_bucket_set(&rl->ops, cfg ? cfg->ops : NULL, now_us);
    g_atomic_int_set(&rl->limited, rl->bw.size || rl->ops.size);
    for (guint i = 0; i < rl->wake_fds->len; i++)
        virtio_eventfd_signal(g_array_index(rl->wake_fds, int, i));
    g_mutex_unlock(&rl->lock);
}

void
rate_limiter_update(RateLimiter *rl, const RateLimiterConfig *cfg)
{
    rate_limiter_update_at(rl, cfg, g_get_monotonic_time());
}

void
rate_limiter_add_wake_fd(RateLimiter *rl, int fd)
{
    g_mutex_lock(&rl->lock);
    g_array_append_val(rl->wake_fds, fd);
    g_mutex_unlock(&rl->lock);
}

void
rate_limiter_remove_wake_fd(RateLimiter *rl, int fd)
{
    g_mutex_lock(&rl->lock);
    for (guint i = 0; i < rl->wake_fds->len; i++) {
        if (g_array_index(rl->wake_fds, int, i) == fd) {
            g_array_remove_index_fast(rl->wake_fds, i);
            break;
        }
    }
    g_mutex_unlock(&rl->lock);
}
