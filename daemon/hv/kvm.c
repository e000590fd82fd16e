/* SPDX-License-Identifier: Apache-2.0 */
/* The KVM backend of the hypervisor seam: every KVM ioctl lives here. */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>
#include <gio/gio.h>
#include <linux/kvm.h>

#include "daemon/hv/hv.h"

/* CPUID.1:ECX bit 24 (SDM vol. 2A, CPUID feature information). */
#define CPUID1_ECX_TSC_DEADLINE (1u << 24)

/* CH's layout (reference §6): the KVM TSS takes three pages at 0xf8000000
 * and the identity-map page (needed by VMX for real mode) follows. */
#define KVM_TSS_ADDR          0xf8000000ULL
#define KVM_IDENTITY_MAP_ADDR 0xf8003000ULL
#define KVM_IOAPIC_PINS       24

struct Hv {
    int kvm_fd;
    int vm_fd;
    int run_size;       /* KVM_GET_VCPU_MMAP_SIZE */
};

struct HvVcpu {
    Hv *hv;
    int fd;
    uint32_t index;
    struct kvm_run *run;
};

static int
kvm_ioctl(int fd, unsigned long req, void *arg)
{
    int r;

    do {
        r = ioctl(fd, req, arg);
    } while (r < 0 && errno == EINTR && req != KVM_RUN);
    return r < 0 ? -errno : r;
}

static Hv *
kvm_vm_new(GError **error)
{
    g_autofree Hv *hv = g_new0(Hv, 1);
    int api;

    hv->kvm_fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
    if (hv->kvm_fd < 0) {
        int e = errno;
        g_set_error(error, G_IO_ERROR, g_io_error_from_errno(e),
                    "cannot open /dev/kvm: %s", g_strerror(e));
        return NULL;
    }
    api = ioctl(hv->kvm_fd, KVM_GET_API_VERSION, 0);
    if (api != KVM_API_VERSION) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
                    "unsupported KVM API version %d (expected %d)", api,
                    KVM_API_VERSION);
        close(hv->kvm_fd);
        return NULL;
    }
    /* KVM_CREATE_VM can fail with EINTR when a signal arrives. */
    do {
        hv->vm_fd = ioctl(hv->kvm_fd, KVM_CREATE_VM, 0);
    } while (hv->vm_fd < 0 && errno == EINTR);
    if (hv->vm_fd < 0) {
        int e = errno;
        g_set_error(error, G_IO_ERROR, g_io_error_from_errno(e),
                    "KVM_CREATE_VM failed: %s", g_strerror(e));
        close(hv->kvm_fd);
        return NULL;
    }
    hv->run_size = ioctl(hv->kvm_fd, KVM_GET_VCPU_MMAP_SIZE, 0);
    if (hv->run_size < (int)sizeof(struct kvm_run)) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_FAILED,
                    "KVM_GET_VCPU_MMAP_SIZE returned %d", hv->run_size);
        close(hv->vm_fd);
        close(hv->kvm_fd);
        return NULL;
    }
    return g_steal_pointer(&hv);
}

static void
kvm_vm_free(Hv *hv)
{
    if (!hv)
        return;
    close(hv->vm_fd);
    close(hv->kvm_fd);
    g_free(hv);
}

static uint32_t
kvm_max_vcpus(Hv *hv)
{
    int n = ioctl(hv->vm_fd, KVM_CHECK_EXTENSION, KVM_CAP_MAX_VCPUS);

    if (n <= 0)
        n = ioctl(hv->vm_fd, KVM_CHECK_EXTENSION, KVM_CAP_NR_VCPUS);
    return n > 0 ? (uint32_t)n : 1;
}

static int
kvm_set_memory(Hv *hv, uint32_t slot, uint64_t gpa, uint64_t size, void *hva,
               uint32_t flags)
{
    struct kvm_userspace_memory_region region = {
        .slot = slot,
        .guest_phys_addr = gpa,
        .memory_size = size,
        .userspace_addr = (uintptr_t)hva,
        .flags = ((flags & HV_MEM_READONLY) ? KVM_MEM_READONLY : 0) |
                 ((flags & HV_MEM_LOG_DIRTY) ? KVM_MEM_LOG_DIRTY_PAGES : 0),
    };

    return kvm_ioctl(hv->vm_fd, KVM_SET_USER_MEMORY_REGION, &region);
}

