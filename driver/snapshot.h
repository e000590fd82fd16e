/* SPDX-License-Identifier: Apache-2.0 */
/* libvirt's domain snapshot API on nimbus snapshots and disk copies. */
#pragma once

#include <stdbool.h>
#include <glib.h>

#include "driver/driver.h"

/* virDomainSnapshotCreateFlags (libvirt's values). */
#define DRV_SNAPSHOT_CREATE_REDEFINE    (1u << 0)
#define DRV_SNAPSHOT_CREATE_CURRENT     (1u << 1)
#define DRV_SNAPSHOT_CREATE_NO_METADATA (1u << 2)
#define DRV_SNAPSHOT_CREATE_HALT        (1u << 3)
#define DRV_SNAPSHOT_CREATE_DISK_ONLY   (1u << 4)
#define DRV_SNAPSHOT_CREATE_REUSE_EXT   (1u << 5)
#define DRV_SNAPSHOT_CREATE_QUIESCE     (1u << 6)
#define DRV_SNAPSHOT_CREATE_ATOMIC      (1u << 7)
#define DRV_SNAPSHOT_CREATE_LIVE        (1u << 8)
#define DRV_SNAPSHOT_CREATE_VALIDATE    (1u << 9)

/* virDomainSnapshotListFlags. */
#define DRV_SNAPSHOT_LIST_ROOTS       (1u << 0)   /* domain lists */
#define DRV_SNAPSHOT_LIST_DESCENDANTS (1u << 0)   /* children lists */
#define DRV_SNAPSHOT_LIST_METADATA    (1u << 1)
#define DRV_SNAPSHOT_LIST_LEAVES      (1u << 2)
#define DRV_SNAPSHOT_LIST_NO_LEAVES   (1u << 3)
#define DRV_SNAPSHOT_LIST_NO_METADATA (1u << 4)
#define DRV_SNAPSHOT_LIST_INACTIVE    (1u << 5)
#define DRV_SNAPSHOT_LIST_ACTIVE      (1u << 6)
#define DRV_SNAPSHOT_LIST_DISK_ONLY   (1u << 7)
#define DRV_SNAPSHOT_LIST_INTERNAL    (1u << 8)
#define DRV_SNAPSHOT_LIST_EXTERNAL    (1u << 9)
#define DRV_SNAPSHOT_LIST_TOPOLOGICAL (1u << 10)

/* virDomainSnapshotRevertFlags, virDomainSnapshotDeleteFlags,
 * virDomainSnapshotXMLFlags. */
#define DRV_SNAPSHOT_REVERT_RUNNING     (1u << 0)
#define DRV_SNAPSHOT_REVERT_PAUSED      (1u << 1)
#define DRV_SNAPSHOT_REVERT_FORCE       (1u << 2)
#define DRV_SNAPSHOT_DELETE_CHILDREN      (1u << 0)
#define DRV_SNAPSHOT_DELETE_METADATA_ONLY (1u << 1)
#define DRV_SNAPSHOT_DELETE_CHILDREN_ONLY (1u << 2)
#define DRV_SNAPSHOT_XML_SECURE (1u << 0)

/**
 * drv_snapshot_create:
 * virDomainSnapshotCreateXML: a running or paused domain is paused,
 * snapshotted by nimbus and its disks copied, then resumed if it ran; a
 * shut-off domain gets its disks copied.  Returns the new snapshot's name
 * (transfer full); on failure nothing is left and the domain is as it was.
 */
char *drv_snapshot_create(DrvDriver *driver, DrvDomainObj *obj,
                          const char *xml, unsigned int flags, GError **error);

/**
 * drv_snapshot_list:
 * The names of @obj's snapshots, parents before children, filtered by
 * @flags (virDomainSnapshotListFlags).  @from (nullable): only its
 * children (with DESCENDANTS all its descendants).  (transfer full)
 */
GPtrArray *drv_snapshot_list(DrvDriver *driver, DrvDomainObj *obj,
                             const char *from, unsigned int flags,
                             const char *api, GError **error);

/* NO_DOMAIN_SNAPSHOT when @obj has no snapshot @name. */
bool drv_snapshot_lookup(DrvDriver *driver, DrvDomainObj *obj,
                         const char *name, GError **error);
char *drv_snapshot_get_xml(DrvDriver *driver, DrvDomainObj *obj,
                           const char *name, unsigned int flags,
                           GError **error);
/* The current snapshot's name; NULL with NO_DOMAIN_SNAPSHOT when none
 * (and *@none true, for HAS_CURRENT_SNAPSHOT's answer). */
char *drv_snapshot_current(DrvDriver *driver, DrvDomainObj *obj, bool *none,
                           GError **error);
char *drv_snapshot_get_parent(DrvDriver *driver, DrvDomainObj *obj,
                              const char *name, GError **error);
/* 1 or 0; -1 with @error. */
int drv_snapshot_is_current(DrvDriver *driver, DrvDomainObj *obj,
                            const char *name, GError **error);

bool drv_snapshot_delete(DrvDriver *driver, DrvDomainObj *obj,
                         const char *name, unsigned int flags, GError **error);
bool drv_snapshot_revert(DrvDriver *driver, DrvDomainObj *obj,
                         const char *name, unsigned int flags, GError **error);

/**
 * drv_snapshot_undefine:
 * For undefine (obj locked): a shut-off domain with snapshots is refused
 * unless @flags has DRV_DOMAIN_UNDEFINE_SNAPSHOTS_METADATA, which removes
 * them, metadata and data; a running domain keeps them (libvirt's rule:
 * it lives on as a transient domain).
 */
bool drv_snapshot_undefine(DrvDriver *driver, DrvDomainObj *obj,
                           unsigned int flags, GError **error);
