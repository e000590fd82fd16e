/* SPDX-License-Identifier: Apache-2.0 */
/* libvirt's domain snapshot API on nimbus snapshots and disk copies. */
#include <config.h>

#include <errno.h>
#include <string.h>
#include <unistd.h>
#include <gio/gio.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>

#include "driver/monitor.h"
#include "driver/process.h"
#include "driver/snapshot-def.h"
#include "driver/snapshot-disk.h"
#include "driver/snapshot-priv.h"
#include "driver/snapshot.h"

/*
 * A snapshot of domain D named S is, under <config_dir>/snapshot/D/:
 *   S.xml          its <domainsnapshot> (the commit point: written last,
 *                  removed first)
 *   S.vm/memory/   nimbus's vm.snapshot (config.json, state.json,
 *                  memory-ranges), for a running or paused domain
 *   S.vm/disks/T   a copy of the image of the disk with target T
 *   current        the current snapshot's name
 * S.vm is built as a hidden temporary directory and renamed into place,
 * so it is whole or absent.  Every change holds the domain's job; the
 * files are read with the domain lock held.
 */

/* libvirt's VIR_DOMAIN_PAUSED_SNAPSHOT: paused while a snapshot is taken. */
#define DRV_PAUSED_SNAPSHOT 9

void
drv_snapshot_tree_free(DrvSnapshotTree *t)
{
    g_free(t->dir);
    g_clear_pointer(&t->all, g_ptr_array_unref);
    g_free(t->current);
    g_free(t);
}

DrvSnapshotTree *
drv_snapshot_tree_load(DrvDriver *driver, const char *domain, GError **error)
{
    g_autoptr(DrvSnapshotTree) t = g_new0(DrvSnapshotTree, 1);

    t->dir = drv_snapshot_dir(driver->config->config_dir, domain);
    if (!(t->all = drv_snapshot_load_all(t->dir, error)))
        return NULL;
    t->current = drv_snapshot_current_get(t->dir);
    return g_steal_pointer(&t);
}

DrvSnapshotDef *
drv_snapshot_tree_find(DrvSnapshotTree *t, const char *name)
{
    for (guint i = 0; i < t->all->len; i++) {
        DrvSnapshotDef *d = g_ptr_array_index(t->all, i);

        if (strcmp(d->name, name) == 0)
            return d;
    }
    return NULL;
}

/* libvirt's VIR_ERR_NO_DOMAIN_SNAPSHOT text. */
DrvSnapshotDef *
drv_snapshot_tree_get(DrvSnapshotTree *t, const char *name, GError **error)
{
    DrvSnapshotDef *d = drv_snapshot_tree_find(t, name);

    if (!d)
        g_set_error(error, DRV_ERROR, DRV_ERROR_NO_DOMAIN_SNAPSHOT,
                    "Domain snapshot not found: no domain snapshot with "
                    "matching name '%s'", name);
    return d;
}

static bool
drv_snapshot_has_children(DrvSnapshotTree *t, const char *name)
{
    for (guint i = 0; i < t->all->len; i++) {
        DrvSnapshotDef *d = g_ptr_array_index(t->all, i);

        if (g_strcmp0(d->parent, name) == 0)
            return true;
    }
    return false;
}

/* Two flags of one group (LEAVES/NO_LEAVES...) together filter nothing,
 * as in libvirt. */
static bool
drv_snapshot_filter(DrvSnapshotTree *t, const DrvSnapshotDef *d,
                    unsigned int flags)
{
    const unsigned int state_flags = DRV_SNAPSHOT_LIST_INACTIVE |
                                     DRV_SNAPSHOT_LIST_ACTIVE |
                                     DRV_SNAPSHOT_LIST_DISK_ONLY;
    bool leaf = !drv_snapshot_has_children(t, d->name);
    bool inactive = d->state == DRV_SNAPSHOT_STATE_SHUTOFF;

    if ((flags & DRV_SNAPSHOT_LIST_LEAVES) &&
        !(flags & DRV_SNAPSHOT_LIST_NO_LEAVES) && !leaf)
        return false;
    if ((flags & DRV_SNAPSHOT_LIST_NO_LEAVES) &&
        !(flags & DRV_SNAPSHOT_LIST_LEAVES) && leaf)
        return false;
    /* Every snapshot here has metadata and is internal. */
    if ((flags & DRV_SNAPSHOT_LIST_NO_METADATA) &&
        !(flags & DRV_SNAPSHOT_LIST_METADATA))
        return false;
    if ((flags & DRV_SNAPSHOT_LIST_EXTERNAL) &&
        !(flags & DRV_SNAPSHOT_LIST_INTERNAL))
        return false;
    if (flags & state_flags) {
        if (inactive ? !(flags & DRV_SNAPSHOT_LIST_INACTIVE)
                     : !(flags & DRV_SNAPSHOT_LIST_ACTIVE))
            return false;
    }
    return true;
}

