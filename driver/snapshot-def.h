/* SPDX-License-Identifier: Apache-2.0 */
/* libvirt's <domainsnapshot> XML and its store under <config_dir>/snapshot. */
#pragma once

#include <stdbool.h>
#include <glib.h>

/* libvirt's snapshot states that a nimbusd snapshot can have. */
typedef enum {
    DRV_SNAPSHOT_STATE_RUNNING,
    DRV_SNAPSHOT_STATE_PAUSED,
    DRV_SNAPSHOT_STATE_SHUTOFF,
    DRV_SNAPSHOT_STATE_LAST
} DrvSnapshotState;

typedef struct {
    char *name;                 /* the disk's target ("vda") */
    bool snapshot;              /* snapshot='internal' (true) or 'no' */
} DrvSnapshotDisk;

void drv_snapshot_disk_free(DrvSnapshotDisk *disk);

/*
 * One snapshot.  Immutable once stored, except @parent, which a delete of
 * its parent rewrites; the driver serialises all changes per domain.
 */
typedef struct {
    char *name;
    char *description;          /* nullable */
    DrvSnapshotState state;
    gint64 creation_time;       /* seconds since the epoch */
    char *parent;               /* nullable: a root */
    bool memory;                /* <memory snapshot='internal'> vs 'no' */
    bool memory_given;          /* parsed: the XML had <memory> */
    bool domain_given;          /* parsed: the XML had <domain> */
    GPtrArray *disks;           /* DrvSnapshotDisk, in the domain's order */
    char *domain_xml;           /* the <domain> at creation; nullable in
                                 * what a client sends */
} DrvSnapshotDef;

void drv_snapshot_def_free(DrvSnapshotDef *def);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(DrvSnapshotDef, drv_snapshot_def_free)

/* Parse a stored file: every element is required and kept.  Without it,
 * the XML is a client's (SNAPSHOT_CREATE_XML): only name, description,
 * memory and disks, since the rest is for REDEFINE. */
#define DRV_SNAPSHOT_PARSE_STORED (1u << 0)

/**
 * drv_snapshot_def_parse:
 * Parses <domainsnapshot>; unknown elements, bad names and memory or disk
 * modes other than 'internal'/'no' are refused (DRV_ERROR_XML_ERROR or
 * _CONFIG_UNSUPPORTED).  (transfer full)
 */
DrvSnapshotDef *drv_snapshot_def_parse(const char *xml, unsigned int flags,
                                       GError **error);
/* The XML, libvirt's element order; @domain_xml (nullable) replaces the
 * stored domain (the dumpxml of another security level).  (transfer full) */
char *drv_snapshot_def_format(const DrvSnapshotDef *def,
                              const char *domain_xml);

/* A snapshot name: non-empty, at most 200 bytes, printable, no '/', not
 * starting with '.' (it names files). */
bool drv_snapshot_name_check(const char *name, GError **error);
const char *drv_snapshot_state_to_string(DrvSnapshotState state);

/* ---- the store: <dir>/<name>.xml, <dir>/<name>.vm/, <dir>/current -- */

/* <config_dir>/snapshot/<domain> (transfer full). */
char *drv_snapshot_dir(const char *config_dir, const char *domain);
/* <dir>/<name>.xml, <dir>/<name>.vm (transfer full). */
char *drv_snapshot_xml_path(const char *dir, const char *name);
char *drv_snapshot_data_path(const char *dir, const char *name);

/* Writes <dir>/<name>.xml atomically (temp, fsync, rename), creating
 * @dir (0700) as needed. */
bool drv_snapshot_def_store(const char *dir, const DrvSnapshotDef *def,
                            GError **error);
/* Every snapshot of @dir sorted by creation time, then name; an absent
 * @dir has none.  A file that does not parse is an error that names it.
 * (transfer full) array of DrvSnapshotDef. */
GPtrArray *drv_snapshot_load_all(const char *dir, GError **error);

/* The current snapshot's name, or NULL when none (transfer full). */
char *drv_snapshot_current_get(const char *dir);
/* Sets (@name) or clears (NULL) the current marker, atomically. */
bool drv_snapshot_current_set(const char *dir, const char *name,
                              GError **error);
