/* SPDX-License-Identifier: Apache-2.0 */
/* Deleting and reverting to domain snapshots, and undefine's part. */
#include <config.h>

#include <errno.h>
#include <string.h>
#include <gio/gio.h>
#include <glib/gstdio.h>

#include "driver/process.h"
#include "driver/snapshot-disk.h"
#include "driver/snapshot-priv.h"
#include "driver/snapshot.h"

/* The layout and the rules of the store: driver/snapshot.c. */

/* ---- delete -------------------------------------------------------- */

/* @name's descendants, deepest last (transfer full, names borrowed). */
static GPtrArray *
drv_snapshot_descendants(DrvSnapshotTree *t, const char *name)
{
    GPtrArray *out = g_ptr_array_new_with_free_func(g_free);

    drv_snapshot_tree_walk(t, name, true, 0, out);
    return out;
}

static bool
drv_snapshot_remove_one(DrvSnapshotTree *t, const char *name, bool data,
                        GError **error)
{
    g_autofree char *xml = drv_snapshot_xml_path(t->dir, name);
    g_autofree char *dpath = drv_snapshot_data_path(t->dir, name);

    if (g_unlink(xml) < 0 && errno != ENOENT) {
        g_set_error(error, G_IO_ERROR, g_io_error_from_errno(errno),
                    "cannot remove '%s': %s", xml, g_strerror(errno));
        return false;
    }
    if (data)
        drv_snapshot_remove_tree(dpath);
    return true;
}

static bool
drv_snapshot_delete_locked(DrvDriver *driver, DrvDomainObj *obj,
                           const char *name, unsigned int flags, GError **error)
{
    g_autoptr(DrvSnapshotTree) t = drv_snapshot_tree_load(driver, obj->name,
                                                          error);
    g_autoptr(GPtrArray) victims = NULL;
    g_autofree char *new_current = NULL;
    bool data = !(flags & DRV_SNAPSHOT_DELETE_METADATA_ONLY);
    bool current_gone = false;
    DrvSnapshotDef *def;

    if (!t || !(def = drv_snapshot_tree_get(t, name, error)))
        return false;
    victims = (flags & (DRV_SNAPSHOT_DELETE_CHILDREN |
                        DRV_SNAPSHOT_DELETE_CHILDREN_ONLY)) ?
              drv_snapshot_descendants(t, name) :
              g_ptr_array_new_with_free_func(g_free);
    if (!(flags & DRV_SNAPSHOT_DELETE_CHILDREN_ONLY))
        g_ptr_array_add(victims, g_strdup(name));
    for (guint i = 0; i < victims->len; i++)
        current_gone |= g_strcmp0(t->current, victims->pdata[i]) == 0;
    /* The current snapshot moves up to what survives above it. */
    if (current_gone)
        new_current = (flags & DRV_SNAPSHOT_DELETE_CHILDREN_ONLY) ?
                      g_strdup(name) : g_strdup(def->parent);
    if (!(flags & (DRV_SNAPSHOT_DELETE_CHILDREN |
                   DRV_SNAPSHOT_DELETE_CHILDREN_ONLY))) {
        /* Its children now hang from its parent. */
        for (guint i = 0; i < t->all->len; i++) {
            DrvSnapshotDef *c = g_ptr_array_index(t->all, i);

            if (g_strcmp0(c->parent, name) != 0)
                continue;
            g_free(c->parent);
            c->parent = g_strdup(def->parent);
            if (!drv_snapshot_def_store(t->dir, c, error))
                return false;
        }
    }
    /* Deepest first, so that no file ever names a missing parent. */
    for (guint i = victims->len; i > 0; i--) {
        if (!drv_snapshot_remove_one(t, victims->pdata[i - 1], data, error))
            return false;
    }
    return !current_gone ||
           drv_snapshot_current_set(t->dir, new_current, error);
}

