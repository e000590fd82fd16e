/* SPDX-License-Identifier: Apache-2.0 */
/* The VHDX format (dynamic and fixed): open, BAT mapping, block allocation on write. */
#include <config.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <gio/gio.h>

#include "devices/block/format.h"
#include "devices/block/vhdx.h"

/*
 * Crash consistency: a payload block is allocated by growing the file by
 * one block at a 1 MiB boundary (the new bytes read as zeroes, which is
 * what the block read as before), syncing that, and only then writing
 * the BAT entry that points at it; the guest's data goes there after
 * map() returns.  A process killed at any point leaves either the old
 * entry (and a leaked tail the next allocation skips) or an entry
 * pointing at zeroes; never one pointing at bytes that are not the
 * block's.  BAT updates are single aligned sector writes.
 */

typedef struct {
    BlockFormat base;
    /* Immutable after open. */
    VhdxMeta m;
    const char *path;
    bool readonly;
    uint32_t align;           /* metadata write granularity, O_DIRECT's */

    /* Everything below: @lock, taken by the workers to map a request. */
    GMutex lock;
    uint8_t *bat;             /* the BAT, little-endian as in the file */
    uint64_t bat_alloc;       /* bytes at @bat: whole @align pieces */
    uint64_t file_end;        /* the file's size: new blocks go after it */
} Vhdx;

static Vhdx *
vhdx_from_fmt(BlockFormat *fmt)
{
    return (Vhdx *)fmt;
}

/* ---- File I/O ----------------------------------------------------------- */

static void *
vhdx_buf_new(const Vhdx *v, uint64_t len)
{
    void *p = NULL;

    if (posix_memalign(&p, MAX(4096u, v->align), len) != 0)
        return NULL;
    memset(p, 0, len);
    return p;
}

/* @len bytes at @off of the file through an aligned buffer (O_DIRECT);
 * 0, -EIO past the end of the file, or -errno. */
static int
vhdx_pread(const Vhdx *v, void *buf, uint64_t len, uint64_t off)
{
    uint64_t a = v->align;
    uint64_t start = off & ~(a - 1);
    uint64_t span = ((off + len - start) + a - 1) & ~(a - 1);
    uint8_t *p = vhdx_buf_new(v, span);
    uint64_t got = 0;
    int r = 0;

    if (!p)
        return -ENOMEM;
    while (got < span) {
        ssize_t n = pread(block_file_fd(v->base.file), p + got, span - got,
                          (off_t)(start + got));

        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            r = n < 0 ? -errno : 0;
            break;
        }
        got += (uint64_t)n;
    }
    if (r == 0 && got < off - start + len)
        r = -EIO;
    if (r == 0)
        memcpy(buf, p + (off - start), len);
    free(p);
    return r;
}

static int
vhdx_pwrite(const Vhdx *v, const void *buf, uint64_t len, uint64_t off)
{
    uint64_t done = 0;

    while (done < len) {
        ssize_t n = pwrite(block_file_fd(v->base.file),
                           (const uint8_t *)buf + done, len - done,
                           (off_t)(off + done));

        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return -errno;
        if (n == 0)
            return -EIO;
        done += (uint64_t)n;
    }
    return 0;
}

static int
vhdx_read_cb(void *opaque, void *buf, uint64_t len, uint64_t off)
{
    return vhdx_pread(opaque, buf, len, off);
}

/* ---- Mapping ------------------------------------------------------------ */

/* BAT index of payload block @b: a sector bitmap entry follows every
 * chunk_ratio payload entries [MS-VHDX 2.5]. */
static uint64_t
vhdx_bat_index(const Vhdx *v, uint64_t b)
{
    return b + b / v->m.chunk_ratio;
}

/* The file offset of payload block @b, or 0 when it reads as zeroes
 * (NOT_PRESENT, UNDEFINED, ZERO, UNMAPPED). */
static uint64_t
vhdx_block_off(const Vhdx *v, uint64_t b)
{
    uint64_t e = vhdx_le64(v->bat + vhdx_bat_index(v, b) * 8);

    if ((e & VHDX_BAT_STATE_MASK) != VHDX_PAYLOAD_FULLY_PRESENT)
        return 0;
    return (e >> VHDX_BAT_OFFSET_SHIFT) << VHDX_BAT_OFFSET_SHIFT;
}

/* Gives block @b a new, zeroed place at the end of the file and points
 * its BAT entry there, in that order (see the top of the file). */
