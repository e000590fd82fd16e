/* SPDX-License-Identifier: Apache-2.0 */
/* attach/detach-device and blockresize: nimbus's PCI hotplug through libvirt. */
#include <config.h>

#include <stdlib.h>

#include "driver/forward.h"
#include "driver/fs-device.h"
#include "driver/hotplug.h"
#include "driver/memory-device.h"
#include "driver/monitor.h"
#include "driver/net-tap.h"
#include "driver/process.h"
#include "driver/util.h"
#include "driver/xml/device-update.h"
#include "driver/xml/device-xml.h"
#include "driver/xml/memory-xml.h"

/*
 * libvirt's sequence (qemuDomainAttachDeviceFlags): resolve the flags,
 * build and check the new persistent definition, change the running
 * domain, then write the persistent definition.  Live changes hold the
 * domain's job and drop its lock while nimbus works, as every other call
 * does.  Devices are named towards nimbus by their VMM id (the alias
 * when there is one), and that is also the alias the events carry.
 */

static void
drv_hotplug_event(DrvDriver *driver, DrvDomainObj *obj, int event_id,
                  const char *alias)
{
    DrvDomainEvent ev = {
        .event_id = event_id,
        .name = obj->name,
        .uuid = obj->uuid,
        .id = obj->id,
        .dev_alias = alias,
    };

    if (driver->event_func)
        driver->event_func(&ev, driver->event_data);
}

/* The path as the kernel resolves it, so that two spellings of one file
 * compare equal; the path itself when it cannot be resolved. */
static char *
drv_hotplug_real_path(const char *path)
{
    char *real = path ? realpath(path, NULL) : NULL;

    return real ? real : g_strdup(path);
}

/*
 * Refuses a disk image another running domain (or this one) has open:
 * two writers corrupt it; likewise the socket of a vhost-user back end
 * (@vhost), which serves one front end.  Called with no domain locked
 * (the lock order forbids taking one object's lock under another's);
 * the caller's job keeps its own domain's definition still.
 */
static bool
drv_hotplug_check_path(DrvDriver *driver, const char *path, bool vhost,
                       GError **error)
{
    g_autoptr(GPtrArray) all = drv_domain_list_collect(driver->domains);
    g_autofree char *want = drv_hotplug_real_path(path);

    for (guint i = 0; i < all->len; i++) {
        DrvDomainObj *o = g_ptr_array_index(all, i);
        g_autoptr(GPtrArray) refs = NULL;
        g_autofree char *holder = NULL;

        drv_domain_obj_lock(o);
        if (o->live)
            refs = domain_def_disk_refs(o->live);
        for (guint j = 0; refs && j < refs->len && !holder; j++) {
            const DomainDevRef *ref = g_ptr_array_index(refs, j);
            g_autofree char *have = drv_hotplug_real_path(
                ref->path ? ref->path : ref->socket);

            if (have && g_strcmp0(have, want) == 0)
                holder = g_strdup(o->name);
        }
        drv_domain_obj_unlock(o);
        if (holder) {
            g_set_error(error, DRV_ERROR, DRV_ERROR_OPERATION_INVALID,
                        "%s '%s' is in use by domain '%s'",
                        vhost ? "vhost-user socket" : "disk image", path,
                        holder);
            return false;
        }
    }
    return true;
}

/* The image path of the disk a running definition just got, or the
 * socket of its vhost-user back end (@vhost true): one front end per
 * back end, as one writer per image. */
static char *
drv_hotplug_disk_path(const DomainDef *def, const char *vmm_id, bool *vhost)
{
    g_autoptr(GPtrArray) refs = domain_def_disk_refs(def);

    for (guint i = 0; i < refs->len; i++) {
        const DomainDevRef *ref = g_ptr_array_index(refs, i);

        if (g_strcmp0(ref->id, vmm_id) == 0) {
            *vhost = ref->socket != NULL;
            return g_strdup(ref->socket ? ref->socket : ref->path);
        }
    }
    return NULL;
}

