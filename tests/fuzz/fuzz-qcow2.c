/* SPDX-License-Identifier: Apache-2.0 */
/* Fuzz target: qcow2 header, L1/L2, refcount and compressed cluster parsing. */
#include <config.h>

#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include <gio/gio.h>

#include "devices/block/format.h"
#include "devices/block/qcow2.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The most of a hostile image's file this target lets writes grow. */
#define FUZZ_MAX_FILE (64u * 1024 * 1024)

/* Reads [@off, @off + @len) of @fmt: any result but a crash is fine, but
 * a success must fill the whole buffer (what block_format_read says). */
static void
fuzz_read(BlockFormat *fmt, uint64_t off, uint64_t len, uint8_t *buf)
{
    struct iovec iov = { buf, len };

    if (off >= fmt->size)
        return;
    len = MIN(len, fmt->size - off);
    iov.iov_len = len;
    (void)block_format_read(fmt, off, len, &iov, 1, 0);
}

/* One mapping for @op, checked against the seam's contract. */
static void
fuzz_map(BlockFormat *fmt, BlockOp op, uint64_t off, uint64_t len)
{
    BlockExtent ext = { 0 };
    int r;

    if (off >= fmt->size)
        return;
    len = MIN(len, fmt->size - off);
    r = fmt->ops->map(fmt, op, off, len, &ext);
    if (r == 0) {
        g_assert_cmpuint(ext.len, >, 0);
        g_assert_cmpuint(ext.len, <=, len);
        g_assert_cmpint(ext.kind, <, BLOCK_EXTENT_LAST);
        if (op == BLOCK_OP_WRITE)
            g_assert_cmpint(ext.kind, ==, BLOCK_EXTENT_DATA);
    }
}

/*
 * Input: a qcow2 image file.  The header parser runs on it directly; then
 * the image is opened from a memfd, read-only and read-write, and read at
 * its start, its end and where its last 8 bytes say, then written,
 * discarded and zeroed there: every table the image names gets looked at.
 * Backing files are never opened (a hostile name could point anywhere).
 */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static uint8_t buf[256 * 1024];
    Qcow2Header h;
    g_autoptr(GError) error = NULL;
    g_autofree char *path = NULL;
    uint64_t probe = 0;
    int fd;

    if (qcow2_header_parse(data, size, size, "fuzz", &h, &error))
        qcow2_header_clear(&h);
    g_clear_error(&error);
    if (size < 8)
        return 0;
    probe = qcow2_be64(data + size - 8);

    fd = memfd_create("fuzz-qcow2", MFD_CLOEXEC);
    g_assert_cmpint(fd, >=, 0);
    g_assert_cmpint(write(fd, data, size), ==, (ssize_t)size);
    path = g_strdup_printf("/proc/self/fd/%d", fd);
    for (int rw = 0; rw < 2; rw++) {
        BlockFormatOptions o = {
            .readonly = !rw, .type = IMAGE_TYPE_QCOW2, .sparse = true,
        };
        g_autoptr(BlockFormat) fmt = block_format_open_opts(path, &o, &error);
        uint64_t at;

        g_clear_error(&error);
        if (!fmt)
            continue;
        at = fmt->size ? probe % fmt->size : 0;
        fuzz_read(fmt, 0, sizeof(buf), buf);
        fuzz_read(fmt, at, sizeof(buf), buf);
        fuzz_read(fmt, fmt->size > 4096 ? fmt->size - 4096 : 0, 4096, buf);
        fuzz_map(fmt, BLOCK_OP_READ, at, 1u << 20);
        if (!rw)
            continue;
        /* Growth is bounded by what a few allocations take. */
        if (lseek(fd, 0, SEEK_END) > FUZZ_MAX_FILE)
            continue;
        fuzz_map(fmt, BLOCK_OP_WRITE, at, 3000);
        fuzz_map(fmt, BLOCK_OP_WRITE, 0, 512);
        fuzz_map(fmt, BLOCK_OP_WRITE_ZEROES, at & ~(uint64_t)65535, 1u << 17);
        fuzz_map(fmt, BLOCK_OP_DISCARD, at & ~(uint64_t)4095, 1u << 20);
        fuzz_read(fmt, at, 4096, buf);
    }
    close(fd);
    return 0;
}
