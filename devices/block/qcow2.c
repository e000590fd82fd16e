/* SPDX-License-Identifier: Apache-2.0 */
/* The qcow2 format: open, L1/L2 mapping, allocation on write, discard, zeroes. */
#include <config.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <gio/gio.h>

#include "devices/block/qcow2-priv.h"
#include "devices/virtio/iov.h"

/* L2 tables cached: QEMU's default on Linux (1 MiB maps 8 GiB of disk with
 * 64 KiB clusters), less when the disk needs fewer tables, and never fewer
 * than 4 so that a request crossing a table boundary does not thrash. */
#define QCOW2_L2_CACHE_BYTES (1024 * 1024)
#define QCOW2_L2_CACHE_MIN 4
#define QCOW2_RB_CACHE_ENTRIES 4

/* How a guest cluster is stored, from its L2 entry. */
typedef enum {
    QC_UNALLOC,          /* not here: the backing file, or zeroes */
    QC_ZERO,             /* v3 zero flag (maybe with a preallocated host) */
    QC_NORMAL,           /* at @host */
    QC_COMPRESSED,       /* a compressed span */
} Qcow2Kind;

typedef struct {
    uint64_t entry;
    Qcow2Kind kind;
    uint64_t host;
} Qcow2Slot;

static Qcow2 *
qcow2_from_fmt(BlockFormat *fmt)
{
    return (Qcow2 *)fmt;
}

/* ---- File I/O ------------------------------------------------------------ */

/* Reads up to @len bytes; @got says how many before EOF. */
static int
qcow2_pread_partial(Qcow2 *q, void *buf, uint64_t len, uint64_t off,
                    uint64_t *got)
{
    int fd = block_file_fd(q->base.file);

    *got = 0;
    while (*got < len) {
        ssize_t r = pread(fd, (uint8_t *)buf + *got, len - *got,
                          (off_t)(off + *got));

        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0)
            return -errno;
        if (r == 0)
            break;
        *got += (uint64_t)r;
    }
    return 0;
}

int
qcow2_pread(Qcow2 *q, void *buf, uint64_t len, uint64_t off)
{
    uint64_t got;
    int r = qcow2_pread_partial(q, buf, len, off, &got);

    return r < 0 ? r : got == len ? 0 : -EIO;
}

int
qcow2_pwrite(Qcow2 *q, const void *buf, uint64_t len, uint64_t off)
{
    int fd = block_file_fd(q->base.file);
    uint64_t done = 0;

    while (done < len) {
        ssize_t r = pwrite(fd, (const uint8_t *)buf + done, len - done,
                           (off_t)(off + done));

        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0)
            return -errno;
        if (r == 0)
            return -EIO;
        done += (uint64_t)r;
    }
    return 0;
}

int
qcow2_write_table_part(Qcow2 *q, const uint8_t *table, uint64_t table_off,
                       uint64_t from, uint64_t len)
{
    /* Whole aligned pieces: O_DIRECT needs them, and they are the unit a
     * disk writes atomically. */
    uint64_t start = from & ~((uint64_t)q->align - 1);
    uint64_t end = (from + len + q->align - 1) & ~((uint64_t)q->align - 1);

    return qcow2_pwrite(q, table + start, end - start, table_off + start);
}

int
qcow2_sync_if(Qcow2 *q)
{
    int r;

    if (!q->unsynced)
        return 0;
    if ((r = block_file_flush(q->base.file)) < 0)
        return r;
    q->unsynced = false;
    return 0;
}

/* ---- Table cache --------------------------------------------------------- */

int
qcow2_cache_get(Qcow2 *q, Qcow2Cache *c, uint64_t off, bool fresh,
                uint8_t **data)
{
    Qcow2CacheEntry *victim = &c->e[0];
    int r;

    /* Table offsets come from the image: check them every time. */
    if (off == 0 || (off & (q->cluster_size - 1)) || off >= q->file_end ||
        q->cluster_size > q->file_end - off)
        return -EIO;
    for (unsigned i = 0; i < c->n; i++) {
        Qcow2CacheEntry *e = &c->e[i];

        if (e->offset == off) {
            e->used = ++c->tick;
            if (fresh)
                memset(e->data, 0, q->cluster_size);
            *data = e->data;
            return 0;
        }
        if (e->offset == 0 ? victim->offset != 0 || e < victim
                           : victim->offset != 0 && e->used < victim->used)
            victim = e;
    }
    victim->offset = 0;
    if (fresh) {
        memset(victim->data, 0, q->cluster_size);
    } else if ((r = qcow2_pread(q, victim->data, q->cluster_size, off)) < 0) {
        return r;
    }
    victim->offset = off;
    victim->used = ++c->tick;
    *data = victim->data;
    return 0;
}

