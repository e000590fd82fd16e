/* SPDX-License-Identifier: Apache-2.0 */
/* Fuzz target: the ACPI CPU hotplug controller's registers between plugs and ejects. */
#include <config.h>

#include <stddef.h>
#include <stdint.h>
#include <gio/gio.h>

#include "devices/legacy/cpu-hotplug.h"
#include "devices/legacy/legacy.h"
#include "tests/fuzz/access-records.h"
#include "tests/unit/fake-vm.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_MAX_VCPUS 8

typedef struct {
    FakeHost *vm;
    VmmDevice *hp;
    uint32_t requested;     /* vCPUs asked to eject, not yet reported */
} FuzzCtx;

/* Whatever the guest writes, only requested vCPUs are ever reported, and
 * each once. */
static void
on_eject(uint32_t cpu, gpointer opaque)
{
    FuzzCtx *c = opaque;

    g_assert_cmpuint(cpu, <, FUZZ_MAX_VCPUS);
    g_assert_true(c->requested & (1u << cpu));
    c->requested &= ~(1u << cpu);
}

/* Input: access records (tests/fuzz/access-records.h) at the controller's
 * window.  The special record's argument picks the control-thread action
 * on vCPU value % (FUZZ_MAX_VCPUS + 2), out-of-range ones included: 0
 * plug, 1 request an eject, 2 run the control thread (reports), 3 reset,
 * 4 save and restore to itself. */
static void
special(gpointer opaque, uint8_t arg, uint32_t value)
{
    FuzzCtx *c = opaque;
    uint32_t cpu = value % (FUZZ_MAX_VCPUS + 2);

    switch (arg % 5) {
    case 0:
        cpu_hotplug_plug(c->hp, cpu, NULL);
        break;
    case 1:
        if (cpu_hotplug_request_eject(c->hp, cpu, NULL))
            c->requested |= 1u << cpu;
        break;
    case 2:
        fake_host_iterate(c->vm);
        break;
    case 3:
        /* The VM reboots with the vCPUs it has. */
        c->hp->ops->reset(c->hp);
        c->requested = 0;
        break;
    default: {
        /* A VM is restored with its present vCPUs, 0..n-1: only such a
         * state round-trips (the restore refuses others). */
        uint32_t n = 0;
        bool contiguous = true;

        while (n < FUZZ_MAX_VCPUS && cpu_hotplug_is_present(c->hp, n))
            n++;
        for (uint32_t i = n; i < FUZZ_MAX_VCPUS; i++)
            contiguous &= !cpu_hotplug_is_present(c->hp, i);
        if (!contiguous)
            break;
        fake_host_set_boot_vcpus(c->vm, n);
        fake_host_check_save_restore(c->hp, c->hp);
        /* A restore forgets the ejects in flight. */
        c->requested = 0;
        break;
    }
    }
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    g_autoptr(FakeHost) vm = fake_host_new(0);
    VmmDevice *ged = ged_new(fake_host_base(vm), "_ged");
    FuzzCtx c = { .vm = vm };

    g_assert_true(fake_host_add(vm, ged, NULL));
    c.hp = cpu_hotplug_new(fake_host_base(vm), "_cpu", ged, FUZZ_MAX_VCPUS,
                           1);
    g_assert_true(fake_host_add(vm, c.hp, NULL));
    cpu_hotplug_set_eject_handler(c.hp, on_eject, &c);
    fuzz_access_run(vm, c.hp, FUZZ_ACCESS_MMIO,
                    cpu_hotplug_get_mmio_base(c.hp), data, size, special, &c);
    fake_host_iterate(vm);
    return 0;
}
