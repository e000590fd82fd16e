/* SPDX-License-Identifier: Apache-2.0 */
/* HW-reduced ACPI sleep control/status + reset register (0x600), PM timer (0x608). */
#include <config.h>

#include <time.h>
#include <gio/gio.h>

#include "devices/device-host.h"
#include "devices/legacy/legacy.h"
#include "devices/legacy/ratelimit.h"
#include "devices/state.h"

/*
 * One port range, 0x600-0x60b, as the FADT describes it:
 *   0x600      SLEEP_CONTROL_REG, SLEEP_STATUS_REG and RESET_REG (1 byte)
 *   0x608-60b  X_PM_TMR_BLK: a free-running 32-bit counter (TMR_VAL_EXT)
 * ACPI 6.5 §4.8.3.7 (sleep control: SLP_TYPx in bits 2-4, SLP_EN bit 5),
 * §4.8.3.6 (reset register), §4.8.3.3 (PM timer at 3.579545 MHz).
 */

#define OFF_SLEEP 0
#define OFF_TIMER 8
#define TIMER_LEN 4

#define SLP_TYP_SHIFT 2
#define SLP_TYP_MASK 0x7
#define SLP_EN 0x20

typedef struct {
    VmmDevice dev;
    GMutex lock;
    /* lock: added to the host-derived count, so that a restored timer
     * continues from its saved value (mod 2^32). */
    uint32_t timer_offset;
    RateLimit rl;                   /* lock */
} AcpiPm;

static AcpiPm *
acpi_pm_from_dev(VmmDevice *dev)
{
    return (AcpiPm *)dev;
}

/* Host CLOCK_MONOTONIC in PM timer ticks, mod 2^64 (split so that the
 * product never overflows: sec * 3579545 fits 64 bits for 160,000 years). */
static uint64_t
acpi_pm_host_ticks(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * ACPI_PM_TIMER_HZ +
           (uint64_t)ts.tv_nsec * ACPI_PM_TIMER_HZ / 1000000000ULL;
}

static uint32_t
acpi_pm_timer_locked(AcpiPm *pm)
{
    return (uint32_t)acpi_pm_host_ticks() + pm->timer_offset;
}

static void
acpi_pm_read(VmmDevice *dev, uint64_t off, void *data, unsigned len)
{
    AcpiPm *pm = acpi_pm_from_dev(dev);
    uint64_t v = ~0ULL;

    g_mutex_lock(&pm->lock);
    if (off == OFF_SLEEP) {
        /* SLEEP_STATUS: WAK_STS (bit 7) is never set: nothing sleeps. */
        v = 0;
    } else if (off >= OFF_TIMER && off < OFF_TIMER + TIMER_LEN) {
        /* Byte accesses inside the counter read its bytes. */
        v = (uint64_t)acpi_pm_timer_locked(pm) >> (8 * (off - OFF_TIMER));
        if (off - OFF_TIMER + len > TIMER_LEN)
            v |= ~0ULL << (8 * (TIMER_LEN - (off - OFF_TIMER)));
    } else {
        legacy_debug_ratelimited(&pm->rl, "%s: read of port 0x%x", dev->id,
                                 (unsigned)(ACPI_PM_BASE + off));
    }
    g_mutex_unlock(&pm->lock);
    vmm_le_store(data, len, v);
}

static void
acpi_pm_write(VmmDevice *dev, uint64_t off, const void *data, unsigned len)
{
    AcpiPm *pm = acpi_pm_from_dev(dev);
    uint8_t v = ((const uint8_t *)data)[0];

    if (off == OFF_SLEEP) {
        if (v == ACPI_PM_RESET_VALUE) {
            device_host_request_reset(dev->host);
            return;
        }
        if ((v & SLP_EN) &&
            ((v >> SLP_TYP_SHIFT) & SLP_TYP_MASK) == ACPI_PM_S5_TYPE) {
            device_host_request_poweroff(dev->host);
            return;
        }
        /* Only \_S5_ is in the DSDT; SLP_EN without it does nothing. */
    }
    g_mutex_lock(&pm->lock);
    legacy_debug_ratelimited(&pm->rl, "%s: write 0x%02x to port 0x%x ignored",
                             dev->id, v, (unsigned)(ACPI_PM_BASE + off));
    g_mutex_unlock(&pm->lock);
}

static bool
acpi_pm_realize(VmmDevice *dev, GError **error)
{
    return device_host_register_pio(dev->host, ACPI_PM_BASE, ACPI_PM_NR_PORTS,
                                    dev, error);
}

static void
acpi_pm_unrealize(VmmDevice *dev)
{
    device_host_unregister_device(dev->host, dev);
}

static void
acpi_pm_reset(VmmDevice *dev)
{
    /* The timer runs across resets (it is not reset by hardware either);
     * the sleep register holds no state. */
}

/* The PM timer's value: the host-derived offset is not portable. */
typedef struct {
    uint32_t pm_timer;
} AcpiPmState;

static const VmmStateField acpi_pm_state_fields[] = {
    VMM_STATE_UINT_FIELD(AcpiPmState, pm_timer, 0, G_MAXUINT32),
};

static const VmmStateDesc acpi_pm_state_desc = {
    .name = "acpi-pm",
    .version = 1,
    .size = sizeof(AcpiPmState),
    .fields = acpi_pm_state_fields,
    .n_fields = G_N_ELEMENTS(acpi_pm_state_fields),
};

static JsonNode *
acpi_pm_save(VmmDevice *dev, GError **error)
{
    AcpiPm *pm = acpi_pm_from_dev(dev);
    AcpiPmState st = { 0 };

    g_mutex_lock(&pm->lock);
    st.pm_timer = acpi_pm_timer_locked(pm);
    g_mutex_unlock(&pm->lock);
    return vmm_state_save(&acpi_pm_state_desc, &st);
}

static bool
acpi_pm_restore(VmmDevice *dev, JsonNode *state, GError **error)
{
    AcpiPm *pm = acpi_pm_from_dev(dev);
    AcpiPmState st = { 0 };

    if (!vmm_state_load(&acpi_pm_state_desc, state, dev->id, &st, error))
        return false;
    g_mutex_lock(&pm->lock);
    /* The counter goes on from the saved value, on whatever host. */
    pm->timer_offset = st.pm_timer - (uint32_t)acpi_pm_host_ticks();
    g_mutex_unlock(&pm->lock);
    return true;
}

static void
acpi_pm_free(VmmDevice *dev)
{
    AcpiPm *pm = acpi_pm_from_dev(dev);

    g_mutex_clear(&pm->lock);
    g_free(pm);
}

static const VmmDeviceOps acpi_pm_ops = {
    .name = "acpi-pm",
    .realize = acpi_pm_realize,
    .unrealize = acpi_pm_unrealize,
    .reset = acpi_pm_reset,
    .read = acpi_pm_read,
    .write = acpi_pm_write,
    .save = acpi_pm_save,
    .restore = acpi_pm_restore,
    .free = acpi_pm_free,
};

VmmDevice *
acpi_pm_new(DeviceHost *host, const char *id)
{
    AcpiPm *pm = g_new0(AcpiPm, 1);

    vmm_device_init(&pm->dev, &acpi_pm_ops, host, id);
    g_mutex_init(&pm->lock);
    return &pm->dev;
}
