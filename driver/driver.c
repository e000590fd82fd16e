/* SPDX-License-Identifier: Apache-2.0 */
/* DrvDriver: state, persistent definitions, lookups, listing. */
#include <config.h>

#include <errno.h>
#include <string.h>
#include <unistd.h>
#include <gio/gio.h>

#include "driver/driver.h"
#include "driver/memory-device.h"
#include "driver/xml/memory-xml.h"
#include "driver/monitor.h"
#include "driver/process.h"
#include "driver/vcpu-pin.h"
#include "driver/save.h"
#include "driver/snapshot-disk.h"
#include "driver/snapshot.h"
#include "driver/tpm.h"

bool
drv_check_flags(unsigned int flags, unsigned int supported, const char *api,
                GError **error)
{
    if (flags & ~supported) {
        g_set_error(error, DRV_ERROR, DRV_ERROR_INVALID_ARG,
                    "unsupported flags (0x%x) in function %s", flags & ~supported,
                    api);
        return false;
    }
    return true;
}

DrvDriver *
drv_driver_new(DrvConfig *config, GError **error)
{
    g_autoptr(DrvDriver) driver = g_new0(DrvDriver, 1);

    driver->config = config;
    driver->domains = drv_domain_list_new();
    driver->forward = drv_forward_new(config->libvirtd_uri);
    driver->inotify_fd = -1;
    driver->next_id = 1;
    g_mutex_init(&driver->lock);
    if (!drv_process_watch_init(driver, error))
        return NULL;
    return g_steal_pointer(&driver);
}

void
drv_driver_set_event_func(DrvDriver *driver, DrvEventFunc func, gpointer data)
{
    driver->event_func = func;
    driver->event_data = data;
}

void
drv_driver_free(DrvDriver *driver)
{
    if (!driver)
        return;
    /* Background tasks finish first: they hold domain references. */
    drv_process_watch_fini(driver);
    g_clear_pointer(&driver->domains, drv_domain_list_free);
    g_clear_pointer(&driver->forward, drv_forward_free);
    g_clear_pointer(&driver->config, drv_config_free);
    g_clear_pointer(&driver->vsock_cids, g_hash_table_unref);
    g_mutex_clear(&driver->lock);
    g_free(driver);
}

int
drv_driver_next_id(DrvDriver *driver)
{
    int id;

    g_mutex_lock(&driver->lock);
    id = driver->next_id++;
    g_mutex_unlock(&driver->lock);
    return id;
}

/* A job counts as activity: a domain being started is not running yet,
 * but the idle timeout must not stop the daemon under it. */
bool
drv_driver_has_active(DrvDriver *driver)
{
    g_autoptr(GPtrArray) all = drv_domain_list_collect(driver->domains);
    bool active = false;

    for (guint i = 0; i < all->len && !active; i++) {
        DrvDomainObj *obj = g_ptr_array_index(all, i);

        drv_domain_obj_lock(obj);
        active = drv_domain_obj_is_active(obj) || obj->job;
        drv_domain_obj_unlock(obj);
    }
    return active;
}

/* The event carries the id as it is now: STARTED shows the new id,
 * STOPPED shows -1, as libvirt's events do. */
void
drv_domain_event_emit(DrvDriver *driver, DrvDomainObj *obj, int event,
                      int detail)
{
    DrvDomainEvent ev = {
        .event_id = DRV_EVENT_ID_LIFECYCLE,
        .name = obj->name,
        .uuid = obj->uuid,
        .id = obj->id,
        .event = event,
        .detail = detail,
    };

    if (driver->event_func)
        driver->event_func(&ev, driver->event_data);
}

/* ---- lookups ---------------------------------------------------------------- */

DrvDomainObj *
drv_domain_lookup_by_name(DrvDriver *driver, const char *name, GError **error)
{
    DrvDomainObj *obj = drv_domain_list_find_by_name(driver->domains, name);

    if (!obj)
        g_set_error(error, DRV_ERROR, DRV_ERROR_NO_DOMAIN,
                    "no domain with matching name '%s'", name);
    return obj;
}

DrvDomainObj *
drv_domain_lookup_by_uuid(DrvDriver *driver, const unsigned char uuid[16],
                          GError **error)
{
    DrvDomainObj *obj = drv_domain_list_find_by_uuid(driver->domains, uuid);
    char str[37];

    if (!obj) {
        domain_uuid_format(uuid, str);
        g_set_error(error, DRV_ERROR, DRV_ERROR_NO_DOMAIN,
                    "no domain with matching uuid '%s'", str);
    }
    return obj;
}

