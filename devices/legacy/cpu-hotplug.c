/* SPDX-License-Identifier: Apache-2.0 */
/* ACPI CPU hotplug controller: per-vCPU present/insert/remove bits, guest ejects, GED. */
#include <config.h>

#include <gio/gio.h>

#include "devices/device-host.h"
#include "devices/legacy/cpu-hotplug.h"
#include "devices/legacy/legacy.h"
#include "devices/legacy/ratelimit.h"
#include "devices/state.h"

/*
 * Per-vCPU flags.  The guest sees PRESENT, INSERTING and REMOVING (CPEN,
 * CINS, CRMV); EJECTING (asked for, not acknowledged) and ACKED (the guest
 * wrote CEJ0, the control thread has not been told yet) are the VMM's, so
 * that a guest cannot make the VMM drop a vCPU nobody asked to remove
 * (as with the PCI controller's B0EJ).
 */
#define CPU_F_PRESENT CPU_HOTPLUG_CPEN
#define CPU_F_INSERTING CPU_HOTPLUG_CINS
#define CPU_F_REMOVING CPU_HOTPLUG_CRMV
#define CPU_F_GUEST_MASK (CPU_F_PRESENT | CPU_F_INSERTING | CPU_F_REMOVING)
#define CPU_F_EJECTING (1u << 4)
#define CPU_F_ACKED (1u << 5)

typedef struct {
    VmmDevice dev;
    VmmDevice *ged;             /* immutable; outlives us */
    uint32_t max_vcpus;         /* immutable */
    uint64_t mmio_base;         /* immutable after the first realize */
    bool placed;                /* control thread */

    /* Control thread: who hears about ejects. */
    CpuHotplugEjectFunc eject_func;
    gpointer eject_opaque;

    GMutex lock;
    uint32_t csel;              /* lock: CSEL as the guest wrote it */
    uint8_t *flags;             /* lock: max_vcpus CPU_F_* bytes */
    GSource *report;            /* lock: pending report of ACKED vCPUs */
    RateLimit rl;               /* lock */
} CpuHotplug;

static CpuHotplug *
cpu_hotplug_from_dev(VmmDevice *dev)
{
    return (CpuHotplug *)dev;
}

/* Lock held.  The byte at @off of the register image. */
static uint8_t
cpu_hotplug_read_byte_locked(CpuHotplug *h, uint64_t off)
{
    if (off < CPU_HOTPLUG_REG_STATUS)
        return (uint8_t)(h->csel >> (8 * off));
    if (off == CPU_HOTPLUG_REG_STATUS && h->csel < h->max_vcpus)
        return h->flags[h->csel] & CPU_F_GUEST_MASK;
    /* Reserved bytes, and the status of a vCPU that does not exist. */
    return 0;
}

static void
cpu_hotplug_read(VmmDevice *dev, uint64_t off, void *data, unsigned len)
{
    CpuHotplug *h = cpu_hotplug_from_dev(dev);
    uint8_t *out = data;

    g_mutex_lock(&h->lock);
    for (unsigned i = 0; i < len; i++) {
        /* Bytes past the window (a straddling access) read as all-ones,
         * like any unclaimed access. */
        out[i] = off + i < CPU_HOTPLUG_MMIO_SIZE
                     ? cpu_hotplug_read_byte_locked(h, off + i) : 0xff;
    }
    g_mutex_unlock(&h->lock);
}

/* Control thread: hands the acknowledged ejects to the handler. */
static gboolean
cpu_hotplug_report(gpointer opaque)
{
    CpuHotplug *h = opaque;
    g_autoptr(GArray) acked = g_array_new(FALSE, FALSE, sizeof(uint32_t));

    g_mutex_lock(&h->lock);
    for (uint32_t cpu = 0; cpu < h->max_vcpus; cpu++) {
        if (h->flags[cpu] & CPU_F_ACKED) {
            h->flags[cpu] &= ~CPU_F_ACKED;
            g_array_append_val(acked, cpu);
        }
    }
    g_clear_pointer(&h->report, g_source_unref);
    g_mutex_unlock(&h->lock);
    /* Outside the lock: the handler stops vCPU threads, which may be
     * inside this device's read/write. */
    for (guint i = 0; h->eject_func && i < acked->len; i++)
        h->eject_func(g_array_index(acked, uint32_t, i), h->eject_opaque);
    return G_SOURCE_REMOVE;
}

