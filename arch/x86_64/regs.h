/* SPDX-License-Identifier: Apache-2.0 */
/* x86 vCPU state: creation-time setup, boot registers, reset. */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <glib.h>

#include "arch/x86_64/cpuid.h"
#include "daemon/hv/hv.h"

/* A vCPU's architectural state as KVM holds it; what reset restores
 * (and what a snapshot will save). */
typedef struct {
    struct kvm_regs regs;
    struct kvm_sregs sregs;
    struct kvm_xsave xsave;
    struct kvm_xcrs xcrs;
    struct kvm_lapic_state lapic;
    uint32_t mp_state;
} X86VcpuState;

/**
 * x86_vcpu_init:
 * Once per vCPU after creation: CPUID from @params, LAPIC LINT0 as ExtINT
 * and LINT1 as NMI (so the in-kernel PIC and NMIs reach the BSP), the MSR
 * defaults.  Then captures the power-on state into @reset_state.
 */
bool x86_vcpu_init(const HvOps *ops, Hv *hv, HvVcpu *vcpu, uint32_t index,
                   const X86CpuidParams *params,
                   const struct kvm_cpuid_entry2 *supported, unsigned n,
                   X86VcpuState *reset_state, GError **error);

/* Puts a vCPU back to its power-on state (reboot): registers, FPU/xsave,
 * LAPIC, pending events, MSRs (kvmclock and other PV MSRs disabled so KVM
 * stops writing into guest memory), MP state. */
bool x86_vcpu_reset(const HvOps *ops, HvVcpu *vcpu,
                    const X86VcpuState *reset_state, GError **error);

/* Sets the boot vCPU's registers for a 32-bit protected-mode entry at
 * @entry with the flat boot GDT: PVH passes hvm_start_info in %rbx, the
 * Linux 32-bit boot protocol boot_params in %rsi (CH's contract). */
bool x86_vcpu_set_boot_regs(const HvOps *ops, HvVcpu *vcpu, uint64_t entry,
                            bool pvh, GError **error);
