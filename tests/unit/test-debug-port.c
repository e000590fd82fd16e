/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests for the port 0x80 debug port: milestones, logging, state. */
#include <config.h>

#include <stdio.h>
#include <string.h>
#include <gio/gio.h>

#include "devices/legacy/legacy.h"
#include "tests/unit/fake-vm.h"

static GPtrArray *logged;

static void
capture_log(const gchar *domain, GLogLevelFlags level, const gchar *message,
            gpointer data)
{
    if (g_str_has_prefix(message, "[Debug I/O port:"))
        g_ptr_array_add(logged, g_strdup(message));
}

static void
capture_start(void)
{
    g_clear_pointer(&logged, g_ptr_array_unref);
    logged = g_ptr_array_new_with_free_func(g_free);
    g_log_set_handler("nimbus-devices", G_LOG_LEVEL_INFO, capture_log, NULL);
}

static FakeHost *
setup(VmmDevice **dev)
{
    FakeHost *vm = fake_host_new(0);

    /* Booted 1.5 s ago. */
    *dev = debug_port_new(fake_host_base(vm), "__debug_port",
                          g_get_monotonic_time() - 1500000);
    g_assert_true(fake_host_add(vm, *dev, NULL));
    capture_start();
    return vm;
}

static void
test_ranges(void)
{
    static const struct {
        uint8_t code;
        DebugPortRange range;
        const char *name;
    } cases[] = {
        { 0x00, DEBUG_PORT_RANGE_FIRMWARE, "Firmware" },
        { 0x1f, DEBUG_PORT_RANGE_FIRMWARE, "Firmware" },
        { 0x20, DEBUG_PORT_RANGE_BOOTLOADER, "Bootloader" },
        { 0x5f, DEBUG_PORT_RANGE_KERNEL, "Kernel" },
        { 0x60, DEBUG_PORT_RANGE_USERSPACE, "Userspace" },
        { 0x7f, DEBUG_PORT_RANGE_USERSPACE, "Userspace" },
        { 0x80, DEBUG_PORT_RANGE_CUSTOM, "Custom" },
        { 0xff, DEBUG_PORT_RANGE_CUSTOM, "Custom" },
    };

    for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_assert_cmpint(debug_port_range_of(cases[i].code), ==,
                        cases[i].range);
        g_assert_cmpstr(debug_port_range_name(cases[i].range), ==,
                        cases[i].name);
    }
    g_assert_null(debug_port_range_name(DEBUG_PORT_RANGE_LAST));
}

static void
test_milestones(void)
{
    VmmDevice *dev;
    g_autoptr(FakeHost) vm = setup(&dev);
    uint8_t code;
    int64_t us, us2;
    unsigned secs, frac;

    g_assert_false(debug_port_get_first(dev, DEBUG_PORT_RANGE_KERNEL, &code,
                                        &us));
    fake_host_outb(vm, 0x80, 0x41);
    fake_host_outb(vm, 0x80, 0x42);
    fake_host_outb(vm, 0x80, 0x60);
    g_assert_true(debug_port_get_first(dev, DEBUG_PORT_RANGE_KERNEL, &code,
                                       &us));
    g_assert_cmphex(code, ==, 0x41);
    g_assert_cmpint(us, >=, 1500000);
    g_assert_cmpint(us, <, 60 * G_USEC_PER_SEC);
    g_assert_true(debug_port_get_first(dev, DEBUG_PORT_RANGE_USERSPACE, &code,
                                       &us2));
    g_assert_cmphex(code, ==, 0x60);
    g_assert_cmpint(us2, >=, us);
    g_assert_cmpuint(debug_port_get_count(dev, DEBUG_PORT_RANGE_KERNEL), ==, 2);

    /* CH's log line, one per milestone here. */
    g_assert_cmpuint(logged->len, ==, 3);
    g_assert_cmpint(sscanf(g_ptr_array_index(logged, 0),
                           "[Debug I/O port: Kernel code 0x41] %u.%06u seconds",
                           &secs, &frac), ==, 2);
    g_assert_cmpuint(secs, >=, 1);
    g_assert_true(g_str_has_prefix(g_ptr_array_index(logged, 2),
                                   "[Debug I/O port: Userspace code 0x60] "));
    /* Reads: all-ones. */
    g_assert_cmphex(fake_host_inb(vm, 0x80), ==, 0xff);

    /* Reboot: the milestones start over. */
    dev->ops->reset(dev);
    g_assert_false(debug_port_get_first(dev, DEBUG_PORT_RANGE_KERNEL, NULL,
                                        NULL));
    fake_host_outb(vm, 0x80, 0x40);
    g_assert_true(debug_port_get_first(dev, DEBUG_PORT_RANGE_KERNEL, NULL,
                                       &us));
    g_assert_cmpint(us, <, 1500000);
}

