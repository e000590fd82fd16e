/* SPDX-License-Identifier: Apache-2.0 */
/* <memory> devices through libvirt: update-memory-device, attach, size events. */
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
 * <requested> becomes desired_ram.  With NUMA cells the device is its
 * cell's zone's (driver/xml/numa.c): vm.resize-zone of that zone, to its
 * size plus <requested>.  The guest plugs (or unplugs) in its
 * own time; the live XML's <current> is what it did, from vm.info.
 */

static void drv_memory_watch(DrvDriver *driver, DrvDomainObj *obj);

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
    const char *endpoint = NULL;
    bool ok;

    if (!(live = domain_def_with_memory_update(obj->live, xml, true, error)) ||
        !(sock = drv_domain_begin_running(obj, "update-device", error)))
        return false;
    body = domain_def_memory_resize_request(live, &endpoint);
    drv_domain_obj_unlock(obj);
    ok = drv_monitor_put(sock, endpoint, body, error);
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
    drv_memory_watch(driver, obj);
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

/*
 * MEMORY_DEVICE_SIZE_CHANGE: libvirt sends it whenever the guest's
 * plugged size (<current>) moved.  nimbus reports that size in vm.info
 * only (CH's event stream has no such event), so nimbusd compares each
 * reading with the last: every live XML read, and a watch thread that
 * polls while the guest works towards a new <requested> (after
 * update-memory-device) and stops once the guest reached it or stayed
 * put for MEMORY_WATCH_QUIET_POLLS readings.
 */
#define MEMORY_WATCH_INTERVAL_US (500 * 1000)
#define MEMORY_WATCH_QUIET_POLLS 60

/* Domains with a watch thread -> polls it has left (memory_watch_lock). */
static GMutex memory_watch_lock;
static GHashTable *memory_watched;

typedef struct {
    DrvDriver *driver;
    DrvDomainObj *obj;              /* ref */
    unsigned int generation;        /* the run it watches */
} MemoryWatch;

/* @obj locked and running.  Reads vm.info into <current> and sends the
 * event if it moved; *@reached: the guest has what it was asked for.
 * False when nimbus did not answer or the run ended meanwhile. */
static bool
memory_refresh(DrvDriver *driver, DrvDomainObj *obj, bool *reached)
{
    g_autoptr(JsonNode) info = NULL;
    g_autofree char *sock = g_strdup(obj->proc->api_socket);
    g_autofree char *alias = NULL;
    unsigned int generation = obj->generation;
    uint64_t requested, before, after;
    gint64 actual = 0;

    drv_domain_obj_unlock(obj);
    info = drv_monitor_get(sock, "vm.info", NULL);
    drv_domain_obj_lock(obj);
    if (!info || !JSON_NODE_HOLDS_OBJECT(info) || !obj->live ||
        obj->generation != generation ||
        !domain_def_virtio_mem_state(obj->live, &requested, &before,
                                     &alias) ||
        !drv_json_int(json_node_get_object(info), "memory_actual_size",
                      &actual) || actual < 0)
        return false;
    domain_def_memory_set_actual(obj->live, (uint64_t)actual);
    g_clear_pointer(&alias, g_free);
    domain_def_virtio_mem_state(obj->live, &requested, &after, &alias);
    *reached = after == requested;
    if (after != before && driver && driver->event_func) {
        DrvDomainEvent ev = {
            .event_id = DRV_EVENT_ID_MEMORY_DEVICE_SIZE_CHANGE,
            .name = obj->name,
            .uuid = obj->uuid,
            .id = obj->id,
            .dev_alias = alias,
            .mem_size_kib = after,
        };

        drv_process_save_state(driver, obj);
        driver->event_func(&ev, driver->event_data);
    }
    return true;
}

void
drv_memory_refresh_current(DrvDriver *driver, DrvDomainObj *obj)
{
    bool reached;

    if (!obj->live || !obj->proc || !drv_domain_obj_is_active(obj) ||
        !domain_def_has_virtio_mem(obj->live))
        return;
    /* Keeps the last value if nimbus does not answer. */
    memory_refresh(driver, obj, &reached);
}

static gpointer
memory_watch_thread(gpointer data)
{
    MemoryWatch *w = data;
    bool more = true;

    while (more) {
        bool reached = false;
        bool ok = false;
        guint left;

        g_usleep(MEMORY_WATCH_INTERVAL_US);
        drv_domain_obj_lock(w->obj);
        if (w->obj->live && w->obj->proc &&
            drv_domain_obj_is_active(w->obj) &&
            w->obj->generation == w->generation)
            ok = memory_refresh(w->driver, w->obj, &reached);
        drv_domain_obj_unlock(w->obj);
        g_mutex_lock(&memory_watch_lock);
        left = GPOINTER_TO_UINT(g_hash_table_lookup(memory_watched, w->obj));
        /* A new request (drv_memory_watch) refills the count. */
        more = ok && !reached && left > 1;
        if (more)
            g_hash_table_insert(memory_watched, w->obj,
                                GUINT_TO_POINTER(left - 1));
        else
            g_hash_table_remove(memory_watched, w->obj);
        g_mutex_unlock(&memory_watch_lock);
    }
    drv_domain_obj_unref(w->obj);
    g_free(w);
    return NULL;
}

/* @obj locked, running: follows its virtio-mem device's <current> until
 * the guest reached <requested> (one thread per domain). */
static void
drv_memory_watch(DrvDriver *driver, DrvDomainObj *obj)
{
    g_autoptr(GError) error = NULL;
    MemoryWatch *w;
    GThread *thread;

    g_mutex_lock(&memory_watch_lock);
    if (!memory_watched)
        memory_watched = g_hash_table_new(NULL, NULL);
    if (g_hash_table_contains(memory_watched, obj)) {
        g_hash_table_insert(memory_watched, obj,
                            GUINT_TO_POINTER(MEMORY_WATCH_QUIET_POLLS));
        g_mutex_unlock(&memory_watch_lock);
        return;
    }
    w = g_new0(MemoryWatch, 1);
    w->driver = driver;
    w->obj = drv_domain_obj_ref(obj);
    w->generation = obj->generation;
    g_hash_table_insert(memory_watched, obj,
                        GUINT_TO_POINTER(MEMORY_WATCH_QUIET_POLLS));
    thread = g_thread_try_new("memory-watch", memory_watch_thread, w, &error);
    if (thread) {
        g_thread_unref(thread);
    } else {
        /* The event then comes with the next live XML read. */
        g_warning("domain '%s': cannot follow the virtio-mem size: %s",
                  obj->name, error->message);
        g_hash_table_remove(memory_watched, obj);
        drv_domain_obj_unref(w->obj);
        g_free(w);
    }
    g_mutex_unlock(&memory_watch_lock);
}
