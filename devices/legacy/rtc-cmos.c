/* SPDX-License-Identifier: Apache-2.0 */
/* MC146818 real-time clock and 128 bytes of CMOS NVRAM at ports 0x70/0x71. */
#include <config.h>

#include <string.h>
#include <time.h>
#include <gio/gio.h>

#include "devices/device-host.h"
#include "devices/legacy/legacy.h"
#include "devices/legacy/rtc-cmos-priv.h"
#include "devices/legacy/ratelimit.h"
#include "devices/state.h"

/*
 * The clock is the host's CLOCK_REALTIME (UTC) plus an offset in whole
 * seconds that the guest changes by setting the time, so the emulated clock
 * never drifts and needs no timer.  There are no RTC interrupts (CH wires
 * none either): register C always reads 0.
 */

#define REG_SECONDS 0x00
#define REG_MINUTES 0x02
#define REG_HOURS 0x04
#define REG_WEEKDAY 0x06
#define REG_DAY 0x07
#define REG_MONTH 0x08
#define REG_YEAR 0x09
#define REG_A 0x0a
#define REG_B 0x0b
#define REG_C 0x0c
#define REG_D 0x0d

#define A_UIP 0x80                  /* update in progress (read-only) */
#define A_DEFAULT 0x26              /* 32.768 kHz time base, 1024 Hz rate */
#define B_SET 0x80                  /* updates inhibited, time being set */
#define B_PIE 0x40
#define B_AIE 0x20
#define B_UIE 0x10
#define B_SQWE 0x08
#define B_BINARY 0x04               /* DM: binary rather than BCD */
#define B_24H 0x02
#define B_DEFAULT B_24H
#define D_VRT 0x80                  /* valid RAM and time: battery good */
#define HOUR_PM 0x80                /* 12-hour mode */

/* UIP rises 244 us before each update (datasheet): a guest that saw it
 * clear has that long to read a consistent time.  The update itself is
 * instantaneous here. */
#define UIP_LEAD_NS 244000

/* CMOS memory size registers, as CH and SeaBIOS lay them out. */
#define REG_EXT_MEM_LO 0x34         /* 64 KiB units between 16 MiB and 4 GiB */
#define REG_EXT_MEM_HI 0x35
#define REG_HIGH_MEM_0 0x5b         /* 64 KiB units above 4 GiB, 3 bytes */

/* Keeps the guest's clock within years 1..9999 whatever it writes. */
#define OFFSET_LIMIT_S (G_GINT64_CONSTANT(400) * 365 * 86400 * 25)

typedef struct {
    VmmDevice dev;
    RtcCmosClockFunc clock;         /* immutable once realized (tests set it) */
    GMutex lock;
    uint8_t index;                  /* lock: the selected register */
    uint8_t nvram[RTC_CMOS_NVRAM_SIZE]; /* lock; time registers: while SET */
    int64_t offset_s;               /* lock: guest time - host time */
    RateLimit rl;                   /* lock */
} RtcCmos;

static RtcCmos *
rtc_cmos_from_dev(VmmDevice *dev)
{
    return (RtcCmos *)dev;
}

static bool
rtc_cmos_is_time_reg(unsigned idx)
{
    switch (idx) {
    case REG_SECONDS:
    case REG_MINUTES:
    case REG_HOURS:
    case REG_WEEKDAY:
    case REG_DAY:
    case REG_MONTH:
    case REG_YEAR:
    case RTC_CMOS_CENTURY_REG:
        return true;
    default:
        return false;
    }
}

/* Register B's DM bit picks the encoding of every time field: the guest
 * may switch it at any time, so values are converted on each access. */
static uint8_t
rtc_cmos_to_reg_locked(RtcCmos *c, unsigned v)
{
    return c->nvram[REG_B] & B_BINARY ? (uint8_t)v
                                      : (uint8_t)(((v / 10) << 4) | (v % 10));
}

static unsigned
rtc_cmos_from_reg_locked(RtcCmos *c, uint8_t v)
{
    return c->nvram[REG_B] & B_BINARY ? v : (v >> 4) * 10 + (v & 0x0f);
}

