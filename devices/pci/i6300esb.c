/* SPDX-License-Identifier: Apache-2.0 */
/* Intel 6300ESB watchdog (PCI 8086:25ab), a nimbus extension: the watchdog stock Linux drives. */
#include <config.h>

#include <string.h>
#include <gio/gio.h>

#include "config/vm-config-kind.h"
#include "config/vm-config-opts.h"
#include "config/vm-config-schema.h"
#include "devices/legacy/ratelimit.h"
#include "devices/pci/i6300esb.h"
#include "devices/pci/pci-bus.h"
#include "devices/pci/pci.h"
#include "devices/registry.h"
#include "devices/state.h"
#include "devices/watchdog-timer.h"

/*
 * CH's --watchdog is a virtio device that only Cloud Hypervisor's own
 * kernel tree drives; a stock guest (Debian's kernel, i6300esb.ko) and
 * libvirt's default <watchdog model='i6300esb'/> need this one.
 *
 * The function (Intel 6300ESB I/O controller hub datasheet, WDT): two
 * config registers, 0x60 (interrupt type, prescaler, reboot output) and
 * 0x68 (lock, enable, free-running mode), and a 16-byte memory BAR with
 * the two 20-bit preload values, the stage-1 interrupt status and the
 * reload register.  Writes to the preloads and the reload register are
 * protected: the guest first writes 0x80 then 0x86 to the reload
 * register, which opens exactly one protected write.
 *
 * Counting: an enabled timer counts stage 1 (preload 1), sets the
 * interrupt status, then counts stage 2 (preload 2); when stage 2 ends,
 * the timeout flag is set (it survives the reset, so the guest can tell a
 * watchdog reboot: Linux reports WDIOF_CARDRESET) and, unless the reboot
 * output is off, the action happens: reset or power off, or nothing
 * ("none"), and a "guest"/"watchdog" event {id, action} in every case.
 * A reload starts stage 1 again.  Free-running mode repeats stage 1.
 *
 * nimbus has no PCI INTx: the function reports interrupt pin 0 and the
 * stage-1 interrupt only shows in GINTSR (Linux disables it, type 3).
 *
 * Threads: vCPUs access the registers (config writes with the bus's
 * config lock held), the clock fires on the control thread; @lock
 * protects the timer state below for both.
 */

#define I6300ESB_VENDOR 0x8086
#define I6300ESB_DEVICE 0x25ab
#define I6300ESB_CLASS 0x088000         /* system peripheral, other */
#define I6300ESB_BAR_SIZE 16
#define I6300ESB_TICK_NS 30             /* 33 MHz PCI clock */
#define I6300ESB_PRELOAD_RESET I6300ESB_PRELOAD_MASK

typedef enum {
    UNLOCK_NONE,
    UNLOCK_FIRST,                       /* 0x80 seen */
    UNLOCK_OPEN,                        /* 0x86 seen: one protected write */
} UnlockState;

typedef struct {
    VmmDevice dev;
    PciDevice pci;
    PciBus *bus;                  /* immutable */
    int slot;                     /* immutable; -1: allocated */
    WatchdogAction action;        /* immutable */
    WatchdogTimer *timer;         /* immutable after realize */
    GMutex lock;
    /* Protected by @lock: */
    uint16_t config;              /* shadow of config register 0x60 */
    uint8_t lock_reg;             /* shadow of config register 0x68 */
    uint32_t preload[2];
    uint8_t gintsr;
    bool timed_out;               /* survives reset */
    UnlockState unlock;
    int stage;                    /* 1 or 2 while counting, 0 stopped */
    int64_t deadline;             /* monotonic us, while counting */
    int64_t paused_left;          /* us left when paused; -1: not paused */
    RateLimit log_limit;          /* ignored accesses */
    RateLimit bite_limit;         /* expirations */
    /* Atomic: */
    guint64 expirations;
} I6300esb;

static I6300esb *
i6300esb_from_dev(VmmDevice *dev)
{
    return (I6300esb *)dev;
}

