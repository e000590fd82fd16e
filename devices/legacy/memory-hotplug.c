/* SPDX-License-Identifier: Apache-2.0 */
/* ACPI memory hotplug controller: per-slot base/length/status registers, plugs, GED. */
#include <config.h>

#include <string.h>
#include <gio/gio.h>

#include "config/vm-config.h"
#include "devices/device-host.h"
#include "devices/legacy/legacy.h"
#include "devices/legacy/memory-hotplug.h"
#include "devices/legacy/ratelimit.h"
#include "devices/state.h"

/* Per-slot flags, as the guest sees them in the status byte. */
#define SLOT_F_PRESENT MEMORY_HOTPLUG_MEN
#define SLOT_F_INSERTING MEMORY_HOTPLUG_MINS
#define SLOT_F_MASK (SLOT_F_PRESENT | SLOT_F_INSERTING)

typedef struct {
    VmmDevice dev;
    VmmDevice *ged;             /* immutable; outlives us */
    uint64_t region_gpa;        /* immutable */
    uint64_t slot_size;         /* immutable */
    uint32_t nslots;            /* immutable */
    uint64_t mmio_base;         /* immutable after the first realize */
    bool placed;                /* control thread */

    GMutex lock;
    uint32_t msel;              /* lock: MSEL as the guest wrote it */
    uint8_t *flags;             /* lock: nslots SLOT_F_* bytes */
    uint32_t nplugged;          /* lock: slots 0..nplugged-1 are present */
    RateLimit rl;               /* lock */
} MemoryHotplug;

static MemoryHotplug *
memory_hotplug_from_dev(VmmDevice *dev)
{
    return (MemoryHotplug *)dev;
}

/* Lock held.  The 32-bit register at @reg (a multiple of 4) for the
 * selected slot; a slot that does not exist reads as no DIMM at all. */
static uint32_t
memory_hotplug_reg_locked(MemoryHotplug *h, uint64_t reg)
{
    uint64_t base, len;

    if (h->msel >= h->nslots)
        return 0;
    base = h->region_gpa + (uint64_t)h->msel * h->slot_size;
    len = h->slot_size;
    switch (reg) {
    case MEMORY_HOTPLUG_REG_BASE_LO:
        return (uint32_t)base;
    case MEMORY_HOTPLUG_REG_BASE_HI:
        return (uint32_t)(base >> 32);
    case MEMORY_HOTPLUG_REG_LEN_LO:
        return (uint32_t)len;
    case MEMORY_HOTPLUG_REG_LEN_HI:
        return (uint32_t)(len >> 32);
    case MEMORY_HOTPLUG_REG_STATUS:
        return h->flags[h->msel] & SLOT_F_MASK;
    default:
        return 0;               /* MHPX: no NUMA; reserved bytes */
    }
}

static void
memory_hotplug_read(VmmDevice *dev, uint64_t off, void *data, unsigned len)
{
    MemoryHotplug *h = memory_hotplug_from_dev(dev);
    uint8_t *out = data;

    g_mutex_lock(&h->lock);
    for (unsigned i = 0; i < len; i++) {
        uint64_t o = off + i;

        /* Bytes past the window (a straddling access) read as all-ones,
         * like any unclaimed access. */
        out[i] = o < MEMORY_HOTPLUG_MMIO_SIZE
                     ? (uint8_t)(memory_hotplug_reg_locked(h, o & ~3ULL) >>
                                 (8 * (o & 3)))
                     : 0xff;
    }
    g_mutex_unlock(&h->lock);
}

/* Lock held. */
static void
memory_hotplug_write_byte_locked(MemoryHotplug *h, uint64_t off, uint8_t v)
{
    uint32_t slot = h->msel;

    if (off < MEMORY_HOTPLUG_REG_SEL + 4) {
        h->msel &= ~(0xffu << (8 * off));
        h->msel |= (uint32_t)v << (8 * off);
        return;
    }
    if (off != MEMORY_HOTPLUG_REG_STATUS || !v)
        return;                 /* read-only and reserved bytes */
    if (slot >= h->nslots) {
        legacy_debug_ratelimited(&h->rl, "%s: status write 0x%x for slot %u,"
                                 " which does not exist, ignored", h->dev.id,
                                 v, slot);
        return;
    }
    /* MINS is write-1-to-clear: MSCN has notified the guest. */
    if (v & MEMORY_HOTPLUG_MINS)
        h->flags[slot] &= ~SLOT_F_INSERTING;
    /* The VMM never set MRMV, so an eject is the guest's own idea: the
     * VMM keeps the DIMM (vm.resize refuses to shrink, as CH does). */
    if (v & MEMORY_HOTPLUG_MEJ0)
        legacy_debug_ratelimited(&h->rl, "%s: eject of slot %u ignored: "
                                 "DIMMs are not unplugged", h->dev.id, slot);
}

