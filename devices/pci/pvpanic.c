/* SPDX-License-Identifier: Apache-2.0 */
/* pvpanic-pci (QEMU's docs/specs/pvpanic.rst, CH's --pvpanic): the guest reports its panics. */
#include <config.h>

#include <string.h>
#include <gio/gio.h>

#include "devices/legacy/ratelimit.h"
#include "devices/pci/pci-bus.h"
#include "devices/pci/pci.h"
#include "devices/pci/pvpanic.h"
#include "devices/registry.h"

/*
 * One register at BAR0 offset 0.  Reads give the events the device
 * knows (bit 0 "panicked": the host should act; bit 1 "crash loaded":
 * the guest handles it with a crash kernel, the host only records it);
 * a write reports one.  Each report is CH's "guest"/"panic" event with
 * the kind in "event" ("panic", "crash_loaded"), which nimbusd maps to
 * libvirt's CRASHED lifecycle event and <on_crash>.  The device keeps no
 * state of its own: the guest may report again after a reset.
 */

#define PVPANIC_VENDOR 0x1b36              /* Red Hat, QEMU's devices */
#define PVPANIC_DEVICE 0x0011
#define PVPANIC_CLASS 0x088000             /* system peripheral, other */
/* The register is one byte; a memory BAR decodes at least 16 bytes
 * (PCI Local Bus 3.0 §6.2.5.1). */
#define PVPANIC_BAR_SIZE 16

typedef struct {
    VmmDevice dev;
    PciDevice pci;
    PciBus *bus;                  /* immutable */
    int slot;                     /* immutable; -1: allocated */
    guint64 panics;               /* atomic counters */
    guint64 crash_loaded;
    RateLimit unknown_log;        /* vCPU threads (racy counts are fine) */
} PvPanic;

static PvPanic *
pvpanic_from_dev(VmmDevice *dev)
{
    return (PvPanic *)dev;
}

const char *
pvpanic_event_name(uint8_t value)
{
    /* "panicked" wins when both are set: it is the one that asks the
     * host to act. */
    if (value & PVPANIC_PANICKED)
        return "panic";
    if (value & PVPANIC_CRASH_LOADED)
        return "crash_loaded";
    return NULL;
}

static void
pvpanic_bar_read(PciDevice *pdev, unsigned bar, uint64_t off, void *data,
                 unsigned len)
{
    memset(data, 0, len);
    if (off == 0)
        *(uint8_t *)data = PVPANIC_PANICKED | PVPANIC_CRASH_LOADED;
}

/* vCPU thread: the guest is panicking; the event sink takes any thread. */
static void
pvpanic_bar_write(PciDevice *pdev, unsigned bar, uint64_t off,
                  const void *data, unsigned len)
{
    PvPanic *p = pvpanic_from_dev(pdev->owner);
    uint8_t value = *(const uint8_t *)data;
    const char *name = off == 0 ? pvpanic_event_name(value) : NULL;
    const char *props[] = { "event", name, NULL };

    if (!name) {
        /* Unknown bits are ignored (the spec asks the guest to write only
         * bits the device reported). */
        legacy_debug_ratelimited(&p->unknown_log, "%s: ignoring write of "
                                 "0x%x at offset %" G_GUINT64_FORMAT,
                                 p->dev.id, value, off);
        return;
    }
    __atomic_add_fetch(value & PVPANIC_PANICKED ? &p->panics
                                                : &p->crash_loaded, 1,
                       __ATOMIC_RELAXED);
    g_message("%s: the guest reports '%s'", p->dev.id, name);
    device_host_emit_event(p->dev.host, "guest", "panic", props);
}

static const PciDeviceOps pvpanic_pci_ops = {
    .bar_read = pvpanic_bar_read,
    .bar_write = pvpanic_bar_write,
};

static bool
pvpanic_realize(VmmDevice *dev, GError **error)
{
    PvPanic *p = pvpanic_from_dev(dev);

    pci_device_init(&p->pci, &pvpanic_pci_ops, dev, dev->host,
                    PVPANIC_VENDOR, PVPANIC_DEVICE, PVPANIC_CLASS, 1,
                    PVPANIC_VENDOR, PVPANIC_DEVICE);
    if (!pci_device_add_bar(&p->pci, 0, PCI_BAR_MEM32, PVPANIC_BAR_SIZE,
                            false, error))
        return false;
    pci_device_finish_init(&p->pci);
    return pci_bus_add_device(p->bus, &p->pci, p->slot, error);
}

static void
pvpanic_unrealize(VmmDevice *dev)
{
    PvPanic *p = pvpanic_from_dev(dev);

    if (p->pci.bus) {
        pci_bus_lock(p->bus);
        pci_device_unmap_bars(&p->pci);
        pci_bus_unlock(p->bus);
        pci_bus_remove_device(p->bus, &p->pci);
    }
}

