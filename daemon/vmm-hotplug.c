/* SPDX-License-Identifier: Apache-2.0 */
/* vm.add-disk/add-net/remove-device: PCI hotplug through the ACPI controller. */
#include <config.h>

#include <stdio.h>
#include <gio/gio.h>

#include "config/vm-config-platform.h"
#include "daemon/event-monitor.h"
#include "daemon/vmm-hotplug.h"
#include "daemon/vmm.h"
#include "devices/pci/pci-bus.h"
#include "devices/pci/pci-hotplug.h"
#include "devices/registry.h"

/*
 * Adding is synchronous: the registry builds the device in a free slot
 * and the controller tells the guest (Device Check), as CH does.
 * Removing needs the guest's consent: the controller asks it to eject
 * the slot, and only when its _EJ0 writes B0EJ does the device go (its
 * driver has let go of it).  Each removal waiting for that is a Removal;
 * it ends with the acknowledgement, the timeout, or the VM's deletion.
 */

typedef struct {
    VmmHotplug *hp;
    Vm *vm;                 /* the VM the device lives in */
    VmConfig **config;      /* the config of record, updated on success */
    char *id;
    char *bdf;
    unsigned slot;
    GSource *timeout;
    VmmDoneFunc done;
    gpointer opaque;
} Removal;

/* Control thread only. */
struct VmmHotplug {
    GPtrArray *removals;    /* Removal*, waiting for the guest */
    guint timeout_ms;       /* VMM_HOTPLUG_EJECT_TIMEOUT_MS */
};

VmmHotplug *
vmm_hotplug_new(void)
{
    VmmHotplug *hp = g_new0(VmmHotplug, 1);

    hp->removals = g_ptr_array_new();
    hp->timeout_ms = VMM_HOTPLUG_EJECT_TIMEOUT_MS;
    return hp;
}

void
vmm_hotplug_free(VmmHotplug *hp)
{
    if (!hp)
        return;
    vmm_hotplug_cancel_all(hp, "the VMM is shutting down");
    g_ptr_array_unref(hp->removals);
    g_free(hp);
}

/* The slot of a PCI device of segment 0 ("0000:00:05.0" -> 5); false for
 * a device that is not on PCI. */
static bool
hp_device_slot(VmmDevice *dev, char **bdf, unsigned *slot)
{
    g_autofree char *s = dev->ops->pci_bdf ? dev->ops->pci_bdf(dev) : NULL;
    unsigned seg, bus, fn;

    if (!s || sscanf(s, "%x:%x:%x.%x", &seg, &bus, slot, &fn) != 4 ||
        seg != 0 || bus != 0 || *slot >= 32)
        return false;
    *bdf = g_steal_pointer(&s);
    return true;
}

/* Takes @dev off the bus; with @release, the IOMMU endpoint of its slot
 * (iommu_segments) is free again for the next device there. */
static void
hp_take_off_bus(Vm *vm, VmmDevice *dev, bool release)
{
    g_autofree char *bdf = NULL;
    unsigned slot;
    bool in_slot = hp_device_slot(dev, &bdf, &slot);

    vm_remove_device(vm, dev);
    if (in_slot && release)
        device_registry_iommu_release(vm_device_host(vm), slot);
}

/* A registry/config error as the API's status: a bad body or config is
 * the client's (400), a taken id or path a conflict (409). */
static void
hp_add_error(GError **error, GError *local)
{
    int code = VMM_ERROR_INTERNAL;

    if (local->domain == G_IO_ERROR &&
        (local->code == G_IO_ERROR_INVALID_ARGUMENT ||
         local->code == G_IO_ERROR_INVALID_DATA ||
         local->code == G_IO_ERROR_NOT_SUPPORTED))
        code = VMM_ERROR_BAD_REQUEST;
    else if (local->domain == G_IO_ERROR && local->code == G_IO_ERROR_EXISTS)
        code = VMM_ERROR_CONFLICT;
    g_set_error_literal(error, VMM_ERROR, code, local->message);
    g_error_free(local);
}

