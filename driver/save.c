/* SPDX-License-Identifier: Apache-2.0 */
/* virDomainSave/Restore, save images and managed save on nimbus snapshots. */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>
#include <gio/gio.h>
#include <json-glib/json-glib.h>

#include "common/fd-util.h"
#include "driver/monitor.h"
#include "driver/process.h"
#include "driver/save-image.h"
#include "driver/save.h"

/*
 * A save is: pause, vm.snapshot into a private directory of the state
 * dir, pack that directory and the domain XML into one file
 * (driver/save-image.c, docs/save-image.md), stop nimbus.  A restore
 * unpacks into a private directory and starts a new nimbus with
 * vm.restore from it.  The directory only lives during the call.
 */

#define SAVE_FLAGS_ALL (DRV_DOMAIN_SAVE_BYPASS_CACHE | DRV_DOMAIN_SAVE_RUNNING | \
                        DRV_DOMAIN_SAVE_PAUSED)

static bool
drv_save_check_flags(unsigned int flags, const char *api, GError **error)
{
    if (!drv_check_flags(flags, SAVE_FLAGS_ALL, api, error))
        return false;
    if ((flags & DRV_DOMAIN_SAVE_RUNNING) && (flags & DRV_DOMAIN_SAVE_PAUSED)) {
        g_set_error(error, DRV_ERROR, DRV_ERROR_INVALID_ARG,
                    "flags 'running' and 'paused' are mutually exclusive");
        return false;
    }
    return true;
}

/* libvirt's clients send absolute paths; a relative one would be the
 * daemon's working directory, which no caller means. */
static bool
drv_save_check_path(const char *path, GError **error)
{
    if (g_path_is_absolute(path))
        return true;
    g_set_error(error, DRV_ERROR, DRV_ERROR_INVALID_ARG,
                "save image path '%s' is not absolute", path);
    return false;
}

/* The state restore goes to: the flags' choice, else @was_running. */
static uint32_t
drv_save_image_flags(unsigned int flags, bool was_running)
{
    if (flags & DRV_DOMAIN_SAVE_RUNNING)
        return DRV_SAVE_IMAGE_RUNNING;
    if (flags & DRV_DOMAIN_SAVE_PAUSED)
        return 0;
    return was_running ? DRV_SAVE_IMAGE_RUNNING : 0;
}

/* A private, empty directory in the state dir (transfer full). */
static char *
drv_save_make_tmpdir(DrvDriver *driver, const char *name, const char *what,
                     GError **error)
{
    g_autofree char *tmpl = g_strdup_printf("%s/.%s.%s-XXXXXX",
                                            driver->config->state_dir, name,
                                            what);

    if (!g_mkdtemp_full(tmpl, 0700)) {
        g_set_error(error, G_IO_ERROR, g_io_error_from_errno(errno),
                    "cannot create a directory in '%s': %s",
                    driver->config->state_dir, g_strerror(errno));
        return NULL;
    }
    return g_steal_pointer(&tmpl);
}

/*
 * @dxml replaces @def's XML only if it gives nimbus the same VmConfig:
 * the snapshot holds the VMM's config, so anything else would describe
 * a machine that is not the one restored (libvirt's ABI check).
 * (transfer full) the definition to use.
 */
static DomainDef *
drv_save_replace_xml(const DomainDef *def, const char *dxml, GError **error)
{
    g_autoptr(DomainDef) repl = domain_def_parse_string(dxml, 0, error);
    g_autofree char *a = NULL;
    g_autofree char *b = NULL;

    if (!repl)
        return NULL;
    if (strcmp(repl->name, def->name) != 0 ||
        memcmp(repl->uuid, def->uuid, sizeof(def->uuid)) != 0) {
        g_set_error(error, DRV_ERROR, DRV_ERROR_INVALID_ARG,
                    "XML for '%s' given for '%s': name and uuid must match",
                    repl->name, def->name);
        return NULL;
    }
    if (!(a = domain_def_to_vmconfig_json(def, error)) ||
        !(b = domain_def_to_vmconfig_json(repl, error)))
        return NULL;
    if (strcmp(a, b) != 0) {
        /* Devices, memory or CPUs: what the snapshot's VmConfig holds. */
        g_set_error_literal(error, DRV_ERROR, DRV_ERROR_CONFIG_UNSUPPORTED,
                            "the new XML changes the virtual machine the image holds");
        return NULL;
    }
    return g_steal_pointer(&repl);
}

