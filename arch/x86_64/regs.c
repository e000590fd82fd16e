/* SPDX-License-Identifier: Apache-2.0 */
/* x86 vCPU state: creation-time setup, boot registers, reset. */
#include <config.h>

#include <string.h>
#include <gio/gio.h>

#include "arch/x86_64/boot.h"
#include "arch/x86_64/layout.h"
#include "arch/x86_64/regs.h"

/* MSR numbers (SDM vol. 4; KVM's PV MSRs from Documentation/virt/kvm/x86/msr.rst). */
#define MSR_IA32_TSC              0x10
#define MSR_IA32_SYSENTER_CS      0x174
#define MSR_IA32_SYSENTER_ESP     0x175
#define MSR_IA32_SYSENTER_EIP     0x176
#define MSR_IA32_MISC_ENABLE      0x1a0
#define MSR_MTRR_DEF_TYPE         0x2ff
#define MSR_STAR                  0xc0000081
#define MSR_LSTAR                 0xc0000082
#define MSR_CSTAR                 0xc0000083
#define MSR_SYSCALL_MASK          0xc0000084
#define MSR_KERNEL_GS_BASE        0xc0000102
#define MSR_KVM_SYSTEM_TIME       0x12
#define MSR_KVM_SYSTEM_TIME_NEW   0x4b564d01
#define MSR_KVM_ASYNC_PF_EN       0x4b564d02
#define MSR_KVM_STEAL_TIME        0x4b564d03
#define MSR_KVM_PV_EOI_EN         0x4b564d04

#define MISC_ENABLE_FAST_STRING   1
/* MTRRs on, default type write-back: without it the guest maps all RAM
 * uncached and boots very slowly. */
#define MTRR_DEF_TYPE_VALUE       ((1u << 11) | 6)

/* LAPIC register offsets and delivery modes (SDM vol. 3 §10). */
#define APIC_LVT0                 0x350
#define APIC_LVT1                 0x360
#define APIC_MODE_NMI             0x4
#define APIC_MODE_EXTINT          0x7

#define X86_CR0_PE                0x1

static const struct {
    uint32_t index;
    uint64_t value;
    bool optional;     /* PV MSRs a host kernel may not know */
} x86_msr_defaults[] = {
    { MSR_IA32_SYSENTER_CS, 0, false },
    { MSR_IA32_SYSENTER_ESP, 0, false },
    { MSR_IA32_SYSENTER_EIP, 0, false },
    { MSR_STAR, 0, false },
    { MSR_LSTAR, 0, false },
    { MSR_CSTAR, 0, false },
    { MSR_SYSCALL_MASK, 0, false },
    { MSR_KERNEL_GS_BASE, 0, false },
    { MSR_IA32_MISC_ENABLE, MISC_ENABLE_FAST_STRING, false },
    { MSR_MTRR_DEF_TYPE, MTRR_DEF_TYPE_VALUE, false },
    /* Writing 0 disables each PV area, so a rebooted guest's memory is
     * not written by KVM at the old kernel's addresses. */
    { MSR_KVM_SYSTEM_TIME_NEW, 0, true },
    { MSR_KVM_SYSTEM_TIME, 0, true },
    { MSR_KVM_ASYNC_PF_EN, 0, true },
    { MSR_KVM_STEAL_TIME, 0, true },
    { MSR_KVM_PV_EOI_EN, 0, true },
};

static bool
x86_hv_fail(int r, const char *what, GError **error)
{
    if (r >= 0)
        return true;
    g_set_error(error, G_IO_ERROR, g_io_error_from_errno(-r),
                "%s failed: %s", what, g_strerror(-r));
    return false;
}