static void
memory_hotplug_write(VmmDevice *dev, uint64_t off, const void *data,
                     unsigned len)
{
    MemoryHotplug *h = memory_hotplug_from_dev(dev);
    const uint8_t *in = data;

    g_mutex_lock(&h->lock);
    /* Ascending: a wide write that sets MSEL and then the status byte
     * acts on the slot it selects. */
    for (unsigned i = 0; i < len && off + i < MEMORY_HOTPLUG_MMIO_SIZE; i++)
        memory_hotplug_write_byte_locked(h, off + i, in[i]);
    g_mutex_unlock(&h->lock);
}

uint64_t
memory_hotplug_plugged(VmmDevice *dev)
{
    MemoryHotplug *h = memory_hotplug_from_dev(dev);
    uint64_t n;

    g_mutex_lock(&h->lock);
    n = h->nplugged;
    g_mutex_unlock(&h->lock);
    return n * h->slot_size;
}

bool
memory_hotplug_check(VmmDevice *dev, uint64_t bytes, GError **error)
{
    MemoryHotplug *h = memory_hotplug_from_dev(dev);
    uint64_t plugged = memory_hotplug_plugged(dev);
    uint64_t region = (uint64_t)h->nslots * h->slot_size;

    if (bytes % h->slot_size) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                    "%" G_GUINT64_FORMAT " bytes of hotplugged memory is "
                    "not a multiple of the %" G_GUINT64_FORMAT " MiB DIMM "
                    "slot", bytes, h->slot_size >> 20);
        return false;
    }
    if (bytes > region) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_NO_SPACE,
                    "%" G_GUINT64_FORMAT " bytes of hotplugged memory is "
                    "more than the %" G_GUINT64_FORMAT " bytes of "
                    "hotplug_size", bytes, region);
        return false;
    }
    if (bytes < plugged) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
                    "ACPI-hotplugged memory cannot be removed: %"
                    G_GUINT64_FORMAT " bytes are plugged, %"
                    G_GUINT64_FORMAT " asked", plugged, bytes);
        return false;
    }
    return true;
}

bool
memory_hotplug_plug(VmmDevice *dev, uint64_t bytes, GError **error)
{
    MemoryHotplug *h = memory_hotplug_from_dev(dev);
    uint32_t want;
    bool news;

    if (!memory_hotplug_check(dev, bytes, error))
        return false;
    want = (uint32_t)(bytes / h->slot_size);
    g_mutex_lock(&h->lock);
    /* Only the control thread plugs: nplugged cannot have moved since
     * the check. */
    news = want > h->nplugged;
    for (uint32_t s = h->nplugged; s < want; s++)
        h->flags[s] = SLOT_F_PRESENT | SLOT_F_INSERTING;
    h->nplugged = MAX(h->nplugged, want);
    g_mutex_unlock(&h->lock);
    /* After the bits are visible: the GED handler reads them. */
    if (news)
        ged_notify(h->ged, GED_EVENT_MEMORY_HOTPLUG);
    return true;
}

uint64_t
memory_hotplug_get_mmio_base(VmmDevice *dev)
{
    return memory_hotplug_from_dev(dev)->mmio_base;
}

static bool
memory_hotplug_realize(VmmDevice *dev, GError **error)
{
    MemoryHotplug *h = memory_hotplug_from_dev(dev);

    /* Placed once: the DSDT describes this window for the VM's life. */
    if (!h->placed &&
        !device_host_alloc_mmio32(dev->host, MEMORY_HOTPLUG_MMIO_SIZE, 0x10,
                                  &h->mmio_base, error))
        return false;
    h->placed = true;
    return device_host_register_mmio(dev->host, h->mmio_base,
                                     MEMORY_HOTPLUG_MMIO_SIZE, dev, error);
}

