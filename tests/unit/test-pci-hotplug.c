/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests for the ACPI PCI hotplug controller's registers and ejects. */
#include <config.h>

#include <string.h>
#include <gio/gio.h>

#include "devices/legacy/legacy.h"
#include "devices/pci/pci-bus.h"
#include "devices/pci/pci-hotplug.h"
#include "devices/registry.h"
#include "tests/testutil.h"
#include "tests/unit/fake-vm.h"

typedef struct {
    FakeHost *vm;
    VmmDevice *ged;
    VmmDevice *hp;
    uint64_t base;
    unsigned calls;
    uint32_t ejected;
} Fixture;

static void
on_eject(unsigned segment, uint32_t slots, gpointer opaque)
{
    Fixture *f = opaque;

    g_assert_cmpuint(segment, ==, 0);
    f->calls++;
    f->ejected |= slots;
}

static void
fixture_setup(Fixture *f, gconstpointer data)
{
    f->vm = fake_host_new(0);
    f->ged = ged_new(fake_host_base(f->vm), "_ged");
    g_assert_true(fake_host_add(f->vm, f->ged, NULL));
    f->hp = pci_hotplug_new(fake_host_base(f->vm), "_pci_hotplug", f->ged);
    g_assert_true(fake_host_add(f->vm, f->hp, NULL));
    f->base = pci_hotplug_get_mmio_base(f->hp);
    pci_hotplug_set_eject_handler(f->hp, on_eject, f);
}

static void
fixture_teardown(Fixture *f, gconstpointer data)
{
    g_clear_pointer(&f->vm, fake_host_free);
}

static uint32_t
reg_read(Fixture *f, unsigned reg)
{
    return (uint32_t)fake_host_mmio_read(f->vm, f->base + reg, 4);
}

static void
reg_write(Fixture *f, unsigned reg, uint32_t v)
{
    fake_host_mmio_write(f->vm, f->base + reg, 4, v);
}

static unsigned
ged_pulses(Fixture *f)
{
    return fake_host_irq_pulses(f->vm, ged_get_irq(f->ged));
}

static uint32_t
ged_events(Fixture *f)
{
    return (uint32_t)fake_host_mmio_read(f->vm, ged_get_mmio_base(f->ged), 1);
}

static void
test_plug(Fixture *f, gconstpointer data)
{
    g_autoptr(GError) error = NULL;

    g_assert_cmphex(f->base, >=, FAKE_HOST_MMIO32_BASE);
    g_assert_cmphex(reg_read(f, PCI_HOTPLUG_REG_PCIU), ==, 0);
    g_assert_true(pci_hotplug_plug(f->hp, 0, 3, NULL));
    g_assert_true(pci_hotplug_plug(f->hp, 0, 31, NULL));
    /* Each change interrupts the guest with the GED's PCI bit. */
    g_assert_cmpuint(ged_pulses(f), ==, 2);
    g_assert_cmphex(ged_events(f), ==, GED_EVENT_PCI_HOTPLUG);
    /* PCIU is read-to-clear; PCID is apart. */
    g_assert_cmphex(reg_read(f, PCI_HOTPLUG_REG_PCID), ==, 0);
    g_assert_cmphex(reg_read(f, PCI_HOTPLUG_REG_PCIU), ==,
                    (1u << 3) | (1u << 31));
    g_assert_cmphex(reg_read(f, PCI_HOTPLUG_REG_PCIU), ==, 0);
    /* The host bridge's slot and slots past 31 cannot be plugged. */
    g_assert_false(pci_hotplug_plug(f->hp, 0, 0, &error));
    g_assert_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
    g_clear_error(&error);
    g_assert_false(pci_hotplug_plug(f->hp, 0, 32, &error));
    g_assert_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
    g_clear_error(&error);
    g_assert_false(pci_hotplug_plug(f->hp, 1, 3, &error));
    g_assert_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
    g_assert_cmpuint(ged_pulses(f), ==, 2);
}

