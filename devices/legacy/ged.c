/* SPDX-License-Identifier: Apache-2.0 */
/* ACPI Generic Event Device: latched hotplug/power-button events and an IRQ. */
#include <config.h>

#include <gio/gio.h>

#include "devices/device-host.h"
#include "devices/legacy/legacy-state.h"
#include "devices/legacy/legacy.h"
#include "devices/legacy/ratelimit.h"

/*
 * The DSDT's GED (ACPI0013) _EVT method reads the byte at offset 0 of this
 * MMIO window (the GEC_ region) and dispatches on its bits: CPU, memory and
 * PCI hotplug scans, power button notification.  The read returns the
 * pending bits and clears them, so events raised while _EVT runs are kept
 * for the next interrupt, never lost.
 */

#define GED_REG_EVENTS 0

typedef struct {
    VmmDevice dev;
    uint64_t mmio_base;     /* immutable after realize */
    uint32_t gsi;           /* immutable after realize */
    bool realized;          /* main thread */
    GMutex lock;
    uint32_t pending;       /* lock: GED_EVENT_* bits */
    RateLimit rl;           /* lock */
} Ged;

static Ged *
ged_from_dev(VmmDevice *dev)
{
    return (Ged *)dev;
}

static void
ged_read(VmmDevice *dev, uint64_t off, void *data, unsigned len)
{
    Ged *g = ged_from_dev(dev);

    g_mutex_lock(&g->lock);
    if (off == GED_REG_EVENTS) {
        /* The register is one byte; the rest of a wider read is 0. */
        vmm_le_store(data, len, g->pending);
        g->pending = 0;
    } else {
        legacy_debug_ratelimited(&g->rl, "%s: read at offset 0x%" G_GINT64_MODIFIER
                                 "x", dev->id, off);
        vmm_device_read_ones(data, len);
    }
    g_mutex_unlock(&g->lock);
}

static void
ged_write(VmmDevice *dev, uint64_t off, const void *data, unsigned len)
{
    Ged *g = ged_from_dev(dev);

    g_mutex_lock(&g->lock);
    legacy_debug_ratelimited(&g->rl, "%s: write at offset 0x%" G_GINT64_MODIFIER
                             "x ignored", dev->id, off);
    g_mutex_unlock(&g->lock);
}

void
ged_notify(VmmDevice *dev, uint32_t bits)
{
    Ged *g = ged_from_dev(dev);

    bits &= GED_EVENT_ALL;
    if (!bits)
        return;
    g_mutex_lock(&g->lock);
    g->pending |= bits;
    g_mutex_unlock(&g->lock);
    /* After the bits are visible: the guest's handler reads them. */
    device_host_irq_pulse(dev->host, g->gsi);
}

uint64_t
ged_get_mmio_base(VmmDevice *dev)
{
    return ged_from_dev(dev)->mmio_base;
}

uint32_t
ged_get_irq(VmmDevice *dev)
{
    return ged_from_dev(dev)->gsi;
}

/* Placement is the VM's to choose (its allocators know the layout); the
 * VMM reads it back with the getters for the DSDT. */
static bool
ged_realize(VmmDevice *dev, GError **error)
{
    Ged *g = ged_from_dev(dev);

    if (!g->realized) {
        /* Allocated once: a device realized again (after unrealize) keeps
         * the addresses the ACPI tables already describe. */
        if (!device_host_alloc_mmio32(dev->host, GED_MMIO_SIZE, GED_MMIO_SIZE,
                                      &g->mmio_base, error) ||
            !device_host_alloc_irq(dev->host, &g->gsi, error))
            return false;
    }
    if (!device_host_register_mmio(dev->host, g->mmio_base, GED_MMIO_SIZE,
                                   dev, error))
        return false;
    g->realized = true;
    return true;
}

static void
ged_unrealize(VmmDevice *dev)
{
    device_host_unregister_device(dev->host, dev);
}

static void
ged_reset(VmmDevice *dev)
{
    Ged *g = ged_from_dev(dev);

    g_mutex_lock(&g->lock);
    g->pending = 0;
    g_mutex_unlock(&g->lock);
}

static JsonNode *
ged_save(VmmDevice *dev, GError **error)
{
    Ged *g = ged_from_dev(dev);
    g_autoptr(JsonBuilder) b = json_builder_new();
    uint32_t pending;

    g_mutex_lock(&g->lock);
    pending = g->pending;
    g_mutex_unlock(&g->lock);
    json_builder_begin_object(b);
    json_builder_set_member_name(b, "pending");
    json_builder_add_int_value(b, pending);
    json_builder_set_member_name(b, "mmio_base");
    json_builder_add_int_value(b, (gint64)g->mmio_base);
    json_builder_set_member_name(b, "irq");
    json_builder_add_int_value(b, g->gsi);
    json_builder_end_object(b);
    return json_builder_get_root(b);
}

static bool
ged_restore(VmmDevice *dev, JsonNode *state, GError **error)
{
    Ged *g = ged_from_dev(dev);
    g_autofree char *what = g_strdup_printf("ged '%s'", dev->id);
    JsonObject *o = legacy_state_object(state, what, error);
    uint64_t pending, base, irq;

    if (!o ||
        !legacy_state_get_uint(o, what, "pending", GED_EVENT_ALL, &pending,
                               error) ||
        !legacy_state_get_uint(o, what, "mmio_base", G_MAXINT64, &base,
                               error) ||
        !legacy_state_get_uint(o, what, "irq", G_MAXUINT32, &irq, error))
        return false;
    /* The guest's ACPI tables hold the saved placement: a VM rebuilt with
     * another one cannot take this state. */
    if (base != g->mmio_base || irq != g->gsi) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                    "%s state: saved at 0x%" G_GINT64_MODIFIER "x IRQ %"
                    G_GUINT64_FORMAT ", but this VM placed it at 0x%"
                    G_GINT64_MODIFIER "x IRQ %u", what, base, irq,
                    g->mmio_base, g->gsi);
        return false;
    }
    g_mutex_lock(&g->lock);
    g->pending = (uint32_t)pending;
    g_mutex_unlock(&g->lock);
    /* An event the guest had not read yet gets its interrupt again. */
    if (pending)
        device_host_irq_pulse(dev->host, g->gsi);
    return true;
}

static void
ged_free(VmmDevice *dev)
{
    Ged *g = ged_from_dev(dev);

    g_mutex_clear(&g->lock);
    g_free(g);
}

static const VmmDeviceOps ged_ops = {
    .name = "ged",
    .realize = ged_realize,
    .unrealize = ged_unrealize,
    .reset = ged_reset,
    .read = ged_read,
    .write = ged_write,
    .save = ged_save,
    .restore = ged_restore,
    .free = ged_free,
};

VmmDevice *
ged_new(DeviceHost *host, const char *id)
{
    Ged *g = g_new0(Ged, 1);

    vmm_device_init(&g->dev, &ged_ops, host, id);
    g_mutex_init(&g->lock);
    return &g->dev;
}