DrvDomainObj *
drv_domain_lookup_by_id(DrvDriver *driver, int id, GError **error)
{
    DrvDomainObj *obj = drv_domain_list_find_by_id(driver->domains, id);

    if (!obj)
        g_set_error(error, DRV_ERROR, DRV_ERROR_NO_DOMAIN,
                    "no domain with matching id %d", id);
    return obj;
}

/* ---- persistent definitions ------------------------------------------------ */

/* Writes @def to <config_dir>/<name>.xml: temp file, fsync, rename. */
bool
drv_domain_save_config(DrvDriver *driver, const DomainDef *def, GError **error)
{
    g_autofree char *path = drv_config_domain_xml_path(driver->config, def->name);
    g_autofree char *xml = domain_def_format(def, -1,
                                             DOMAIN_DEF_FORMAT_SECURE |
                                             DOMAIN_DEF_FORMAT_INACTIVE, error);

    if (!xml)
        return false;
    return g_file_set_contents_full(path, xml, -1,
                                    G_FILE_SET_CONTENTS_CONSISTENT |
                                    G_FILE_SET_CONTENTS_DURABLE, 0600, error);
}

/* One owner for the last step of every --config change: a job may have
 * dropped the lock, and a domain undefined meanwhile has no file left to
 * rewrite, so the check comes here and not only at the start. */
bool
drv_domain_commit_config(DrvDriver *driver, DrvDomainObj *obj,
                         DomainDef **config, GError **error)
{
    if (!obj->def) {
        g_set_error_literal(error, DRV_ERROR, DRV_ERROR_OPERATION_INVALID,
                            "cannot change persistent config of a "
                            "transient domain");
        return false;
    }
    if (!drv_domain_save_config(driver, *config, error))
        return false;
    g_clear_pointer(&obj->def, domain_def_free);
    obj->def = g_steal_pointer(config);
    return true;
}

static bool
drv_unlink(const char *path, GError **error)
{
    if (unlink(path) < 0 && errno != ENOENT) {
        g_set_error(error, G_IO_ERROR, g_io_error_from_errno(errno),
                    "cannot remove '%s': %s", path, g_strerror(errno));
        return false;
    }
    return true;
}

DrvDomainObj *
drv_domain_define_xml(DrvDriver *driver, const char *xml, unsigned int flags,
                      GError **error)
{
    g_autoptr(DomainDef) def = NULL;
    DrvDomainObj *obj;
    bool created = false;
    bool added;

    if (!drv_check_flags(flags, DRV_DOMAIN_DEFINE_VALIDATE, "virDomainDefineXMLFlags", error))
        return NULL;
    def = domain_def_parse_string(xml, DOMAIN_DEF_PARSE_INACTIVE |
                                  ((flags & DRV_DOMAIN_DEFINE_VALIDATE) ?
                                   DOMAIN_DEF_PARSE_VALIDATE : 0), error);
    /* The name was checked by domain_def_validate() (domain_name_check);
     * what `virsh start` would refuse, `virsh define` refuses, a volume
     * that libvirtd does not know included. */
    if (!def ||
        !domain_def_resolve_volumes(def, drv_forward_volume_resolver,
                                    driver->forward, error) ||
        !domain_def_check_vmconfig(def, error) ||
        !drv_domain_cputune_check_host(def, error))
        return NULL;
    obj = drv_domain_list_claim(driver->domains, def, &created, error);
    if (!obj)
        return NULL;
    /* The file first: if it cannot be written, nothing changes. */
    if (!drv_domain_save_config(driver, def, error)) {
        if (created)
            drv_domain_list_remove_locked(driver->domains, obj);
        drv_domain_obj_unlock(obj);
        drv_domain_obj_unref(obj);
        return NULL;
    }
    /* ADDED also when a running transient domain becomes persistent:
     * libvirt decides on the previous persistent definition alone. */
    added = obj->def == NULL;
    g_clear_pointer(&obj->def, domain_def_free);
    obj->def = g_steal_pointer(&def);
    drv_domain_event_emit(driver, obj, DRV_EVENT_DEFINED,
                          added ? DRV_EVENT_DEFINED_ADDED : DRV_EVENT_DEFINED_UPDATED);
    drv_domain_obj_unlock(obj);
    return obj;
}

