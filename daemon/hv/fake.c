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
struct Hv {
    GMutex lock;
    int irq_level[64];
};

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
    g_mutex_clear(&hv->lock);
    g_free(hv);
}

static uint32_t
fake_max_vcpus(Hv *hv)
{
    return 64;
}

static int
fake_ok_memory(Hv *hv, uint32_t slot, uint64_t gpa, uint64_t size, void *hva,
               uint32_t flags)
{
    return 0;
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

/* State calls exit-dispatch tests do not need: refuse them loudly. */
#define FAKE_UNSUPPORTED(name, ...) \
    static int name(__VA_ARGS__) { return -ENOSYS; }
FAKE_UNSUPPORTED(fake_set_fpu, HvVcpu *v, const struct kvm_fpu *f)
FAKE_UNSUPPORTED(fake_set_cpuid, HvVcpu *v, const struct kvm_cpuid_entry2 *e,
                 unsigned n)
FAKE_UNSUPPORTED(fake_set_msrs, HvVcpu *v, const struct kvm_msr_entry *m,
                 unsigned n)
FAKE_UNSUPPORTED(fake_get_lapic, HvVcpu *v, struct kvm_lapic_state *l)
FAKE_UNSUPPORTED(fake_set_lapic, HvVcpu *v, const struct kvm_lapic_state *l)
FAKE_UNSUPPORTED(fake_get_mp_state, HvVcpu *v, uint32_t *s)
FAKE_UNSUPPORTED(fake_set_mp_state, HvVcpu *v, uint32_t s)
FAKE_UNSUPPORTED(fake_get_xsave, HvVcpu *v, struct kvm_xsave *x)
FAKE_UNSUPPORTED(fake_set_xsave, HvVcpu *v, const struct kvm_xsave *x)
FAKE_UNSUPPORTED(fake_get_xcrs, HvVcpu *v, struct kvm_xcrs *x)
FAKE_UNSUPPORTED(fake_set_xcrs, HvVcpu *v, const struct kvm_xcrs *x)
FAKE_UNSUPPORTED(fake_get_events, HvVcpu *v, struct kvm_vcpu_events *e)
FAKE_UNSUPPORTED(fake_set_events, HvVcpu *v, const struct kvm_vcpu_events *e)
FAKE_UNSUPPORTED(fake_get_irqchip, Hv *h, struct kvm_irqchip *c)
FAKE_UNSUPPORTED(fake_set_irqchip, Hv *h, const struct kvm_irqchip *c)
FAKE_UNSUPPORTED(fake_supported_cpuid, Hv *h, struct kvm_cpuid_entry2 **e,
                 unsigned *n)

const HvOps hv_fake_ops = {
    .name = "fake",
    .vm_new = fake_vm_new,
    .vm_free = fake_vm_free,
    .max_vcpus = fake_max_vcpus,
    .set_memory = fake_ok_memory,
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
    .tsc_khz = NULL,
};
