/* SPDX-License-Identifier: Apache-2.0 */
/* vCPU and VM-wide hypervisor state in snapshots: save, strict load, apply. */
#include <config.h>

#include <errno.h>
#include <inttypes.h>
#include <string.h>
#include <gio/gio.h>

#include "daemon/snapshot-cpu.h"
#include "devices/state.h"

#define SECTION_CPUS "cpu-manager"
#define SECTION_VM "vm"
/* KVM lists a few hundred MSRs at most; the bound stops a state.json from
 * making us allocate without limit. */
#define SNAPSHOT_MAX_MSRS 1024
#define SNAPSHOT_MAX_VCPUS 4096
/* KVM_MP_STATE_RUNNABLE (0) .. KVM_MP_STATE_AP_RESET_HOLD (10) and room
 * for a few more: KVM itself refuses values it does not know. */
#define SNAPSHOT_MAX_MP_STATE 31
#define IRQCHIP_BYTES sizeof(((struct kvm_irqchip *)0)->chip)
/* SDM vol. 4, table 2-2: the time-stamp counter and the LAPIC timer's
 * TSC deadline. */
#define MSR_IA32_TSC 0x10
#define MSR_IA32_TSC_DEADLINE 0x6e0

typedef struct {
    uint32_t index;
    uint64_t data;
} SnapshotMsr;

typedef struct {
    uint32_t id;
    struct kvm_regs regs;
    struct kvm_sregs sregs;
    struct kvm_xsave xsave;
    struct kvm_xcrs xcrs;
    struct kvm_debugregs debugregs;
    struct kvm_lapic_state lapic;
    struct kvm_vcpu_events events;
    uint32_t mp_state;
    uint32_t tsc_khz;
    unsigned nmsrs;
    SnapshotMsr *msrs;
} SnapshotVcpu;

struct SnapshotCpus {
    unsigned nvcpus;
    SnapshotVcpu *vcpus;
};

struct SnapshotVmHv {
    uint64_t clock_ns;
    int64_t realtime_ns;
    uint8_t pic_master[IRQCHIP_BYTES];
    uint8_t pic_slave[IRQCHIP_BYTES];
    uint8_t ioapic[IRQCHIP_BYTES];
};

/* ---- Tables ------------------------------------------------------------- */

static const VmmStateField msr_fields[] = {
    VMM_STATE_UINT_FIELD(SnapshotMsr, index, 0, G_MAXUINT32),
    /* JSON integers are int64 here: the upper bit goes through the sign. */
    VMM_STATE_INT_FIELD(SnapshotMsr, data, G_MININT64, G_MAXINT64),
};

static const VmmStateDesc msr_desc = {
    .name = "msr",
    .size = sizeof(SnapshotMsr),
    .fields = msr_fields,
    .n_fields = G_N_ELEMENTS(msr_fields),
};

static const VmmStateField vcpu_fields[] = {
    VMM_STATE_UINT_FIELD(SnapshotVcpu, id, 0, SNAPSHOT_MAX_VCPUS - 1),
    VMM_STATE_BYTES_FIELD(SnapshotVcpu, regs),
    VMM_STATE_BYTES_FIELD(SnapshotVcpu, sregs),
    VMM_STATE_BYTES_FIELD(SnapshotVcpu, xsave),
    VMM_STATE_BYTES_FIELD(SnapshotVcpu, xcrs),
    VMM_STATE_BYTES_FIELD(SnapshotVcpu, debugregs),
    VMM_STATE_BYTES_FIELD(SnapshotVcpu, lapic),
    VMM_STATE_BYTES_FIELD(SnapshotVcpu, events),
    VMM_STATE_UINT_FIELD(SnapshotVcpu, mp_state, 0, SNAPSHOT_MAX_MP_STATE),
    /* 0: the backend did not say (the frequency is then left alone). */
    VMM_STATE_UINT_FIELD(SnapshotVcpu, tsc_khz, 0, G_MAXUINT32),
    { .name = "msrs", .type = VMM_STATE_STRUCT,
      .offset = offsetof(SnapshotVcpu, msrs),
      .flags = VMM_STATE_F_PTR | VMM_STATE_F_LEN,
      .len_off = offsetof(SnapshotVcpu, nmsrs), .desc = &msr_desc },
};

static const VmmStateDesc vcpu_desc = {
    .name = "vcpu",
    .size = sizeof(SnapshotVcpu),
    .fields = vcpu_fields,
    .n_fields = G_N_ELEMENTS(vcpu_fields),
};