void
qcow2_cache_drop(Qcow2Cache *c, uint64_t off)
{
    for (unsigned i = 0; i < c->n; i++) {
        if (c->e[i].offset == off)
            c->e[i].offset = 0;
    }
}

static bool
qcow2_cache_init(Qcow2 *q, Qcow2Cache *c, unsigned n)
{
    c->e = g_new0(Qcow2CacheEntry, n);
    c->n = n;
    for (unsigned i = 0; i < n; i++) {
        if (posix_memalign((void **)&c->e[i].data, MAX(4096u, q->align),
                           q->cluster_size) != 0)
            return false;
    }
    return true;
}

static void
qcow2_cache_free(Qcow2Cache *c)
{
    for (unsigned i = 0; c->e && i < c->n; i++)
        free(c->e[i].data);
    g_clear_pointer(&c->e, g_free);
}

/* ---- L2 entries ---------------------------------------------------------- */

/* Classifies an L2 entry; -EIO for one no valid image holds. */
static int
qcow2_classify(Qcow2 *q, uint64_t e, Qcow2Slot *s)
{
    s->entry = e;
    s->host = 0;
    if (e & QCOW2_OFLAG_COMPRESSED) {
        s->kind = QC_COMPRESSED;
        s->host = e & ((1ull << (62 - (q->cluster_bits - 8))) - 1);
        return s->host < q->file_end ? 0 : -EIO;
    }
    s->host = e & QCOW2_OFFSET_MASK;
    if (e & QCOW2_OFLAG_ZERO) {
        if (q->h.version < 3)
            return -EIO;      /* bit 0 is reserved in v2 */
        s->kind = QC_ZERO;
    } else {
        s->kind = s->host ? QC_NORMAL : QC_UNALLOC;
    }
    if (s->host && ((s->host & (q->cluster_size - 1)) ||
                    s->host >= q->file_end ||
                    q->cluster_size > q->file_end - s->host))
        return -EIO;
    return 0;
}

/* The L2 entry of guest cluster @vcl (read-only lookup). */
static int
qcow2_lookup(Qcow2 *q, uint64_t vcl, Qcow2Slot *s)
{
    uint64_t l1e = qcow2_be64(q->l1 + (vcl / q->l2_entries) * 8);
    uint64_t l2off = l1e & QCOW2_OFFSET_MASK;
    uint8_t *l2;
    int r;

    if (l2off == 0)
        return qcow2_classify(q, 0, s);
    if ((r = qcow2_cache_get(q, &q->l2_cache, l2off, false, &l2)) < 0)
        return r;
    return qcow2_classify(q, qcow2_be64(l2 + (vcl % q->l2_entries) * 8), s);
}

/* The span of file clusters a compressed entry's data touches. */
static void
qcow2_compressed_span(Qcow2 *q, uint64_t e, uint64_t *off, uint64_t *len)
{
    uint32_t x = 62 - (q->cluster_bits - 8);
    uint64_t nsect = ((e >> x) & ((1ull << (q->cluster_bits - 8)) - 1)) + 1;

    *off = e & ((1ull << x) - 1);
    *len = nsect * 512 - (*off & 511);
}

/* Inflates the compressed cluster @e into q->dbuf (held under @lock). */
static int
qcow2_read_compressed(Qcow2 *q, uint64_t e)
{
    uint64_t coff, clen, start, end, got, avail;
    int r;

    qcow2_compressed_span(q, e, &coff, &clen);
    if (coff >= q->file_end)
        return -EIO;
    start = coff & ~((uint64_t)q->align - 1);
    end = (coff + clen + q->align - 1) & ~((uint64_t)q->align - 1);
    /* The last compressed cluster may claim sectors past the end of the
     * file: what is there is what counts. */
    if ((r = qcow2_pread_partial(q, q->cbuf, end - start, start, &got)) < 0)
        return r;
    if (got <= coff - start)
        return -EIO;
    avail = MIN(clen, got - (coff - start));
    return qcow2_decompress(q, q->cbuf + (coff - start), avail, q->dbuf);
}

