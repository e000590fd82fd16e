/* SPDX-License-Identifier: Apache-2.0 */
/* virDomainUpdateDeviceFlags: a per-device-kind dispatch for update-device. */
#include <config.h>

#include <string.h>

#include "driver/drv-error.h"
#include "driver/memory-device.h"
#include "driver/monitor.h"
#include "driver/process.h"
#include "driver/update-device.h"
#include "driver/xml/device-update.h"
#include "driver/xml/net-bandwidth-params.h"

/*
 * libvirt's QEMU driver changes few things of a running device: a cdrom's
 * or floppy's medium, an interface's link state, bandwidth and filters.
 * nimbus has no cdrom or floppy (its disks are virtio, whose medium
 * libvirt does not change either) and its REST API has no call that
 * changes a NIC's link; a NIC's rates change through nimbus's rate
 * limiter update, as domiftune changes them.  So a live update succeeds
 * when it changes nothing or only an interface's <bandwidth>, and is
 * refused with libvirt's words otherwise.  The persistent definition
 * takes any valid replacement.
 */

/* The persistent update of a disk or an interface: replaced in place. */
static DomainDef *
update_config_replace(const DomainDef *def, const char *xml, GError **error)
{
    g_autoptr(DomainDef) config = NULL;
    DomainHotplugKind kind;
    guint index = 0;
    bool changed = false;

    if (!(config = domain_def_with_device_replaced(def, xml, false, &kind,
                                                   &index, &changed, error)))
        return NULL;
    return g_steal_pointer(&config);
}

static bool
update_disk_live(DrvDriver *driver, DrvDomainObj *obj, const char *xml,
                 GError **error)
{
    g_autoptr(DomainDef) live = NULL;
    DomainHotplugKind kind;
    guint index = 0;
    bool changed = false;

    if (!(live = domain_def_with_device_replaced(obj->live, xml, true, &kind,
                                                 &index, &changed, error)))
        return false;
    if (!changed)
        return true;
    if (domain_device_only_source_differs(obj->live, live, kind, index)) {
        /* libvirt's words for a disk that is not a cdrom or floppy. */
        g_set_error_literal(error, DRV_ERROR, DRV_ERROR_OPERATION_UNSUPPORTED,
                            "Operation not supported: disk bus 'virtio' "
                            "cannot be updated.");
    } else {
        g_set_error_literal(error, DRV_ERROR, DRV_ERROR_OPERATION_UNSUPPORTED,
                            "Operation not supported: cannot modify the "
                            "settings of a running virtio disk (detach and "
                            "attach it, or use --config)");
    }
    return false;
}

static bool
update_net_live(DrvDriver *driver, DrvDomainObj *obj, const char *xml,
                GError **error)
{
    g_autoptr(DomainDef) live = NULL;
    g_autofree char *body = NULL;
    g_autofree char *sock = NULL;
    DomainHotplugKind kind;
    guint index = 0;
    bool changed = false;
    bool ok;

    if (!(live = domain_def_with_device_replaced(obj->live, xml, true, &kind,
                                                 &index, &changed, error)))
        return false;
    if (!changed)
        return true;
    if (!domain_def_net_bandwidth_update_body(obj->live, live, index, &body,
                                              error))
        return false;
    if (!body) {
        g_set_error_literal(error, DRV_ERROR, DRV_ERROR_OPERATION_UNSUPPORTED,
                            "Operation not supported: cannot modify network "
                            "device settings of a running domain other than "
                            "<bandwidth>: nimbus has no call that changes the "
                            "rest of a NIC (detach and attach it, or use "
                            "--config)");
        return false;
    }
    /* As domiftune (devtune.c): nimbus first, unlocked, then the record;
     * the job keeps other changes of the devices out meanwhile. */
    if (!(sock = drv_domain_begin_running(obj, "update-device", error)))
        return false;
    drv_domain_obj_unlock(obj);
    ok = drv_monitor_put(sock, "vm.nimbus-update-rate-limiter", body, error);
    drv_domain_obj_lock(obj);
    drv_domain_job_end(obj);
    if (!ok)
        return false;
    /* The domain may have stopped while unlocked: nothing to record. */
    if (obj->live) {
        domain_def_net_bandwidth_take(obj->live, live, index);
        drv_process_save_state(driver, obj);
    }
    return true;
}