static int
kvm_create_irqchip(Hv *hv)
{
    uint64_t identity = KVM_IDENTITY_MAP_ADDR;
    int r;

    /* Both must precede vCPU creation. */
    r = kvm_ioctl(hv->vm_fd, KVM_SET_IDENTITY_MAP_ADDR, &identity);
    if (r < 0)
        return r;
    r = ioctl(hv->vm_fd, KVM_SET_TSS_ADDR, (unsigned long)KVM_TSS_ADDR);
    if (r < 0)
        return -errno;
    /* In-kernel LAPIC, IOAPIC and PIC; see docs/architecture.md for why
     * nimbus does not use the split irqchip. */
    return kvm_ioctl(hv->vm_fd, KVM_CREATE_IRQCHIP, NULL);
}

static int
kvm_irq_line(Hv *hv, uint32_t gsi, bool level)
{
    struct kvm_irq_level irq = { .irq = gsi, .level = level ? 1 : 0 };

    return kvm_ioctl(hv->vm_fd, KVM_IRQ_LINE, &irq);
}

static int
kvm_signal_msi(Hv *hv, uint64_t addr, uint32_t data)
{
    struct kvm_msi msi = {
        .address_lo = (uint32_t)addr,
        .address_hi = (uint32_t)(addr >> 32),
        .data = data,
    };
    int r = kvm_ioctl(hv->vm_fd, KVM_SIGNAL_MSI, &msi);

    /* > 0 delivered, 0 blocked by the guest (masked): both are fine. */
    return r < 0 ? r : 0;
}

static int
kvm_set_irq_routing(Hv *hv, const HvIrqRoute *routes, unsigned n)
{
    unsigned max = n * 2;
    g_autofree struct kvm_irq_routing *table =
        g_malloc0(sizeof(*table) + max * sizeof(struct kvm_irq_routing_entry));
    unsigned k = 0;

    for (unsigned i = 0; i < n; i++) {
        const HvIrqRoute *r = &routes[i];
        struct kvm_irq_routing_entry *e = &table->entries[k++];

        e->gsi = r->gsi;
        if (r->is_msi) {
            e->type = KVM_IRQ_ROUTING_MSI;
            e->u.msi.address_lo = (uint32_t)r->msi_addr;
            e->u.msi.address_hi = (uint32_t)(r->msi_addr >> 32);
            e->u.msi.data = r->msi_data;
            continue;
        }
        e->type = KVM_IRQ_ROUTING_IRQCHIP;
        e->u.irqchip.irqchip = KVM_IRQCHIP_IOAPIC;
        e->u.irqchip.pin = r->pin;
        /* ISA lines also feed the PIC, as KVM's default table does; a
         * guest that never enables the PIC does not notice. */
        if (r->pin < 16) {
            e = &table->entries[k++];
            e->gsi = r->gsi;
            e->type = KVM_IRQ_ROUTING_IRQCHIP;
            e->u.irqchip.irqchip = r->pin < 8 ? KVM_IRQCHIP_PIC_MASTER
                                              : KVM_IRQCHIP_PIC_SLAVE;
            e->u.irqchip.pin = r->pin % 8;
        }
    }
    table->nr = k;
    return kvm_ioctl(hv->vm_fd, KVM_SET_GSI_ROUTING, table);
}

static int
kvm_irqfd(Hv *hv, int fd, uint32_t gsi, int resample_fd, bool assign)
{
    struct kvm_irqfd irqfd = {
        .fd = (uint32_t)fd,
        .gsi = gsi,
        .flags = assign ? 0 : KVM_IRQFD_FLAG_DEASSIGN,
    };

    if (resample_fd >= 0 && assign) {
        irqfd.flags |= KVM_IRQFD_FLAG_RESAMPLE;
        irqfd.resamplefd = (uint32_t)resample_fd;
    }
    return kvm_ioctl(hv->vm_fd, KVM_IRQFD, &irqfd);
}

static int
kvm_ioeventfd(Hv *hv, int fd, uint64_t addr, uint32_t len, bool pio,
              bool assign)
{
    struct kvm_ioeventfd ev = {
        .addr = addr,
        .len = len,
        .fd = fd,
        .flags = (pio ? KVM_IOEVENTFD_FLAG_PIO : 0) |
                 (assign ? 0 : KVM_IOEVENTFD_FLAG_DEASSIGN),
    };

    return kvm_ioctl(hv->vm_fd, KVM_IOEVENTFD, &ev);
}