/* Lock held.  The guest's _EJ0 for the selected vCPU. */
static void
cpu_hotplug_eject_locked(CpuHotplug *h, uint32_t cpu)
{
    if (!(h->flags[cpu] & CPU_F_EJECTING)) {
        /* Junk, or a guest ejecting a CPU on its own: the VMM removes
         * only what the API asked it to remove. */
        legacy_debug_ratelimited(&h->rl, "%s: eject of vCPU %u that was "
                                 "not asked to go ignored", h->dev.id, cpu);
        return;
    }
    h->flags[cpu] &= ~(CPU_F_EJECTING | CPU_F_PRESENT | CPU_F_REMOVING);
    h->flags[cpu] |= CPU_F_ACKED;
    /* Stopping the thread is the control thread's: this vCPU only
     * queues the news. */
    if (!h->report) {
        h->report = g_idle_source_new();
        g_source_set_callback(h->report, cpu_hotplug_report, h, NULL);
        g_source_attach(h->report, device_host_main_context(h->dev.host));
    }
}

/* Lock held. */
static void
cpu_hotplug_write_byte_locked(CpuHotplug *h, uint64_t off, uint8_t v)
{
    uint32_t cpu = h->csel;

    if (off < CPU_HOTPLUG_REG_STATUS) {
        h->csel &= ~(0xffu << (8 * off));
        h->csel |= (uint32_t)v << (8 * off);
        return;
    }
    if (off != CPU_HOTPLUG_REG_STATUS || !v)
        return;                 /* reserved bytes */
    if (cpu >= h->max_vcpus) {
        legacy_debug_ratelimited(&h->rl, "%s: status write 0x%x for vCPU "
                                 "%u, which does not exist, ignored",
                                 h->dev.id, v, cpu);
        return;
    }
    /* CINS and CRMV are write-1-to-clear: CSCN has notified the guest. */
    if (v & CPU_HOTPLUG_CINS)
        h->flags[cpu] &= ~CPU_F_INSERTING;
    if (v & CPU_HOTPLUG_CRMV)
        h->flags[cpu] &= ~CPU_F_REMOVING;
    if (v & CPU_HOTPLUG_CEJ0)
        cpu_hotplug_eject_locked(h, cpu);
}

static void
cpu_hotplug_write(VmmDevice *dev, uint64_t off, const void *data,
                  unsigned len)
{
    CpuHotplug *h = cpu_hotplug_from_dev(dev);
    const uint8_t *in = data;

    g_mutex_lock(&h->lock);
    /* Ascending: a wide write that sets CSEL and the status byte at once
     * acts on the vCPU it selects. */
    for (unsigned i = 0; i < len && off + i < CPU_HOTPLUG_MMIO_SIZE; i++)
        cpu_hotplug_write_byte_locked(h, off + i, in[i]);
    g_mutex_unlock(&h->lock);
}

/* The vCPU number's check, shared by the control-thread calls. */
static bool
cpu_hotplug_check_cpu(CpuHotplug *h, uint32_t cpu, GError **error)
{
    if (cpu >= h->max_vcpus) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                    "vCPU %u does not exist (the VM has at most %u)", cpu,
                    h->max_vcpus);
        return false;
    }
    return true;
}

bool
cpu_hotplug_plug(VmmDevice *dev, uint32_t cpu, GError **error)
{
    CpuHotplug *h = cpu_hotplug_from_dev(dev);
    bool present;

    if (!cpu_hotplug_check_cpu(h, cpu, error))
        return false;
    g_mutex_lock(&h->lock);
    present = h->flags[cpu] & (CPU_F_PRESENT | CPU_F_ACKED);
    if (!present)
        h->flags[cpu] |= CPU_F_PRESENT | CPU_F_INSERTING;
    g_mutex_unlock(&h->lock);
    if (present) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_EXISTS,
                    "vCPU %u is present already", cpu);
        return false;
    }
    /* After the bit is visible: the GED handler reads it. */
    ged_notify(h->ged, GED_EVENT_CPU_HOTPLUG);
    return true;
}

bool
cpu_hotplug_request_eject(VmmDevice *dev, uint32_t cpu, GError **error)
{
    CpuHotplug *h = cpu_hotplug_from_dev(dev);
    uint8_t f;

    if (!cpu_hotplug_check_cpu(h, cpu, error))
        return false;
    g_mutex_lock(&h->lock);
    f = h->flags[cpu];
    if ((f & CPU_F_PRESENT) && !(f & CPU_F_EJECTING))
        h->flags[cpu] |= CPU_F_REMOVING | CPU_F_EJECTING;
    g_mutex_unlock(&h->lock);
    if (f & (CPU_F_EJECTING | CPU_F_ACKED)) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_BUSY,
                    "the removal of vCPU %u is already in progress", cpu);
        return false;
    }
    if (!(f & CPU_F_PRESENT)) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                    "vCPU %u is not present", cpu);
        return false;
    }
    ged_notify(h->ged, GED_EVENT_CPU_HOTPLUG);
    return true;
}