static void
memory_hotplug_unrealize(VmmDevice *dev)
{
    device_host_unregister_device(dev->host, dev);
}

/* A reset guest keeps its DIMMs (the RAM stays plugged, as with CH): it
 * finds them through _STA as it boots, so no news is pending. */
static void
memory_hotplug_reset(VmmDevice *dev)
{
    MemoryHotplug *h = memory_hotplug_from_dev(dev);

    g_mutex_lock(&h->lock);
    for (uint32_t s = 0; s < h->nslots; s++)
        h->flags[s] &= ~SLOT_F_INSERTING;
    h->msel = 0;
    g_mutex_unlock(&h->lock);
}

/* What the guest can see (MSEL, each slot's MEN_/MINS) and where the
 * DSDT put the window and the slots. */
typedef struct {
    uint32_t msel;
    uint64_t mmio_base;
    uint64_t region_gpa;
    uint64_t slot_size;
    uint8_t flags[VM_CONFIG_ACPI_DIMM_SLOTS_MAX];
    unsigned n_flags;
} MemoryHotplugState;

static const VmmStateField memory_hotplug_state_fields[] = {
    VMM_STATE_UINT_FIELD(MemoryHotplugState, msel, 0, G_MAXUINT32),
    VMM_STATE_UINT_FIELD(MemoryHotplugState, mmio_base, 0, G_MAXINT64),
    VMM_STATE_UINT_FIELD(MemoryHotplugState, region_gpa, 0, G_MAXINT64),
    VMM_STATE_UINT_FIELD(MemoryHotplugState, slot_size, 1, G_MAXINT64),
    VMM_STATE_VARBYTES_FIELD(MemoryHotplugState, flags, n_flags),
};

static const VmmStateDesc memory_hotplug_state_desc = {
    .name = "memory-hotplug",
    .version = 1,
    .size = sizeof(MemoryHotplugState),
    .fields = memory_hotplug_state_fields,
    .n_fields = G_N_ELEMENTS(memory_hotplug_state_fields),
};

static JsonNode *
memory_hotplug_save(VmmDevice *dev, GError **error)
{
    MemoryHotplug *h = memory_hotplug_from_dev(dev);
    g_autofree MemoryHotplugState *st = g_new0(MemoryHotplugState, 1);

    st->mmio_base = h->mmio_base;
    st->region_gpa = h->region_gpa;
    st->slot_size = h->slot_size;
    st->n_flags = h->nslots;
    g_mutex_lock(&h->lock);
    st->msel = h->msel;
    memcpy(st->flags, h->flags, h->nslots);
    g_mutex_unlock(&h->lock);
    return vmm_state_save(&memory_hotplug_state_desc, st);
}

/* The saved layout must be this VM's: the DSDT the guest read describes
 * it, and the RAM behind the slots came back from the same places. */
static bool
memory_hotplug_check_layout(MemoryHotplug *h, const MemoryHotplugState *st,
                            GError **error)
{
    if (st->mmio_base != h->mmio_base) {
        vmm_state_error(error, h->dev.id, "mmio_base", "saved at 0x%"
                        G_GINT64_MODIFIER "x, but this VM placed it at 0x%"
                        G_GINT64_MODIFIER "x", st->mmio_base, h->mmio_base);
        return false;
    }
    if (st->region_gpa != h->region_gpa) {
        vmm_state_error(error, h->dev.id, "region_gpa", "saved at 0x%"
                        G_GINT64_MODIFIER "x, but this VM's region is at 0x%"
                        G_GINT64_MODIFIER "x", st->region_gpa,
                        h->region_gpa);
        return false;
    }
    if (st->slot_size != h->slot_size || st->n_flags != h->nslots) {
        vmm_state_error(error, h->dev.id, st->slot_size != h->slot_size
                        ? "slot_size" : "flags", "%u slots of %"
                        G_GUINT64_FORMAT " bytes saved, but this VM has %u "
                        "of %" G_GUINT64_FORMAT, st->n_flags, st->slot_size,
                        h->nslots, h->slot_size);
        return false;
    }
    return true;
}

