/* SPDX-License-Identifier: Apache-2.0 */
/* x86 CPUID for guests: host-supported leaves, filtered, with our topology. */
#include <config.h>

#include <string.h>

#include "arch/x86_64/cpuid.h"
#include "arch/x86_64/topology.h"

/* Leaf numbers and fields (Intel SDM vol. 2A "CPUID"; AMD APM vol. 3). */
#define CPUID_FEATURES        0x1
#define CPUID_CACHE_PARAMS    0x4
#define CPUID_TOPOLOGY        0xb
#define CPUID_TOPOLOGY_V2     0x1f
#define CPUID_HV_BASE         0x40000000
#define CPUID_HV_FEATURES     0x40000001
#define CPUID_HV_TIMING       0x40000010
#define CPUID_EXT_FEATURES    0x80000001
#define CPUID_EXT_ADDR_SIZE   0x80000008
#define CPUID_SVM_FEATURES    0x8000000a
#define CPUID_AMD_EXT_APIC    0x8000001e

#define CPUID1_ECX_HYPERVISOR (1u << 31)
#define CPUID1_EDX_HTT        (1u << 28)
#define CPUID1_ECX_VMX        (1u << 5)
#define CPUID_EXT_ECX_SVM     (1u << 2)

/* KVM PV feature bit (Documentation/virt/kvm/x86/cpuid.rst). */
#define KVM_PV_ASYNC_PF_VMEXIT (1u << 10)

/* Level types of leaves 0xb/0x1f (ECX[15:8]). */
#define TOPO_LEVEL_INVALID 0
#define TOPO_LEVEL_SMT     1
#define TOPO_LEVEL_CORE    2
#define TOPO_LEVEL_DIE     5

/* KVM APIC timer: one tick per nanosecond (KVM's APIC_BUS_CYCLE_NS). */
#define KVM_APIC_BUS_KHZ 1000000

uint32_t
x86_apic_id(const X86Topology *t, uint32_t index)
{
    return x86_topology_apic_id(index, t->threads_per_core, t->cores_per_die,
                                t->dies_per_package);
}

struct kvm_cpuid_entry2 *
x86_cpuid_find(GArray *table, uint32_t function, uint32_t index)
{
    for (guint i = 0; i < table->len; i++) {
        struct kvm_cpuid_entry2 *e =
            &g_array_index(table, struct kvm_cpuid_entry2, i);

        if (e->function != function)
            continue;
        if (!(e->flags & KVM_CPUID_FLAG_SIGNIFCANT_INDEX) || e->index == index)
            return e;
    }
    return NULL;
}

static void
cpuid_remove(GArray *table, uint32_t function)
{
    for (guint i = table->len; i > 0; i--) {
        if (g_array_index(table, struct kvm_cpuid_entry2, i - 1).function ==
            function)
            g_array_remove_index(table, i - 1);
    }
}

static void
cpuid_add(GArray *table, uint32_t function, uint32_t index, bool indexed,
          uint32_t eax, uint32_t ebx, uint32_t ecx, uint32_t edx)
{
    struct kvm_cpuid_entry2 e = {
        .function = function,
        .index = index,
        .flags = indexed ? KVM_CPUID_FLAG_SIGNIFCANT_INDEX : 0,
        .eax = eax, .ebx = ebx, .ecx = ecx, .edx = edx,
    };

    g_array_append_val(table, e);
}

/* Leaves 0xb and 0x1f: one subleaf per level, then an invalid level.  The
 * shift of each level is the number of low x2APIC ID bits below the next
 * level (SDM: "Extended Topology Enumeration Leaf"). */
static void
cpuid_add_topology(GArray *table, uint32_t leaf, const X86Topology *t,
                   uint32_t apic_id, bool with_die)
{
    unsigned tb = x86_topology_field_width(t->threads_per_core);
    unsigned cb = x86_topology_field_width(t->cores_per_die);
    unsigned db = x86_topology_field_width(t->dies_per_package);
    uint32_t sub = 0;

    cpuid_add(table, leaf, sub, true, tb, t->threads_per_core,
              sub | TOPO_LEVEL_SMT << 8, apic_id);
    sub++;
    if (with_die) {
        cpuid_add(table, leaf, sub, true, tb + cb,
                  t->threads_per_core * t->cores_per_die,
                  sub | TOPO_LEVEL_CORE << 8, apic_id);
        sub++;
        cpuid_add(table, leaf, sub, true, tb + cb + db,
                  t->threads_per_core * t->cores_per_die * t->dies_per_package,
                  sub | TOPO_LEVEL_DIE << 8, apic_id);
        sub++;
    } else {
        /* Leaf 0xb has no die level: the core level spans the package. */
        cpuid_add(table, leaf, sub, true, tb + cb + db,
                  t->threads_per_core * t->cores_per_die * t->dies_per_package,
                  sub | TOPO_LEVEL_CORE << 8, apic_id);
        sub++;
    }
    cpuid_add(table, leaf, sub, true, 0, 0, sub | TOPO_LEVEL_INVALID << 8,
              apic_id);
}