static const char *const watchdog_action_names[] = {
    [WATCHDOG_ACTION_RESET] = "reset",
    [WATCHDOG_ACTION_POWEROFF] = "poweroff",
    [WATCHDOG_ACTION_NONE] = "none",
};
G_STATIC_ASSERT(G_N_ELEMENTS(watchdog_action_names) == WATCHDOG_ACTION_LAST);

const char *
watchdog_action_name(int action)
{
    if (action < 0 || action >= WATCHDOG_ACTION_LAST)
        return NULL;
    return watchdog_action_names[action];
}

int
watchdog_action_from_string(const char *name)
{
    for (int i = 0; i < WATCHDOG_ACTION_LAST; i++) {
        if (g_str_equal(name, watchdog_action_names[i]))
            return i;
    }
    return -1;
}

uint64_t
i6300esb_stage_ns(uint32_t preload, bool freq_1mhz)
{
    /* The datasheet's prescaler divides the PCI clock by 2^15 (about
     * 1 kHz) or 2^5 (about 1 MHz); a preload of 0 counts as 1 so that a
     * guest cannot make a stage end before it began. */
    uint64_t ticks = (uint64_t)MAX(preload & I6300ESB_PRELOAD_MASK, 1u)
                     << (freq_1mhz ? 5 : 15);

    return ticks * I6300ESB_TICK_NS;
}

/* Starts counting stage @stage from now (lock held). */
static void
i6300esb_start_stage_locked(I6300esb *w, int stage)
{
    uint64_t ns = i6300esb_stage_ns(w->preload[stage - 1],
                                    w->config & I6300ESB_CONFIG_FREQ_1MHZ);

    w->stage = stage;
    w->deadline = g_get_monotonic_time() + (int64_t)((ns + 999) / 1000);
    watchdog_timer_arm(w->timer, w->deadline);
}

static void
i6300esb_stop_locked(I6300esb *w)
{
    w->stage = 0;
    if (w->timer)                 /* NULL before realize */
        watchdog_timer_arm(w->timer, -1);
}

static bool
i6300esb_enabled_locked(const I6300esb *w)
{
    return w->lock_reg & I6300ESB_LOCK_ENABLE;
}

/* Stage 2 ran out (control thread, lock held): the "reboot output".
 * Returns what to do once the lock is dropped: WATCHDOG_ACTION_LAST for
 * nothing at all (the report is rate-limited), else the action, none
 * included, which is reported too. */
static WatchdogAction
i6300esb_bite_locked(I6300esb *w)
{
    unsigned suppressed;

    w->timed_out = true;
    /* Until the guest reloads, the timer has nothing more to say. */
    i6300esb_stop_locked(w);
    __atomic_add_fetch(&w->expirations, 1, __ATOMIC_RELAXED);
    /* A guest with action none can make this happen as often as it
     * reloads a tiny preload: the log and the event stream are limited. */
    if (!ratelimit_allow(&w->bite_limit, RATELIMIT_BURST,
                         RATELIMIT_INTERVAL_US, &suppressed))
        return WATCHDOG_ACTION_LAST;
    if (suppressed)
        g_message("%s: %u watchdog expirations not logged", w->dev.id,
                  suppressed);
    return (w->config & I6300ESB_CONFIG_OUTPUT_OFF) ? WATCHDOG_ACTION_NONE
                                                   : w->action;
}