/* The current content of guest cluster @vcl (stored as @s) into @buf. */
static int
qcow2_cluster_content(Qcow2 *q, uint64_t vcl, const Qcow2Slot *s,
                      uint8_t *buf)
{
    struct iovec iov = { buf, q->cluster_size };
    int r;

    switch (s->kind) {
    case QC_NORMAL:
        return qcow2_pread(q, buf, q->cluster_size, s->host);
    case QC_COMPRESSED:
        if ((r = qcow2_read_compressed(q, s->entry)) < 0)
            return r;
        memcpy(buf, q->dbuf, q->cluster_size);
        return 0;
    case QC_UNALLOC:
        if (q->backing)
            return block_format_read(q->backing, vcl << q->cluster_bits,
                                     q->cluster_size, &iov, 1, 0);
        /* fall through */
    case QC_ZERO:
    default:
        memset(buf, 0, q->cluster_size);
        return 0;
    }
}

/* Drops the clusters an entry that was just replaced referenced. */
static int
qcow2_free_entry(Qcow2 *q, uint64_t e)
{
    Qcow2Slot s;
    uint64_t off, len;

    if (qcow2_classify(q, e, &s) < 0)
        return -EIO;
    if (s.kind == QC_COMPRESSED) {
        qcow2_compressed_span(q, e, &off, &len);
        return qcow2_free(q, off & ~(q->cluster_size - 1),
                          (((off + len - 1) >> q->cluster_bits) -
                           (off >> q->cluster_bits)) + 1);
    }
    return s.host ? qcow2_free(q, s.host, 1) : 0;
}

/* ---- Mapping ------------------------------------------------------------- */

static BlockExtentKind
qcow2_extent_kind(Qcow2 *q, Qcow2Kind k)
{
    switch (k) {
    case QC_NORMAL:
        return BLOCK_EXTENT_DATA;
    case QC_COMPRESSED:
        return BLOCK_EXTENT_FORMAT;
    case QC_UNALLOC:
        return q->backing ? BLOCK_EXTENT_FORMAT : BLOCK_EXTENT_ZERO;
    case QC_ZERO:
    default:
        return BLOCK_EXTENT_ZERO;
    }
}

static int
qcow2_map_read(Qcow2 *q, uint64_t offset, uint64_t len, BlockExtent *ext)
{
    uint64_t vcl = offset >> q->cluster_bits;
    uint64_t in = offset & (q->cluster_size - 1);
    Qcow2Slot s, n;
    int r;

    if ((r = qcow2_lookup(q, vcl, &s)) < 0)
        return r;
    ext->kind = qcow2_extent_kind(q, s.kind);
    ext->file_offset = s.host + in;
    ext->len = MIN(len, q->cluster_size - in);
    /* Following clusters stored the same way (and, for data, next to each
     * other in the file) join the extent: one engine request for them. */
    for (uint64_t k = 1; ext->len < len; k++) {
        if ((r = qcow2_lookup(q, vcl + k, &n)) < 0)
            return r;
        if (qcow2_extent_kind(q, n.kind) != ext->kind ||
            (n.kind == QC_NORMAL && n.host != s.host + (k << q->cluster_bits)))
            break;
        ext->len += MIN(len - ext->len, q->cluster_size);
    }
    if (ext->kind != BLOCK_EXTENT_DATA)
        ext->file_offset = 0;
    return 0;
}

/* Makes the L2 table for L1 index @l1i exist with refcount 1 and returns
 * its offset. */
static int
qcow2_l2_for_write(Qcow2 *q, uint64_t l1i, uint64_t *l2off)
{
    uint64_t l1e = qcow2_be64(q->l1 + l1i * 8), v;
    uint8_t *l2;
    int r;

    *l2off = l1e & QCOW2_OFFSET_MASK;
    if (*l2off && (l1e & QCOW2_OFLAG_COPIED))
        return 0;
    if (*l2off) {
        /* COPIED missing: fine if nothing else uses the table (then the
         * flag is set again); shared tables come with internal snapshots,
         * which are refused for writing at open. */
        if ((r = qcow2_refcount_get(q, *l2off >> q->cluster_bits, &v)) < 0)
            return r;
        if (v != 1)
            return -EIO;
    } else {
        if ((r = qcow2_alloc(q, 1, true, l2off)) < 0 ||
            (r = qcow2_cache_get(q, &q->l2_cache, *l2off, true, &l2)) < 0 ||
            (r = qcow2_pwrite(q, l2, q->cluster_size, *l2off)) < 0)
            return r;
        q->unsynced = true;
        if ((r = qcow2_sync_if(q)) < 0)
            return r;
    }
    qcow2_put_be64(q->l1 + l1i * 8, *l2off | QCOW2_OFLAG_COPIED);
    q->unsynced = true;
    return qcow2_write_table_part(q, q->l1, q->h.l1_table_offset, l1i * 8, 8);
}

