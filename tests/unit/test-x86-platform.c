/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests: the x86_64 platform hook (arch_platform_*) on a FakeHost. */
#include <config.h>

#include <gio/gio.h>

#include "arch/arch.h"
#include "devices/legacy/legacy.h"
#include "devices/pci/pci-hotplug.h"
#include "tests/unit/fake-vm.h"

static CharBackend *
null_backend(FakeHost *fh)
{
    ConsoleConfig cfg = { .mode = CONSOLE_MODE_NULL };
    g_autoptr(GError) error = NULL;
    CharBackend *be = chardev_new(&cfg, "--serial", fake_host_context(fh),
                                  &error);

    g_assert_no_error(error);
    return be;
}

/* Without consoles: the fixed PC devices, where CH has them, and what the
 * firmware tables need to know about them. */
static void
test_fixed(void)
{
    g_autoptr(FakeHost) fh = fake_host_new(16 << 20);
    ArchPlatformConsoles cons = { 0 };
    ArchPlatformInfo plat = { 0 };
    g_autoptr(GError) error = NULL;
    uint64_t base;

    g_assert_true(arch_platform_create(fake_host_base(fh), &cons, &plat,
                                       &error));
    g_assert_no_error(error);
    g_assert_nonnull(fake_host_find(fh, "__i8042"));
    g_assert_nonnull(fake_host_find(fh, "__cmos"));
    g_assert_nonnull(fake_host_find(fh, "__acpi_pm"));
    g_assert_nonnull(fake_host_find(fh, "__debug_port"));
    g_assert_nonnull(fake_host_find(fh, "__ged"));
    g_assert_null(fake_host_find(fh, "__serial"));
    g_assert_null(fake_host_find(fh, "__debug_console"));
    g_assert_false(plat.serial);
    g_assert_true(plat.ged);
    /* GED got its window and pin from the host, and the tables say so. */
    g_assert_cmphex(plat.ged_base, ==, FAKE_HOST_MMIO32_BASE);
    g_assert_cmpuint(plat.ged_irq, ==, FAKE_HOST_FIRST_IRQ);
    g_assert_true(bus_lookup(fake_host_mmio_bus(fh), plat.ged_base, &base,
                             NULL) == fake_host_find(fh, "__ged"));
    g_assert_true(bus_lookup(fake_host_pio_bus(fh), ACPI_PM_SLEEP_PORT, NULL,
                             NULL) == fake_host_find(fh, "__acpi_pm"));
    /* The PCI hotplug controller: its window goes into the DSDT. */
    g_assert_cmphex(plat.pci_hotplug_base, !=, 0);
    g_assert_true(bus_lookup(fake_host_mmio_bus(fh), plat.pci_hotplug_base,
                             NULL, NULL) == fake_host_find(fh, PCI_HOTPLUG_ID));
    g_assert_null(bus_lookup(fake_host_pio_bus(fh), SERIAL8250_COM1_BASE,
                             NULL, NULL));

    /* The power button is GED's; it pulses GED's pin. */
    g_assert_true(arch_platform_power_button(fake_host_base(fh), &error));
    g_assert_no_error(error);
    g_assert_cmpuint(fake_host_irq_pulses(fh, plat.ged_irq), ==, 1);
}

/* Consoles with backends: the 16550 at COM1 and the debug console at the
 * port asked for, each taking its backend over. */
static void
test_consoles(void)
{
    g_autoptr(FakeHost) fh = fake_host_new(16 << 20);
    ArchPlatformConsoles cons = { .debug_console_iobase = 0x402 };
    ArchPlatformInfo plat = { 0 };
    g_autoptr(GError) error = NULL;
    VmmDevice *serial;

    cons.serial = null_backend(fh);
    cons.debug_console = null_backend(fh);
    g_assert_true(arch_platform_create(fake_host_base(fh), &cons, &plat,
                                       &error));
    g_assert_no_error(error);
    g_assert_null(cons.serial);
    g_assert_null(cons.debug_console);
    g_assert_true(plat.serial);
    serial = fake_host_find(fh, "__serial");
    g_assert_nonnull(serial);
    g_assert_true(bus_lookup(fake_host_pio_bus(fh), SERIAL8250_COM1_BASE,
                             NULL, NULL) == serial);
    g_assert_true(bus_lookup(fake_host_pio_bus(fh), 0x402, NULL, NULL) ==
                  fake_host_find(fh, "__debug_console"));
}

/* A failed step (no room for GED) reports it, and the backends no device
 * took are not leaked (the pointers come back cleared). */
static void
test_error(void)
{
    g_autoptr(FakeHost) fh = fake_host_new(16 << 20);
    g_autoptr(FakeHost) bare = fake_host_new(0);
    ArchPlatformConsoles cons = { 0 };
    ArchPlatformInfo plat = { 0 };
    g_autoptr(GError) error = NULL;

    cons.serial = null_backend(fh);
    fake_host_set_alloc_fail(fh, true);
    g_assert_false(arch_platform_create(fake_host_base(fh), &cons, &plat,
                                        &error));
    g_assert_error(error, G_IO_ERROR, G_IO_ERROR_NO_SPACE);
    g_assert_true(g_str_has_prefix(error->message, "__ged: "));
    g_assert_null(cons.serial);
    g_assert_null(fake_host_find(fh, "__serial"));
    g_assert_false(plat.ged);
    g_clear_error(&error);

    /* A host without the devices has no power button. */
    g_assert_false(arch_platform_power_button(fake_host_base(bare), &error));
    g_assert_error(error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED);
}

/* The boot origin reaches the debug port: before it, no code is timed. */
static void
test_boot_started(void)
{
    g_autoptr(FakeHost) fh = fake_host_new(16 << 20);
    ArchPlatformConsoles cons = { 0 };
    ArchPlatformInfo plat = { 0 };
    VmmDevice *port;
    uint8_t code;
    int64_t usec;

    g_assert_true(arch_platform_create(fake_host_base(fh), &cons, &plat,
                                       NULL));
    port = fake_host_find(fh, "__debug_port");
    g_usleep(100000);
    arch_platform_boot_started(fake_host_base(fh));
    fake_host_outb(fh, DEBUG_PORT_BASE, 0x41);
    g_assert_true(debug_port_get_first(port, DEBUG_PORT_RANGE_KERNEL, &code,
                                       &usec));
    g_assert_cmpuint(code, ==, 0x41);
    /* Measured from arch_platform_boot_started(), not from creation. */
    g_assert_cmpint(usec, <, 100000);
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/x86/platform/fixed", test_fixed);
    g_test_add_func("/x86/platform/consoles", test_consoles);
    g_test_add_func("/x86/platform/error", test_error);
    g_test_add_func("/x86/platform/boot-started", test_boot_started);
    return g_test_run();
}
