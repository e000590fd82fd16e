/* SPDX-License-Identifier: Apache-2.0 */
/* VHDX structure parsing: file identifier, headers, region table, metadata items, BAT checks. */
#include <config.h>

#include <errno.h>
#include <string.h>
#include <gio/gio.h>

#include "devices/block/vhdx.h"

/* [MS-VHDX] GUIDs in their on-disk byte order (the first three fields
 * little-endian). */
static const uint8_t vhdx_guid_bat[16] = {
    0x66, 0x77, 0xc2, 0x2d, 0x23, 0xf6, 0x00, 0x42,
    0x9d, 0x64, 0x11, 0x5e, 0x9b, 0xfd, 0x4a, 0x08,
};
static const uint8_t vhdx_guid_metadata[16] = {
    0x06, 0xa2, 0x7c, 0x8b, 0x90, 0x47, 0x9a, 0x4b,
    0xb8, 0xfe, 0x57, 0x5f, 0x05, 0x0f, 0x88, 0x6e,
};
static const uint8_t vhdx_guid_file_params[16] = {
    0x37, 0x67, 0xa1, 0xca, 0x36, 0xfa, 0x43, 0x4d,
    0xb3, 0xb6, 0x33, 0xf0, 0xaa, 0x44, 0xe7, 0x6b,
};
static const uint8_t vhdx_guid_disk_size[16] = {
    0x24, 0x42, 0xa5, 0x2f, 0x1b, 0xcd, 0x76, 0x48,
    0xb2, 0x11, 0x5d, 0xbe, 0xd8, 0x3b, 0xf4, 0xb8,
};
static const uint8_t vhdx_guid_page83[16] = {
    0xab, 0x12, 0xca, 0xbe, 0xe6, 0xb2, 0x23, 0x45,
    0x93, 0xef, 0xc3, 0x09, 0xe0, 0x00, 0xc7, 0x46,
};
static const uint8_t vhdx_guid_logical_sector[16] = {
    0x1d, 0xbf, 0x41, 0x81, 0x6f, 0xa9, 0x09, 0x47,
    0xba, 0x47, 0xf2, 0x33, 0xa8, 0xfa, 0xab, 0x5f,
};
static const uint8_t vhdx_guid_physical_sector[16] = {
    0xc7, 0x48, 0xa3, 0xcd, 0x5d, 0x44, 0x71, 0x44,
    0x9c, 0xc9, 0xe9, 0x88, 0x52, 0x51, 0xc5, 0x56,
};
static const uint8_t vhdx_guid_parent_locator[16] = {
    0x2d, 0x5f, 0xd3, 0xa8, 0x0b, 0xb3, 0x4d, 0x45,
    0xab, 0xf7, 0xd3, 0xd8, 0x48, 0x34, 0xab, 0x0c,
};

/* Metadata table entry flags. */
#define VHDX_META_IS_REQUIRED (1u << 2)
/* File parameters flags. */
#define VHDX_PARAMS_LEAVE_ALLOCATED (1u << 0)
#define VHDX_PARAMS_HAS_PARENT (1u << 1)
/* Region table entry flags. */
#define VHDX_REGION_REQUIRED (1u << 0)

/* Whether the CRC-32C at @crc_off of the @len bytes at @buf matches:
 * computed with the field itself taken as zero. */
static bool
vhdx_crc_ok(uint8_t *buf, size_t len, size_t crc_off)
{
    uint32_t want = vhdx_le32(buf + crc_off);
    uint32_t got;

    vhdx_put_le32(buf + crc_off, 0);
    got = vhdx_crc32c(0, buf, len);
    vhdx_put_le32(buf + crc_off, want);
    return got == want;
}

static bool
vhdx_read(VhdxReadFn read, void *opaque, void *buf, uint64_t len,
          uint64_t off, const char *path, const char *what, GError **error)
{
    int r = read(opaque, buf, len, off);

    if (r < 0) {
        g_set_error(error, G_IO_ERROR,
                    r == -EIO ? G_IO_ERROR_INVALID_DATA :
                    g_io_error_from_errno(-r),
                    "VHDX image '%s': cannot read the %s at %"
                    G_GUINT64_FORMAT ": %s", path, what, off,
                    r == -EIO ? "past the end of the file" : g_strerror(-r));
        return false;
    }
    return true;
}

/* Whether [@off, @off + @len) is a non-empty, 1 MiB aligned range past
 * the header area and inside a file of @file_size bytes. */
