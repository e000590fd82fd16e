/* SPDX-License-Identifier: Apache-2.0 */
/* Port 0x80 POST/boot progress codes, logged with the time since boot. */
#include <config.h>

#include <string.h>
#include <gio/gio.h>

#include "devices/device-host.h"
#include "devices/legacy/legacy.h"
#include "devices/legacy/ratelimit.h"
#include "devices/state.h"

/*
 * Firmware, boot loaders and instrumented guests write progress codes to
 * port 0x80; CH logs each with the time since the VM started, which is how
 * boot time is measured ("Kernel" and "Userspace" first codes).  Linux also
 * writes port 0x80 as an I/O delay, thousands of times, so logging is
 * shaped for that:
 *   - the first code of each range is always logged (the boot milestones);
 *   - a code that differs from the previous one is logged within a rate
 *     budget (DEBUG_PORT_LOG_BURST per second), the excess is counted;
 *   - a repeat of the previous code is only counted.
 * Every write still updates the per-range statistics (first and last code
 * with their times, count), available through the getters.
 */

#define DEBUG_PORT_LOG_BURST 20

typedef struct {
    bool seen;
    uint8_t first_code, last_code;
    int64_t first_us, last_us;      /* since the origin */
    uint64_t count;
} DebugPortStats;

typedef struct {
    VmmDevice dev;
    GMutex lock;
    int64_t origin_us;              /* lock: monotonic time of boot; 0: unset */
    DebugPortStats stats[DEBUG_PORT_RANGE_LAST];   /* lock */
    int last_code;                  /* lock: -1 before the first write */
    uint64_t unlogged;              /* lock: writes not logged since the last log */
    RateLimit rl;                   /* lock */
} DebugPort;

static const char *const range_names[DEBUG_PORT_RANGE_LAST] = {
    [DEBUG_PORT_RANGE_FIRMWARE] = "Firmware",
    [DEBUG_PORT_RANGE_BOOTLOADER] = "Bootloader",
    [DEBUG_PORT_RANGE_KERNEL] = "Kernel",
    [DEBUG_PORT_RANGE_USERSPACE] = "Userspace",
    [DEBUG_PORT_RANGE_CUSTOM] = "Custom",
};

static DebugPort *
debug_port_from_dev(VmmDevice *dev)
{
    return (DebugPort *)dev;
}

const char *
debug_port_range_name(DebugPortRange range)
{
    return range < DEBUG_PORT_RANGE_LAST ? range_names[range] : NULL;
}

DebugPortRange
debug_port_range_of(uint8_t code)
{
    /* 0x20 codes per range, everything from 0x80 up is "Custom". */
    return code >= 0x80 ? DEBUG_PORT_RANGE_CUSTOM : (DebugPortRange)(code >> 5);
}

static void
debug_port_read(VmmDevice *dev, uint64_t off, void *data, unsigned len)
{
    vmm_device_read_ones(data, len);
}

/* A progress code: statistics always, a log line when the policy above
 * allows.  Only the first byte of a wider write is the port's. */
