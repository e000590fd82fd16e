/* SPDX-License-Identifier: Apache-2.0 */
/* VHD (Virtual PC / Hyper-V v1) footer layout and its parser. */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <glib.h>

/*
 * Microsoft "Virtual Hard Disk Image Format Specification" v1.0: every
 * VHD ends in a 512-byte footer (big-endian fields); a fixed VHD is the
 * raw disk followed by that footer, and a dynamic or differencing one
 * also keeps a copy of it at offset 0.
 */
#define VHD_FOOTER_SIZE 512
#define VHD_COOKIE "conectix"
#define VHD_COOKIE_LEN 8
#define VHD_VERSION 0x00010000u

/* Footer field offsets. */
#define VHD_OFF_FEATURES 8
#define VHD_OFF_VERSION 12
#define VHD_OFF_DATA_OFFSET 16
#define VHD_OFF_CREATOR_APP 28
#define VHD_OFF_ORIG_SIZE 40
#define VHD_OFF_CUR_SIZE 48
#define VHD_OFF_GEOMETRY 56
#define VHD_OFF_DISK_TYPE 60
#define VHD_OFF_CHECKSUM 64

#define VHD_TYPE_FIXED 2
#define VHD_TYPE_DYNAMIC 3
#define VHD_TYPE_DIFFERENCING 4

typedef struct {
    uint32_t disk_type;
    uint64_t current_size;   /* the virtual disk, in bytes */
} VhdFooter;

/**
 * vhd_footer_parse:
 * Checks the footer at @buf (VHD_FOOTER_SIZE bytes) of a file @file_size
 * bytes long: the cookie, the checksum, the format version, the disk
 * type (fixed only: dynamic and differencing images are refused with
 * G_IO_ERROR_NOT_SUPPORTED) and a current size that fits in front of the
 * footer.  @path only names the image in errors (G_IO_ERROR_INVALID_DATA
 * for a damaged footer).  Pure, so the fuzz target runs it on any bytes.
 */
bool vhd_footer_parse(const uint8_t *buf, uint64_t file_size,
                      const char *path, VhdFooter *f, GError **error);
