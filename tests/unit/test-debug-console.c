/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests for the port 0xe9 debug console. */
#include <config.h>

#include <sys/socket.h>
#include <unistd.h>
#include <gio/gio.h>

#include "devices/char/chardev-priv.h"
#include "devices/legacy/legacy.h"
#include "tests/unit/fake-vm.h"

static void
test_output(void)
{
    g_autoptr(FakeHost) vm = fake_host_new(0);
    g_autoptr(GError) error = NULL;
    const char *msg = "edk2 DEBUG\n";
    VmmDevice *dev;
    char buf[32];
    int sv[2];

    g_assert_cmpint(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), ==, 0);
    /* A non-default iobase, as --debug-console iobase= allows. */
    dev = debug_console_new(fake_host_base(vm), "__debug_console", 0x402,
                            chardev_new_fds("debug-console", -1, sv[0],
                                            fake_host_context(vm)));
    g_assert_true(fake_host_add(vm, dev, &error));
    g_assert_no_error(error);
    for (const char *p = msg; *p; p++)
        fake_host_outb(vm, 0x402, (uint8_t)*p);
    /* A wide write sends its first byte only. */
    fake_host_pio_write(vm, 0x402, 2, 0x2121);
    g_assert_cmpint(recv(sv[1], buf, sizeof(buf), MSG_DONTWAIT), ==, 12);
    g_assert_cmpmem(buf, 12, "edk2 DEBUG\n!", 12);
    /* Reads return the Bochs detection value. */
    g_assert_cmphex(fake_host_inb(vm, 0x402), ==, 0xe9);
    g_assert_null(bus_lookup(fake_host_pio_bus(vm), 0xe9, NULL, NULL));
    close(sv[1]);
}

static void
test_state(void)
{
    g_autoptr(FakeHost) vm = fake_host_new(0);
    VmmDevice *dev = debug_console_new(fake_host_base(vm), "__debug_console",
                                       DEBUG_CONSOLE_DEFAULT_IOBASE, NULL);
    g_autoptr(JsonNode) state = NULL;
    g_autoptr(JsonNode) bad = json_from_string("42", NULL);
    g_autoptr(GError) error = NULL;

    g_assert_true(fake_host_add(vm, dev, NULL));
    fake_host_outb(vm, 0xe9, 'x');    /* no backend: discarded */
    state = dev->ops->save(dev, &error);
    g_assert_true(JSON_NODE_HOLDS_OBJECT(state));
    g_assert_true(dev->ops->restore(dev, state, &error));
    g_assert_false(dev->ops->restore(dev, bad, &error));
    g_assert_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA);
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/debug-console/output", test_output);
    g_test_add_func("/debug-console/state", test_state);
    return g_test_run();
}