/* The XML a save image stores: the live definition (its TAP names are
 * the ones the snapshot's config uses), or @dxml checked against it. */
static char *
drv_save_image_xml(DrvDomainObj *obj, const char *dxml, GError **error)
{
    const unsigned int fmt = DOMAIN_DEF_FORMAT_SECURE |
                             DOMAIN_DEF_FORMAT_MIGRATABLE;
    g_autoptr(DomainDef) repl = NULL;

    if (!dxml)
        return domain_def_format(obj->live, -1, fmt, error);
    repl = drv_save_replace_xml(obj->live, dxml, error);
    return repl ? domain_def_format(repl, -1, fmt, error) : NULL;
}

static char *
drv_save_vm_snapshot_body(const char *dir, GError **error)
{
    g_autofree char *url = g_filename_to_uri(dir, NULL, error);
    g_autoptr(JsonBuilder) b = NULL;
    g_autoptr(JsonGenerator) gen = NULL;
    g_autoptr(JsonNode) root = NULL;

    if (!url)
        return NULL;
    b = json_builder_new();
    json_builder_begin_object(b);
    json_builder_set_member_name(b, "destination_url");
    json_builder_add_string_value(b, url);
    json_builder_end_object(b);
    root = json_builder_get_root(b);
    gen = json_generator_new();
    json_generator_set_root(gen, root);
    return json_generator_to_data(gen, NULL);
}

/*
 * The save itself (obj locked, job held, active): drops the lock while
 * nimbus works.  On failure the domain is left as it was (resumed if this
 * paused it); on success it is stopped with STOPPED SAVED.
 */
static bool
drv_save_locked(DrvDriver *driver, DrvDomainObj *obj, const char *path,
                const char *dxml, unsigned int flags, GError **error)
{
    g_autofree char *xml = NULL;
    g_autofree char *sock = NULL;
    g_autofree char *tmp = NULL;
    g_autofree char *snap = NULL;
    g_autofree char *body = NULL;
    g_autoptr(GError) local = NULL;
    bool was_running = obj->state == DRV_STATE_RUNNING;
    bool paused_here = false;
    bool ok;

    if (!domain_def_check_no_vhost_user_disk(obj->live, "save", error) ||
        !(xml = drv_save_image_xml(obj, dxml, error)) ||
        !(tmp = drv_save_make_tmpdir(driver, obj->name, "save", error)))
        return false;
    /* vm.snapshot wants a destination that does not exist yet. */
    snap = g_build_filename(tmp, "vm", NULL);
    if (!(body = drv_save_vm_snapshot_body(snap, error))) {
        drv_save_remove_dir(tmp);
        return false;
    }
    sock = g_strdup(obj->proc->api_socket);
    drv_domain_obj_unlock(obj);
    ok = (!was_running || drv_monitor_put(sock, "vm.pause", NULL, &local));
    if (ok && was_running) {
        drv_domain_obj_lock(obj);
        drv_domain_obj_set_state(obj, DRV_STATE_PAUSED, DRV_PAUSED_SAVE);
        drv_domain_event_emit(driver, obj, DRV_EVENT_SUSPENDED,
                              DRV_EVENT_SUSPENDED_PAUSED);
        drv_domain_obj_unlock(obj);
        paused_here = true;
    }
    ok = ok && drv_monitor_put(sock, "vm.snapshot", body, &local) &&
         drv_save_image_write(path, xml,
                              drv_save_image_flags(flags, was_running), snap,
                              flags & DRV_DOMAIN_SAVE_BYPASS_CACHE, &local);
    drv_save_remove_dir(snap);
    drv_save_remove_dir(tmp);
    /* A failed save leaves the domain as it found it. */
    if (!ok && paused_here) {
        g_autoptr(GError) resume_err = NULL;
        bool resumed = drv_monitor_put(sock, "vm.resume", NULL, &resume_err);

        drv_domain_obj_lock(obj);
        if (resumed) {
            drv_domain_obj_set_state(obj, DRV_STATE_RUNNING,
                                     DRV_RUNNING_UNPAUSED);
            drv_domain_event_emit(driver, obj, DRV_EVENT_RESUMED,
                                  DRV_EVENT_RESUMED_UNPAUSED);
        } else {
            g_warning("domain '%s': cannot resume after a failed save: %s",
                      obj->name, resume_err->message);
        }
        drv_domain_obj_unlock(obj);
    }
    drv_domain_obj_lock(obj);
    if (!ok) {
        g_set_error(error, DRV_ERROR, DRV_ERROR_OPERATION_FAILED,
                    "cannot save domain '%s': %s", obj->name, local->message);
        drv_process_save_state(driver, obj);
        return false;
    }
    /* The image is complete and synced: the VM may go. */
    if (!drv_process_kill(driver, obj, false, &local))
        g_warning("domain '%s': saved, but %s", obj->name, local->message);
    if (obj->proc && obj->proc->exited)
        drv_process_stop(driver, obj, DRV_SHUTOFF_SAVED);
    return true;
}

