/* SPDX-License-Identifier: Apache-2.0 */
/* ACPI Generic Event Device: latched hotplug/power-button events and an IRQ. */
#include <config.h>

#include <gio/gio.h>

#include "devices/device-host.h"
#include "devices/legacy/legacy.h"
#include "devices/legacy/ratelimit.h"
#include "devices/state.h"

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

/* The pending events, and the placement the guest's ACPI tables hold. */
typedef struct {
    uint32_t pending;
    uint64_t mmio_base;
    uint32_t irq;
} GedState;

static const VmmStateField ged_state_fields[] = {
    VMM_STATE_UINT_FIELD(GedState, pending, 0, GED_EVENT_ALL),
    VMM_STATE_UINT_FIELD(GedState, mmio_base, 0, G_MAXINT64),
    VMM_STATE_UINT_FIELD(GedState, irq, 0, G_MAXUINT32),
};

static const VmmStateDesc ged_state_desc = {
    .name = "ged",
    .version = 1,
    .size = sizeof(GedState),
    .fields = ged_state_fields,
    .n_fields = G_N_ELEMENTS(ged_state_fields),
};

static JsonNode *
ged_save(VmmDevice *dev, GError **error)
{
    Ged *g = ged_from_dev(dev);
    GedState st = { .mmio_base = g->mmio_base, .irq = g->gsi };

    g_mutex_lock(&g->lock);
    st.pending = g->pending;
    g_mutex_unlock(&g->lock);
    return vmm_state_save(&ged_state_desc, &st);
}

static bool
ged_restore(VmmDevice *dev, JsonNode *state, GError **error)
{
    Ged *g = ged_from_dev(dev);
    GedState st = { 0 };

    if (!vmm_state_load(&ged_state_desc, state, dev->id, &st, error))
        return false;
    /* The guest's ACPI tables hold the saved placement: a VM rebuilt with
     * another one cannot take this state. */
    if (st.mmio_base != g->mmio_base) {
        vmm_state_error(error, dev->id, "mmio_base", "saved at 0x%"
                        G_GINT64_MODIFIER "x, but this VM placed it at 0x%"
                        G_GINT64_MODIFIER "x", st.mmio_base, g->mmio_base);
        return false;
    }
    if (st.irq != g->gsi) {
        vmm_state_error(error, dev->id, "irq", "saved with IRQ %u, but this "
                        "VM gave it IRQ %u", st.irq, g->gsi);
        return false;
    }
    g_mutex_lock(&g->lock);
    g->pending = st.pending;
    g_mutex_unlock(&g->lock);
    /* An event the guest had not read yet gets its interrupt again. */
    if (st.pending)
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
