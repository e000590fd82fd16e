/* SPDX-License-Identifier: Apache-2.0 */
/* ACPI PCI hotplug controller: slot up/down bitmaps, guest ejects, GED notification. */
#include <config.h>

#include <gio/gio.h>

#include "devices/device-host.h"
#include "devices/legacy/legacy.h"
#include "devices/legacy/ratelimit.h"
#include "devices/pci/pci-hotplug.h"
#include "devices/pci/pci.h"
#include "devices/state.h"

/*
 * Every register is a DWORD (the DSDT's PCST field uses DWordAcc); other
 * widths and offsets are guest mistakes, ignored (reads: all-ones), never
 * fatal: Cloud Hypervisor asserts on them, which lets a guest kill it.
 *
 * An eject goes through three bitmaps: @down (the guest has not read
 * PCID yet), @ejecting (asked for, not acknowledged) and @acked (the
 * guest wrote B0EJ; the control thread has not been told yet).  Only
 * @ejecting bits can become @acked, so a guest cannot make the VMM remove
 * a device nobody asked to remove.
 */

typedef struct {
    VmmDevice dev;
    VmmDevice *ged;             /* immutable; outlives us */
    uint64_t mmio_base;         /* immutable after the first realize */
    bool placed;                /* control thread */

    /* Control thread: who hears about acknowledged ejects. */
    PciHotplugEjectFunc eject_func;
    gpointer eject_opaque;

    GMutex lock;
    uint32_t up;                /* lock: unread PCIU bits */
    uint32_t down;              /* lock: unread PCID bits */
    uint32_t ejecting;          /* lock: ejects asked for, not yet acked */
    uint32_t acked;             /* lock: acked, not yet reported */
    uint32_t pseg;              /* lock: PSEG */
    GSource *report;            /* lock: pending report of @acked */
    RateLimit rl;               /* lock */
} PciHotplug;

static PciHotplug *
pci_hotplug_from_dev(VmmDevice *dev)
{
    return (PciHotplug *)dev;
}

/* Bit of @slot, or 0 for a slot that does not exist (the host bridge's
 * slot 0 included: it can never be plugged or ejected). */
static uint32_t
pci_hotplug_slot_bit(unsigned segment, unsigned slot, GError **error)
{
    if (segment >= PCI_HOTPLUG_SEGMENTS || slot == 0 || slot >= PCI_SLOTS) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                    "PCI slot %u of segment %u cannot be hotplugged", slot,
                    segment);
        return 0;
    }
    return 1u << slot;
}

static void
pci_hotplug_read(VmmDevice *dev, uint64_t off, void *data, unsigned len)
{
    PciHotplug *h = pci_hotplug_from_dev(dev);
    uint32_t v = 0;

    g_mutex_lock(&h->lock);
    if (len != 4 || (off & 3) != 0 || off >= PCI_HOTPLUG_MMIO_SIZE) {
        legacy_debug_ratelimited(&h->rl, "%s: %u-byte read at 0x%"
                                 G_GINT64_MODIFIER "x ignored", dev->id, len,
                                 off);
        g_mutex_unlock(&h->lock);
        vmm_device_read_ones(data, len);
        return;
    }
    switch (off) {
    /* PSEG can only select segment 0, so the bitmaps are its own. */
    case PCI_HOTPLUG_REG_PCIU:
        /* Read-to-clear: PSCN reads once and notifies every set slot. */
        v = h->up;
        h->up = 0;
        break;
    case PCI_HOTPLUG_REG_PCID:
        v = h->down;
        h->down = 0;
        break;
    case PCI_HOTPLUG_REG_B0EJ:
        v = 0;
        break;
    case PCI_HOTPLUG_REG_PSEG:
        v = h->pseg;
        break;
    }
    g_mutex_unlock(&h->lock);
    vmm_le_store(data, len, v);
}

/* Control thread: hands the acknowledged ejects to the handler. */
static gboolean
pci_hotplug_report(gpointer opaque)
{
    PciHotplug *h = opaque;
    uint32_t acked;

    g_mutex_lock(&h->lock);
    acked = h->acked;
    h->acked = 0;
    g_clear_pointer(&h->report, g_source_unref);
    g_mutex_unlock(&h->lock);
    if (acked && h->eject_func)
        h->eject_func(0, acked, h->eject_opaque);
    return G_SOURCE_REMOVE;
}

/* Lock held. */
static void
pci_hotplug_eject_locked(PciHotplug *h, uint32_t slots)
{
    uint32_t ok = slots & h->ejecting;

    if (slots & ~ok) {
        /* A guest-initiated eject (echo 0 > .../slots/N/power) or junk:
         * the VMM removes only what the API asked it to remove. */
        legacy_debug_ratelimited(&h->rl, "%s: eject of slots 0x%x that "
                                 "were not asked to go ignored", h->dev.id,
                                 slots & ~ok);
    }
    if (!ok)
        return;
    h->ejecting &= ~ok;
    h->acked |= ok;
    /* The removal itself (buses, routes, backend) is the control
     * thread's: this vCPU only queues the news. */
    if (!h->report) {
        h->report = g_idle_source_new();
        g_source_set_callback(h->report, pci_hotplug_report, h, NULL);
        g_source_attach(h->report, device_host_main_context(h->dev.host));
    }
}