bool
drv_domain_undefine(DrvDriver *driver, DrvDomainObj *obj, unsigned int flags,
                    GError **error)
{
    g_autofree char *path = NULL;
    g_autofree char *link = NULL;
    g_autofree char *save = NULL;

    /* Checkpoints and NVRAM do not exist for our domains, so the flags
     * about them have nothing to do; a managed save image (driver/save.c),
     * snapshots (driver/snapshot.c) and the TPM state (driver/tpm.c:
     * removed unless KEEP_TPM, as libvirt does) do. */
    if (!drv_check_flags(flags, DRV_DOMAIN_UNDEFINE_MANAGED_SAVE |
                         DRV_DOMAIN_UNDEFINE_SNAPSHOTS_METADATA |
                         DRV_DOMAIN_UNDEFINE_NVRAM |
                         DRV_DOMAIN_UNDEFINE_KEEP_NVRAM |
                         DRV_DOMAIN_UNDEFINE_CHECKPOINTS_METADATA |
                         DRV_DOMAIN_UNDEFINE_TPM |
                         DRV_DOMAIN_UNDEFINE_KEEP_TPM,
                         "virDomainUndefineFlags", error))
        return false;
    if ((flags & DRV_DOMAIN_UNDEFINE_TPM) &&
        (flags & DRV_DOMAIN_UNDEFINE_KEEP_TPM)) {
        g_set_error_literal(error, DRV_ERROR, DRV_ERROR_INVALID_ARG,
                            "the TPM and KEEP_TPM undefine flags are "
                            "mutually exclusive");
        return false;
    }
    drv_domain_obj_lock(obj);
    if (!drv_domain_obj_is_persistent(obj)) {
        g_set_error_literal(error, DRV_ERROR, DRV_ERROR_OPERATION_INVALID,
                            "cannot undefine transient domain");
        drv_domain_obj_unlock(obj);
        return false;
    }
    path = drv_config_domain_xml_path(driver->config, obj->name);
    link = drv_config_autostart_path(driver->config, obj->name);
    save = drv_managed_save_path(driver, obj->name);
    /* libvirt: the image would outlive the definition it restores. */
    if (g_file_test(save, G_FILE_TEST_EXISTS) &&
        !(flags & DRV_DOMAIN_UNDEFINE_MANAGED_SAVE)) {
        g_set_error_literal(error, DRV_ERROR, DRV_ERROR_OPERATION_INVALID,
                            "Refusing to undefine while domain managed save image exists");
        drv_domain_obj_unlock(obj);
        return false;
    }
    if (!drv_snapshot_undefine(driver, obj, flags, error) ||
        !drv_unlink(save, error) || !drv_unlink(link, error) ||
        !drv_unlink(path, error)) {
        drv_domain_obj_unlock(obj);
        return false;
    }
    /* A running domain's swtpm still uses it: its state goes when the
     * domain is undefined while stopped. */
    if (!(flags & DRV_DOMAIN_UNDEFINE_KEEP_TPM) &&
        !drv_domain_obj_is_active(obj)) {
        g_autofree char *tpm = drv_tpm_state_dir(driver, obj->name);

        drv_snapshot_remove_tree(tpm);
    }
    obj->autostart = false;
    g_clear_pointer(&obj->def, domain_def_free);
    drv_domain_event_emit(driver, obj, DRV_EVENT_UNDEFINED,
                          DRV_EVENT_UNDEFINED_REMOVED);
    /* A running domain stays, as a transient one, until it stops. */
    if (!drv_domain_obj_is_active(obj))
        drv_domain_list_remove_locked(driver->domains, obj);
    drv_domain_obj_unlock(obj);
    return true;
}