/* Whether a write to a cluster stored as @s goes in place. */
static bool
qcow2_in_place(const Qcow2Slot *s)
{
    return s->kind == QC_NORMAL && (s->entry & QCOW2_OFLAG_COPIED);
}

/* Points the @count L2 entries from @i0 of the table at @l2off to @newe
 * (plus k clusters for entry k when @step), writes them, then drops what
 * they referenced.  q->cow holds the old entries meanwhile. */
static int
qcow2_set_entries(Qcow2 *q, uint64_t l2off, uint64_t i0, uint64_t count,
                  uint64_t newe, bool step)
{
    uint8_t *l2;
    int r;

    if ((r = qcow2_sync_if(q)) < 0 ||
        (r = qcow2_cache_get(q, &q->l2_cache, l2off, false, &l2)) < 0)
        return r;
    for (uint64_t k = 0; k < count; k++) {
        uint64_t e = newe + (step ? k << q->cluster_bits : 0);

        qcow2_put_be64(q->cow + k * 8, qcow2_be64(l2 + (i0 + k) * 8));
        qcow2_put_be64(l2 + (i0 + k) * 8, e);
    }
    if ((r = qcow2_write_table_part(q, l2, l2off, i0 * 8, count * 8)) < 0)
        return r;
    q->unsynced = true;
    for (uint64_t k = 0; k < count; k++) {
        uint64_t old = qcow2_be64(q->cow + k * 8);

        if (old != newe && (r = qcow2_free_entry(q, old)) < 0)
            return r;
    }
    return 0;
}

static int
qcow2_map_write(Qcow2 *q, uint64_t offset, uint64_t len, BlockExtent *ext)
{
    uint64_t vcl = offset >> q->cluster_bits;
    uint64_t in = offset & (q->cluster_size - 1);
    uint64_t last = (offset + len - 1) >> q->cluster_bits;
    uint64_t i0 = vcl % q->l2_entries, l2off, count, host, v;
    Qcow2Slot s, n;
    uint8_t *l2;
    int r;

    if ((r = qcow2_l2_for_write(q, vcl / q->l2_entries, &l2off)) < 0 ||
        (r = qcow2_cache_get(q, &q->l2_cache, l2off, false, &l2)) < 0 ||
        (r = qcow2_classify(q, qcow2_be64(l2 + i0 * 8), &s)) < 0)
        return r;
    if (s.kind == QC_NORMAL && !qcow2_in_place(&s)) {
        /* COPIED missing on a cluster only this entry uses: repair it. */
        if ((r = qcow2_refcount_get(q, s.host >> q->cluster_bits, &v)) < 0)
            return r;
        if (v == 1) {
            s.entry |= QCOW2_OFLAG_COPIED;
            qcow2_put_be64(l2 + i0 * 8, s.entry);
            if ((r = qcow2_write_table_part(q, l2, l2off, i0 * 8, 8)) < 0)
                return r;
        }
    }
    ext->kind = BLOCK_EXTENT_DATA;
    if (qcow2_in_place(&s)) {
        ext->file_offset = s.host + in;
        ext->len = MIN(len, q->cluster_size - in);
        for (uint64_t k = 1; ext->len < len && i0 + k < q->l2_entries; k++) {
            if ((r = qcow2_classify(q, qcow2_be64(l2 + (i0 + k) * 8),
                                    &n)) < 0)
                return r;
            if (!qcow2_in_place(&n) ||
                n.host != s.host + (k << q->cluster_bits))
                break;
            ext->len += MIN(len - ext->len, q->cluster_size);
        }
        return 0;
    }

    /* New clusters for this one and the following ones of the request
     * that are not writable in place either (same L2 table), contiguous
     * in the file so that the engine writes them in one request. */
    for (count = 1; vcl + count <= last && i0 + count < q->l2_entries;
         count++) {
        if ((r = qcow2_classify(q, qcow2_be64(l2 + (i0 + count) * 8),
                                &n)) < 0)
            return r;
        if (qcow2_in_place(&n))
            break;
    }
    if ((r = qcow2_alloc(q, count, false, &host)) < 0)
        return r;
    /* Copy-on-write of the parts of the first and last cluster the
     * request leaves alone, before any entry points at them. */
    if (in != 0 || offset + len < (vcl + 1) << q->cluster_bits) {
        if ((r = qcow2_cluster_content(q, vcl, &s, q->cow)) < 0 ||
            (r = qcow2_pwrite(q, q->cow, q->cluster_size, host)) < 0)
            return r;
    }
    if (count > 1 && offset + len < (vcl + count) << q->cluster_bits) {
        if ((r = qcow2_lookup(q, vcl + count - 1, &n)) < 0 ||
            (r = qcow2_cluster_content(q, vcl + count - 1, &n, q->cow)) < 0 ||
            (r = qcow2_pwrite(q, q->cow, q->cluster_size,
                              host + ((count - 1) << q->cluster_bits))) < 0)
            return r;
    }
    q->unsynced = true;
    if ((r = qcow2_set_entries(q, l2off, i0, count,
                               host | QCOW2_OFLAG_COPIED, true)) < 0)
        return r;
    ext->file_offset = host + in;
    ext->len = MIN(len, (count << q->cluster_bits) - in);
    return 0;
}

