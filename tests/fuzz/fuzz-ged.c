/* SPDX-License-Identifier: Apache-2.0 */
/* Fuzz target: ACPI GED MMIO accesses between event notifications. */
#include <config.h>

#include <stddef.h>
#include <stdint.h>
#include <gio/gio.h>

#include "devices/legacy/legacy.h"
#include "tests/fuzz/access-records.h"
#include "tests/unit/fake-vm.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Input: access records (tests/fuzz/access-records.h) at the GED window.  The
 * special record with an odd argument latches the events of its value
 * (including bits no event uses), with an even one checks that the state
 * saves and restores to itself. */
static void
special(gpointer opaque, uint8_t arg, uint32_t value)
{
    VmmDevice *dev = opaque;

    if (arg & 1) {
        ged_notify(dev, value);
        return;
    }
    fake_host_check_save_restore(dev, dev);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    g_autoptr(FakeHost) vm = fake_host_new(0);
    VmmDevice *dev = ged_new(fake_host_base(vm), "_ged");

    g_assert_true(fake_host_add(vm, dev, NULL));
    fuzz_access_run(vm, dev, FUZZ_ACCESS_MMIO, ged_get_mmio_base(dev), data,
                    size, special, dev);
    return 0;
}