char *
drv_domain_get_xml_desc(DrvDriver *driver, DrvDomainObj *obj, unsigned int flags,
                        GError **error)
{
    const DomainDef *def;
    char *xml = NULL;
    int id;

    /* UPDATE_CPU has nothing to update: the CPU model is host-passthrough
     * or host-model as written. */
    if (!drv_check_flags(flags, DRV_DOMAIN_XML_SECURE | DRV_DOMAIN_XML_INACTIVE |
                         DRV_DOMAIN_XML_UPDATE_CPU | DRV_DOMAIN_XML_MIGRATABLE,
                         "virDomainGetXMLDesc", error))
        return NULL;
    drv_domain_obj_lock(obj);
    /* virtio-mem's <current> is the guest's doing: asked for each time. */
    if (!(flags & DRV_DOMAIN_XML_INACTIVE))
        drv_memory_refresh_current(driver, obj);
    if ((flags & DRV_DOMAIN_XML_INACTIVE) && obj->def)
        def = obj->def;
    else
        def = drv_domain_obj_current_def_checked(obj, error);
    id = def && def == obj->live ? obj->id : -1;
    if (def)
        xml = domain_def_format(def, id, flags & (DOMAIN_DEF_FORMAT_SECURE |
                                                  DOMAIN_DEF_FORMAT_INACTIVE |
                                                  DOMAIN_DEF_FORMAT_MIGRATABLE),
                                error);
    drv_domain_obj_unlock(obj);
    return xml;
}

bool
drv_domain_set_autostart(DrvDriver *driver, DrvDomainObj *obj, bool autostart,
                         GError **error)
{
    g_autofree char *path = NULL;
    g_autofree char *link = NULL;
    bool ok = true;

    drv_domain_obj_lock(obj);
    if (!drv_domain_obj_is_persistent(obj)) {
        g_set_error_literal(error, DRV_ERROR, DRV_ERROR_OPERATION_INVALID,
                            "cannot set autostart for transient domain");
        drv_domain_obj_unlock(obj);
        return false;
    }
    path = drv_config_domain_xml_path(driver->config, obj->name);
    link = drv_config_autostart_path(driver->config, obj->name);
    if (autostart && !obj->autostart) {
        /* libvirt's layout: autostart/<name>.xml -> ../<name>.xml */
        if (symlink(path, link) < 0 && errno != EEXIST) {
            g_set_error(error, G_IO_ERROR, g_io_error_from_errno(errno),
                        "cannot create autostart link '%s': %s", link,
                        g_strerror(errno));
            ok = false;
        }
    } else if (!autostart && obj->autostart) {
        ok = drv_unlink(link, error);
    }
    if (ok)
        obj->autostart = autostart;
    drv_domain_obj_unlock(obj);
    return ok;
}

/* VIR_DOMAIN_EVENT_ID_METADATA_CHANGE for @obj (locked). */
static void
drv_domain_metadata_event_emit(DrvDriver *driver, DrvDomainObj *obj, int type,
                               const char *uri)
{
    DrvDomainEvent ev = {
        .event_id = DRV_EVENT_ID_METADATA_CHANGE,
        .name = obj->name,
        .uuid = obj->uuid,
        .id = obj->id,
        .metadata_type = type,
        .metadata_uri = type == DOMAIN_METADATA_ELEMENT ? uri : NULL,
    };

    if (driver->event_func)
        driver->event_func(&ev, driver->event_data);
}

/* Resolves AFFECT_CURRENT and checks the definitions @flags name exist
 * (obj locked). */
bool
drv_domain_affect(DrvDomainObj *obj, unsigned int *flags, const char *api,
                  GError **error)
{
    if (!drv_check_flags(*flags, DRV_DOMAIN_AFFECT_LIVE | DRV_DOMAIN_AFFECT_CONFIG,
                         api, error))
        return false;
    if (*flags == 0)
        *flags = drv_domain_obj_is_active(obj) ? DRV_DOMAIN_AFFECT_LIVE :
                                                 DRV_DOMAIN_AFFECT_CONFIG;
    if ((*flags & DRV_DOMAIN_AFFECT_LIVE) && !drv_domain_obj_is_active(obj)) {
        drv_domain_set_error_not_running(error);
        return false;
    }
    if ((*flags & DRV_DOMAIN_AFFECT_CONFIG) && !drv_domain_obj_is_persistent(obj)) {
        g_set_error_literal(error, DRV_ERROR, DRV_ERROR_OPERATION_INVALID,
                            "cannot change persistent config of a transient domain");
        return false;
    }
    return true;
}

