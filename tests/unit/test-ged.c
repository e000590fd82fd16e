/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests for the ACPI Generic Event Device. */
#include <config.h>

#include <gio/gio.h>

#include "devices/legacy/legacy.h"
#include "tests/unit/fake-vm.h"

static void
test_notify(void)
{
    g_autoptr(FakeHost) vm = fake_host_new(0);
    VmmDevice *ged = ged_new(fake_host_base(vm), "_ged");
    uint64_t base;
    uint32_t irq;

    g_assert_true(fake_host_add(vm, ged, NULL));
    base = ged_get_mmio_base(ged);
    irq = ged_get_irq(ged);
    g_assert_cmphex(base, >=, FAKE_HOST_MMIO32_BASE);
    g_assert_cmpuint(irq, ==, FAKE_HOST_FIRST_IRQ);
    g_assert_true(bus_lookup(fake_host_mmio_bus(vm), base + GED_MMIO_SIZE - 1, NULL,
                             NULL) == ged);

    g_assert_cmphex(fake_host_mmio_read(vm, base, 1), ==, 0);
    ged_notify(ged, GED_EVENT_POWER_BUTTON);
    g_assert_cmpuint(fake_host_irq_pulses(vm, irq), ==, 1);
    /* A read returns the pending bits and clears them. */
    g_assert_cmphex(fake_host_mmio_read(vm, base, 1), ==, 0x08);
    g_assert_cmphex(fake_host_mmio_read(vm, base, 1), ==, 0);
    /* Bits accumulate until read; each notification pulses. */
    ged_notify(ged, GED_EVENT_CPU_HOTPLUG);
    ged_notify(ged, GED_EVENT_PCI_HOTPLUG | 0x100);
    g_assert_cmpuint(fake_host_irq_pulses(vm, irq), ==, 3);
    g_assert_cmphex(fake_host_mmio_read(vm, base, 4), ==, 0x05);
    /* Nothing to notify: no interrupt. */
    ged_notify(ged, 0);
    g_assert_cmpuint(fake_host_irq_pulses(vm, irq), ==, 3);
    /* Other offsets: all-ones, writes ignored. */
    g_assert_cmphex(fake_host_mmio_read(vm, base + 4, 4), ==, 0xffffffff);
    fake_host_mmio_write(vm, base, 1, 0xff);
    g_assert_cmphex(fake_host_mmio_read(vm, base, 1), ==, 0);
    ged_notify(ged, GED_EVENT_MEMORY_HOTPLUG);
    ged->ops->reset(ged);
    g_assert_cmphex(fake_host_mmio_read(vm, base, 1), ==, 0);
}

static void
test_alloc_failure(void)
{
    g_autoptr(FakeHost) vm = fake_host_new(0);
    g_autoptr(GError) error = NULL;

    fake_host_set_alloc_fail(vm, true);
    g_assert_false(fake_host_add(vm, ged_new(fake_host_base(vm), "_ged"),
                                 &error));
    g_assert_error(error, G_IO_ERROR, G_IO_ERROR_NO_SPACE);
}

static void
test_save_restore(void)
{
    g_autoptr(FakeHost) vm = fake_host_new(0);
    g_autoptr(FakeHost) vm2 = fake_host_new(0);
    g_autoptr(FakeHost) vm3 = fake_host_new(0);
    VmmDevice *ged = ged_new(fake_host_base(vm), "_ged");
    VmmDevice *ged2 = ged_new(fake_host_base(vm2), "_ged");
    VmmDevice *ged3 = ged_new(fake_host_base(vm3), "_ged");
    g_autoptr(JsonNode) state = NULL;
    g_autoptr(GError) error = NULL;
    uint64_t other;

    g_assert_true(fake_host_add(vm, ged, NULL));
    g_assert_true(fake_host_add(vm2, ged2, NULL));
    /* vm3 places its GED elsewhere. */
    g_assert_true(device_host_alloc_mmio32(fake_host_base(vm3), 0x1000, 0x1000,
                                           &other, NULL));
    g_assert_true(fake_host_add(vm3, ged3, NULL));

    ged_notify(ged, GED_EVENT_PCI_HOTPLUG);
    state = ged->ops->save(ged, &error);
    g_assert_no_error(error);
    g_assert_true(ged2->ops->restore(ged2, state, &error));
    g_assert_no_error(error);
    /* The unread event gets its interrupt again. */
    g_assert_cmpuint(fake_host_irq_pulses(vm2, ged_get_irq(ged2)), ==, 1);
    g_assert_cmphex(fake_host_mmio_read(vm2, ged_get_mmio_base(ged2), 1), ==,
                    0x04);
    g_assert_false(ged3->ops->restore(ged3, state, &error));
    g_assert_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA);
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/ged/notify", test_notify);
    g_test_add_func("/ged/alloc-failure", test_alloc_failure);
    g_test_add_func("/ged/save-restore", test_save_restore);
    return g_test_run();
}
