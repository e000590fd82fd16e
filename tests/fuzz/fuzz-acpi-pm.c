/* SPDX-License-Identifier: Apache-2.0 */
/* Fuzz target: ACPI PM sleep/reset register and PM timer accesses, snapshots. */
#include <config.h>

#include <stddef.h>
#include <stdint.h>
#include <gio/gio.h>

#include "devices/legacy/legacy.h"
#include "tests/fuzz/access-records.h"
#include "tests/unit/fake-vm.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Input: access records (tests/fuzz/access-records.h).  The special record
 * saves the state and restores it (the PM timer runs on in between, so
 * the second save may differ). */
static void
special(gpointer opaque, uint8_t arg, uint32_t value)
{
    VmmDevice *dev = opaque;

    (void)arg;
    (void)value;
    fuzz_access_save_restore(dev);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    g_autoptr(FakeHost) vm = fake_host_new(0);
    VmmDevice *dev = acpi_pm_new(fake_host_base(vm), "__acpi_pm");

    g_assert_true(fake_host_add(vm, dev, NULL));
    fuzz_access_run(vm, dev, FUZZ_ACCESS_PIO, ACPI_PM_BASE, data, size, special,
                    dev);
    return 0;
}