bool
drv_domain_set_metadata(DrvDriver *driver, DrvDomainObj *obj, int type,
                        const char *metadata, const char *key, const char *uri,
                        unsigned int flags, GError **error)
{
    g_autoptr(DomainDef) config = NULL;
    bool ok = false;

    drv_domain_obj_lock(obj);
    if (!drv_domain_affect(obj, &flags, "virDomainSetMetadata", error))
        goto cleanup;
    /* Both changes are checked on copies first, so that a bad argument
     * changes neither definition. */
    if (flags & DRV_DOMAIN_AFFECT_CONFIG) {
        config = domain_def_copy(obj->def);
        if (!domain_def_set_metadata(config, type, metadata, key, uri, error) ||
            !drv_domain_save_config(driver, config, error))
            goto cleanup;
    }
    if (flags & DRV_DOMAIN_AFFECT_LIVE) {
        g_autoptr(DomainDef) probe = domain_def_copy(obj->live);

        /* obj->live stays the same object (a job may be using it while
         * the lock is dropped): the change is tried on a copy, then made
         * in place, where it cannot fail differently. */
        if (!domain_def_set_metadata(probe, type, metadata, key, uri, error) ||
            !domain_def_set_metadata(obj->live, type, metadata, key, uri, error))
            goto cleanup;
        drv_process_save_state(driver, obj);
    }
    if (config) {
        g_clear_pointer(&obj->def, domain_def_free);
        obj->def = g_steal_pointer(&config);
    }
    /* As libvirt: one event per call, whichever definitions changed. */
    drv_domain_metadata_event_emit(driver, obj, type, uri);
    ok = true;
 cleanup:
    drv_domain_obj_unlock(obj);
    return ok;
}

/* @def with @kib as its current memory (or <memory>, @maximum), checked
 * as define checks it; NULL with @error set. */
static DomainDef *
drv_memory_def(const DomainDef *def, uint64_t kib, bool maximum,
               GError **error)
{
    g_autoptr(DomainDef) copy = domain_def_copy(def);

    if (maximum) {
        copy->max_memory_kib = kib;
        copy->current_memory_kib = MIN(copy->current_memory_kib, kib);
    } else if (kib > domain_def_memory_balloon_max_kib(copy)) {
        /* The limit leaves out the virtio-mem device, as libvirt's does. */
        g_set_error(error, DRV_ERROR, DRV_ERROR_INVALID_ARG,
                    "cannot set memory higher than max "
                    "memory (%" G_GUINT64_FORMAT " KiB)",
                    (guint64)domain_def_memory_balloon_max_kib(copy));
        return NULL;
    } else {
        copy->current_memory_kib = kib;
    }
    if (kib == 0) {
        g_set_error_literal(error, DRV_ERROR, DRV_ERROR_INVALID_ARG,
                            "memory must not be zero");
        return NULL;
    }
    return domain_def_check_vmconfig(copy, error) ? g_steal_pointer(&copy)
                                                  : NULL;
}

bool
drv_domain_set_memory(DrvDriver *driver, DrvDomainObj *obj, uint64_t kib,
                      unsigned int flags, GError **error)
{
    bool maximum = flags & DRV_DOMAIN_MEM_MAXIMUM;
    unsigned int affect = flags & ~DRV_DOMAIN_MEM_MAXIMUM;
    g_autoptr(DomainDef) config = NULL;
    g_autoptr(DomainDef) live = NULL;
    g_autofree char *sock = NULL;
    g_autofree char *body = NULL;
    uint64_t guest_kib;
    bool ok = false;

    drv_domain_obj_lock(obj);
    if (!drv_domain_affect(obj, &affect, "virDomainSetMemoryFlags", error))
        goto cleanup;
    if (maximum && (affect & DRV_DOMAIN_AFFECT_LIVE)) {
        g_set_error_literal(error, DRV_ERROR, DRV_ERROR_OPERATION_INVALID,
                            "cannot resize the maximum memory on an active "
                            "domain");
        goto cleanup;
    }
    if ((affect & DRV_DOMAIN_AFFECT_CONFIG) &&
        !(config = drv_memory_def(obj->def, kib, maximum, error)))
        goto cleanup;
    if (affect & DRV_DOMAIN_AFFECT_LIVE) {
        /* The guest's balloon driver gives the memory back: libvirt's
         * words for a domain without one. */
        if (!domain_def_has_balloon(obj->live)) {
            g_set_error_literal(error, DRV_ERROR, DRV_ERROR_OPERATION_INVALID,
                                "Unable to change memory of active domain "
                                "without the balloon device and guest OS "
                                "balloon driver");
            goto cleanup;
        }
        if (!(live = drv_memory_def(obj->live, kib, false, error)))
            goto cleanup;
        if (!(sock = drv_domain_begin_running(obj, "setmem", error)))
            goto cleanup;
        /* The balloon takes what the guest has beyond @kib: its RAM now,
         * with what virtio-mem plugged (read fresh), not <memory>, which
         * counts the whole virtio-mem region. */
        drv_memory_refresh_current(driver, obj);
        guest_kib = obj->live ? domain_def_memory_guest_kib(obj->live) : 0;
        body = g_strdup_printf("{\"desired_balloon\": %" G_GUINT64_FORMAT "}",
                               (guint64)(guest_kib - MIN(guest_kib, kib)) *
                               1024);
        drv_domain_obj_unlock(obj);
        ok = drv_monitor_put(sock, "vm.resize", body, error);
        drv_domain_obj_lock(obj);
        drv_domain_job_end(obj);
        if (!ok)
            goto cleanup;
        ok = false;
        if (obj->live) {
            obj->live->current_memory_kib = kib;
            drv_process_save_state(driver, obj);
        }
    }
    if (config && !drv_domain_commit_config(driver, obj, &config, error))
        goto cleanup;
    ok = true;
 cleanup:
    drv_domain_obj_unlock(obj);
    return ok;
}

