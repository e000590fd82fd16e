/* SPDX-License-Identifier: Apache-2.0 */
/* Fuzz target: port 0x80 progress codes, boot-time moves, snapshots. */
#include <config.h>

#include <stddef.h>
#include <stdint.h>
#include <gio/gio.h>

#include "devices/legacy/legacy.h"
#include "tests/fuzz/access-records.h"
#include "tests/unit/fake-vm.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Input: access records (tests/fuzz/access-records.h).  The special record
 * with an odd argument moves the boot time its value (microseconds) back,
 * as a VM restart does, with an even one saves the state and restores it
 * (times are boot-relative and run on, so a second save may differ). */
static void
special(gpointer opaque, uint8_t arg, uint32_t value)
{
    VmmDevice *dev = opaque;

    if (arg & 1) {
        debug_port_set_boot_time(dev, g_get_monotonic_time() -
                                          (int64_t)value);
        return;
    }
    fuzz_access_save_restore(dev);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    g_autoptr(FakeHost) vm = fake_host_new(0);
    VmmDevice *dev = debug_port_new(fake_host_base(vm), "__debug_port",
                                    g_get_monotonic_time());

    g_assert_true(fake_host_add(vm, dev, NULL));
    fuzz_access_run(vm, dev, FUZZ_ACCESS_PIO, DEBUG_PORT_BASE, data, size,
                    special, dev);
    return 0;
}
