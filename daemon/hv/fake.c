/* SPDX-License-Identifier: Apache-2.0 */
/* The fake hypervisor backend: scripted exits for unit tests of exit dispatch. */
#include <config.h>

#include <errno.h>
#include <string.h>
#include <gio/gio.h>

#include "daemon/hv/fake.h"

/*
 * Never a stand-in for KVM in anything but unit tests: it runs no guest
 * code.  vcpu_run returns the queued exits in order; with none queued it
 * waits (as a guest spinning in KVM_RUN would) until kicked, then returns
 * HV_EXIT_INTR.
 */
#define FAKE_SLOTS 8

struct Hv {
    GMutex lock;
    int irq_level[64];
    /* VM-wide state for snapshot round trips (control thread only). */
    struct kvm_irqchip chips[3];    /* KVM_IRQCHIP_PIC_MASTER..IOAPIC */
    uint64_t clock;
    /* Memory slots as registered, and the pages tests say the "vCPUs"
     * wrote (hv_fake_dirty_page()); lock. */
    struct {
        uint64_t size;
        uint32_t flags;
        uint64_t *dirty;            /* (pages + 63) / 64 words */
    } slots[FAKE_SLOTS];
};

/*
 * The MSRs the fake reports as saveable.  The last one is listed but not
 * readable, as KVM lists MSRs a given CPU model lacks: the snapshot code
 * must filter the list by what get_msrs really returns.
 */
static const uint32_t fake_msr_list[] = {
    0x10,           /* IA32_TSC */
    0x1b,           /* IA32_APIC_BASE */
    0x174,          /* IA32_SYSENTER_CS */
    0xc0000080,     /* EFER */
    0x4b564d01,     /* MSR_KVM_SYSTEM_TIME_NEW */
    0x4b564d7f,     /* listed, not readable */
};
#define FAKE_MSRS_READABLE (G_N_ELEMENTS(fake_msr_list) - 1)

typedef struct {
    HvExit ex;
    uint8_t data[64];
} FakeExit;

struct HvVcpu {
    Hv *hv;
    uint32_t index;
    GMutex lock;
    GCond cond;
    GQueue exits;          /* FakeExit* */
    bool kicked;
    unsigned runs;
    uint8_t data[64];      /* the "run page" data area */
    struct kvm_regs regs;
    struct kvm_sregs sregs;
    /* The rest of a vCPU's state, stored as set (snapshot round trips). */
    struct kvm_fpu fpu;
    struct kvm_xsave xsave;
    struct kvm_xcrs xcrs;
    struct kvm_debugregs dregs;
    struct kvm_lapic_state lapic;
    struct kvm_vcpu_events events;
    uint32_t mp_state;
    uint32_t tsc_khz;
    uint64_t msrs[G_N_ELEMENTS(fake_msr_list)];
};

static Hv *
fake_vm_new(GError **error)
{
    Hv *hv = g_new0(Hv, 1);

    g_mutex_init(&hv->lock);
    return hv;
}

static void
fake_vm_free(Hv *hv)
{
    for (unsigned i = 0; i < FAKE_SLOTS; i++)
        g_free(hv->slots[i].dirty);
    g_mutex_clear(&hv->lock);
    g_free(hv);
}

static uint32_t
fake_max_vcpus(Hv *hv)
{
    return 64;
}

static size_t
fake_slot_words(uint64_t size)
{
    return (size_t)((((size + 4095) >> 12) + 63) / 64);
}

/* Records the slot; turning dirty logging on starts a clean log, as
 * KVM does. */
static int
fake_set_memory(Hv *hv, uint32_t slot, uint64_t gpa, uint64_t size,
                void *hva, uint32_t flags)
{
    if (slot >= FAKE_SLOTS)
        return -EINVAL;
    g_mutex_lock(&hv->lock);
    g_clear_pointer(&hv->slots[slot].dirty, g_free);
    hv->slots[slot].size = size;
    hv->slots[slot].flags = flags;
    if (flags & HV_MEM_LOG_DIRTY)
        hv->slots[slot].dirty = g_new0(uint64_t, fake_slot_words(size));
    g_mutex_unlock(&hv->lock);
    return 0;
}