static bool
x86_set_msr_defaults(const HvOps *ops, HvVcpu *vcpu, GError **error)
{
    for (unsigned i = 0; i < G_N_ELEMENTS(x86_msr_defaults); i++) {
        struct kvm_msr_entry e = {
            .index = x86_msr_defaults[i].index,
            .data = x86_msr_defaults[i].value,
        };
        /* One at a time: KVM_SET_MSRS stops at the first MSR it refuses. */
        int r = ops->set_msrs(vcpu, &e, 1);

        if (r == 1)
            continue;
        if (x86_msr_defaults[i].optional) {
            g_debug("MSR 0x%x not settable (%d), ignored", e.index, r);
            continue;
        }
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_FAILED,
                    "cannot set MSR 0x%x", e.index);
        return false;
    }
    return true;
}

static void
lapic_set_lvt_mode(struct kvm_lapic_state *lapic, unsigned reg, uint32_t mode)
{
    uint32_t v;

    memcpy(&v, &lapic->regs[reg], sizeof(v));
    v = (v & ~0x700u) | mode << 8;
    memcpy(&lapic->regs[reg], &v, sizeof(v));
}

bool
x86_vcpu_init(const HvOps *ops, Hv *hv, HvVcpu *vcpu, uint32_t index,
              const X86CpuidParams *params,
              const struct kvm_cpuid_entry2 *supported, unsigned n,
              X86VcpuState *st, GError **error)
{
    g_autoptr(GArray) cpuid = NULL;
    X86CpuidParams p = *params;
    struct kvm_lapic_state lapic;

    if (!p.tsc_khz && ops->tsc_khz)
        p.tsc_khz = ops->tsc_khz(vcpu);
    cpuid = x86_cpuid_build(supported, n, &p, index);
    if (!x86_hv_fail(ops->set_cpuid(vcpu, (struct kvm_cpuid_entry2 *)cpuid->data,
                                    cpuid->len), "KVM_SET_CPUID2", error))
        return false;

    if (!x86_hv_fail(ops->get_lapic(vcpu, &lapic), "KVM_GET_LAPIC", error))
        return false;
    lapic_set_lvt_mode(&lapic, APIC_LVT0, APIC_MODE_EXTINT);
    lapic_set_lvt_mode(&lapic, APIC_LVT1, APIC_MODE_NMI);
    if (!x86_hv_fail(ops->set_lapic(vcpu, &lapic), "KVM_SET_LAPIC", error))
        return false;
    if (!x86_set_msr_defaults(ops, vcpu, error))
        return false;

    memset(st, 0, sizeof(*st));
    return x86_hv_fail(ops->get_regs(vcpu, &st->regs), "KVM_GET_REGS", error) &&
           x86_hv_fail(ops->get_sregs(vcpu, &st->sregs), "KVM_GET_SREGS", error) &&
           x86_hv_fail(ops->get_xsave(vcpu, &st->xsave), "KVM_GET_XSAVE", error) &&
           x86_hv_fail(ops->get_xcrs(vcpu, &st->xcrs), "KVM_GET_XCRS", error) &&
           x86_hv_fail(ops->get_lapic(vcpu, &st->lapic), "KVM_GET_LAPIC", error) &&
           x86_hv_fail(ops->get_mp_state(vcpu, &st->mp_state),
                       "KVM_GET_MP_STATE", error);
}

bool
x86_vcpu_reset(const HvOps *ops, HvVcpu *vcpu, const X86VcpuState *st,
               GError **error)
{
    struct kvm_vcpu_events events;

    /* Pending exceptions, interrupts and NMIs of the previous run go. */
    memset(&events, 0, sizeof(events));
    events.flags = KVM_VCPUEVENT_VALID_NMI_PENDING | KVM_VCPUEVENT_VALID_SHADOW;
    return x86_hv_fail(ops->set_sregs(vcpu, &st->sregs), "KVM_SET_SREGS", error) &&
           x86_hv_fail(ops->set_regs(vcpu, &st->regs), "KVM_SET_REGS", error) &&
           x86_hv_fail(ops->set_xcrs(vcpu, &st->xcrs), "KVM_SET_XCRS", error) &&
           x86_hv_fail(ops->set_xsave(vcpu, &st->xsave), "KVM_SET_XSAVE", error) &&
           x86_hv_fail(ops->set_lapic(vcpu, &st->lapic), "KVM_SET_LAPIC", error) &&
           x86_hv_fail(ops->set_vcpu_events(vcpu, &events),
                       "KVM_SET_VCPU_EVENTS", error) &&
           x86_set_msr_defaults(ops, vcpu, error) &&
           x86_hv_fail(ops->set_mp_state(vcpu, st->mp_state),
                       "KVM_SET_MP_STATE", error);
}

