/* SPDX-License-Identifier: Apache-2.0 */
/* 16550A UART (8250 family) with a 16-byte RX FIFO, on a port I/O range. */
#include <config.h>

#include <string.h>
#include <gio/gio.h>

#include "devices/device-host.h"
#include "devices/legacy/legacy.h"
#include "devices/legacy/ratelimit.h"
#include "devices/legacy/serial-8250-priv.h"
#include "devices/state.h"

/*
 * Register model after the National Semiconductor PC16550D datasheet.
 * Transmission is instantaneous: a byte written to THR goes straight to
 * the backend, so THRE/TEMT always read as set and the THR-empty interrupt
 * is re-armed right after each write.  Input comes from the backend on the
 * main context, never more than the RX FIFO can hold (back-pressure instead
 * of overruns).
 */

/* Register offsets (DLAB selects DLL/DLM at 0 and 1). */
enum {
    REG_RBR_THR = 0,
    REG_IER = 1,
    REG_IIR_FCR = 2,
    REG_LCR = 3,
    REG_MCR = 4,
    REG_LSR = 5,
    REG_MSR = 6,
    REG_SCR = 7,
};

#define IER_ERBFI 0x01      /* received data available */
#define IER_ETBEI 0x02      /* THR empty */
#define IER_ELSI 0x04       /* receiver line status */
#define IER_EDSSI 0x08      /* modem status */
#define IER_MASK 0x0f       /* bits 4-7 read as 0 (Linux probes bit 6) */

#define IIR_NO_INT 0x01
#define IIR_MSI 0x00
#define IIR_THRI 0x02
#define IIR_RDI 0x04
#define IIR_RLSI 0x06
#define IIR_TIMEOUT 0x0c
#define IIR_FIFO_ENABLED 0xc0

#define FCR_ENABLE 0x01
#define FCR_CLEAR_RX 0x02

#define LCR_DLAB 0x80

#define MCR_DTR 0x01
#define MCR_RTS 0x02
#define MCR_OUT1 0x04
#define MCR_OUT2 0x08
#define MCR_LOOP 0x10
#define MCR_MASK 0x1f

#define LSR_DR 0x01
#define LSR_OE 0x02
#define LSR_PE 0x04
#define LSR_FE 0x08
#define LSR_BI 0x10
#define LSR_THRE 0x20
#define LSR_TEMT 0x40
#define LSR_ERRORS (LSR_OE | LSR_PE | LSR_FE | LSR_BI)

#define MSR_DCTS 0x01
#define MSR_DDSR 0x02
#define MSR_TERI 0x04
#define MSR_DDCD 0x08
#define MSR_DELTAS 0x0f
#define MSR_CTS 0x10
#define MSR_DSR 0x20
#define MSR_RI 0x40
#define MSR_DCD 0x80
/* Outside loopback the far end looks like a connected, ready terminal
 * (CH reports the same), so no flow control ever stalls the guest. */
#define MSR_CONNECTED (MSR_DCD | MSR_DSR | MSR_CTS)

#define DEFAULT_DIVISOR 12  /* 9600 baud */

static const uint8_t rx_trigger_levels[4] = { 1, 4, 8, 14 };

typedef struct {
    uint8_t ier, lcr, mcr, lsr, msr, scr, dll, dlm;
    bool fifo_enabled;
    uint8_t fifo_trigger;           /* FCR bits 6-7 */
    bool thr_ipending;              /* THR-empty interrupt armed */
    uint8_t rx[SERIAL8250_FIFO_SIZE];
    unsigned rx_head, rx_count;
} Serial8250Regs;

typedef struct {
    VmmDevice dev;
    uint16_t base;                  /* immutable */
    uint32_t gsi;                   /* immutable */
    CharBackend *backend;           /* immutable, owned; NULL: discard */

    GMutex lock;
    Serial8250Regs r;               /* lock */
    bool irq_level;                 /* lock: the level last set on the line */
    bool paused;                    /* lock: VM paused, take no input */
    RateLimit rl;                   /* lock */
} Serial8250;