static void
debug_port_write(VmmDevice *dev, uint64_t off, const void *data, unsigned len)
{
    DebugPort *p = debug_port_from_dev(dev);
    uint8_t code = ((const uint8_t *)data)[0];
    DebugPortRange range = debug_port_range_of(code);
    DebugPortStats *st;
    g_autofree char *msg = NULL;
    int64_t us;
    unsigned supp = 0;
    uint64_t unlogged = 0;
    bool first, log;

    g_mutex_lock(&p->lock);
    if (p->origin_us == 0)
        p->origin_us = g_get_monotonic_time();
    us = g_get_monotonic_time() - p->origin_us;
    st = &p->stats[range];
    first = !st->seen;
    if (first) {
        st->seen = true;
        st->first_code = code;
        st->first_us = us;
    }
    st->last_code = code;
    st->last_us = us;
    st->count++;

    log = first || (code != p->last_code &&
                    ratelimit_allow(&p->rl, DEBUG_PORT_LOG_BURST,
                                    G_USEC_PER_SEC, &supp));
    p->last_code = code;
    if (log) {
        unlogged = p->unlogged;
        p->unlogged = 0;
        /* CH's format, which boot-time tooling greps for. */
        msg = g_strdup_printf("[Debug I/O port: %s code 0x%x] %" G_GINT64_FORMAT
                              ".%06" G_GINT64_FORMAT " seconds",
                              range_names[range], code, us / G_USEC_PER_SEC,
                              us % G_USEC_PER_SEC);
    } else {
        p->unlogged++;
    }
    g_mutex_unlock(&p->lock);

    /* Logged outside the lock: the sink may be slow. */
    if (unlogged)
        g_info("[Debug I/O port: %" G_GUINT64_FORMAT " writes not logged]",
               unlogged);
    if (msg)
        g_info("%s", msg);
}

bool
debug_port_get_first(VmmDevice *dev, DebugPortRange range, uint8_t *code,
                     int64_t *usec)
{
    DebugPort *p = debug_port_from_dev(dev);
    bool seen;

    g_return_val_if_fail(range < DEBUG_PORT_RANGE_LAST, false);
    g_mutex_lock(&p->lock);
    seen = p->stats[range].seen;
    if (seen) {
        if (code)
            *code = p->stats[range].first_code;
        if (usec)
            *usec = p->stats[range].first_us;
    }
    g_mutex_unlock(&p->lock);
    return seen;
}

uint64_t
debug_port_get_count(VmmDevice *dev, DebugPortRange range)
{
    DebugPort *p = debug_port_from_dev(dev);
    uint64_t n;

    g_return_val_if_fail(range < DEBUG_PORT_RANGE_LAST, 0);
    g_mutex_lock(&p->lock);
    n = p->stats[range].count;
    g_mutex_unlock(&p->lock);
    return n;
}

static void
debug_port_clear_locked(DebugPort *p, int64_t origin_us)
{
    memset(p->stats, 0, sizeof(p->stats));
    p->last_code = -1;
    p->unlogged = 0;
    p->origin_us = origin_us;
}

void
debug_port_set_boot_time(VmmDevice *dev, int64_t boot_time_us)
{
    DebugPort *p = debug_port_from_dev(dev);

    g_mutex_lock(&p->lock);
    debug_port_clear_locked(p, boot_time_us);
    g_mutex_unlock(&p->lock);
}

static bool
debug_port_realize(VmmDevice *dev, GError **error)
{
    DebugPort *p = debug_port_from_dev(dev);

    g_mutex_lock(&p->lock);
    if (p->origin_us == 0)
        p->origin_us = g_get_monotonic_time();
    g_mutex_unlock(&p->lock);
    return device_host_register_pio(dev->host, DEBUG_PORT_BASE, 1, dev, error);
}

static void
debug_port_unrealize(VmmDevice *dev)
{
    device_host_unregister_device(dev->host, dev);
}

/* A reboot is a new boot: the milestones start over from now. */
static void
debug_port_reset(VmmDevice *dev)
{
    debug_port_set_boot_time(dev, g_get_monotonic_time());
}

/* Host-independent: times are relative to the guest's boot, and the
 * origin is rebuilt from "uptime_us" on restore. */
typedef struct {
    int64_t uptime_us;
    int32_t last_code;              /* -1 before the first write */
    DebugPortStats ranges[DEBUG_PORT_RANGE_LAST];
} DebugPortState;