static const VmmStateField cpus_fields[] = {
    { .name = "vcpus", .type = VMM_STATE_STRUCT,
      .offset = offsetof(SnapshotCpus, vcpus),
      .flags = VMM_STATE_F_PTR | VMM_STATE_F_LEN,
      .len_off = offsetof(SnapshotCpus, nvcpus), .desc = &vcpu_desc },
};

static const VmmStateDesc cpus_desc = {
    .name = SECTION_CPUS,
    .version = 1,
    .size = sizeof(SnapshotCpus),
    .fields = cpus_fields,
    .n_fields = G_N_ELEMENTS(cpus_fields),
};

static const VmmStateField vm_fields[] = {
    VMM_STATE_INT_FIELD(SnapshotVmHv, clock_ns, 0, G_MAXINT64),
    VMM_STATE_INT_FIELD(SnapshotVmHv, realtime_ns, 0, G_MAXINT64),
    VMM_STATE_BYTES_FIELD(SnapshotVmHv, pic_master),
    VMM_STATE_BYTES_FIELD(SnapshotVmHv, pic_slave),
    VMM_STATE_BYTES_FIELD(SnapshotVmHv, ioapic),
};

static const VmmStateDesc vm_desc = {
    .name = SECTION_VM,
    .version = 1,
    .size = sizeof(SnapshotVmHv),
    .fields = vm_fields,
    .n_fields = G_N_ELEMENTS(vm_fields),
};

/* ---- Helpers ------------------------------------------------------------ */

static bool
cpu_check(int r, unsigned vcpu, const char *what, GError **error)
{
    if (r >= 0)
        return true;
    g_set_error(error, G_IO_ERROR, g_io_error_from_errno(-r),
                "vCPU %u: cannot %s: %s", vcpu, what, g_strerror(-r));
    return false;
}

void
snapshot_cpus_free(SnapshotCpus *cpus)
{
    if (!cpus)
        return;
    for (unsigned i = 0; cpus->vcpus && i < cpus->nvcpus; i++)
        g_free(cpus->vcpus[i].msrs);
    g_free(cpus->vcpus);
    g_free(cpus);
}

void
snapshot_vm_hv_free(SnapshotVmHv *vm)
{
    g_free(vm);
}

/*
 * The MSRs to save: the backend's list filtered by what it really reads
 * (KVM lists MSRs that a given vCPU model lacks, and KVM_GET_MSRS stops
 * at the first one it cannot read).  Returns the count, entries in @out.
 */
static int
cpu_read_msrs(const HvOps *ops, HvVcpu *vcpu, const uint32_t *list,
              unsigned nlist, SnapshotMsr **out)
{
    g_autofree struct kvm_msr_entry *e =
        g_new0(struct kvm_msr_entry, MAX(nlist, 1));
    unsigned n = 0;
    int r;

    for (unsigned i = 0; i < nlist && n < SNAPSHOT_MAX_MSRS; i++)
        e[n++].index = list[i];
    while ((r = ops->get_msrs(vcpu, e, n)) >= 0 && (unsigned)r < n) {
        /* Entry r is unreadable: drop it and read again. */
        memmove(&e[r], &e[r + 1], (n - (unsigned)r - 1) * sizeof(*e));
        n--;
    }
    if (r < 0)
        return r;
    *out = g_new0(SnapshotMsr, MAX(n, 1));
    for (unsigned i = 0; i < n; i++) {
        (*out)[i].index = e[i].index;
        (*out)[i].data = e[i].data;
    }
    return (int)n;
}

/* ---- vCPUs -------------------------------------------------------------- */

