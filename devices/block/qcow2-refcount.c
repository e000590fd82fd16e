/* SPDX-License-Identifier: Apache-2.0 */
/* qcow2 refcounts: reading and updating them, cluster allocation and freeing. */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <linux/falloc.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <gio/gio.h>

#include "devices/block/qcow2-priv.h"

/* Refcount @i of a block of @bits-wide big-endian entries (bits < 8 are
 * packed least significant first, as QEMU writes them). */
static uint64_t
rb_get(const uint8_t *blk, uint32_t bits, uint64_t i)
{
    uint64_t v = 0;

    if (bits < 8)
        return (blk[i * bits / 8] >> (i * bits % 8)) & ((1u << bits) - 1);
    for (uint32_t b = 0; b < bits / 8; b++)
        v = (v << 8) | blk[i * (bits / 8) + b];
    return v;
}

static void
rb_set(uint8_t *blk, uint32_t bits, uint64_t i, uint64_t v)
{
    if (bits < 8) {
        uint8_t mask = (uint8_t)(((1u << bits) - 1) << (i * bits % 8));

        blk[i * bits / 8] = (uint8_t)((blk[i * bits / 8] & ~mask) |
                                      ((v << (i * bits % 8)) & mask));
        return;
    }
    for (int b = (int)(bits / 8) - 1; b >= 0; b--, v >>= 8)
        blk[i * (bits / 8) + (uint64_t)b] = (uint8_t)v;
}

/* The file offset of the refcount block for cluster @index: 0 when none
 * exists or the table does not reach that far. */
static int
reftable_entry(Qcow2 *q, uint64_t index, uint64_t *off)
{
    uint64_t t = index / q->rb_entries;
    uint64_t e;

    *off = 0;
    if (t >= q->reftable_entries)
        return 0;
    e = qcow2_be64(q->reftable + t * 8);
    *off = e & QCOW2_REFT_OFFSET_MASK;
    /* Checked at open, but the table changes: trust nothing. */
    if ((*off & (q->cluster_size - 1)) || *off >= q->file_end)
        return -EIO;
    return 0;
}

int
qcow2_refcount_get(Qcow2 *q, uint64_t index, uint64_t *val)
{
    uint64_t off;
    uint8_t *blk;
    int r = reftable_entry(q, index, &off);

    *val = 0;
    if (r < 0 || off == 0)
        return r;
    if ((r = qcow2_cache_get(q, &q->rb_cache, off, false, &blk)) < 0)
        return r;
    *val = rb_get(blk, q->refcount_bits, index % q->rb_entries);
    return 0;
}

/* Grows the file by @n clusters for a new allocation at its end. */
static int
grow_file(Qcow2 *q, uint64_t n, uint64_t *off)
{
    uint64_t bytes = n << q->cluster_bits;
    int fd = block_file_fd(q->base.file);
    struct stat st;

    if (q->file_end > G_MAXINT64 - bytes)
        return -EFBIG;
    *off = q->file_end;
    /* A regular file is extended now, so that a read of an allocated but
     * not yet written cluster gets zeroes rather than EOF; a block device
     * has its size already. */
    if (fstat(fd, &st) < 0)
        return -errno;
    if (S_ISREG(st.st_mode)) {
        if ((uint64_t)st.st_size < q->file_end + bytes &&
            ftruncate(fd, (off_t)(q->file_end + bytes)) < 0)
            return -errno;
    } else if (block_file_size(q->base.file) < q->file_end + bytes) {
        return -ENOSPC;
    }
    q->file_end += bytes;
    return 0;
}

static int refcount_add(Qcow2 *q, uint64_t index, int delta);

/* Whether refcount block @t exists. */
static bool
refblock_exists(Qcow2 *q, uint64_t t)
{
    return t < q->reftable_entries &&
           (qcow2_be64(q->reftable + t * 8) & QCOW2_REFT_OFFSET_MASK);
}