/* Begins the save job on a running domain (obj locked); false with
 * @error set, and no job held, when it cannot. */
static bool
drv_save_begin(DrvDomainObj *obj, GError **error)
{
    if (!drv_domain_job_begin(obj, "save", error))
        return false;
    if (!drv_domain_obj_is_active(obj) || !obj->proc) {
        drv_domain_set_error_not_running(error);
        drv_domain_job_end(obj);
        return false;
    }
    return true;
}

bool
drv_domain_save(DrvDriver *driver, DrvDomainObj *obj, const char *path,
                const char *dxml, unsigned int flags, GError **error)
{
    bool ok;

    if (!drv_save_check_flags(flags, "virDomainSaveFlags", error) ||
        !drv_save_check_path(path, error))
        return false;
    drv_domain_obj_lock(obj);
    if (!drv_save_begin(obj, error)) {
        drv_domain_obj_unlock(obj);
        return false;
    }
    ok = drv_save_locked(driver, obj, path, dxml, flags, error);
    drv_domain_job_end(obj);
    drv_domain_obj_unlock(obj);
    return ok;
}

/* Drops the cached pages of an image just read (BYPASS_CACHE). */
static void
drv_save_drop_cache(const char *path)
{
    g_autofd_t fd = open(path, O_RDONLY | O_CLOEXEC);

    if (fd >= 0)
        posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
}

/*
 * Starts @obj (locked, job held, inactive) from the image at @path with
 * @def_in (transfer full, nullable: the image's XML).
 */
static bool
drv_restore_locked(DrvDriver *driver, DrvDomainObj *obj, const char *path,
                   const char *dir, const DrvSaveHeader *hdr, DomainDef *def_in,
                   unsigned int flags, GError **error)
{
    g_autoptr(DomainDef) def = def_in;
    bool paused;

    if (drv_domain_obj_is_active(obj)) {
        g_set_error(error, DRV_ERROR, DRV_ERROR_OPERATION_INVALID,
                    "domain '%s' is already active", obj->name);
        return false;
    }
    paused = (flags & DRV_DOMAIN_SAVE_PAUSED) ||
             (!(flags & DRV_DOMAIN_SAVE_RUNNING) &&
              !(hdr->flags & DRV_SAVE_IMAGE_RUNNING));
    if (!drv_process_start_restore(driver, obj, g_steal_pointer(&def), dir,
                                   paused, DRV_EVENT_STARTED_RESTORED, error))
        return false;
    if (flags & DRV_DOMAIN_SAVE_BYPASS_CACHE)
        drv_save_drop_cache(path);
    return true;
}