static Serial8250 *
serial8250_from_dev(VmmDevice *dev)
{
    return (Serial8250 *)dev;
}

static unsigned
serial8250_rx_capacity_locked(Serial8250 *s)
{
    /* Without FIFO the 16450 holding register holds one byte. */
    return s->r.fifo_enabled ? SERIAL8250_FIFO_SIZE : 1;
}

/* IIR by the datasheet's priorities; FIFO mode reports a character
 * timeout at once when fewer bytes than the trigger level wait (the guest
 * has nothing more to expect from an instant line). */
static uint8_t
serial8250_iir_locked(Serial8250 *s)
{
    Serial8250Regs *r = &s->r;
    uint8_t iir = IIR_NO_INT;

    if ((r->ier & IER_ELSI) && (r->lsr & LSR_ERRORS))
        iir = IIR_RLSI;
    else if ((r->ier & IER_ERBFI) && r->rx_count > 0)
        iir = r->fifo_enabled &&
                      r->rx_count < rx_trigger_levels[r->fifo_trigger]
                  ? IIR_TIMEOUT
                  : IIR_RDI;
    else if ((r->ier & IER_ETBEI) && r->thr_ipending)
        iir = IIR_THRI;
    else if ((r->ier & IER_EDSSI) && (r->msr & MSR_DELTAS))
        iir = IIR_MSI;
    return iir | (r->fifo_enabled ? IIR_FIFO_ENABLED : 0);
}

/*
 * Drives the IRQ line to "an interrupt is pending": a real 16550's INTR
 * pin.  The ISA line is edge-triggered, so the line must fall when nothing
 * is pending for the next event to be seen; Linux's handler loops on IIR
 * until it reads "no interrupt", which is when it falls.
 *
 * On a PC, MCR.OUT2 gates INTR onto the bus.  It is not modelled, as in CH
 * and QEMU: Linux sets OUT2 anyway, and firmware that enables interrupts
 * without it would otherwise wait forever.  Only changes reach the VM
 * (each one is an ioctl), unless @force (after a restore, the line must
 * match the restored registers whatever it was).
 */
static void
serial8250_update_irq_locked(Serial8250 *s, bool force)
{
    bool level = !(serial8250_iir_locked(s) & IIR_NO_INT);

    if (level != s->irq_level || force) {
        s->irq_level = level;
        device_host_irq_set(s->dev.host, s->gsi, level);
    }
}

/* FCR "clear RX", mode switches: the FIFO empties, DR falls. */
static void
serial8250_rx_clear_locked(Serial8250 *s)
{
    s->r.rx_head = 0;
    s->r.rx_count = 0;
    s->r.lsr &= ~LSR_DR;
}

/* Queues one received byte; a full FIFO is an overrun (loopback only:
 * the backend is never asked for more than fits). */
static void
serial8250_rx_push_locked(Serial8250 *s, uint8_t byte)
{
    Serial8250Regs *r = &s->r;

    if (r->rx_count >= serial8250_rx_capacity_locked(s)) {
        r->lsr |= LSR_OE;
        return;
    }
    r->rx[(r->rx_head + r->rx_count) % SERIAL8250_FIFO_SIZE] = byte;
    r->rx_count++;
    r->lsr |= LSR_DR;
}

/* An empty FIFO reads 0 (a real part returns its stale holding register:
 * nothing relies on it). */
static uint8_t
serial8250_rx_pop_locked(Serial8250 *s)
{
    Serial8250Regs *r = &s->r;
    uint8_t byte;

    if (r->rx_count == 0)
        return 0;
    byte = r->rx[r->rx_head];
    r->rx_head = (r->rx_head + 1) % SERIAL8250_FIFO_SIZE;
    if (--r->rx_count == 0)
        r->lsr &= ~LSR_DR;
    return byte;
}

