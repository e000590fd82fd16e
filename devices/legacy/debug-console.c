/* SPDX-License-Identifier: Apache-2.0 */
/* Port 0xe9 debug console (Bochs/QEMU "debugcon"): bytes go to a backend. */
#include <config.h>

#include <gio/gio.h>

#include "devices/device-host.h"
#include "devices/legacy/legacy.h"
#include "devices/state.h"

/*
 * Firmware (edk2 DEBUG builds, SeaBIOS, hypervisor-fw) prints its debug log
 * here.  A read returns 0xe9, the value by which Bochs-style code detects
 * the port.  The device has no state of its own.
 */

#define DEBUG_CONSOLE_READBACK 0xe9

typedef struct {
    VmmDevice dev;
    uint16_t iobase;                /* immutable */
    CharBackend *backend;           /* immutable, owned; NULL: discard */
} DebugConsole;

static DebugConsole *
debug_console_from_dev(VmmDevice *dev)
{
    return (DebugConsole *)dev;
}

static void
debug_console_read(VmmDevice *dev, uint64_t off, void *data, unsigned len)
{
    vmm_device_read_ones(data, len);
    ((uint8_t *)data)[0] = DEBUG_CONSOLE_READBACK;
}

static void
debug_console_write(VmmDevice *dev, uint64_t off, const void *data,
                    unsigned len)
{
    DebugConsole *d = debug_console_from_dev(dev);

    /* One port, one byte: the rest of a wider write is for other ports. */
    if (d->backend)
        chardev_write(d->backend, data, 1);
}

static bool
debug_console_realize(VmmDevice *dev, GError **error)
{
    DebugConsole *d = debug_console_from_dev(dev);

    return device_host_register_pio(dev->host, d->iobase, 1, dev, error);
}

static void
debug_console_unrealize(VmmDevice *dev)
{
    device_host_unregister_device(dev->host, dev);
}

/* Stateless: nothing to reset. */
static void
debug_console_reset(VmmDevice *dev)
{
}

/* Stateless, but versioned like every device: a later version may add
 * fields, and an older build must then refuse its blobs. */
static const VmmStateDesc debug_console_state_desc = {
    .name = "debug-console",
    .version = 1,
};

static JsonNode *
debug_console_save(VmmDevice *dev, GError **error)
{
    return vmm_state_save(&debug_console_state_desc, NULL);
}

static bool
debug_console_restore(VmmDevice *dev, JsonNode *state, GError **error)
{
    return vmm_state_load(&debug_console_state_desc, state, dev->id, NULL,
                          error);
}

static void
debug_console_free(VmmDevice *dev)
{
    DebugConsole *d = debug_console_from_dev(dev);

    g_clear_pointer(&d->backend, chardev_free);
    g_free(d);
}

static const VmmDeviceOps debug_console_ops = {
    .name = "debug-console",
    .realize = debug_console_realize,
    .unrealize = debug_console_unrealize,
    .reset = debug_console_reset,
    .read = debug_console_read,
    .write = debug_console_write,
    .save = debug_console_save,
    .restore = debug_console_restore,
    .free = debug_console_free,
};

VmmDevice *
debug_console_new(DeviceHost *host, const char *id, uint16_t iobase,
                  CharBackend *backend)
{
    DebugConsole *d = g_new0(DebugConsole, 1);

    vmm_device_init(&d->dev, &debug_console_ops, host, id);
    d->iobase = iobase;
    d->backend = backend;
    return &d->dev;
}
