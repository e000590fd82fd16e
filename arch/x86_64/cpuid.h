/* SPDX-License-Identifier: Apache-2.0 */
/* x86 CPUID for guests: host-supported leaves, filtered, with our topology. */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <glib.h>
#include <linux/kvm.h>

/* CPU topology as the guest sees it (CH's threads:cores:dies:packages). */
typedef struct {
    uint32_t threads_per_core;
    uint32_t cores_per_die;
    uint32_t dies_per_package;
    uint32_t packages;
} X86Topology;

typedef struct {
    X86Topology topo;
    uint32_t max_vcpus;
    uint8_t max_phys_bits;     /* 0: host value */
    uint32_t tsc_khz;          /* leaf 0x40000010; 0: leave the leaf out */
    bool nested;               /* false: VMX and SVM hidden (nested=off) */
} X86CpuidParams;

/* The x2APIC ID of vCPU @index (x86_topology_apic_id() with @topo): the
 * same IDs the MADT and the ACPI CPU objects use. */
uint32_t x86_apic_id(const X86Topology *topo, uint32_t index);

/**
 * x86_cpuid_build:
 * Returns the CPUID table for vCPU @index (transfer full, a GArray of
 * struct kvm_cpuid_entry2) from the host-supported @supported entries:
 * initial APIC IDs and logical counts in leaves 0x1/0x4/0xb/0x1f/
 * 0x8000001e/0x80000008, the hypervisor bit, max_phys_bits, and the
 * hypervisor leaves with TSC frequency leaf 0x40000010; without
 * @params->nested, no VMX or SVM.  Pure: unit tested.
 */
GArray *x86_cpuid_build(const struct kvm_cpuid_entry2 *supported, unsigned n,
                        const X86CpuidParams *params, uint32_t index);

/* Looks up (function, index) in a table built above; NULL if absent. */
struct kvm_cpuid_entry2 *x86_cpuid_find(GArray *table, uint32_t function,
                                        uint32_t index);
