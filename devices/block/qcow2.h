/* SPDX-License-Identifier: Apache-2.0 */
/* qcow2 on-disk layout and the header parser (QEMU docs/interop/qcow2.txt). */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <glib.h>

#define QCOW2_MAGIC 0x514649fbu           /* "QFI\xfb" */
#define QCOW2_V2_HEADER_LEN 72
#define QCOW2_V3_HEADER_LEN 104

/* Cluster sizes qemu-img creates and reads: 512 B to 2 MiB. */
#define QCOW2_MIN_CLUSTER_BITS 9
#define QCOW2_MAX_CLUSTER_BITS 21

/* Table size limits, QEMU's: a header asking for more is refused rather
 * than making nimbus allocate what a hostile image says. */
#define QCOW2_MAX_L1_BYTES (32u * 1024 * 1024)
#define QCOW2_MAX_REFTABLE_BYTES (8u * 1024 * 1024)
#define QCOW2_MAX_BACKING_NAME 1023
/* The largest virtual disk: QEMU's limit (2^61 bytes, 2 EiB). */
#define QCOW2_MAX_SIZE (1ull << 61)

/* Incompatible feature bits (header offset 72). */
#define QCOW2_INCOMPAT_DIRTY (1ull << 0)
#define QCOW2_INCOMPAT_CORRUPT (1ull << 1)
#define QCOW2_INCOMPAT_DATA_FILE (1ull << 2)
#define QCOW2_INCOMPAT_COMPRESSION (1ull << 3)
#define QCOW2_INCOMPAT_EXTL2 (1ull << 4)
/* Compatible features (offset 80) need nothing: lazy refcounts only
 * matter through the dirty bit, as nimbus keeps refcounts exact. */

#define QCOW2_COMPRESSION_ZLIB 0
#define QCOW2_COMPRESSION_ZSTD 1

/* Header extension types. */
#define QCOW2_EXT_END 0
#define QCOW2_EXT_BACKING_FORMAT 0xe2792acau
#define QCOW2_EXT_CRYPTO 0x0537be77u
#define QCOW2_EXT_DATA_FILE 0x44415441u

/* L1 and L2 entries. */
#define QCOW2_OFLAG_COPIED (1ull << 63)       /* refcount is exactly 1 */
#define QCOW2_OFLAG_COMPRESSED (1ull << 62)
#define QCOW2_OFLAG_ZERO (1ull << 0)          /* v3: reads as zeroes */
#define QCOW2_OFFSET_MASK 0x00fffffffffffe00ull  /* bits 9-55 */
#define QCOW2_L1_RESERVED 0x7f000000000001ffull
#define QCOW2_REFT_OFFSET_MASK 0xfffffffffffffe00ull
#define QCOW2_REFT_RESERVED 0x1ffull

/**
 * Qcow2Header:
 * The header, in host byte order, with v2's implied v3 fields filled in
 * (refcount_order 4, header_length 72) and the extensions nimbus reads.
 */
typedef struct {
    uint32_t version;
    uint64_t backing_file_offset;
    uint32_t backing_file_size;
    uint32_t cluster_bits;
    uint64_t size;
    uint32_t crypt_method;
    uint32_t l1_size;
    uint64_t l1_table_offset;
    uint64_t refcount_table_offset;
    uint32_t refcount_table_clusters;
    uint32_t nb_snapshots;
    uint64_t snapshots_offset;
    uint64_t incompatible_features;
    uint64_t compatible_features;
    uint64_t autoclear_features;
    uint32_t refcount_order;
    uint32_t header_length;
    uint8_t compression_type;

    char *backing_file;       /* NULL: none */
    char *backing_format;     /* NULL: not given */
} Qcow2Header;

void qcow2_header_clear(Qcow2Header *h);

/**
 * qcow2_header_parse:
 * Parses and checks the first cluster of an image, @buf (@len bytes, at
 * least the cluster or the whole file when it is shorter), of a file
 * @file_size bytes long: the magic, version, cluster size, feature bits,
 * table offsets and sizes (aligned, inside the file, within the limits
 * above), the header extensions and the backing file name.  Nothing in
 * the header may make a later reader go out of bounds.  @path only names
 * the image in errors (G_IO_ERROR_INVALID_DATA for a damaged header,
 * _NOT_SUPPORTED for a feature nimbus lacks).  Pure: no I/O, so the fuzz
 * target runs it on any bytes.  On failure @h is cleared.
 */
bool qcow2_header_parse(const uint8_t *buf, size_t len, uint64_t file_size,
                        const char *path, Qcow2Header *h, GError **error);

/* Big-endian readers and writers for the on-disk structures. */
static inline uint64_t
qcow2_be64(const uint8_t *p)
{
    return ((uint64_t)p[0] << 56) | ((uint64_t)p[1] << 48) |
           ((uint64_t)p[2] << 40) | ((uint64_t)p[3] << 32) |
           ((uint64_t)p[4] << 24) | ((uint64_t)p[5] << 16) |
           ((uint64_t)p[6] << 8) | p[7];
}

static inline uint32_t
qcow2_be32(const uint8_t *p)
{
    return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) |
           ((uint32_t)p[2] << 8) | p[3];
}

static inline void
qcow2_put_be64(uint8_t *p, uint64_t v)
{
    for (int i = 7; i >= 0; i--, v >>= 8)
        p[i] = (uint8_t)v;
}