static bool
memory_hotplug_restore(VmmDevice *dev, JsonNode *state, GError **error)
{
    MemoryHotplug *h = memory_hotplug_from_dev(dev);
    g_autofree MemoryHotplugState *st = g_new0(MemoryHotplugState, 1);
    uint32_t have = (uint32_t)(memory_hotplug_plugged(dev) / h->slot_size);
    bool news = false;

    if (!vmm_state_load(&memory_hotplug_state_desc, state, dev->id, st,
                        error) ||
        !memory_hotplug_check_layout(h, st, error))
        return false;
    for (uint32_t s = 0; s < st->n_flags; s++) {
        if (st->flags[s] & ~SLOT_F_MASK) {
            vmm_state_error(error, dev->id, "flags", "slot %u: unknown bits "
                            "0x%x", s, st->flags[s] & ~SLOT_F_MASK);
            return false;
        }
        /* The VM was created with the hotplugged_size of the saved config
         * (vm.resize keeps it current): the plugged slots must be exactly
         * those, or the guest would lose or gain RAM vm.info does not
         * show. */
        if (!(st->flags[s] & SLOT_F_PRESENT) != !(s < have)) {
            vmm_state_error(error, dev->id, "flags", "slot %u is %s, but "
                            "the VM has %u plugged", s,
                            s < have ? "empty" : "plugged", have);
            return false;
        }
        if ((st->flags[s] & SLOT_F_INSERTING) &&
            !(st->flags[s] & SLOT_F_PRESENT)) {
            vmm_state_error(error, dev->id, "flags", "slot %u is being "
                            "inserted but holds no DIMM", s);
            return false;
        }
    }
    g_mutex_lock(&h->lock);
    h->msel = st->msel;
    memcpy(h->flags, st->flags, h->nslots);
    for (uint32_t s = 0; s < h->nslots; s++)
        news |= (h->flags[s] & SLOT_F_INSERTING) != 0;
    g_mutex_unlock(&h->lock);
    /* News the guest had not read yet gets its interrupt again. */
    if (news)
        ged_notify(h->ged, GED_EVENT_MEMORY_HOTPLUG);
    return true;
}

static void
memory_hotplug_free(VmmDevice *dev)
{
    MemoryHotplug *h = memory_hotplug_from_dev(dev);

    g_mutex_clear(&h->lock);
    g_free(h->flags);
    g_free(h);
}

static const VmmDeviceOps memory_hotplug_ops = {
    .name = "memory-hotplug",
    .realize = memory_hotplug_realize,
    .unrealize = memory_hotplug_unrealize,
    .reset = memory_hotplug_reset,
    .read = memory_hotplug_read,
    .write = memory_hotplug_write,
    .save = memory_hotplug_save,
    .restore = memory_hotplug_restore,
    .free = memory_hotplug_free,
};

VmmDevice *
memory_hotplug_new(DeviceHost *host, const char *id, VmmDevice *ged,
                   uint64_t region_gpa, uint64_t region_size,
                   uint64_t slot_size, uint64_t plugged)
{
    MemoryHotplug *h;

    /* The config's rules (vm-config-validate.c) guarantee these. */
    g_return_val_if_fail(slot_size > 0 && region_size % slot_size == 0 &&
                         region_size / slot_size > 0 &&
                         region_size / slot_size <=
                             VM_CONFIG_ACPI_DIMM_SLOTS_MAX &&
                         plugged % slot_size == 0 && plugged <= region_size,
                         NULL);
    h = g_new0(MemoryHotplug, 1);
    vmm_device_init(&h->dev, &memory_hotplug_ops, host, id);
    h->ged = ged;
    h->region_gpa = region_gpa;
    h->slot_size = slot_size;
    h->nslots = (uint32_t)(region_size / slot_size);
    h->nplugged = (uint32_t)(plugged / slot_size);
    h->flags = g_new0(uint8_t, h->nslots);
    for (uint32_t s = 0; s < h->nplugged; s++)
        h->flags[s] = SLOT_F_PRESENT;
    g_mutex_init(&h->lock);
    return &h->dev;
}
