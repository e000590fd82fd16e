/* SPDX-License-Identifier: Apache-2.0 */
/* Live migration's dirty-page tracking: KVM's log OR'd with the devices' marks. */
#include <config.h>

#include <gio/gio.h>

#include "daemon/migration-dirty.h"

struct MigrationDirty {
    const HvOps *ops;           /* immutable */
    Hv *hv;
    const GuestMemory *mem;
    GuestDirtyLog *devlog;
    bool logging;
    uint64_t *kvm_bits;         /* scratch, the largest region's words */
    uint64_t *dev_bits;
};

MigrationDirty *
migration_dirty_new(const HvOps *ops, Hv *hv, const GuestMemory *mem,
                    GuestDirtyLog *devlog)
{
    MigrationDirty *md = g_new0(MigrationDirty, 1);
    size_t words = 0;

    md->ops = ops;
    md->hv = hv;
    md->mem = mem;
    md->devlog = devlog;
    for (unsigned i = 0; i < mem->nregions; i++)
        words = MAX(words, guest_dirty_log_words(devlog, i));
    md->kvm_bits = g_new0(uint64_t, MAX(words, 1));
    md->dev_bits = g_new0(uint64_t, MAX(words, 1));
    return md;
}

void
migration_dirty_free(MigrationDirty *md)
{
    if (!md)
        return;
    migration_dirty_stop(md);
    g_free(md->kvm_bits);
    g_free(md->dev_bits);
    g_free(md);
}

static int
dirty_set_flags(MigrationDirty *md, unsigned i, uint32_t flags)
{
    const GuestRegion *r = &md->mem->regions[i];

    return md->ops->set_memory(md->hv, i, r->gpa, r->size, r->hva, flags);
}

bool
migration_dirty_start(MigrationDirty *md, GError **error)
{
    if (!md->ops->get_dirty_log) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
                    "the %s backend has no dirty-page log", md->ops->name);
        return false;
    }
    for (unsigned i = 0; i < md->mem->nregions; i++) {
        int r = dirty_set_flags(md, i, HV_MEM_LOG_DIRTY);

        if (r < 0) {
            /* Undo the slots already switched. */
            while (i-- > 0)
                dirty_set_flags(md, i, 0);
            g_set_error(error, G_IO_ERROR, g_io_error_from_errno(-r),
                        "cannot start dirty-page logging: %s",
                        g_strerror(-r));
            return false;
        }
        guest_dirty_log_fetch_and_clear(md->devlog, i, md->dev_bits,
                                        guest_dirty_log_words(md->devlog, i));
    }
    md->logging = true;
    return true;
}

void
migration_dirty_stop(MigrationDirty *md)
{
    if (!md->logging)
        return;
    for (unsigned i = 0; i < md->mem->nregions; i++) {
        int r = dirty_set_flags(md, i, 0);

        if (r < 0)
            g_warning("cannot stop dirty-page logging on slot %u: %s", i,
                      g_strerror(-r));
    }
    md->logging = false;
}

/* Appends [@gpa, @gpa + @len) to @ranges, merged with the last range when
 * they touch. */
static void
ranges_add(GArray *ranges, uint64_t gpa, uint64_t len)
{
    if (ranges->len > 0) {
        MigrationRange *last = &g_array_index(ranges, MigrationRange,
                                              ranges->len - 1);

        if (last->gpa + last->length == gpa) {
            last->length += len;
            return;
        }
    }
    g_array_append_val(ranges, ((MigrationRange){ gpa, len }));
}