bool
drv_snapshot_delete(DrvDriver *driver, DrvDomainObj *obj, const char *name,
                    unsigned int flags, GError **error)
{
    bool ok = false;

    if (!drv_check_flags(flags, DRV_SNAPSHOT_DELETE_CHILDREN |
                         DRV_SNAPSHOT_DELETE_METADATA_ONLY |
                         DRV_SNAPSHOT_DELETE_CHILDREN_ONLY,
                         "virDomainSnapshotDelete", error))
        return false;
    if ((flags & DRV_SNAPSHOT_DELETE_CHILDREN) &&
        (flags & DRV_SNAPSHOT_DELETE_CHILDREN_ONLY)) {
        g_set_error_literal(error, DRV_ERROR, DRV_ERROR_INVALID_ARG,
                            "flags 'children' and 'children-only' are "
                            "mutually exclusive");
        return false;
    }
    drv_domain_obj_lock(obj);
    if (drv_domain_job_begin(obj, "snapshot-delete", error)) {
        ok = drv_snapshot_delete_locked(driver, obj, name, flags, error);
        drv_domain_job_end(obj);
    }
    drv_domain_obj_unlock(obj);
    return ok;
}

/* ---- revert -------------------------------------------------------- */

/* Puts the copies back over the disks of @dom (the domain is stopped). */
static bool
drv_snapshot_copy_disks_in(const DrvSnapshotDef *def, const DomainDef *dom,
                           const char *data, GError **error)
{
    for (guint i = 0; i < def->disks->len; i++) {
        DrvSnapshotDisk *d = g_ptr_array_index(def->disks, i);
        g_autofree char *src = NULL;
        g_autofree char *dst = NULL;

        if (!d->snapshot)
            continue;
        src = g_build_filename(data, "disks", d->name, NULL);
        dst = drv_snapshot_disk_path(dom, d->name);
        if (!dst) {
            g_set_error(error, DRV_ERROR, DRV_ERROR_INTERNAL_ERROR,
                        "snapshot '%s' has no path for disk '%s'", def->name,
                        d->name);
            return false;
        }
        if (!drv_snapshot_replace_file(src, dst, error))
            return false;
    }
    return true;
}

/* Everything revert needs is there, before anything is stopped. */
static bool
drv_snapshot_revert_check(const DrvSnapshotDef *def, const DomainDef *dom,
                          const char *data, GError **error)
{
    g_autofree char *mem = g_build_filename(data, "memory", NULL);

    if (def->memory && !g_file_test(mem, G_FILE_TEST_IS_DIR)) {
        g_set_error(error, DRV_ERROR, DRV_ERROR_OPERATION_INVALID,
                    "snapshot '%s' has no memory image at '%s'", def->name,
                    mem);
        return false;
    }
    for (guint i = 0; i < def->disks->len; i++) {
        DrvSnapshotDisk *d = g_ptr_array_index(def->disks, i);
        g_autofree char *src = NULL;
        g_autofree char *dst = NULL;

        if (!d->snapshot)
            continue;
        src = g_build_filename(data, "disks", d->name, NULL);
        dst = drv_snapshot_disk_path(dom, d->name);
        if (!dst || !g_file_test(src, G_FILE_TEST_IS_REGULAR)) {
            g_set_error(error, DRV_ERROR, DRV_ERROR_OPERATION_INVALID,
                        "snapshot '%s' lacks the copy of disk '%s'",
                        def->name, d->name);
            return false;
        }
    }
    return true;
}