/* Children of @parent (NULL: the roots) in creation order, each followed
 * by its own subtree when @recurse: a topological order. */
void
drv_snapshot_tree_walk(DrvSnapshotTree *t, const char *parent, bool recurse,
                       unsigned int flags, GPtrArray *out)
{
    for (guint i = 0; i < t->all->len; i++) {
        DrvSnapshotDef *d = g_ptr_array_index(t->all, i);

        if (g_strcmp0(d->parent, parent) != 0)
            continue;
        if (drv_snapshot_filter(t, d, flags))
            g_ptr_array_add(out, g_strdup(d->name));
        if (recurse)
            drv_snapshot_tree_walk(t, d->name, true, flags, out);
    }
}

static DrvSnapshotTree *
drv_snapshot_tree_load_locked(DrvDriver *driver, DrvDomainObj *obj,
                              GError **error)
{
    DrvSnapshotTree *t;

    drv_domain_obj_lock(obj);
    t = drv_snapshot_tree_load(driver, obj->name, error);
    drv_domain_obj_unlock(obj);
    return t;
}

/* ---- queries ------------------------------------------------------- */

GPtrArray *
drv_snapshot_list(DrvDriver *driver, DrvDomainObj *obj, const char *from,
                  unsigned int flags, const char *api, GError **error)
{
    g_autoptr(DrvSnapshotTree) t = NULL;
    g_autoptr(GPtrArray) out = g_ptr_array_new_with_free_func(g_free);

    if (!drv_check_flags(flags, (DRV_SNAPSHOT_LIST_TOPOLOGICAL << 1) - 1,
                         api, error) ||
        !(t = drv_snapshot_tree_load_locked(driver, obj, error)))
        return NULL;
    if (from) {
        if (!drv_snapshot_tree_get(t, from, error))
            return NULL;
        drv_snapshot_tree_walk(t, from, flags & DRV_SNAPSHOT_LIST_DESCENDANTS,
                  flags & ~DRV_SNAPSHOT_LIST_DESCENDANTS, out);
    } else {
        drv_snapshot_tree_walk(t, NULL, !(flags & DRV_SNAPSHOT_LIST_ROOTS),
                  flags & ~DRV_SNAPSHOT_LIST_ROOTS, out);
    }
    return g_steal_pointer(&out);
}

bool
drv_snapshot_lookup(DrvDriver *driver, DrvDomainObj *obj, const char *name,
                    GError **error)
{
    g_autoptr(DrvSnapshotTree) t =
        drv_snapshot_tree_load_locked(driver, obj, error);

    return t && drv_snapshot_tree_get(t, name, error);
}

char *
drv_snapshot_get_xml(DrvDriver *driver, DrvDomainObj *obj, const char *name,
                     unsigned int flags, GError **error)
{
    g_autoptr(DrvSnapshotTree) t = NULL;
    g_autoptr(DomainDef) dom = NULL;
    g_autofree char *dom_xml = NULL;
    DrvSnapshotDef *d;

    if (!drv_check_flags(flags, DRV_SNAPSHOT_XML_SECURE,
                         "virDomainSnapshotGetXMLDesc", error) ||
        !(t = drv_snapshot_tree_load_locked(driver, obj, error)) ||
        !(d = drv_snapshot_tree_get(t, name, error)))
        return NULL;
    /* The stored domain is the secure one; without SECURE it is shown
     * as dumpxml shows a domain, passwords left out. */
    if (!(flags & DRV_SNAPSHOT_XML_SECURE)) {
        if (!(dom = domain_def_parse_string(d->domain_xml, 0, error)) ||
            !(dom_xml = domain_def_format(dom, -1, DOMAIN_DEF_FORMAT_INACTIVE,
                                          error)))
            return NULL;
        g_strchomp(dom_xml);
    }
    return drv_snapshot_def_format(d, dom_xml);
}