static bool
cpu_save_one(const HvOps *ops, HvVcpu *vcpu, unsigned i, const uint32_t *list,
             unsigned nlist, SnapshotVcpu *st, GError **error)
{
    int r;

    st->id = i;
    if (!cpu_check(ops->get_regs(vcpu, &st->regs), i, "read registers",
                   error) ||
        !cpu_check(ops->get_sregs(vcpu, &st->sregs), i,
                   "read special registers", error) ||
        !cpu_check(ops->get_xsave(vcpu, &st->xsave), i, "read xsave", error) ||
        !cpu_check(ops->get_xcrs(vcpu, &st->xcrs), i, "read XCRs", error) ||
        !cpu_check(ops->get_debugregs(vcpu, &st->debugregs), i,
                   "read debug registers", error) ||
        !cpu_check(ops->get_lapic(vcpu, &st->lapic), i, "read the LAPIC",
                   error) ||
        !cpu_check(ops->get_vcpu_events(vcpu, &st->events), i,
                   "read pending events", error) ||
        !cpu_check(ops->get_mp_state(vcpu, &st->mp_state), i,
                   "read the MP state", error))
        return false;
    st->tsc_khz = ops->tsc_khz ? ops->tsc_khz(vcpu) : 0;
    r = cpu_read_msrs(ops, vcpu, list, nlist, &st->msrs);
    if (!cpu_check(r, i, "read MSRs", error))
        return false;
    st->nmsrs = (unsigned)r;
    return true;
}

JsonNode *
snapshot_cpus_save(const HvOps *ops, Hv *hv, HvVcpu *const *vcpus, unsigned n,
                   GError **error)
{
    g_autoptr(SnapshotCpus) cpus = g_new0(SnapshotCpus, 1);
    g_autofree uint32_t *list = NULL;
    unsigned nlist = 0;
    int r;

    r = ops->msr_index_list(hv, &list, &nlist);
    if (r < 0) {
        g_set_error(error, G_IO_ERROR, g_io_error_from_errno(-r),
                    "cannot list the MSRs to save: %s", g_strerror(-r));
        return NULL;
    }
    cpus->nvcpus = n;
    cpus->vcpus = g_new0(SnapshotVcpu, MAX(n, 1));
    for (unsigned i = 0; i < n; i++) {
        if (!cpu_save_one(ops, vcpus[i], i, list, nlist, &cpus->vcpus[i],
                          error))
            return NULL;
    }
    return vmm_state_save(&cpus_desc, cpus);
}

/* The length of the array member @name of @obj, bounded by @max; the
 * caller sizes the state struct with it before the strict load, which
 * then checks every element.  A missing or non-array member is left to the
 * load to refuse (length 0 then fails its length check or type check). */
static unsigned
cpu_array_len(JsonObject *obj, const char *name, unsigned max)
{
    JsonNode *m = obj ? json_object_get_member(obj, name) : NULL;

    if (!m || !JSON_NODE_HOLDS_ARRAY(m))
        return 0;
    return MIN(json_array_get_length(json_node_get_array(m)), max);
}

/* Every MSR must be one this backend can restore. */
static bool
cpu_check_msrs(const SnapshotCpus *cpus, const uint32_t *list, unsigned nlist,
               GError **error)
{
    for (unsigned i = 0; i < cpus->nvcpus; i++) {
        const SnapshotVcpu *v = &cpus->vcpus[i];

        if (v->id != i) {
            g_autofree char *f = g_strdup_printf("vcpus[%u].id", i);
            vmm_state_error(error, SECTION_CPUS, f, "expected %u, got %u", i,
                            v->id);
            return false;
        }
        for (unsigned j = 0; j < v->nmsrs; j++) {
            bool known = false;

            for (unsigned k = 0; k < nlist && !known; k++)
                known = list[k] == v->msrs[j].index;
            if (!known) {
                g_autofree char *f =
                    g_strdup_printf("vcpus[%u].msrs[%u].index", i, j);
                vmm_state_error(error, SECTION_CPUS, f,
                                "MSR 0x%" PRIx32 " cannot be restored on "
                                "this host", v->msrs[j].index);
                return false;
            }
        }
    }
    return true;
}