static bool
vhdx_range_ok(uint64_t off, uint64_t len, uint64_t file_size)
{
    return len > 0 && off % VHDX_MiB == 0 && len % VHDX_MiB == 0 &&
           off >= VHDX_HEADER_AREA && off <= file_size &&
           len <= file_size - off;
}

static bool
vhdx_overlap(const VhdxRange *a, const VhdxRange *b)
{
    return a->len && b->len && a->off < b->off + b->len &&
           b->off < a->off + a->len;
}

/* ---- Headers [MS-VHDX 2.2.2] -------------------------------------------- */

static bool
vhdx_parse_headers(VhdxReadFn read, void *opaque, uint64_t file_size,
                   const char *path, VhdxMeta *m, GError **error)
{
    static const uint64_t where[2] = { VHDX_HEADER1_OFF, VHDX_HEADER2_OFF };
    g_autofree uint8_t *h = g_malloc(2 * VHDX_HEADER_SIZE);
    bool valid[2];
    const uint8_t *cur;
    uint16_t version, log_version;

    for (unsigned i = 0; i < 2; i++) {
        uint8_t *p = h + i * VHDX_HEADER_SIZE;

        if (!vhdx_read(read, opaque, p, VHDX_HEADER_SIZE, where[i], path,
                       "header", error))
            return false;
        valid[i] = memcmp(p, "head", 4) == 0 &&
                   vhdx_crc_ok(p, VHDX_HEADER_SIZE, VHDX_HDR_CHECKSUM);
    }
    if (!valid[0] && !valid[1]) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                    "VHDX image '%s' is damaged: neither header has a valid "
                    "signature and CRC-32C", path);
        return false;
    }
    /* The spec: the valid header with the greater sequence number is
     * current (equal numbers would mean two current headers: invalid). */
    if (valid[0] && valid[1]) {
        uint64_t s0 = vhdx_le64(h + VHDX_HDR_SEQUENCE);
        uint64_t s1 = vhdx_le64(h + VHDX_HEADER_SIZE + VHDX_HDR_SEQUENCE);

        if (s0 == s1) {
            g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                        "VHDX image '%s' is damaged: both headers have "
                        "sequence number %" G_GUINT64_FORMAT, path, s0);
            return false;
        }
        m->header = s1 > s0 ? 1 : 0;
    } else {
        m->header = valid[1] ? 1 : 0;
    }
    cur = h + m->header * VHDX_HEADER_SIZE;
    memcpy(m->header_buf, cur, VHDX_HEADER_SIZE);
    m->sequence = vhdx_le64(cur + VHDX_HDR_SEQUENCE);
    version = vhdx_le16(cur + VHDX_HDR_VERSION);
    log_version = vhdx_le16(cur + VHDX_HDR_LOG_VERSION);
    if (version != 1 || log_version != 0) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
                    "VHDX image '%s': version %u (log version %u) is not "
                    "supported (1 and 0 are)", path, version, log_version);
        return false;
    }
    m->log.off = vhdx_le64(cur + VHDX_HDR_LOG_OFFSET);
    m->log.len = vhdx_le32(cur + VHDX_HDR_LOG_LENGTH);
    if (m->log.len && !vhdx_range_ok(m->log.off, m->log.len, file_size)) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                    "VHDX image '%s' is damaged: the log (%" G_GUINT64_FORMAT
                    " bytes at %" G_GUINT64_FORMAT ") is not 1 MiB aligned "
                    "inside the file", path, m->log.len, m->log.off);
        return false;
    }
    /* A LogGuid means log entries may be pending: the image was not
     * closed cleanly and its metadata is only right after a replay. */
    for (unsigned i = 0; i < 16; i++) {
        if (cur[VHDX_HDR_LOG_GUID + i] == 0)
            continue;
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
                    "VHDX image '%s' has a log to replay (it was not closed "
                    "cleanly), which nimbus does not do: replay it with "
                    "'qemu-img check -r all'", path);
        return false;
    }
    return true;
}

/* ---- Region table [MS-VHDX 2.2.3] --------------------------------------- */