/* The modem status inputs: wired to MCR outputs in loopback. */
static uint8_t
serial8250_msr_status_locked(Serial8250 *s)
{
    uint8_t mcr = s->r.mcr;

    if (!(mcr & MCR_LOOP))
        return MSR_CONNECTED;
    return (mcr & MCR_RTS ? MSR_CTS : 0) | (mcr & MCR_DTR ? MSR_DSR : 0) |
           (mcr & MCR_OUT1 ? MSR_RI : 0) | (mcr & MCR_OUT2 ? MSR_DCD : 0);
}

static void
serial8250_set_msr_status_locked(Serial8250 *s, uint8_t status)
{
    uint8_t old = s->r.msr, deltas = old & MSR_DELTAS;

    if ((old ^ status) & MSR_CTS)
        deltas |= MSR_DCTS;
    if ((old ^ status) & MSR_DSR)
        deltas |= MSR_DDSR;
    if ((old & MSR_RI) && !(status & MSR_RI))   /* trailing edge only */
        deltas |= MSR_TERI;
    if ((old ^ status) & MSR_DCD)
        deltas |= MSR_DDCD;
    s->r.msr = status | deltas;
}

static void
serial8250_thr_write_locked(Serial8250 *s, uint8_t byte)
{
    /* Writing THR clears the THR-empty interrupt; the byte leaves at once
     * and THR is empty again, which raises a new edge. */
    s->r.thr_ipending = false;
    serial8250_update_irq_locked(s, false);
    if (s->r.mcr & MCR_LOOP)
        serial8250_rx_push_locked(s, byte);
    else if (s->backend)
        chardev_write(s->backend, &byte, 1);
    s->r.thr_ipending = true;
}

/* One register read with its side effects (interrupt acknowledgement,
 * clear-on-read bits); the caller updates the IRQ line afterwards. */
static uint8_t
serial8250_read_reg_locked(Serial8250 *s, unsigned reg)
{
    Serial8250Regs *r = &s->r;
    bool dlab = r->lcr & LCR_DLAB;
    uint8_t v;

    switch (reg) {
    case REG_RBR_THR:
        if (dlab)
            return r->dll;
        v = serial8250_rx_pop_locked(s);
        /* Room again: the backend resumes if it had paused (cheap if not). */
        if (s->backend)
            chardev_accept_input(s->backend);
        return v;
    case REG_IER:
        return dlab ? r->dlm : r->ier;
    case REG_IIR_FCR:
        v = serial8250_iir_locked(s);
        /* Reading IIR acknowledges a THR-empty interrupt it reports. */
        if ((v & 0x0f) == IIR_THRI)
            r->thr_ipending = false;
        return v;
    case REG_LCR:
        return r->lcr;
    case REG_MCR:
        return r->mcr;
    case REG_LSR:
        v = r->lsr;
        r->lsr &= ~LSR_ERRORS;      /* error bits clear on read */
        return v;
    case REG_MSR:
        v = r->msr;
        r->msr &= ~MSR_DELTAS;      /* delta bits clear on read */
        return v;
    default:
        return r->scr;
    }
}