GArray *
x86_cpuid_build(const struct kvm_cpuid_entry2 *supported, unsigned n,
                const X86CpuidParams *p, uint32_t index)
{
    GArray *table = g_array_sized_new(FALSE, TRUE,
                                      sizeof(struct kvm_cpuid_entry2), n + 8);
    const X86Topology *t = &p->topo;
    uint32_t apic_id = x86_apic_id(t, index);
    uint32_t per_pkg = t->threads_per_core * t->cores_per_die *
                       t->dies_per_package;
    uint32_t cores_per_pkg = t->cores_per_die * t->dies_per_package;
    struct kvm_cpuid_entry2 *e;
    bool has_1f, has_amd_ext_apic;
    uint32_t max_basic = 0;

    g_array_append_vals(table, supported, n);
    if ((e = x86_cpuid_find(table, 0, 0)))
        max_basic = e->eax;
    has_1f = max_basic >= CPUID_TOPOLOGY_V2;
    has_amd_ext_apic = x86_cpuid_find(table, CPUID_AMD_EXT_APIC, 0) != NULL;

    if ((e = x86_cpuid_find(table, CPUID_FEATURES, 0))) {
        e->ebx = (e->ebx & 0x0000ffff) | (apic_id & 0xff) << 24 |
                 MIN(per_pkg, 255u) << 16;
        e->ecx |= CPUID1_ECX_HYPERVISOR;
        if (per_pkg > 1)
            e->edx |= CPUID1_EDX_HTT;
        else
            e->edx &= ~CPUID1_EDX_HTT;
    }

    /* nested=off (CH's --cpus nested): the guest sees no hardware
     * virtualisation, Intel's or AMD's, so it cannot run guests of its
     * own; KVM then refuses its VMXON/VMRUN as it would on such a CPU. */
    if (!p->nested) {
        if ((e = x86_cpuid_find(table, CPUID_FEATURES, 0)))
            e->ecx &= ~CPUID1_ECX_VMX;
        if ((e = x86_cpuid_find(table, CPUID_EXT_FEATURES, 0)))
            e->ecx &= ~CPUID_EXT_ECX_SVM;
        cpuid_remove(table, CPUID_SVM_FEATURES);
    }

    /* Deterministic cache parameters: who shares each cache level. */
    for (guint i = 0; i < table->len; i++) {
        e = &g_array_index(table, struct kvm_cpuid_entry2, i);
        if (e->function == CPUID_CACHE_PARAMS && (e->eax & 0x1f) != 0) {
            uint32_t level = (e->eax >> 5) & 0x7;
            uint32_t sharing = level >= 3 ? per_pkg : t->threads_per_core;

            e->eax &= 0x3fff;
            e->eax |= (MIN(sharing, 4096u) - 1) << 14;
            e->eax |= (MIN(cores_per_pkg, 64u) - 1) << 26;
        }
    }

    cpuid_remove(table, CPUID_TOPOLOGY);
    cpuid_add_topology(table, CPUID_TOPOLOGY, t, apic_id, false);
    cpuid_remove(table, CPUID_TOPOLOGY_V2);
    if (has_1f)
        cpuid_add_topology(table, CPUID_TOPOLOGY_V2, t, apic_id, true);

    if ((e = x86_cpuid_find(table, CPUID_EXT_ADDR_SIZE, 0))) {
        uint32_t host_bits = e->eax & 0xff;

        if (p->max_phys_bits && p->max_phys_bits < host_bits)
            e->eax = (e->eax & ~0xffu) | p->max_phys_bits;
        /* AMD: NC = logical processors per package - 1, and the APIC ID
         * bits that hold it. */
        e->ecx = (e->ecx & ~0xf0ffu) | (MIN(per_pkg, 256u) - 1) |
                 x86_topology_field_width(per_pkg) << 12;
    }
    if (has_amd_ext_apic && (e = x86_cpuid_find(table, CPUID_AMD_EXT_APIC, 0))) {
        uint32_t core = (index / t->threads_per_core) % cores_per_pkg;
        uint32_t pkg = index / per_pkg;

        e->eax = apic_id;
        e->ebx = (t->threads_per_core - 1) << 8 | (core & 0xff);
        e->ecx = pkg & 0xff;
        e->edx = 0;
    }

    /* KVM's PV features as QEMU's -cpu host offers them, for the same
     * guest behaviour in the same host (docs/testing.md, "Known
     * problems"): without async-PF-as-#PF-vmexit, which only a guest
     * that runs guests of its own uses and QEMU leaves off by default
     * (kvm-asyncpf-vmexit).  MSI_EXT_DEST_ID stays off as well: QEMU
     * sets it only with a userspace IOAPIC (split irqchip); ours is
     * KVM's, whose redirection entries have no extended ID bits. */
    if ((e = x86_cpuid_find(table, CPUID_HV_FEATURES, 0)))
        e->eax &= ~KVM_PV_ASYNC_PF_VMEXIT;

    /* Hypervisor leaves: keep KVM's signature and features (0x40000001)
     * and add the timing leaf that reports the TSC and APIC bus
     * frequencies, so the guest need not calibrate them. */
    if (p->tsc_khz && (e = x86_cpuid_find(table, CPUID_HV_BASE, 0))) {
        if (e->eax < CPUID_HV_TIMING)
            e->eax = CPUID_HV_TIMING;
        cpuid_remove(table, CPUID_HV_TIMING);
        cpuid_add(table, CPUID_HV_TIMING, 0, false, p->tsc_khz,
                  KVM_APIC_BUS_KHZ, 0, 0);
    }
    return table;
}