static const VmmStateField debug_port_range_fields[] = {
    VMM_STATE_BOOL_FIELD(DebugPortStats, seen),
    VMM_STATE_UINT_FIELD(DebugPortStats, first_code, 0, 0xff),
    VMM_STATE_INT_FIELD(DebugPortStats, first_us, G_MININT64, G_MAXINT64),
    VMM_STATE_UINT_FIELD(DebugPortStats, last_code, 0, 0xff),
    VMM_STATE_INT_FIELD(DebugPortStats, last_us, G_MININT64, G_MAXINT64),
    VMM_STATE_UINT_FIELD(DebugPortStats, count, 0, G_MAXINT64),
};

/* One element of "ranges": versioned with the device. */
static const VmmStateDesc debug_port_range_desc = {
    .name = "debug-port range",
    .size = sizeof(DebugPortStats),
    .fields = debug_port_range_fields,
    .n_fields = G_N_ELEMENTS(debug_port_range_fields),
};

static const VmmStateField debug_port_state_fields[] = {
    VMM_STATE_INT_FIELD(DebugPortState, uptime_us, 0, G_MAXINT64),
    VMM_STATE_INT_FIELD(DebugPortState, last_code, -1, 0xff),
    { .name = "ranges", .type = VMM_STATE_STRUCT,
      .offset = offsetof(DebugPortState, ranges),
      .count = DEBUG_PORT_RANGE_LAST, .desc = &debug_port_range_desc },
};

static const VmmStateDesc debug_port_state_desc = {
    .name = "debug-port",
    .version = 1,
    .size = sizeof(DebugPortState),
    .fields = debug_port_state_fields,
    .n_fields = G_N_ELEMENTS(debug_port_state_fields),
};

static JsonNode *
debug_port_save(VmmDevice *dev, GError **error)
{
    DebugPort *p = debug_port_from_dev(dev);
    DebugPortState st = { 0 };

    g_mutex_lock(&p->lock);
    memcpy(st.ranges, p->stats, sizeof(st.ranges));
    st.uptime_us = g_get_monotonic_time() - p->origin_us;
    st.last_code = p->last_code;
    g_mutex_unlock(&p->lock);
    /* A JSON integer is an int64: a count that large is saturated. */
    for (unsigned i = 0; i < DEBUG_PORT_RANGE_LAST; i++)
        st.ranges[i].count = MIN(st.ranges[i].count, (uint64_t)G_MAXINT64);
    return vmm_state_save(&debug_port_state_desc, &st);
}

static bool
debug_port_restore(VmmDevice *dev, JsonNode *state, GError **error)
{
    DebugPort *p = debug_port_from_dev(dev);
    DebugPortState st = { 0 };

    if (!vmm_state_load(&debug_port_state_desc, state, dev->id, &st, error))
        return false;
    g_mutex_lock(&p->lock);
    memcpy(p->stats, st.ranges, sizeof(st.ranges));
    p->last_code = st.last_code;
    p->unlogged = 0;
    /* Times stay relative to the guest's boot across the restore (the
     * origin stays > 0, which means "set"). */
    p->origin_us = g_get_monotonic_time() - MIN(st.uptime_us,
                                                g_get_monotonic_time() - 1);
    g_mutex_unlock(&p->lock);
    return true;
}

static void
debug_port_free(VmmDevice *dev)
{
    DebugPort *p = debug_port_from_dev(dev);

    g_mutex_clear(&p->lock);
    g_free(p);
}

static const VmmDeviceOps debug_port_ops = {
    .name = "debug-port",
    .realize = debug_port_realize,
    .unrealize = debug_port_unrealize,
    .reset = debug_port_reset,
    .read = debug_port_read,
    .write = debug_port_write,
    .save = debug_port_save,
    .restore = debug_port_restore,
    .free = debug_port_free,
};

VmmDevice *
debug_port_new(DeviceHost *host, const char *id, int64_t boot_time_us)
{
    DebugPort *p = g_new0(DebugPort, 1);

    vmm_device_init(&p->dev, &debug_port_ops, host, id);
    g_mutex_init(&p->lock);
    debug_port_clear_locked(p, boot_time_us);
    return &p->dev;
}
