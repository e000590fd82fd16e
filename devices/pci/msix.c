/* SPDX-License-Identifier: Apache-2.0 */
/* MSI-X: capability, vector table and PBA in a BAR, delivery through KVM irqfd. */
#include <config.h>

#include <errno.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>
#include <gio/gio.h>

#include "common/fd-util.h"
#include "devices/pci/msix.h"

/* PCI 3.0 §6.8.2: Message Control bits and table entry layout. */
#define MSIX_CTRL_ENABLE 0x8000
#define MSIX_CTRL_MASKALL 0x4000
#define MSIX_ENTRY_ADDR_LO 0
#define MSIX_ENTRY_ADDR_HI 1
#define MSIX_ENTRY_DATA 2
#define MSIX_ENTRY_CTRL 3
#define MSIX_VECTOR_MASKED 0x1

typedef struct {
    uint32_t dw[4];        /* the guest-visible entry */
    uint32_t gsi;          /* immutable */
    int fd;                /* irqfd eventfd, immutable; -1: signal_msi */
    bool routed;           /* the GSI route holds dw[0..2] */
} MsixVector;

/*
 * Table, PBA and the enable/mask state are written by vCPU threads (table
 * accesses, config writes) and read by worker threads (msix_notify), all
 * under @lock.  A vCPU may hold the PCI config lock when it takes @lock
 * (config write → msix_config_write), never the other way round.
 */
struct Msix {
    PciDevice *pdev;        /* immutable */
    DeviceHost *host;
    unsigned n;
    uint8_t cap;
    GMutex lock;
    bool enabled;           /* lock: Message Control enable */
    bool masked_all;        /* lock: Message Control function mask */
    MsixVector *vec;        /* lock (except the immutable fields) */
    uint64_t *pba;          /* lock */
    /* lock: whether a message dropped by msix_message_ok() was logged
     * since the last table write (a guest-triggered message). */
    bool dropped_logged;
};

unsigned
msix_nvectors(const Msix *msix)
{
    return msix->n;
}

uint8_t
msix_cap_offset(const Msix *msix)
{
    return msix->cap;
}

int
msix_vector_eventfd(Msix *msix, unsigned vector)
{
    return vector < msix->n ? msix->vec[vector].fd : -1;
}

Msix *
msix_new(PciDevice *pdev, unsigned nvectors, unsigned bar, uint32_t table_off,
         uint32_t pba_off, GError **error)
{
    g_autoptr(Msix) msix = g_new0(Msix, 1);
    uint8_t cap;

    if (nvectors == 0 || nvectors > MSIX_MAX_VECTORS || (table_off & 7) ||
        (pba_off & 7) || bar >= PCI_NUM_BARS) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                    "invalid MSI-X layout (%u vectors)", nvectors);
        return NULL;
    }
    msix->pdev = pdev;
    msix->host = pdev->host;
    msix->n = nvectors;
    g_mutex_init(&msix->lock);
    msix->vec = g_new0(MsixVector, nvectors);
    msix->pba = g_new0(uint64_t, (nvectors + 63) / 64);
    for (unsigned i = 0; i < nvectors; i++) {
        msix->vec[i].fd = -1;
        msix->vec[i].gsi = UINT32_MAX;
        msix->vec[i].dw[MSIX_ENTRY_CTRL] = MSIX_VECTOR_MASKED;
    }
    for (unsigned i = 0; i < nvectors; i++) {
        MsixVector *v = &msix->vec[i];
        int r = device_host_msi_alloc(msix->host, &v->gsi);

        if (r < 0) {
            v->gsi = UINT32_MAX;
            g_set_error(error, G_IO_ERROR, g_io_error_from_errno(-r),
                        "cannot allocate an MSI route for vector %u: %s", i,
                        g_strerror(-r));
            return NULL;
        }
        v->fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
        if (v->fd < 0) {
            int e = errno;
            g_set_error(error, G_IO_ERROR, g_io_error_from_errno(e),
                        "cannot create an eventfd: %s", g_strerror(e));
            return NULL;
        }
        r = device_host_irqfd(msix->host, v->fd, v->gsi, true);
        if (r < 0) {
            /* Still works, one KVM_SIGNAL_MSI ioctl per interrupt. */
            g_debug("%s: irqfd for vector %u refused (%s): direct MSI",
                    pdev->owner->id, i, g_strerror(-r));
            fd_close(v->fd);
            v->fd = -1;
        }
    }
    cap = pci_device_add_capability(pdev, PCI_CAP_ID_MSIX, MSIX_CAP_SIZE, error);
    if (!cap)
        return NULL;
    msix->cap = cap;
    pci_set_word(pdev, cap + 2, (uint16_t)(nvectors - 1));
    pci_set_long(pdev, cap + 4, table_off | bar);
    pci_set_long(pdev, cap + 8, pba_off | bar);
    pci_set_wmask(pdev, cap + 2, 2, MSIX_CTRL_ENABLE | MSIX_CTRL_MASKALL);
    return g_steal_pointer(&msix);
}

