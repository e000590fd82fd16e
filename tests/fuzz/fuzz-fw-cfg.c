/* SPDX-License-Identifier: Apache-2.0 */
/* Fuzz target: fw_cfg's selector, data and DMA ports, with guest-written DMA structures. */
#include <config.h>

#include <stddef.h>
#include <stdint.h>
#include <gio/gio.h>

#include "devices/legacy/fw-cfg.h"
#include "tests/fuzz/access-records.h"
#include "tests/unit/fake-vm.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define RAM (1u << 20)

typedef struct {
    FakeHost *vm;
    VmmDevice *dev;
} Ctx;

/* Input: access records (tests/fuzz/access-records.h) on the ports.  The
 * special record writes its value, big endian, into guest memory at
 * 0x1000 + 4 * (arg & 7), where DMA structures (and their buffers) are
 * built; arg 15 saves the state and restores it. */
static void
special(gpointer opaque, uint8_t arg, uint32_t value)
{
    Ctx *c = opaque;
    uint32_t be = GUINT32_TO_BE(value);

    if (arg == 15) {
        fake_host_check_save_restore(c->dev, c->dev);
        return;
    }
    g_assert_cmpint(guest_mem_write(fake_host_get_memory(c->vm),
                                    0x1000 + 4 * (arg & 7), &be, 4), ==, 0);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    g_autoptr(FakeHost) vm = fake_host_new(RAM);
    VmmDevice *dev = fw_cfg_new(fake_host_base(vm), FW_CFG_ID);
    g_autoptr(GBytes) a = g_bytes_new_static("hello", 5);
    g_autoptr(GBytes) b = g_bytes_new_take(g_malloc0(5000), 5000);
    Ctx c = { vm, dev };

    g_assert_true(fw_cfg_add_file(dev, "opt/a", a, NULL));
    g_assert_true(fw_cfg_add_file(dev, "opt/b", b, NULL));
    g_assert_true(fake_host_add(vm, dev, NULL));
    fuzz_access_run(vm, dev, FUZZ_ACCESS_PIO, FW_CFG_PIO_BASE, data, size,
                    special, &c);
    return 0;
}