/* One register write; the caller updates the IRQ line afterwards. */
static void
serial8250_write_reg_locked(Serial8250 *s, unsigned reg, uint8_t v)
{
    Serial8250Regs *r = &s->r;
    bool dlab = r->lcr & LCR_DLAB;
    uint8_t old;

    switch (reg) {
    case REG_RBR_THR:
        if (dlab)
            r->dll = v;
        else
            serial8250_thr_write_locked(s, v);
        break;
    case REG_IER:
        if (dlab) {
            r->dlm = v;
            break;
        }
        old = r->ier;
        r->ier = v & IER_MASK;
        /* Enabling ETBEI with THR empty interrupts at once: Linux's
         * UART_BUG_THRE probe and its start_tx rely on it. */
        if ((r->ier & IER_ETBEI) && !(old & IER_ETBEI) && (r->lsr & LSR_THRE))
            r->thr_ipending = true;
        break;
    case REG_IIR_FCR: {
        bool enable = v & FCR_ENABLE;

        /* Switching between FIFO and 16450 mode empties the FIFOs. */
        if (enable != r->fifo_enabled) {
            serial8250_rx_clear_locked(s);
            r->fifo_enabled = enable;
        }
        if (enable) {
            if (v & FCR_CLEAR_RX)
                serial8250_rx_clear_locked(s);
            r->fifo_trigger = v >> 6;
        }
        if (s->backend)
            chardev_accept_input(s->backend);
        break;
    }
    case REG_LCR:
        r->lcr = v;
        break;
    case REG_MCR:
        /* Entering or leaving loopback changes the modem inputs (and may
         * latch deltas); leaving it reconnects the receiver to the host. */
        r->mcr = v & MCR_MASK;
        serial8250_set_msr_status_locked(s, serial8250_msr_status_locked(s));
        if (!(r->mcr & MCR_LOOP) && s->backend)
            chardev_accept_input(s->backend);
        break;
    case REG_LSR:
    case REG_MSR:
        /* Factory-test writes on real parts; nothing to do. */
        legacy_debug_ratelimited(&s->rl, "%s: write 0x%02x to read-only "
                                 "register %u ignored", s->dev.id, v, reg);
        break;
    default:
        r->scr = v;
        break;
    }
}

/* An access wider than a byte reaches consecutive registers, as the ISA
 * bus splits it on real hardware. */
static void
serial8250_read(VmmDevice *dev, uint64_t off, void *data, unsigned len)
{
    Serial8250 *s = serial8250_from_dev(dev);
    uint8_t *p = data;

    g_mutex_lock(&s->lock);
    for (unsigned i = 0; i < len; i++)
        p[i] = off + i < SERIAL8250_NR_REGS
                   ? serial8250_read_reg_locked(s, (unsigned)(off + i))
                   : 0xff;
    serial8250_update_irq_locked(s, false);
    g_mutex_unlock(&s->lock);
}

static void
serial8250_write(VmmDevice *dev, uint64_t off, const void *data, unsigned len)
{
    Serial8250 *s = serial8250_from_dev(dev);
    const uint8_t *p = data;

    g_mutex_lock(&s->lock);
    for (unsigned i = 0; i < len && off + i < SERIAL8250_NR_REGS; i++)
        serial8250_write_reg_locked(s, (unsigned)(off + i), p[i]);
    serial8250_update_irq_locked(s, false);
    g_mutex_unlock(&s->lock);
}

/* ---- input from the backend (main context) ------------------------------ */

size_t
serial8250_can_receive(VmmDevice *dev)
{
    Serial8250 *s = serial8250_from_dev(dev);
    size_t room = 0;

    g_mutex_lock(&s->lock);
    /* In loopback the receiver is cut off from the line. */
    if (!s->paused && !(s->r.mcr & MCR_LOOP))
        room = serial8250_rx_capacity_locked(s) - s->r.rx_count;
    g_mutex_unlock(&s->lock);
    return room;
}

void
serial8250_receive(VmmDevice *dev, const uint8_t *buf, size_t len)
{
    Serial8250 *s = serial8250_from_dev(dev);

    g_mutex_lock(&s->lock);
    for (size_t i = 0; i < len; i++)
        serial8250_rx_push_locked(s, buf[i]);
    serial8250_update_irq_locked(s, false);
    g_mutex_unlock(&s->lock);
}

static size_t
serial8250_backend_can_read(gpointer opaque)
{
    return serial8250_can_receive(opaque);
}

static void
serial8250_backend_read(gpointer opaque, const uint8_t *buf, size_t len)
{
    serial8250_receive(opaque, buf, len);
}

/* ---- lifecycle ------------------------------------------------------------ */

/* Power-on values (datasheet table "UART reset configuration"), with
 * the divisor CH programs (9600 baud) rather than an undefined one. */
