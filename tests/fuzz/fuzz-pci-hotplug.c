/* SPDX-License-Identifier: Apache-2.0 */
/* Fuzz target: the ACPI PCI hotplug controller's registers between plugs and ejects. */
#include <config.h>

#include <stddef.h>
#include <stdint.h>
#include <gio/gio.h>

#include "devices/legacy/legacy.h"
#include "devices/pci/pci-hotplug.h"
#include "tests/fuzz/access-records.h"
#include "tests/unit/fake-vm.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

typedef struct {
    FakeHost *vm;
    VmmDevice *hp;
    uint32_t requested;     /* slots asked to eject, not yet reported */
} FuzzCtx;

/* Whatever the guest writes, only requested slots are ever reported. */
static void
on_eject(unsigned segment, uint32_t slots, gpointer opaque)
{
    FuzzCtx *c = opaque;

    g_assert_cmpuint(segment, ==, 0);
    g_assert_cmphex(slots & ~c->requested, ==, 0);
    c->requested &= ~slots;
}

/* Input: access records (tests/fuzz/access-records.h) at the controller's
 * window.  The special record's argument picks the control-thread action
 * on slot value % 33 (out-of-range slots included): 0 plug, 1 request an
 * eject, 2 cancel it, 3 run the control thread (reports), 4 save and
 * restore to itself. */
static void
special(gpointer opaque, uint8_t arg, uint32_t value)
{
    FuzzCtx *c = opaque;
    unsigned slot = value % 33;

    switch (arg % 5) {
    case 0:
        pci_hotplug_plug(c->hp, 0, slot, NULL);
        break;
    case 1:
        if (pci_hotplug_request_eject(c->hp, 0, slot, NULL))
            c->requested |= 1u << slot;
        break;
    case 2:
        if (slot < 32 && pci_hotplug_cancel_eject(c->hp, 0, slot))
            c->requested &= ~(1u << slot);
        break;
    case 3:
        fake_host_iterate(c->vm);
        break;
    default:
        fake_host_check_save_restore(c->hp, c->hp);
        /* A restore forgets the ejects in flight. */
        c->requested = 0;
        break;
    }
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    g_autoptr(FakeHost) vm = fake_host_new(0);
    VmmDevice *ged = ged_new(fake_host_base(vm), "_ged");
    FuzzCtx c = { .vm = vm };

    g_assert_true(fake_host_add(vm, ged, NULL));
    c.hp = pci_hotplug_new(fake_host_base(vm), "_pci_hotplug", ged);
    g_assert_true(fake_host_add(vm, c.hp, NULL));
    pci_hotplug_set_eject_handler(c.hp, on_eject, &c);
    fuzz_access_run(vm, c.hp, FUZZ_ACCESS_MMIO,
                    pci_hotplug_get_mmio_base(c.hp), data, size, special, &c);
    fake_host_iterate(vm);
    return 0;
}