static void
i6300esb_timer_fired(gpointer opaque)
{
    I6300esb *w = opaque;
    WatchdogAction bite = WATCHDOG_ACTION_LAST;
    const char *props[] = { "id", w->dev.id, "action", NULL, NULL };

    g_mutex_lock(&w->lock);
    if (w->stage == 0 || w->paused_left >= 0) {
        /* stopped, or paused since the loop woke up */
    } else if (g_get_monotonic_time() < w->deadline) {
        watchdog_timer_arm(w->timer, w->deadline);   /* woke early */
    } else if (w->stage == 1) {
        if ((w->config & I6300ESB_CONFIG_INT_TYPE) != I6300ESB_CONFIG_INT_TYPE)
            w->gintsr |= 1;
        /* Free-running: the status is all there is to see; counting
         * again is pointless until the guest clears it (and would spin
         * the control thread with a tiny preload). */
        if (w->lock_reg & I6300ESB_LOCK_FREE_RUN)
            i6300esb_stop_locked(w);
        else
            i6300esb_start_stage_locked(w, 2);
    } else {
        bite = i6300esb_bite_locked(w);
    }
    g_mutex_unlock(&w->lock);
    if (bite == WATCHDOG_ACTION_LAST)
        return;
    /* The VM's own requests, outside the lock the vCPUs take. */
    props[3] = watchdog_action_name(bite);
    g_message("%s: watchdog expired (action %s)", w->dev.id, props[3]);
    device_host_emit_event(w->dev.host, "guest", "watchdog", props);
    if (bite == WATCHDOG_ACTION_RESET)
        device_host_request_reset(w->dev.host);
    else if (bite == WATCHDOG_ACTION_POWEROFF)
        device_host_request_poweroff(w->dev.host);
}

/* ---- BAR0 ---------------------------------------------------------------- */

static void
i6300esb_bar_read(PciDevice *pdev, unsigned bar, uint64_t off, void *data,
                  unsigned len)
{
    I6300esb *w = i6300esb_from_dev(pdev->owner);
    uint8_t regs[I6300ESB_BAR_SIZE] = { 0 };

    if (off >= I6300ESB_BAR_SIZE || len > I6300ESB_BAR_SIZE - off) {
        vmm_device_read_ones(data, len);
        return;
    }
    g_mutex_lock(&w->lock);
    vmm_le_store(regs + I6300ESB_MMIO_TIMER1, 4, w->preload[0]);
    vmm_le_store(regs + I6300ESB_MMIO_TIMER2, 4, w->preload[1]);
    regs[I6300ESB_MMIO_GINTSR] = w->gintsr;
    vmm_le_store(regs + I6300ESB_MMIO_RELOAD, 2,
                 w->timed_out ? I6300ESB_RELOAD_TIMEOUT : 0);
    g_mutex_unlock(&w->lock);
    memcpy(data, regs + off, len);
}

/* The one write the unlock sequence opened (lock held). */
static void
i6300esb_protected_write_locked(I6300esb *w, uint64_t off, uint32_t value)
{
    if (off == I6300ESB_MMIO_TIMER1 || off == I6300ESB_MMIO_TIMER2) {
        /* Takes effect at the next reload, as on the hardware. */
        w->preload[off / 4] = value & I6300ESB_PRELOAD_MASK;
        return;
    }
    if (value & I6300ESB_RELOAD_TIMEOUT)
        w->timed_out = false;
    if ((value & I6300ESB_RELOAD_RELOAD) && i6300esb_enabled_locked(w))
        i6300esb_start_stage_locked(w, 1);
}

static void
i6300esb_bar_write(PciDevice *pdev, unsigned bar, uint64_t off,
                   const void *data, unsigned len)
{
    I6300esb *w = i6300esb_from_dev(pdev->owner);
    uint32_t value = (uint32_t)vmm_le_load(data, len);
    g_autoptr(GMutexLocker) locker = g_mutex_locker_new(&w->lock);

    switch (off) {
    case I6300ESB_MMIO_RELOAD:
        /* The unlock port: 0x80 then 0x86 open one protected write, to
         * this register or to a preload (Linux unlocks before each). */
        value &= 0xffff;
        if (value == I6300ESB_UNLOCK1) {
            w->unlock = UNLOCK_FIRST;
        } else if (value == I6300ESB_UNLOCK2 && w->unlock == UNLOCK_FIRST) {
            w->unlock = UNLOCK_OPEN;
        } else if (w->unlock == UNLOCK_OPEN) {
            w->unlock = UNLOCK_NONE;
            i6300esb_protected_write_locked(w, off, value);
        } else {
            w->unlock = UNLOCK_NONE;
            legacy_debug_ratelimited(&w->log_limit, "%s: locked write 0x%x "
                                     "to the reload register ignored",
                                     w->dev.id, value);
        }
        return;
    case I6300ESB_MMIO_TIMER1:
    case I6300ESB_MMIO_TIMER2:
        if (len != 4 || w->unlock != UNLOCK_OPEN) {
            legacy_debug_ratelimited(&w->log_limit, "%s: ignoring %u-byte "
                                     "write to preload %u (%s)", w->dev.id,
                                     len, (unsigned)off / 4 + 1,
                                     len != 4 ? "not 32 bits" : "locked");
            return;
        }
        w->unlock = UNLOCK_NONE;
        i6300esb_protected_write_locked(w, off, value);
        return;
    case I6300ESB_MMIO_GINTSR:
        if ((value & 1) && w->gintsr) {
            w->gintsr = 0;
            /* Free-running mode stopped at the status (see above). */
            if (i6300esb_enabled_locked(w) && w->stage == 0 &&
                (w->lock_reg & I6300ESB_LOCK_FREE_RUN))
                i6300esb_start_stage_locked(w, 1);
        }
        return;
    default:
        legacy_debug_ratelimited(&w->log_limit, "%s: ignoring write at BAR "
                                 "offset 0x%" G_GINT64_MODIFIER "x", w->dev.id,
                                 off);
        return;
    }
}

