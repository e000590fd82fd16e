/* SPDX-License-Identifier: Apache-2.0 */
/* The part of the i8042 keyboard controller a guest needs: CPU reset (0xfe). */
#include <config.h>

#include <gio/gio.h>

#include "devices/device-host.h"
#include "devices/legacy/legacy.h"
#include "devices/legacy/ratelimit.h"
#include "devices/state.h"

/*
 * Ports 0x61-0x64 as in CH: 0x61 is the PC's "port B" (speaker gate,
 * timer 2 output), 0x64 the status/command port; the data port 0x60 is
 * left unclaimed (reads all-ones) as in CH.
 * There is no keyboard: the status reads 0 (no data, input buffer empty),
 * so Linux's i8042 probe finds no controller behind it and moves on, while
 * "reboot=k" and firmware still reset the machine with command 0xfe.
 */

#define PORT_B 0            /* 0x61 */
#define PORT_STATUS_CMD 3   /* 0x64 */

/* Port B: bits 0-3 are writable (timer 2 gate, speaker, parity checks);
 * bit 5 is timer 2's output, read as high as CH does, so that loops
 * waiting for it terminate. */
#define PORT_B_WRITABLE 0x0f
#define PORT_B_TIMER2_OUT 0x20

typedef struct {
    VmmDevice dev;
    GMutex lock;
    uint8_t port_b;         /* lock: the writable bits of port 0x61 */
    RateLimit rl;           /* lock */
} I8042;

static I8042 *
i8042_from_dev(VmmDevice *dev)
{
    return (I8042 *)dev;
}

static void
i8042_read(VmmDevice *dev, uint64_t off, void *data, unsigned len)
{
    I8042 *k = i8042_from_dev(dev);
    uint8_t v;

    g_mutex_lock(&k->lock);
    switch (off) {
    case PORT_B:
        v = k->port_b | PORT_B_TIMER2_OUT;
        break;
    case PORT_STATUS_CMD:
        v = 0;              /* output buffer empty, input buffer empty */
        break;
    default:
        legacy_debug_ratelimited(&k->rl, "%s: read of port 0x%x",
                                 dev->id, (unsigned)(I8042_BASE + off));
        v = 0xff;
        break;
    }
    g_mutex_unlock(&k->lock);
    vmm_le_store(data, len, v);
    for (unsigned i = 1; i < len; i++)
        ((uint8_t *)data)[i] = 0xff;
}

static void
i8042_write(VmmDevice *dev, uint64_t off, const void *data, unsigned len)
{
    I8042 *k = i8042_from_dev(dev);
    uint8_t v = ((const uint8_t *)data)[0];

    g_mutex_lock(&k->lock);
    switch (off) {
    case PORT_B:
        k->port_b = v & PORT_B_WRITABLE;
        break;
    case PORT_STATUS_CMD:
        if (v == I8042_CMD_RESET_CPU) {
            g_mutex_unlock(&k->lock);
            /* Pulses the CPU's reset line. */
            device_host_request_reset(dev->host);
            return;
        }
        legacy_debug_ratelimited(&k->rl, "%s: command 0x%02x ignored",
                                 dev->id, v);
        break;
    default:
        legacy_debug_ratelimited(&k->rl, "%s: write 0x%02x to port 0x%x "
                                 "ignored", dev->id, v,
                                 (unsigned)(I8042_BASE + off));
        break;
    }
    g_mutex_unlock(&k->lock);
}

static bool
i8042_realize(VmmDevice *dev, GError **error)
{
    return device_host_register_pio(dev->host, I8042_BASE, I8042_NR_PORTS,
                                    dev, error);
}

static void
i8042_unrealize(VmmDevice *dev)
{
    device_host_unregister_device(dev->host, dev);
}

static void
i8042_reset(VmmDevice *dev)
{
    I8042 *k = i8042_from_dev(dev);

    g_mutex_lock(&k->lock);
    k->port_b = 0;
    g_mutex_unlock(&k->lock);
}

/* Port 0x61's writable bits are the only state: the controller itself
 * answers from constants. */
typedef struct {
    uint8_t port_b;
} I8042State;

static const VmmStateField i8042_state_fields[] = {
    VMM_STATE_UINT_FIELD(I8042State, port_b, 0, PORT_B_WRITABLE),
};

static const VmmStateDesc i8042_state_desc = {
    .name = "i8042",
    .version = 1,
    .size = sizeof(I8042State),
    .fields = i8042_state_fields,
    .n_fields = G_N_ELEMENTS(i8042_state_fields),
};

static JsonNode *
i8042_save(VmmDevice *dev, GError **error)
{
    I8042 *k = i8042_from_dev(dev);
    I8042State st = { 0 };

    g_mutex_lock(&k->lock);
    st.port_b = k->port_b;
    g_mutex_unlock(&k->lock);
    return vmm_state_save(&i8042_state_desc, &st);
}

static bool
i8042_restore(VmmDevice *dev, JsonNode *state, GError **error)
{
    I8042 *k = i8042_from_dev(dev);
    I8042State st = { 0 };

    if (!vmm_state_load(&i8042_state_desc, state, dev->id, &st, error))
        return false;
    g_mutex_lock(&k->lock);
    k->port_b = st.port_b;
    g_mutex_unlock(&k->lock);
    return true;
}

static void
i8042_free(VmmDevice *dev)
{
    I8042 *k = i8042_from_dev(dev);

    g_mutex_clear(&k->lock);
    g_free(k);
}

static const VmmDeviceOps i8042_ops = {
    .name = "i8042",
    .realize = i8042_realize,
    .unrealize = i8042_unrealize,
    .reset = i8042_reset,
    .read = i8042_read,
    .write = i8042_write,
    .save = i8042_save,
    .restore = i8042_restore,
    .free = i8042_free,
};

VmmDevice *
i8042_new(DeviceHost *host, const char *id)
{
    I8042 *k = g_new0(I8042, 1);

    vmm_device_init(&k->dev, &i8042_ops, host, id);
    g_mutex_init(&k->lock);
    return &k->dev;
}