char *
drv_domain_get_metadata(DrvDriver *driver, DrvDomainObj *obj, int type,
                        const char *uri, unsigned int flags, GError **error)
{
    char *out = NULL;

    drv_domain_obj_lock(obj);
    if (flags == (DRV_DOMAIN_AFFECT_LIVE | DRV_DOMAIN_AFFECT_CONFIG)) {
        g_set_error_literal(error, DRV_ERROR, DRV_ERROR_INVALID_ARG,
                            "flags 'live' and 'config' are mutually exclusive");
    } else if (drv_domain_affect(obj, &flags, "virDomainGetMetadata", error)) {
        out = domain_def_get_metadata((flags & DRV_DOMAIN_AFFECT_LIVE) ?
                                      obj->live : obj->def, type, uri, error);
    }
    drv_domain_obj_unlock(obj);
    return out;
}

/* Does @obj (locked) pass the DRV_LIST_* @flags?  Each pair of flags
 * filters only when one of the two is given (libvirt's semantics). */
static bool
drv_domain_matches(DrvDriver *driver, DrvDomainObj *obj, unsigned int flags)
{
    bool active = drv_domain_obj_is_active(obj);
    bool persistent = drv_domain_obj_is_persistent(obj);

#define DRV_PAIR(yes, no, cond) \
    ((flags & ((yes) | (no))) && !(((flags & (yes)) && (cond)) || ((flags & (no)) && !(cond))))
    if (DRV_PAIR(DRV_LIST_ACTIVE, DRV_LIST_INACTIVE, active) ||
        DRV_PAIR(DRV_LIST_PERSISTENT, DRV_LIST_TRANSIENT, persistent) ||
        DRV_PAIR(DRV_LIST_MANAGEDSAVE, DRV_LIST_NO_MANAGEDSAVE,
                 drv_managed_save_exists(driver, obj)) ||
        DRV_PAIR(DRV_LIST_AUTOSTART, DRV_LIST_NO_AUTOSTART, obj->autostart) ||
        DRV_PAIR(DRV_LIST_HAS_SNAPSHOT, DRV_LIST_NO_SNAPSHOT, false) ||
        DRV_PAIR(DRV_LIST_HAS_CHECKPOINT, DRV_LIST_NO_CHECKPOINT, false))
        return false;
#undef DRV_PAIR
    if (flags & (DRV_LIST_RUNNING | DRV_LIST_PAUSED | DRV_LIST_SHUTOFF | DRV_LIST_OTHER)) {
        DrvDomainState st = obj->state;
        bool other = st != DRV_STATE_RUNNING && st != DRV_STATE_PAUSED &&
                     st != DRV_STATE_SHUTOFF;

        if (!((flags & DRV_LIST_RUNNING && st == DRV_STATE_RUNNING) ||
              (flags & DRV_LIST_PAUSED && st == DRV_STATE_PAUSED) ||
              (flags & DRV_LIST_SHUTOFF && st == DRV_STATE_SHUTOFF) ||
              (flags & DRV_LIST_OTHER && other)))
            return false;
    }
    return true;
}