char *
drv_snapshot_current(DrvDriver *driver, DrvDomainObj *obj, bool *none,
                     GError **error)
{
    g_autoptr(DrvSnapshotTree) t =
        drv_snapshot_tree_load_locked(driver, obj, error);

    *none = false;
    if (!t)
        return NULL;
    if (!t->current || !drv_snapshot_tree_find(t, t->current)) {
        *none = true;
        g_set_error(error, DRV_ERROR, DRV_ERROR_NO_DOMAIN_SNAPSHOT,
                    "Domain snapshot not found: the domain does not have a "
                    "current snapshot");
        return NULL;
    }
    return g_steal_pointer(&t->current);
}

char *
drv_snapshot_get_parent(DrvDriver *driver, DrvDomainObj *obj, const char *name,
                        GError **error)
{
    g_autoptr(DrvSnapshotTree) t =
        drv_snapshot_tree_load_locked(driver, obj, error);
    DrvSnapshotDef *d;

    if (!t || !(d = drv_snapshot_tree_get(t, name, error)))
        return NULL;
    if (!d->parent) {
        g_set_error(error, DRV_ERROR, DRV_ERROR_NO_DOMAIN_SNAPSHOT,
                    "Domain snapshot not found: snapshot '%s' does not have "
                    "a parent", name);
        return NULL;
    }
    return g_strdup(d->parent);
}

int
drv_snapshot_is_current(DrvDriver *driver, DrvDomainObj *obj, const char *name,
                        GError **error)
{
    g_autoptr(DrvSnapshotTree) t =
        drv_snapshot_tree_load_locked(driver, obj, error);

    if (!t || !drv_snapshot_tree_get(t, name, error))
        return -1;
    return g_strcmp0(t->current, name) == 0;
}

/* ---- create -------------------------------------------------------- */

/* Disk copies are named after the target; one that is not a plain file
 * name cannot be copied (domain targets are "vda" and the like). */
static bool
drv_snapshot_disk_name_ok(const char *target, GError **error)
{
    if (target && target[0] && target[0] != '.' && !strchr(target, '/'))
        return true;
    g_set_error(error, DRV_ERROR, DRV_ERROR_CONFIG_UNSUPPORTED,
                "disk target '%s' cannot name a snapshot file",
                target ? target : "");
    return false;
}

/*
 * The disks of @dom the snapshot copies: every disk with an image, unless
 * the XML says snapshot='no'; a disk the XML names must exist.  Fills
 * def->disks in the domain's order.
 */
static bool
drv_snapshot_plan_disks(DrvSnapshotDef *def, const DomainDef *dom,
                        GError **error)
{
    g_autoptr(GPtrArray) refs = domain_def_disk_refs(dom);
    g_autoptr(GPtrArray) disks = g_ptr_array_new_with_free_func(
        (GDestroyNotify)drv_snapshot_disk_free);

    for (guint i = 0; i < def->disks->len; i++) {
        DrvSnapshotDisk *want = g_ptr_array_index(def->disks, i);
        bool found = false;

        for (guint j = 0; j < refs->len && !found; j++) {
            DomainDevRef *r = g_ptr_array_index(refs, j);

            found = g_strcmp0(r->name, want->name) == 0;
        }
        if (!found) {
            g_set_error(error, DRV_ERROR, DRV_ERROR_CONFIG_UNSUPPORTED,
                        "no disk named '%s'", want->name);
            return false;
        }
    }
    for (guint j = 0; j < refs->len; j++) {
        DomainDevRef *r = g_ptr_array_index(refs, j);
        DrvSnapshotDisk *d = g_new0(DrvSnapshotDisk, 1);

        d->name = g_strdup(r->name);
        d->snapshot = r->path != NULL || r->socket != NULL;
        for (guint i = 0; i < def->disks->len; i++) {
            DrvSnapshotDisk *want = g_ptr_array_index(def->disks, i);

            if (g_strcmp0(want->name, r->name) == 0)
                d->snapshot = want->snapshot && (r->path || r->socket);
        }
        g_ptr_array_add(disks, d);
        /* The back end serves the image: no file to copy, and leaving it
         * out silently would make a revert lie about the disk. */
        if (d->snapshot && r->socket) {
            g_set_error(error, DRV_ERROR, DRV_ERROR_CONFIG_UNSUPPORTED,
                        "disk '%s' is a vhost-user disk: nimbusd cannot "
                        "copy the image its back end ('%s') serves (leave "
                        "it out with <disk name='%s' snapshot='no'/>)",
                        r->name, r->socket, r->name);
            return false;
        }
        if (d->snapshot && !drv_snapshot_disk_name_ok(r->name, error))
            return false;
    }
    g_ptr_array_unref(def->disks);
    def->disks = g_steal_pointer(&disks);
    return true;
}