/* DISCARD and WRITE_ZEROES: whole clusters change their L2 entries (the
 * extent says ZERO: nothing left for the engine); a partial cluster is a
 * no-op for DISCARD (a hint) and a data write of zeroes for WRITE_ZEROES
 * unless it already reads as zeroes. */
static int
qcow2_map_zero(Qcow2 *q, BlockOp op, uint64_t offset, uint64_t len,
               BlockExtent *ext)
{
    uint64_t vcl = offset >> q->cluster_bits;
    uint64_t in = offset & (q->cluster_size - 1);
    uint64_t i0 = vcl % q->l2_entries, count, newe, l2off;
    /* Without a backing file an unallocated cluster reads as zeroes;
     * with one, only the zero flag hides the backing data. */
    bool flag = q->backing != NULL;
    Qcow2Slot s;
    int r;

    ext->kind = BLOCK_EXTENT_ZERO;
    ext->file_offset = 0;
    ext->len = MIN(len, q->cluster_size - in);
    if (in != 0 || len < q->cluster_size) {
        if (op == BLOCK_OP_DISCARD)
            return 0;
        if ((r = qcow2_lookup(q, vcl, &s)) < 0)
            return r;
        if (s.kind == QC_ZERO || (s.kind == QC_UNALLOC && !q->backing))
            return 0;
        return qcow2_map_write(q, offset, ext->len, ext);
    }
    /* sparse=off keeps the file's allocation: a discard does nothing. */
    if (op == BLOCK_OP_DISCARD && !q->sparse)
        return 0;
    if (flag && q->h.version < 3) {
        /* v2 has no zero flag: a discard over a backing file stays a
         * hint, zeroes are written as data. */
        if (op == BLOCK_OP_DISCARD)
            return 0;
        return qcow2_map_write(q, offset, ext->len, ext);
    }
    newe = flag ? QCOW2_OFLAG_ZERO : 0;
    count = MIN(len >> q->cluster_bits, q->l2_entries - i0);
    ext->len = count << q->cluster_bits;
    if (!(qcow2_be64(q->l1 + (vcl / q->l2_entries) * 8) & QCOW2_OFFSET_MASK) &&
        newe == 0)
        return 0;         /* no table: already unallocated */
    if ((r = qcow2_l2_for_write(q, vcl / q->l2_entries, &l2off)) < 0)
        return r;
    return qcow2_set_entries(q, l2off, i0, count, newe, false);
}

static int
qcow2_map(BlockFormat *fmt, BlockOp op, uint64_t offset, uint64_t len,
          BlockExtent *ext)
{
    Qcow2 *q = qcow2_from_fmt(fmt);
    int r;

    if (offset > fmt->size || len > fmt->size - offset)
        return -EINVAL;
    if (len == 0) {
        ext->kind = BLOCK_EXTENT_ZERO;
        ext->file_offset = 0;
        ext->len = 0;
        return 0;
    }
    if (op != BLOCK_OP_READ && q->readonly)
        return -EROFS;
    g_mutex_lock(&q->lock);
    switch (op) {
    case BLOCK_OP_READ:
        r = qcow2_map_read(q, offset, len, ext);
        break;
    case BLOCK_OP_WRITE:
        r = qcow2_map_write(q, offset, len, ext);
        break;
    case BLOCK_OP_DISCARD:
    case BLOCK_OP_WRITE_ZEROES:
        r = qcow2_map_zero(q, op, offset, len, ext);
        break;
    default:
        r = -EOPNOTSUPP;
        break;
    }
    g_mutex_unlock(&q->lock);
    return r;
}