bool
vmm_hotplug_add(VmmHotplug *hp, Vm *vm, VmConfig **config, const char *type,
                JsonNode *body, const int *fds, guint n_fds, JsonNode **info,
                GError **error)
{
    DeviceCreateCtx ctx = { 0 };
    GError *local = NULL;
    g_autofree char *bdf = NULL;
    VmmDevice *ctl;
    VmmDevice *dev;
    unsigned slot;
    JsonObject *o;

    *info = NULL;
    if (!vm) {
        /* Not booted yet: the device is built with the others at boot. */
        if (!device_registry_add_config(config, type, body, fds, n_fds,
                                        &local)) {
            hp_add_error(error, local);
            return false;
        }
        return true;
    }
    ctl = vm_find_device(vm, PCI_HOTPLUG_ID);
    ctx.host = vm_device_host(vm);
    ctx.bus = pci_bus_from_device(vm_find_device(vm, PCI_BUS_SEGMENT0_ID));
    if (!ctl || !ctx.bus) {
        g_set_error_literal(error, VMM_ERROR, VMM_ERROR_INTERNAL,
                            "the VM has no PCI hotplug controller");
        return false;
    }
    dev = device_registry_add(&ctx, config, type, body, fds, n_fds, &local);
    if (!dev) {
        hp_add_error(error, local);
        return false;
    }
    /* Every hot-pluggable type is a PCI function on segment 0; one that
     * is not cannot be announced, and goes again, config entry included,
     * so that a refusal leaves nothing behind.  One with iommu=on gets its
     * translation first: the guest's first look at it must see
     * VIRTIO_F_ACCESS_PLATFORM. */
    if (!device_registry_iommu_attach(&ctx, *config, dev, &local) ||
        !hp_device_slot(dev, &bdf, &slot) ||
        !pci_hotplug_plug(ctl, 0, slot, NULL)) {
        g_autofree char *id = g_strdup(dev->id);

        /* An endpoint it claimed goes back with it; a failed attach
         * (@local) claimed none, and the endpoint may be another's. */
        hp_take_off_bus(vm, dev, !local);
        device_registry_detach(config, id, NULL);
        if (local) {
            g_set_error(error, VMM_ERROR, VMM_ERROR_INTERNAL, "'%s': %s", id,
                        local->message);
            g_error_free(local);
        } else {
            g_set_error(error, VMM_ERROR, VMM_ERROR_INTERNAL,
                        "'%s' did not get a hotplug slot on PCI segment 0",
                        id);
        }
        return false;
    }
    g_info("hot-added '%s' at %s", dev->id, bdf);
    o = json_object_new();
    json_object_set_string_member(o, "id", dev->id);
    json_object_set_string_member(o, "bdf", bdf);
    *info = json_node_new(JSON_NODE_OBJECT);
    json_node_take_object(*info, o);
    return true;
}

static void
removal_free(Removal *r)
{
    if (r->timeout) {
        g_source_destroy(r->timeout);
        g_source_unref(r->timeout);
    }
    g_free(r->id);
    g_free(r->bdf);
    g_free(r);
}

/* Ends @r (taken off the list first: @done may start another removal). */
static void
removal_finish(Removal *r, const GError *error)
{
    g_ptr_array_remove(r->hp->removals, r);
    r->done(error, r->opaque);
    removal_free(r);
}

/* The device goes: off the bus, out of the config, and the world is
 * told.  Whatever happens to the config, the device is gone: a config
 * that could not lose its entry is a bug (it was found when the removal
 * started), not a reason to keep a device the guest let go of. */
static void
hp_remove_now(Vm *vm, VmConfig **config, VmmDevice *dev, const char *bdf)
{
    g_autofree char *id = g_strdup(dev->id);
    g_autoptr(GError) local = NULL;
    const char *props[] = { "id", id, "bdf", bdf, NULL };

    hp_take_off_bus(vm, dev, true);
    if (!device_registry_detach(config, id, &local))
        g_critical("removed '%s', but not from the config: %s", id,
                   local->message);
    g_info("removed '%s' (%s)", id, bdf);
    event_monitor_emit("vm", "device-removed", props);
}

/* The controller's report: the guest let go of @slots. */
static void
hp_on_eject(unsigned segment, uint32_t slots, gpointer opaque)
{
    VmmHotplug *hp = opaque;

    for (guint i = hp->removals->len; i > 0; i--) {
        Removal *r = g_ptr_array_index(hp->removals, i - 1);
        VmmDevice *dev;

        if (segment != 0 || !(slots & (1u << r->slot)))
            continue;
        dev = vm_find_device(r->vm, r->id);
        if (dev)
            hp_remove_now(r->vm, r->config, dev, r->bdf);
        removal_finish(r, NULL);
    }
}

static gboolean
hp_on_timeout(gpointer opaque)
{
    Removal *r = opaque;
    VmmDevice *ctl = vm_find_device(r->vm, PCI_HOTPLUG_ID);
    g_autoptr(GError) error = NULL;

    /* The guest wrote B0EJ just now: its report is queued, let it end the
     * removal. */
    if (ctl && !pci_hotplug_cancel_eject(ctl, 0, r->slot))
        return G_SOURCE_CONTINUE;
    g_set_error(&error, VMM_ERROR, VMM_ERROR_INTERNAL,
                "the guest did not release '%s' (%s) within %u ms; the "
                "device stays", r->id, r->bdf, r->hp->timeout_ms);
    g_warning("%s", error->message);
    g_clear_pointer(&r->timeout, g_source_unref);
    removal_finish(r, error);
    return G_SOURCE_REMOVE;
}