/* Fills the time registers from the guest's current time (UTC, as CH and
 * QEMU's default keep the RTC).  12-hour mode: 1-12 with bit 7 for PM. */
static void
rtc_cmos_latch_time_locked(RtcCmos *c, const struct timespec *now)
{
    time_t t = (time_t)(now->tv_sec + c->offset_s);
    struct tm tm;
    unsigned year, hour;
    uint8_t *r = c->nvram;

    gmtime_r(&t, &tm);
    year = (unsigned)tm.tm_year + 1900;
    hour = (unsigned)tm.tm_hour;
    r[REG_SECONDS] = rtc_cmos_to_reg_locked(c, (unsigned)tm.tm_sec);
    r[REG_MINUTES] = rtc_cmos_to_reg_locked(c, (unsigned)tm.tm_min);
    if (r[REG_B] & B_24H)
        r[REG_HOURS] = rtc_cmos_to_reg_locked(c, hour);
    else
        r[REG_HOURS] = rtc_cmos_to_reg_locked(c, hour % 12 ? hour % 12 : 12) |
                       (hour >= 12 ? HOUR_PM : 0);
    r[REG_WEEKDAY] = rtc_cmos_to_reg_locked(c, (unsigned)tm.tm_wday + 1);
    r[REG_DAY] = rtc_cmos_to_reg_locked(c, (unsigned)tm.tm_mday);
    r[REG_MONTH] = rtc_cmos_to_reg_locked(c, (unsigned)tm.tm_mon + 1);
    r[REG_YEAR] = rtc_cmos_to_reg_locked(c, year % 100);
    r[RTC_CMOS_CENTURY_REG] = rtc_cmos_to_reg_locked(c, year / 100);
}

/* The guest wrote a time: make it the clock's new value.  A date that
 * does not exist leaves the clock as it was. */
static void
rtc_cmos_commit_time_locked(RtcCmos *c, const struct timespec *now)
{
    const uint8_t *r = c->nvram;
    unsigned hour, year;
    g_autoptr(GDateTime) dt = NULL;
    int64_t offset;

    if (r[REG_B] & B_24H) {
        hour = rtc_cmos_from_reg_locked(c, r[REG_HOURS]);
    } else {
        hour = rtc_cmos_from_reg_locked(c, r[REG_HOURS] & ~HOUR_PM) % 12;
        if (r[REG_HOURS] & HOUR_PM)
            hour += 12;
    }
    year = rtc_cmos_from_reg_locked(c, r[RTC_CMOS_CENTURY_REG]) * 100 +
           rtc_cmos_from_reg_locked(c, r[REG_YEAR]);
    dt = g_date_time_new_utc((int)year,
                             (int)rtc_cmos_from_reg_locked(c, r[REG_MONTH]),
                             (int)rtc_cmos_from_reg_locked(c, r[REG_DAY]),
                             (int)hour,
                             (int)rtc_cmos_from_reg_locked(c, r[REG_MINUTES]),
                             rtc_cmos_from_reg_locked(c, r[REG_SECONDS]));
    if (!dt) {
        legacy_debug_ratelimited(&c->rl, "%s: invalid date written, clock "
                                 "unchanged", c->dev.id);
        return;
    }
    offset = g_date_time_to_unix(dt) - now->tv_sec;
    if (offset > -OFFSET_LIMIT_S && offset < OFFSET_LIMIT_S)
        c->offset_s = offset;
}

/* A read of port 0x71: time fields are computed from the clock at each
 * read, so there is nothing to update in the background. */
static uint8_t
rtc_cmos_read_data_locked(RtcCmos *c)
{
    unsigned idx = c->index;
    struct timespec now;
    uint8_t v;

    if (rtc_cmos_is_time_reg(idx) || idx == REG_A)
        c->clock(&now);
    if (rtc_cmos_is_time_reg(idx)) {
        /* While SET, the registers hold what the guest is writing. */
        if (!(c->nvram[REG_B] & B_SET))
            rtc_cmos_latch_time_locked(c, &now);
        return c->nvram[idx];
    }
    switch (idx) {
    case REG_A:
        v = c->nvram[REG_A] & ~A_UIP;
        if (!(c->nvram[REG_B] & B_SET) && now.tv_nsec >= 1000000000 - UIP_LEAD_NS)
            v |= A_UIP;
        return v;
    case REG_C:
        v = c->nvram[REG_C];
        c->nvram[REG_C] = 0;        /* flags clear on read */
        return v;
    case REG_D:
        return D_VRT;
    default:
        return c->nvram[idx];
    }
}

