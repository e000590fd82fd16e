/* SPDX-License-Identifier: Apache-2.0 */
/* The format table: image_type selection, header probing and the formats not supported yet. */
#include <config.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <gio/gio.h>

#include "devices/block/format-priv.h"
#include "devices/virtio/iov.h"

/* Built-in formats: image_type selects among them, and their probes run
 * in this order.  Raw has no probe: it is what no probe claims. */
static const BlockFormatOps *const block_formats[] = {
    &block_format_qcow2,
    &block_format_vhd,
    &block_format_vhdx,
    &block_format_raw,
};

/* Formats a unit test added (format-priv.h); written only before any
 * image is opened, by the main thread. */
static const BlockFormatOps *block_formats_extra[BLOCK_FORMAT_MAX_EXTRA];
static unsigned block_formats_nextra;

/* Known formats without an implementation yet (the header magics CH's
 * detect_image_type looks at).  Opening one as raw would show the guest
 * the container instead of the disk, so they are refused; an entry goes
 * when its format-foo.c comes. */
static const struct {
    const char *name;
    const char *magic;
    size_t len;
} block_formats_unsupported[] = {
    { "vmdk", "KDMV", 4 },
};

bool
block_format_register(const BlockFormatOps *ops)
{
    if (block_formats_nextra == BLOCK_FORMAT_MAX_EXTRA)
        return false;
    block_formats_extra[block_formats_nextra++] = ops;
    return true;
}

/* The @i-th known format, registered ones first; NULL past the end. */
static const BlockFormatOps *
block_format_nth(unsigned i)
{
    if (i < block_formats_nextra)
        return block_formats_extra[i];
    i -= block_formats_nextra;
    return i < G_N_ELEMENTS(block_formats) ? block_formats[i] : NULL;
}

static const BlockFormatOps *
block_format_find_type(ImageType type)
{
    const BlockFormatOps *ops;

    for (unsigned i = 0; (ops = block_format_nth(i)); i++) {
        if (type != IMAGE_TYPE_UNKNOWN && ops->type == type)
            return ops;
    }
    return NULL;
}

int
block_format_read_tail(const BlockFile *file, void *buf, size_t len)
{
    uint64_t size = block_file_size(file);
    /* O_DIRECT wants offset, length and buffer aligned to the logical
     * block size; the window is at most two blocks. */
    uint64_t align = MAX(MAX(block_file_logical_block_size(file),
                             block_file_mem_align(file)), 512u);
    uint64_t start, span;
    void *p = NULL;
    ssize_t n;

    if (len > BLOCK_FORMAT_PROBE_SIZE || size < len)
        return -EINVAL;
    start = (size - len) & ~(align - 1);
    span = ((size - start) + align - 1) & ~(align - 1);
    if (posix_memalign(&p, align, span) != 0)
        return -ENOMEM;
    do {
        n = pread(block_file_fd(file), p, span, (off_t)start);
    } while (n < 0 && errno == EINTR);
    if (n >= 0 && (uint64_t)n >= size - start)
        memcpy(buf, (uint8_t *)p + (size - len - start), len);
    free(p);
    if (n < 0)
        return -errno;
    return (uint64_t)n >= size - start ? 0 : -EIO;
}

/* The format whose probe claims @head (or, for footers, @file's tail),
 * else raw; NULL (with @error set) when the header is that of a format
 * nimbus cannot open yet. */
static const BlockFormatOps *
block_format_probe(const char *path, const BlockFile *file,
                   const uint8_t *head, size_t len, GError **error)
{
    uint8_t tail[BLOCK_FORMAT_PROBE_SIZE];
    size_t tlen = sizeof(tail);
    const BlockFormatOps *ops;

    for (unsigned i = 0; (ops = block_format_nth(i)); i++) {
        if (ops->probe && ops->probe(head, len))
            return ops;
    }
    for (unsigned i = 0; i < G_N_ELEMENTS(block_formats_unsupported); i++) {
        if (len >= block_formats_unsupported[i].len &&
            memcmp(head, block_formats_unsupported[i].magic,
                   block_formats_unsupported[i].len) == 0) {
            g_set_error(error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
                        "disk image '%s' is in %s format, which is not "
                        "supported yet (raw, qcow2, vhd and vhdx images "
                        "only)", path, block_formats_unsupported[i].name);
            return NULL;
        }
    }
    /* Only now: a header magic outranks a footer a disk happens to end
     * in. */
    if (block_format_read_tail(file, tail, tlen) < 0)
        tlen = 0;
    for (unsigned i = 0; (ops = block_format_nth(i)); i++) {
        if (ops->probe_tail && ops->probe_tail(tail, tlen))
            return ops;
    }
    return &block_format_raw;
}

