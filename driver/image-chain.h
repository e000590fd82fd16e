/* SPDX-License-Identifier: Apache-2.0 */
/* A disk image backing chain, from the image headers (live <backingStore>). */
#pragma once

#include <glib.h>

/**
 * drv_image_chain_read:
 * A DomainBackingReader (driver/xml/domain-conf.h): follows the backing
 * files that image @path of format @format names, as nimbus opens them
 * (devices/block/qcow2.c): a relative name is joined to the directory of
 * the image naming it, the format is the header's backing format, else
 * probed as nimbus probes it; at most BLOCK_FORMAT_MAX_CHAIN images.
 * Errors name the image: unreadable, a damaged header (the parser nimbus
 * itself uses), a backing format nimbus does not open, a chain too long
 * (a loop).  @data is unused.
 * Returns: (transfer full) a GPtrArray of DomainDiskBacking, the backing
 * file of @path first; NULL with @error set.
 */
GPtrArray *drv_image_chain_read(const char *path, const char *format,
                                gpointer data, GError **error);