/* ---- Config registers 0x60 and 0x68 -------------------------------------- */

/* The generic code stored the write through the wmask (bus config lock
 * held); this keeps the lock register read-only once locked and starts or
 * stops the timer. */
static void
i6300esb_config_write(PciDevice *pdev, uint32_t off, unsigned len)
{
    I6300esb *w = i6300esb_from_dev(pdev->owner);
    g_autoptr(GMutexLocker) locker = g_mutex_locker_new(&w->lock);
    uint8_t lock_reg;
    bool was_enabled;

    if (off < I6300ESB_REG_CONFIG + 2 && off + len > I6300ESB_REG_CONFIG)
        w->config = pci_get_word(pdev, I6300ESB_REG_CONFIG);
    if (!(off <= I6300ESB_REG_LOCK && off + len > I6300ESB_REG_LOCK))
        return;
    lock_reg = pdev->config[I6300ESB_REG_LOCK];
    if (w->lock_reg & I6300ESB_LOCK_LOCKED) {
        pci_set_byte(pdev, I6300ESB_REG_LOCK, w->lock_reg);
        return;
    }
    was_enabled = i6300esb_enabled_locked(w);
    w->lock_reg = lock_reg;
    if (i6300esb_enabled_locked(w) && !was_enabled)
        i6300esb_start_stage_locked(w, 1);
    else if (!i6300esb_enabled_locked(w))
        i6300esb_stop_locked(w);
}

static const PciDeviceOps i6300esb_pci_ops = {
    .config_write = i6300esb_config_write,
    .bar_read = i6300esb_bar_read,
    .bar_write = i6300esb_bar_write,
};

/* ---- VmmDevice ----------------------------------------------------------- */

/* Power-on values (lock held); the timeout flag is left alone. */
static void
i6300esb_reset_regs_locked(I6300esb *w)
{
    i6300esb_stop_locked(w);
    w->config = 0;
    w->lock_reg = 0;
    w->preload[0] = w->preload[1] = I6300ESB_PRELOAD_RESET;
    w->gintsr = 0;
    w->unlock = UNLOCK_NONE;
    w->paused_left = -1;
}

static bool
i6300esb_realize(VmmDevice *dev, GError **error)
{
    I6300esb *w = i6300esb_from_dev(dev);

    pci_device_init(&w->pci, &i6300esb_pci_ops, dev, dev->host,
                    I6300ESB_VENDOR, I6300ESB_DEVICE, I6300ESB_CLASS, 0,
                    I6300ESB_VENDOR, I6300ESB_DEVICE);
    if (!pci_device_add_bar(&w->pci, 0, PCI_BAR_MEM32, I6300ESB_BAR_SIZE,
                            false, error))
        return false;
    pci_set_wmask(&w->pci, I6300ESB_REG_CONFIG, 2,
                  I6300ESB_CONFIG_INT_TYPE | I6300ESB_CONFIG_FREQ_1MHZ |
                  I6300ESB_CONFIG_OUTPUT_OFF);
    pci_set_wmask(&w->pci, I6300ESB_REG_LOCK, 1,
                  I6300ESB_LOCK_LOCKED | I6300ESB_LOCK_ENABLE |
                  I6300ESB_LOCK_FREE_RUN);
    pci_device_finish_init(&w->pci);
    w->timer = watchdog_timer_new(device_host_main_context(dev->host),
                                  "i6300esb", i6300esb_timer_fired, w);
    return pci_bus_add_device(w->bus, &w->pci, w->slot, error);
}

