/* SPDX-License-Identifier: Apache-2.0 */
/* One domain's snapshot tree: shared by snapshot.c and snapshot-revert.c. */
#pragma once

#include <stdbool.h>
#include <glib.h>

#include "driver/driver.h"
#include "driver/snapshot-def.h"

/* One domain's snapshots as read from its directory; read and changed
 * only while the caller holds the domain's lock (and job, to change). */
typedef struct {
    char *dir;              /* <config_dir>/snapshot/<domain> */
    GPtrArray *all;         /* DrvSnapshotDef, by creation time */
    char *current;          /* nullable */
} DrvSnapshotTree;

void drv_snapshot_tree_free(DrvSnapshotTree *t);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(DrvSnapshotTree, drv_snapshot_tree_free)

/* (transfer full) */
DrvSnapshotTree *drv_snapshot_tree_load(DrvDriver *driver, const char *domain,
                                        GError **error);
/* (transfer none) NULL when absent; _get sets NO_DOMAIN_SNAPSHOT. */
DrvSnapshotDef *drv_snapshot_tree_find(DrvSnapshotTree *t, const char *name);
DrvSnapshotDef *drv_snapshot_tree_get(DrvSnapshotTree *t, const char *name,
                                      GError **error);
/* Appends to @out the names of @parent's children (NULL: the roots) that
 * pass the list @flags, each followed by its subtree when @recurse. */
void drv_snapshot_tree_walk(DrvSnapshotTree *t, const char *parent,
                            bool recurse, unsigned int flags, GPtrArray *out);
/* The image path of disk @target of @dom, or NULL (transfer full). */
char *drv_snapshot_disk_path(const DomainDef *dom, const char *target);