GPtrArray *
drv_domain_list_all(DrvDriver *driver, unsigned int flags, GError **error)
{
    g_autoptr(GPtrArray) all = NULL;
    GPtrArray *out;

    if (!drv_check_flags(flags, DRV_LIST_ALL_FLAGS, "virConnectListAllDomains", error))
        return NULL;
    all = drv_domain_list_collect(driver->domains);
    out = g_ptr_array_new_with_free_func((GDestroyNotify)drv_domain_obj_unref);
    for (guint i = 0; i < all->len; i++) {
        DrvDomainObj *obj = g_ptr_array_index(all, i);
        bool keep;

        drv_domain_obj_lock(obj);
        /* A transient domain whose first start is still running has no
         * definition yet: not listed until it has one. */
        keep = drv_domain_obj_current_def(obj) && drv_domain_matches(driver, obj, flags);
        drv_domain_obj_unlock(obj);
        if (keep)
            g_ptr_array_add(out, drv_domain_obj_ref(obj));
    }
    return out;
}

/* ---- loading ---------------------------------------------------------------- */

/* One <name>.xml of the config directory; a broken file is logged and
 * skipped so that one bad definition does not keep the daemon down. */
static void
drv_driver_load_config(DrvDriver *driver, const char *file)
{
    g_autofree char *path = g_build_filename(driver->config->config_dir, file, NULL);
    g_autofree char *stem = g_strndup(file, strlen(file) - strlen(".xml"));
    g_autofree char *link = NULL;
    g_autofree char *xml = NULL;
    g_autoptr(GError) error = NULL;
    g_autoptr(DomainDef) def = NULL;
    DrvDomainObj *obj;
    bool created = false;

    if (!g_file_get_contents(path, &xml, NULL, &error) ||
        !(def = domain_def_parse_string(xml, DOMAIN_DEF_PARSE_INACTIVE, &error))) {
        g_warning("skipping '%s': %s", path, error->message);
        return;
    }
    if (strcmp(def->name, stem) != 0) {
        g_warning("skipping '%s': it defines domain '%s'", path, def->name);
        return;
    }
    obj = drv_domain_list_claim(driver->domains, def, &created, &error);
    if (!obj) {
        g_warning("skipping '%s': %s", path, error->message);
        return;
    }
    link = drv_config_autostart_path(driver->config, def->name);
    obj->autostart = g_file_test(link, G_FILE_TEST_EXISTS);
    obj->def = g_steal_pointer(&def);
    drv_domain_obj_unlock(obj);
    drv_domain_obj_unref(obj);
}

/* "<name>.xml.XXXXXX": the temp file of an atomic write (g_file_set_contents
 * names it so) that a killed daemon never renamed into place.  The
 * definition it was replacing is intact; the temp file is garbage. */
static bool
drv_is_stale_temp(const char *file)
{
    const char *x = g_strrstr(file, ".xml.");

    return x && x != file && strlen(x + strlen(".xml.")) == 6;
}

bool
drv_driver_load(DrvDriver *driver, GError **error)
{
    g_autoptr(GDir) dir = g_dir_open(driver->config->config_dir, 0, error);
    g_autoptr(GPtrArray) all = NULL;
    const char *file;

    if (!dir)
        return false;
    while ((file = g_dir_read_name(dir))) {
        if (g_str_has_suffix(file, ".xml") && strlen(file) > strlen(".xml")) {
            drv_driver_load_config(driver, file);
        } else if (drv_is_stale_temp(file)) {
            g_autofree char *path = g_build_filename(
                driver->config->config_dir, file, NULL);

            g_message("removing '%s', left by an interrupted write", path);
            if (unlink(path) < 0)
                g_warning("cannot remove '%s': %s", path, g_strerror(errno));
        }
    }
    drv_process_reconnect_all(driver);

    all = drv_domain_list_collect(driver->domains);
    for (guint i = 0; i < all->len; i++) {
        DrvDomainObj *obj = g_ptr_array_index(all, i);

        drv_domain_obj_lock(obj);
        if (obj->autostart && !drv_domain_obj_is_active(obj))
            drv_process_queue_autostart(driver, obj);
        drv_domain_obj_unlock(obj);
    }
    return true;
}