static int
vhdx_alloc(Vhdx *v, uint64_t b, uint64_t *off)
{
    uint64_t i = vhdx_bat_index(v, b);
    uint64_t at = (v->file_end + VHDX_MiB - 1) & ~(VHDX_MiB - 1);
    uint64_t piece = (i * 8) & ~((uint64_t)v->align - 1);
    uint8_t old[8];
    int fd = block_file_fd(v->base.file);
    int r;

    /* Files this large are beyond what off_t or the BAT's 44-bit MiB
     * offsets hold. */
    if (at > (1ull << 62) - v->m.block_size)
        return -EFBIG;
    if (ftruncate(fd, (off_t)(at + v->m.block_size)) < 0)
        return -errno;
    v->file_end = at + v->m.block_size;
    if ((r = block_file_flush(v->base.file)) < 0)
        return r;
    memcpy(old, v->bat + i * 8, 8);
    vhdx_put_le64(v->bat + i * 8, at | VHDX_PAYLOAD_FULLY_PRESENT);
    r = vhdx_pwrite(v, v->bat + piece, v->align, v->m.bat.off + piece);
    if (r < 0) {
        memcpy(v->bat + i * 8, old, 8);
        return r;
    }
    *off = at;
    return 0;
}

static int
vhdx_map_locked(Vhdx *v, BlockOp op, uint64_t offset, uint64_t len,
                BlockExtent *ext)
{
    uint64_t bs = v->m.block_size;
    uint64_t b = offset / bs;
    uint64_t in = offset % bs;
    uint64_t host = vhdx_block_off(v, b);
    int r;

    if (!host && op == BLOCK_OP_WRITE) {
        if ((r = vhdx_alloc(v, b, &host)) < 0)
            return r;
    }
    ext->len = MIN(len, bs - in);
    /* DISCARD and WRITE_ZEROES of an allocated block run on its bytes in
     * the file (a punched hole reads as zeroes, so the entry stays
     * right); of an unallocated one they have nothing to do. */
    if (!host) {
        ext->kind = BLOCK_EXTENT_ZERO;
        ext->file_offset = 0;
        while (ext->len < len && !vhdx_block_off(v, b + 1)) {
            ext->len += MIN(len - ext->len, bs);
            b++;
        }
        return 0;
    }
    /* The BAT was checked at open and only this file writes it, so this
     * holds; a broken invariant fails the request, never reaches past
     * the file. */
    if (host + in + ext->len > v->file_end)
        return -EIO;
    ext->kind = BLOCK_EXTENT_DATA;
    ext->file_offset = host + in;
    /* Blocks that follow each other in the file: one extent. */
    while (ext->len < len && vhdx_block_off(v, b + 1) == host + bs &&
           host + bs + MIN(len - ext->len, bs) <= v->file_end) {
        ext->len += MIN(len - ext->len, bs);
        host += bs;
        b++;
    }
    return 0;
}

static int
vhdx_map(BlockFormat *fmt, BlockOp op, uint64_t offset, uint64_t len,
         BlockExtent *ext)
{
    Vhdx *v = vhdx_from_fmt(fmt);
    int r;

    if (offset > fmt->size || len > fmt->size - offset)
        return -EINVAL;
    if (len == 0) {
        ext->kind = BLOCK_EXTENT_ZERO;
        ext->file_offset = 0;
        ext->len = 0;
        return 0;
    }
    switch (op) {
    case BLOCK_OP_READ:
    case BLOCK_OP_WRITE:
    case BLOCK_OP_DISCARD:
    case BLOCK_OP_WRITE_ZEROES:
        break;
    default:
        return -EOPNOTSUPP;
    }
    if (op != BLOCK_OP_READ && v->readonly)
        return -EROFS;
    g_mutex_lock(&v->lock);
    r = vhdx_map_locked(v, op, offset, len, ext);
    g_mutex_unlock(&v->lock);
    return r;
}

/* ---- Open and close ----------------------------------------------------- */

static void
vhdx_close(BlockFormat *fmt)
{
    Vhdx *v = vhdx_from_fmt(fmt);

    free(v->bat);
    g_mutex_clear(&v->lock);
    block_file_free(fmt->file);
    g_free(v);
}

static bool
vhdx_probe(const uint8_t *head, size_t len)
{
    return len >= 8 && memcmp(head, VHDX_SIGNATURE, 8) == 0;
}

/* A random (version 4) GUID, as the spec's write GUIDs want. */
static void
vhdx_guid_random(uint8_t *g)
{
    for (unsigned i = 0; i < 16; i += 4)
        vhdx_put_le32(g + i, g_random_int());
    g[7] = (uint8_t)((g[7] & 0x0f) | 0x40);
    g[8] = (uint8_t)((g[8] & 0x3f) | 0x80);
}

