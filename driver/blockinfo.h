/* SPDX-License-Identifier: Apache-2.0 */
/* virDomainGetBlockInfo (virsh domblkinfo): a disk's sizes on the host. */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <glib.h>

#include "driver/domain.h"

/* virDomainBlockInfo's fields, in bytes. */
typedef struct {
    uint64_t capacity;      /* the virtual disk the guest sees */
    uint64_t allocation;    /* host storage the image occupies ('du') */
    uint64_t physical;      /* the image file's size ('ls') */
} DrvBlockInfo;

/**
 * drv_image_block_info:
 * The sizes of image @path of format @format (libvirt's names: "raw",
 * "qcow2", "vpc", "vhdx"): capacity from the image header, read with the
 * VMM's own parsers (a raw image's is its size), allocation from the
 * blocks the file has, physical from its size; a block device's end is
 * all three of a raw one.  Errors name the image.
 */
bool drv_image_block_info(const char *path, const char *format,
                          DrvBlockInfo *info, GError **error);

/**
 * drv_domain_get_block_info:
 * virDomainGetBlockInfo: the sizes of the image of disk @disk (target dev
 * or source path) of @obj, from the live definition while it runs, else
 * from the persistent one.  @flags must be 0, as in libvirt.
 */
bool drv_domain_get_block_info(DrvDomainObj *obj, const char *disk,
                               unsigned int flags, DrvBlockInfo *info,
                               GError **error);