bool
cpu_hotplug_is_present(VmmDevice *dev, uint32_t cpu)
{
    CpuHotplug *h = cpu_hotplug_from_dev(dev);
    bool present;

    if (cpu >= h->max_vcpus)
        return false;
    g_mutex_lock(&h->lock);
    present = h->flags[cpu] & CPU_F_PRESENT;
    g_mutex_unlock(&h->lock);
    return present;
}

void
cpu_hotplug_set_eject_handler(VmmDevice *dev, CpuHotplugEjectFunc func,
                              gpointer opaque)
{
    CpuHotplug *h = cpu_hotplug_from_dev(dev);

    h->eject_func = func;
    h->eject_opaque = opaque;
}

uint64_t
cpu_hotplug_get_mmio_base(VmmDevice *dev)
{
    return cpu_hotplug_from_dev(dev)->mmio_base;
}

static bool
cpu_hotplug_realize(VmmDevice *dev, GError **error)
{
    CpuHotplug *h = cpu_hotplug_from_dev(dev);

    /* Placed once: the DSDT describes this window for the VM's life. */
    if (!h->placed &&
        !device_host_alloc_mmio32(dev->host, CPU_HOTPLUG_MMIO_SIZE, 0x10,
                                  &h->mmio_base, error))
        return false;
    h->placed = true;
    return device_host_register_mmio(dev->host, h->mmio_base,
                                     CPU_HOTPLUG_MMIO_SIZE, dev, error);
}

static void
cpu_hotplug_drop_report(CpuHotplug *h)
{
    g_mutex_lock(&h->lock);
    if (h->report) {
        g_source_destroy(h->report);
        g_clear_pointer(&h->report, g_source_unref);
    }
    for (uint32_t cpu = 0; cpu < h->max_vcpus; cpu++)
        h->flags[cpu] &= ~CPU_F_ACKED;
    g_mutex_unlock(&h->lock);
}

static void
cpu_hotplug_unrealize(VmmDevice *dev)
{
    device_host_unregister_device(dev->host, dev);
    cpu_hotplug_drop_report(cpu_hotplug_from_dev(dev));
}

/* A reset guest starts with the vCPUs the VM boots with, no news and no
 * eject in flight. */
static void
cpu_hotplug_reset(VmmDevice *dev)
{
    CpuHotplug *h = cpu_hotplug_from_dev(dev);
    uint32_t boot = device_host_boot_vcpus(dev->host);

    cpu_hotplug_drop_report(h);
    g_mutex_lock(&h->lock);
    for (uint32_t cpu = 0; cpu < h->max_vcpus; cpu++)
        h->flags[cpu] = cpu < boot ? CPU_F_PRESENT : 0;
    h->csel = 0;
    g_mutex_unlock(&h->lock);
}

/* What the guest can see (CSEL, each vCPU's CPEN/CINS/CRMV) and where the
 * DSDT put the window.  Ejects in flight belong to an API call, which a
 * snapshot does not carry: a restored VM ignores their CEJ0. */
typedef struct {
    uint32_t csel;
    uint64_t mmio_base;
    uint8_t flags[CPU_HOTPLUG_MAX_VCPUS];
    unsigned n_flags;
} CpuHotplugState;

static const VmmStateField cpu_hotplug_state_fields[] = {
    VMM_STATE_UINT_FIELD(CpuHotplugState, csel, 0, G_MAXUINT32),
    VMM_STATE_UINT_FIELD(CpuHotplugState, mmio_base, 0, G_MAXINT64),
    VMM_STATE_VARBYTES_FIELD(CpuHotplugState, flags, n_flags),
};

static const VmmStateDesc cpu_hotplug_state_desc = {
    .name = "cpu-hotplug",
    .version = 1,
    .size = sizeof(CpuHotplugState),
    .fields = cpu_hotplug_state_fields,
    .n_fields = G_N_ELEMENTS(cpu_hotplug_state_fields),
};