static HvVcpu *
kvm_vcpu_new(Hv *hv, uint32_t index, GError **error)
{
    g_autofree HvVcpu *vcpu = g_new0(HvVcpu, 1);
    void *run;

    vcpu->hv = hv;
    vcpu->index = index;
    vcpu->fd = ioctl(hv->vm_fd, KVM_CREATE_VCPU, (unsigned long)index);
    if (vcpu->fd < 0) {
        int e = errno;
        g_set_error(error, G_IO_ERROR, g_io_error_from_errno(e),
                    "KVM_CREATE_VCPU %u failed: %s", index, g_strerror(e));
        return NULL;
    }
    run = mmap(NULL, (size_t)hv->run_size, PROT_READ | PROT_WRITE, MAP_SHARED,
               vcpu->fd, 0);
    if (run == MAP_FAILED) {
        int e = errno;
        g_set_error(error, G_IO_ERROR, g_io_error_from_errno(e),
                    "cannot map the run area of vCPU %u: %s", index,
                    g_strerror(e));
        close(vcpu->fd);
        return NULL;
    }
    vcpu->run = run;
    return g_steal_pointer(&vcpu);
}

static void
kvm_vcpu_free(HvVcpu *vcpu)
{
    if (!vcpu)
        return;
    munmap(vcpu->run, (size_t)vcpu->hv->run_size);
    close(vcpu->fd);
    g_free(vcpu);
}

static int
kvm_vcpu_run(HvVcpu *vcpu, HvExit *ex)
{
    struct kvm_run *run = vcpu->run;

    memset(ex, 0, sizeof(*ex));
    if (ioctl(vcpu->fd, KVM_RUN, 0) < 0) {
        /* EINTR: a kick (signal) or immediate_exit; EAGAIN: the vCPU was
         * not runnable yet (INIT/SIPI wait).  Both mean "look at the
         * control state and come back". */
        if (errno == EINTR || errno == EAGAIN) {
            ex->reason = HV_EXIT_INTR;
            return 0;
        }
        return -errno;
    }

    switch (run->exit_reason) {
    case KVM_EXIT_IO:
        ex->reason = HV_EXIT_PIO;
        ex->io.addr = run->io.port;
        ex->io.len = run->io.size;
        ex->io.count = run->io.count;
        ex->io.is_write = run->io.direction == KVM_EXIT_IO_OUT;
        ex->io.data = (uint8_t *)run + run->io.data_offset;
        break;
    case KVM_EXIT_MMIO:
        ex->reason = HV_EXIT_MMIO;
        ex->io.addr = run->mmio.phys_addr;
        ex->io.len = run->mmio.len;
        ex->io.count = 1;
        ex->io.is_write = run->mmio.is_write;
        ex->io.data = run->mmio.data;
        break;
    case KVM_EXIT_HLT:
        ex->reason = HV_EXIT_HLT;
        break;
    case KVM_EXIT_SHUTDOWN:
        ex->reason = HV_EXIT_SHUTDOWN;
        break;
    case KVM_EXIT_SYSTEM_EVENT:
        switch (run->system_event.type) {
        case KVM_SYSTEM_EVENT_RESET:
            ex->reason = HV_EXIT_SYSTEM_RESET;
            break;
        case KVM_SYSTEM_EVENT_SHUTDOWN:
            ex->reason = HV_EXIT_SYSTEM_SHUTDOWN;
            break;
        default:
            ex->reason = HV_EXIT_UNKNOWN;
            ex->hw_reason = run->system_event.type;
            break;
        }
        break;
    case KVM_EXIT_INTR:
        ex->reason = HV_EXIT_INTR;
        break;
    case KVM_EXIT_INTERNAL_ERROR:
        ex->reason = HV_EXIT_INTERNAL_ERROR;
        ex->suberror = run->internal.suberror;
        break;
    case KVM_EXIT_FAIL_ENTRY:
        ex->reason = HV_EXIT_FAIL_ENTRY;
        ex->hw_reason = run->fail_entry.hardware_entry_failure_reason;
        break;
    default:
        ex->reason = HV_EXIT_UNKNOWN;
        ex->hw_reason = run->exit_reason;
        break;
    }
    return 0;
}