static void
serial8250_regs_init(Serial8250Regs *r)
{
    memset(r, 0, sizeof(*r));
    r->lsr = LSR_THRE | LSR_TEMT;
    r->msr = MSR_CONNECTED;
    r->dll = DEFAULT_DIVISOR;
}

static bool
serial8250_realize(VmmDevice *dev, GError **error)
{
    Serial8250 *s = serial8250_from_dev(dev);

    if (!device_host_register_pio(dev->host, s->base, SERIAL8250_NR_REGS,
                                  dev, error))
        return false;
    if (s->backend)
        chardev_set_input_handler(s->backend, serial8250_backend_can_read,
                                  serial8250_backend_read, dev);
    return true;
}

static void
serial8250_unrealize(VmmDevice *dev)
{
    Serial8250 *s = serial8250_from_dev(dev);

    if (s->backend)
        chardev_set_input_handler(s->backend, NULL, NULL, NULL);
    device_host_unregister_device(dev->host, dev);
}

static void
serial8250_reset(VmmDevice *dev)
{
    Serial8250 *s = serial8250_from_dev(dev);

    g_mutex_lock(&s->lock);
    serial8250_regs_init(&s->r);
    serial8250_update_irq_locked(s, false);
    g_mutex_unlock(&s->lock);
    if (s->backend)
        chardev_accept_input(s->backend);
}

static bool
serial8250_pause(VmmDevice *dev, GError **error)
{
    Serial8250 *s = serial8250_from_dev(dev);

    /* No input while paused: a snapshot taken now must not miss bytes
     * that were consumed from the backend after it was saved. */
    g_mutex_lock(&s->lock);
    s->paused = true;
    g_mutex_unlock(&s->lock);
    return true;
}

static bool
serial8250_resume(VmmDevice *dev, GError **error)
{
    Serial8250 *s = serial8250_from_dev(dev);

    g_mutex_lock(&s->lock);
    s->paused = false;
    g_mutex_unlock(&s->lock);
    if (s->backend)
        chardev_accept_input(s->backend);
    return true;
}

/* The saved form of Serial8250Regs: the FIFO is stored oldest byte first
 * (rx_head is not guest-visible); the IRQ level is derived from the
 * registers, and the backend holds no guest state. */
typedef struct {
    uint8_t ier, lcr, mcr, lsr, msr, scr, dll, dlm;
    bool fifo_enabled;
    uint8_t fifo_trigger;
    bool thr_ipending;
    uint8_t rx_fifo[SERIAL8250_FIFO_SIZE];
    unsigned rx_len;
} Serial8250State;

static const VmmStateField serial8250_state_fields[] = {
    VMM_STATE_UINT_FIELD(Serial8250State, ier, 0, IER_MASK),
    VMM_STATE_UINT_FIELD(Serial8250State, lcr, 0, 0xff),
    VMM_STATE_UINT_FIELD(Serial8250State, mcr, 0, MCR_MASK),
    VMM_STATE_UINT_FIELD(Serial8250State, lsr, 0, 0xff),
    VMM_STATE_UINT_FIELD(Serial8250State, msr, 0, 0xff),
    VMM_STATE_UINT_FIELD(Serial8250State, scr, 0, 0xff),
    VMM_STATE_UINT_FIELD(Serial8250State, dll, 0, 0xff),
    VMM_STATE_UINT_FIELD(Serial8250State, dlm, 0, 0xff),
    VMM_STATE_BOOL_FIELD(Serial8250State, fifo_enabled),
    VMM_STATE_UINT_FIELD(Serial8250State, fifo_trigger, 0, 3),
    VMM_STATE_BOOL_FIELD(Serial8250State, thr_ipending),
    VMM_STATE_VARBYTES_FIELD(Serial8250State, rx_fifo, rx_len),
};

static const VmmStateDesc serial8250_state_desc = {
    .name = "serial-8250",
    .version = 1,
    .size = sizeof(Serial8250State),
    .fields = serial8250_state_fields,
    .n_fields = G_N_ELEMENTS(serial8250_state_fields),
};