static void
pci_hotplug_write(VmmDevice *dev, uint64_t off, const void *data,
                  unsigned len)
{
    PciHotplug *h = pci_hotplug_from_dev(dev);
    uint32_t v = (uint32_t)vmm_le_load(data, len);

    g_mutex_lock(&h->lock);
    if (len != 4 || (off & 3) != 0 || off >= PCI_HOTPLUG_MMIO_SIZE ||
        off == PCI_HOTPLUG_REG_PCIU || off == PCI_HOTPLUG_REG_PCID) {
        legacy_debug_ratelimited(&h->rl, "%s: %u-byte write at 0x%"
                                 G_GINT64_MODIFIER "x ignored", dev->id, len,
                                 off);
    } else if (off == PCI_HOTPLUG_REG_B0EJ) {
        pci_hotplug_eject_locked(h, v);
    } else if (v < PCI_HOTPLUG_SEGMENTS) {
        h->pseg = v;
    } else {
        legacy_debug_ratelimited(&h->rl, "%s: segment %u does not exist",
                                 dev->id, v);
    }
    g_mutex_unlock(&h->lock);
}

bool
pci_hotplug_plug(VmmDevice *dev, unsigned segment, unsigned slot,
                 GError **error)
{
    PciHotplug *h = pci_hotplug_from_dev(dev);
    uint32_t bit = pci_hotplug_slot_bit(segment, slot, error);

    if (!bit)
        return false;
    g_mutex_lock(&h->lock);
    h->up |= bit;
    g_mutex_unlock(&h->lock);
    /* After the bit is visible: the GED handler reads it. */
    ged_notify(h->ged, GED_EVENT_PCI_HOTPLUG);
    return true;
}

bool
pci_hotplug_request_eject(VmmDevice *dev, unsigned segment, unsigned slot,
                          GError **error)
{
    PciHotplug *h = pci_hotplug_from_dev(dev);
    uint32_t bit = pci_hotplug_slot_bit(segment, slot, error);
    bool busy;

    if (!bit)
        return false;
    g_mutex_lock(&h->lock);
    busy = (h->ejecting | h->acked) & bit;
    if (!busy) {
        h->down |= bit;
        h->ejecting |= bit;
    }
    g_mutex_unlock(&h->lock);
    if (busy) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_BUSY,
                    "an eject of PCI slot %u is already in progress", slot);
        return false;
    }
    ged_notify(h->ged, GED_EVENT_PCI_HOTPLUG);
    return true;
}

bool
pci_hotplug_cancel_eject(VmmDevice *dev, unsigned segment, unsigned slot)
{
    PciHotplug *h = pci_hotplug_from_dev(dev);
    uint32_t bit = pci_hotplug_slot_bit(segment, slot, NULL);
    bool cancelled;

    g_mutex_lock(&h->lock);
    cancelled = !(h->acked & bit);
    /* An unread PCID bit goes too: the guest must not eject later what
     * the VMM no longer removes. */
    h->ejecting &= ~bit;
    h->down &= ~bit;
    g_mutex_unlock(&h->lock);
    return cancelled;
}

void
pci_hotplug_set_eject_handler(VmmDevice *dev, PciHotplugEjectFunc func,
                              gpointer opaque)
{
    PciHotplug *h = pci_hotplug_from_dev(dev);

    h->eject_func = func;
    h->eject_opaque = opaque;
}

uint64_t
pci_hotplug_get_mmio_base(VmmDevice *dev)
{
    return pci_hotplug_from_dev(dev)->mmio_base;
}

static bool
pci_hotplug_realize(VmmDevice *dev, GError **error)
{
    PciHotplug *h = pci_hotplug_from_dev(dev);

    /* Placed once: the DSDT describes this window for the VM's life. */
    if (!h->placed &&
        !device_host_alloc_mmio32(dev->host, PCI_HOTPLUG_MMIO_SIZE,
                                  PCI_HOTPLUG_MMIO_SIZE, &h->mmio_base, error))
        return false;
    h->placed = true;
    return device_host_register_mmio(dev->host, h->mmio_base,
                                     PCI_HOTPLUG_MMIO_SIZE, dev, error);
}

static void
pci_hotplug_drop_report(PciHotplug *h)
{
    g_mutex_lock(&h->lock);
    if (h->report) {
        g_source_destroy(h->report);
        g_clear_pointer(&h->report, g_source_unref);
    }
    h->acked = 0;
    g_mutex_unlock(&h->lock);
}