void
vmm_hotplug_remove(VmmHotplug *hp, Vm *vm, bool guest_running,
                   VmConfig **config, const char *id, VmmDoneFunc done,
                   gpointer opaque)
{
    g_autoptr(GError) error = NULL;
    GError *local = NULL;
    g_autofree char *bdf = NULL;
    const DeviceType *type;
    VmmDevice *dev = NULL;
    VmmDevice *ctl;
    Removal *r;
    unsigned slot;
    guint index;

    /* Only what the config has, and only hot-pluggable types: the
     * platform's devices, the consoles and the rng stay. */
    type = device_registry_find_entry(*config, id, &index);
    if (!type) {
        g_set_error(&error, VMM_ERROR, VMM_ERROR_NOT_CREATED,
                    "no device with id '%s'", id);
    } else if (!type->hotplug) {
        g_set_error(&error, VMM_ERROR, VMM_ERROR_BAD_REQUEST,
                    "'%s' is a %s device, which cannot be hot-removed", id,
                    type->name);
    } else if (!vm) {
        /* Not booted: the config is all there is. */
        if (!device_registry_detach(config, id, &local))
            hp_add_error(&error, local);
    } else if (type->behind_iommu &&
               type->behind_iommu(device_type_entry(type, *config, index)) &&
               !platform_config_iommu_segment((*config)->platform, 0)) {
        /* Its function stays in the VIOT the guest read at boot: a device
         * hot-added there later would be one the guest believes
         * translated, and is not.  On a segment iommu_segments lists,
         * whatever comes next is translated too (config/ makes sure). */
        g_set_error(&error, VMM_ERROR, VMM_ERROR_BAD_REQUEST,
                    "'%s' is behind the virtio-iommu (iommu=on) and cannot "
                    "be hot-removed: the ACPI VIOT table listing its function "
                    "is fixed at boot (unless --platform iommu_segments=[0] "
                    "puts the whole segment behind it)", id);
    } else if (!(dev = vm_find_device(vm, id)) ||
               !hp_device_slot(dev, &bdf, &slot)) {
        g_set_error(&error, VMM_ERROR, VMM_ERROR_INTERNAL,
                    "'%s' is configured but not on the VM's PCI bus", id);
    } else if (!guest_running) {
        /* No guest to ask (its vCPUs are stopped). */
        hp_remove_now(vm, config, dev, bdf);
    } else if (!(ctl = vm_find_device(vm, PCI_HOTPLUG_ID))) {
        g_set_error_literal(&error, VMM_ERROR, VMM_ERROR_INTERNAL,
                            "the VM has no PCI hotplug controller");
    } else if (!pci_hotplug_request_eject(ctl, 0, slot, &local)) {
        /* BUSY: a removal of it is already waiting. */
        g_set_error(&error, VMM_ERROR, VMM_ERROR_CONFLICT, "'%s': %s", id,
                    local->message);
        g_error_free(local);
    } else {
        pci_hotplug_set_eject_handler(ctl, hp_on_eject, hp);
        r = g_new0(Removal, 1);
        r->hp = hp;
        r->vm = vm;
        r->config = config;
        r->id = g_strdup(id);
        r->bdf = g_steal_pointer(&bdf);
        r->slot = slot;
        r->done = done;
        r->opaque = opaque;
        r->timeout = g_timeout_source_new(hp->timeout_ms);
        g_source_set_callback(r->timeout, hp_on_timeout, r, NULL);
        g_source_attach(r->timeout, vm_main_context(vm));
        g_ptr_array_add(hp->removals, r);
        g_info("asked the guest to eject '%s' (%s)", id, r->bdf);
        return;
    }
    done(error, opaque);
}

void
vmm_hotplug_cancel_all(VmmHotplug *hp, const char *why)
{
    while (hp->removals->len > 0) {
        Removal *r = g_ptr_array_index(hp->removals, 0);
        g_autoptr(GError) error = NULL;
        VmmDevice *ctl = vm_find_device(r->vm, PCI_HOTPLUG_ID);

        if (ctl)
            pci_hotplug_cancel_eject(ctl, 0, r->slot);
        g_set_error(&error, VMM_ERROR, VMM_ERROR_INTERNAL,
                    "the removal of '%s' was abandoned: %s", r->id, why);
        removal_finish(r, error);
    }
}