static JsonNode *
serial8250_save(VmmDevice *dev, GError **error)
{
    Serial8250 *s = serial8250_from_dev(dev);
    Serial8250State st = { 0 };
    Serial8250Regs r;

    g_mutex_lock(&s->lock);
    r = s->r;
    g_mutex_unlock(&s->lock);
    st.ier = r.ier;
    st.lcr = r.lcr;
    st.mcr = r.mcr;
    st.lsr = r.lsr;
    st.msr = r.msr;
    st.scr = r.scr;
    st.dll = r.dll;
    st.dlm = r.dlm;
    st.fifo_enabled = r.fifo_enabled;
    st.fifo_trigger = r.fifo_trigger;
    st.thr_ipending = r.thr_ipending;
    st.rx_len = r.rx_count;
    for (unsigned i = 0; i < r.rx_count; i++)
        st.rx_fifo[i] = r.rx[(r.rx_head + i) % SERIAL8250_FIFO_SIZE];
    return vmm_state_save(&serial8250_state_desc, &st);
}

static bool
serial8250_restore(VmmDevice *dev, JsonNode *state, GError **error)
{
    Serial8250 *s = serial8250_from_dev(dev);
    Serial8250State st = { 0 };
    Serial8250Regs r;

    if (!vmm_state_load(&serial8250_state_desc, state, dev->id, &st, error))
        return false;
    /* With the FIFO off the receiver holds one byte. */
    if (!st.fifo_enabled && st.rx_len > 1) {
        vmm_state_error(error, dev->id, "rx_fifo",
                        "expected at most 1 byte with the FIFO off");
        return false;
    }

    memset(&r, 0, sizeof(r));
    r.ier = st.ier;
    r.lcr = st.lcr;
    r.mcr = st.mcr;
    /* THRE/TEMT always hold (instant transmitter); DR follows the FIFO. */
    r.lsr = (uint8_t)((st.lsr & LSR_ERRORS) | LSR_THRE | LSR_TEMT |
                      (st.rx_len ? LSR_DR : 0));
    r.msr = st.msr;
    r.scr = st.scr;
    r.dll = st.dll;
    r.dlm = st.dlm;
    r.fifo_enabled = st.fifo_enabled;
    r.fifo_trigger = st.fifo_trigger;
    r.thr_ipending = st.thr_ipending;
    memcpy(r.rx, st.rx_fifo, st.rx_len);
    r.rx_head = 0;
    r.rx_count = st.rx_len;

    g_mutex_lock(&s->lock);
    s->r = r;
    serial8250_update_irq_locked(s, true);
    g_mutex_unlock(&s->lock);
    if (s->backend)
        chardev_accept_input(s->backend);
    return true;
}

static void
serial8250_free(VmmDevice *dev)
{
    Serial8250 *s = serial8250_from_dev(dev);

    g_clear_pointer(&s->backend, chardev_free);
    g_mutex_clear(&s->lock);
    g_free(s);
}

static const VmmDeviceOps serial8250_ops = {
    .name = "serial-8250",
    .realize = serial8250_realize,
    .unrealize = serial8250_unrealize,
    .reset = serial8250_reset,
    .read = serial8250_read,
    .write = serial8250_write,
    .pause = serial8250_pause,
    .resume = serial8250_resume,
    .save = serial8250_save,
    .restore = serial8250_restore,
    .free = serial8250_free,
};

VmmDevice *
serial8250_new(DeviceHost *host, const char *id, uint16_t base, uint32_t gsi,
               CharBackend *backend)
{
    Serial8250 *s = g_new0(Serial8250, 1);

    vmm_device_init(&s->dev, &serial8250_ops, host, id);
    s->base = base;
    s->gsi = gsi;
    s->backend = backend;
    g_mutex_init(&s->lock);
    serial8250_regs_init(&s->r);
    return &s->dev;
}

CharBackend *
serial8250_get_backend(VmmDevice *dev)
{
    return serial8250_from_dev(dev)->backend;
}
