/* SPDX-License-Identifier: Apache-2.0 */
/* vCPU and VM-wide hypervisor state in snapshots: save, strict load, apply. */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <glib.h>
#include <json-glib/json-glib.h>

#include "daemon/hv/hv.h"

/*
 * Two sections of state.json, each a versioned VmmStateDesc table
 * (devices/state.h), so they are read by the same strict reader as device
 * state: "cpu-manager" (every vCPU: registers, xsave, LAPIC, every MSR the
 * backend can save, events, MP state, TSC frequency) and "vm" (the
 * in-kernel PIC and IOAPIC, the guest clock and the host's wall time when
 * it was read).  The KVM UAPI structures are kept as base64 of their bytes:
 * their layout is part of the kernel ABI.
 *
 * Loading is separate from applying: a load checks the whole section
 * (version, members, lengths, MSRs this host can restore) into a
 * SnapshotCpus / SnapshotVmHv, and only a fully checked one is applied.
 */

typedef struct SnapshotCpus SnapshotCpus;
typedef struct SnapshotVmHv SnapshotVmHv;

void snapshot_cpus_free(SnapshotCpus *cpus);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(SnapshotCpus, snapshot_cpus_free)
void snapshot_vm_hv_free(SnapshotVmHv *vm);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(SnapshotVmHv, snapshot_vm_hv_free)

/**
 * snapshot_cpus_save:
 * Reads the state of @n vCPUs, which must not be running (parked or never
 * started).  Returns: (transfer full) the "cpu-manager" section, or NULL.
 */
JsonNode *snapshot_cpus_save(const HvOps *ops, Hv *hv, HvVcpu *const *vcpus,
                             unsigned n, GError **error);
/**
 * snapshot_cpus_load:
 * Checks @node (borrowed) for a VM of @n vCPUs on this backend.  Errors
 * read "cpu-manager: field 'vcpus[1].msrs[3].index': ...".
 * Returns: (transfer full) the state, or NULL.
 */
SnapshotCpus *snapshot_cpus_load(const HvOps *ops, Hv *hv, JsonNode *node,
                                 unsigned n, GError **error);
/* Writes @cpus into the vCPUs (not running); errors name the vCPU and the
 * piece KVM refused. */
bool snapshot_cpus_apply(const SnapshotCpus *cpus, const HvOps *ops,
                         HvVcpu *const *vcpus, GError **error);

/**
 * snapshot_vm_hv_save:
 * The "vm" section: in-kernel interrupt controllers and @clock_ns, the
 * guest clock when the VM was paused.  Returns: (transfer full) or NULL.
 */
JsonNode *snapshot_vm_hv_save(const HvOps *ops, Hv *hv, uint64_t clock_ns,
                              GError **error);
SnapshotVmHv *snapshot_vm_hv_load(JsonNode *node, GError **error);
/* Restores the interrupt controllers. */
bool snapshot_vm_hv_apply(const SnapshotVmHv *vm, const HvOps *ops, Hv *hv,
                          GError **error);
/**
 * snapshot_vm_hv_clock:
 * The guest clock to resume with: the saved one advanced by the wall time
 * that passed since the snapshot (@now_ns, CLOCK_REALTIME), as CH and
 * QEMU do, so the guest's time moves on across a restore.
 */
uint64_t snapshot_vm_hv_clock(const SnapshotVmHv *vm, int64_t now_ns);
/* The wall time (ns) that passed between the snapshot and @now_ns. */
uint64_t snapshot_vm_hv_elapsed(const SnapshotVmHv *vm, int64_t now_ns);
/**
 * snapshot_cpus_advance_tsc:
 * Moves every vCPU's saved TSC on by @elapsed_ns at its own frequency: a
 * guest whose clocksource is the TSC (an invariant TSC makes Linux prefer
 * it to kvmclock) then sees the time that passed, as with kvmclock.  All
 * vCPUs move by the same amount, so KVM keeps them synchronised.
 */
void snapshot_cpus_advance_tsc(SnapshotCpus *cpus, uint64_t elapsed_ns);
