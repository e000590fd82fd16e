/* SPDX-License-Identifier: Apache-2.0 */
/* virDomainRename (DOMAIN_RENAME, 358): a shut-off domain's new name. */
#include <config.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <gio/gio.h>

#include "driver/domain-list.h"
#include "driver/rename.h"
#include "driver/save.h"
#include "driver/snapshot.h"
#include "driver/tpm.h"

/* The files keyed by the name, old and new (transfer: the struct's). */
typedef struct {
    char *xml[2];
    char *link[2];
    char *tpm[2];
} RenamePaths;

static void
rename_paths_clear(RenamePaths *p)
{
    for (int i = 0; i < 2; i++) {
        g_free(p->xml[i]);
        g_free(p->link[i]);
        g_free(p->tpm[i]);
    }
}
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(RenamePaths, rename_paths_clear)

static bool
rename_fail_errno(GError **error, const char *what, const char *from,
                  const char *to)
{
    int e = errno;

    g_set_error(error, G_IO_ERROR, g_io_error_from_errno(e),
                "cannot %s '%s' to '%s': %s", what, from, to, g_strerror(e));
    return false;
}

/* libvirt's refusals but the snapshots', in its order; @obj locked, job
 * held. */
static bool
rename_check(DrvDriver *driver, DrvDomainObj *obj, const char *new_name,
             GError **error)
{
    g_autofree char *save = NULL;

    if (drv_domain_obj_is_active(obj)) {
        g_set_error_literal(error, DRV_ERROR, DRV_ERROR_OPERATION_INVALID,
                            "cannot rename active domain");
        return false;
    }
    if (!drv_domain_obj_is_persistent(obj)) {
        g_set_error_literal(error, DRV_ERROR, DRV_ERROR_OPERATION_INVALID,
                            "cannot rename a transient domain");
        return false;
    }
    if (strcmp(obj->name, new_name) == 0) {
        g_set_error_literal(error, DRV_ERROR, DRV_ERROR_OPERATION_INVALID,
                            "Can't rename domain to itself");
        return false;
    }
    /* The image and the snapshot tree are filed under the name, and a
     * snapshot's XML embeds the domain definition with it. */
    save = drv_managed_save_path(driver, obj->name);
    if (g_file_test(save, G_FILE_TEST_EXISTS)) {
        g_set_error_literal(error, DRV_ERROR, DRV_ERROR_OPERATION_INVALID,
                            "domain with a managed saved state can't be "
                            "renamed");
        return false;
    }
    return true;
}

/* With @obj unlocked (drv_snapshot_list() locks it); the job keeps
 * snapshot-create out. */
static bool
rename_check_snapshots(DrvDriver *driver, DrvDomainObj *obj, GError **error)
{
    g_autoptr(GPtrArray) snaps = drv_snapshot_list(driver, obj, NULL, 0,
                                                   "virDomainRename", error);

    if (!snaps)
        return false;
    if (snaps->len) {
        g_set_error_literal(error, DRV_ERROR, DRV_ERROR_OPERATION_INVALID,
                            "cannot rename domain with snapshots");
        return false;
    }
    return true;
}

/* Puts back what rename_move_files() moved before a later step failed. */
static void
rename_undo_files(const RenamePaths *p, bool linked, bool moved)
{
    if (moved && rename(p->tpm[1], p->tpm[0]) < 0)
        g_warning("cannot move '%s' back to '%s': %s", p->tpm[1], p->tpm[0],
                  g_strerror(errno));
    if (linked)
        unlink(p->link[1]);
}

/* Moves the autostart link and the TPM state to the new name, then
 * removes the old definition; undoes what it did when a step fails.
 * The renamed definition is already written to p->xml[1]. */
static bool
rename_move_files(DrvDomainObj *obj, const RenamePaths *p, GError **error)
{
    bool linked = false, moved = false;

    if (obj->autostart) {
        if (symlink(p->xml[1], p->link[1]) < 0)
            return rename_fail_errno(error, "link", p->link[1], p->xml[1]);
        linked = true;
    }
    if (g_file_test(p->tpm[0], G_FILE_TEST_IS_DIR)) {
        /* rename(2) would replace an empty directory left by another
         * domain of that name: that state is not ours to take over. */
        if (g_file_test(p->tpm[1], G_FILE_TEST_EXISTS)) {
            g_set_error(error, DRV_ERROR, DRV_ERROR_OPERATION_FAILED,
                        "cannot move the TPM state to '%s': it exists",
                        p->tpm[1]);
            rename_undo_files(p, linked, moved);
            return false;
        }
        if (rename(p->tpm[0], p->tpm[1]) < 0) {
            rename_fail_errno(error, "move the TPM state", p->tpm[0],
                              p->tpm[1]);
            rename_undo_files(p, linked, moved);
            return false;
        }
        moved = true;
    }
    if (unlink(p->xml[0]) < 0 && errno != ENOENT) {
        g_set_error(error, G_IO_ERROR, g_io_error_from_errno(errno),
                    "cannot remove the old definition of '%s': %s",
                    obj->name, g_strerror(errno));
        rename_undo_files(p, linked, moved);
        return false;
    }
    /* The definition is gone, so the rename stands; a link left behind
     * would give a later domain of the old name autostart: say so. */
    if (obj->autostart && unlink(p->link[0]) < 0 && errno != ENOENT)
        g_warning("cannot remove '%s': %s", p->link[0], g_strerror(errno));
    return true;
}