/*
 * Indexed by element name.  A new kind (e.g. <memory model='virtio-mem'>,
 * whose live update is vm.resize-zone / vm.resize) adds one line here.
 */
static const DrvDeviceUpdateOps update_disk_ops = {
    .element = "disk",
    .config = update_config_replace,
    .live = update_disk_live,
};

static const DrvDeviceUpdateOps update_net_ops = {
    .element = "interface",
    .config = update_config_replace,
    .live = update_net_live,
};

static const DrvDeviceUpdateOps *const update_ops[] = {
    &update_disk_ops,
    &update_net_ops,
    &drv_memory_update_ops,     /* memory-device.c: virtio-mem <requested> */
};

const DrvDeviceUpdateOps *
drv_device_update_ops_find(const char *element)
{
    for (guint i = 0; i < G_N_ELEMENTS(update_ops); i++) {
        if (g_strcmp0(update_ops[i]->element, element) == 0)
            return update_ops[i];
    }
    return NULL;
}

/* Refuses what cannot be updated before anything is parsed further:
 * an unknown kind, or a <link> (nimbus cannot change a NIC's link, and
 * the definition has no link state to store). */
static const DrvDeviceUpdateOps *
update_ops_for(const char *xml, unsigned int flags, GError **error)
{
    const DrvDeviceUpdateOps *ops;
    g_autofree char *element = NULL;
    bool link = false;
    bool live = flags & DRV_DOMAIN_AFFECT_LIVE;

    if (!(element = domain_device_xml_element(xml, "link", &link, error)))
        return NULL;
    ops = drv_device_update_ops_find(element);
    if (!ops || (live && !ops->live) ||
        ((flags & DRV_DOMAIN_AFFECT_CONFIG) && !ops->config)) {
        /* libvirt's words (qemuDomainUpdateDevice{Live,Config}). */
        g_set_error(error, DRV_ERROR, DRV_ERROR_CONFIG_UNSUPPORTED,
                    "unsupported configuration: %s update of device '%s' "
                    "is not supported", live && (!ops || !ops->live)
                    ? "live" : "persistent", element);
        return NULL;
    }
    if (link && strcmp(element, "interface") == 0) {
        g_set_error_literal(error, DRV_ERROR, DRV_ERROR_OPERATION_UNSUPPORTED,
                            "Operation not supported: changing the link "
                            "state of an interface is not supported by "
                            "nimbus (its API has no call for it)");
        return NULL;
    }
    return ops;
}

bool
drv_domain_update_device(DrvDriver *driver, DrvDomainObj *obj,
                         const char *xml, unsigned int flags, GError **error)
{
    g_autoptr(DomainDef) config = NULL;
    const DrvDeviceUpdateOps *ops;
    bool ok = false;

    drv_domain_obj_lock(obj);
    if (!drv_domain_affect(obj, &flags, "virDomainUpdateDeviceFlags", error) ||
        !(ops = update_ops_for(xml, flags, error)))
        goto cleanup;
    if ((flags & DRV_DOMAIN_AFFECT_CONFIG) &&
        (!(config = ops->config(obj->def, xml, error)) ||
         !domain_def_check_vmconfig(config, error)))
        goto cleanup;
    if ((flags & DRV_DOMAIN_AFFECT_LIVE) && !ops->live(driver, obj, xml, error))
        goto cleanup;
    if (config && !drv_domain_commit_config(driver, obj, &config, error))
        goto cleanup;
    ok = true;
 cleanup:
    drv_domain_obj_unlock(obj);
    return ok;
}