/*
 * [MS-VHDX 2.2.2.1]: before the first write to a file opened for writing,
 * its FileWriteGuid (and, as guest writes may follow, its DataWriteGuid)
 * changes, through a header with the next sequence number written over
 * the non-current one.  Written twice, as QEMU does, so that both copies
 * are current and a torn write of either leaves the other.  The last
 * step of open: a failed open leaves the image as it was.
 */
static bool
vhdx_update_headers(Vhdx *v, GError **error)
{
    static const uint64_t where[2] = { VHDX_HEADER1_OFF, VHDX_HEADER2_OFF };
    uint8_t *h = vhdx_buf_new(v, VHDX_HEADER_SIZE);
    unsigned slot = v->m.header;
    int r = 0;

    if (!h) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_FAILED,
                    "VHDX image '%s': out of memory", v->path);
        return false;
    }
    memcpy(h, v->m.header_buf, VHDX_HEADER_SIZE);
    vhdx_guid_random(h + VHDX_HDR_FILE_WRITE_GUID);
    vhdx_guid_random(h + VHDX_HDR_DATA_WRITE_GUID);
    for (unsigned k = 1; k <= 2 && r == 0; k++) {
        slot ^= 1;
        vhdx_put_le64(h + VHDX_HDR_SEQUENCE, v->m.sequence + k);
        vhdx_put_le32(h + VHDX_HDR_CHECKSUM, 0);
        vhdx_put_le32(h + VHDX_HDR_CHECKSUM,
                      vhdx_crc32c(0, h, VHDX_HEADER_SIZE));
        if ((r = vhdx_pwrite(v, h, VHDX_HEADER_SIZE, where[slot])) == 0)
            r = block_file_flush(v->base.file);
    }
    free(h);
    if (r < 0) {
        g_set_error(error, G_IO_ERROR, g_io_error_from_errno(-r),
                    "VHDX image '%s': cannot update its headers: %s",
                    v->path, g_strerror(-r));
        return false;
    }
    return true;
}

static bool
vhdx_setup(Vhdx *v, const BlockFormatOptions *opts, GError **error)
{
    uint64_t size = block_file_size(v->base.file);
    int r;

    v->align = 512;
    if (opts->direct)
        v->align = MAX(v->align,
                       MAX(block_file_logical_block_size(v->base.file),
                           block_file_mem_align(v->base.file)));
    /* Headers are 4 KiB at 64 KiB boundaries: the most one write may
     * need to cover. */
    if (v->align > VHDX_HEADER_SIZE) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
                    "VHDX image '%s': direct=on needs %u-byte alignment "
                    "(at most 4096 is supported)", v->path, v->align);
        return false;
    }
    v->file_end = size;
    if (!vhdx_meta_parse(vhdx_read_cb, v, size, v->path, &v->m, error))
        return false;
    /* Whole pieces, inside the region (its length is whole MiBs). */
    v->bat_alloc = (v->m.bat_entries * 8 + v->align - 1) &
                   ~((uint64_t)v->align - 1);
    if (!(v->bat = vhdx_buf_new(v, v->bat_alloc))) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_FAILED,
                    "VHDX image '%s': out of memory for the BAT", v->path);
        return false;
    }
    if ((r = vhdx_pread(v, v->bat, v->bat_alloc, v->m.bat.off)) < 0) {
        g_set_error(error, G_IO_ERROR, g_io_error_from_errno(-r),
                    "VHDX image '%s': cannot read the BAT: %s", v->path,
                    g_strerror(-r));
        return false;
    }
    return vhdx_bat_check(&v->m, v->bat, size, v->path, error);
}

static BlockFormat *
vhdx_open(BlockFile *file, const BlockFormatOptions *opts, GError **error)
{
    Vhdx *v = g_new0(Vhdx, 1);

    v->base.ops = &block_format_vhdx;
    v->base.file = file;
    v->path = block_file_path(file);
    v->readonly = opts->readonly;
    g_mutex_init(&v->lock);
    if (!vhdx_setup(v, opts, error) ||
        (!v->readonly && !vhdx_update_headers(v, error))) {
        vhdx_close(&v->base);
        return NULL;
    }
    v->base.size = v->m.size;
    return &v->base;
}

const BlockFormatOps block_format_vhdx = {
    .name = "vhdx",
    .type = IMAGE_TYPE_VHDX,
    .probe = vhdx_probe,
    .probe_tail = NULL,
    .open = vhdx_open,
    .close = vhdx_close,
    .map = vhdx_map,
    .read = NULL,
};