static int
fake_get_dirty_log(Hv *hv, uint32_t slot, uint64_t *bitmap)
{
    size_t n;

    if (slot >= FAKE_SLOTS)
        return -EINVAL;
    g_mutex_lock(&hv->lock);
    /* KVM answers ENOENT for a slot without dirty logging. */
    if (!hv->slots[slot].dirty) {
        g_mutex_unlock(&hv->lock);
        return -ENOENT;
    }
    n = fake_slot_words(hv->slots[slot].size);
    memcpy(bitmap, hv->slots[slot].dirty, n * sizeof(*bitmap));
    memset(hv->slots[slot].dirty, 0, n * sizeof(*bitmap));
    g_mutex_unlock(&hv->lock);
    return 0;
}

bool
hv_fake_dirty_page(Hv *hv, uint32_t slot, uint64_t page)
{
    bool logged = false;

    g_mutex_lock(&hv->lock);
    if (slot < FAKE_SLOTS && hv->slots[slot].dirty &&
        page < (hv->slots[slot].size + 4095) >> 12) {
        hv->slots[slot].dirty[page / 64] |= 1ULL << (page % 64);
        logged = true;
    }
    g_mutex_unlock(&hv->lock);
    return logged;
}

uint32_t
hv_fake_slot_flags(Hv *hv, uint32_t slot)
{
    uint32_t flags;

    g_mutex_lock(&hv->lock);
    flags = slot < FAKE_SLOTS ? hv->slots[slot].flags : 0;
    g_mutex_unlock(&hv->lock);
    return flags;
}

static int
fake_ok_hv(Hv *hv)
{
    return 0;
}

static int
fake_irq_line(Hv *hv, uint32_t gsi, bool level)
{
    if (gsi >= G_N_ELEMENTS(hv->irq_level))
        return -EINVAL;
    g_mutex_lock(&hv->lock);
    hv->irq_level[gsi] = level;
    g_mutex_unlock(&hv->lock);
    return 0;
}

int
hv_fake_irq_level(Hv *hv, uint32_t gsi)
{
    int v;

    g_mutex_lock(&hv->lock);
    v = gsi < G_N_ELEMENTS(hv->irq_level) ? hv->irq_level[gsi] : -1;
    g_mutex_unlock(&hv->lock);
    return v;
}

static int
fake_signal_msi(Hv *hv, uint64_t addr, uint32_t data)
{
    return 0;
}

static int
fake_routing(Hv *hv, const HvIrqRoute *routes, unsigned n)
{
    return 0;
}

static int
fake_irqfd(Hv *hv, int fd, uint32_t gsi, int resample_fd, bool assign)
{
    return 0;
}

static int
fake_ioeventfd(Hv *hv, int fd, uint64_t addr, uint32_t len, bool pio,
               bool assign)
{
    return 0;
}

static HvVcpu *
fake_vcpu_new(Hv *hv, uint32_t index, GError **error)
{
    HvVcpu *v = g_new0(HvVcpu, 1);

    v->hv = hv;
    v->index = index;
    g_mutex_init(&v->lock);
    g_cond_init(&v->cond);
    g_queue_init(&v->exits);
    return v;
}

static void
fake_vcpu_free(HvVcpu *v)
{
    g_queue_clear_full(&v->exits, g_free);
    g_mutex_clear(&v->lock);
    g_cond_clear(&v->cond);
    g_free(v);
}

void
hv_fake_push_exit(HvVcpu *v, const HvExit *ex, const void *data)
{
    FakeExit *f = g_new0(FakeExit, 1);

    f->ex = *ex;
    if (data) {
        size_t n = (size_t)ex->io.len * MAX(ex->io.count, 1u);
        memcpy(f->data, data, MIN(n, sizeof(f->data)));
    }
    g_mutex_lock(&v->lock);
    g_queue_push_tail(&v->exits, f);
    g_cond_broadcast(&v->cond);
    g_mutex_unlock(&v->lock);
}