static void
rtc_cmos_write_data_locked(RtcCmos *c, uint8_t v)
{
    unsigned idx = c->index;
    struct timespec now;
    uint8_t old_b = c->nvram[REG_B];

    c->clock(&now);
    if (rtc_cmos_is_time_reg(idx)) {
        if (old_b & B_SET) {
            c->nvram[idx] = v;
        } else {
            /* A write while the clock runs changes just that field. */
            rtc_cmos_latch_time_locked(c, &now);
            c->nvram[idx] = v;
            rtc_cmos_commit_time_locked(c, &now);
        }
        return;
    }
    switch (idx) {
    case REG_A:
        c->nvram[REG_A] = v & ~A_UIP;
        break;
    case REG_B:
        /* SET freezes the time fields so the guest can rewrite them one by
         * one (Linux's mc146818_set_time()); clearing it starts the clock
         * from what they hold. */
        if ((v & B_SET) && !(old_b & B_SET))
            rtc_cmos_latch_time_locked(c, &now);  /* freeze the time */
        c->nvram[REG_B] = v;
        if (!(v & B_SET) && (old_b & B_SET))
            rtc_cmos_commit_time_locked(c, &now);
        break;
    case REG_C:
    case REG_D:
        legacy_debug_ratelimited(&c->rl, "%s: write 0x%02x to read-only "
                                 "register 0x%x ignored", c->dev.id, v, idx);
        break;
    default:
        c->nvram[idx] = v;
        break;
    }
}

static void
rtc_cmos_read(VmmDevice *dev, uint64_t off, void *data, unsigned len)
{
    RtcCmos *c = rtc_cmos_from_dev(dev);
    uint8_t *p = data;

    g_mutex_lock(&c->lock);
    /* The index port is write-only; wider accesses reach 0x71 as the ISA
     * bus would split them. */
    for (unsigned i = 0; i < len; i++)
        p[i] = off + i == 1 ? rtc_cmos_read_data_locked(c) : 0xff;
    g_mutex_unlock(&c->lock);
}

static void
rtc_cmos_write(VmmDevice *dev, uint64_t off, const void *data, unsigned len)
{
    RtcCmos *c = rtc_cmos_from_dev(dev);
    const uint8_t *p = data;

    g_mutex_lock(&c->lock);
    for (unsigned i = 0; i < len && off + i < 2; i++) {
        if (off + i == 0)
            c->index = p[i] & 0x7f;   /* bit 7 gates NMI on a PC: ignored */
        else
            rtc_cmos_write_data_locked(c, p[i]);
    }
    g_mutex_unlock(&c->lock);
}

static bool
rtc_cmos_realize(VmmDevice *dev, GError **error)
{
    return device_host_register_pio(dev->host, RTC_CMOS_BASE, 2, dev, error);
}

static void
rtc_cmos_unrealize(VmmDevice *dev)
{
    device_host_unregister_device(dev->host, dev);
}

/* The RESET pin: interrupt enables and flags clear; the battery-backed
 * time and NVRAM survive, as across a real reboot. */
static void
rtc_cmos_reset(VmmDevice *dev)
{
    RtcCmos *c = rtc_cmos_from_dev(dev);

    g_mutex_lock(&c->lock);
    c->index = 0;
    c->nvram[REG_B] &= ~(B_PIE | B_AIE | B_UIE | B_SQWE);
    c->nvram[REG_C] = 0;
    g_mutex_unlock(&c->lock);
}

/* The register file, the index latch and the guest's offset from host
 * time (not the host time itself: a restored guest keeps its own clock). */
typedef struct {
    uint8_t index;
    int64_t offset_s;
    uint8_t nvram[RTC_CMOS_NVRAM_SIZE];
} RtcCmosState;

