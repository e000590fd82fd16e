/* SPDX-License-Identifier: Apache-2.0 */
/* Common VmmDevice helpers. */
#include <config.h>

#include <string.h>

#include "devices/device.h"

void
vmm_device_init(VmmDevice *dev, const VmmDeviceOps *ops, Vm *vm, const char *id)
{
    dev->ops = ops;
    dev->vm = vm;
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
