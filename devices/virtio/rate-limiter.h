/* SPDX-License-Identifier: Apache-2.0 */
/* I/O rate limiters: token buckets for bytes and operations (CH's RateLimiterConfig). */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <glib.h>

#include "config/vm-config.h"

/*
 * Cloud Hypervisor's (and Firecracker's) token bucket: a bucket holds up
 * to @size tokens and starts full; it refills at size / refill_time, one
 * token at a time; @one_time_burst extra tokens are spent before the
 * bucket and never come back.  A request larger than the whole bucket
 * waits until the bucket is full, then leaves it in debt, so that the
 * long-run rate holds whatever the request size.  A bucket of size 0 or
 * refill_time 0 does not limit (CH creates none).
 *
 * Times are monotonic microseconds passed in by the caller, so that the
 * unit tests drive a clock of their own.
 */
typedef struct {
    uint64_t size;            /* 0: unlimited */
    uint64_t refill_us;
    uint64_t burst;           /* one-time burst tokens left */
    int64_t budget;           /* < 0: debt of an oversized request */
    int64_t last_us;          /* when budget was last brought up to date */
} TokenBucket;

void token_bucket_init(TokenBucket *b, const TokenBucketConfig *cfg,
                       int64_t now_us);
/* Takes @tokens if there are enough (true); else false and *@wait_us is
 * how long until there will be. */
bool token_bucket_take(TokenBucket *b, uint64_t tokens, int64_t now_us,
                       int64_t *wait_us);
/* Gives back @tokens taken by token_bucket_take() (to the bucket, capped
 * at its size). */
void token_bucket_give_back(TokenBucket *b, uint64_t tokens);

/**
 * RateLimiter:
 * A bandwidth and an operations bucket, shared by the queues of one
 * device or, for a rate limit group, of several devices on several
 * worker threads: every call takes @lock.  Refcounted.
 */
typedef struct RateLimiter RateLimiter;

/* (transfer full); @cfg may be NULL (no limit until updated). */
RateLimiter *rate_limiter_new(const RateLimiterConfig *cfg);
RateLimiter *rate_limiter_ref(RateLimiter *rl);
void rate_limiter_unref(RateLimiter *rl);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(RateLimiter, rate_limiter_unref)

/* Whether a bucket limits anything now (racy by design: a hint that lets
 * an unlimited device skip the work of sizing its requests). */
bool rate_limiter_is_limited(RateLimiter *rl);

/**
 * rate_limiter_consume_at:
 * Data plane (any thread): takes @ops operation tokens and @bytes byte
 * tokens, both or neither.  Returns true when the request may go;
 * otherwise *@wait_us is the time after which it is worth trying again
 * (at least 1 ms: no timer storms).  No allocation, no I/O.
 */
bool rate_limiter_consume_at(RateLimiter *rl, uint64_t ops, uint64_t bytes,
                             int64_t now_us, int64_t *wait_us);
/* The same at g_get_monotonic_time(). */
bool rate_limiter_consume(RateLimiter *rl, uint64_t ops, uint64_t bytes,
                          int64_t *wait_us);

/**
 * rate_limiter_adjust:
 * Data plane: takes (> 0) or gives back (< 0) tokens after the fact, a
 * debt allowed: virtio-net RX learns a frame's size only once it has read
 * it, and gives back what a read that found nothing had taken.
 */
void rate_limiter_adjust(RateLimiter *rl, int64_t ops, int64_t bytes);

/**
 * rate_limiter_update_at:
 * Control thread: the new limits (NULL: none) apply from now on.  Tokens
 * already in a bucket stay (capped at the new size), the one-time burst
 * is the new config's; every registered wake fd is signalled so that
 * throttled queues look again at once rather than when their timer ends.
 */
void rate_limiter_update_at(RateLimiter *rl, const RateLimiterConfig *cfg,
                            int64_t now_us);
void rate_limiter_update(RateLimiter *rl, const RateLimiterConfig *cfg);

/* An eventfd (a queue's kick fd) signalled on every update; added and
 * removed by the device that owns it, on the control thread. */
void rate_limiter_add_wake_fd(RateLimiter *rl, int fd);
void rate_limiter_remove_wake_fd(RateLimiter *rl, int fd);