static void
kvm_vcpu_kick(HvVcpu *vcpu)
{
    /* Seen by KVM_RUN on entry; the caller's signal covers a vCPU that is
     * already inside the guest. */
    atomic_store_explicit((_Atomic uint8_t *)&vcpu->run->immediate_exit, 1,
                          memory_order_release);
}

static void
kvm_vcpu_clear_kick(HvVcpu *vcpu)
{
    atomic_store_explicit((_Atomic uint8_t *)&vcpu->run->immediate_exit, 0,
                          memory_order_release);
}

static int
kvm_vcpu_nmi(HvVcpu *vcpu)
{
    return kvm_ioctl(vcpu->fd, KVM_NMI, NULL);
}

static int
kvm_get_regs(HvVcpu *vcpu, struct kvm_regs *regs)
{
    return kvm_ioctl(vcpu->fd, KVM_GET_REGS, regs);
}

static int
kvm_set_regs(HvVcpu *vcpu, const struct kvm_regs *regs)
{
    return kvm_ioctl(vcpu->fd, KVM_SET_REGS, (void *)regs);
}

static int
kvm_get_sregs(HvVcpu *vcpu, struct kvm_sregs *sregs)
{
    return kvm_ioctl(vcpu->fd, KVM_GET_SREGS, sregs);
}

static int
kvm_set_sregs(HvVcpu *vcpu, const struct kvm_sregs *sregs)
{
    return kvm_ioctl(vcpu->fd, KVM_SET_SREGS, (void *)sregs);
}

static int
kvm_set_fpu(HvVcpu *vcpu, const struct kvm_fpu *fpu)
{
    return kvm_ioctl(vcpu->fd, KVM_SET_FPU, (void *)fpu);
}

static int
kvm_set_cpuid(HvVcpu *vcpu, const struct kvm_cpuid_entry2 *entries, unsigned n)
{
    g_autofree struct kvm_cpuid2 *cpuid =
        g_malloc0(sizeof(*cpuid) + n * sizeof(*entries));

    cpuid->nent = n;
    memcpy(cpuid->entries, entries, n * sizeof(*entries));
    return kvm_ioctl(vcpu->fd, KVM_SET_CPUID2, cpuid);
}

static int
kvm_set_msrs(HvVcpu *vcpu, const struct kvm_msr_entry *msrs, unsigned n)
{
    g_autofree struct kvm_msrs *m = g_malloc0(sizeof(*m) + n * sizeof(*msrs));

    m->nmsrs = n;
    memcpy(m->entries, msrs, n * sizeof(*msrs));
    return kvm_ioctl(vcpu->fd, KVM_SET_MSRS, m);
}

static int
kvm_get_lapic(HvVcpu *vcpu, struct kvm_lapic_state *lapic)
{
    return kvm_ioctl(vcpu->fd, KVM_GET_LAPIC, lapic);
}

static int
kvm_set_lapic(HvVcpu *vcpu, const struct kvm_lapic_state *lapic)
{
    return kvm_ioctl(vcpu->fd, KVM_SET_LAPIC, (void *)lapic);
}

static int
kvm_get_mp_state(HvVcpu *vcpu, uint32_t *state)
{
    struct kvm_mp_state mp;
    int r = kvm_ioctl(vcpu->fd, KVM_GET_MP_STATE, &mp);

    if (r == 0)
        *state = mp.mp_state;
    return r;
}

static int
kvm_get_xsave(HvVcpu *vcpu, struct kvm_xsave *xsave)
{
    return kvm_ioctl(vcpu->fd, KVM_GET_XSAVE, xsave);
}

static int
kvm_set_xsave(HvVcpu *vcpu, const struct kvm_xsave *xsave)
{
    return kvm_ioctl(vcpu->fd, KVM_SET_XSAVE, (void *)xsave);
}

static int
kvm_get_xcrs(HvVcpu *vcpu, struct kvm_xcrs *xcrs)
{
    return kvm_ioctl(vcpu->fd, KVM_GET_XCRS, xcrs);
}

static int
kvm_set_xcrs(HvVcpu *vcpu, const struct kvm_xcrs *xcrs)
{
    return kvm_ioctl(vcpu->fd, KVM_SET_XCRS, (void *)xcrs);
}