static int
fake_vcpu_run(HvVcpu *v, HvExit *ex)
{
    FakeExit *f;

    g_mutex_lock(&v->lock);
    v->runs++;
    while (!v->kicked && g_queue_is_empty(&v->exits))
        g_cond_wait(&v->cond, &v->lock);
    if (v->kicked) {
        /* immediate_exit stays set until cleared, as in KVM. */
        g_mutex_unlock(&v->lock);
        memset(ex, 0, sizeof(*ex));
        ex->reason = HV_EXIT_INTR;
        return 0;
    }
    f = g_queue_pop_head(&v->exits);
    g_mutex_unlock(&v->lock);
    *ex = f->ex;
    memcpy(v->data, f->data, sizeof(v->data));
    ex->io.data = v->data;
    g_free(f);
    return 0;
}

const uint8_t *
hv_fake_last_data(HvVcpu *v)
{
    return v->data;
}

unsigned
hv_fake_run_count(HvVcpu *v)
{
    unsigned n;

    g_mutex_lock(&v->lock);
    n = v->runs;
    g_mutex_unlock(&v->lock);
    return n;
}

static void
fake_vcpu_kick(HvVcpu *v)
{
    g_mutex_lock(&v->lock);
    v->kicked = true;
    g_cond_broadcast(&v->cond);
    g_mutex_unlock(&v->lock);
}

static void
fake_vcpu_clear_kick(HvVcpu *v)
{
    g_mutex_lock(&v->lock);
    v->kicked = false;
    g_mutex_unlock(&v->lock);
}

static int
fake_vcpu_nmi(HvVcpu *v)
{
    return 0;
}

static int
fake_get_regs(HvVcpu *v, struct kvm_regs *regs)
{
    *regs = v->regs;
    return 0;
}

static int
fake_set_regs(HvVcpu *v, const struct kvm_regs *regs)
{
    v->regs = *regs;
    return 0;
}

static int
fake_get_sregs(HvVcpu *v, struct kvm_sregs *sregs)
{
    *sregs = v->sregs;
    return 0;
}

static int
fake_set_sregs(HvVcpu *v, const struct kvm_sregs *sregs)
{
    v->sregs = *sregs;
    return 0;
}

/* Plain stores of the rest of the vCPU state: what a snapshot reads is
 * what was last set, so unit tests round-trip every piece. */
#define FAKE_STATE(field, type)                                             \
    static int fake_get_##field(HvVcpu *v, type *out)                       \
    {                                                                       \
        *out = v->field;                                                    \
        return 0;                                                           \
    }                                                                       \
    static int fake_set_##field(HvVcpu *v, const type *in)                  \
    {                                                                       \
        v->field = *in;                                                     \
        return 0;                                                           \
    }
FAKE_STATE(xsave, struct kvm_xsave)
FAKE_STATE(xcrs, struct kvm_xcrs)
FAKE_STATE(dregs, struct kvm_debugregs)
FAKE_STATE(lapic, struct kvm_lapic_state)
FAKE_STATE(events, struct kvm_vcpu_events)

static int
fake_set_fpu(HvVcpu *v, const struct kvm_fpu *f)
{
    v->fpu = *f;
    return 0;
}

static int
fake_get_mp_state(HvVcpu *v, uint32_t *s)
{
    *s = v->mp_state;
    return 0;
}

static int
fake_set_mp_state(HvVcpu *v, uint32_t s)
{
    v->mp_state = s;
    return 0;
}

static int
fake_msr_slot(uint32_t index)
{
    for (unsigned i = 0; i < FAKE_MSRS_READABLE; i++) {
        if (fake_msr_list[i] == index)
            return (int)i;
    }
    return -1;
}

static int
fake_msr_index_list(Hv *h, uint32_t **indices, unsigned *n)
{
    *n = G_N_ELEMENTS(fake_msr_list);
    *indices = g_memdup2(fake_msr_list, sizeof(fake_msr_list));
    return 0;
}

/* As KVM: stops at the first MSR it does not know, returns the count. */
static int
fake_get_msrs(HvVcpu *v, struct kvm_msr_entry *m, unsigned n)
{
    for (unsigned i = 0; i < n; i++) {
        int slot = fake_msr_slot(m[i].index);

        if (slot < 0)
            return (int)i;
        m[i].data = v->msrs[slot];
    }
    return (int)n;
}

