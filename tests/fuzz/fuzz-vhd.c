/* SPDX-License-Identifier: Apache-2.0 */
/* Fuzz target: the VHD footer parser and the fixed VHD format on hostile image files. */
#include <config.h>

#include <stddef.h>
#include <stdint.h>
#include <sys/mman.h>
#include <unistd.h>
#include <gio/gio.h>

#include "devices/block/format.h"
#include "devices/block/vhd.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/*
 * Input: an image file.  The footer parser runs on its last and first
 * 512 bytes directly; then the file is opened from a memfd, autodetected
 * and as image_type=vhd, read-only and read-write, and mapped at its
 * ends: a mapping must stay in front of the footer.
 */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static uint8_t buf[4096];
    g_autoptr(GError) error = NULL;
    g_autofree char *path = NULL;
    VhdFooter f;
    int fd;

    if (size >= VHD_FOOTER_SIZE) {
        (void)vhd_footer_parse(data + size - VHD_FOOTER_SIZE, size, "fuzz",
                               &f, &error);
        g_clear_error(&error);
        (void)vhd_footer_parse(data, size, "fuzz", &f, &error);
        g_clear_error(&error);
    }
    fd = memfd_create("fuzz-vhd", MFD_CLOEXEC);
    g_assert_cmpint(fd, >=, 0);
    g_assert_cmpint(write(fd, data, size), ==, (ssize_t)size);
    path = g_strdup_printf("/proc/self/fd/%d", fd);
    for (int i = 0; i < 4; i++) {
        BlockFormatOptions o = {
            .readonly = i & 1, .sparse = true,
            .type = i & 2 ? IMAGE_TYPE_FIXED_VHD : IMAGE_TYPE_UNKNOWN,
        };
        g_autoptr(BlockFormat) fmt = block_format_open_opts(path, &o, &error);
        struct iovec iov = { buf, 0 };
        BlockExtent ext = { 0 };

        g_clear_error(&error);
        if (!fmt)
            continue;
        g_assert_cmpuint(fmt->size, <=, size);
        if (!fmt->size)
            continue;
        iov.iov_len = MIN(sizeof(buf), fmt->size);
        (void)block_format_read(fmt, fmt->size - iov.iov_len, iov.iov_len,
                                &iov, 1, 0);
        if (fmt->ops->map(fmt, BLOCK_OP_WRITE, fmt->size - 1, 1, &ext) == 0) {
            g_assert_cmpint(ext.kind, ==, BLOCK_EXTENT_DATA);
            g_assert_cmpuint(ext.file_offset + ext.len, <=, fmt->size);
        }
        g_assert_cmpint(fmt->ops->map(fmt, BLOCK_OP_WRITE, fmt->size, 1,
                                      &ext), <, 0);
    }
    close(fd);
    return 0;
}