static void
i6300esb_unrealize(VmmDevice *dev)
{
    I6300esb *w = i6300esb_from_dev(dev);

    if (w->pci.bus) {
        pci_bus_lock(w->bus);
        pci_device_unmap_bars(&w->pci);
        pci_bus_unlock(w->bus);
        pci_bus_remove_device(w->bus, &w->pci);
    }
    g_clear_pointer(&w->timer, watchdog_timer_free);
}

static void
i6300esb_reset(VmmDevice *dev)
{
    I6300esb *w = i6300esb_from_dev(dev);

    pci_device_reset(&w->pci);
    g_mutex_lock(&w->lock);
    i6300esb_reset_regs_locked(w);
    g_mutex_unlock(&w->lock);
}

/* A paused VM's guest cannot pet: its watchdog does not count either. */
static bool
i6300esb_pause(VmmDevice *dev, GError **error)
{
    I6300esb *w = i6300esb_from_dev(dev);
    g_autoptr(GMutexLocker) locker = g_mutex_locker_new(&w->lock);

    if (w->stage && w->paused_left < 0) {
        w->paused_left = MAX(w->deadline - g_get_monotonic_time(), 0);
        watchdog_timer_arm(w->timer, -1);
    }
    return true;
}

static bool
i6300esb_resume(VmmDevice *dev, GError **error)
{
    I6300esb *w = i6300esb_from_dev(dev);
    g_autoptr(GMutexLocker) locker = g_mutex_locker_new(&w->lock);

    if (w->paused_left >= 0 && w->stage) {
        w->deadline = g_get_monotonic_time() + w->paused_left;
        watchdog_timer_arm(w->timer, w->deadline);
    }
    w->paused_left = -1;
    return true;
}

/* ---- Snapshot state ------------------------------------------------------ */

typedef struct {
    PciDeviceState pci;
    uint32_t timer1;
    uint32_t timer2;
    uint8_t gintsr;
    bool timed_out;
    uint8_t unlock;
    uint8_t stage;
    uint64_t left_us;             /* time left in the stage counting */
} I6300esbState;

static const VmmStateField i6300esb_state_fields[] = {
    { .name = "pci", .type = VMM_STATE_STRUCT,
      .offset = offsetof(I6300esbState, pci), .desc = &pci_device_state_desc },
    VMM_STATE_UINT_FIELD(I6300esbState, timer1, 0, I6300ESB_PRELOAD_MASK),
    VMM_STATE_UINT_FIELD(I6300esbState, timer2, 0, I6300ESB_PRELOAD_MASK),
    VMM_STATE_UINT_FIELD(I6300esbState, gintsr, 0, 1),
    VMM_STATE_BOOL_FIELD(I6300esbState, timed_out),
    VMM_STATE_UINT_FIELD(I6300esbState, unlock, 0, UNLOCK_OPEN),
    VMM_STATE_UINT_FIELD(I6300esbState, stage, 0, 2),
    VMM_STATE_UINT_FIELD(I6300esbState, left_us, 0, G_MAXINT64),
};

static const VmmStateDesc i6300esb_state_desc = {
    .name = "i6300esb",
    .version = 1,
    .size = sizeof(I6300esbState),
    .fields = i6300esb_state_fields,
    .n_fields = G_N_ELEMENTS(i6300esb_state_fields),
};