static int
qcow2_read(BlockFormat *fmt, uint64_t offset, uint64_t len,
           const struct iovec *iov, unsigned iovcnt, uint64_t skip)
{
    Qcow2 *q = qcow2_from_fmt(fmt);
    uint64_t done = 0;

    if (offset > fmt->size || len > fmt->size - offset)
        return -EINVAL;
    /* Cluster by cluster: the mapping is looked up again, as it may have
     * changed since map() (a write allocated the cluster meanwhile). */
    while (done < len) {
        uint64_t at = offset + done;
        uint64_t in = at & (q->cluster_size - 1);
        uint64_t n = MIN(len - done, q->cluster_size - in);
        Qcow2Slot s;
        int64_t r;

        g_mutex_lock(&q->lock);
        r = qcow2_lookup(q, at >> q->cluster_bits, &s);
        if (r == 0 && s.kind == QC_COMPRESSED) {
            r = qcow2_read_compressed(q, s.entry);
            if (r == 0)
                iov_from_buf(iov, iovcnt, skip + done, q->dbuf + in, n);
        }
        g_mutex_unlock(&q->lock);
        if (r < 0)
            return (int)r;
        if (s.kind == QC_NORMAL)
            r = block_file_rw(fmt->file, false, iov, iovcnt, skip + done, n,
                              s.host + in);
        else if (s.kind == QC_UNALLOC && q->backing)
            r = block_format_read(q->backing, at, n, iov, iovcnt,
                                  skip + done);
        else if (s.kind != QC_COMPRESSED)
            iov_memset(iov, iovcnt, skip + done, 0, n);
        if (r < 0)
            return (int)r;
        done += n;
    }
    return 0;
}

/* ---- Open and close ------------------------------------------------------ */

static void
qcow2_close(BlockFormat *fmt)
{
    Qcow2 *q = qcow2_from_fmt(fmt);

    block_format_close(q->backing);
    qcow2_compress_free(q);
    qcow2_cache_free(&q->l2_cache);
    qcow2_cache_free(&q->rb_cache);
    free(q->l1);
    free(q->reftable);
    free(q->cow);
    free(q->cbuf);
    free(q->dbuf);
    qcow2_header_clear(&q->h);
    g_mutex_clear(&q->lock);
    block_file_free(fmt->file);
    g_free(q);
}

static bool
qcow2_probe(const uint8_t *head, size_t len)
{
    return len >= 4 && qcow2_be32(head) == QCOW2_MAGIC;
}

static void *
qcow2_buf_new(Qcow2 *q, uint64_t len)
{
    void *p = NULL;

    if (posix_memalign(&p, MAX(4096u, q->align), len) != 0)
        return NULL;
    memset(p, 0, len);
    return p;
}

/* Reads the table of @bytes at @off into a new buffer of whole clusters
 * (what follows it in its last cluster is kept, as it is written back). */
static uint8_t *
qcow2_table_read(Qcow2 *q, uint64_t off, uint64_t bytes, uint64_t *alloc,
                 GError **error)
{
    uint64_t len = (MAX(bytes, 1) + q->cluster_size - 1) &
                   ~(q->cluster_size - 1);
    uint8_t *t = qcow2_buf_new(q, len);
    uint64_t got = 0;
    int r;

    if (!t) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_FAILED,
                    "qcow2 image '%s': out of memory", q->path);
        return NULL;
    }
    r = bytes ? qcow2_pread_partial(q, t, len, off, &got) : 0;
    if (r < 0 || got < bytes) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                    "qcow2 image '%s': cannot read a table at %"
                    G_GUINT64_FORMAT ": %s", q->path, off,
                    r < 0 ? g_strerror(-r) : "past the end of the file");
        free(t);
        return NULL;
    }
    *alloc = len;
    return t;
}

/* Every L1 entry: an aligned L2 table inside the file, not on the header
 * or the other tables. */
static bool
qcow2_check_l1(Qcow2 *q, GError **error)
{
    uint64_t rt_end = q->h.refcount_table_offset +
                      ((uint64_t)q->h.refcount_table_clusters <<
                       q->cluster_bits);

    for (uint64_t i = 0; i < q->h.l1_size; i++) {
        uint64_t e = qcow2_be64(q->l1 + i * 8);
        uint64_t off = e & QCOW2_OFFSET_MASK;

        if (e == 0)
            continue;
        if ((e & QCOW2_L1_RESERVED) || (off & (q->cluster_size - 1)) ||
            off >= q->file_end || off == 0 ||
            (off >= q->h.refcount_table_offset && off < rt_end) ||
            (off >= q->h.l1_table_offset &&
             off < q->h.l1_table_offset + (uint64_t)q->h.l1_size * 8)) {
            g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                        "qcow2 image '%s' is damaged: L1 entry %"
                        G_GUINT64_FORMAT " (0x%" G_GINT64_MODIFIER "x) "
                        "points outside the file or at another table",
                        q->path, i, e);
            return false;
        }
    }
    return true;
}