static void
test_eject(Fixture *f, gconstpointer data)
{
    g_autoptr(GError) error = NULL;

    g_assert_true(pci_hotplug_request_eject(f->hp, 0, 5, NULL));
    g_assert_cmpuint(ged_pulses(f), ==, 1);
    /* A second request for the same slot is refused while the first is
     * pending. */
    g_assert_false(pci_hotplug_request_eject(f->hp, 0, 5, &error));
    g_assert_error(error, G_IO_ERROR, G_IO_ERROR_BUSY);
    g_assert_cmphex(reg_read(f, PCI_HOTPLUG_REG_PCID), ==, 1u << 5);
    g_assert_cmphex(reg_read(f, PCI_HOTPLUG_REG_PCID), ==, 0);
    g_assert_cmphex(reg_read(f, PCI_HOTPLUG_REG_B0EJ), ==, 0);

    /* The guest's _EJ0: reported on the control thread, not at once. */
    reg_write(f, PCI_HOTPLUG_REG_B0EJ, 1u << 5);
    g_assert_cmpuint(f->calls, ==, 0);
    /* Acknowledged but not yet reported: too late to cancel. */
    g_assert_false(pci_hotplug_cancel_eject(f->hp, 0, 5));
    fake_host_iterate(f->vm);
    g_assert_cmpuint(f->calls, ==, 1);
    g_assert_cmphex(f->ejected, ==, 1u << 5);
    /* A second B0EJ for it is not a second eject. */
    reg_write(f, PCI_HOTPLUG_REG_B0EJ, 1u << 5);
    fake_host_iterate(f->vm);
    g_assert_cmpuint(f->calls, ==, 1);
    /* The slot can be asked again once the first eject is over. */
    g_assert_true(pci_hotplug_request_eject(f->hp, 0, 5, NULL));
}

/* The guest can only eject what the VMM asked to eject. */
static void
test_eject_unrequested(Fixture *f, gconstpointer data)
{
    g_assert_true(pci_hotplug_request_eject(f->hp, 0, 7, NULL));
    reg_write(f, PCI_HOTPLUG_REG_B0EJ, 0xffffffff);
    fake_host_iterate(f->vm);
    g_assert_cmpuint(f->calls, ==, 1);
    g_assert_cmphex(f->ejected, ==, 1u << 7);
    reg_write(f, PCI_HOTPLUG_REG_B0EJ, 1u << 9);
    fake_host_iterate(f->vm);
    g_assert_cmpuint(f->calls, ==, 1);
}

/* A removal that timed out: the late B0EJ is ignored, PCID forgotten. */
static void
test_cancel(Fixture *f, gconstpointer data)
{
    g_assert_true(pci_hotplug_request_eject(f->hp, 0, 4, NULL));
    g_assert_true(pci_hotplug_cancel_eject(f->hp, 0, 4));
    g_assert_cmphex(reg_read(f, PCI_HOTPLUG_REG_PCID), ==, 0);
    reg_write(f, PCI_HOTPLUG_REG_B0EJ, 1u << 4);
    fake_host_iterate(f->vm);
    g_assert_cmpuint(f->calls, ==, 0);
    /* Cancelling nothing is harmless. */
    g_assert_true(pci_hotplug_cancel_eject(f->hp, 0, 4));
    g_assert_true(pci_hotplug_cancel_eject(f->hp, 0, 0));
}

/* Wrong widths, offsets and segments are ignored, never fatal. */
static void
test_bad_access(Fixture *f, gconstpointer data)
{
    g_assert_true(pci_hotplug_plug(f->hp, 0, 2, NULL));
    g_assert_true(pci_hotplug_request_eject(f->hp, 0, 2, NULL));
    g_assert_cmphex(fake_host_mmio_read(f->vm, f->base, 1), ==, 0xff);
    g_assert_cmphex(fake_host_mmio_read(f->vm, f->base + 2, 2), ==, 0xffff);
    g_assert_cmphex(fake_host_mmio_read(f->vm, f->base + 4, 8), ==,
                    G_MAXUINT64);
    g_assert_cmphex(fake_host_mmio_read(f->vm, f->base + 1, 4), ==,
                    0xffffffff);
    fake_host_mmio_write(f->vm, f->base + PCI_HOTPLUG_REG_B0EJ, 1, 0xff);
    fake_host_mmio_write(f->vm, f->base + PCI_HOTPLUG_REG_B0EJ, 8,
                         G_MAXUINT64);
    reg_write(f, PCI_HOTPLUG_REG_PCIU, 0);
    reg_write(f, PCI_HOTPLUG_REG_PCID, 0);
    fake_host_iterate(f->vm);
    g_assert_cmpuint(f->calls, ==, 0);
    /* Segment 1 does not exist: PSEG keeps 0. */
    reg_write(f, PCI_HOTPLUG_REG_PSEG, 1);
    g_assert_cmpuint(reg_read(f, PCI_HOTPLUG_REG_PSEG), ==, 0);
    reg_write(f, PCI_HOTPLUG_REG_PSEG, 0);
    /* Nothing was consumed by the bad accesses. */
    g_assert_cmphex(reg_read(f, PCI_HOTPLUG_REG_PCIU), ==, 1u << 2);
    g_assert_cmphex(reg_read(f, PCI_HOTPLUG_REG_PCID), ==, 1u << 2);
}