static int
kvm_get_vcpu_events(HvVcpu *vcpu, struct kvm_vcpu_events *events)
{
    return kvm_ioctl(vcpu->fd, KVM_GET_VCPU_EVENTS, events);
}

static int
kvm_set_vcpu_events(HvVcpu *vcpu, const struct kvm_vcpu_events *events)
{
    return kvm_ioctl(vcpu->fd, KVM_SET_VCPU_EVENTS, (void *)events);
}

static int
kvm_get_irqchip(Hv *hv, struct kvm_irqchip *chip)
{
    return kvm_ioctl(hv->vm_fd, KVM_GET_IRQCHIP, chip);
}

static int
kvm_set_irqchip(Hv *hv, const struct kvm_irqchip *chip)
{
    return kvm_ioctl(hv->vm_fd, KVM_SET_IRQCHIP, (void *)chip);
}

static int
kvm_set_mp_state(HvVcpu *vcpu, uint32_t state)
{
    struct kvm_mp_state mp = { .mp_state = state };

    return kvm_ioctl(vcpu->fd, KVM_SET_MP_STATE, &mp);
}

static int
kvm_supported_cpuid(Hv *hv, struct kvm_cpuid_entry2 **entries, unsigned *n)
{
    /* The ioctl says E2BIG until the buffer is large enough. */
    for (unsigned cap = 128; cap <= 4096; cap *= 2) {
        g_autofree struct kvm_cpuid2 *cpuid =
            g_malloc0(sizeof(*cpuid) + cap * sizeof(struct kvm_cpuid_entry2));
        int r;

        cpuid->nent = cap;
        r = kvm_ioctl(hv->kvm_fd, KVM_GET_SUPPORTED_CPUID, cpuid);
        if (r == -E2BIG)
            continue;
        if (r < 0)
            return r;
        /* KVM emulates the TSC-deadline LAPIC timer but leaves its CPUID
         * bit out of the supported list: the capability says it instead
         * (Documentation/virt/kvm/api.rst, KVM_GET_SUPPORTED_CPUID). */
        if (ioctl(hv->kvm_fd, KVM_CHECK_EXTENSION,
                  KVM_CAP_TSC_DEADLINE_TIMER) > 0) {
            for (unsigned i = 0; i < cpuid->nent; i++) {
                if (cpuid->entries[i].function == 1)
                    cpuid->entries[i].ecx |= CPUID1_ECX_TSC_DEADLINE;
            }
        }
        *n = cpuid->nent;
        *entries = g_memdup2(cpuid->entries,
                             cpuid->nent * sizeof(struct kvm_cpuid_entry2));
        return 0;
    }
    return -E2BIG;
}

static uint32_t
kvm_tsc_khz(HvVcpu *vcpu)
{
    int r = ioctl(vcpu->fd, KVM_GET_TSC_KHZ, 0);

    return r > 0 ? (uint32_t)r : 0;
}

static int
kvm_get_clock(Hv *hv, uint64_t *ns)
{
    struct kvm_clock_data data = { 0 };

    if (ioctl(hv->vm_fd, KVM_GET_CLOCK, &data) < 0)
        return -errno;
    *ns = data.clock;
    return 0;
}

static int
kvm_set_clock(Hv *hv, uint64_t ns)
{
    /* No flags: KVM_CLOCK_REALTIME would make KVM add the real time that
     * passed since the read, which is what a pause must hide. */
    struct kvm_clock_data data = { .clock = ns };

    return ioctl(hv->vm_fd, KVM_SET_CLOCK, &data) < 0 ? -errno : 0;
}

static int
kvm_msr_index_list(Hv *hv, uint32_t **indices, unsigned *n)
{
    struct kvm_msr_list probe = { .nmsrs = 0 };
    g_autofree struct kvm_msr_list *list = NULL;
    int r;

    /* The first call fails with E2BIG and says how many there are. */
    r = kvm_ioctl(hv->kvm_fd, KVM_GET_MSR_INDEX_LIST, &probe);
    if (r < 0 && r != -E2BIG)
        return r;
    list = g_malloc0(sizeof(*list) + probe.nmsrs * sizeof(uint32_t));
    list->nmsrs = probe.nmsrs;
    r = kvm_ioctl(hv->kvm_fd, KVM_GET_MSR_INDEX_LIST, list);
    if (r < 0)
        return r;
    *n = list->nmsrs;
    *indices = g_memdup2(list->indices, list->nmsrs * sizeof(uint32_t));
    return 0;
}

