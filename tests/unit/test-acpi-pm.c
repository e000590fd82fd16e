/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests for the ACPI sleep/reset register and the PM timer. */
#include <config.h>

#include <gio/gio.h>

#include "devices/legacy/legacy.h"
#include "tests/unit/fake-vm.h"

static FakeHost *
setup(VmmDevice **dev)
{
    FakeHost *vm = fake_host_new(0);

    *dev = acpi_pm_new(fake_host_base(vm), "__acpi_pm");
    g_assert_true(fake_host_add(vm, *dev, NULL));
    return vm;
}

static void
test_poweroff(void)
{
    VmmDevice *dev;
    g_autoptr(FakeHost) vm = setup(&dev);

    /* S3 and S5 without SLP_EN do nothing. */
    fake_host_outb(vm, ACPI_PM_SLEEP_PORT, (3 << 2) | (1 << 5));
    fake_host_outb(vm, ACPI_PM_SLEEP_PORT, 5 << 2);
    g_assert_cmpuint(fake_host_poweroff_requests(vm), ==, 0);
    /* \_S5_ with SLP_EN: what Linux writes for "poweroff". */
    fake_host_outb(vm, ACPI_PM_SLEEP_PORT, (5 << 2) | (1 << 5));
    g_assert_cmpuint(fake_host_poweroff_requests(vm), ==, 1);
    g_assert_cmpuint(fake_host_reset_requests(vm), ==, 0);
    /* The sleep status register reads 0. */
    g_assert_cmphex(fake_host_inb(vm, ACPI_PM_SLEEP_PORT), ==, 0);
}

static void
test_reset(void)
{
    VmmDevice *dev;
    g_autoptr(FakeHost) vm = setup(&dev);

    fake_host_outb(vm, ACPI_PM_SLEEP_PORT, ACPI_PM_RESET_VALUE);
    g_assert_cmpuint(fake_host_reset_requests(vm), ==, 1);
    g_assert_cmpuint(fake_host_poweroff_requests(vm), ==, 0);
}

static uint32_t
timer(FakeHost *vm)
{
    return (uint32_t)fake_host_pio_read(vm, ACPI_PM_TIMER_PORT, 4);
}

/* A timer read bracketed by host clock reads no more than 50 us apart,
 * so that a preempted test does not skew the frequency. */
static void
timer_sample(FakeHost *vm, uint32_t *ticks, int64_t *us)
{
    for (int i = 0; i < 1000; i++) {
        int64_t a = g_get_monotonic_time();

        *ticks = timer(vm);
        *us = g_get_monotonic_time();
        if (*us - a <= 50) {
            *us = (a + *us) / 2;
            return;
        }
    }
    g_assert_not_reached();
}

static void
test_timer(void)
{
    VmmDevice *dev;
    g_autoptr(FakeHost) vm = setup(&dev);
    uint32_t t0, t1, prev;
    int64_t w0, w1;
    double hz;

    /* Monotonic (mod 2^32) over many reads. */
    prev = timer(vm);
    for (int i = 0; i < 10000; i++) {
        uint32_t t = timer(vm);

        g_assert_cmpuint(t - prev, <, 0x80000000u);
        prev = t;
    }
    /* 3.579545 MHz, measured against the host over 200 ms. */
    timer_sample(vm, &t0, &w0);
    g_usleep(200000);
    timer_sample(vm, &t1, &w1);
    hz = (double)(t1 - t0) * G_USEC_PER_SEC / (double)(w1 - w0);
    g_assert_cmpfloat(hz, >, 3579545.0 * 0.999);
    g_assert_cmpfloat(hz, <, 3579545.0 * 1.001);
    /* Byte reads see the counter's bytes; a read past it, all-ones. */
    g_assert_cmphex(fake_host_pio_read(vm, ACPI_PM_TIMER_PORT + 3, 2) >> 8, ==,
                    0xff);
    g_assert_cmphex(fake_host_inb(vm, ACPI_PM_BASE + 4), ==, 0xff);
}

static void
test_save_restore(void)
{
    VmmDevice *dev;
    g_autoptr(FakeHost) vm = setup(&dev);
    g_autoptr(FakeHost) vm2 = fake_host_new(0);
    VmmDevice *dev2 = acpi_pm_new(fake_host_base(vm2), "__acpi_pm");
    g_autoptr(JsonNode) state = NULL;
    g_autoptr(JsonNode) bad = json_from_string(
        "{\"version\":1,\"pm_timer\":-1}", NULL);
    g_autoptr(GError) error = NULL;
    uint32_t saved, restored;

    g_assert_true(fake_host_add(vm2, dev2, NULL));
    state = dev->ops->save(dev, &error);
    g_assert_no_error(error);
    saved = (uint32_t)json_object_get_int_member(json_node_get_object(state),
                                                 "pm_timer");
    g_usleep(50000);
    g_assert_true(dev2->ops->restore(dev2, state, &error));
    restored = timer(vm2);
    /* Continues from the saved count, not from where the host clock is. */
    g_assert_cmpuint(restored - saved, <, ACPI_PM_TIMER_HZ / 100);
    g_assert_false(dev2->ops->restore(dev2, bad, &error));
    g_assert_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA);
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/acpi-pm/poweroff", test_poweroff);
    g_test_add_func("/acpi-pm/reset", test_reset);
    g_test_add_func("/acpi-pm/timer", test_timer);
    g_test_add_func("/acpi-pm/save-restore", test_save_restore);
    return g_test_run();
}
