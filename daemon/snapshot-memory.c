/* SPDX-License-Identifier: Apache-2.0 */
/* Guest RAM in snapshots: the memory-ranges stream and its range table. */
#include <config.h>

#include <errno.h>
#include <inttypes.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "daemon/snapshot-memory.h"
#include "devices/state.h"

#define SECTION_MEMORY "memory-manager"
#define SNAP_PAGE 4096u
/* Bytes moved per read or write call: large enough for sequential speed,
 * small enough for a stack-free bounce buffer. */
#define SNAP_CHUNK (1u << 20)

typedef struct {
    uint64_t gpa;
    uint64_t length;
} SnapshotRange;

typedef struct {
    unsigned nranges;
    SnapshotRange ranges[GUEST_MEM_MAX_REGIONS];
} SnapshotMemoryTable;

static const VmmStateField range_fields[] = {
    VMM_STATE_UINT_FIELD(SnapshotRange, gpa, 0, G_MAXINT64),
    VMM_STATE_UINT_FIELD(SnapshotRange, length, 0, G_MAXINT64),
};

static const VmmStateDesc range_desc = {
    .name = "memory-range",
    .size = sizeof(SnapshotRange),
    .fields = range_fields,
    .n_fields = G_N_ELEMENTS(range_fields),
};

static const VmmStateField table_fields[] = {
    { .name = "ranges", .type = VMM_STATE_STRUCT,
      .offset = offsetof(SnapshotMemoryTable, ranges),
      .flags = VMM_STATE_F_LEN,
      .len_off = offsetof(SnapshotMemoryTable, nranges), .desc = &range_desc },
};

static const VmmStateDesc table_desc = {
    .name = SECTION_MEMORY,
    .version = 1,
    .size = sizeof(SnapshotMemoryTable),
    .fields = table_fields,
    .n_fields = G_N_ELEMENTS(table_fields),
};

JsonNode *
snapshot_memory_table_save(const GuestMemory *mem)
{
    SnapshotMemoryTable t = { .nranges = mem->nregions };

    for (unsigned i = 0; i < mem->nregions; i++) {
        t.ranges[i].gpa = mem->regions[i].gpa;
        t.ranges[i].length = mem->regions[i].size;
    }
    return vmm_state_save(&table_desc, &t);
}

bool
snapshot_memory_table_check(JsonNode *node, const GuestMemory *mem,
                            GError **error)
{
    SnapshotMemoryTable t = { .nranges = mem->nregions };

    /* The VM built from config.json fixes the count; the reader refuses
     * an array of another length. */
    if (!vmm_state_load(&table_desc, node, SECTION_MEMORY, &t, error))
        return false;
    for (unsigned i = 0; i < t.nranges; i++) {
        const GuestRegion *r = &mem->regions[i];
        g_autofree char *f = NULL;

        if (t.ranges[i].gpa != r->gpa) {
            f = g_strdup_printf("ranges[%u].gpa", i);
            vmm_state_error(error, SECTION_MEMORY, f,
                            "0x%" PRIx64 " differs from the configured "
                            "layout (0x%" PRIx64 ")", t.ranges[i].gpa,
                            r->gpa);
            return false;
        }
        if (t.ranges[i].length != r->size) {
            f = g_strdup_printf("ranges[%u].length", i);
            vmm_state_error(error, SECTION_MEMORY, f,
                            "0x%" PRIx64 " differs from the configured "
                            "layout (0x%" PRIx64 ")", t.ranges[i].length,
                            r->size);
            return false;
        }
    }
    return true;
}

static bool
page_is_zero(const uint8_t *p, size_t len)
{
    const uint64_t *w = (const uint64_t *)(const void *)p;

    for (size_t i = 0; i < len / sizeof(*w); i++) {
        if (w[i])
            return false;
    }
    return true;
}

/* ---- Writer ------------------------------------------------------------- */

typedef struct {
    GOutputStream *out;
    bool seekable;
    uint64_t hole;          /* zero bytes not written yet */
    uint64_t written;       /* logical offset */
} MemWriter;