/* The live half of an attach: @obj locked, its job held. */
static bool
drv_hotplug_attach_live(DrvDriver *driver, DrvDomainObj *obj,
                        const char *sock, const char *xml, GError **error)
{
    g_autoptr(GPtrArray) taps = g_ptr_array_new_with_free_func(g_free);
    g_autoptr(DomainDef) live = NULL;
    g_autoptr(JsonNode) answer = NULL;
    g_autoptr(GError) local = NULL;
    g_autofree char *body = NULL;
    g_autofree char *id = NULL;
    g_autofree char *path = NULL;
    DomainHotplugKind kind;
    const char *bdf = NULL;
    bool vhost = false;
    guint index;

    if (!(live = domain_def_with_device(obj->live, xml, true, &kind, &index,
                                        error)))
        return false;
    if (kind == DOMAIN_HOTPLUG_MEMORY)
        return drv_memory_attach_live(driver, obj, sock,
                                      g_steal_pointer(&live), index, error);
    if (kind == DOMAIN_HOTPLUG_FS)
        return drv_fs_attach_live(driver, obj, sock, g_steal_pointer(&live),
                                  index, error);
    if (!(body = domain_def_hotplug_prepare(live, kind, index,
                                            drv_forward_volume_resolver,
                                            driver->forward, drv_tap_attach,
                                            driver, taps, error)) ||
        !domain_def_check_vmconfig(live, error)) {
        drv_tap_delete_list(taps);
        return false;
    }
    id = domain_def_device_vmm_id(live, kind, index);
    if (kind == DOMAIN_HOTPLUG_DISK)
        path = drv_hotplug_disk_path(live, id, &vhost);
    drv_domain_obj_unlock(obj);
    if (!path || drv_hotplug_check_path(driver, path, vhost, error))
        answer = drv_monitor_put_answer(sock, kind == DOMAIN_HOTPLUG_DISK ?
                                        "vm.add-disk" : "vm.add-net",
                                        body, error);
    drv_domain_obj_lock(obj);
    if (!answer) {
        drv_tap_delete_list(taps);
        return false;
    }
    if (!obj->live) {
        /* Stopped meanwhile: the device went with the VMM. */
        drv_tap_delete_list(taps);
        drv_domain_set_error_not_running(error);
        return false;
    }
    if (JSON_NODE_HOLDS_OBJECT(answer))
        bdf = drv_json_string(json_node_get_object(answer), "bdf");
    /* nimbus has the device now: an answer without a usable address costs
     * the address in the XML, not the device. */
    if (!domain_def_device_set_pci_address(live, kind, index, bdf, &local))
        g_warning("domain '%s': device '%s': %s", obj->name, id,
                  local->message);
    domain_def_free(obj->live);
    obj->live = g_steal_pointer(&live);
    drv_process_save_state(driver, obj);
    drv_hotplug_event(driver, obj, DRV_EVENT_ID_DEVICE_ADDED, id);
    return true;
}

bool
drv_domain_attach_device(DrvDriver *driver, DrvDomainObj *obj,
                         const char *xml, unsigned int flags, GError **error)
{
    g_autoptr(DomainDef) config = NULL;
    g_autofree char *sock = NULL;
    DomainHotplugKind kind;
    guint index;
    bool ok = false;

    drv_domain_obj_lock(obj);
    if (!drv_domain_affect(obj, &flags, "virDomainAttachDeviceFlags", error))
        goto cleanup;
    if ((flags & DRV_DOMAIN_AFFECT_CONFIG) &&
        (!(config = domain_def_with_device(obj->def, xml, false, &kind,
                                           &index, error)) ||
         !domain_def_check_vmconfig(config, error)))
        goto cleanup;
    if (flags & DRV_DOMAIN_AFFECT_LIVE) {
        if (!(sock = drv_domain_begin_running(obj, "attach-device", error)))
            goto cleanup;
        ok = drv_hotplug_attach_live(driver, obj, sock, xml, error);
        drv_domain_job_end(obj);
        if (!ok)
            goto cleanup;
        ok = false;
    }
    if (config && !drv_domain_commit_config(driver, obj, &config, error))
        goto cleanup;
    ok = true;
 cleanup:
    drv_domain_obj_unlock(obj);
    return ok;
}

