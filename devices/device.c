/* SPDX-License-Identifier: Apache-2.0 */
/* Common VmmDevice helpers. */
#include <config.h>

#include <string.h>

#include <gio/gio.h>

#include "devices/device-host.h"
#include "devices/device.h"

void
vmm_device_init(VmmDevice *dev, const VmmDeviceOps *ops, DeviceHost *host,
                const char *id)
{
    dev->ops = ops;
    dev->host = host;
    dev->id = g_strdup(id);
}

void
vmm_device_free(VmmDevice *dev)
{
    if (!dev)
        return;
    g_clear_pointer(&dev->id, g_free);
    g_clear_pointer(&dev->runtime.pty, g_free);
    g_clear_pointer(&dev->runtime.mac, g_free);
    g_clear_pointer(&dev->runtime.tap, g_free);
    if (dev->ops && dev->ops->free)
        dev->ops->free(dev);
}

VmmDevice *
vmm_device_list_find(GPtrArray *devices, const char *id)
{
    for (guint i = 0; i < devices->len; i++) {
        VmmDevice *dev = g_ptr_array_index(devices, i);

        if (g_strcmp0(dev->id, id) == 0)
            return dev;
    }
    return NULL;
}

bool
vmm_device_list_add(GPtrArray *devices, VmmDevice *dev, GError **error)
{
    /* Ids name devices in vm.info, vm.counters, snapshots and hot-unplug:
     * a second device with the same id would make all of them ambiguous. */
    if (vmm_device_list_find(devices, dev->id)) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_EXISTS,
                    "device id '%s' already in use", dev->id);
        vmm_device_free(dev);
        return false;
    }
    if (dev->ops->realize && !dev->ops->realize(dev, error)) {
        g_prefix_error(error, "%s: ", dev->id);
        /* A realize that fails half-way may have claimed ranges already. */
        if (dev->host)
            device_host_unregister_device(dev->host, dev);
        vmm_device_free(dev);
        return false;
    }
    g_ptr_array_add(devices, dev);
    return true;
}

void
vmm_device_read_ones(void *data, unsigned len)
{
    memset(data, 0xff, len);
}

uint64_t
vmm_le_load(const void *data, unsigned len)
{
    const uint8_t *p = data;
    uint64_t v = 0;

    /* Byte by byte: @data comes from the KVM run page with no alignment
     * guarantee, and the host order must not leak into guest registers. */
    for (unsigned i = 0; i < len && i < 8; i++)
        v |= (uint64_t)p[i] << (8 * i);
    return v;
}

void
vmm_le_store(void *data, unsigned len, uint64_t value)
{
    uint8_t *p = data;

    for (unsigned i = 0; i < len; i++)
        p[i] = i < 8 ? (uint8_t)(value >> (8 * i)) : 0;
}