/* Unpacks @path into a new private directory; parses its XML (or @dxml,
 * checked against it).  Everything is checked before any domain changes. */
static DrvSaveHeader *
drv_restore_prepare(DrvDriver *driver, const char *path, const char *dxml,
                    char **dir_out, DomainDef **def_out, GError **error)
{
    g_autoptr(DrvSaveHeader) hdr = NULL;
    g_autoptr(DomainDef) def = NULL;
    g_autofree char *dir = NULL;

    hdr = drv_save_image_read_header(path, error);
    if (!hdr || !(def = domain_def_parse_string(hdr->xml, 0, error)))
        return NULL;
    if (dxml) {
        DomainDef *repl = drv_save_replace_xml(def, dxml, error);

        if (!repl)
            return NULL;
        domain_def_free(def);
        def = repl;
    }
    dir = drv_save_make_tmpdir(driver, def->name, "restore", error);
    if (!dir)
        return NULL;
    g_clear_pointer(&hdr, drv_save_header_free);
    hdr = drv_save_image_unpack(path, dir, error);
    if (!hdr) {
        drv_save_remove_dir(dir);
        return NULL;
    }
    *dir_out = g_steal_pointer(&dir);
    *def_out = g_steal_pointer(&def);
    return g_steal_pointer(&hdr);
}

bool
drv_domain_restore(DrvDriver *driver, const char *path, const char *dxml,
                   unsigned int flags, GError **error)
{
    g_autoptr(DrvSaveHeader) hdr = NULL;
    g_autoptr(DomainDef) def = NULL;
    g_autofree char *dir = NULL;
    DrvDomainObj *obj;
    bool created = false;
    bool ok = false;

    if (!drv_save_check_flags(flags, "virDomainRestoreFlags", error) ||
        !drv_save_check_path(path, error) ||
        !(hdr = drv_restore_prepare(driver, path, dxml, &dir, &def, error)))
        return false;
    /* Same name and uuid, or a new transient domain; another domain's
     * image (same name, other uuid) is refused here. */
    obj = drv_domain_list_claim(driver->domains, def, &created, error);
    if (obj) {
        if (drv_domain_job_begin(obj, "restore", error)) {
            ok = drv_restore_locked(driver, obj, path, dir, hdr,
                                    g_steal_pointer(&def), flags, error);
            if (!ok && created)
                drv_domain_list_remove_locked(driver->domains, obj);
            drv_domain_job_end(obj);
        } else if (created) {
            drv_domain_list_remove_locked(driver->domains, obj);
        }
        drv_domain_obj_unlock(obj);
        drv_domain_obj_unref(obj);
    }
    drv_save_remove_dir(dir);
    return ok;
}

char *
drv_domain_save_image_get_xml(DrvDriver *driver, const char *path,
                              unsigned int flags, GError **error)
{
    g_autoptr(DrvSaveHeader) hdr = NULL;
    g_autoptr(DomainDef) def = NULL;

    /* The image always holds the secure XML, as libvirt's does. */
    if (!drv_check_flags(flags, DRV_DOMAIN_XML_SECURE,
                         "virDomainSaveImageGetXMLDesc", error) ||
        !drv_save_check_path(path, error) ||
        !(hdr = drv_save_image_read_header(path, error)) ||
        !(def = domain_def_parse_string(hdr->xml, 0, error)))
        return NULL;
    return domain_def_format(def, -1, DOMAIN_DEF_FORMAT_SECURE, error);
}