/* The states a writer must not open. */
static bool
qcow2_check_writable(Qcow2 *q, GError **error)
{
    if (q->h.incompatible_features & QCOW2_INCOMPAT_CORRUPT) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                    "qcow2 image '%s' is marked corrupt: repair it with "
                    "'qemu-img check -r all' (read-only use is allowed)",
                    q->path);
        return false;
    }
    /* Dirty: lazy refcounts were in use and not written back.  nimbus
     * does not rebuild refcounts itself, so it refuses rather than
     * allocate over clusters the refcounts do not show. */
    if (q->h.incompatible_features & QCOW2_INCOMPAT_DIRTY) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                    "qcow2 image '%s' was not closed cleanly (dirty, lazy "
                    "refcounts): repair it with 'qemu-img check -r all' "
                    "(read-only use is allowed)", q->path);
        return false;
    }
    if (q->h.nb_snapshots) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
                    "qcow2 image '%s' has %u internal snapshots, which nimbus"
                    " opens read-only only", q->path, q->h.nb_snapshots);
        return false;
    }
    return true;
}

/* The last step of a read-write open, so that an open that fails leaves
 * the image as it was. */
static bool
qcow2_clear_autoclear(Qcow2 *q, GError **error)
{
    uint8_t *hdr;
    int r;

    if (q->readonly || q->h.version < 3 || q->h.autoclear_features == 0)
        return true;
    /* Autoclear bits (bitmaps) describe data nimbus does not keep up to
     * date: clearing them tells the next reader to ignore that data. */
    hdr = qcow2_buf_new(q, q->align);
    r = hdr ? qcow2_pread(q, hdr, q->align, 0) : -ENOMEM;
    if (r == 0) {
        qcow2_put_be64(hdr + 88, 0);
        r = qcow2_pwrite(q, hdr, q->align, 0);
    }
    free(hdr);
    if (r < 0) {
        g_set_error(error, G_IO_ERROR, g_io_error_from_errno(-r),
                    "qcow2 image '%s': cannot update the header: %s",
                    q->path, g_strerror(-r));
        return false;
    }
    q->h.autoclear_features = 0;
    return true;
}

static bool
qcow2_open_backing(Qcow2 *q, const BlockFormatOptions *opts, GError **error)
{
    BlockFormatOptions bo = {
        .readonly = true, .direct = false, .type = IMAGE_TYPE_UNKNOWN,
        .backing_files = true, .sparse = opts->sparse,
        .depth = opts->depth + 1,
    };
    g_autofree char *dir = NULL;
    g_autofree char *path = NULL;

    if (!q->h.backing_file)
        return true;
    if (!opts->backing_files) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_PERMISSION_DENIED,
                    "qcow2 image '%s' has the backing file '%s': opening it "
                    "needs backing_files=on", q->path, q->h.backing_file);
        return false;
    }
    if (bo.depth >= BLOCK_FORMAT_MAX_CHAIN) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                    "qcow2 image '%s': the backing chain is longer than %u "
                    "images (a loop?)", q->path, BLOCK_FORMAT_MAX_CHAIN);
        return false;
    }
    if (q->h.backing_format) {
        if (!strcmp(q->h.backing_format, "raw")) {
            bo.type = IMAGE_TYPE_RAW;
        } else if (!strcmp(q->h.backing_format, "qcow2")) {
            bo.type = IMAGE_TYPE_QCOW2;
        } else {
            g_set_error(error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
                        "qcow2 image '%s': backing file format '%s' is not "
                        "supported (raw and qcow2 are)", q->path,
                        q->h.backing_format);
            return false;
        }
    }
    /* A relative name is relative to the image's directory (as QEMU). */
    dir = g_path_get_dirname(q->path);
    path = g_path_is_absolute(q->h.backing_file) ?
           g_strdup(q->h.backing_file) :
           g_build_filename(dir, q->h.backing_file, NULL);
    /* Backing files are read through the page cache: they are shared by
     * overlays and never written. */
    q->backing = block_format_open_opts(path, &bo, error);
    if (!q->backing) {
        g_prefix_error(error, "backing file of '%s': ", q->path);
        return false;
    }
    return true;
}