bool
migration_dirty_collect(MigrationDirty *md, GArray *ranges, uint64_t *bytes,
                        GError **error)
{
    *bytes = 0;
    for (unsigned i = 0; i < md->mem->nregions; i++) {
        const GuestRegion *reg = &md->mem->regions[i];
        size_t words = guest_dirty_log_words(md->devlog, i);
        int r;

        r = md->ops->get_dirty_log(md->hv, i, md->kvm_bits);
        if (r < 0) {
            g_set_error(error, G_IO_ERROR, g_io_error_from_errno(-r),
                        "cannot read the dirty-page log of slot %u: %s", i,
                        g_strerror(-r));
            return false;
        }
        guest_dirty_log_fetch_and_clear(md->devlog, i, md->dev_bits, words);
        for (size_t w = 0; w < words; w++) {
            uint64_t bits = md->kvm_bits[w] | md->dev_bits[w];

            while (bits) {
                unsigned b = (unsigned)__builtin_ctzll(bits);
                uint64_t off = ((uint64_t)w * 64 + b) << GUEST_DIRTY_PAGE_SHIFT;
                uint64_t len;

                bits &= bits - 1;
                /* The log covers whole pages; a region's last page may
                 * be partial. */
                if (off >= reg->size)
                    break;
                len = MIN(GUEST_DIRTY_PAGE_SIZE, reg->size - off);
                ranges_add(ranges, reg->gpa + off, len);
                *bytes += len;
            }
        }
    }
    return true;
}

/* Pass 0 reads every page of RAM once: eight words ORed per test keep
 * the loop to one branch per 64 bytes (a guest's non-zero pages mostly
 * differ in their first words, so this costs them little). */
static bool
page_is_zero(const uint8_t *p, size_t len)
{
    const uint64_t *w = (const uint64_t *)(const void *)p;
    size_t n = len / sizeof(*w), i;

    for (i = 0; i + 8 <= n; i += 8) {
        if (w[i] | w[i + 1] | w[i + 2] | w[i + 3] | w[i + 4] | w[i + 5] |
            w[i + 6] | w[i + 7])
            return false;
    }
    for (; i < n; i++) {
        if (w[i])
            return false;
    }
    for (i *= sizeof(*w); i < len; i++) {
        if (p[i])
            return false;
    }
    return true;
}

void
migration_nonzero_ranges(const GuestMemory *mem, GArray *ranges,
                         uint64_t *bytes)
{
    *bytes = 0;
    for (unsigned i = 0; i < mem->nregions; i++) {
        const GuestRegion *r = &mem->regions[i];

        for (uint64_t off = 0; off < r->size; off += GUEST_DIRTY_PAGE_SIZE) {
            uint64_t len = MIN(GUEST_DIRTY_PAGE_SIZE, r->size - off);

            if (page_is_zero(r->hva + off, (size_t)len))
                continue;
            ranges_add(ranges, r->gpa + off, len);
            *bytes += len;
        }
    }
}

static gint
range_cmp(gconstpointer pa, gconstpointer pb)
{
    const MigrationRange *a = pa, *b = pb;

    return a->gpa < b->gpa ? -1 : a->gpa > b->gpa;
}

GArray *
migration_ranges_union(const GArray *a, const GArray *b, uint64_t *bytes)
{
    g_autoptr(GArray) all = g_array_sized_new(FALSE, FALSE,
                                              sizeof(MigrationRange),
                                              a->len + b->len);
    GArray *out = g_array_new(FALSE, FALSE, sizeof(MigrationRange));

    g_array_append_vals(all, a->data, a->len);
    g_array_append_vals(all, b->data, b->len);
    g_array_sort(all, range_cmp);
    *bytes = 0;
    for (guint i = 0; i < all->len; i++) {
        const MigrationRange *r = &g_array_index(all, MigrationRange, i);
        MigrationRange *last = out->len > 0
                                   ? &g_array_index(out, MigrationRange,
                                                    out->len - 1)
                                   : NULL;

        if (r->length == 0)
            continue;
        /* Sorted by start: @r overlaps or touches the last one, or
         * starts a new range. */
        if (last && r->gpa <= last->gpa + last->length) {
            uint64_t end = MAX(last->gpa + last->length, r->gpa + r->length);

            *bytes += end - (last->gpa + last->length);
            last->length = end - last->gpa;
            continue;
        }
        g_array_append_val(out, *r);
        *bytes += r->length;
    }
    return out;
}