static JsonNode *
i6300esb_save(VmmDevice *dev, GError **error)
{
    I6300esb *w = i6300esb_from_dev(dev);
    g_autofree I6300esbState *st = g_new0(I6300esbState, 1);

    pci_device_get_state(&w->pci, &st->pci);
    g_mutex_lock(&w->lock);
    st->timer1 = w->preload[0];
    st->timer2 = w->preload[1];
    st->gintsr = w->gintsr;
    st->timed_out = w->timed_out;
    st->unlock = w->unlock;
    st->stage = (uint8_t)w->stage;
    if (w->stage)
        st->left_us = (uint64_t)(w->paused_left >= 0 ? w->paused_left :
                                 MAX(w->deadline - g_get_monotonic_time(), 0));
    g_mutex_unlock(&w->lock);
    return vmm_state_save(&i6300esb_state_desc, st);
}

static bool
i6300esb_restore(VmmDevice *dev, JsonNode *state, GError **error)
{
    I6300esb *w = i6300esb_from_dev(dev);
    g_autofree I6300esbState *st = g_new0(I6300esbState, 1);

    pci_device_get_state(&w->pci, &st->pci);
    if (!vmm_state_load(&i6300esb_state_desc, state, dev->id, st, error))
        return false;
    pci_device_set_state(&w->pci, &st->pci);
    g_mutex_lock(&w->lock);
    w->config = pci_get_word(&w->pci, I6300ESB_REG_CONFIG);
    w->lock_reg = w->pci.config[I6300ESB_REG_LOCK];
    w->preload[0] = st->timer1;
    w->preload[1] = st->timer2;
    w->gintsr = st->gintsr;
    w->timed_out = st->timed_out;
    w->unlock = st->unlock;
    w->stage = i6300esb_enabled_locked(w) ? st->stage : 0;
    /* Restores run with the VM paused: the count goes on at resume. */
    w->paused_left = w->stage ? (int64_t)MIN(st->left_us, G_MAXINT64 / 2)
                              : -1;
    watchdog_timer_arm(w->timer, -1);
    g_mutex_unlock(&w->lock);
    return true;
}

static JsonNode *
i6300esb_counters(VmmDevice *dev)
{
    I6300esb *w = i6300esb_from_dev(dev);
    g_autoptr(JsonBuilder) jb = json_builder_new();

    json_builder_begin_object(jb);
    json_builder_set_member_name(jb, "expirations");
    json_builder_add_int_value(jb, (gint64)__atomic_load_n(
        &w->expirations, __ATOMIC_RELAXED));
    json_builder_end_object(jb);
    return json_builder_get_root(jb);
}

static char *
i6300esb_bdf(VmmDevice *dev)
{
    return pci_device_bdf(&i6300esb_from_dev(dev)->pci);
}

static void
i6300esb_free(VmmDevice *dev)
{
    I6300esb *w = i6300esb_from_dev(dev);

    watchdog_timer_free(w->timer);
    g_mutex_clear(&w->lock);
    g_free(w);
}

static const VmmDeviceOps i6300esb_ops = {
    .name = "i6300esb",
    .pci_bdf = i6300esb_bdf,
    .realize = i6300esb_realize,
    .unrealize = i6300esb_unrealize,
    .reset = i6300esb_reset,
    .pause = i6300esb_pause,
    .resume = i6300esb_resume,
    .save = i6300esb_save,
    .restore = i6300esb_restore,
    .counters = i6300esb_counters,
    .free = i6300esb_free,
};

VmmDevice *
i6300esb_new(DeviceHost *host, const char *id, PciBus *bus, int slot,
             WatchdogAction action)
{
    I6300esb *w = g_new0(I6300esb, 1);

    vmm_device_init(&w->dev, &i6300esb_ops, host, id ? id : I6300ESB_ID);
    g_mutex_init(&w->lock);
    w->bus = bus;
    w->slot = slot;
    w->action = action;
    i6300esb_reset_regs_locked(w);  /* not shared yet */
    return &w->dev;
}

PciDevice *
i6300esb_get_pci(VmmDevice *dev)
{
    return &i6300esb_from_dev(dev)->pci;
}

/* ---- Config: --nimbus-watchdog, "nimbus_watchdog" ------------------------ */