/* The image path of disk @target of @dom, or NULL (transfer full). */
char *
drv_snapshot_disk_path(const DomainDef *dom, const char *target)
{
    g_autoptr(GPtrArray) refs = domain_def_disk_refs(dom);

    for (guint j = 0; j < refs->len; j++) {
        DomainDevRef *r = g_ptr_array_index(refs, j);

        if (g_strcmp0(r->name, target) == 0)
            return g_strdup(r->path);
    }
    return NULL;
}

/* Copies the snapshotted disks of @dom into @tmp/disks. */
static bool
drv_snapshot_copy_disks_out(const DrvSnapshotDef *def, const DomainDef *dom,
                            const char *tmp, GError **error)
{
    g_autofree char *ddir = g_build_filename(tmp, "disks", NULL);

    if (g_mkdir(ddir, 0700) < 0) {
        g_set_error(error, G_IO_ERROR, g_io_error_from_errno(errno),
                    "cannot create '%s': %s", ddir, g_strerror(errno));
        return false;
    }
    for (guint i = 0; i < def->disks->len; i++) {
        DrvSnapshotDisk *d = g_ptr_array_index(def->disks, i);
        g_autofree char *src = NULL;
        g_autofree char *dst = NULL;

        if (!d->snapshot)
            continue;
        src = drv_snapshot_disk_path(dom, d->name);
        dst = g_build_filename(ddir, d->name, NULL);
        if (!drv_snapshot_copy_file(src, dst, error))
            return false;
    }
    return drv_snapshot_sync_dir(ddir, error);
}

static char *
drv_snapshot_vm_snapshot_body(const char *dir, GError **error)
{
    g_autofree char *url = g_filename_to_uri(dir, NULL, error);
    g_autoptr(JsonObject) o = NULL;
    g_autoptr(JsonNode) root = NULL;

    if (!url)
        return NULL;
    o = json_object_new();
    json_object_set_string_member(o, "destination_url", url);
    root = json_node_init_object(json_node_alloc(), o);
    return json_to_string(root, FALSE);
}

/* Sets @obj's pause state and its event (obj unlocked on entry). */
static void
drv_snapshot_set_paused(DrvDriver *driver, DrvDomainObj *obj, bool paused)
{
    drv_domain_obj_lock(obj);
    if (obj->proc) {
        if (paused) {
            drv_domain_obj_set_state(obj, DRV_STATE_PAUSED,
                                     DRV_PAUSED_SNAPSHOT);
            drv_domain_event_emit(driver, obj, DRV_EVENT_SUSPENDED,
                                  DRV_EVENT_SUSPENDED_PAUSED);
        } else {
            drv_domain_obj_set_state(obj, DRV_STATE_RUNNING,
                                     DRV_RUNNING_UNPAUSED);
            drv_domain_event_emit(driver, obj, DRV_EVENT_RESUMED,
                                  DRV_EVENT_RESUMED_UNPAUSED);
        }
        drv_process_save_state(driver, obj);
    }
    drv_domain_obj_unlock(obj);
}

/*
 * The data of a running domain (obj locked, job held; the lock is
 * dropped while nimbus and the copies work): pause, vm.snapshot, copy,
 * resume if it ran.
 */