SnapshotCpus *
snapshot_cpus_load(const HvOps *ops, Hv *hv, JsonNode *node, unsigned n,
                   GError **error)
{
    g_autoptr(SnapshotCpus) cpus = g_new0(SnapshotCpus, 1);
    JsonObject *obj = JSON_NODE_HOLDS_OBJECT(node) ? json_node_get_object(node)
                                                   : NULL;
    JsonNode *arr = obj ? json_object_get_member(obj, "vcpus") : NULL;
    g_autofree uint32_t *list = NULL;
    unsigned nlist = 0;
    int r;

    /* The config decides the vCPU count; the state must match it. */
    cpus->nvcpus = n;
    cpus->vcpus = g_new0(SnapshotVcpu, MAX(n, 1));
    for (unsigned i = 0; arr && JSON_NODE_HOLDS_ARRAY(arr) && i < n &&
                         i < json_array_get_length(json_node_get_array(arr));
         i++) {
        JsonNode *v = json_array_get_element(json_node_get_array(arr), i);
        JsonObject *vo = JSON_NODE_HOLDS_OBJECT(v) ? json_node_get_object(v)
                                                   : NULL;

        cpus->vcpus[i].nmsrs = cpu_array_len(vo, "msrs", SNAPSHOT_MAX_MSRS);
        cpus->vcpus[i].msrs = g_new0(SnapshotMsr,
                                     MAX(cpus->vcpus[i].nmsrs, 1));
    }
    for (unsigned i = 0; i < n; i++) {
        if (!cpus->vcpus[i].msrs)
            cpus->vcpus[i].msrs = g_new0(SnapshotMsr, 1);
    }
    if (!vmm_state_load(&cpus_desc, node, SECTION_CPUS, cpus, error))
        return NULL;
    r = ops->msr_index_list(hv, &list, &nlist);
    if (r < 0) {
        g_set_error(error, G_IO_ERROR, g_io_error_from_errno(-r),
                    "cannot list the MSRs this host restores: %s",
                    g_strerror(-r));
        return NULL;
    }
    if (!cpu_check_msrs(cpus, list, nlist, error))
        return NULL;
    return g_steal_pointer(&cpus);
}

/* Sets @n MSRs; an MSR KVM refuses is named. */
static bool
cpu_set_msrs(const HvOps *ops, HvVcpu *vcpu, unsigned i,
             const struct kvm_msr_entry *e, unsigned n, GError **error)
{
    int r = ops->set_msrs(vcpu, e, n);

    if (!cpu_check(r, i, "restore MSRs", error))
        return false;
    if ((unsigned)r < n) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                    "vCPU %u: MSR 0x%" PRIx32 " was refused (value 0x%"
                    PRIx64 ")", i, e[r].index, (uint64_t)e[r].data);
        return false;
    }
    return true;
}

/* QEMU's order (kvm_arch_put_registers): xsave and XCRs before the
 * special registers, MSRs after them (EFER, APIC base), then MP state,
 * LAPIC, the TSC deadline (KVM drops it unless the LAPIC timer is
 * already in TSC-deadline mode), pending events and debug registers. */
static bool
cpu_apply_one(const SnapshotVcpu *st, const HvOps *ops, HvVcpu *vcpu,
              unsigned i, GError **error)
{
    g_autofree struct kvm_msr_entry *e =
        g_new0(struct kvm_msr_entry, MAX(st->nmsrs, 1));
    struct kvm_msr_entry deadline = { .index = MSR_IA32_TSC_DEADLINE };
    bool has_deadline = false;
    unsigned n = 0;

    /* Only when it differs: a host without TSC scaling refuses any set,
     * even of its own frequency. */
    if (st->tsc_khz && ops->tsc_khz && ops->tsc_khz(vcpu) != st->tsc_khz &&
        !cpu_check(ops->set_tsc_khz(vcpu, st->tsc_khz), i,
                   "set the TSC frequency", error))
        return false;
    if (!cpu_check(ops->set_regs(vcpu, &st->regs), i, "restore registers",
                   error) ||
        !cpu_check(ops->set_xsave(vcpu, &st->xsave), i, "restore xsave",
                   error) ||
        !cpu_check(ops->set_xcrs(vcpu, &st->xcrs), i, "restore XCRs", error) ||
        !cpu_check(ops->set_sregs(vcpu, &st->sregs), i,
                   "restore special registers", error))
        return false;
    for (unsigned j = 0; j < st->nmsrs; j++) {
        if (st->msrs[j].index == MSR_IA32_TSC_DEADLINE) {
            deadline.data = st->msrs[j].data;
            has_deadline = true;
            continue;
        }
        e[n].index = st->msrs[j].index;
        e[n].data = st->msrs[j].data;
        n++;
    }
    return cpu_set_msrs(ops, vcpu, i, e, n, error) &&
           cpu_check(ops->set_mp_state(vcpu, st->mp_state), i,
                     "restore the MP state", error) &&
           cpu_check(ops->set_lapic(vcpu, &st->lapic), i,
                     "restore the LAPIC", error) &&
           (!has_deadline ||
            cpu_set_msrs(ops, vcpu, i, &deadline, 1, error)) &&
           cpu_check(ops->set_vcpu_events(vcpu, &st->events), i,
                     "restore pending events", error) &&
           cpu_check(ops->set_debugregs(vcpu, &st->debugregs), i,
                     "restore debug registers", error);
}

