/* SPDX-License-Identifier: Apache-2.0 */
/* Fuzz target: VHDX headers, region table, metadata and BAT on hostile image files. */
#include <config.h>

#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include <gio/gio.h>

#include "devices/block/format.h"
#include "devices/block/vhdx.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The largest image file the target builds (a VHDX needs a few MiB). */
#define FUZZ_MAX_FILE (64u * 1024 * 1024)

/*
 * Input: a sparse image, as tests/fuzz/make-vhdx-seeds.py writes it (a
 * VHDX is megabytes of mostly zeroes): the file size (LE u64), then
 * records of an offset (LE u64), a length (LE u32) and that many bytes.
 */
typedef struct {
    uint8_t *img;
    uint64_t size;
} FuzzImage;

static int
fuzz_read_cb(void *opaque, void *buf, uint64_t len, uint64_t off)
{
    FuzzImage *im = opaque;

    if (off > im->size || len > im->size - off)
        return -EIO;
    memcpy(buf, im->img + off, len);
    return 0;
}

static bool
fuzz_decode(const uint8_t *data, size_t size, FuzzImage *im)
{
    size_t at = 8;

    if (size < 8)
        return false;
    im->size = MIN(vhdx_le64(data), FUZZ_MAX_FILE);
    im->img = g_malloc0(MAX(im->size, 1));
    while (at + 12 <= size) {
        uint64_t off = vhdx_le64(data + at);
        uint64_t len = MIN((uint64_t)vhdx_le32(data + at + 8),
                           size - at - 12);

        at += 12;
        if (off < im->size)
            memcpy(im->img + off, data + at, MIN(len, im->size - off));
        at += len;
    }
    return true;
}

static void
fuzz_map(BlockFormat *fmt, BlockOp op, uint64_t off, uint64_t len)
{
    BlockExtent ext = { 0 };

    if (off >= fmt->size)
        return;
    len = MIN(len, fmt->size - off);
    if (fmt->ops->map(fmt, op, off, len, &ext) == 0) {
        g_assert_cmpuint(ext.len, >, 0);
        g_assert_cmpuint(ext.len, <=, len);
        if (op == BLOCK_OP_WRITE)
            g_assert_cmpint(ext.kind, ==, BLOCK_EXTENT_DATA);
        /* Data never lands in the header area. */
        if (ext.kind == BLOCK_EXTENT_DATA)
            g_assert_cmpuint(ext.file_offset, >=, VHDX_HEADER_AREA);
    }
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static uint8_t buf[64 * 1024];
    g_autoptr(GError) error = NULL;
    g_autofree char *path = NULL;
    FuzzImage im = { 0 };
    VhdxMeta m;
    int fd;

    if (!fuzz_decode(data, size, &im))
        return 0;
    if (vhdx_meta_parse(fuzz_read_cb, &im, im.size, "fuzz", &m, &error) &&
        m.bat.off + m.bat_entries * 8 <= im.size)
        (void)vhdx_bat_check(&m, im.img + m.bat.off, im.size, "fuzz",
                             &error);
    g_clear_error(&error);

    fd = memfd_create("fuzz-vhdx", MFD_CLOEXEC);
    g_assert_cmpint(fd, >=, 0);
    g_assert_cmpint(ftruncate(fd, (off_t)im.size), ==, 0);
    g_assert_cmpint(pwrite(fd, im.img, im.size, 0), ==, (ssize_t)im.size);
    g_free(im.img);
    path = g_strdup_printf("/proc/self/fd/%d", fd);
    for (int rw = 0; rw < 2; rw++) {
        BlockFormatOptions o = {
            .readonly = !rw, .type = IMAGE_TYPE_VHDX, .sparse = true,
        };
        g_autoptr(BlockFormat) fmt = block_format_open_opts(path, &o, &error);
        struct iovec iov = { buf, 0 };
        uint64_t mid;

        g_clear_error(&error);
        if (!fmt)
            continue;
        mid = fmt->size / 2;
        iov.iov_len = MIN(sizeof(buf), fmt->size - mid);
        (void)block_format_read(fmt, mid, iov.iov_len, &iov, 1, 0);
        fuzz_map(fmt, BLOCK_OP_READ, 0, 1u << 30);
        if (!rw)
            continue;
        /* A few allocations at most: the file stays small. */
        fuzz_map(fmt, BLOCK_OP_WRITE, mid, 4096);
        fuzz_map(fmt, BLOCK_OP_WRITE, 0, 512);
        fuzz_map(fmt, BLOCK_OP_DISCARD, 0, 1u << 20);
        fuzz_map(fmt, BLOCK_OP_WRITE_ZEROES, mid, 1u << 20);
        (void)block_format_read(fmt, mid, iov.iov_len, &iov, 1, 0);
    }
    close(fd);
    return 0;
}
