/* SPDX-License-Identifier: Apache-2.0 */
/* The qcow2 format's state, shared by its cluster mapping and refcount files. */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <glib.h>

#include "devices/block/format.h"
#include "devices/block/qcow2.h"

/*
 * Metadata handling, for crash consistency: every change to a table is
 * written to the file at once (write-through), in an order where a
 * process killed between any two writes leaves an image that qemu-img
 * check finds at worst leaking clusters:
 *   refcount up -> data copied -> L2/L1 entry set ... L2/L1 entry
 *   cleared -> refcount down.
 * A host crash can reorder writes the kernel had not flushed, so before
 * an entry that points at a newly counted cluster is written, and before
 * a refcount goes down, the file is synced (qcow2_sync_if()).  Nothing is
 * ever dirty in the caches, so close has nothing to write back.
 */

/* A table cache (L2 tables, refcount blocks): whole clusters, LRU. */
typedef struct {
    uint64_t offset;          /* in the file; 0: slot unused */
    uint64_t used;            /* LRU tick */
    uint8_t *data;            /* one cluster, aligned for O_DIRECT */
} Qcow2CacheEntry;

typedef struct {
    Qcow2CacheEntry *e;
    unsigned n;
    uint64_t tick;
} Qcow2Cache;

typedef struct Qcow2 Qcow2;

struct Qcow2 {
    BlockFormat base;
    /* Immutable after open. */
    Qcow2Header h;
    uint32_t cluster_bits;
    uint64_t cluster_size;
    uint64_t l2_entries;      /* per L2 table */
    uint32_t refcount_bits;
    uint64_t rb_entries;      /* refcounts per refcount block */
    uint64_t reftable_entries;
    uint32_t align;           /* metadata write granularity and alignment */
    bool readonly;
    bool sparse;
    BlockFormat *backing;     /* owned; NULL: none */
    const char *path;

    /* Everything below: @lock.  One lock for all metadata: the workers
     * hold it to look up a mapping (cheap, cached) or to change one. */
    GMutex lock;
    uint8_t *l1;              /* the L1 table, big-endian, as in the file */
    uint64_t l1_alloc;        /* bytes held at @l1 (whole clusters) */
    uint8_t *reftable;        /* the refcount table, big-endian */
    Qcow2Cache l2_cache;
    Qcow2Cache rb_cache;
    uint64_t file_end;        /* bytes the image file holds (cluster
                               * aligned): new metadata goes here */
    uint64_t free_hint;       /* no free cluster below this index */
    bool unsynced;            /* metadata written since the last sync */
    uint8_t *cow;             /* one cluster: copy-on-write / zeroes */
    uint8_t *cbuf;            /* compressed input: 2 clusters + 2 align */
    uint8_t *dbuf;            /* one cluster: decompressed output */
    void *zlib;               /* z_stream, kept for the image's life */
    void *zstd;               /* ZSTD_DCtx for zstd images, else NULL */
};

/* ---- qcow2.c: file I/O shared with the refcount code ------------------- */

/* Reads / writes @len bytes at @off of the image file from / to @buf,
 * which is aligned (@align) like @off and @len.  0 or -errno (a short
 * read is -EIO). */
int qcow2_pread(Qcow2 *q, void *buf, uint64_t len, uint64_t off);
int qcow2_pwrite(Qcow2 *q, const void *buf, uint64_t len, uint64_t off);
/* Writes the @align-sized pieces of the table at @table_off (held at
 * @table) that cover bytes [@from, @from + @len) of it. */
int qcow2_write_table_part(Qcow2 *q, const uint8_t *table, uint64_t table_off,
                           uint64_t from, uint64_t len);
/* fdatasync() when metadata was written since the last one. */
int qcow2_sync_if(Qcow2 *q);

/* The cluster at @off (in the file) in cache @c: read on a miss, or, with
 * @fresh, a zeroed slot for a table being created.  The pointer is good
 * until the next call on @c. */
int qcow2_cache_get(Qcow2 *q, Qcow2Cache *c, uint64_t off, bool fresh,
                    uint8_t **data);
void qcow2_cache_drop(Qcow2Cache *c, uint64_t off);

/* ---- qcow2-refcount.c --------------------------------------------------- */

/* The refcount of cluster @index in @val; 0 for clusters no refcount
 * block covers.  0 or -errno (a refcount block outside the file). */
int qcow2_refcount_get(Qcow2 *q, uint64_t index, uint64_t *val);
/**
 * qcow2_alloc:
 * Allocates @n contiguous clusters with refcount 1 and returns the file
 * offset of the first in @off.  @meta: a table, always placed at the end
 * of the file, never in a cluster freed while the image is open (a guest
 * write still in flight to a freed data cluster must not land in
 * metadata).  0, -ENOSPC (the refcount table is full) or -errno.
 */
int qcow2_alloc(Qcow2 *q, uint64_t n, bool meta, uint64_t *off);
/* Drops one reference to each of the @n clusters at @off (a data cluster,
 * a compressed cluster's span, a table); a cluster left unreferenced is
 * given back to the file system with sparse=on. */
int qcow2_free(Qcow2 *q, uint64_t off, uint64_t n);
/* Walks the refcount table at open: checks every refcount block offset
 * and finds where the file's used clusters end.  Control plane. */
bool qcow2_refcount_open(Qcow2 *q, GError **error);

/* ---- qcow2-compress.c --------------------------------------------------- */

/* Sets up / frees the decompressors (zlib always, zstd for zstd images). */
bool qcow2_compress_init(Qcow2 *q, GError **error);
void qcow2_compress_free(Qcow2 *q);
/* Inflates @in_len bytes at @in into exactly one cluster at @out with the
 * image's compression type.  0 or -EIO (data that does not inflate to a
 * whole cluster). */
int qcow2_decompress(Qcow2 *q, const uint8_t *in, size_t in_len,
                     uint8_t *out);