void
msix_free(Msix *msix)
{
    if (!msix)
        return;
    for (unsigned i = 0; msix->vec && i < msix->n; i++) {
        MsixVector *v = &msix->vec[i];

        if (v->fd >= 0) {
            device_host_irqfd(msix->host, v->fd, v->gsi, false);
            fd_close(v->fd);
        }
        if (v->gsi != UINT32_MAX)
            device_host_msi_free(msix->host, v->gsi);
    }
    g_free(msix->vec);
    g_free(msix->pba);
    g_mutex_clear(&msix->lock);
    g_free(msix);
}

static bool
msix_deliverable_locked(Msix *msix, unsigned i)
{
    return msix->enabled && !msix->masked_all &&
           !(msix->vec[i].dw[MSIX_ENTRY_CTRL] & MSIX_VECTOR_MASKED);
}

static uint64_t
msix_addr(const MsixVector *v)
{
    return ((uint64_t)v->dw[MSIX_ENTRY_ADDR_HI] << 32) |
           v->dw[MSIX_ENTRY_ADDR_LO];
}

/*
 * Whether the entry holds a message an x86 local APIC accepts.  The guest
 * owns the table and may write anything; the VMM must not hand KVM what no
 * chipset would deliver:
 *  - an address outside the interrupt window 0xfee00000-0xfeefffff (Intel
 *    SDM vol. 3 §11.11.1; nimbus offers no x2APIC extended destination
 *    IDs, so the high dword is 0).  On hardware that is a plain memory
 *    write; KVM would instead decode a destination out of any address.
 *  - a reserved delivery mode (011, 110: SDM §11.11.2);
 *  - a fixed or lowest-priority vector 0-15, which a local APIC refuses as
 *    an illegal vector (SDM §11.5.3) and KVM would raise as an exception
 *    vector inside the guest.
 * Such a message is dropped, as a master abort drops the write; the
 * vector works again once the guest writes a sane entry.
 */
static bool
msix_message_ok(uint64_t addr, uint32_t data)
{
    unsigned mode = (data >> 8) & 7;

    if ((addr >> 20) != 0xfee)
        return false;
    if (mode == 3 || mode == 6)
        return false;
    return !((mode == 0 || mode == 1) && (data & 0xff) < 16);
}

/* Points the vector's GSI at the entry's address/data (lock held). */
static void
msix_route_locked(Msix *msix, unsigned i)
{
    MsixVector *v = &msix->vec[i];
    int r;

    if (v->routed || v->fd < 0)
        return;
    /* A bad message is never routed: the old route stays in KVM but
     * msix_deliver_locked() no longer signals it. */
    if (!msix_message_ok(msix_addr(v), v->dw[MSIX_ENTRY_DATA]))
        return;
    r = device_host_msi_update(msix->host, v->gsi, msix_addr(v),
                               v->dw[MSIX_ENTRY_DATA]);
    if (r < 0)
        g_debug("%s: MSI route for vector %u: %s", msix->pdev->owner->id, i,
                g_strerror(-r));
    else
        v->routed = true;
}

static int
msix_deliver_locked(Msix *msix, unsigned i)
{
    MsixVector *v = &msix->vec[i];

    if (!msix_message_ok(msix_addr(v), v->dw[MSIX_ENTRY_DATA])) {
        if (!msix->dropped_logged) {
            /* Once per bad entry written, not per interrupt. */
            g_debug("%s: MSI-X vector %u: message 0x%" G_GINT64_MODIFIER
                    "x/0x%08x is not deliverable: dropped",
                    msix->pdev->owner->id, i, msix_addr(v),
                    v->dw[MSIX_ENTRY_DATA]);
            msix->dropped_logged = true;
        }
        return 0;
    }
    if (v->fd < 0)
        return device_host_signal_msi(msix->host, msix_addr(v),
                                      v->dw[MSIX_ENTRY_DATA]);
    msix_route_locked(msix, i);
    /* The irqfd injects the MSI the route describes, in the kernel. */
    return write(v->fd, &(uint64_t){ 1 }, 8) == 8 || errno == EAGAIN ? 0
                                                                       : -errno;
}

/* Delivers what became deliverable: pending bits of unmasked vectors
 * (PCI 3.0 §6.8.3.5), after a mask or enable change (lock held). */