static bool
drv_hotplug_find(const DomainDef *def, const char *xml, const char *alias,
                 DomainHotplugKind *kind, guint *index, GError **error)
{
    g_autofree char *element = NULL;

    /* <memory> devices are matched by memory.c's rules. */
    if (xml && !(element = domain_device_xml_element(xml, NULL, NULL, error)))
        return false;
    if (g_strcmp0(element, "memory") == 0) {
        *kind = DOMAIN_HOTPLUG_MEMORY;
        return domain_def_find_memory_xml(def, xml, index, error);
    }
    return xml ? domain_def_find_device_xml(def, xml, kind, index, error)
               : domain_def_find_device_alias(def, alias, kind, index, error);
}

void
drv_hotplug_device_removed(DrvDriver *driver, DrvDomainObj *obj,
                           const char *vmm_id)
{
    g_autofree char *tap = NULL;
    DomainHotplugKind kind;
    guint index;

    if (!obj->live || !vmm_id ||
        !domain_def_find_device_vmm_id(obj->live, vmm_id, &kind, &index))
        return;
    tap = domain_def_device_bridged_tap(obj->live, kind, index);
    domain_def_remove_device(obj->live, kind, index, true);
    if (tap)
        drv_tap_delete(tap);
    if (kind == DOMAIN_HOTPLUG_FS)
        drv_fs_removed(driver, obj, vmm_id);
    drv_process_save_state(driver, obj);
    g_info("domain '%s': device '%s' removed", obj->name, vmm_id);
    drv_hotplug_event(driver, obj, DRV_EVENT_ID_DEVICE_REMOVED, vmm_id);
}

/* {"id": @id} for vm.remove-device, plus "desired_size" for
 * vm.resize-disk when @size is not negative (CH's VmRemoveDevice and
 * VmResizeDisk). */
static char *
drv_hotplug_id_body(const char *id, gint64 size)
{
    g_autoptr(JsonBuilder) jb = json_builder_new();
    g_autoptr(JsonNode) node = NULL;

    json_builder_begin_object(jb);
    json_builder_set_member_name(jb, "id");
    json_builder_add_string_value(jb, id);
    if (size >= 0) {
        json_builder_set_member_name(jb, "desired_size");
        json_builder_add_int_value(jb, size);
    }
    json_builder_end_object(jb);
    node = json_builder_get_root(jb);
    return json_to_string(node, FALSE);
}

/* The live half of a detach: @obj locked, its job held. */
static bool
drv_hotplug_detach_live(DrvDriver *driver, DrvDomainObj *obj,
                        const char *sock, const char *xml, const char *alias,
                        GError **error)
{
    g_autofree char *body = NULL;
    g_autofree char *id = NULL;
    DomainHotplugKind kind;
    guint index;
    bool ok;

    if (!drv_hotplug_find(obj->live, xml, alias, &kind, &index, error))
        return false;
    if (kind == DOMAIN_HOTPLUG_MEMORY)
        id = domain_def_memory_detach_id(obj->live, index, error);
    else
        id = domain_def_device_vmm_id(obj->live, kind, index);
    if (!id)
        return false;
    body = drv_hotplug_id_body(id, -1);
    /* nimbus answers once the guest has let go of the device, or with an
     * error when it did not within its eject timeout. */
    drv_domain_obj_unlock(obj);
    ok = drv_monitor_put(sock, "vm.remove-device", body, error);
    drv_domain_obj_lock(obj);
    if (!obj->live) {
        if (ok)
            drv_domain_set_error_not_running(error);
        return false;
    }
    if (!ok) {
        drv_hotplug_event(driver, obj, DRV_EVENT_ID_DEVICE_REMOVAL_FAILED, id);
        return false;
    }
    /* DEVICE_REMOVED comes from nimbus's device-removed event; read what
     * its stream holds now, and should the event still be on its way,
     * nimbus's answer already says the device is gone. */
    drv_process_drain_events(driver, obj);
    drv_hotplug_device_removed(driver, obj, id);
    return true;
}

