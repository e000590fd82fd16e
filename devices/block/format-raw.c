/* SPDX-License-Identifier: Apache-2.0 */
/* The raw format: the virtual disk is the file, byte for byte. */
#include <config.h>

#include <errno.h>
#include <gio/gio.h>

#include "devices/block/format.h"

static BlockFormat *
raw_open(BlockFile *file, const BlockFormatOptions *opts,
         GError **error)
{
    BlockFormat *fmt = g_new0(BlockFormat, 1);

    fmt->ops = &block_format_raw;
    fmt->file = file;
    fmt->size = block_file_size(file);
    return fmt;
}

static void
raw_close(BlockFormat *fmt)
{
    block_file_free(fmt->file);
    g_free(fmt);
}

static int
raw_map(BlockFormat *fmt, BlockOp op, uint64_t offset, uint64_t len,
        BlockExtent *ext)
{
    /* Written so that offset + len cannot wrap around. */
    if (offset > fmt->size || len > fmt->size - offset)
        return -EINVAL;
    ext->kind = BLOCK_EXTENT_DATA;
    ext->file_offset = offset;
    ext->len = len;
    return 0;
}

const BlockFormatOps block_format_raw = {
    .name = "raw",
    .type = IMAGE_TYPE_RAW,
    .probe = NULL,
    .open = raw_open,
    .close = raw_close,
    .map = raw_map,
    .read = NULL,
};