/* Decodes a GDT descriptor into KVM's segment form (SDM vol. 3 §3.4.5). */
static void
x86_segment_from_gdt(struct kvm_segment *seg, uint64_t desc, uint16_t selector)
{
    uint32_t limit = (uint32_t)((desc & 0xffff) | ((desc >> 32) & 0xf0000));

    memset(seg, 0, sizeof(*seg));
    seg->base = ((desc >> 16) & 0xffffff) | ((desc >> 32) & 0xff000000);
    seg->type = (desc >> 40) & 0xf;
    seg->s = (desc >> 44) & 1;
    seg->dpl = (desc >> 45) & 3;
    seg->present = (desc >> 47) & 1;
    seg->avl = (desc >> 52) & 1;
    seg->l = (desc >> 53) & 1;
    seg->db = (desc >> 54) & 1;
    seg->g = (desc >> 55) & 1;
    /* KVM wants the byte-granular limit. */
    seg->limit = seg->g ? (limit << 12) | 0xfff : limit;
    seg->selector = selector;
    seg->unusable = !seg->present;
}

bool
x86_vcpu_set_boot_regs(const HvOps *ops, HvVcpu *vcpu, uint64_t entry,
                       bool pvh, GError **error)
{
    struct kvm_sregs sregs;
    struct kvm_regs regs;
    struct kvm_fpu fpu;
    struct kvm_segment data;

    if (!x86_hv_fail(ops->get_sregs(vcpu, &sregs), "KVM_GET_SREGS", error))
        return false;
    /* Selectors 0x08 code, 0x10 data, 0x18 TSS: the boot GDT's entries
     * 1-3, written into guest memory by x86_setup_boot(). */
    x86_segment_from_gdt(&sregs.cs, x86_boot_gdt[1], 0x08);
    x86_segment_from_gdt(&data, x86_boot_gdt[2], 0x10);
    sregs.ds = sregs.es = sregs.fs = sregs.gs = sregs.ss = data;
    x86_segment_from_gdt(&sregs.tr, x86_boot_gdt[3], 0x18);
    sregs.gdt.base = X86_BOOT_GDT_START;
    sregs.gdt.limit = 4 * sizeof(uint64_t) - 1;
    sregs.idt.base = X86_BOOT_IDT_START;
    sregs.idt.limit = sizeof(uint64_t) - 1;
    /* 32-bit protected mode, paging off: both entry points expect it. */
    sregs.cr0 = (sregs.cr0 & ~0x80000000ULL) | X86_CR0_PE;
    sregs.cr3 = 0;
    sregs.cr4 = 0;
    sregs.efer = 0;

    memset(&regs, 0, sizeof(regs));
    regs.rflags = 0x2;
    regs.rip = entry;
    if (pvh) {
        regs.rbx = X86_PVH_INFO_START;
    } else {
        /* Linux boot protocol, 32-bit entry: %esi = boot_params, %ebp,
         * %edi and %ebx zero (they are, from the memset). */
        regs.rsi = X86_ZERO_PAGE_START;
        regs.rsp = X86_BOOT_STACK_POINTER;
    }

    memset(&fpu, 0, sizeof(fpu));
    fpu.fcw = 0x37f;
    fpu.mxcsr = 0x1f80;

    return x86_hv_fail(ops->set_sregs(vcpu, &sregs), "KVM_SET_SREGS", error) &&
           x86_hv_fail(ops->set_regs(vcpu, &regs), "KVM_SET_REGS", error) &&
           x86_hv_fail(ops->set_fpu(vcpu, &fpu), "KVM_SET_FPU", error);
}