static bool
vhdx_parse_region_entries(const uint8_t *t, uint64_t file_size,
                          const char *path, VhdxMeta *m, GError **error)
{
    uint32_t n = vhdx_le32(t + 8);

    if (n > VHDX_REGION_MAX_ENTRIES) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                    "VHDX image '%s' is damaged: %u region table entries "
                    "(at most %u)", path, n, VHDX_REGION_MAX_ENTRIES);
        return false;
    }
    for (uint32_t i = 0; i < n; i++) {
        const uint8_t *e = t + 16 + (size_t)i * 32;
        uint64_t off = vhdx_le64(e + 16);
        uint64_t len = vhdx_le32(e + 24);
        uint32_t flags = vhdx_le32(e + 28);
        VhdxRange *r = NULL;

        if (!memcmp(e, vhdx_guid_bat, 16))
            r = &m->bat;
        else if (!memcmp(e, vhdx_guid_metadata, 16))
            r = &m->metadata;
        if (!r && (flags & VHDX_REGION_REQUIRED)) {
            g_set_error(error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
                        "VHDX image '%s' has an unknown required region "
                        "(entry %u)", path, i);
            return false;
        }
        if (!r)
            continue;
        if (r->len) {
            g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                        "VHDX image '%s' is damaged: the %s region is "
                        "listed twice", path,
                        r == &m->bat ? "BAT" : "metadata");
            return false;
        }
        if (!vhdx_range_ok(off, len, file_size)) {
            g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                        "VHDX image '%s' is damaged: the %s region (%"
                        G_GUINT64_FORMAT " bytes at %" G_GUINT64_FORMAT ") "
                        "is not 1 MiB aligned inside the file", path,
                        r == &m->bat ? "BAT" : "metadata", len, off);
            return false;
        }
        r->off = off;
        r->len = len;
    }
    if (!m->bat.len || !m->metadata.len) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                    "VHDX image '%s' is damaged: the region table has no "
                    "%s region", path, m->bat.len ? "metadata" : "BAT");
        return false;
    }
    if (vhdx_overlap(&m->bat, &m->metadata) ||
        vhdx_overlap(&m->bat, &m->log) ||
        vhdx_overlap(&m->metadata, &m->log)) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                    "VHDX image '%s' is damaged: the BAT, metadata and log "
                    "regions overlap", path);
        return false;
    }
    return true;
}

static bool
vhdx_parse_regions(VhdxReadFn read, void *opaque, uint64_t file_size,
                   const char *path, VhdxMeta *m, GError **error)
{
    static const uint64_t where[2] = { VHDX_REGION1_OFF, VHDX_REGION2_OFF };
    g_autofree uint8_t *t = g_malloc(VHDX_REGION_SIZE);

    /* Both copies are the same; the second stands in for a torn first. */
    for (unsigned i = 0; i < 2; i++) {
        if (!vhdx_read(read, opaque, t, VHDX_REGION_SIZE, where[i], path,
                       "region table", error))
            return false;
        if (memcmp(t, "regi", 4) == 0 &&
            vhdx_crc_ok(t, VHDX_REGION_SIZE, 4))
            return vhdx_parse_region_entries(t, file_size, path, m, error);
    }
    g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                "VHDX image '%s' is damaged: neither region table has a "
                "valid signature and CRC-32C", path);
    return false;
}

/* ---- Metadata [MS-VHDX 2.6] --------------------------------------------- */

typedef struct {
    const uint8_t *guid;
    const char *name;
    uint32_t min_len;
    bool needed;       /* nimbus cannot open an image without it */
} VhdxItem;

static const VhdxItem vhdx_items[] = {
    { vhdx_guid_file_params, "file parameters", 8, true },
    { vhdx_guid_disk_size, "virtual disk size", 8, true },
    { vhdx_guid_logical_sector, "logical sector size", 4, true },
    { vhdx_guid_physical_sector, "physical sector size", 4, true },
    { vhdx_guid_page83, "page 83 data", 16, false },
    { vhdx_guid_parent_locator, "parent locator", 0, false },
};

/* Finds the known items in the table @t: their data (copied, at most 16
 * bytes each, which is all nimbus reads) in @val. */
