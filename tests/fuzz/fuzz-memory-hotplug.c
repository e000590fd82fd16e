/* SPDX-License-Identifier: Apache-2.0 */
/* Fuzz target: the ACPI memory hotplug controller between plugs, resets and restores. */
#include <config.h>

#include <stddef.h>
#include <stdint.h>
#include <gio/gio.h>

#include "devices/legacy/legacy.h"
#include "devices/legacy/memory-hotplug.h"
#include "tests/fuzz/access-records.h"
#include "tests/unit/fake-vm.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_SLOT (128ULL << 20)
#define FUZZ_NSLOTS 8
#define FUZZ_REGION_GPA (4ULL << 30)

typedef struct {
    FakeHost *vm;
    VmmDevice *hp;
    uint64_t plugged;       /* what the control thread plugged */
} FuzzCtx;

/* Input: access records (tests/fuzz/access-records.h) at the controller's
 * window.  The special record's argument picks the control-thread action:
 * 0 plug value % (FUZZ_NSLOTS + 2) slots' worth (refused ones included),
 * 1 plug value bytes as they come, 2 save and restore to itself. */
static void
special(gpointer opaque, uint8_t arg, uint32_t value)
{
    FuzzCtx *c = opaque;
    uint64_t bytes;
    bool ok;

    switch (arg % 3) {
    case 0:
    case 1:
        bytes = arg % 3 == 0 ? (value % (FUZZ_NSLOTS + 2)) * FUZZ_SLOT
                             : (uint64_t)value << 12;
        ok = memory_hotplug_plug(c->hp, bytes, NULL);
        /* Accepted exactly when the rules say so, and only then does
         * anything change. */
        g_assert_true(ok == (bytes % FUZZ_SLOT == 0 &&
                             bytes <= FUZZ_NSLOTS * FUZZ_SLOT &&
                             bytes >= c->plugged));
        if (ok)
            c->plugged = bytes;
        break;
    default:
        fake_host_check_save_restore(c->hp, c->hp);
        break;
    }
    /* Whatever the guest wrote, the DIMMs are the VMM's. */
    g_assert_cmpuint(memory_hotplug_plugged(c->hp), ==, c->plugged);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    g_autoptr(FakeHost) vm = fake_host_new(0);
    VmmDevice *ged = ged_new(fake_host_base(vm), "_ged");
    FuzzCtx c = { .vm = vm, .plugged = FUZZ_SLOT };

    g_assert_true(fake_host_add(vm, ged, NULL));
    c.hp = memory_hotplug_new(fake_host_base(vm), MEMORY_HOTPLUG_ID, ged,
                              FUZZ_REGION_GPA, FUZZ_NSLOTS * FUZZ_SLOT,
                              FUZZ_SLOT, FUZZ_SLOT);
    g_assert_true(fake_host_add(vm, c.hp, NULL));
    fuzz_access_run(vm, c.hp, FUZZ_ACCESS_MMIO,
                    memory_hotplug_get_mmio_base(c.hp), data, size, special,
                    &c);
    g_assert_cmpuint(memory_hotplug_plugged(c.hp), ==, c.plugged);
    fake_host_iterate(vm);
    return 0;
}