/* Points the header at the refcount table of @clusters at @off: both
 * fields lie in one sector, so the switch is one write. */
static int
header_set_reftable(Qcow2 *q, uint64_t off, uint32_t clusters)
{
    uint8_t *hdr = NULL;
    int r;

    if (posix_memalign((void **)&hdr, MAX(4096u, q->align), q->align) != 0)
        return -ENOMEM;
    r = qcow2_pread(q, hdr, q->align, 0);
    if (r == 0) {
        qcow2_put_be64(hdr + 48, off);
        for (int i = 0; i < 4; i++)
            hdr[56 + i] = (uint8_t)(clusters >> (24 - 8 * i));
        r = qcow2_pwrite(q, hdr, q->align, 0);
    }
    free(hdr);
    return r;
}

/*
 * The refcount table has no entry for block @t: a table twice as large
 * (at least) goes at the end of the file, followed by the refcount blocks
 * its own clusters and theirs need where none exists, all counted before
 * the header switches to it; then the old table is freed.  A crash before
 * the switch leaves the old table in charge and the new clusters leaked.
 * Rare (a disk grows past what the table covers), so it may allocate.
 */
static int
reftable_grow(Qcow2 *q, uint64_t t)
{
    uint64_t per = q->cluster_size / 8;
    uint64_t entries = MAX(q->reftable_entries * 2, t + 1);
    uint64_t start = q->file_end >> q->cluster_bits;
    uint64_t old_off = q->h.refcount_table_offset;
    uint64_t old_cl = q->h.refcount_table_clusters;
    uint64_t tcl, nblk = 0, end, off, k = 0;
    uint8_t *nt = NULL;
    int r;

    entries = (entries + per - 1) / per * per;
    tcl = entries / per;
    if (tcl * q->cluster_size > QCOW2_MAX_REFTABLE_BYTES) {
        g_warning("qcow2 image '%s': the refcount table would pass %u "
                  "bytes, cannot allocate", q->path,
                  QCOW2_MAX_REFTABLE_BYTES);
        return -ENOSPC;
    }
    /* How many new blocks the new clusters (table and blocks) need. */
    for (;;) {
        uint64_t need = 0;

        end = start + tcl + nblk;
        for (uint64_t b = start / q->rb_entries; b <= (end - 1) / q->rb_entries;
             b++)
            need += !refblock_exists(q, b);
        if (need <= nblk)
            break;
        nblk = need;
    }
    if ((r = grow_file(q, tcl + nblk, &off)) < 0)
        return r;
    if (posix_memalign((void **)&nt, MAX(4096u, q->align),
                       tcl * q->cluster_size) != 0)
        return -ENOMEM;
    memset(nt, 0, tcl * q->cluster_size);
    memcpy(nt, q->reftable, q->reftable_entries * 8);
    for (uint64_t b = start / q->rb_entries; r == 0 && b <= (end - 1) /
         q->rb_entries; b++) {
        uint64_t boff = (start + tcl + k) << q->cluster_bits;
        uint8_t *blk;

        if (refblock_exists(q, b)) {
            /* An existing block counts the new clusters in its range. */
            for (uint64_t c = MAX(start, b * q->rb_entries);
                 r == 0 && c < MIN(end, (b + 1) * q->rb_entries); c++)
                r = refcount_add(q, c, 1);
            continue;
        }
        k++;
        if ((r = qcow2_cache_get(q, &q->rb_cache, boff, true, &blk)) < 0)
            break;
        for (uint64_t c = MAX(start, b * q->rb_entries);
             c < MIN(end, (b + 1) * q->rb_entries); c++)
            rb_set(blk, q->refcount_bits, c % q->rb_entries, 1);
        r = qcow2_pwrite(q, blk, q->cluster_size, boff);
        qcow2_put_be64(nt + b * 8, boff);
    }
    q->unsynced = true;
    if (r < 0 || (r = qcow2_pwrite(q, nt, tcl * q->cluster_size, off)) < 0 ||
        (r = block_file_flush(q->base.file)) < 0 ||
        (r = header_set_reftable(q, off, (uint32_t)tcl)) < 0 ||
        (r = block_file_flush(q->base.file)) < 0) {
        free(nt);
        return r;
    }
    q->unsynced = false;
    free(q->reftable);
    q->reftable = nt;
    q->reftable_entries = entries;
    q->h.refcount_table_offset = off;
    q->h.refcount_table_clusters = (uint32_t)tcl;
    return qcow2_free(q, old_off, old_cl);
}