static void
test_reset(Fixture *f, gconstpointer data)
{
    g_assert_true(pci_hotplug_plug(f->hp, 0, 2, NULL));
    g_assert_true(pci_hotplug_request_eject(f->hp, 0, 3, NULL));
    g_assert_true(pci_hotplug_request_eject(f->hp, 0, 4, NULL));
    reg_write(f, PCI_HOTPLUG_REG_B0EJ, 1u << 4);
    f->hp->ops->reset(f->hp);
    fake_host_iterate(f->vm);
    /* The acknowledgement queued before the reset is dropped with it. */
    g_assert_cmpuint(f->calls, ==, 0);
    g_assert_cmphex(reg_read(f, PCI_HOTPLUG_REG_PCIU), ==, 0);
    g_assert_cmphex(reg_read(f, PCI_HOTPLUG_REG_PCID), ==, 0);
    reg_write(f, PCI_HOTPLUG_REG_B0EJ, 1u << 3);
    fake_host_iterate(f->vm);
    g_assert_cmpuint(f->calls, ==, 0);
}

static void
test_save_restore(Fixture *f, gconstpointer data)
{
    Fixture g = { 0 };
    g_autoptr(JsonNode) state = NULL;
    g_autoptr(JsonNode) bad = NULL;
    g_autoptr(GError) error = NULL;

    fixture_setup(&g, NULL);
    g_assert_true(pci_hotplug_plug(f->hp, 0, 6, NULL));
    state = f->hp->ops->save(f->hp, &error);
    g_assert_no_error(error);
    fake_host_irq_reset_counts(g.vm);
    g_assert_true(g.hp->ops->restore(g.hp, state, &error));
    g_assert_no_error(error);
    /* The unread news gets its interrupt again. */
    g_assert_cmpuint(ged_pulses(&g), ==, 1);
    g_assert_cmphex(reg_read(&g, PCI_HOTPLUG_REG_PCIU), ==, 1u << 6);
    fake_host_check_save_restore(f->hp, f->hp);

    /* Slot 0 is refused, naming the field; nothing changes. */
    bad = json_node_copy(state);
    json_object_set_int_member(json_node_get_object(bad), "down", 1);
    g_assert_false(g.hp->ops->restore(g.hp, bad, &error));
    g_assert_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA);
    g_assert_nonnull(strstr(error->message, "down"));
    fixture_teardown(&g, NULL);
}

/* vm.add-disk @id on @path through the registry; NULL with @error set
 * when refused. */
static VmmDevice *
registry_add_disk(DeviceCreateCtx *ctx, VmConfig **c, const char *path,
                  const char *id, const int *fds, guint n_fds,
                  GError **error)
{
    g_autofree char *json = g_strdup_printf("{\"path\": \"%s\", "
                                            "\"id\": \"%s\"}", path, id);
    g_autoptr(JsonNode) node = json_from_string(json, NULL);

    return device_registry_add(ctx, c, "disk", node, fds, n_fds, error);
}

static unsigned
registry_count(VmConfig *c)
{
    return device_registry_lookup("disk")->count(c);
}

/* What hot-add and hot-remove do on the bus and the config: every free
 * slot can be filled (31 less the default console's and rng's, which
 * the config has),
 * one more is refused with nothing changed, a freed slot is used again;
 * the config loses exactly the removed entry. */
