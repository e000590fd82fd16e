/* SPDX-License-Identifier: Apache-2.0 */
/* vm.resize-zone: a memory zone's virtio-mem device, and what the zones plugged. */
#include <config.h>

#include <string.h>
#include <gio/gio.h>

#include "daemon/vmm-zone.h"
#include "daemon/vmm.h"
#include "devices/virtio/mem.h"
#include "devices/virtio/virtio-pci.h"

/*
 * A zone with hotplug_size has its own virtio-mem device, named after the
 * zone (daemon/device-manager.c), over its own hotplug region.  CH's
 * vm.resize-zone asks for the zone's whole size, as vm.resize asks for
 * the whole RAM: the boot size of the zone plus what is to be plugged.
 */

/* The zone @id of @config, NULL when there is none. */
static MemoryZoneConfig *
zone_find(const VmConfig *config, const char *id)
{
    for (guint i = 0; config->memory.zones && i < config->memory.zones->len;
         i++) {
        MemoryZoneConfig *z = g_ptr_array_index(config->memory.zones, i);

        if (strcmp(z->id, id) == 0)
            return z;
    }
    return NULL;
}

/* The virtio-mem device of zone @id in @vm, NULL when there is none. */
static VirtioDevice *
zone_device(Vm *vm, const char *id)
{
    VmmDevice *dev = vm ? vm_find_device(vm, id) : NULL;
    VirtioDevice *vdev = dev ? virtio_pci_get_virtio(dev) : NULL;

    return vdev && virtio_mem_is(vdev) ? vdev : NULL;
}

bool
vmm_zone_resize(Vm *vm, VmConfig *config, const char *id,
                uint64_t desired_ram, GError **error)
{
    MemoryZoneConfig *z = zone_find(config, id);
    VirtioDevice *vdev;
    uint64_t plug;
    g_autoptr(GError) local = NULL;

    if (!z) {
        g_set_error(error, VMM_ERROR, VMM_ERROR_NOT_CREATED,
                    "no memory zone with id '%s'", id);
        return false;
    }
    if (z->hotplug_size == 0) {
        g_set_error(error, VMM_ERROR, VMM_ERROR_BAD_REQUEST,
                    "memory zone '%s' has no memory to plug (give it "
                    "hotplug_size)", id);
        return false;
    }
    if (desired_ram < z->size || desired_ram - z->size > z->hotplug_size) {
        g_set_error(error, VMM_ERROR, VMM_ERROR_BAD_REQUEST,
                    "desired_ram: %" G_GUINT64_FORMAT " is outside %"
                    G_GUINT64_FORMAT "..%" G_GUINT64_FORMAT " (memory zone "
                    "'%s': size to size + hotplug_size)", desired_ram,
                    z->size, z->size + z->hotplug_size, id);
        return false;
    }
    plug = desired_ram - z->size;
    if (plug % VM_CONFIG_VIRTIO_MEM_BLOCK) {
        g_set_error(error, VMM_ERROR, VMM_ERROR_BAD_REQUEST,
                    "desired_ram: %" G_GUINT64_FORMAT " is not the size of "
                    "memory zone '%s' plus a multiple of the 2 MiB "
                    "virtio-mem block", desired_ram, id);
        return false;
    }
    vdev = zone_device(vm, id);
    if (vm && !vdev) {
        g_set_error(error, VMM_ERROR, VMM_ERROR_INTERNAL,
                    "memory zone '%s' has no virtio-mem device", id);
        return false;
    }
    /* Checked above: only a bug fails here. */
    if (vdev && !virtio_mem_set_requested(vdev, plug, &local)) {
        g_set_error(error, VMM_ERROR, VMM_ERROR_INTERNAL, "desired_ram: %s",
                    local->message);
        return false;
    }
    /* vm.info reports it, and a VM not booted yet starts with it (CH). */
    z->hotplugged_size = plug;
    return true;
}

uint64_t
vmm_zone_plugged(Vm *vm, const VmConfig *config)
{
    uint64_t bytes = 0;

    for (guint i = 0; vm && config->memory.zones &&
                      i < config->memory.zones->len; i++) {
        const MemoryZoneConfig *z = g_ptr_array_index(config->memory.zones,
                                                      i);
        VirtioDevice *vdev = z->hotplug_size ? zone_device(vm, z->id) : NULL;

        if (vdev)
            bytes += virtio_mem_plugged(vdev);
    }
    return bytes;
}