/* Creates the refcount block for cluster @index (its table entry is 0):
 * the block goes at the end of the file and is counted before the table
 * points at it. */
static int
refblock_create(Qcow2 *q, uint64_t index)
{
    uint64_t t = index / q->rb_entries;
    uint64_t off, self;
    uint8_t *blk;
    int r;

    if (t >= q->reftable_entries) {
        /* Growing may have created the block too. */
        if ((r = reftable_grow(q, t)) < 0 ||
            (r = reftable_entry(q, index, &off)) < 0 || off)
            return r;
    }
    if ((r = grow_file(q, 1, &off)) < 0)
        return r;
    self = off >> q->cluster_bits;
    /* The block's own cluster is counted either in itself or, when it
     * falls in another block's range, there (which may create that one
     * first: each step moves further up the file, so this ends). */
    if (self / q->rb_entries != t && (r = refcount_add(q, self, 1)) < 0)
        return r;
    if ((r = qcow2_cache_get(q, &q->rb_cache, off, true, &blk)) < 0)
        return r;
    if (self / q->rb_entries == t)
        rb_set(blk, q->refcount_bits, self % q->rb_entries, 1);
    r = qcow2_pwrite(q, blk, q->cluster_size, off);
    q->unsynced = true;
    if (r < 0 || (r = qcow2_sync_if(q)) < 0) {
        qcow2_cache_drop(&q->rb_cache, off);
        return r;
    }
    qcow2_put_be64(q->reftable + t * 8, off);
    q->unsynced = true;
    return qcow2_write_table_part(q, q->reftable, q->h.refcount_table_offset,
                                  t * 8, 8);
}

/* Adds @delta (+1 or -1) to the refcount of cluster @index. */
static int
refcount_add(Qcow2 *q, uint64_t index, int delta)
{
    uint64_t off, v, max = q->refcount_bits == 64 ? G_MAXUINT64 :
                           (1ull << q->refcount_bits) - 1;
    uint8_t *blk;
    int r = reftable_entry(q, index, &off);

    if (r < 0)
        return r;
    if (off == 0) {
        if (delta < 0)
            return -EIO;      /* freeing a cluster nothing counts */
        if ((r = refblock_create(q, index)) < 0 ||
            (r = reftable_entry(q, index, &off)) < 0)
            return r;
    }
    if ((r = qcow2_cache_get(q, &q->rb_cache, off, false, &blk)) < 0)
        return r;
    v = rb_get(blk, q->refcount_bits, index % q->rb_entries);
    if ((delta < 0 && v == 0) || (delta > 0 && v == max)) {
        g_warning("qcow2 image '%s': refcount of cluster %" G_GUINT64_FORMAT
                  " would %s", q->path, index,
                  delta < 0 ? "drop below 0" : "overflow");
        return -EIO;
    }
    rb_set(blk, q->refcount_bits, index % q->rb_entries,
           delta < 0 ? v - 1 : v + 1);
    q->unsynced = true;
    return qcow2_write_table_part(q, blk, off, (index % q->rb_entries) *
                                  q->refcount_bits / 8, 1);
}

