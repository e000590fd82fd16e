/* SPDX-License-Identifier: Apache-2.0 */
/* The hypervisor seam: a small backend interface (KVM today, a fake for unit tests). */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <glib.h>
#include <linux/kvm.h>

typedef struct Hv Hv;         /* the backend's VM handle */
typedef struct HvVcpu HvVcpu; /* one vCPU */

/* Why a vCPU left the guest.  Kept small: port I/O and MMIO are routed
 * through the buses by vcpu_handle_exit(); everything arch-specific that a
 * backend can resolve by itself never surfaces here. */
typedef enum {
    HV_EXIT_PIO,
    HV_EXIT_MMIO,
    HV_EXIT_HLT,            /* only without an in-kernel LAPIC */
    HV_EXIT_SHUTDOWN,       /* triple fault */
    HV_EXIT_SYSTEM_RESET,   /* KVM_SYSTEM_EVENT_RESET */
    HV_EXIT_SYSTEM_SHUTDOWN,/* KVM_SYSTEM_EVENT_SHUTDOWN */
    HV_EXIT_INTR,           /* interrupted by a kick (pause, stop) */
    HV_EXIT_INTERNAL_ERROR,
    HV_EXIT_FAIL_ENTRY,
    HV_EXIT_UNKNOWN,
    HV_EXIT_LAST
} HvExitReason;

/**
 * HvIo:
 * One port I/O or MMIO access.  @data points into the backend's buffer
 * (the KVM run page): for a read, the handler fills @len * @count bytes;
 * for a write it holds them.  @count > 1 only for string port I/O
 * (rep ins/outs), each element @len bytes at @data + i * @len.
 */
typedef struct {
    uint64_t addr;
    uint8_t *data;
    uint32_t len;
    uint32_t count;
    bool is_write;
} HvIo;

typedef struct {
    HvExitReason reason;
    HvIo io;                 /* PIO and MMIO */
    uint64_t hw_reason;      /* backend-specific code for error exits */
    uint32_t suberror;
} HvExit;

/* Memory slot flags. */
#define HV_MEM_READONLY   (1u << 0)
#define HV_MEM_LOG_DIRTY  (1u << 1)

/* One GSI routing entry: an IOAPIC pin or an MSI message. */
typedef struct {
    uint32_t gsi;
    bool is_msi;
    uint32_t pin;            /* !is_msi: IOAPIC pin */
    uint64_t msi_addr;       /* is_msi */
    uint32_t msi_data;
} HvIrqRoute;

/**
 * HvOps:
 * A backend.  Functions return 0 or -errno (the data plane calls several of
 * them: irq_line, signal_msi); creation functions use GError.
 * Threads: vcpu_run and the vcpu_* state calls run on the vCPU's own thread;
 * the rest may run on any thread.
 */