static bool
mem_writer_flush_hole(MemWriter *w, GCancellable *cancellable, GError **error)
{
    if (w->hole == 0)
        return true;
    if (!g_seekable_seek(G_SEEKABLE(w->out), (goffset)w->hole, G_SEEK_CUR,
                         cancellable, error))
        return false;
    w->hole = 0;
    return true;
}

static bool
mem_writer_put(MemWriter *w, const uint8_t *p, size_t len,
               GCancellable *cancellable, GError **error)
{
    size_t i = 0;

    if (!w->seekable) {
        w->written += len;
        return g_output_stream_write_all(w->out, p, len, NULL, cancellable,
                                         error);
    }
    /* Zero pages become a hole: a 1 GiB guest that booted and touched
     * 100 MiB makes a file of about 100 MiB on disk. */
    while (i < len) {
        size_t n = MIN((size_t)SNAP_PAGE, len - i);
        size_t run = 0;

        if (page_is_zero(p + i, n)) {
            w->hole += n;
            i += n;
            continue;
        }
        while (i + run < len) {
            size_t m = MIN((size_t)SNAP_PAGE, len - i - run);

            if (page_is_zero(p + i + run, m))
                break;
            run += m;
        }
        if (!mem_writer_flush_hole(w, cancellable, error) ||
            !g_output_stream_write_all(w->out, p + i, run, NULL, cancellable,
                                       error))
            return false;
        i += run;
    }
    w->written += len;
    return true;
}

bool
snapshot_memory_write(const GuestMemory *mem, GOutputStream *out,
                      GCancellable *cancellable, GError **error)
{
    MemWriter w = {
        .out = out,
        .seekable = G_IS_SEEKABLE(out) && g_seekable_can_seek(G_SEEKABLE(out))
                    && g_seekable_can_truncate(G_SEEKABLE(out)),
    };

    for (unsigned i = 0; i < mem->nregions; i++) {
        const GuestRegion *r = &mem->regions[i];

        for (uint64_t off = 0; off < r->size; off += SNAP_CHUNK) {
            size_t n = (size_t)MIN((uint64_t)SNAP_CHUNK, r->size - off);

            if (!mem_writer_put(&w, r->hva + off, n, cancellable, error))
                return false;
        }
    }
    /* A trailing hole is the file's length, not bytes. */
    if (w.seekable && w.hole > 0)
        return g_seekable_truncate(G_SEEKABLE(out), (goffset)w.written,
                                   cancellable, error);
    return true;
}

/* ---- Reader ------------------------------------------------------------- */

/* Populates every page of @r now (MADV_POPULATE_WRITE, Linux 5.14), or by
 * touching one byte per page where the kernel lacks it. */
static void
mem_prefault(const GuestRegion *r)
{
    if (madvise(r->hva, r->size, MADV_POPULATE_WRITE) == 0)
        return;
    for (uint64_t off = 0; off < r->size; off += SNAP_PAGE)
        ((volatile uint8_t *)r->hva)[off] = 0;
}

bool
snapshot_memory_read(const GuestMemory *mem, GInputStream *in, bool prefault,
                     GCancellable *cancellable, GError **error)
{
    g_autofree uint8_t *buf = g_malloc(SNAP_CHUNK);
    uint64_t done = 0;

    for (unsigned i = 0; i < mem->nregions; i++) {
        const GuestRegion *r = &mem->regions[i];

        if (prefault)
            mem_prefault(r);
        for (uint64_t off = 0; off < r->size; off += SNAP_CHUNK) {
            size_t n = (size_t)MIN((uint64_t)SNAP_CHUNK, r->size - off);
            gsize got = 0;

            if (!g_input_stream_read_all(in, buf, n, &got, cancellable, error))
                return false;
            if (got < n) {
                g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                            "memory-ranges is truncated: %" PRIu64 " of %"
                            PRIu64 " bytes", done + got, mem->ram_size);
                return false;
            }
            /* The RAM is fresh, hence zero: only data pages are copied,
             * so the others are never populated. */
            for (size_t p = 0; p < n; p += SNAP_PAGE) {
                size_t m = MIN((size_t)SNAP_PAGE, n - p);

                if (!page_is_zero(buf + p, m))
                    memcpy(r->hva + off + p, buf + p, m);
            }
            done += n;
        }
    }
    return true;
}