static void
test_flood(void)
{
    VmmDevice *dev;
    g_autoptr(FakeHost) vm = setup(&dev);

    /* Linux's I/O delay: the same byte, thousands of times. */
    for (int i = 0; i < 5000; i++)
        fake_host_outb(vm, 0x80, 0x00);
    g_assert_cmpuint(logged->len, ==, 1);
    /* A guest alternating codes is held to the budget. */
    for (int i = 0; i < 5000; i++)
        fake_host_outb(vm, 0x80, i & 1 ? 0x90 : 0x91);
    g_assert_cmpuint(logged->len, <=, 1 + 1 + 20 + 1);
    g_assert_cmpuint(logged->len, >=, 2);
    g_assert_cmpuint(debug_port_get_count(dev, DEBUG_PORT_RANGE_FIRMWARE), ==,
                     5000);
    g_assert_cmpuint(debug_port_get_count(dev, DEBUG_PORT_RANGE_CUSTOM), ==,
                     5000);
    /* A new milestone is never suppressed, and reports what was not. */
    fake_host_outb(vm, 0x80, 0x61);
    g_assert_true(g_str_has_prefix(g_ptr_array_index(logged, logged->len - 1),
                                   "[Debug I/O port: Userspace code 0x61]"));
    g_assert_nonnull(strstr(g_ptr_array_index(logged, logged->len - 2),
                            "writes not logged"));
}

static void
test_save_restore(void)
{
    VmmDevice *dev;
    g_autoptr(FakeHost) vm = setup(&dev);
    g_autoptr(FakeHost) vm2 = fake_host_new(0);
    VmmDevice *dev2 = debug_port_new(fake_host_base(vm2), "__debug_port", 0);
    g_autoptr(JsonNode) state = NULL;
    g_autoptr(JsonNode) again = NULL;
    g_autoptr(JsonNode) bad = json_from_string(
        "{\"version\":1,\"uptime_us\":1,\"last_code\":-1,\"ranges\":[]}", NULL);
    g_autoptr(GError) error = NULL;
    uint8_t code;
    int64_t us1, us2;

    g_assert_true(fake_host_add(vm2, dev2, NULL));
    fake_host_outb(vm, 0x80, 0x42);
    state = dev->ops->save(dev, &error);
    g_assert_no_error(error);
    g_assert_true(dev2->ops->restore(dev2, state, &error));
    g_assert_no_error(error);
    g_assert_true(debug_port_get_first(dev, DEBUG_PORT_RANGE_KERNEL, NULL,
                                       &us1));
    g_assert_true(debug_port_get_first(dev2, DEBUG_PORT_RANGE_KERNEL, &code,
                                       &us2));
    g_assert_cmphex(code, ==, 0x42);
    g_assert_cmpint(us1, ==, us2);
    again = dev2->ops->save(dev2, NULL);
    g_assert_cmpint(json_object_get_int_member(json_node_get_object(again),
                                               "uptime_us"), >=, 1500000);
    g_assert_false(dev2->ops->restore(dev2, bad, &error));
    g_assert_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA);
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/debug-port/ranges", test_ranges);
    g_test_add_func("/debug-port/milestones", test_milestones);
    g_test_add_func("/debug-port/flood", test_flood);
    g_test_add_func("/debug-port/save-restore", test_save_restore);
    return g_test_run();
}