static bool
drv_snapshot_take_active(DrvDriver *driver, DrvDomainObj *obj,
                         const DrvSnapshotDef *def, const DomainDef *dom,
                         const char *tmp, GError **error)
{
    g_autofree char *mem = g_build_filename(tmp, "memory", NULL);
    g_autofree char *body = drv_snapshot_vm_snapshot_body(mem, error);
    g_autofree char *sock = g_strdup(obj->proc->api_socket);
    bool was_running = obj->state == DRV_STATE_RUNNING;
    bool paused_here = false;
    bool ok;

    if (!body)
        return false;
    drv_domain_obj_unlock(obj);
    ok = !was_running || drv_monitor_put(sock, "vm.pause", NULL, error);
    if (ok && was_running) {
        drv_snapshot_set_paused(driver, obj, true);
        paused_here = true;
    }
    /* The disks are copied while the guest cannot write them, so that
     * they match the memory image. */
    ok = ok && drv_monitor_put(sock, "vm.snapshot", body, error) &&
         drv_snapshot_copy_disks_out(def, dom, tmp, error);
    if (paused_here) {
        g_autoptr(GError) resume_err = NULL;

        if (drv_monitor_put(sock, "vm.resume", NULL, &resume_err))
            drv_snapshot_set_paused(driver, obj, false);
        else
            g_warning("domain '%s': cannot resume after a snapshot: %s",
                      obj->name, resume_err->message);
    }
    drv_domain_obj_lock(obj);
    return ok;
}

/* What the XML asks, checked against the domain's state. */
static bool
drv_snapshot_prepare(DrvSnapshotDef *def, DrvDomainObj *obj, bool active,
                     GError **error)
{
    const DomainDef *dom = active ? obj->live : obj->def;
    unsigned int fmt = DOMAIN_DEF_FORMAT_SECURE |
                       (active ? DOMAIN_DEF_FORMAT_MIGRATABLE
                               : DOMAIN_DEF_FORMAT_INACTIVE);

    if (active && def->memory_given && !def->memory) {
        /* Disks alone of a running guest: nimbus cannot offer that
         * consistently, and libvirt's disk-only snapshots are external. */
        g_set_error_literal(error, DRV_ERROR, DRV_ERROR_CONFIG_UNSUPPORTED,
                            "a snapshot of a running domain must include "
                            "its memory (memory snapshot='internal')");
        return false;
    }
    /* The VMM cannot save a vhost-user back end's state either. */
    if (active && !domain_def_check_no_vhost_user_disk(dom, "snapshot",
                                                       error))
        return false;
    if (!active && def->memory_given && def->memory) {
        g_set_error_literal(error, DRV_ERROR, DRV_ERROR_CONFIG_UNSUPPORTED,
                            "memory state cannot be saved with offline "
                            "snapshot");
        return false;
    }
    def->memory = active;
    def->state = !active ? DRV_SNAPSHOT_STATE_SHUTOFF :
                 obj->state == DRV_STATE_PAUSED ? DRV_SNAPSHOT_STATE_PAUSED :
                 DRV_SNAPSHOT_STATE_RUNNING;
    def->creation_time = g_get_real_time() / G_USEC_PER_SEC;
    if (!def->name)
        def->name = g_strdup_printf("%" G_GINT64_FORMAT, def->creation_time);
    if (!drv_snapshot_name_check(def->name, error) ||
        !drv_snapshot_plan_disks(def, dom, error))
        return false;
    def->domain_xml = domain_def_format(dom, -1, fmt, error);
    if (!def->domain_xml)
        return false;
    g_strchomp(def->domain_xml);
    return true;
}