static void
pvpanic_reset(VmmDevice *dev)
{
    pci_device_reset(&pvpanic_from_dev(dev)->pci);
}

/* Snapshot state: the function's config space (where the guest put the
 * BAR, its command register); the device itself has none. */
typedef struct {
    PciDeviceState pci;
} PvPanicState;

static const VmmStateField pvpanic_state_fields[] = {
    { .name = "pci", .type = VMM_STATE_STRUCT,
      .offset = offsetof(PvPanicState, pci), .desc = &pci_device_state_desc },
};

static const VmmStateDesc pvpanic_state_desc = {
    .name = "pvpanic",
    .version = 1,
    .size = sizeof(PvPanicState),
    .fields = pvpanic_state_fields,
    .n_fields = G_N_ELEMENTS(pvpanic_state_fields),
};

static JsonNode *
pvpanic_save(VmmDevice *dev, GError **error)
{
    g_autofree PvPanicState *st = g_new0(PvPanicState, 1);

    pci_device_get_state(&pvpanic_from_dev(dev)->pci, &st->pci);
    return vmm_state_save(&pvpanic_state_desc, st);
}

static bool
pvpanic_restore(VmmDevice *dev, JsonNode *state, GError **error)
{
    PvPanic *p = pvpanic_from_dev(dev);
    g_autofree PvPanicState *st = g_new0(PvPanicState, 1);

    pci_device_get_state(&p->pci, &st->pci);
    if (!vmm_state_load(&pvpanic_state_desc, state, dev->id, st, error))
        return false;
    pci_device_set_state(&p->pci, &st->pci);
    return true;
}

static JsonNode *
pvpanic_counters(VmmDevice *dev)
{
    PvPanic *p = pvpanic_from_dev(dev);
    g_autoptr(JsonBuilder) jb = json_builder_new();

    json_builder_begin_object(jb);
    json_builder_set_member_name(jb, "panics");
    json_builder_add_int_value(jb, (gint64)__atomic_load_n(
        &p->panics, __ATOMIC_RELAXED));
    json_builder_set_member_name(jb, "crash_loaded");
    json_builder_add_int_value(jb, (gint64)__atomic_load_n(
        &p->crash_loaded, __ATOMIC_RELAXED));
    json_builder_end_object(jb);
    return json_builder_get_root(jb);
}

static char *
pvpanic_bdf(VmmDevice *dev)
{
    return pci_device_bdf(&pvpanic_from_dev(dev)->pci);
}

static void
pvpanic_free(VmmDevice *dev)
{
    g_free(pvpanic_from_dev(dev));
}

static const VmmDeviceOps pvpanic_ops = {
    .name = "pvpanic",
    .pci_bdf = pvpanic_bdf,
    .realize = pvpanic_realize,
    .unrealize = pvpanic_unrealize,
    .reset = pvpanic_reset,
    .save = pvpanic_save,
    .restore = pvpanic_restore,
    .counters = pvpanic_counters,
    .free = pvpanic_free,
};

VmmDevice *
pvpanic_new(DeviceHost *host, PciBus *bus, int slot)
{
    PvPanic *p = g_new0(PvPanic, 1);

    vmm_device_init(&p->dev, &pvpanic_ops, host, PVPANIC_ID);
    p->bus = bus;
    p->slot = slot;
    return &p->dev;
}

PciDevice *
pvpanic_get_pci(VmmDevice *dev)
{
    return &pvpanic_from_dev(dev)->pci;
}

/* ---- Registry descriptor: VmConfig's "pvpanic" flag ---------------------- */

static bool
pvpanic_cli(VmConfig *config, const char *value, GError **error)
{
    config->pvpanic = true;       /* a flag: no value */
    return true;
}

static guint
pvpanic_count(const VmConfig *config)
{
    return config->pvpanic ? 1 : 0;
}

static gpointer
pvpanic_entry(const VmConfig *config, guint i)
{
    return (gpointer)&config->pvpanic;
}

static const char *
pvpanic_id(gconstpointer entry)
{
    return PVPANIC_ID;
}

static VmmDevice *
pvpanic_create(DeviceCreateCtx *ctx, gpointer entry, GError **error)
{
    if (!device_create_pci_bus(ctx, error))
        return NULL;
    return device_create_add(ctx, pvpanic_new(ctx->host, ctx->bus, -1), error);
}

const DeviceType pvpanic_type = {
    .name = "pvpanic",
    .cli_option = "--pvpanic",
    .json_key = "pvpanic",
    .cli_help = "Enable pvpanic device",
    .cli_flag = true,
    .cli_parse = pvpanic_cli,
    .count = pvpanic_count,
    .entry = pvpanic_entry,
    .id = pvpanic_id,
    .create = pvpanic_create,
};