static bool
vhdx_find_items(VhdxReadFn read, void *opaque, const uint8_t *t,
                const char *path, VhdxMeta *m, uint8_t val[][16],
                GError **error)
{
    uint16_t n = vhdx_le16(t + 10);
    bool seen[G_N_ELEMENTS(vhdx_items)] = { false };

    if (n > VHDX_METADATA_MAX_ENTRIES) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                    "VHDX image '%s' is damaged: %u metadata entries (at "
                    "most %u)", path, n, VHDX_METADATA_MAX_ENTRIES);
        return false;
    }
    for (uint16_t i = 0; i < n; i++) {
        const uint8_t *e = t + 32 + (size_t)i * 32;
        uint64_t off = vhdx_le32(e + 16);
        uint64_t len = vhdx_le32(e + 20);
        uint32_t flags = vhdx_le32(e + 24);
        unsigned k;

        for (k = 0; k < G_N_ELEMENTS(vhdx_items); k++) {
            if (!memcmp(e, vhdx_items[k].guid, 16))
                break;
        }
        if (k == G_N_ELEMENTS(vhdx_items)) {
            if (flags & VHDX_META_IS_REQUIRED) {
                g_set_error(error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
                            "VHDX image '%s' has an unknown required "
                            "metadata item (entry %u)", path, i);
                return false;
            }
            continue;
        }
        if (seen[k]) {
            g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                        "VHDX image '%s' is damaged: the %s metadata item "
                        "is listed twice", path, vhdx_items[k].name);
            return false;
        }
        seen[k] = true;
        /* Items follow the 64 KiB table, inside the region. */
        if (len < vhdx_items[k].min_len ||
            (len && off < VHDX_METADATA_TABLE_SIZE) ||
            off > m->metadata.len || len > m->metadata.len - off) {
            g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                        "VHDX image '%s' is damaged: the %s metadata item "
                        "(%" G_GUINT64_FORMAT " bytes at %" G_GUINT64_FORMAT
                        ") is too short or outside the metadata region",
                        path, vhdx_items[k].name, len, off);
            return false;
        }
        if (vhdx_items[k].min_len &&
            !vhdx_read(read, opaque, val[k], vhdx_items[k].min_len,
                       m->metadata.off + off, path, "metadata", error))
            return false;
    }
    for (unsigned k = 0; k < G_N_ELEMENTS(vhdx_items); k++) {
        if (vhdx_items[k].needed && !seen[k]) {
            g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                        "VHDX image '%s' is damaged: the %s metadata item "
                        "is missing", path, vhdx_items[k].name);
            return false;
        }
    }
    return true;
}

static bool
vhdx_sector_ok(uint32_t v)
{
    return v == 512 || v == 4096;
}

static bool
vhdx_parse_metadata(VhdxReadFn read, void *opaque, const char *path,
                    VhdxMeta *m, GError **error)
{
    g_autofree uint8_t *t = g_malloc(VHDX_METADATA_TABLE_SIZE);
    uint8_t val[G_N_ELEMENTS(vhdx_items)][16] = { { 0 } };
    uint32_t flags;

    if (!vhdx_read(read, opaque, t, VHDX_METADATA_TABLE_SIZE,
                   m->metadata.off, path, "metadata table", error))
        return false;
    if (memcmp(t, "metadata", 8) != 0) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                    "VHDX image '%s' is damaged: no metadata table "
                    "signature at %" G_GUINT64_FORMAT, path,
                    m->metadata.off);
        return false;
    }
    if (!vhdx_find_items(read, opaque, t, path, m, val, error))
        return false;
    m->block_size = vhdx_le32(val[0]);
    flags = vhdx_le32(val[0] + 4);
    m->leave_blocks_allocated = flags & VHDX_PARAMS_LEAVE_ALLOCATED;
    m->size = vhdx_le64(val[1]);
    m->logical_sector = vhdx_le32(val[2]);
    m->physical_sector = vhdx_le32(val[3]);
    if (flags & VHDX_PARAMS_HAS_PARENT) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
                    "VHDX image '%s' is a differencing image (it has a "
                    "parent), which is not supported", path);
        return false;
    }
    if (m->block_size < VHDX_MIN_BLOCK_SIZE ||
        m->block_size > VHDX_MAX_BLOCK_SIZE ||
        (m->block_size & (m->block_size - 1))) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                    "VHDX image '%s' is damaged: block size %u is not a "
                    "power of two from 1 MiB to 256 MiB", path,
                    m->block_size);
        return false;
    }
    if (!vhdx_sector_ok(m->logical_sector) ||
        !vhdx_sector_ok(m->physical_sector)) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                    "VHDX image '%s' is damaged: sector sizes %u/%u "
                    "(logical/physical) are not 512 or 4096", path,
                    m->logical_sector, m->physical_sector);
        return false;
    }
    if (m->size == 0 || m->size > VHDX_MAX_SIZE ||
        m->size % m->logical_sector) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                    "VHDX image '%s' is damaged: virtual disk size %"
                    G_GUINT64_FORMAT " is not a whole number of %u-byte "
                    "sectors up to 64 TiB", path, m->size,
                    m->logical_sector);
        return false;
    }
    return true;
}

/* ---- The BAT's geometry [MS-VHDX 2.5] ----------------------------------- */