static const VmmStateField rtc_cmos_state_fields[] = {
    VMM_STATE_UINT_FIELD(RtcCmosState, index, 0, 0x7f),
    VMM_STATE_INT_FIELD(RtcCmosState, offset_s, -OFFSET_LIMIT_S + 1,
                        OFFSET_LIMIT_S - 1),
    VMM_STATE_BYTES_FIELD(RtcCmosState, nvram),
};

static const VmmStateDesc rtc_cmos_state_desc = {
    .name = "rtc-cmos",
    .version = 1,
    .size = sizeof(RtcCmosState),
    .fields = rtc_cmos_state_fields,
    .n_fields = G_N_ELEMENTS(rtc_cmos_state_fields),
};

static JsonNode *
rtc_cmos_save(VmmDevice *dev, GError **error)
{
    RtcCmos *c = rtc_cmos_from_dev(dev);
    RtcCmosState st = { 0 };

    g_mutex_lock(&c->lock);
    memcpy(st.nvram, c->nvram, sizeof(st.nvram));
    st.index = c->index;
    st.offset_s = c->offset_s;
    g_mutex_unlock(&c->lock);
    return vmm_state_save(&rtc_cmos_state_desc, &st);
}

static bool
rtc_cmos_restore(VmmDevice *dev, JsonNode *state, GError **error)
{
    RtcCmos *c = rtc_cmos_from_dev(dev);
    RtcCmosState st = { 0 };

    if (!vmm_state_load(&rtc_cmos_state_desc, state, dev->id, &st, error))
        return false;
    g_mutex_lock(&c->lock);
    c->index = st.index;
    c->offset_s = st.offset_s;
    memcpy(c->nvram, st.nvram, sizeof(st.nvram));
    g_mutex_unlock(&c->lock);
    return true;
}

static void
rtc_cmos_free(VmmDevice *dev)
{
    RtcCmos *c = rtc_cmos_from_dev(dev);

    g_mutex_clear(&c->lock);
    g_free(c);
}

static const VmmDeviceOps rtc_cmos_ops = {
    .name = "rtc-cmos",
    .realize = rtc_cmos_realize,
    .unrealize = rtc_cmos_unrealize,
    .reset = rtc_cmos_reset,
    .read = rtc_cmos_read,
    .write = rtc_cmos_write,
    .save = rtc_cmos_save,
    .restore = rtc_cmos_restore,
    .free = rtc_cmos_free,
};

static void
rtc_cmos_host_clock(struct timespec *now)
{
    clock_gettime(CLOCK_REALTIME, now);
}

void
rtc_cmos_set_clock(VmmDevice *dev, RtcCmosClockFunc clock)
{
    rtc_cmos_from_dev(dev)->clock = clock ? clock : rtc_cmos_host_clock;
}

VmmDevice *
rtc_cmos_new(DeviceHost *host, const char *id, uint64_t mem_below_4g,
             uint64_t mem_above_4g)
{
    RtcCmos *c = g_new0(RtcCmos, 1);
    uint64_t ext, high;

    vmm_device_init(&c->dev, &rtc_cmos_ops, host, id);
    c->clock = rtc_cmos_host_clock;
    g_mutex_init(&c->lock);
    c->nvram[REG_A] = A_DEFAULT;
    c->nvram[REG_B] = B_DEFAULT;
    c->nvram[REG_D] = D_VRT;
    ext = MIN(G_GUINT64_CONSTANT(0xffff),
              (mem_below_4g > 16 * 1024 * 1024 ? mem_below_4g - 16 * 1024 * 1024
                                              : 0) / (64 * 1024));
    high = MIN(G_GUINT64_CONSTANT(0xffffff), mem_above_4g / (64 * 1024));
    c->nvram[REG_EXT_MEM_LO] = (uint8_t)ext;
    c->nvram[REG_EXT_MEM_HI] = (uint8_t)(ext >> 8);
    c->nvram[REG_HIGH_MEM_0] = (uint8_t)high;
    c->nvram[REG_HIGH_MEM_0 + 1] = (uint8_t)(high >> 8);
    c->nvram[REG_HIGH_MEM_0 + 2] = (uint8_t)(high >> 16);
    return &c->dev;
}