/* Whether clusters [@first, @first + @n) all have refcount 0. */
static int
range_free(Qcow2 *q, uint64_t first, uint64_t n, uint64_t *busy)
{
    for (uint64_t i = 0; i < n; i++) {
        uint64_t v;
        int r = qcow2_refcount_get(q, first + i, &v);

        if (r < 0)
            return r;
        if (v) {
            *busy = first + i;
            return 0;
        }
    }
    return 1;
}

int
qcow2_alloc(Qcow2 *q, uint64_t n, bool meta, uint64_t *off)
{
    uint64_t end = q->file_end >> q->cluster_bits;
    uint64_t first = 0, busy = 0;
    int r = 0;

    /* Data reuses freed clusters below the end of the file first. */
    for (first = meta ? end : q->free_hint; first + n <= end;) {
        if ((r = range_free(q, first, n, &busy)) < 0)
            return r;
        if (r == 1)
            break;
        if (first == q->free_hint && busy == first)
            q->free_hint = first + 1;
        first = busy + 1;
    }
    if (first + n > end) {
        /* A damaged image may count clusters past its end: skip them. */
        for (;;) {
            if ((r = grow_file(q, n, off)) < 0)
                return r;
            first = *off >> q->cluster_bits;
            if ((r = range_free(q, first, n, &busy)) < 0)
                return r;
            if (r == 1)
                break;
        }
    }
    for (uint64_t i = 0; i < n; i++) {
        if ((r = refcount_add(q, first + i, 1)) < 0)
            return r;
    }
    if (!meta && first == q->free_hint)
        q->free_hint = first + n;
    *off = first << q->cluster_bits;
    return 0;
}

int
qcow2_free(Qcow2 *q, uint64_t off, uint64_t n)
{
    uint64_t first = off >> q->cluster_bits;
    int r;

    /* The entry that referenced these is already gone from the file: a
     * sync first, so that a host crash cannot leave it pointing at a
     * cluster counted as free. */
    if ((r = qcow2_sync_if(q)) < 0)
        return r;
    for (uint64_t i = 0; i < n; i++) {
        uint64_t v;

        if ((r = refcount_add(q, first + i, -1)) < 0 ||
            (r = qcow2_refcount_get(q, first + i, &v)) < 0)
            return r;
        if (v)
            continue;
        qcow2_cache_drop(&q->l2_cache, (first + i) << q->cluster_bits);
        q->free_hint = MIN(q->free_hint, first + i);
        /* Give the space back (sparse=on); failure only costs space. */
        if (q->sparse)
            (void)block_file_fallocate(q->base.file, FALLOC_FL_PUNCH_HOLE |
                                       FALLOC_FL_KEEP_SIZE,
                                       (first + i) << q->cluster_bits,
                                       q->cluster_size);
    }
    return 0;
}

bool
qcow2_refcount_open(Qcow2 *q, GError **error)
{
    uint64_t file_clusters = q->file_end >> q->cluster_bits;

    for (uint64_t t = 0; t < q->reftable_entries; t++) {
        uint64_t e = qcow2_be64(q->reftable + t * 8);
        uint64_t off = e & QCOW2_REFT_OFFSET_MASK;

        if (off == 0)
            continue;
        if ((e & QCOW2_REFT_RESERVED) || (off & (q->cluster_size - 1)) ||
            off >= q->file_end) {
            g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                        "qcow2 image '%s' is damaged: refcount block %"
                        G_GUINT64_FORMAT " at %" G_GUINT64_FORMAT " is "
                        "unaligned or past the end of the file", q->path, t,
                        off);
            return false;
        }
        if (off == q->h.refcount_table_offset ||
            (q->h.l1_size && off >= q->h.l1_table_offset &&
             off < q->h.l1_table_offset + (uint64_t)q->h.l1_size * 8)) {
            g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                        "qcow2 image '%s' is damaged: refcount block %"
                        G_GUINT64_FORMAT " overlaps another table", q->path,
                        t);
            return false;
        }
    }
    /* Free clusters are looked for from the first one on. */
    q->free_hint = MIN(1, file_clusters);
    return true;
}