/* Models: only the 6300ESB so far; the key leaves room for others. */
typedef enum {
    WATCHDOG_MODEL_I6300ESB,
    WATCHDOG_MODEL_LAST
} WatchdogModel;

typedef struct {
    int model;                    /* WatchdogModel */
    int action;                   /* WatchdogAction */
    char *id;                     /* "__i6300esb" */
    int pci_device_id;            /* -1: allocate */
} NimbusWatchdogConfig;

static const char *
watchdog_model_name(int model)
{
    return model == WATCHDOG_MODEL_I6300ESB ? "i6300esb" : NULL;
}

static int
watchdog_model_from_string(const char *name)
{
    return g_str_equal(name, "i6300esb") ? WATCHDOG_MODEL_I6300ESB : -1;
}

static const VEnum watchdog_model_enum = {
    .to_string = watchdog_model_name,
    .from_string = watchdog_model_from_string,
    .json_expected = "i6300esb",
};

static const VEnum watchdog_action_enum = {
    .to_string = watchdog_action_name,
    .from_string = watchdog_action_from_string,
    .json_expected = "one of reset, poweroff or none",
};

/* model=, action=: the same spellings as in JSON. */
static bool
cli_watchdog_enum(const VmOpts *o, const VField *f, void *member,
                  GError **error)
{
    g_autofree char *value = NULL;
    int v;

    if (!vm_opts_get_string(o, f->name, &value, error))
        return false;
    if (!value)
        return true;
    if ((v = f->venum->from_string(value)) < 0) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                    "%s: invalid value '%s=%s': expected %s",
                    vm_opts_option(o), f->name, value,
                    f->venum->json_expected);
        return false;
    }
    *(int *)member = v;
    return true;
}

static void nimbus_watchdog_config_free(gpointer p);

static const VField nimbus_watchdog_fields[] = {
    V_ENUM("model", NimbusWatchdogConfig, model, &watchdog_model_enum,
           WATCHDOG_MODEL_I6300ESB, .cli_parse = cli_watchdog_enum),
    V_ENUM("action", NimbusWatchdogConfig, action, &watchdog_action_enum,
           WATCHDOG_ACTION_RESET, .cli_parse = cli_watchdog_enum),
    V_STR("id", NimbusWatchdogConfig, id),
    U_INT("pci_segment", 0, .cli_dflt = "0"),
    V_INT_OPT("pci_device_id", NimbusWatchdogConfig, pci_device_id, 1, 31),
    V_END
};

static const VStruct nimbus_watchdog_schema = {
    "NimbusWatchdogConfig", sizeof(NimbusWatchdogConfig),
    nimbus_watchdog_fields, nimbus_watchdog_config_free, NULL
};

static void
nimbus_watchdog_config_free(gpointer p)
{
    if (p)
        vschema_clear(&nimbus_watchdog_schema, p);
    g_free(p);
}

static const VmConfigKind nimbus_watchdog_kind = {
    .json_key = "nimbus_watchdog",
    .cli_option = "--nimbus-watchdog",
    .fields = &nimbus_watchdog_schema,
    .default_id = I6300ESB_ID,
    .pci = true,
};

static VmmDevice *
nimbus_watchdog_create(DeviceCreateCtx *ctx, gpointer entry, GError **error)
{
    const NimbusWatchdogConfig *cfg = entry;

    if (!device_create_pci_bus(ctx, error))
        return NULL;
    return device_create_add(ctx, i6300esb_new(ctx->host, cfg->id, ctx->bus,
                                               cfg->pci_device_id,
                                               cfg->action), error);
}

const DeviceType i6300esb_type = {
    .name = "nimbus-watchdog",
    .cli_option = "--nimbus-watchdog",
    .json_key = "nimbus_watchdog",
    .cli_help = "Hardware watchdog (nimbus extension): "
                "model=i6300esb,action=reset|poweroff|none "
                "[default: model=i6300esb,action=reset]",
    .example = "model=i6300esb,action=reset",
    .kind = &nimbus_watchdog_kind,
    .create = nimbus_watchdog_create,
};
