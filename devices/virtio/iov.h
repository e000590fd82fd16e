/* SPDX-License-Identifier: Apache-2.0 */
/* Scatter-gather helpers over host iovecs that point into guest RAM. */
#pragma once

#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

/* Total bytes of @iov[0..@n). */
size_t iov_size(const struct iovec *iov, unsigned n);

/* Copies up to @len bytes starting @offset bytes into @iov to @buf; returns
 * the bytes copied (less than @len when the iovecs end first). */
size_t iov_to_buf(const struct iovec *iov, unsigned n, size_t offset,
                  void *buf, size_t len);
/* Copies up to @len bytes of @buf into @iov from @offset; returns bytes. */
size_t iov_from_buf(const struct iovec *iov, unsigned n, size_t offset,
                    const void *buf, size_t len);
/* Fills up to @len bytes from @offset with zeroes; returns bytes. */
size_t iov_memset(const struct iovec *iov, unsigned n, size_t offset, int c,
                  size_t len);

/**
 * iov_slice:
 * Describes bytes [@offset, @offset + @len) of @src in @dst (at most @max
 * entries), without copying data.  Returns the number of entries used, or
 * -E2BIG if @max is too small, or -EINVAL if @src holds fewer bytes.
 */
int iov_slice(const struct iovec *src, unsigned n, size_t offset, size_t len,
              struct iovec *dst, unsigned max);
