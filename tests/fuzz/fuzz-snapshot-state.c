/* SPDX-License-Identifier: Apache-2.0 */
/* Fuzz target: a snapshot's state.json through the restore's strict readers. */
#include <config.h>

#include <stddef.h>
#include <stdint.h>
#include <gio/gio.h>

#include "daemon/hv/fake.h"
#include "daemon/snapshot-cpu.h"
#include "daemon/snapshot-memory.h"
#include "daemon/snapshot.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_VCPUS 2

/*
 * Input: state.json's text (user input: a snapshot directory can come from
 * anywhere).  It goes through what vm.restore does before the VM changes:
 * the top-level parse, then the "vm", "cpu-manager" and "memory-manager"
 * sections into a fake hypervisor with 2 vCPUs and a two-region memory
 * table (the layout tests/unit/test-snapshot.c writes its seeds with).  A
 * refusal is fine; a crash, an assertion or a sanitizer report is not.
 * What the readers accept is applied to the fake, whose setters take any
 * bytes (KVM checks them for real).
 */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static Hv *hv;
    static HvVcpu *vcpus[FUZZ_VCPUS];
    static GuestMemory mem = {
        .nregions = 2,
        .regions = {
            { .gpa = 0, .size = 3 << 20, .fd = -1 },
            { .gpa = 4ull << 30, .size = (1 << 20) + 8192, .fd = -1 },
        },
        .ram_size = (3 << 20) + (1 << 20) + 8192,
    };
    g_autoptr(JsonNode) root = NULL;
    g_autoptr(SnapshotCpus) cpus = NULL;
    g_autoptr(SnapshotVmHv) vm = NULL;
    g_autoptr(GError) error = NULL;
    JsonObject *o;

    if (!hv) {
        hv = hv_fake_ops.vm_new(NULL);
        for (unsigned i = 0; i < FUZZ_VCPUS; i++)
            vcpus[i] = hv_fake_ops.vcpu_new(hv, i, NULL);
    }
    root = snapshot_state_parse((const char *)data, (gssize)size, &error);
    if (!root) {
        g_assert_nonnull(error);
        return 0;
    }
    o = json_node_get_object(root);
    vm = snapshot_vm_hv_load(json_object_get_member(o, "vm"), &error);
    if (vm) {
        g_assert_true(snapshot_vm_hv_apply(vm, &hv_fake_ops, hv, &error));
        (void)snapshot_vm_hv_clock(vm, g_get_real_time() * 1000);
    }
    g_clear_error(&error);
    cpus = snapshot_cpus_load(&hv_fake_ops, hv,
                              json_object_get_member(o, "cpu-manager"),
                              FUZZ_VCPUS, &error);
    if (cpus)
        g_assert_true(snapshot_cpus_apply(cpus, &hv_fake_ops, vcpus, &error));
    else
        g_assert_nonnull(error);
    g_clear_error(&error);
    if (!snapshot_memory_table_check(json_object_get_member(o,
                                                            "memory-manager"),
                                     &mem, &error))
        g_assert_nonnull(error);
    return 0;
}
