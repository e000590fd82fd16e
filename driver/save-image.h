/* SPDX-License-Identifier: Apache-2.0 */
/* nimbusd's save-image file: a header with the domain XML, then a snapshot. */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <glib.h>

/*
 * The layout is described in docs/save-image.md.  All integers are
 * big-endian.
 *
 *   0  char  magic[16]  DRV_SAVE_MAGIC
 *  16  u32   version    DRV_SAVE_VERSION
 *  20  u32   flags      DRV_SAVE_IMAGE_*
 *  24  u32   xml_len    1..DRV_SAVE_XML_MAX
 *  28  u32   reserved   0
 *  32  char  xml[xml_len]          (no NUL)
 *      u8    digest[32]            SHA-256 of every byte before it
 *  then one entry per file of the VMM snapshot directory:
 *      u32 name_len; char name[name_len]; u64 size; u8 data[size];
 *      u8 digest[32] (SHA-256 of data)
 *  and an end entry: u32 name_len = 0.
 */
#define DRV_SAVE_MAGIC "NimbusSaveImage\n"
#define DRV_SAVE_MAGIC_LEN 16
#define DRV_SAVE_VERSION 1u
#define DRV_SAVE_HEADER_FIXED 32u
#define DRV_SAVE_DIGEST_LEN 32u
/* REMOTE_STRING_MAX: the XML must fit in one RPC string. */
#define DRV_SAVE_XML_MAX (4u * 1024 * 1024)
/* A snapshot directory holds config.json, state.json, memory-ranges. */
#define DRV_SAVE_MAX_ENTRIES 64u
#define DRV_SAVE_NAME_MAX 255u

/* The domain was running when saved: restore resumes it by default. */
#define DRV_SAVE_IMAGE_RUNNING (1u << 0)
#define DRV_SAVE_IMAGE_KNOWN_FLAGS DRV_SAVE_IMAGE_RUNNING

typedef struct {
    uint32_t version;
    uint32_t flags;             /* DRV_SAVE_IMAGE_* */
    char *xml;                  /* the domain XML (NUL-terminated copy) */
    uint64_t data_offset;       /* where the first entry starts */
} DrvSaveHeader;

void drv_save_header_free(DrvSaveHeader *hdr);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(DrvSaveHeader, drv_save_header_free)

/**
 * drv_save_header_parse:
 * Parses the header at the start of @data (@len bytes: at least the whole
 * header, more is ignored).  Refuses a wrong magic, a newer version,
 * unknown flags, a bad length, an XML with a NUL or a digest mismatch,
 * each with an error naming it.  (transfer full)
 */
DrvSaveHeader *drv_save_header_parse(const guint8 *data, gsize len,
                                     GError **error);

/**
 * drv_save_image_read_header:
 * Reads and checks the header of the file at @path.  (transfer full)
 */
DrvSaveHeader *drv_save_image_read_header(const char *path, GError **error);

/**
 * drv_save_image_write:
 * Writes a save image at @path: @xml and @flags in the header, then every
 * regular file of @snapshot_dir.  Written to a temporary file next to
 * @path, synced, then renamed over it, so @path is either the old file
 * or the complete new one.  @drop_cache: advise the kernel to drop the
 * file's pages once synced (VIR_DOMAIN_SAVE_BYPASS_CACHE).
 */
bool drv_save_image_write(const char *path, const char *xml, uint32_t flags,
                          const char *snapshot_dir, bool drop_cache,
                          GError **error);

/**
 * drv_save_image_unpack:
 * Checks the header of @path and extracts its snapshot into the empty
 * directory @dir, checking each file's digest and that the image ends
 * where its end entry says.  On failure @dir may hold partial files; the
 * caller removes it.  (transfer full) header, or NULL.
 */
DrvSaveHeader *drv_save_image_unpack(const char *path, const char *dir,
                                     GError **error);

/**
 * drv_save_image_rewrite:
 * Replaces the XML and flags of the image at @path, keeping its snapshot
 * bytes as they are (their digests are checked at restore), through a
 * temporary file and a rename.
 */
bool drv_save_image_rewrite(const char *path, const char *xml, uint32_t flags,
                            GError **error);

/* Removes @dir and the regular files directly in it (best effort). */
void drv_save_remove_dir(const char *dir);
