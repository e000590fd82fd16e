/* SPDX-License-Identifier: Apache-2.0 */
/* Fuzz target: i8042 port accesses (port B, data, command), snapshots. */
#include <config.h>

#include <stddef.h>
#include <stdint.h>
#include <gio/gio.h>

#include "devices/legacy/legacy.h"
#include "tests/fuzz/access-records.h"
#include "tests/unit/fake-vm.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Input: access records (tests/fuzz/access-records.h).  The special record
 * checks that the state saves and restores to itself. */
static void
special(gpointer opaque, uint8_t arg, uint32_t value)
{
    VmmDevice *dev = opaque;

    (void)arg;
    (void)value;
    /* The saved state must restore to itself whatever the guest did. */
    fake_host_check_save_restore(dev, dev);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    g_autoptr(FakeHost) vm = fake_host_new(0);
    VmmDevice *dev = i8042_new(fake_host_base(vm), "__i8042");

    g_assert_true(fake_host_add(vm, dev, NULL));
    fuzz_access_run(vm, dev, FUZZ_ACCESS_PIO, I8042_BASE, data, size, special,
                    dev);
    return 0;
}
