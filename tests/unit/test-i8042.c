/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests for the i8042 reset-only keyboard controller. */
#include <config.h>

#include <gio/gio.h>

#include "devices/legacy/legacy.h"
#include "tests/unit/fake-vm.h"

static void
test_reset_command(void)
{
    g_autoptr(FakeHost) vm = fake_host_new(0);
    VmmDevice *dev = i8042_new(fake_host_base(vm), "__i8042");

    g_assert_true(fake_host_add(vm, dev, NULL));
    /* Other commands do nothing. */
    fake_host_outb(vm, 0x64, 0x20);
    fake_host_outb(vm, 0x64, 0xad);
    g_assert_cmpuint(fake_host_reset_requests(vm), ==, 0);
    fake_host_outb(vm, 0x64, I8042_CMD_RESET_CPU);
    g_assert_cmpuint(fake_host_reset_requests(vm), ==, 1);
    g_assert_cmpuint(fake_host_poweroff_requests(vm), ==, 0);
}

static void
test_ports(void)
{
    g_autoptr(FakeHost) vm = fake_host_new(0);
    VmmDevice *dev = i8042_new(fake_host_base(vm), "__i8042");

    g_assert_true(fake_host_add(vm, dev, NULL));
    /* Status: no data, ready for commands (what a probe expects). */
    g_assert_cmphex(fake_host_inb(vm, 0x64), ==, 0x00);
    /* Port B: writable low bits, timer 2 output high. */
    g_assert_cmphex(fake_host_inb(vm, 0x61), ==, 0x20);
    fake_host_outb(vm, 0x61, 0xff);
    g_assert_cmphex(fake_host_inb(vm, 0x61), ==, 0x2f);
    /* Unknown ports in the range read all-ones; 0x60 is not ours. */
    g_assert_cmphex(fake_host_inb(vm, 0x62), ==, 0xff);
    g_assert_null(bus_lookup(fake_host_pio_bus(vm), 0x60, NULL, NULL));
    g_assert_true(bus_lookup(fake_host_pio_bus(vm), 0x64, NULL, NULL) == dev);
    dev->ops->reset(dev);
    g_assert_cmphex(fake_host_inb(vm, 0x61), ==, 0x20);
}

static void
test_save_restore(void)
{
    g_autoptr(FakeHost) vm = fake_host_new(0);
    VmmDevice *dev = i8042_new(fake_host_base(vm), "__i8042");
    VmmDevice *dev2 = i8042_new(fake_host_base(vm), "__i8042b");
    g_autoptr(JsonNode) state = NULL;
    g_autoptr(JsonNode) bad = json_from_string(
        "{\"version\":1,\"port_b\":256}", NULL);
    g_autoptr(GError) error = NULL;

    g_assert_true(fake_host_add(vm, dev, NULL));
    fake_host_outb(vm, 0x61, 0x03);
    state = dev->ops->save(dev, &error);
    g_assert_no_error(error);
    g_assert_true(dev2->ops->restore(dev2, state, &error));
    g_assert_no_error(error);
    g_assert_false(dev2->ops->restore(dev2, bad, &error));
    g_assert_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA);
    /* dev2 is not on the bus: check through its own state. */
    {
        g_autoptr(JsonNode) s2 = dev2->ops->save(dev2, NULL);
        g_autofree char *a = json_to_string(state, FALSE);
        g_autofree char *b = json_to_string(s2, FALSE);

        g_assert_cmpstr(a, ==, b);
    }
    vmm_device_free(dev2);
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/i8042/reset-command", test_reset_command);
    g_test_add_func("/i8042/ports", test_ports);
    g_test_add_func("/i8042/save-restore", test_save_restore);
    return g_test_run();
}