static int
kvm_get_msrs(HvVcpu *vcpu, struct kvm_msr_entry *msrs, unsigned n)
{
    g_autofree struct kvm_msrs *m = g_malloc0(sizeof(*m) + n * sizeof(*msrs));
    int r;

    m->nmsrs = n;
    memcpy(m->entries, msrs, n * sizeof(*msrs));
    r = kvm_ioctl(vcpu->fd, KVM_GET_MSRS, m);
    if (r > 0)
        memcpy(msrs, m->entries, (size_t)r * sizeof(*msrs));
    return r;
}

static int
kvm_get_debugregs(HvVcpu *vcpu, struct kvm_debugregs *dregs)
{
    return kvm_ioctl(vcpu->fd, KVM_GET_DEBUGREGS, dregs);
}

static int
kvm_set_debugregs(HvVcpu *vcpu, const struct kvm_debugregs *dregs)
{
    return kvm_ioctl(vcpu->fd, KVM_SET_DEBUGREGS, (void *)dregs);
}

static int
kvm_set_tsc_khz(HvVcpu *vcpu, uint32_t khz)
{
    return ioctl(vcpu->fd, KVM_SET_TSC_KHZ, (unsigned long)khz) < 0 ? -errno
                                                                   : 0;
}

static int
kvm_get_dirty_log(Hv *hv, uint32_t slot, uint64_t *bitmap)
{
    struct kvm_dirty_log log = { .slot = slot, .dirty_bitmap = bitmap };

    /* Without KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2 enabled (nimbus never
     * enables it), the ioctl also clears the log and write-protects the
     * pages again, so the next call returns only newer writes. */
    return kvm_ioctl(hv->vm_fd, KVM_GET_DIRTY_LOG, &log);
}

const HvOps hv_kvm_ops = {
    .name = "kvm",
    .vm_new = kvm_vm_new,
    .vm_free = kvm_vm_free,
    .max_vcpus = kvm_max_vcpus,
    .set_memory = kvm_set_memory,
    .create_irqchip = kvm_create_irqchip,
    .irq_line = kvm_irq_line,
    .signal_msi = kvm_signal_msi,
    .set_irq_routing = kvm_set_irq_routing,
    .irqfd = kvm_irqfd,
    .ioeventfd = kvm_ioeventfd,
    .vcpu_new = kvm_vcpu_new,
    .vcpu_free = kvm_vcpu_free,
    .vcpu_run = kvm_vcpu_run,
    .vcpu_kick = kvm_vcpu_kick,
    .vcpu_clear_kick = kvm_vcpu_clear_kick,
    .vcpu_nmi = kvm_vcpu_nmi,
    .get_regs = kvm_get_regs,
    .set_regs = kvm_set_regs,
    .get_sregs = kvm_get_sregs,
    .set_sregs = kvm_set_sregs,
    .set_fpu = kvm_set_fpu,
    .set_cpuid = kvm_set_cpuid,
    .set_msrs = kvm_set_msrs,
    .get_lapic = kvm_get_lapic,
    .set_lapic = kvm_set_lapic,
    .get_mp_state = kvm_get_mp_state,
    .set_mp_state = kvm_set_mp_state,
    .get_xsave = kvm_get_xsave,
    .set_xsave = kvm_set_xsave,
    .get_xcrs = kvm_get_xcrs,
    .set_xcrs = kvm_set_xcrs,
    .get_vcpu_events = kvm_get_vcpu_events,
    .set_vcpu_events = kvm_set_vcpu_events,
    .get_irqchip = kvm_get_irqchip,
    .set_irqchip = kvm_set_irqchip,
    .supported_cpuid = kvm_supported_cpuid,
    .tsc_khz = kvm_tsc_khz,
    .get_clock = kvm_get_clock,
    .set_clock = kvm_set_clock,
    .msr_index_list = kvm_msr_index_list,
    .get_msrs = kvm_get_msrs,
    .get_debugregs = kvm_get_debugregs,
    .set_debugregs = kvm_set_debugregs,
    .set_tsc_khz = kvm_set_tsc_khz,
    .get_dirty_log = kvm_get_dirty_log,
};