/* Sizes, tables, caches and buffers from the parsed header. */
static bool
qcow2_setup(Qcow2 *q, const BlockFormatOptions *opts, GError **error)
{
    uint64_t tables, alloc;
    unsigned n;

    q->cluster_bits = q->h.cluster_bits;
    q->cluster_size = 1ull << q->cluster_bits;
    q->l2_entries = q->cluster_size / 8;
    q->refcount_bits = 1u << q->h.refcount_order;
    q->rb_entries = q->cluster_size * 8 / q->refcount_bits;
    q->reftable_entries = ((uint64_t)q->h.refcount_table_clusters <<
                           q->cluster_bits) / 8;
    q->align = 512;
    if (opts->direct)
        q->align = MAX(q->align,
                       MAX(block_file_logical_block_size(q->base.file),
                           block_file_mem_align(q->base.file)));
    if (q->align > q->cluster_size) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
                    "qcow2 image '%s': its %" G_GUINT64_FORMAT "-byte "
                    "clusters are smaller than the %u bytes direct=on needs",
                    q->path, q->cluster_size, q->align);
        return false;
    }
    q->file_end = (block_file_size(q->base.file) + q->cluster_size - 1) &
                  ~(q->cluster_size - 1);
    if (!(q->l1 = qcow2_table_read(q, q->h.l1_table_offset,
                                   (uint64_t)q->h.l1_size * 8, &q->l1_alloc,
                                   error)) ||
        !qcow2_check_l1(q, error) ||
        !(q->reftable = qcow2_table_read(q, q->h.refcount_table_offset,
                                         q->reftable_entries * 8, &alloc,
                                         error)) ||
        !qcow2_refcount_open(q, error))
        return false;
    tables = (q->h.size + (q->cluster_size * q->l2_entries) - 1) /
             (q->cluster_size * q->l2_entries);
    n = (unsigned)MAX(QCOW2_L2_CACHE_MIN,
                      MIN(tables, QCOW2_L2_CACHE_BYTES / q->cluster_size));
    if (!qcow2_cache_init(q, &q->l2_cache, n) ||
        !qcow2_cache_init(q, &q->rb_cache, QCOW2_RB_CACHE_ENTRIES) ||
        !(q->cow = qcow2_buf_new(q, q->cluster_size)) ||
        !(q->dbuf = qcow2_buf_new(q, q->cluster_size)) ||
        !(q->cbuf = qcow2_buf_new(q, 2 * q->cluster_size + 2 * q->align))) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_FAILED,
                    "qcow2 image '%s': out of memory", q->path);
        return false;
    }
    return true;
}

static BlockFormat *
qcow2_open(BlockFile *file, const BlockFormatOptions *opts, GError **error)
{
    Qcow2 *q = g_new0(Qcow2, 1);
    g_autofree uint8_t *head = NULL;
    uint64_t size = block_file_size(file), first;
    ssize_t n;

    q->base.ops = &block_format_qcow2;
    q->base.file = file;
    q->path = block_file_path(file);
    q->readonly = opts->readonly;
    q->sparse = opts->sparse;
    g_mutex_init(&q->lock);
    /* The header and its extensions fill at most the first cluster. */
    first = MIN(size, 1ull << QCOW2_MAX_CLUSTER_BITS);
    head = g_malloc0(MAX(first, QCOW2_V3_HEADER_LEN));
    n = block_file_read_head(file, head, first);
    if (n < 0) {
        g_set_error(error, G_IO_ERROR, g_io_error_from_errno((int)-n),
                    "cannot read qcow2 image '%s': %s", q->path,
                    g_strerror((int)-n));
        goto cleanup;
    }
    if (!qcow2_header_parse(head, (size_t)n, size, q->path, &q->h, error) ||
        !qcow2_setup(q, opts, error) ||
        (!q->readonly && !qcow2_check_writable(q, error)) ||
        !qcow2_compress_init(q, error) ||
        !qcow2_open_backing(q, opts, error) ||
        !qcow2_clear_autoclear(q, error))
        goto cleanup;
    q->base.size = q->h.size;
    return &q->base;

 cleanup:
    qcow2_close(&q->base);
    return NULL;
}

const BlockFormatOps block_format_qcow2 = {
    .name = "qcow2",
    .type = IMAGE_TYPE_QCOW2,
    .probe = qcow2_probe,
    .open = qcow2_open,
    .close = qcow2_close,
    .map = qcow2_map,
    .read = qcow2_read,
};
