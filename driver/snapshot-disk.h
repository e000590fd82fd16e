/* SPDX-License-Identifier: Apache-2.0 */
/* Whole-file copies of disk images for domain snapshots. */
#pragma once

#include <stdbool.h>
#include <glib.h>

/**
 * drv_snapshot_copy_file:
 * Copies @src to @dst, which must not exist (O_EXCL), with @src's mode,
 * then fsyncs @dst.  copy_file_range() lets the file system share or
 * clone extents where it can; read/write is the fallback where it cannot
 * (another file system, or none of its support).  On failure @dst is
 * removed.
 */
bool drv_snapshot_copy_file(const char *src, const char *dst, GError **error);

/**
 * drv_snapshot_replace_file:
 * Puts a copy of @src in place of @dst: copied next to @dst under a
 * temporary name, then renamed over it, so that @dst is either the old
 * file or the whole copy.
 */
bool drv_snapshot_replace_file(const char *src, const char *dst,
                               GError **error);

/* fsync() of a directory, so that renames and new entries in it last. */
bool drv_snapshot_sync_dir(const char *dir, GError **error);

/* Removes @path and everything under it; a missing @path is fine.  Errors
 * are logged: this runs on paths that are being given up. */
void drv_snapshot_remove_tree(const char *path);