static int
fake_set_msrs(HvVcpu *v, const struct kvm_msr_entry *m, unsigned n)
{
    for (unsigned i = 0; i < n; i++) {
        int slot = fake_msr_slot(m[i].index);

        if (slot < 0)
            return (int)i;
        v->msrs[slot] = m[i].data;
    }
    return (int)n;
}

static int
fake_set_tsc_khz(HvVcpu *v, uint32_t khz)
{
    v->tsc_khz = khz;
    return 0;
}

static uint32_t
fake_tsc_khz(HvVcpu *v)
{
    return v->tsc_khz;
}

static int
fake_get_irqchip(Hv *h, struct kvm_irqchip *c)
{
    if (c->chip_id >= G_N_ELEMENTS(h->chips))
        return -EINVAL;
    memcpy(&c->chip, &h->chips[c->chip_id].chip, sizeof(c->chip));
    return 0;
}

static int
fake_set_irqchip(Hv *h, const struct kvm_irqchip *c)
{
    if (c->chip_id >= G_N_ELEMENTS(h->chips))
        return -EINVAL;
    h->chips[c->chip_id] = *c;
    return 0;
}

static int
fake_get_clock(Hv *h, uint64_t *ns)
{
    *ns = h->clock;
    return 0;
}

static int
fake_set_clock(Hv *h, uint64_t ns)
{
    h->clock = ns;
    return 0;
}

/* CPUID is not part of the fake's job: refuse it loudly. */
static int
fake_set_cpuid(HvVcpu *v, const struct kvm_cpuid_entry2 *e, unsigned n)
{
    return -ENOSYS;
}

static int
fake_supported_cpuid(Hv *h, struct kvm_cpuid_entry2 **e, unsigned *n)
{
    return -ENOSYS;
}

const HvOps hv_fake_ops = {
    .name = "fake",
    .vm_new = fake_vm_new,
    .vm_free = fake_vm_free,
    .max_vcpus = fake_max_vcpus,
    .set_memory = fake_set_memory,
    .create_irqchip = fake_ok_hv,
    .irq_line = fake_irq_line,
    .signal_msi = fake_signal_msi,
    .set_irq_routing = fake_routing,
    .irqfd = fake_irqfd,
    .ioeventfd = fake_ioeventfd,
    .vcpu_new = fake_vcpu_new,
    .vcpu_free = fake_vcpu_free,
    .vcpu_run = fake_vcpu_run,
    .vcpu_kick = fake_vcpu_kick,
    .vcpu_clear_kick = fake_vcpu_clear_kick,
    .vcpu_nmi = fake_vcpu_nmi,
    .get_regs = fake_get_regs,
    .set_regs = fake_set_regs,
    .get_sregs = fake_get_sregs,
    .set_sregs = fake_set_sregs,
    .set_fpu = fake_set_fpu,
    .set_cpuid = fake_set_cpuid,
    .set_msrs = fake_set_msrs,
    .get_lapic = fake_get_lapic,
    .set_lapic = fake_set_lapic,
    .get_mp_state = fake_get_mp_state,
    .set_mp_state = fake_set_mp_state,
    .get_xsave = fake_get_xsave,
    .set_xsave = fake_set_xsave,
    .get_xcrs = fake_get_xcrs,
    .set_xcrs = fake_set_xcrs,
    .get_vcpu_events = fake_get_events,
    .set_vcpu_events = fake_set_events,
    .get_irqchip = fake_get_irqchip,
    .set_irqchip = fake_set_irqchip,
    .supported_cpuid = fake_supported_cpuid,
    .tsc_khz = fake_tsc_khz,
    .get_clock = fake_get_clock,
    .set_clock = fake_set_clock,
    .msr_index_list = fake_msr_index_list,
    .get_msrs = fake_get_msrs,
    .get_debugregs = fake_get_dregs,
    .set_debugregs = fake_set_dregs,
    .set_tsc_khz = fake_set_tsc_khz,
    .get_dirty_log = fake_get_dirty_log,
};