static void
test_registry_slots(void)
{
    g_autoptr(FakeHost) vm = fake_host_new(8 << 20);
    g_autofree char *kernel = g_build_filename(test_tmpdir(), "vmlinux", NULL);
    g_autofree char *json = NULL;
    g_autofree char *before = NULL;
    g_autofree char *after = NULL;
    g_autofree char *img = NULL;
    g_autoptr(GError) error = NULL;
    g_autoptr(VmConfig) c = NULL;
    DeviceCreateCtx ctx = { .host = fake_host_base(vm) };
    VmConfig *orig;
    VmmDevice *dev;
    int fd = 0;

    g_assert_true(g_file_set_contents(kernel, "k", -1, NULL));
    json = g_strdup_printf("{\"payload\": {\"kernel\": \"%s\"}}", kernel);
    c = vm_config_from_json(json, -1, &error);
    g_assert_no_error(error);
    ctx.bus = pci_bus_create(ctx.host, PCI_ECAM_BASE, &error);
    g_assert_no_error(error);

    /* Slots 1-29 (0 is the host bridge; the console and the rng take
     * two at boot). */
    for (unsigned slot = 1; slot < 30; slot++) {
        g_autofree char *id = g_strdup_printf("hp%u", slot);
        g_autofree char *bdf = g_strdup_printf("0000:00:%02x.0", slot);
        g_autofree char *got = NULL;

        g_free(img);
        img = g_strdup_printf("%s/%s.img", test_tmpdir(), id);
        g_assert_true(g_file_set_contents(img, "data", -1, NULL));
        dev = registry_add_disk(&ctx, &c, img, id, NULL, 0, &error);
        g_assert_no_error(error);
        got = dev->ops->pci_bdf(dev);
        g_assert_cmpstr(got, ==, bdf);
    }
    g_assert_cmpuint(registry_count(c), ==, 29);

    /* Past the free slots: refused, the config as it was. */
    orig = c;
    before = vm_config_to_json(c, false);
    g_free(img);
    img = g_strdup_printf("%s/extra.img", test_tmpdir());
    g_assert_true(g_file_set_contents(img, "data", -1, NULL));
    g_assert_null(registry_add_disk(&ctx, &c, img, "extra", NULL, 0, &error));
    g_assert_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
    g_assert_nonnull(strstr(error->message, "no free PCI slot"));
    g_clear_error(&error);
    g_assert_null(fake_host_find(vm, "extra"));
    /* A disk takes no fds. */
    g_assert_null(registry_add_disk(&ctx, &c, img, "extra", &fd, 1, &error));
    g_assert_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
    g_assert_nonnull(strstr(error->message, "take no fds"));
    g_clear_error(&error);
    g_assert_true(c == orig);
    after = vm_config_to_json(c, false);
    g_assert_cmpstr(after, ==, before);

    /* Removal: unknown ids and non-hotplug types are refused. */
    g_assert_false(device_registry_detach(&c, "nope", &error));
    g_assert_error(error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND);
    g_clear_error(&error);
    g_assert_false(device_registry_detach(&c, "__rng", &error));
    g_assert_error(error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED);
    g_clear_error(&error);
    g_assert_true(c == orig);
    /* hp5 goes: off the bus and out of the config; its slot is reused. */
    fake_host_remove(vm, fake_host_find(vm, "hp5"));
    g_assert_true(device_registry_detach(&c, "hp5", &error));
    g_assert_no_error(error);
    g_assert_cmpuint(registry_count(c), ==, 28);
    g_free(after);
    after = vm_config_to_json(c, false);
    g_assert_null(strstr(after, "hp5.img"));
    dev = registry_add_disk(&ctx, &c, img, "extra", NULL, 0, &error);
    g_assert_no_error(error);
    g_free(after);
    after = dev->ops->pci_bdf(dev);
    g_assert_cmpstr(after, ==, "0000:00:05.0");
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
#define ADD(path, fn) \
    g_test_add("/pci-hotplug/" path, Fixture, NULL, fixture_setup, fn, \
               fixture_teardown)
    ADD("plug", test_plug);
    ADD("eject", test_eject);
    ADD("eject-unrequested", test_eject_unrequested);
    ADD("cancel", test_cancel);
    ADD("bad-access", test_bad_access);
    ADD("reset", test_reset);
    ADD("save-restore", test_save_restore);
#undef ADD
    g_test_add_func("/pci-hotplug/registry-slots", test_registry_slots);
    return g_test_run();
}