typedef struct {
    DrvDriver *driver;
    DomainDef *def;             /* the renamed definition (transfer) */
    const RenamePaths *paths;
} RenameCommit;

/* Under the list lock and @obj's, once the new name was found free: the
 * new definition on disk, the other files moved, the old one gone. */
static bool
rename_commit(DrvDomainObj *obj, gpointer data, GError **error)
{
    RenameCommit *c = data;

    if (!drv_domain_save_config(c->driver, c->def, error))
        return false;
    if (!rename_move_files(obj, c->paths, error)) {
        unlink(c->paths->xml[1]);
        return false;
    }
    domain_def_free(obj->def);
    obj->def = g_steal_pointer(&c->def);
    return true;
}

/* A lifecycle event under @name (the domain's old one, for UNDEFINED). */
static void
rename_event(DrvDriver *driver, DrvDomainObj *obj, const char *name,
             int event, int detail)
{
    DrvDomainEvent ev = {
        .event_id = DRV_EVENT_ID_LIFECYCLE,
        .name = name,
        .uuid = obj->uuid,
        .id = obj->id,
        .event = event,
        .detail = detail,
    };

    if (driver->event_func)
        driver->event_func(&ev, driver->event_data);
}

bool
drv_domain_rename(DrvDriver *driver, DrvDomainObj *obj, const char *new_name,
                  unsigned int flags, GError **error)
{
    g_autoptr(DomainDef) def = NULL;
    g_auto(RenamePaths) p = { { NULL } };
    g_autofree char *old_name = NULL;
    RenameCommit commit = { driver, NULL, &p };
    bool ok = false;

    if (!drv_check_flags(flags, 0, "virDomainRename", error))
        return false;
    if (!new_name) {
        g_set_error_literal(error, DRV_ERROR, DRV_ERROR_INVALID_ARG,
                            "invalid argument: new_name in virDomainRename "
                            "must not be NULL");
        return false;
    }
    /* The same rule as define's and createXML's. */
    if (!domain_name_check(new_name, error))
        return false;
    drv_domain_obj_lock(obj);
    if (!drv_domain_job_begin(obj, "rename", error)) {
        drv_domain_obj_unlock(obj);
        return false;
    }
    if (!rename_check(driver, obj, new_name, error))
        goto cleanup;
    def = domain_def_copy(obj->def);
    g_free(def->name);
    def->name = g_strdup(new_name);
    old_name = g_strdup(obj->name);
    p.xml[0] = drv_config_domain_xml_path(driver->config, old_name);
    p.xml[1] = drv_config_domain_xml_path(driver->config, new_name);
    p.link[0] = drv_config_autostart_path(driver->config, old_name);
    p.link[1] = drv_config_autostart_path(driver->config, new_name);
    p.tpm[0] = drv_tpm_state_dir(driver, old_name);
    p.tpm[1] = drv_tpm_state_dir(driver, new_name);
    commit.def = def;

    /* The list claims the name (or refuses it) and the files move under
     * its lock, so that no define of either name slips in between.  Lock
     * order is list -> object: the object lock is dropped meanwhile, and
     * the job keeps the domain as it is. */
    drv_domain_obj_unlock(obj);
    ok = rename_check_snapshots(driver, obj, error) &&
         drv_domain_list_rename(driver->domains, obj, new_name, rename_commit,
                                &commit, error);
    drv_domain_obj_lock(obj);
    if (ok) {
        g_steal_pointer(&def);      /* now obj->def */
        rename_event(driver, obj, old_name, DRV_EVENT_UNDEFINED,
                     DRV_EVENT_UNDEFINED_RENAMED);
        rename_event(driver, obj, obj->name, DRV_EVENT_DEFINED,
                     DRV_EVENT_DEFINED_RENAMED);
    }

 cleanup:
    drv_domain_job_end(obj);
    drv_domain_obj_unlock(obj);
    return ok;
}