static void
msix_flush_pending_locked(Msix *msix, unsigned first, unsigned last)
{
    for (unsigned i = first; i <= last && i < msix->n; i++) {
        if (!msix_deliverable_locked(msix, i))
            continue;
        msix_route_locked(msix, i);
        if (msix->pba[i / 64] & (1ULL << (i % 64))) {
            msix->pba[i / 64] &= ~(1ULL << (i % 64));
            msix_deliver_locked(msix, i);
        }
    }
}

void
msix_table_read(Msix *msix, uint64_t off, void *data, unsigned len)
{
    uint64_t v;

    if ((len != 4 && len != 8) || (off & (len - 1)) ||
        off >= (uint64_t)msix->n * MSIX_ENTRY_SIZE) {
        vmm_device_read_ones(data, len);
        return;
    }
    g_mutex_lock(&msix->lock);
    v = msix->vec[off / MSIX_ENTRY_SIZE].dw[(off % MSIX_ENTRY_SIZE) / 4];
    if (len == 8)
        v |= (uint64_t)msix->vec[off / MSIX_ENTRY_SIZE]
                 .dw[(off % MSIX_ENTRY_SIZE) / 4 + 1] << 32;
    g_mutex_unlock(&msix->lock);
    vmm_le_store(data, len, v);
}

static void
msix_write_dword_locked(Msix *msix, unsigned i, unsigned dw, uint32_t val)
{
    MsixVector *v = &msix->vec[i];
    bool was_masked = v->dw[MSIX_ENTRY_CTRL] & MSIX_VECTOR_MASKED;

    if (dw == MSIX_ENTRY_CTRL) {
        /* Only the mask bit is defined; the rest is reserved (RO 0). */
        v->dw[dw] = val & MSIX_VECTOR_MASKED;
        if (was_masked && !(val & MSIX_VECTOR_MASKED))
            msix_flush_pending_locked(msix, i, i);
        return;
    }
    if (v->dw[dw] != val) {
        v->dw[dw] = val;
        v->routed = false;
        msix->dropped_logged = false;
    }
    /* Changing an unmasked entry is undefined (§6.8.3.5); follow it. */
    if (msix_deliverable_locked(msix, i))
        msix_route_locked(msix, i);
}

void
msix_table_write(Msix *msix, uint64_t off, const void *data, unsigned len)
{
    uint64_t val = vmm_le_load(data, len);
    unsigned i = off / MSIX_ENTRY_SIZE, dw = (off % MSIX_ENTRY_SIZE) / 4;

    if ((len != 4 && len != 8) || (off & (len - 1)) ||
        off >= (uint64_t)msix->n * MSIX_ENTRY_SIZE) {
        g_debug("%s: MSI-X table write at 0x%" G_GINT64_MODIFIER "x (%u) ignored",
                msix->pdev->owner->id, off, len);
        return;
    }
    g_mutex_lock(&msix->lock);
    msix_write_dword_locked(msix, i, dw, (uint32_t)val);
    if (len == 8)
        msix_write_dword_locked(msix, i, dw + 1, (uint32_t)(val >> 32));
    g_mutex_unlock(&msix->lock);
}

void
msix_pba_read(Msix *msix, uint64_t off, void *data, unsigned len)
{
    uint64_t v = 0;
    unsigned words = (msix->n + 63) / 64;

    if ((len != 4 && len != 8) || (off & (len - 1)) || off / 8 >= words) {
        vmm_device_read_ones(data, len);
        return;
    }
    g_mutex_lock(&msix->lock);
    v = msix->pba[off / 8];
    g_mutex_unlock(&msix->lock);
    if (len == 4)
        v = (off & 4) ? v >> 32 : (uint32_t)v;
    vmm_le_store(data, len, v);
}

void
msix_config_write(Msix *msix, uint32_t off, unsigned len)
{
    uint32_t ctrl_off = msix->cap + 2u;
    uint16_t ctrl;

    if (off + len <= ctrl_off || off >= ctrl_off + 2)
        return;
    ctrl = pci_get_word(msix->pdev, ctrl_off);
    g_mutex_lock(&msix->lock);
    msix->enabled = ctrl & MSIX_CTRL_ENABLE;
    msix->masked_all = ctrl & MSIX_CTRL_MASKALL;
    msix_flush_pending_locked(msix, 0, msix->n - 1);
    g_mutex_unlock(&msix->lock);
}

int
msix_notify(Msix *msix, unsigned vector)
{
    int r = 0;

    if (vector >= msix->n)
        return -EINVAL;
    g_mutex_lock(&msix->lock);
    if (msix_deliverable_locked(msix, vector))
        r = msix_deliver_locked(msix, vector);
    else
        msix->pba[vector / 64] |= 1ULL << (vector % 64);
    g_mutex_unlock(&msix->lock);
    return r;
}

