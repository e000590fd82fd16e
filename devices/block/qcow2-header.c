/* SPDX-License-Identifier: Apache-2.0 */
/* qcow2 header and header extension parsing, every field checked before use. */
#include <config.h>

#include <string.h>
#include <gio/gio.h>

#include "devices/block/qcow2.h"

void
qcow2_header_clear(Qcow2Header *h)
{
    g_free(h->backing_file);
    g_free(h->backing_format);
    memset(h, 0, sizeof(*h));
}

static bool G_GNUC_PRINTF(3, 4)
qcow2_bad(GError **error, const char *path, const char *fmt, ...)
{
    g_autofree char *msg = NULL;
    va_list ap;

    va_start(ap, fmt);
    msg = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                "qcow2 image '%s' is damaged: %s", path, msg);
    return false;
}

/* Whether the table of @bytes at @offset is cluster aligned and lies in
 * the file.  Written so that nothing wraps around. */
static bool
qcow2_table_ok(uint64_t offset, uint64_t bytes, uint32_t cluster_bits,
               uint64_t file_size)
{
    if (offset & ((1ull << cluster_bits) - 1))
        return false;
    return offset <= file_size && bytes <= file_size - offset;
}

/* The extensions after the header, up to the end of the first cluster:
 * only the backing format is used; the ones that change how data is
 * stored (external data file, encryption) are refused. */
static bool
qcow2_parse_extensions(const uint8_t *buf, size_t end, size_t off,
                       const char *path, Qcow2Header *h, GError **error)
{
    while (off + 8 <= end) {
        uint32_t type = qcow2_be32(buf + off);
        uint32_t len = qcow2_be32(buf + off + 4);

        off += 8;
        if (type == QCOW2_EXT_END)
            return true;
        if (len > end - off)
            return qcow2_bad(error, path, "header extension 0x%08x of %u "
                             "bytes runs past the first cluster", type, len);
        switch (type) {
        case QCOW2_EXT_BACKING_FORMAT:
            if (len == 0 || len > 64 || memchr(buf + off, 0, len))
                return qcow2_bad(error, path, "bad backing format name");
            g_free(h->backing_format);
            h->backing_format = g_strndup((const char *)buf + off, len);
            break;
        case QCOW2_EXT_DATA_FILE:
        case QCOW2_EXT_CRYPTO:
            g_set_error(error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
                        "qcow2 image '%s' uses %s, which nimbus does not "
                        "support", path, type == QCOW2_EXT_CRYPTO ?
                        "encryption" : "an external data file");
            return false;
        default:
            break;    /* feature names, bitmaps (autoclear), unknown */
        }
        /* Each extension is padded to a multiple of 8 bytes. */
        off += ((size_t)len + 7) & ~(size_t)7;
    }
    /* No end marker before the end of the cluster: QEMU accepts it. */
    return true;
}

static bool
qcow2_check_features(const Qcow2Header *h, const char *path, GError **error)
{
    uint64_t known = QCOW2_INCOMPAT_DIRTY | QCOW2_INCOMPAT_CORRUPT |
                     QCOW2_INCOMPAT_COMPRESSION;

    if (h->incompatible_features & QCOW2_INCOMPAT_DATA_FILE) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
                    "qcow2 image '%s' keeps its data in an external file, "
                    "which nimbus does not support", path);
        return false;
    }
    if (h->incompatible_features & QCOW2_INCOMPAT_EXTL2) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
                    "qcow2 image '%s' uses extended L2 entries (subclusters),"
                    " which nimbus does not support", path);
        return false;
    }
    if (h->incompatible_features & ~known) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
                    "qcow2 image '%s' has unknown incompatible features "
                    "0x%" G_GINT64_MODIFIER "x", path,
                    h->incompatible_features & ~known);
        return false;
    }
    if (!!(h->incompatible_features & QCOW2_INCOMPAT_COMPRESSION) !=
        (h->compression_type != QCOW2_COMPRESSION_ZLIB))
        return qcow2_bad(error, path, "compression type %u does not match "
                         "the compression feature bit", h->compression_type);
    if (h->compression_type > QCOW2_COMPRESSION_ZSTD) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
                    "qcow2 image '%s' uses unknown compression type %u",
                    path, h->compression_type);
        return false;
    }
    return true;
}

/* Reads the fixed fields; v2 has the first 72 bytes only. */
static void
qcow2_read_fields(const uint8_t *b, Qcow2Header *h)
{
    h->version = qcow2_be32(b + 4);
    h->backing_file_offset = qcow2_be64(b + 8);
    h->backing_file_size = qcow2_be32(b + 16);
    h->cluster_bits = qcow2_be32(b + 20);
    h->size = qcow2_be64(b + 24);
    h->crypt_method = qcow2_be32(b + 32);
    h->l1_size = qcow2_be32(b + 36);
    h->l1_table_offset = qcow2_be64(b + 40);
    h->refcount_table_offset = qcow2_be64(b + 48);
    h->refcount_table_clusters = qcow2_be32(b + 56);
    h->nb_snapshots = qcow2_be32(b + 60);
    h->snapshots_offset = qcow2_be64(b + 64);
    h->refcount_order = 4;
    h->header_length = QCOW2_V2_HEADER_LEN;
}

