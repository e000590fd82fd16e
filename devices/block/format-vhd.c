/* SPDX-License-Identifier: Apache-2.0 */
/* The fixed VHD format: the raw disk followed by a 512-byte footer. */
#include <config.h>

#include <errno.h>
#include <string.h>
#include <gio/gio.h>

#include "devices/block/format.h"
#include "devices/block/vhd.h"

static uint32_t
vhd_be32(const uint8_t *p)
{
    return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) |
           ((uint32_t)p[2] << 8) | p[3];
}

static uint64_t
vhd_be64(const uint8_t *p)
{
    return ((uint64_t)vhd_be32(p) << 32) | vhd_be32(p + 4);
}

bool
vhd_footer_parse(const uint8_t *buf, uint64_t file_size, const char *path,
                 VhdFooter *f, GError **error)
{
    uint32_t sum = 0, want, version;

    memset(f, 0, sizeof(*f));
    if (memcmp(buf, VHD_COOKIE, VHD_COOKIE_LEN) != 0) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                    "VHD image '%s' has no footer (cookie '%s' missing at "
                    "the end of the file)", path, VHD_COOKIE);
        return false;
    }
    /* Spec: the one's complement of the byte sum of the footer, with the
     * checksum field taken as zero. */
    for (unsigned i = 0; i < VHD_FOOTER_SIZE; i++) {
        if (i < VHD_OFF_CHECKSUM || i >= VHD_OFF_CHECKSUM + 4)
            sum += buf[i];
    }
    want = vhd_be32(buf + VHD_OFF_CHECKSUM);
    if (~sum != want) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                    "VHD image '%s' is damaged: footer checksum 0x%08x, "
                    "expected 0x%08x", path, want, ~sum);
        return false;
    }
    /* The major version is the high 16 bits; only 1 exists. */
    version = vhd_be32(buf + VHD_OFF_VERSION);
    if ((version >> 16) != (VHD_VERSION >> 16)) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
                    "VHD image '%s': file format version 0x%08x is not "
                    "supported (1.x only)", path, version);
        return false;
    }
    f->disk_type = vhd_be32(buf + VHD_OFF_DISK_TYPE);
    if (f->disk_type == VHD_TYPE_DYNAMIC ||
        f->disk_type == VHD_TYPE_DIFFERENCING) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
                    "VHD image '%s' is %s, which is not supported (fixed "
                    "VHD only): convert it with 'qemu-img convert -O vpc "
                    "-o subformat=fixed'", path,
                    f->disk_type == VHD_TYPE_DYNAMIC ? "dynamic" :
                    "differencing");
        return false;
    }
    if (f->disk_type != VHD_TYPE_FIXED) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                    "VHD image '%s' is damaged: unknown disk type %u", path,
                    f->disk_type);
        return false;
    }
    /* A fixed VHD's data is the file in front of the footer; the current
     * size (what Hyper-V and CH show the guest) must fit there, in whole
     * sectors.  Written so that nothing can wrap around. */
    f->current_size = vhd_be64(buf + VHD_OFF_CUR_SIZE);
    if ((f->current_size & 511) != 0 || file_size < VHD_FOOTER_SIZE ||
        f->current_size > file_size - VHD_FOOTER_SIZE) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                    "VHD image '%s' is damaged: current size %"
                    G_GUINT64_FORMAT " is not a whole number of sectors "
                    "in front of the footer (file size %" G_GUINT64_FORMAT
                    ")", path, f->current_size, file_size);
        return false;
    }
    return true;
}

/* A dynamic or differencing VHD starts with a copy of its footer: claim
 * it, so that open refuses it by name instead of showing the guest the
 * container as a raw disk. */
static bool
vhd_probe(const uint8_t *head, size_t len)
{
    return len >= VHD_COOKIE_LEN && memcmp(head, VHD_COOKIE,
                                           VHD_COOKIE_LEN) == 0;
}

/* A fixed VHD is only marked at its end (as CH's detection reads it).  A
 * raw disk whose guest wrote a footer there opens as a disk 512 bytes
 * shorter: no other file is named, so nothing outside the image is
 * exposed (image_type=raw avoids the probe). */
static bool
vhd_probe_tail(const uint8_t *tail, size_t len)
{
    return len == VHD_FOOTER_SIZE && vhd_probe(tail, len);
}

static BlockFormat *
vhd_open(BlockFile *file, const BlockFormatOptions *opts, GError **error)
{
    g_autoptr(BlockFile) owned = file;
    uint8_t footer[VHD_FOOTER_SIZE];
    uint64_t size = block_file_size(file);
    VhdFooter f;
    BlockFormat *fmt;
    int r;

    if (size < VHD_FOOTER_SIZE) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                    "VHD image '%s' is damaged: %" G_GUINT64_FORMAT " bytes "
                    "is too short for a footer", block_file_path(file), size);
        return NULL;
    }
    r = block_format_read_tail(file, footer, sizeof(footer));
    if (r < 0) {
        g_set_error(error, G_IO_ERROR, g_io_error_from_errno(-r),
                    "cannot read the footer of VHD image '%s': %s",
                    block_file_path(file), g_strerror(-r));
        return NULL;
    }
    if (!vhd_footer_parse(footer, size, block_file_path(file), &f, error))
        return NULL;
    fmt = g_new0(BlockFormat, 1);
    fmt->ops = &block_format_vhd;
    fmt->file = g_steal_pointer(&owned);
    fmt->size = f.current_size;
    return fmt;
}

static void
vhd_close(BlockFormat *fmt)
{
    block_file_free(fmt->file);
    g_free(fmt);
}

/* The data is the file from offset 0: the bounds check keeps every
 * request off the footer (current_size ends before it). */
static int
vhd_map(BlockFormat *fmt, BlockOp op, uint64_t offset, uint64_t len,
        BlockExtent *ext)
{
    if (offset > fmt->size || len > fmt->size - offset)
        return -EINVAL;
    ext->kind = BLOCK_EXTENT_DATA;
    ext->file_offset = offset;
    ext->len = len;
    return 0;
}

const BlockFormatOps block_format_vhd = {
    .name = "vhd",
    .type = IMAGE_TYPE_FIXED_VHD,
    .probe = vhd_probe,
    .probe_tail = vhd_probe_tail,
    .open = vhd_open,
    .close = vhd_close,
    .map = vhd_map,
    .read = NULL,
};