static JsonNode *
cpu_hotplug_save(VmmDevice *dev, GError **error)
{
    CpuHotplug *h = cpu_hotplug_from_dev(dev);
    g_autofree CpuHotplugState *st = g_new0(CpuHotplugState, 1);

    st->mmio_base = h->mmio_base;
    st->n_flags = h->max_vcpus;
    g_mutex_lock(&h->lock);
    st->csel = h->csel;
    for (uint32_t cpu = 0; cpu < h->max_vcpus; cpu++)
        st->flags[cpu] = h->flags[cpu] & CPU_F_GUEST_MASK;
    g_mutex_unlock(&h->lock);
    return vmm_state_save(&cpu_hotplug_state_desc, st);
}

static bool
cpu_hotplug_restore(VmmDevice *dev, JsonNode *state, GError **error)
{
    CpuHotplug *h = cpu_hotplug_from_dev(dev);
    g_autofree CpuHotplugState *st = g_new0(CpuHotplugState, 1);
    uint32_t boot = device_host_boot_vcpus(dev->host);
    bool news = false;

    if (!vmm_state_load(&cpu_hotplug_state_desc, state, dev->id, st, error))
        return false;
    if (st->mmio_base != h->mmio_base) {
        vmm_state_error(error, dev->id, "mmio_base", "saved at 0x%"
                        G_GINT64_MODIFIER "x, but this VM placed it at 0x%"
                        G_GINT64_MODIFIER "x", st->mmio_base, h->mmio_base);
        return false;
    }
    if (st->n_flags != h->max_vcpus) {
        vmm_state_error(error, dev->id, "flags", "%u vCPUs saved, but this "
                        "VM has %u", st->n_flags, h->max_vcpus);
        return false;
    }
    for (uint32_t cpu = 0; cpu < st->n_flags; cpu++) {
        if (st->flags[cpu] & ~CPU_F_GUEST_MASK) {
            vmm_state_error(error, dev->id, "flags", "vCPU %u: unknown bits "
                            "0x%x", cpu, st->flags[cpu] & ~CPU_F_GUEST_MASK);
            return false;
        }
        /* The VM was created with the vCPUs of the saved config: the
         * present ones must be exactly those, or a later plug would find
         * a vCPU present that has no thread. */
        if (!(st->flags[cpu] & CPU_F_PRESENT) != !(cpu < boot)) {
            vmm_state_error(error, dev->id, "flags", "vCPU %u is %s, but "
                            "the VM has %u vCPUs", cpu,
                            cpu < boot ? "absent" : "present", boot);
            return false;
        }
    }
    cpu_hotplug_drop_report(h);
    g_mutex_lock(&h->lock);
    h->csel = st->csel;
    for (uint32_t cpu = 0; cpu < h->max_vcpus; cpu++) {
        h->flags[cpu] = st->flags[cpu];
        news |= (st->flags[cpu] & (CPU_F_INSERTING | CPU_F_REMOVING)) != 0;
    }
    g_mutex_unlock(&h->lock);
    /* News the guest had not read yet gets its interrupt again. */
    if (news)
        ged_notify(h->ged, GED_EVENT_CPU_HOTPLUG);
    return true;
}

static void
cpu_hotplug_free(VmmDevice *dev)
{
    CpuHotplug *h = cpu_hotplug_from_dev(dev);

    cpu_hotplug_drop_report(h);
    g_mutex_clear(&h->lock);
    g_free(h->flags);
    g_free(h);
}

static const VmmDeviceOps cpu_hotplug_ops = {
    .name = "cpu-hotplug",
    .realize = cpu_hotplug_realize,
    .unrealize = cpu_hotplug_unrealize,
    .reset = cpu_hotplug_reset,
    .read = cpu_hotplug_read,
    .write = cpu_hotplug_write,
    .save = cpu_hotplug_save,
    .restore = cpu_hotplug_restore,
    .free = cpu_hotplug_free,
};

VmmDevice *
cpu_hotplug_new(DeviceHost *host, const char *id, VmmDevice *ged,
                uint32_t max_vcpus, uint32_t present)
{
    CpuHotplug *h;

    g_return_val_if_fail(max_vcpus > 0 &&
                         max_vcpus <= CPU_HOTPLUG_MAX_VCPUS, NULL);
    h = g_new0(CpuHotplug, 1);
    vmm_device_init(&h->dev, &cpu_hotplug_ops, host, id);
    h->ged = ged;
    h->max_vcpus = max_vcpus;
    h->flags = g_new0(uint8_t, max_vcpus);
    for (uint32_t cpu = 0; cpu < max_vcpus && cpu < present; cpu++)
        h->flags[cpu] = CPU_F_PRESENT;
    g_mutex_init(&h->lock);
    return &h->dev;
}
