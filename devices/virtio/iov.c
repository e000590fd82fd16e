/* SPDX-License-Identifier: Apache-2.0 */
/* Scatter-gather helpers over host iovecs that point into guest RAM. */
#include <config.h>

#include <errno.h>
#include <string.h>
#include <glib.h>

#include "devices/virtio/iov.h"

size_t
iov_size(const struct iovec *iov, unsigned n)
{
    size_t total = 0;

    for (unsigned i = 0; i < n; i++)
        total += iov[i].iov_len;
    return total;
}

/* Walks the iovecs from @offset; @fn copies one contiguous piece. */
typedef void (*IovPieceFunc)(void *base, size_t done, size_t len,
                             const void *arg);

static size_t
iov_walk(const struct iovec *iov, unsigned n, size_t offset, size_t len,
         IovPieceFunc fn, const void *arg)
{
    size_t done = 0;

    for (unsigned i = 0; i < n && done < len; i++) {
        size_t piece;

        if (offset >= iov[i].iov_len) {
            offset -= iov[i].iov_len;
            continue;
        }
        piece = MIN(iov[i].iov_len - offset, len - done);
        fn((uint8_t *)iov[i].iov_base + offset, done, piece, arg);
        done += piece;
        offset = 0;
    }
    return done;
}

typedef struct {
    uint8_t *buf;
    const uint8_t *cbuf;
    int c;
} IovArg;

static void
iov_piece_to_buf(void *base, size_t done, size_t len, const void *arg)
{
    const IovArg *a = arg;

    memcpy(a->buf + done, base, len);
}

static void
iov_piece_from_buf(void *base, size_t done, size_t len, const void *arg)
{
    const IovArg *a = arg;

    memcpy(base, a->cbuf + done, len);
}

static void
iov_piece_memset(void *base, size_t done, size_t len, const void *arg)
{
    const IovArg *a = arg;

    memset(base, a->c, len);
}

size_t
iov_to_buf(const struct iovec *iov, unsigned n, size_t offset, void *buf,
           size_t len)
{
    IovArg a = { .buf = buf };

    return iov_walk(iov, n, offset, len, iov_piece_to_buf, &a);
}

size_t
iov_from_buf(const struct iovec *iov, unsigned n, size_t offset,
             const void *buf, size_t len)
{
    IovArg a = { .cbuf = buf };

    return iov_walk(iov, n, offset, len, iov_piece_from_buf, &a);
}

size_t
iov_memset(const struct iovec *iov, unsigned n, size_t offset, int c,
           size_t len)
{
    IovArg a = { .c = c };

    return iov_walk(iov, n, offset, len, iov_piece_memset, &a);
}

int
iov_slice(const struct iovec *src, unsigned n, size_t offset, size_t len,
          struct iovec *dst, unsigned max)
{
    unsigned k = 0;
    size_t done = 0;

    for (unsigned i = 0; i < n && done < len; i++) {
        size_t piece;

        if (offset >= src[i].iov_len) {
            offset -= src[i].iov_len;
            continue;
        }
        if (k == max)
            return -E2BIG;
        piece = MIN(src[i].iov_len - offset, len - done);
        dst[k].iov_base = (uint8_t *)src[i].iov_base + offset;
        dst[k].iov_len = piece;
        k++;
        done += piece;
        offset = 0;
    }
    return done == len ? (int)k : -EINVAL;
}