bool
msix_enabled(Msix *msix)
{
    bool e;

    g_mutex_lock(&msix->lock);
    e = msix->enabled;
    g_mutex_unlock(&msix->lock);
    return e;
}

void
msix_reset(Msix *msix)
{
    g_mutex_lock(&msix->lock);
    msix->enabled = false;
    msix->masked_all = false;
    for (unsigned i = 0; i < msix->n; i++) {
        memset(msix->vec[i].dw, 0, sizeof(msix->vec[i].dw));
        msix->vec[i].dw[MSIX_ENTRY_CTRL] = MSIX_VECTOR_MASKED;
        msix->vec[i].routed = false;
    }
    memset(msix->pba, 0, sizeof(uint64_t) * ((msix->n + 63) / 64));
    g_mutex_unlock(&msix->lock);
}

static const VmmStateField msix_entry_state_fields[] = {
    VMM_STATE_UINT_FIELD(MsixEntryState, addr_lo, 0, G_MAXUINT32),
    VMM_STATE_UINT_FIELD(MsixEntryState, addr_hi, 0, G_MAXUINT32),
    VMM_STATE_UINT_FIELD(MsixEntryState, data, 0, G_MAXUINT32),
    /* Only the mask bit is writable (PCI 3.0 §6.8.2.9). */
    VMM_STATE_UINT_FIELD(MsixEntryState, ctrl, 0, MSIX_VECTOR_MASKED),
    VMM_STATE_BOOL_FIELD(MsixEntryState, pending),
};

/* An element of "entries", versioned with MSI-X. */
static const VmmStateDesc msix_entry_state_desc = {
    .name = "msix-entry",
    .size = sizeof(MsixEntryState),
    .fields = msix_entry_state_fields,
    .n_fields = G_N_ELEMENTS(msix_entry_state_fields),
};

static const VmmStateField msix_state_fields[] = {
    { .name = "entries", .type = VMM_STATE_STRUCT,
      .offset = offsetof(MsixState, entries),
      .flags = VMM_STATE_F_PTR | VMM_STATE_F_LEN,
      .len_off = offsetof(MsixState, n), .desc = &msix_entry_state_desc },
};

const VmmStateDesc msix_state_desc = {
    .name = "msix",
    .version = 1,
    .size = sizeof(MsixState),
    .fields = msix_state_fields,
    .n_fields = G_N_ELEMENTS(msix_state_fields),
};

void
msix_get_state(Msix *msix, MsixState *st)
{
    st->n = msix->n;
    st->entries = g_new0(MsixEntryState, msix->n);
    g_mutex_lock(&msix->lock);
    for (unsigned i = 0; i < msix->n; i++) {
        MsixEntryState *e = &st->entries[i];

        e->addr_lo = msix->vec[i].dw[MSIX_ENTRY_ADDR_LO];
        e->addr_hi = msix->vec[i].dw[MSIX_ENTRY_ADDR_HI];
        e->data = msix->vec[i].dw[MSIX_ENTRY_DATA];
        e->ctrl = msix->vec[i].dw[MSIX_ENTRY_CTRL];
        e->pending = msix->pba[i / 64] & (1ULL << (i % 64));
    }
    g_mutex_unlock(&msix->lock);
}

void
msix_set_state(Msix *msix, const MsixState *st)
{
    uint16_t ctrl = pci_get_word(msix->pdev, msix->cap + 2u);

    g_mutex_lock(&msix->lock);
    memset(msix->pba, 0, sizeof(uint64_t) * ((msix->n + 63) / 64));
    for (unsigned i = 0; i < msix->n; i++) {
        const MsixEntryState *e = &st->entries[i];

        msix->vec[i].dw[MSIX_ENTRY_ADDR_LO] = e->addr_lo;
        msix->vec[i].dw[MSIX_ENTRY_ADDR_HI] = e->addr_hi;
        msix->vec[i].dw[MSIX_ENTRY_DATA] = e->data;
        msix->vec[i].dw[MSIX_ENTRY_CTRL] = e->ctrl & MSIX_VECTOR_MASKED;
        /* The route is rebuilt from the entry at the next delivery. */
        msix->vec[i].routed = false;
        if (e->pending)
            msix->pba[i / 64] |= 1ULL << (i % 64);
    }
    msix->enabled = ctrl & MSIX_CTRL_ENABLE;
    msix->masked_all = ctrl & MSIX_CTRL_MASKALL;
    if (msix->n > 0)
        msix_flush_pending_locked(msix, 0, msix->n - 1);
    g_mutex_unlock(&msix->lock);
}

void
msix_state_clear(MsixState *st)
{
    g_clear_pointer(&st->entries, g_free);
    st->n = 0;
}