static bool
qcow2_header_parse_checked(const uint8_t *buf, size_t len, uint64_t file_size,
                           const char *path, Qcow2Header *h, GError **error)
{
    uint64_t cluster, l1_needed, l2_entries;
    size_t first;

    if (len < QCOW2_V2_HEADER_LEN || qcow2_be32(buf) != QCOW2_MAGIC)
        return qcow2_bad(error, path, "the file is too short for a header");
    qcow2_read_fields(buf, h);
    if (h->version != 2 && h->version != 3) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
                    "qcow2 image '%s' has version %u (nimbus reads 2 and 3)",
                    path, h->version);
        return false;
    }
    if (h->cluster_bits < QCOW2_MIN_CLUSTER_BITS ||
        h->cluster_bits > QCOW2_MAX_CLUSTER_BITS)
        return qcow2_bad(error, path, "cluster_bits %u is outside 9..21",
                         h->cluster_bits);
    cluster = 1ull << h->cluster_bits;
    /* The header and its extensions are read from the first cluster. */
    first = (size_t)MIN((uint64_t)len, cluster);
    if (h->version == 3) {
        if (first < QCOW2_V3_HEADER_LEN)
            return qcow2_bad(error, path, "the v3 header is cut short");
        h->incompatible_features = qcow2_be64(buf + 72);
        h->compatible_features = qcow2_be64(buf + 80);
        h->autoclear_features = qcow2_be64(buf + 88);
        h->refcount_order = qcow2_be32(buf + 96);
        h->header_length = qcow2_be32(buf + 100);
        if (h->header_length < QCOW2_V3_HEADER_LEN ||
            h->header_length > first || (h->header_length & 7))
            return qcow2_bad(error, path, "header_length %u is invalid",
                             h->header_length);
        if (h->header_length > QCOW2_V3_HEADER_LEN)
            h->compression_type = buf[104];
    }
    if (h->crypt_method != 0) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
                    "qcow2 image '%s' is encrypted, which nimbus does not "
                    "support", path);
        return false;
    }
    if (!qcow2_check_features(h, path, error))
        return false;
    if (h->refcount_order > 6)
        return qcow2_bad(error, path, "refcount_order %u is above 6",
                         h->refcount_order);
    if (h->size > QCOW2_MAX_SIZE)
        return qcow2_bad(error, path, "virtual size %" G_GUINT64_FORMAT
                         " is above the 2 EiB limit", h->size);

    /* L1: big enough for the disk, small enough to hold in memory. */
    l2_entries = cluster / 8;
    l1_needed = (h->size + cluster * l2_entries - 1) /
                (cluster * l2_entries);
    if (h->l1_size < l1_needed)
        return qcow2_bad(error, path, "the L1 table (%u entries) is too small"
                         " for the virtual size", h->l1_size);
    if ((uint64_t)h->l1_size * 8 > QCOW2_MAX_L1_BYTES)
        return qcow2_bad(error, path, "the L1 table (%u entries) is larger "
                         "than %u bytes", h->l1_size, QCOW2_MAX_L1_BYTES);
    if (h->l1_size && !qcow2_table_ok(h->l1_table_offset,
                                      (uint64_t)h->l1_size * 8,
                                      h->cluster_bits, file_size))
        return qcow2_bad(error, path, "the L1 table at %" G_GUINT64_FORMAT
                         " is unaligned or past the end of the file",
                         h->l1_table_offset);
    if (h->refcount_table_clusters == 0 ||
        (uint64_t)h->refcount_table_clusters * cluster >
            QCOW2_MAX_REFTABLE_BYTES)
        return qcow2_bad(error, path, "the refcount table size (%u "
                         "clusters) is invalid", h->refcount_table_clusters);
    if (!qcow2_table_ok(h->refcount_table_offset,
                        (uint64_t)h->refcount_table_clusters * cluster,
                        h->cluster_bits, file_size))
        return qcow2_bad(error, path, "the refcount table at %"
                         G_GUINT64_FORMAT " is unaligned or past the end of "
                         "the file", h->refcount_table_offset);
    if (h->refcount_table_offset == 0 ||
        (h->l1_size && h->l1_table_offset == 0))
        return qcow2_bad(error, path, "a table overlaps the header");
    if (h->nb_snapshots &&
        (h->snapshots_offset & (cluster - 1) || h->snapshots_offset == 0))
        return qcow2_bad(error, path, "the snapshot table offset is invalid");

    /* The backing file name lies in the first cluster, after the header. */
    if (h->backing_file_offset) {
        if (h->backing_file_size == 0 ||
            h->backing_file_size > QCOW2_MAX_BACKING_NAME ||
            h->backing_file_offset < h->header_length ||
            h->backing_file_offset > first ||
            h->backing_file_size > first - h->backing_file_offset)
            return qcow2_bad(error, path, "the backing file name (%u bytes "
                             "at %" G_GUINT64_FORMAT ") is not inside the "
                             "first cluster", h->backing_file_size,
                             h->backing_file_offset);
        if (memchr(buf + h->backing_file_offset, 0, h->backing_file_size))
            return qcow2_bad(error, path, "the backing file name holds a "
                             "NUL byte");
        h->backing_file = g_strndup((const char *)buf + h->backing_file_offset,
                                    h->backing_file_size);
    }
    return qcow2_parse_extensions(buf, first, h->header_length, path, h,
                                  error);
}

bool
qcow2_header_parse(const uint8_t *buf, size_t len, uint64_t file_size,
                   const char *path, Qcow2Header *h, GError **error)
{
    memset(h, 0, sizeof(*h));
    if (!qcow2_header_parse_checked(buf, len, file_size, path, h, error)) {
        qcow2_header_clear(h);
        return false;
    }
    return true;
}