bool
drv_domain_detach_device(DrvDriver *driver, DrvDomainObj *obj,
                         const char *xml, const char *alias,
                         unsigned int flags, GError **error)
{
    g_autoptr(DomainDef) config = NULL;
    g_autofree char *sock = NULL;
    DomainHotplugKind kind;
    guint index;
    bool ok = false;

    g_return_val_if_fail((xml == NULL) != (alias == NULL), false);
    drv_domain_obj_lock(obj);
    if (!drv_domain_affect(obj, &flags, xml ? "virDomainDetachDeviceFlags" :
                           "virDomainDetachDeviceAlias", error))
        goto cleanup;
    if (flags & DRV_DOMAIN_AFFECT_CONFIG) {
        if (!drv_hotplug_find(obj->def, xml, alias, &kind, &index, error))
            goto cleanup;
        if (!(config = domain_def_copy(obj->def))) {
            g_set_error_literal(error, DRV_ERROR, DRV_ERROR_INTERNAL_ERROR,
                                "cannot copy the persistent definition");
            goto cleanup;
        }
        domain_def_remove_device(config, kind, index, false);
    }
    if (flags & DRV_DOMAIN_AFFECT_LIVE) {
        if (!(sock = drv_domain_begin_running(obj, "detach-device", error)))
            goto cleanup;
        ok = drv_hotplug_detach_live(driver, obj, sock, xml, alias, error);
        drv_domain_job_end(obj);
        if (!ok)
            goto cleanup;
        ok = false;
    }
    if (config && !drv_domain_commit_config(driver, obj, &config, error))
        goto cleanup;
    ok = true;
 cleanup:
    drv_domain_obj_unlock(obj);
    return ok;
}

bool
drv_domain_block_resize(DrvDriver *driver, DrvDomainObj *obj,
                        const char *disk, uint64_t size, unsigned int flags,
                        GError **error)
{
    g_autoptr(GPtrArray) refs = NULL;
    g_autofree char *sock = NULL;
    g_autofree char *body = NULL;
    const DomainDevRef *found = NULL;
    const char *id = NULL;
    bool ok;

    if (!drv_check_flags(flags, DRV_DOMAIN_BLOCK_RESIZE_BYTES,
                         "virDomainBlockResize", error))
        return false;
    if (!(flags & DRV_DOMAIN_BLOCK_RESIZE_BYTES)) {
        if (size > G_MAXUINT64 / 1024) {
            g_set_error(error, DRV_ERROR, DRV_ERROR_INVALID_ARG,
                        "size %" G_GUINT64_FORMAT " KiB is too large", size);
            return false;
        }
        size *= 1024;
    }
    if (size > G_MAXINT64) {
        g_set_error(error, DRV_ERROR, DRV_ERROR_INVALID_ARG,
                    "size %" G_GUINT64_FORMAT " bytes is too large", size);
        return false;
    }
    drv_domain_obj_lock(obj);
    if (!(sock = drv_domain_begin_running(obj, "blockresize", error))) {
        drv_domain_obj_unlock(obj);
        return false;
    }
    /* libvirt names a disk by its target or its source path. */
    refs = domain_def_disk_refs(obj->live);
    for (guint i = 0; i < refs->len && !found; i++) {
        const DomainDevRef *ref = g_ptr_array_index(refs, i);

        if (g_strcmp0(ref->name, disk) == 0 ||
            g_strcmp0(ref->path, disk) == 0 ||
            g_strcmp0(ref->socket, disk) == 0)
            found = ref;
    }
    id = found ? found->id : NULL;
    /* The image and its size are the back end's (the VMM refuses too). */
    if (found && found->socket) {
        g_set_error(error, DRV_ERROR, DRV_ERROR_OPERATION_UNSUPPORTED,
                    "disk '%s' is a vhost-user disk: resize its image in "
                    "the back end ('%s')", found->name, found->socket);
        drv_domain_job_end(obj);
        drv_domain_obj_unlock(obj);
        return false;
    }
    if (!id) {
        g_set_error(error, DRV_ERROR, DRV_ERROR_INVALID_ARG,
                    "invalid path '%s' not assigned to domain", disk);
        drv_domain_job_end(obj);
        drv_domain_obj_unlock(obj);
        return false;
    }
    body = drv_hotplug_id_body(id, (gint64)size);
    drv_domain_obj_unlock(obj);
    ok = drv_monitor_put(sock, "vm.resize-disk", body, error);
    drv_domain_obj_lock(obj);
    drv_domain_job_end(obj);
    drv_domain_obj_unlock(obj);
    return ok;
}