/* Rewrites the image at @path with @dxml and the state @flags asks. */
static bool
drv_save_image_redefine(const char *path, const char *dxml,
                        unsigned int flags, GError **error)
{
    g_autoptr(DrvSaveHeader) hdr = NULL;
    g_autoptr(DomainDef) def = NULL;
    g_autoptr(DomainDef) repl = NULL;
    g_autofree char *xml = NULL;
    uint32_t img_flags;

    if (!(hdr = drv_save_image_read_header(path, error)) ||
        !(def = domain_def_parse_string(hdr->xml, 0, error)) ||
        !(repl = drv_save_replace_xml(def, dxml, error)) ||
        !(xml = domain_def_format(repl, -1, DOMAIN_DEF_FORMAT_SECURE |
                                  DOMAIN_DEF_FORMAT_MIGRATABLE, error)))
        return false;
    img_flags = drv_save_image_flags(flags,
                                     hdr->flags & DRV_SAVE_IMAGE_RUNNING);
    return drv_save_image_rewrite(path, xml, img_flags, error);
}

bool
drv_domain_save_image_define_xml(DrvDriver *driver, const char *path,
                                 const char *dxml, unsigned int flags,
                                 GError **error)
{
    if (!drv_check_flags(flags, DRV_DOMAIN_SAVE_RUNNING |
                         DRV_DOMAIN_SAVE_PAUSED,
                         "virDomainSaveImageDefineXML", error) ||
        !drv_save_check_flags(flags, "virDomainSaveImageDefineXML", error) ||
        !drv_save_check_path(path, error))
        return false;
    return drv_save_image_redefine(path, dxml, flags, error);
}

/* ---- managed save ------------------------------------------------------ */

char *
drv_managed_save_path(DrvDriver *driver, const char *name)
{
    g_autofree char *file = g_strconcat(name, ".save", NULL);

    return g_build_filename(driver->config->config_dir, "save", file, NULL);
}

bool
drv_managed_save_exists(DrvDriver *driver, DrvDomainObj *obj)
{
    g_autofree char *path = drv_managed_save_path(driver, obj->name);

    return g_file_test(path, G_FILE_TEST_IS_REGULAR);
}

bool
drv_domain_managed_save(DrvDriver *driver, DrvDomainObj *obj,
                        unsigned int flags, GError **error)
{
    g_autofree char *path = drv_managed_save_path(driver, obj->name);
    g_autofree char *dir = g_path_get_dirname(path);
    bool ok = false;

    if (!drv_save_check_flags(flags, "virDomainManagedSave", error))
        return false;
    drv_domain_obj_lock(obj);
    if (!drv_save_begin(obj, error))
        goto cleanup;
    /* libvirt: the next start restores it, which needs a definition. */
    if (!drv_domain_obj_is_persistent(obj))
        g_set_error_literal(error, DRV_ERROR, DRV_ERROR_OPERATION_INVALID,
                            "cannot do managed save for transient domain");
    else if (drv_config_make_dir(dir, error))
        ok = drv_save_locked(driver, obj, path, NULL, flags, error);
    drv_domain_job_end(obj);
 cleanup:
    drv_domain_obj_unlock(obj);
    return ok;
}

bool
drv_domain_managed_save_remove(DrvDriver *driver, DrvDomainObj *obj,
                               unsigned int flags, GError **error)
{
    g_autofree char *path = drv_managed_save_path(driver, obj->name);
    bool ok = false;

    if (!drv_check_flags(flags, 0, "virDomainManagedSaveRemove", error))
        return false;
    drv_domain_obj_lock(obj);
    if (!drv_domain_job_begin(obj, "managedsave-remove", error))
        goto cleanup;
    if (unlink(path) < 0 && errno != ENOENT)
        g_set_error(error, G_IO_ERROR, g_io_error_from_errno(errno),
                    "cannot remove managed save image '%s': %s", path,
                    g_strerror(errno));
    else
        ok = true;
    drv_domain_job_end(obj);
 cleanup:
    drv_domain_obj_unlock(obj);
    return ok;
}