static void
pci_hotplug_unrealize(VmmDevice *dev)
{
    device_host_unregister_device(dev->host, dev);
    pci_hotplug_drop_report(pci_hotplug_from_dev(dev));
}

/* A reset guest starts with no news and no eject in flight; a removal
 * the API still waits for then times out. */
static void
pci_hotplug_reset(VmmDevice *dev)
{
    PciHotplug *h = pci_hotplug_from_dev(dev);

    pci_hotplug_drop_report(h);
    g_mutex_lock(&h->lock);
    h->up = h->down = h->ejecting = 0;
    h->pseg = 0;
    g_mutex_unlock(&h->lock);
}

/* What the guest can still read (unread PCIU/PCID, PSEG) and where the
 * DSDT put the window.  Ejects in flight belong to an API call, which a
 * snapshot does not carry: a restored VM ignores their B0EJ. */
typedef struct {
    uint32_t up;
    uint32_t down;
    uint32_t pseg;
    uint64_t mmio_base;
} PciHotplugState;

/* Slot 0 is the host bridge's: never a hotplug bit. */
#define PCI_HOTPLUG_SLOT_MASK 0xfffffffeu

static const VmmStateField pci_hotplug_state_fields[] = {
    VMM_STATE_UINT_FIELD(PciHotplugState, up, 0, PCI_HOTPLUG_SLOT_MASK),
    VMM_STATE_UINT_FIELD(PciHotplugState, down, 0, PCI_HOTPLUG_SLOT_MASK),
    VMM_STATE_UINT_FIELD(PciHotplugState, pseg, 0, PCI_HOTPLUG_SEGMENTS - 1),
    VMM_STATE_UINT_FIELD(PciHotplugState, mmio_base, 0, G_MAXINT64),
};

static const VmmStateDesc pci_hotplug_state_desc = {
    .name = "pci-hotplug",
    .version = 1,
    .size = sizeof(PciHotplugState),
    .fields = pci_hotplug_state_fields,
    .n_fields = G_N_ELEMENTS(pci_hotplug_state_fields),
};

static JsonNode *
pci_hotplug_save(VmmDevice *dev, GError **error)
{
    PciHotplug *h = pci_hotplug_from_dev(dev);
    PciHotplugState st = { .mmio_base = h->mmio_base };

    g_mutex_lock(&h->lock);
    st.up = h->up;
    st.down = h->down;
    st.pseg = h->pseg;
    g_mutex_unlock(&h->lock);
    return vmm_state_save(&pci_hotplug_state_desc, &st);
}

static bool
pci_hotplug_restore(VmmDevice *dev, JsonNode *state, GError **error)
{
    PciHotplug *h = pci_hotplug_from_dev(dev);
    PciHotplugState st = { 0 };

    if (!vmm_state_load(&pci_hotplug_state_desc, state, dev->id, &st, error))
        return false;
    if (st.mmio_base != h->mmio_base) {
        vmm_state_error(error, dev->id, "mmio_base", "saved at 0x%"
                        G_GINT64_MODIFIER "x, but this VM placed it at 0x%"
                        G_GINT64_MODIFIER "x", st.mmio_base, h->mmio_base);
        return false;
    }
    if ((st.up | st.down) & ~PCI_HOTPLUG_SLOT_MASK) {
        vmm_state_error(error, dev->id, st.up & 1 ? "up" : "down",
                        "slot 0 (the host bridge) cannot be hotplugged");
        return false;
    }
    pci_hotplug_drop_report(h);
    g_mutex_lock(&h->lock);
    h->up = st.up;
    h->down = st.down;
    h->pseg = st.pseg;
    h->ejecting = 0;
    g_mutex_unlock(&h->lock);
    /* News the guest had not read yet gets its interrupt again. */
    if (st.up | st.down)
        ged_notify(h->ged, GED_EVENT_PCI_HOTPLUG);
    return true;
}

static void
pci_hotplug_free(VmmDevice *dev)
{
    PciHotplug *h = pci_hotplug_from_dev(dev);

    pci_hotplug_drop_report(h);
    g_mutex_clear(&h->lock);
    g_free(h);
}

static const VmmDeviceOps pci_hotplug_ops = {
    .name = "pci-hotplug",
    .realize = pci_hotplug_realize,
    .unrealize = pci_hotplug_unrealize,
    .reset = pci_hotplug_reset,
    .read = pci_hotplug_read,
    .write = pci_hotplug_write,
    .save = pci_hotplug_save,
    .restore = pci_hotplug_restore,
    .free = pci_hotplug_free,
};

VmmDevice *
pci_hotplug_new(DeviceHost *host, const char *id, VmmDevice *ged)
{
    PciHotplug *h = g_new0(PciHotplug, 1);

    vmm_device_init(&h->dev, &pci_hotplug_ops, host, id);
    h->ged = ged;
    g_mutex_init(&h->lock);
    return &h->dev;
}