BlockFormat *
block_format_open(const char *path, bool readonly, bool direct,
                  ImageType type, GError **error)
{
    BlockFormatOptions opts = {
        .readonly = readonly, .direct = direct, .type = type,
        .backing_files = false, .sparse = true, .depth = 0,
    };

    return block_format_open_opts(path, &opts, error);
}

BlockFormat *
block_format_open_opts(const char *path, const BlockFormatOptions *opts,
                       GError **error)
{
    g_autoptr(BlockFile) file = NULL;
    const BlockFormatOps *ops = NULL;
    ImageType type = opts->type;
    uint8_t head[BLOCK_FORMAT_PROBE_SIZE];
    ssize_t n;

    if (type != IMAGE_TYPE_UNKNOWN && !(ops = block_format_find_type(type))) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
                    "disk image '%s': image_type '%s' is not supported yet "
                    "(only raw, qcow2, vhd and vhdx images are)", path,
                    image_type_to_string(type));
        return NULL;
    }
    if (!(file = block_file_open(path, opts->readonly, opts->direct, error)))
        return NULL;
    if (!ops) {
        n = block_file_read_head(file, head, sizeof(head));
        if (n < 0) {
            g_set_error(error, G_IO_ERROR, g_io_error_from_errno((int)-n),
                        "cannot read disk image '%s': %s", path,
                        g_strerror((int)-n));
            return NULL;
        }
        if (!(ops = block_format_probe(path, file, head, (size_t)n, error)))
            return NULL;
    }
    return ops->open(g_steal_pointer(&file), opts, error);
}

void
block_format_close(BlockFormat *fmt)
{
    if (fmt)
        fmt->ops->close(fmt);
}

const char *
block_format_name(const BlockFormat *fmt)
{
    return fmt->ops->name;
}

int
block_format_read(BlockFormat *fmt, uint64_t offset, uint64_t len,
                  const struct iovec *iov, unsigned iovcnt, uint64_t skip)
{
    uint64_t done = 0;

    /* A backing file may be shorter than the image above it (qcow2 spec:
     * the part past its end reads as zeroes). */
    if (offset >= fmt->size) {
        iov_memset(iov, iovcnt, skip, 0, len);
        return 0;
    }
    if (len > fmt->size - offset) {
        iov_memset(iov, iovcnt, skip + (fmt->size - offset), 0,
                   len - (fmt->size - offset));
        len = fmt->size - offset;
    }
    while (done < len) {
        BlockExtent ext = { 0 };
        uint64_t left = len - done;
        int64_t r = fmt->ops->map(fmt, BLOCK_OP_READ, offset + done, left,
                                  &ext);

        if (r < 0)
            return (int)r;
        if (ext.len == 0 || ext.len > left)
            return -EIO;      /* a broken format: never loop or overrun */
        switch (ext.kind) {
        case BLOCK_EXTENT_DATA:
            r = block_file_rw(fmt->file, false, iov, iovcnt, skip + done,
                              ext.len, ext.file_offset);
            break;
        case BLOCK_EXTENT_ZERO:
            iov_memset(iov, iovcnt, skip + done, 0, ext.len);
            break;
        case BLOCK_EXTENT_FORMAT:
            r = fmt->ops->read ? fmt->ops->read(fmt, offset + done, ext.len,
                                                iov, iovcnt, skip + done)
                               : -EIO;
            break;
        default:
            return -EIO;
        }
        if (r < 0)
            return (int)r;
        done += ext.len;
    }
    return 0;
}