static bool
drv_managed_save_require(DrvDriver *driver, DrvDomainObj *obj, char **path,
                         GError **error)
{
    *path = drv_managed_save_path(driver, obj->name);
    if (!g_file_test(*path, G_FILE_TEST_IS_REGULAR)) {
        g_set_error(error, DRV_ERROR, DRV_ERROR_OPERATION_INVALID,
                    "domain '%s' does not have managed save image", obj->name);
        return false;
    }
    return true;
}

char *
drv_domain_managed_save_get_xml(DrvDriver *driver, DrvDomainObj *obj,
                                unsigned int flags, GError **error)
{
    g_autofree char *path = NULL;

    if (!drv_managed_save_require(driver, obj, &path, error))
        return NULL;
    return drv_domain_save_image_get_xml(driver, path, flags, error);
}

bool
drv_domain_managed_save_define_xml(DrvDriver *driver, DrvDomainObj *obj,
                                   const char *dxml, unsigned int flags,
                                   GError **error)
{
    g_autofree char *path = NULL;
    bool ok = false;

    if (!drv_check_flags(flags, DRV_DOMAIN_SAVE_RUNNING |
                         DRV_DOMAIN_SAVE_PAUSED,
                         "virDomainManagedSaveDefineXML", error) ||
        !drv_save_check_flags(flags, "virDomainManagedSaveDefineXML", error))
        return false;
    drv_domain_obj_lock(obj);
    if (drv_domain_job_begin(obj, "managedsave-define", error)) {
        ok = drv_managed_save_require(driver, obj, &path, error) &&
             drv_save_image_redefine(path, dxml, flags, error);
        drv_domain_job_end(obj);
    }
    drv_domain_obj_unlock(obj);
    return ok;
}

bool
drv_managed_save_start(DrvDriver *driver, DrvDomainObj *obj,
                       unsigned int start_flags, bool *started,
                       GError **error)
{
    g_autofree char *path = drv_managed_save_path(driver, obj->name);
    g_autoptr(DrvSaveHeader) hdr = NULL;
    g_autoptr(DomainDef) def = NULL;
    g_autofree char *dir = NULL;
    unsigned int flags = 0;
    bool ok;

    *started = false;
    if (!g_file_test(path, G_FILE_TEST_IS_REGULAR))
        return true;
    /* libvirt: FORCE_BOOT discards the image and boots afresh. */
    if (start_flags & DRV_DOMAIN_START_FORCE_BOOT) {
        if (unlink(path) < 0 && errno != ENOENT) {
            g_set_error(error, G_IO_ERROR, g_io_error_from_errno(errno),
                        "cannot remove managed save image '%s': %s", path,
                        g_strerror(errno));
            return false;
        }
        return true;
    }
    if (start_flags & DRV_DOMAIN_START_PAUSED)
        flags |= DRV_DOMAIN_SAVE_PAUSED;
    if (start_flags & DRV_DOMAIN_START_BYPASS_CACHE)
        flags |= DRV_DOMAIN_SAVE_BYPASS_CACHE;
    /* Unpacking takes a while; the job keeps others out. */
    drv_domain_obj_unlock(obj);
    hdr = drv_restore_prepare(driver, path, NULL, &dir, &def, error);
    drv_domain_obj_lock(obj);
    if (!hdr)
        return false;
    if (memcmp(def->uuid, obj->uuid, sizeof(obj->uuid)) != 0 ||
        strcmp(def->name, obj->name) != 0) {
        g_set_error(error, DRV_ERROR, DRV_ERROR_OPERATION_FAILED,
                    "managed save image '%s' belongs to another domain",
                    path);
        ok = false;
    } else {
        ok = drv_restore_locked(driver, obj, path, dir, hdr,
                                g_steal_pointer(&def), flags, error);
    }
    drv_save_remove_dir(dir);
    /* Restored once: a second start must boot, not go back in time. */
    if (ok && unlink(path) < 0)
        g_warning("domain '%s': cannot remove managed save image '%s': %s",
                  obj->name, path, g_strerror(errno));
    *started = ok;
    return ok;
}