static bool
drv_snapshot_revert_locked(DrvDriver *driver, DrvDomainObj *obj,
                           const char *name, unsigned int flags, GError **error)
{
    g_autoptr(DrvSnapshotTree) t = drv_snapshot_tree_load(driver, obj->name,
                                                          error);
    g_autoptr(DomainDef) dom = NULL;
    g_autofree char *data = NULL;
    g_autofree char *mem = NULL;
    DrvSnapshotDef *def;
    bool paused;

    if (!t || !(def = drv_snapshot_tree_get(t, name, error)))
        return false;
    if (!drv_domain_obj_is_persistent(obj)) {
        /* Stopping a transient domain would remove it. */
        g_set_error_literal(error, DRV_ERROR, DRV_ERROR_OPERATION_INVALID,
                            "cannot revert a transient domain to a snapshot");
        return false;
    }
    dom = domain_def_parse_string(def->domain_xml, def->memory ? 0 :
                                  DOMAIN_DEF_PARSE_INACTIVE, error);
    data = drv_snapshot_data_path(t->dir, name);
    mem = g_build_filename(data, "memory", NULL);
    if (!dom || !drv_snapshot_revert_check(def, dom, data, error))
        return false;
    if (drv_domain_obj_is_active(obj) && obj->proc) {
        if (!drv_process_kill(driver, obj, false, error))
            return false;
        drv_process_stop(driver, obj, DRV_SHUTOFF_FROM_SNAPSHOT);
    }
    if (!drv_snapshot_copy_disks_in(def, dom, data, error))
        return false;
    paused = (flags & DRV_SNAPSHOT_REVERT_PAUSED) ||
             (!(flags & DRV_SNAPSHOT_REVERT_RUNNING) &&
              def->state == DRV_SNAPSHOT_STATE_PAUSED);
    if (def->memory) {
        if (!drv_process_start_restore(driver, obj, g_steal_pointer(&dom),
                                       mem, paused,
                                       DRV_EVENT_STARTED_FROM_SNAPSHOT,
                                       error))
            return false;
    } else if (flags & (DRV_SNAPSHOT_REVERT_RUNNING |
                        DRV_SNAPSHOT_REVERT_PAUSED)) {
        /* A shut-off snapshot boots only when asked to. */
        g_autoptr(DomainDef) boot = domain_def_copy(obj->def);

        if (!drv_process_start(driver, obj, g_steal_pointer(&boot), paused,
                               error))
            return false;
    }
    return drv_snapshot_current_set(t->dir, name, error);
}

bool
drv_snapshot_revert(DrvDriver *driver, DrvDomainObj *obj, const char *name,
                    unsigned int flags, GError **error)
{
    bool ok = false;

    /* FORCE allows risky reverts; none of ours is. */
    if (!drv_check_flags(flags, DRV_SNAPSHOT_REVERT_RUNNING |
                         DRV_SNAPSHOT_REVERT_PAUSED |
                         DRV_SNAPSHOT_REVERT_FORCE,
                         "virDomainRevertToSnapshot", error))
        return false;
    if ((flags & DRV_SNAPSHOT_REVERT_RUNNING) &&
        (flags & DRV_SNAPSHOT_REVERT_PAUSED)) {
        g_set_error_literal(error, DRV_ERROR, DRV_ERROR_INVALID_ARG,
                            "flags 'running' and 'paused' are mutually "
                            "exclusive");
        return false;
    }
    drv_domain_obj_lock(obj);
    if (drv_domain_job_begin(obj, "snapshot-revert", error)) {
        ok = drv_snapshot_revert_locked(driver, obj, name, flags, error);
        drv_domain_job_end(obj);
    }
    drv_domain_obj_unlock(obj);
    return ok;
}

/* ---- undefine ------------------------------------------------------ */

bool
drv_snapshot_undefine(DrvDriver *driver, DrvDomainObj *obj, unsigned int flags,
                      GError **error)
{
    g_autoptr(DrvSnapshotTree) t = NULL;

    if (drv_domain_obj_is_active(obj))
        return true;
    if (!(t = drv_snapshot_tree_load(driver, obj->name, error)))
        return false;
    if (t->all->len && !(flags & DRV_DOMAIN_UNDEFINE_SNAPSHOTS_METADATA)) {
        g_set_error(error, DRV_ERROR, DRV_ERROR_OPERATION_INVALID,
                    "cannot delete inactive domain with %u snapshots",
                    t->all->len);
        return false;
    }
    for (guint i = t->all->len; i > 0; i--) {
        DrvSnapshotDef *d = g_ptr_array_index(t->all, i - 1);

        if (!drv_snapshot_remove_one(t, d->name, true, error))
            return false;
    }
    /* Data a metadata-only delete left goes too: nothing names it. */
    drv_snapshot_remove_tree(t->dir);
    return true;
}
