/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests for pvpanic-pci: its PCI identity, the register, the panic events, --pvpanic. */
#include <config.h>

#include <string.h>
#include <gio/gio.h>

#include "devices/pci/pci-bus.h"
#include "devices/pci/pvpanic.h"
#include "tests/testutil.h"
#include "tests/unit/fake-vm.h"

#define SLOT 4
#define CFG(off) (PCI_ECAM_BASE + ((uint64_t)SLOT << 15) + (off))

typedef struct {
    FakeHost *vm;
    VmmDevice *dev;
    uint64_t bar0;
} Fixture;

static void
fixture_start(Fixture *f)
{
    g_autoptr(GError) error = NULL;
    PciBus *bus;

    f->vm = fake_host_new(8u << 20);
    bus = pci_bus_create(fake_host_base(f->vm), PCI_ECAM_BASE, &error);
    g_assert_no_error(error);
    f->dev = pvpanic_new(fake_host_base(f->vm), bus, SLOT);
    g_assert_true(fake_host_add(f->vm, f->dev, &error));
    g_assert_no_error(error);
    /* What the Linux driver does: enable memory decoding, find BAR0. */
    fake_host_mmio_write(f->vm, CFG(PCI_REG_COMMAND), 2, PCI_COMMAND_MEMORY);
    f->bar0 = fake_host_mmio_read(f->vm, CFG(PCI_REG_BAR0), 4) & ~0xfULL;
    g_assert_cmpuint(f->bar0, !=, 0);
}

static void
fixture_stop(Fixture *f)
{
    fake_host_free(f->vm);
}

static void
test_identity(void)
{
    Fixture f = { 0 };
    g_autofree char *bdf = NULL;

    fixture_start(&f);
    g_assert_cmphex(fake_host_mmio_read(f.vm, CFG(PCI_REG_VENDOR_ID), 2), ==,
                    0x1b36);
    g_assert_cmphex(fake_host_mmio_read(f.vm, CFG(PCI_REG_DEVICE_ID), 2), ==,
                    0x0011);
    /* Class: system peripheral (0x08), other (0x80). */
    g_assert_cmphex(fake_host_mmio_read(f.vm, CFG(PCI_REG_REVISION), 4) >>
                    16, ==, 0x0880);
    g_assert_cmpstr(f.dev->id, ==, "__pvpanic");
    bdf = f.dev->ops->pci_bdf(f.dev);
    g_assert_cmpstr(bdf, ==, "0000:00:04.0");
    fixture_stop(&f);
}

/* Reads give the known events; writes report them. */
static void
test_events(void)
{
    Fixture f = { 0 };
    g_autoptr(JsonNode) counters = NULL;

    fixture_start(&f);
    g_assert_cmphex(fake_host_mmio_read(f.vm, f.bar0, 1), ==, 3);
    fake_host_mmio_write(f.vm, f.bar0, 1, PVPANIC_PANICKED);
    g_assert_cmpuint(fake_host_count_events(f.vm, "guest/panic event=panic"),
                     ==, 1);
    fake_host_mmio_write(f.vm, f.bar0, 1, PVPANIC_CRASH_LOADED);
    g_assert_cmpuint(fake_host_count_events(
        f.vm, "guest/panic event=crash_loaded"), ==, 1);
    /* Both bits: the panic is what the host must act on. */
    fake_host_mmio_write(f.vm, f.bar0, 1, 3);
    g_assert_cmpuint(fake_host_count_events(f.vm, "guest/panic event=panic"),
                     ==, 2);
    /* Unknown bits, other offsets: nothing. */
    fake_host_mmio_write(f.vm, f.bar0, 1, 0x80);
    fake_host_mmio_write(f.vm, f.bar0 + 1, 1, 1);
    fake_host_mmio_write(f.vm, f.bar0, 1, 0);
    g_assert_cmpuint(fake_host_count_events(f.vm, "guest/panic event=panic"),
                     ==, 2);
    g_assert_cmpuint(fake_host_count_events(
        f.vm, "guest/panic event=crash_loaded"), ==, 1);
    counters = f.dev->ops->counters(f.dev);
    g_assert_cmpint(json_object_get_int_member(
        json_node_get_object(counters), "panics"), ==, 2);
    g_assert_cmpint(json_object_get_int_member(
        json_node_get_object(counters), "crash_loaded"), ==, 1);
    fixture_stop(&f);
}

static void
test_event_names(void)
{
    g_assert_cmpstr(pvpanic_event_name(1), ==, "panic");
    g_assert_cmpstr(pvpanic_event_name(2), ==, "crash_loaded");
    g_assert_cmpstr(pvpanic_event_name(0xff), ==, "panic");
    g_assert_null(pvpanic_event_name(0));
    g_assert_null(pvpanic_event_name(4));
}

/* --pvpanic / "pvpanic": true is accepted and makes one device. */
static void
test_config(void)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(VmConfig) c = vm_config_from_json(
        "{\"payload\":{\"kernel\":\"k\"},\"pvpanic\":true}", -1, &error);

    g_assert_no_error(error);
    g_assert_true(vm_config_validate(c, &error));
    g_assert_no_error(error);
    g_assert_cmpuint(device_type_count(&pvpanic_type, c), ==, 1);
    g_assert_cmpstr(device_type_id(&pvpanic_type,
                                   device_type_entry(&pvpanic_type, c, 0)),
                    ==, PVPANIC_ID);
    c->pvpanic = false;
    g_assert_cmpuint(device_type_count(&pvpanic_type, c), ==, 0);
    g_assert_true(device_type_cli_parse(&pvpanic_type, c, NULL, &error));
    g_assert_true(c->pvpanic);
}

/* Its PCI slot is counted where it is created: after the rng. */
static void
test_slot(void)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(VmConfig) c = vm_config_from_json(
        "{\"payload\":{\"kernel\":\"k\"},\"console\":{\"mode\":\"Off\"},"
        "\"pvpanic\":true,\"vsock\":{\"cid\":3,\"socket\":\"/v\","
        "\"pci_device_id\":2}}", -1, &error);

    g_assert_no_error(error);
    g_assert_false(vm_config_validate(c, &error));
    g_assert_nonnull(strstr(error->message,
                            "pci_device_id=2 is already used by pvpanic"));
    g_clear_error(&error);
    c->pvpanic = false;
    g_assert_true(vm_config_validate(c, &error));
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    device_registry_init();
    g_test_add_func("/pvpanic/identity", test_identity);
    g_test_add_func("/pvpanic/events", test_events);
    g_test_add_func("/pvpanic/event-names", test_event_names);
    g_test_add_func("/pvpanic/config", test_config);
    g_test_add_func("/pvpanic/slot", test_slot);
    return g_test_run();
}
