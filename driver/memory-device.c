/* SPDX-License-Identifier: Apache-2.0 */
/* <memory> devices through libvirt: update-memory-device on virtio-mem. */
#include <config.h>

#include "driver/memory-device.h"
#include "driver/monitor.h"
#include "driver/process.h"
#include "driver/util.h"
#include "driver/xml/device-xml.h"
#include "driver/xml/memory-xml.h"

/*
 * virsh update-memory-device reads the domain XML, changes the
 * virtio-mem device's <requested> and hands the element to
 * virDomainUpdateDeviceFlags (libvirt's kbase "Memory devices").  nimbus
 * has the device as its hotplug region: CH's vm.resize desired_ram is the
 * whole RAM, boot RAM plus what virtio-mem is to plug, so the new
 * <requested> becomes desired_ram.  The guest plugs (or unplugs) in its
 * own time; the live XML's <current> is what it did, from vm.info.
 */

static DomainDef *
memory_update_config(const DomainDef *def, const char *xml, GError **error)
{
    return domain_def_with_memory_update(def, xml, false, error);
}

static bool
memory_update_live(DrvDriver *driver, DrvDomainObj *obj, const char *xml,
                   GError **error)
{
    g_autoptr(DomainDef) live = NULL;
    g_autofree char *sock = NULL;
    g_autofree char *body = NULL;
    bool ok;

    if (!(live = domain_def_with_memory_update(obj->live, xml, true, error)) ||
        !(sock = drv_domain_begin_running(obj, "update-device", error)))
        return false;
    body = g_strdup_printf("{\"desired_ram\": %" G_GUINT64_FORMAT "}",
                           (guint64)domain_def_memory_desired_ram(live));
    drv_domain_obj_unlock(obj);
    ok = drv_monitor_put(sock, "vm.resize", body, error);
    drv_domain_obj_lock(obj);
    drv_domain_job_end(obj);
    if (!ok)
        return false;
    if (!obj->live) {
        drv_domain_set_error_not_running(error);
        return false;
    }
    domain_def_memory_copy_requested(obj->live, live);
    drv_process_save_state(driver, obj);
    return true;
}

const DrvDeviceUpdateOps drv_memory_update_ops = {
    .element = "memory",
    .config = memory_update_config,
    .live = memory_update_live,
};

bool
drv_memory_attach_live(DrvDriver *driver, DrvDomainObj *obj,
                       const char *sock, DomainDef *live_in, guint index,
                       GError **error)
{
    g_autoptr(DomainDef) live = live_in;
    g_autoptr(JsonNode) answer = NULL;
    g_autoptr(GError) local = NULL;
    g_autofree char *body = NULL;
    g_autofree char *alias = NULL;
    const char *endpoint = NULL;
    const char *bdf = NULL;
    bool ok;

    if (!(body = domain_def_memory_attach_prepare(live, index, &endpoint,
                                                  error)) ||
        !domain_def_check_vmconfig(live, error))
        return false;
    alias = domain_def_device_vmm_id(live, DOMAIN_HOTPLUG_MEMORY, index);
    drv_domain_obj_unlock(obj);
    if (g_str_equal(endpoint, "vm.resize")) {
        ok = drv_monitor_put(sock, endpoint, body, error);
    } else {
        answer = drv_monitor_put_answer(sock, endpoint, body, error);
        ok = answer != NULL;
    }
    drv_domain_obj_lock(obj);
    if (!ok)
        return false;
    if (!obj->live) {
        /* Stopped meanwhile: the memory went with the VMM. */
        drv_domain_set_error_not_running(error);
        return false;
    }
    /* vm.add-pmem answers the PCI address (CH's PciDeviceInfo); a DIMM
     * has none of its own. */
    if (answer && JSON_NODE_HOLDS_OBJECT(answer))
        bdf = drv_json_string(json_node_get_object(answer), "bdf");
    if (answer && !domain_def_device_set_pci_address(live,
                                                     DOMAIN_HOTPLUG_MEMORY,
                                                     index, bdf, &local))
        g_warning("domain '%s': memory device '%s': %s", obj->name, alias,
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
            .dev_alias = alias,
        };

        driver->event_func(&ev, driver->event_data);
    }
    return true;
}

void
drv_memory_refresh_current(DrvDomainObj *obj)
{
    g_autoptr(JsonNode) info = NULL;
    g_autofree char *sock = NULL;
    gint64 actual = 0;

    if (!obj->live || !obj->proc || !drv_domain_obj_is_active(obj) ||
        !domain_def_has_virtio_mem(obj->live))
        return;
    sock = g_strdup(obj->proc->api_socket);
    drv_domain_obj_unlock(obj);
    info = drv_monitor_get(sock, "vm.info", NULL);
    drv_domain_obj_lock(obj);
    if (info && JSON_NODE_HOLDS_OBJECT(info) && obj->live &&
        drv_json_int(json_node_get_object(info), "memory_actual_size",
                     &actual) && actual >= 0)
        domain_def_memory_set_actual(obj->live, (uint64_t)actual);
}