bool
snapshot_cpus_apply(const SnapshotCpus *cpus, const HvOps *ops,
                    HvVcpu *const *vcpus, GError **error)
{
    for (unsigned i = 0; i < cpus->nvcpus; i++) {
        if (!cpu_apply_one(&cpus->vcpus[i], ops, vcpus[i], i, error))
            return false;
    }
    return true;
}

/* ---- VM-wide ------------------------------------------------------------ */

static const struct {
    uint32_t chip;
    size_t offset;
    const char *name;
} irqchips[] = {
    { KVM_IRQCHIP_PIC_MASTER, offsetof(SnapshotVmHv, pic_master),
      "the master PIC" },
    { KVM_IRQCHIP_PIC_SLAVE, offsetof(SnapshotVmHv, pic_slave),
      "the slave PIC" },
    { KVM_IRQCHIP_IOAPIC, offsetof(SnapshotVmHv, ioapic), "the IOAPIC" },
};

static bool
vm_hv_check(int r, const char *what, const char *chip, GError **error)
{
    if (r >= 0)
        return true;
    g_set_error(error, G_IO_ERROR, g_io_error_from_errno(-r),
                "cannot %s %s: %s", what, chip, g_strerror(-r));
    return false;
}

JsonNode *
snapshot_vm_hv_save(const HvOps *ops, Hv *hv, uint64_t clock_ns,
                    GError **error)
{
    g_autoptr(SnapshotVmHv) st = g_new0(SnapshotVmHv, 1);

    st->clock_ns = clock_ns;
    st->realtime_ns = g_get_real_time() * 1000;
    for (unsigned i = 0; i < G_N_ELEMENTS(irqchips); i++) {
        struct kvm_irqchip chip = { .chip_id = irqchips[i].chip };

        if (!vm_hv_check(ops->get_irqchip(hv, &chip), "read",
                         irqchips[i].name, error))
            return NULL;
        memcpy((uint8_t *)st + irqchips[i].offset, &chip.chip, IRQCHIP_BYTES);
    }
    return vmm_state_save(&vm_desc, st);
}

SnapshotVmHv *
snapshot_vm_hv_load(JsonNode *node, GError **error)
{
    g_autoptr(SnapshotVmHv) st = g_new0(SnapshotVmHv, 1);

    if (!vmm_state_load(&vm_desc, node, SECTION_VM, st, error))
        return NULL;
    return g_steal_pointer(&st);
}

bool
snapshot_vm_hv_apply(const SnapshotVmHv *st, const HvOps *ops, Hv *hv,
                     GError **error)
{
    for (unsigned i = 0; i < G_N_ELEMENTS(irqchips); i++) {
        struct kvm_irqchip chip = { .chip_id = irqchips[i].chip };

        memcpy(&chip.chip, (const uint8_t *)st + irqchips[i].offset,
               IRQCHIP_BYTES);
        if (!vm_hv_check(ops->set_irqchip(hv, &chip), "restore",
                         irqchips[i].name, error))
            return false;
    }
    return true;
}

uint64_t
snapshot_vm_hv_elapsed(const SnapshotVmHv *st, int64_t now_ns)
{
    /* A wall clock that went backwards does not take the guest's back. */
    return now_ns > st->realtime_ns ? (uint64_t)(now_ns - st->realtime_ns) : 0;
}

uint64_t
snapshot_vm_hv_clock(const SnapshotVmHv *st, int64_t now_ns)
{
    return st->clock_ns + snapshot_vm_hv_elapsed(st, now_ns);
}

void
snapshot_cpus_advance_tsc(SnapshotCpus *cpus, uint64_t elapsed_ns)
{
    for (unsigned i = 0; i < cpus->nvcpus; i++) {
        SnapshotVcpu *v = &cpus->vcpus[i];
        /* kHz * ns / 10^6 = ticks; in two steps, so that neither a long
         * absence nor a fast TSC overflows 64 bits. */
        uint64_t ticks = (elapsed_ns / 1000000) * v->tsc_khz +
                         (elapsed_ns % 1000000) * v->tsc_khz / 1000000;

        for (unsigned j = 0; j < v->nmsrs; j++) {
            if (v->msrs[j].index == MSR_IA32_TSC)
                v->msrs[j].data += ticks;
        }
    }
}