typedef struct {
    const char *name;
    Hv *(*vm_new)(GError **error);
    void (*vm_free)(Hv *hv);
    /* Largest vCPU count the backend accepts (KVM_CAP_MAX_VCPUS). */
    uint32_t (*max_vcpus)(Hv *hv);
    int (*set_memory)(Hv *hv, uint32_t slot, uint64_t gpa, uint64_t size,
                      void *hva, uint32_t flags);
    /* In-kernel interrupt controllers (x86: LAPIC + IOAPIC + PIC) and
     * platform pieces the backend needs (TSS, identity map). */
    int (*create_irqchip)(Hv *hv);
    int (*irq_line)(Hv *hv, uint32_t gsi, bool level);
    int (*signal_msi)(Hv *hv, uint64_t addr, uint32_t data);
    int (*set_irq_routing)(Hv *hv, const HvIrqRoute *routes, unsigned n);
    int (*irqfd)(Hv *hv, int fd, uint32_t gsi, int resample_fd, bool assign);
    int (*ioeventfd)(Hv *hv, int fd, uint64_t addr, uint32_t len, bool pio,
                     bool assign);

    HvVcpu *(*vcpu_new)(Hv *hv, uint32_t index, GError **error);
    void (*vcpu_free)(HvVcpu *vcpu);
    /* Enters the guest; returns 0 with @exit filled, or -errno. */
    int (*vcpu_run)(HvVcpu *vcpu, HvExit *exit);
    /* Makes a running or about-to-run vcpu_run return HV_EXIT_INTR.  Safe
     * from any thread (sets immediate_exit; the caller also signals). */
    void (*vcpu_kick)(HvVcpu *vcpu);
    /* Clears the kick request; vCPU thread only. */
    void (*vcpu_clear_kick)(HvVcpu *vcpu);
    int (*vcpu_nmi)(HvVcpu *vcpu);

    /* x86 vCPU state.  The structures are KVM's UAPI ones: they are plain
     * data with a stable layout, and a second x86 backend (MSHV) would
     * convert at its edge.  vCPU thread only. */
    int (*get_regs)(HvVcpu *vcpu, struct kvm_regs *regs);
    int (*set_regs)(HvVcpu *vcpu, const struct kvm_regs *regs);
    int (*get_sregs)(HvVcpu *vcpu, struct kvm_sregs *sregs);
    int (*set_sregs)(HvVcpu *vcpu, const struct kvm_sregs *sregs);
    int (*set_fpu)(HvVcpu *vcpu, const struct kvm_fpu *fpu);
    int (*set_cpuid)(HvVcpu *vcpu, const struct kvm_cpuid_entry2 *entries,
                     unsigned n);
    /* Returns the number of MSRs set, or -errno. */
    int (*set_msrs)(HvVcpu *vcpu, const struct kvm_msr_entry *msrs,
                    unsigned n);
    int (*get_lapic)(HvVcpu *vcpu, struct kvm_lapic_state *lapic);
    int (*set_lapic)(HvVcpu *vcpu, const struct kvm_lapic_state *lapic);
    int (*get_mp_state)(HvVcpu *vcpu, uint32_t *state);
    int (*set_mp_state)(HvVcpu *vcpu, uint32_t state);
    int (*get_xsave)(HvVcpu *vcpu, struct kvm_xsave *xsave);
    int (*set_xsave)(HvVcpu *vcpu, const struct kvm_xsave *xsave);
    int (*get_xcrs)(HvVcpu *vcpu, struct kvm_xcrs *xcrs);
    int (*set_xcrs)(HvVcpu *vcpu, const struct kvm_xcrs *xcrs);
    int (*get_vcpu_events)(HvVcpu *vcpu, struct kvm_vcpu_events *events);
    int (*set_vcpu_events)(HvVcpu *vcpu, const struct kvm_vcpu_events *events);
    /* In-kernel interrupt controller state (chip: KVM_IRQCHIP_*). */
    int (*get_irqchip)(Hv *hv, struct kvm_irqchip *chip);
    int (*set_irqchip)(Hv *hv, const struct kvm_irqchip *chip);
    /* CPUID the backend supports (transfer full, g_free), and the MSR list. */
    int (*supported_cpuid)(Hv *hv, struct kvm_cpuid_entry2 **entries,
                           unsigned *n);
    /* Guest TSC frequency in kHz (for CPUID leaf 0x40000010); 0 if unknown. */
    uint32_t (*tsc_khz)(HvVcpu *vcpu);
    /* The VM-wide guest clock (kvmclock), in ns: read at vm.pause and
     * written back at vm.resume, so that the guest's time stands still
     * while it is paused (as CH does).  Optional (NULL: time runs on). */
    int (*get_clock)(Hv *hv, uint64_t *ns);
    int (*set_clock)(Hv *hv, uint64_t ns);

    /* Snapshot and restore (daemon/snapshot-cpu.c).  They may also run on
     * the control thread while every vCPU thread is parked or stopped:
     * KVM serialises vCPU ioctls per vCPU, and a parked vCPU is not in
     * KVM_RUN. */
    /* The MSRs the backend can save and restore (KVM_GET_MSR_INDEX_LIST;
     * transfer full, g_free). */
    int (*msr_index_list)(Hv *hv, uint32_t **indices, unsigned *n);
    /* Reads msrs[i].data for each msrs[i].index; returns how many were
     * read, in order (KVM stops at the first one it cannot read), or
     * -errno. */
    int (*get_msrs)(HvVcpu *vcpu, struct kvm_msr_entry *msrs, unsigned n);
    int (*get_debugregs)(HvVcpu *vcpu, struct kvm_debugregs *dregs);
    int (*set_debugregs)(HvVcpu *vcpu, const struct kvm_debugregs *dregs);
    /* Sets the guest TSC frequency (KVM_SET_TSC_KHZ): a restored guest
     * keeps the frequency it calibrated against. */
    int (*set_tsc_khz)(HvVcpu *vcpu, uint32_t khz);

    /* Live migration (daemon/migration-dirty.c).  Copies into @bitmap the
     * pages of memory slot @slot the vCPUs wrote since the last call (bit
     * n of word w is page 64 * w + n of the slot, 4 KiB pages) and clears
     * them (KVM_GET_DIRTY_LOG).  The slot must have been registered with
     * HV_MEM_LOG_DIRTY; @bitmap holds (pages + 63) / 64 words.  Any
     * thread. */
    int (*get_dirty_log)(Hv *hv, uint32_t slot, uint64_t *bitmap);
} HvOps;

/* The backend for this host: KVM.  Tests use hv_fake_ops. */
extern const HvOps hv_kvm_ops;
extern const HvOps hv_fake_ops;