static bool
vhdx_bat_geometry(const char *path, VhdxMeta *m, GError **error)
{
    /* Each sector bitmap block covers 2^23 sectors; with the limits above
     * the ratio is 16 to 32768 and nothing overflows. */
    m->chunk_ratio = ((1ull << 23) * m->logical_sector) / m->block_size;
    m->data_blocks = (m->size + m->block_size - 1) / m->block_size;
    /* A sector bitmap entry follows every chunk_ratio payload entries;
     * without a parent the last one is only there when a payload entry
     * follows it. */
    m->bat_entries = m->data_blocks + (m->data_blocks - 1) / m->chunk_ratio;
    if (m->bat_entries * 8 > m->bat.len) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                    "VHDX image '%s' is damaged: %" G_GUINT64_FORMAT " BAT "
                    "entries do not fit the %" G_GUINT64_FORMAT "-byte BAT "
                    "region", path, m->bat_entries, m->bat.len);
        return false;
    }
    if (m->bat_entries * 8 > VHDX_MAX_BAT_BYTES) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
                    "VHDX image '%s': its BAT of %" G_GUINT64_FORMAT
                    " entries is larger than nimbus keeps in memory (%"
                    G_GUINT64_FORMAT " bytes)", path, m->bat_entries,
                    (uint64_t)VHDX_MAX_BAT_BYTES);
        return false;
    }
    return true;
}

bool
vhdx_meta_parse(VhdxReadFn read, void *opaque, uint64_t file_size,
                const char *path, VhdxMeta *m, GError **error)
{
    uint8_t sig[8];

    memset(m, 0, sizeof(*m));
    if (file_size < VHDX_HEADER_AREA) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                    "VHDX image '%s' is damaged: %" G_GUINT64_FORMAT " bytes "
                    "is shorter than the 1 MiB header area", path,
                    file_size);
        return false;
    }
    if (!vhdx_read(read, opaque, sig, sizeof(sig), 0, path,
                   "file identifier", error))
        return false;
    if (memcmp(sig, VHDX_SIGNATURE, 8) != 0) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                    "VHDX image '%s' has no '%s' file identifier", path,
                    VHDX_SIGNATURE);
        return false;
    }
    return vhdx_parse_headers(read, opaque, file_size, path, m, error) &&
           vhdx_parse_regions(read, opaque, file_size, path, m, error) &&
           vhdx_parse_metadata(read, opaque, path, m, error) &&
           vhdx_bat_geometry(path, m, error);
}

bool
vhdx_bat_check(const VhdxMeta *m, const uint8_t *bat, uint64_t file_size,
               const char *path, GError **error)
{
    uint64_t ratio = m->chunk_ratio;

    for (uint64_t i = 0; i < m->bat_entries; i++) {
        uint64_t e = vhdx_le64(bat + i * 8);
        unsigned state = (unsigned)(e & VHDX_BAT_STATE_MASK);
        bool bitmap = i % (ratio + 1) == ratio;
        uint64_t block = i - i / (ratio + 1);
        VhdxRange r = { (e >> VHDX_BAT_OFFSET_SHIFT) << VHDX_BAT_OFFSET_SHIFT,
                        VHDX_MiB };
        const char *bad = NULL;

        if (e & VHDX_BAT_RESERVED_MASK) {
            bad = "has reserved bits set";
        } else if (bitmap) {
            if (state != VHDX_SB_NOT_PRESENT && state != VHDX_SB_PRESENT)
                bad = "has an unknown sector bitmap state";
        } else if (state == VHDX_PAYLOAD_PARTIALLY_PRESENT) {
            bad = "is partially present in an image without a parent";
        } else if (state == 4 || state == 5) {
            bad = "has an unknown payload block state";
        } else if (state == VHDX_PAYLOAD_FULLY_PRESENT) {
            /* Only the part of the last block the disk reaches must be
             * in the file. */
            r.len = MIN((uint64_t)m->block_size,
                        m->size - block * m->block_size);
        }
        if (!bad && state == VHDX_PAYLOAD_FULLY_PRESENT &&
            (r.off < VHDX_HEADER_AREA || r.off > file_size ||
             r.len > file_size - r.off || vhdx_overlap(&r, &m->bat) ||
             vhdx_overlap(&r, &m->metadata) || vhdx_overlap(&r, &m->log)))
            bad = "points outside the file or into the image's metadata";
        if (bad) {
            g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                        "VHDX image '%s' is damaged: BAT entry %"
                        G_GUINT64_FORMAT " (0x%" G_GINT64_MODIFIER "x) %s",
                        path, i, e, bad);
            return false;
        }
    }
    return true;
}
