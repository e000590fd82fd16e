/* SPDX-License-Identifier: Apache-2.0 */
/* VHDX on-disk layout (MS-VHDX v1.0) and the parser of its headers, region table and metadata. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <glib.h>

/*
 * [MS-VHDX] 2.1-2.6: all fields little-endian.  The first MiB holds the
 * file type identifier (offset 0), two headers (64 and 128 KiB) and two
 * copies of the region table (192 and 256 KiB); the region table places
 * the BAT and the metadata region, 1 MiB aligned, anywhere after it.
 */
#define VHDX_MiB (1024ull * 1024)
#define VHDX_SIGNATURE "vhdxfile"
#define VHDX_HEADER1_OFF (64 * 1024)
#define VHDX_HEADER2_OFF (128 * 1024)
#define VHDX_HEADER_SIZE 4096
#define VHDX_REGION1_OFF (192 * 1024)
#define VHDX_REGION2_OFF (256 * 1024)
#define VHDX_REGION_SIZE (64 * 1024)
#define VHDX_REGION_MAX_ENTRIES 2047
#define VHDX_METADATA_TABLE_SIZE (64 * 1024)
#define VHDX_METADATA_MAX_ENTRIES 2047
/* Everything up to here is the fixed header area. */
#define VHDX_HEADER_AREA VHDX_MiB

/* Header fields. */
#define VHDX_HDR_CHECKSUM 4
#define VHDX_HDR_SEQUENCE 8
#define VHDX_HDR_FILE_WRITE_GUID 16
#define VHDX_HDR_DATA_WRITE_GUID 32
#define VHDX_HDR_LOG_GUID 48
#define VHDX_HDR_LOG_VERSION 64
#define VHDX_HDR_VERSION 66
#define VHDX_HDR_LOG_LENGTH 68
#define VHDX_HDR_LOG_OFFSET 72

/* Block sizes the spec allows: 1 MiB to 256 MiB, a power of two. */
#define VHDX_MIN_BLOCK_SIZE VHDX_MiB
#define VHDX_MAX_BLOCK_SIZE (256 * VHDX_MiB)
/* The largest virtual disk the spec allows: 64 TiB. */
#define VHDX_MAX_SIZE (64ull * 1024 * 1024 * VHDX_MiB)
/* The largest BAT nimbus keeps in memory (16M entries: 16 TiB of 1 MiB
 * blocks, 64 TiB of qemu-img's default 32 MiB ones). */
#define VHDX_MAX_BAT_BYTES (128 * VHDX_MiB)

/* BAT entries [MS-VHDX 2.5.1]: state in bits 0-2, offset in MiB from
 * bit 20 on. */
#define VHDX_BAT_STATE_MASK 7ull
#define VHDX_BAT_RESERVED_MASK 0xffff8ull
#define VHDX_BAT_OFFSET_SHIFT 20
#define VHDX_PAYLOAD_NOT_PRESENT 0
#define VHDX_PAYLOAD_UNDEFINED 1
#define VHDX_PAYLOAD_ZERO 2
#define VHDX_PAYLOAD_UNMAPPED 3
#define VHDX_PAYLOAD_FULLY_PRESENT 6
#define VHDX_PAYLOAD_PARTIALLY_PRESENT 7
#define VHDX_SB_NOT_PRESENT 0
#define VHDX_SB_PRESENT 6

/* A region of the file (BAT, metadata, log): offset and length. */
typedef struct {
    uint64_t off;
    uint64_t len;
} VhdxRange;

/**
 * VhdxMeta:
 * What vhdx_meta_parse() found, checked: every range lies inside the
 * file and apart from the others.
 */
typedef struct {
    unsigned header;            /* 0 or 1: the current header */
    uint8_t header_buf[VHDX_HEADER_SIZE];   /* its bytes, as in the file */
    uint64_t sequence;
    VhdxRange bat;
    VhdxRange metadata;
    VhdxRange log;
    uint32_t block_size;
    bool leave_blocks_allocated;
    uint64_t size;              /* virtual disk size */
    uint32_t logical_sector;
    uint32_t physical_sector;
    uint64_t chunk_ratio;       /* payload blocks per sector bitmap block */
    uint64_t data_blocks;
    uint64_t bat_entries;       /* payload entries + bitmap entries */
} VhdxMeta;

/* Reads @len bytes at @off of the image into @buf: 0, -EIO past the end
 * of the file, or -errno.  The parser reads through it only. */
typedef int (*VhdxReadFn)(void *opaque, void *buf, uint64_t len,
                          uint64_t off);

/**
 * vhdx_meta_parse:
 * Reads and checks the structures of a VHDX image @file_size bytes long
 * through @read: the file type identifier, both headers (CRC-32C; the
 * valid one with the higher sequence number is current), the region
 * table (the first copy with a good CRC-32C), the metadata table and its
 * items (file parameters, virtual disk size, sector sizes; unknown
 * required items are refused).  A non-empty log (LogGuid set: the image
 * was not closed cleanly) and differencing images (has parent) are
 * refused with G_IO_ERROR_NOT_SUPPORTED naming the reason; damage is
 * G_IO_ERROR_INVALID_DATA.  @path only names the image in errors.  No
 * I/O but @read, so the fuzz target runs it on any bytes.
 */
bool vhdx_meta_parse(VhdxReadFn read, void *opaque, uint64_t file_size,
                     const char *path, VhdxMeta *m, GError **error);

/**
 * vhdx_bat_check:
 * Checks the @m->bat_entries entries at @bat (little-endian, as in the
 * file): known states for payload and sector bitmap entries, no
 * PARTIALLY_PRESENT block (only differencing images have them), no
 * reserved bits, and every allocated block inside the file and off the
 * header area, the BAT, the metadata region and the log.  Pure.
 */
bool vhdx_bat_check(const VhdxMeta *m, const uint8_t *bat, uint64_t file_size,
                    const char *path, GError **error);

/* CRC-32C of @len bytes at @buf, continuing @crc (start with 0). */
uint32_t vhdx_crc32c(uint32_t crc, const void *buf, size_t len);

static inline uint16_t
vhdx_le16(const uint8_t *p)
{
    return (uint16_t)(p[0] | (p[1] << 8));
}

static inline uint32_t
vhdx_le32(const uint8_t *p)
{
    return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) |
           ((uint32_t)p[3] << 24);
}

static inline uint64_t
vhdx_le64(const uint8_t *p)
{
    return (uint64_t)vhdx_le32(p) | ((uint64_t)vhdx_le32(p + 4) << 32);
}

static inline void
vhdx_put_le32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++, v >>= 8)
        p[i] = (uint8_t)v;
}

static inline void
vhdx_put_le64(uint8_t *p, uint64_t v)
{
    for (int i = 0; i < 8; i++, v >>= 8)
        p[i] = (uint8_t)v;
}