/* Takes the snapshot (obj locked, job held). */
static bool
drv_snapshot_create_locked(DrvDriver *driver, DrvDomainObj *obj,
                           DrvSnapshotDef *def, unsigned int flags,
                           GError **error)
{
    bool active = drv_domain_obj_is_active(obj) && obj->proc;
    g_autoptr(DrvSnapshotTree) t = NULL;
    g_autoptr(DomainDef) dom = NULL;
    g_autofree char *data = NULL;
    g_autofree char *xml_path = NULL;
    g_autofree char *tmp = NULL;
    bool ok;

    if (!active && !obj->def) {
        g_set_error_literal(error, DRV_ERROR, DRV_ERROR_NO_DOMAIN,
                            "Domain not found");
        return false;
    }
    if (!drv_snapshot_prepare(def, obj, active, error) ||
        !(t = drv_snapshot_tree_load(driver, obj->name, error)))
        return false;
    data = drv_snapshot_data_path(t->dir, def->name);
    xml_path = drv_snapshot_xml_path(t->dir, def->name);
    if (drv_snapshot_tree_find(t, def->name)) {
        g_set_error(error, DRV_ERROR, DRV_ERROR_OPERATION_INVALID,
                    "domain snapshot '%s' already exists", def->name);
        return false;
    }
    if (g_file_test(data, G_FILE_TEST_EXISTS)) {
        /* Left behind by a metadata-only delete: not ours to reuse. */
        g_set_error(error, DRV_ERROR, DRV_ERROR_OPERATION_INVALID,
                    "snapshot data '%s' exists (left by a metadata-only "
                    "delete); remove it first", data);
        return false;
    }
    def->parent = t->current && drv_snapshot_tree_find(t, t->current) ?
                  g_strdup(t->current) : NULL;
    if (g_mkdir_with_parents(t->dir, 0700) < 0) {
        g_set_error(error, G_IO_ERROR, g_io_error_from_errno(errno),
                    "cannot create '%s': %s", t->dir, g_strerror(errno));
        return false;
    }
    tmp = g_strdup_printf("%s/.%s.tmp-XXXXXX", t->dir, def->name);
    if (!g_mkdtemp_full(tmp, 0700)) {
        g_set_error(error, G_IO_ERROR, g_io_error_from_errno(errno),
                    "cannot create a directory in '%s': %s", t->dir,
                    g_strerror(errno));
        return false;
    }
    /* A copy: the live definition may change while the lock is dropped. */
    dom = domain_def_copy(active ? obj->live : obj->def);
    if (active) {
        ok = drv_snapshot_take_active(driver, obj, def, dom, tmp, error);
    } else {
        drv_domain_obj_unlock(obj);
        ok = drv_snapshot_copy_disks_out(def, dom, tmp, error);
        drv_domain_obj_lock(obj);
    }
    /* Data whole, then metadata, then the marker: a failure between
     * them takes back what was done. */
    ok = ok && drv_snapshot_sync_dir(tmp, error);
    if (ok && rename(tmp, data) < 0) {
        g_set_error(error, G_IO_ERROR, g_io_error_from_errno(errno),
                    "cannot rename '%s' to '%s': %s", tmp, data,
                    g_strerror(errno));
        ok = false;
    }
    ok = ok && drv_snapshot_sync_dir(t->dir, error) &&
         drv_snapshot_def_store(t->dir, def, error) &&
         drv_snapshot_current_set(t->dir, def->name, error);
    if (!ok) {
        g_unlink(xml_path);
        drv_snapshot_remove_tree(tmp);
        drv_snapshot_remove_tree(data);
        if (t->current)
            drv_snapshot_current_set(t->dir, t->current, NULL);
        return false;
    }
    /* HALT: the domain stops once its snapshot is safe. */
    if ((flags & DRV_SNAPSHOT_CREATE_HALT) && obj->proc) {
        g_autoptr(GError) local = NULL;

        if (drv_process_kill(driver, obj, false, &local))
            drv_process_stop(driver, obj, DRV_SHUTOFF_FROM_SNAPSHOT);
        else
            g_warning("domain '%s': snapshot '%s' taken, but %s", obj->name,
                      def->name, local->message);
    }
    return true;
}

char *
drv_snapshot_create(DrvDriver *driver, DrvDomainObj *obj, const char *xml,
                    unsigned int flags, GError **error)
{
    g_autoptr(DrvSnapshotDef) def = NULL;
    bool ok;

    /* ATOMIC: a failed snapshot always leaves nothing.  VALIDATE: the
     * parser refuses whatever the schema would. */
    if (!drv_check_flags(flags, DRV_SNAPSHOT_CREATE_HALT |
                         DRV_SNAPSHOT_CREATE_ATOMIC |
                         DRV_SNAPSHOT_CREATE_VALIDATE,
                         "virDomainSnapshotCreateXML", error) ||
        !(def = drv_snapshot_def_parse(xml, 0, error)))
        return NULL;
    drv_domain_obj_lock(obj);
    if (!drv_domain_job_begin(obj, "snapshot", error)) {
        drv_domain_obj_unlock(obj);
        return NULL;
    }
    ok = drv_snapshot_create_locked(driver, obj, def, flags, error);
    drv_domain_job_end(obj);
    drv_domain_obj_unlock(obj);
    return ok ? g_strdup(def->name) : NULL;
}
