/* SPDX-License-Identifier: Apache-2.0 */
/* <filesystem> (virtiofs) attach and detach on a running domain: its virtiofsd and vm.add-fs. */
#include <config.h>

#include "driver/drv-error.h"
#include "driver/fs-device.h"
#include "driver/monitor.h"
#include "driver/process.h"
#include "driver/util.h"
#include "driver/virtiofsd.h"
#include "driver/xml/device-xml.h"
#include "driver/xml/filesystem.h"

/*
 * virsh attach-device DOM fs.xml --live, as libvirt's qemu driver does
 * it (qemuDomainAttachFSDevice): the back end first, then the device.
 * The filesystem is named before its virtiofsd starts, because the name
 * (alias "fsN", or the user's "ua-...") is also the name of virtiofsd's
 * socket and pid file (virtiofsd.c), which is how a later detach finds
 * the process to stop.  Everything the XML can be refused for (no shared
 * memory, a tag in use, a relative path) was refused by
 * domain_def_with_device() before this runs; a missing directory or
 * virtiofsd is refused here before anything starts.
 *
 * Detach is hotplug.c's vm.remove-device, which answers once the guest
 * has let go; only then is virtiofsd stopped (drv_fs_removed()), so the
 * guest never sees its back end vanish under a mounted filesystem.
 */

bool
drv_fs_attach_live(DrvDriver *driver, DrvDomainObj *obj, const char *sock,
                   DomainDef *live_in, guint index, GError **error)
{
    g_autoptr(DomainDef) live = live_in;
    g_autoptr(JsonNode) answer = NULL;
    g_autoptr(GError) local = NULL;
    g_autofree char *body = NULL;
    g_autofree char *id = NULL;
    const char *bdf = NULL;
    unsigned int generation = obj->generation;
    bool restarted;

    domain_def_device_assign_alias(live, DOMAIN_HOTPLUG_FS, index);
    id = domain_def_device_vmm_id(live, DOMAIN_HOTPLUG_FS, index);
    if (!drv_virtiofsd_start_one(driver, obj->name, live, index, error))
        return false;
    if (!(body = domain_def_fs_hotplug_body(live, index, error)) ||
        !domain_def_check_vmconfig(live, error)) {
        drv_virtiofsd_stop_one(driver, obj->name, id);
        return false;
    }
    drv_domain_obj_unlock(obj);
    answer = drv_monitor_put_answer(sock, "vm.add-fs", body, error);
    drv_domain_obj_lock(obj);
    /* Stopped and started again meanwhile (a new generation): the stop
     * took this virtiofsd with the others (drv_process_stop()), and the
     * new run may have one of its own by the same name, which must stay;
     * so must the new run's definition, which lacks the filesystem. */
    restarted = obj->generation != generation;
    if (!restarted && (!answer || !obj->live))
        drv_virtiofsd_stop_one(driver, obj->name, id);
    if (!answer)
        return false;
    if (restarted) {
        g_set_error(error, DRV_ERROR, DRV_ERROR_OPERATION_FAILED,
                    "domain '%s' was restarted while filesystem '%s' was "
                    "attached: the new run does not have it", obj->name, id);
        return false;
    }
    if (!obj->live) {
        /* Stopped meanwhile: the device went with the VMM. */
        drv_domain_set_error_not_running(error);
        return false;
    }
    if (JSON_NODE_HOLDS_OBJECT(answer))
        bdf = drv_json_string(json_node_get_object(answer), "bdf");
    /* nimbus has the device now: an answer without a usable address costs
     * the address in the XML, not the device. */
    if (!domain_def_device_set_pci_address(live, DOMAIN_HOTPLUG_FS, index,
                                           bdf, &local))
        g_warning("domain '%s': filesystem '%s': %s", obj->name, id,
                  local->message);
    domain_def_free(obj->live);
    obj->live = g_steal_pointer(&live);
    drv_process_save_state(driver, obj);
    if (driver->event_func) {
        DrvDomainEvent ev = {
            .event_id = DRV_EVENT_ID_DEVICE_ADDED,
            .name = obj->name,
            .uuid = obj->uuid,
            .id = obj->id,
            .dev_alias = id,
        };

        driver->event_func(&ev, driver->event_data);
    }
    return true;
}

void
drv_fs_removed(DrvDriver *driver, DrvDomainObj *obj, const char *vmm_id)
{
    drv_virtiofsd_stop_one(driver, obj->name, vmm_id);
}
