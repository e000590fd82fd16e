/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests for the ACPI memory hotplug controller's registers, plugs and state. */
#include <config.h>

#include <string.h>
#include <gio/gio.h>

#include "config/vm-config.h"
#include "devices/legacy/legacy.h"
#include "devices/legacy/memory-hotplug.h"
#include "tests/unit/fake-vm.h"

#define SLOT (128ULL << 20)
#define NSLOTS 4
#define REGION_GPA (5ULL << 30)

typedef struct {
    FakeHost *vm;
    VmmDevice *ged;
    VmmDevice *hp;
    uint64_t base;
} Fixture;

static void
fixture_setup(Fixture *f, gconstpointer data)
{
    f->vm = fake_host_new(0);
    f->ged = ged_new(fake_host_base(f->vm), "_ged");
    g_assert_true(fake_host_add(f->vm, f->ged, NULL));
    f->hp = memory_hotplug_new(fake_host_base(f->vm), MEMORY_HOTPLUG_ID,
                               f->ged, REGION_GPA, NSLOTS * SLOT, SLOT, 0);
    g_assert_true(fake_host_add(f->vm, f->hp, NULL));
    f->base = memory_hotplug_get_mmio_base(f->hp);
}

static void
fixture_teardown(Fixture *f, gconstpointer data)
{
    g_clear_pointer(&f->vm, fake_host_free);
}

static void
select_slot(Fixture *f, uint32_t slot)
{
    fake_host_mmio_write(f->vm, f->base + MEMORY_HOTPLUG_REG_SEL, 4, slot);
}

static uint32_t
reg(Fixture *f, uint32_t slot, uint64_t off)
{
    select_slot(f, slot);
    return (uint32_t)fake_host_mmio_read(f->vm, f->base + off, 4);
}

/* The status byte of @slot, as MSTA/MSCN read it. */
static uint8_t
status(Fixture *f, uint32_t slot)
{
    select_slot(f, slot);
    return (uint8_t)fake_host_mmio_read(f->vm,
                                        f->base + MEMORY_HOTPLUG_REG_STATUS,
                                        1);
}

static void
status_write(Fixture *f, uint32_t slot, uint8_t v)
{
    select_slot(f, slot);
    fake_host_mmio_write(f->vm, f->base + MEMORY_HOTPLUG_REG_STATUS, 1, v);
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

/* Each slot's base and length, whether plugged or not. */
static void
test_registers(Fixture *f, gconstpointer data)
{
    g_assert_cmphex(f->base, >=, FAKE_HOST_MMIO32_BASE);
    for (uint32_t s = 0; s < NSLOTS; s++) {
        uint64_t b = REGION_GPA + s * SLOT;

        g_assert_cmphex(reg(f, s, MEMORY_HOTPLUG_REG_BASE_LO), ==,
                        (uint32_t)b);
        g_assert_cmphex(reg(f, s, MEMORY_HOTPLUG_REG_BASE_HI), ==, b >> 32);
        g_assert_cmphex(reg(f, s, MEMORY_HOTPLUG_REG_LEN_LO), ==, SLOT);
        g_assert_cmphex(reg(f, s, MEMORY_HOTPLUG_REG_LEN_HI), ==, 0);
        g_assert_cmphex(reg(f, s, MEMORY_HOTPLUG_REG_PXM), ==, 0);
        g_assert_cmphex(status(f, s), ==, 0);
    }
    g_assert_cmpuint(memory_hotplug_plugged(f->hp), ==, 0);
}

static void
test_plug(Fixture *f, gconstpointer data)
{
    g_assert_true(memory_hotplug_plug(f->hp, 2 * SLOT, NULL));
    g_assert_cmpuint(memory_hotplug_plugged(f->hp), ==, 2 * SLOT);
    g_assert_cmpuint(ged_pulses(f), ==, 1);
    g_assert_cmphex(ged_events(f), ==, GED_EVENT_MEMORY_HOTPLUG);
    g_assert_cmphex(status(f, 0), ==, MEMORY_HOTPLUG_MEN | MEMORY_HOTPLUG_MINS);
    g_assert_cmphex(status(f, 1), ==, MEMORY_HOTPLUG_MEN | MEMORY_HOTPLUG_MINS);
    g_assert_cmphex(status(f, 2), ==, 0);
    /* MSCN clears MINS once it notified the slot; MEN_ stays. */
    status_write(f, 0, MEMORY_HOTPLUG_MINS);
    g_assert_cmphex(status(f, 0), ==, MEMORY_HOTPLUG_MEN);
    g_assert_cmphex(status(f, 1), ==, MEMORY_HOTPLUG_MEN | MEMORY_HOTPLUG_MINS);
    /* The same size again: nothing to tell the guest. */
    g_assert_true(memory_hotplug_plug(f->hp, 2 * SLOT, NULL));
    g_assert_cmpuint(ged_pulses(f), ==, 1);
    /* The next slot only. */
    g_assert_true(memory_hotplug_plug(f->hp, 3 * SLOT, NULL));
    g_assert_cmpuint(ged_pulses(f), ==, 2);
    g_assert_cmphex(status(f, 0), ==, MEMORY_HOTPLUG_MEN);
    g_assert_cmphex(status(f, 2), ==, MEMORY_HOTPLUG_MEN | MEMORY_HOTPLUG_MINS);
    g_assert_cmphex(status(f, 3), ==, 0);
}

/* Off the slot, past the region, or below what is plugged: refused with
 * the state and the guest untouched. */
static void
test_plug_refused(Fixture *f, gconstpointer data)
{
    static const struct {
        uint64_t bytes;
        int code;
        const char *mentions;
    } bad[] = {
        { SLOT / 2, G_IO_ERROR_INVALID_ARGUMENT, "128 MiB DIMM slot" },
        { 3 * SLOT + 4096, G_IO_ERROR_INVALID_ARGUMENT, "not a multiple" },
        { (NSLOTS + 1) * SLOT, G_IO_ERROR_NO_SPACE, "hotplug_size" },
        { G_MAXUINT64 - SLOT + 1, G_IO_ERROR_NO_SPACE, "hotplug_size" },
        { SLOT, G_IO_ERROR_NOT_SUPPORTED, "cannot be removed" },
        { 0, G_IO_ERROR_NOT_SUPPORTED, "cannot be removed" },
    };

    g_assert_true(memory_hotplug_plug(f->hp, 2 * SLOT, NULL));
    for (unsigned i = 0; i < G_N_ELEMENTS(bad); i++) {
        g_autoptr(GError) error = NULL;

        g_assert_false(memory_hotplug_check(f->hp, bad[i].bytes, NULL));
        g_assert_false(memory_hotplug_plug(f->hp, bad[i].bytes, &error));
        g_assert_error(error, G_IO_ERROR, bad[i].code);
        g_assert_nonnull(strstr(error->message, bad[i].mentions));
    }
    g_assert_cmpuint(memory_hotplug_plugged(f->hp), ==, 2 * SLOT);
    g_assert_cmpuint(ged_pulses(f), ==, 1);
    g_assert_cmphex(status(f, 2), ==, 0);
    g_assert_true(memory_hotplug_check(f->hp, NSLOTS * SLOT, NULL));
}

/* Whatever the guest writes, the VMM's slots stay as they are. */
static void
test_bad_access(Fixture *f, gconstpointer data)
{
    static const uint32_t sels[] = { NSLOTS, 0x100, 0xffffffffu };

    g_assert_true(memory_hotplug_plug(f->hp, SLOT, NULL));
    for (unsigned i = 0; i < G_N_ELEMENTS(sels); i++) {
        g_assert_cmphex(status(f, sels[i]), ==, 0);
        g_assert_cmphex(reg(f, sels[i], MEMORY_HOTPLUG_REG_BASE_LO), ==, 0);
        g_assert_cmphex(reg(f, sels[i], MEMORY_HOTPLUG_REG_LEN_LO), ==, 0);
        status_write(f, sels[i], 0xff);
    }
    /* An eject (MEJ0) or a write of MEN_ is ignored: DIMMs stay. */
    status_write(f, 0, MEMORY_HOTPLUG_MEJ0 | MEMORY_HOTPLUG_MEN |
                       MEMORY_HOTPLUG_MRMV);
    g_assert_cmphex(status(f, 0), ==, MEMORY_HOTPLUG_MEN | MEMORY_HOTPLUG_MINS);
    status_write(f, 1, MEMORY_HOTPLUG_MEN);
    g_assert_cmphex(status(f, 1), ==, 0);
    g_assert_cmpuint(memory_hotplug_plugged(f->hp), ==, SLOT);
    /* The read-only registers ignore writes; byte-wide MSEL writes
     * select as a dword does. */
    fake_host_mmio_write(f->vm, f->base + 4, 4, 0xffffffffu);
    fake_host_mmio_write(f->vm, f->base + 8, 8, G_MAXUINT64);
    fake_host_mmio_write(f->vm, f->base, 4, 0xffffff00u);
    fake_host_mmio_write(f->vm, f->base + 1, 1, 0);
    fake_host_mmio_write(f->vm, f->base + 2, 2, 0);
    g_assert_cmphex(fake_host_mmio_read(f->vm, f->base + 8, 4), ==, SLOT);
    g_assert_cmphex(fake_host_mmio_read(f->vm, f->base, 4), ==,
                    (uint32_t)REGION_GPA);
    g_assert_cmphex(fake_host_mmio_read(f->vm, f->base + 4, 4), ==,
                    REGION_GPA >> 32);
    /* Reserved bytes read 0; a read that straddles the end is harmless. */
    fake_host_mmio_write(f->vm, f->base + 0x15, 2, 0xffff);
    g_assert_cmphex(fake_host_mmio_read(f->vm, f->base + 0x15, 2), ==, 0);
    fake_host_mmio_read(f->vm, f->base + 0x14, 8);
    fake_host_mmio_write(f->vm, f->base + 0x14, 8, G_MAXUINT64);
    g_assert_cmpuint(ged_pulses(f), ==, 1);
}

/* A reboot keeps the DIMMs, which the guest then finds through _STA. */
static void
test_reset(Fixture *f, gconstpointer data)
{
    g_assert_true(memory_hotplug_plug(f->hp, 2 * SLOT, NULL));
    select_slot(f, 3);
    f->hp->ops->reset(f->hp);
    g_assert_cmphex(fake_host_mmio_read(f->vm, f->base, 4), ==,
                    (uint32_t)REGION_GPA);
    g_assert_cmphex(status(f, 0), ==, MEMORY_HOTPLUG_MEN);
    g_assert_cmphex(status(f, 1), ==, MEMORY_HOTPLUG_MEN);
    g_assert_cmphex(status(f, 2), ==, 0);
    g_assert_cmpuint(memory_hotplug_plugged(f->hp), ==, 2 * SLOT);
}

/* A VM created with hotplugged_size starts with those slots present and
 * nothing to announce. */
static void
test_boot_plugged(void)
{
    g_autoptr(FakeHost) vm = fake_host_new(0);
    VmmDevice *ged = ged_new(fake_host_base(vm), "_ged");
    VmmDevice *hp;
    uint64_t base;

    g_assert_true(fake_host_add(vm, ged, NULL));
    hp = memory_hotplug_new(fake_host_base(vm), MEMORY_HOTPLUG_ID, ged,
                            REGION_GPA, NSLOTS * SLOT, SLOT, 3 * SLOT);
    g_assert_true(fake_host_add(vm, hp, NULL));
    base = memory_hotplug_get_mmio_base(hp);
    g_assert_cmpuint(memory_hotplug_plugged(hp), ==, 3 * SLOT);
    fake_host_mmio_write(vm, base, 4, 2);
    g_assert_cmphex(fake_host_mmio_read(vm, base + 0x14, 1), ==,
                    MEMORY_HOTPLUG_MEN);
    fake_host_mmio_write(vm, base, 4, 3);
    g_assert_cmphex(fake_host_mmio_read(vm, base + 0x14, 1), ==, 0);
    g_assert_cmpuint(fake_host_irq_pulses(vm, ged_get_irq(ged)), ==, 0);
}

static void
test_save_restore(Fixture *f, gconstpointer data)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(JsonNode) st = NULL;
    g_autoptr(FakeHost) other = fake_host_new(0);
    VmmDevice *ged2, *hp2;
    JsonObject *o;

    g_assert_true(memory_hotplug_plug(f->hp, 2 * SLOT, NULL));
    status_write(f, 0, MEMORY_HOTPLUG_MINS);
    select_slot(f, 2);
    fake_host_check_save_restore(f->hp, f->hp);
    g_assert_cmphex(status(f, 0), ==, MEMORY_HOTPLUG_MEN);
    g_assert_cmphex(status(f, 1), ==, MEMORY_HOTPLUG_MEN | MEMORY_HOTPLUG_MINS);

    /* A VM restored from it is created with the saved hotplugged_size:
     * the slot that had news gets its interrupt again. */
    st = f->hp->ops->save(f->hp, NULL);
    ged2 = ged_new(fake_host_base(other), "_ged");
    g_assert_true(fake_host_add(other, ged2, NULL));
    hp2 = memory_hotplug_new(fake_host_base(other), MEMORY_HOTPLUG_ID, ged2,
                             REGION_GPA, NSLOTS * SLOT, SLOT, 2 * SLOT);
    g_assert_true(fake_host_add(other, hp2, NULL));
    g_assert_cmphex(memory_hotplug_get_mmio_base(hp2), ==, f->base);
    g_assert_true(hp2->ops->restore(hp2, st, &error));
    g_assert_no_error(error);
    g_assert_cmpuint(fake_host_irq_pulses(other, ged_get_irq(ged2)), ==, 1);
    fake_host_mmio_write(other, f->base, 4, 1);
    g_assert_cmphex(fake_host_mmio_read(other, f->base + 0x14, 1), ==,
                    MEMORY_HOTPLUG_MEN | MEMORY_HOTPLUG_MINS);

    /* Slots the VM does not have plugged, another layout, unknown bits:
     * refused, nothing changes. */
    g_assert_true(memory_hotplug_plug(f->hp, 3 * SLOT, NULL));
    g_assert_false(f->hp->ops->restore(f->hp, st, &error));
    g_assert_nonnull(strstr(error->message, "slot 2 is empty"));
    g_clear_error(&error);
    g_clear_pointer(&st, json_node_unref);
    st = f->hp->ops->save(f->hp, NULL);
    o = json_node_get_object(st);
    json_object_set_int_member(o, "slot_size", 2 * SLOT);
    g_assert_false(f->hp->ops->restore(f->hp, st, &error));
    g_assert_nonnull(strstr(error->message, "slot_size"));
    g_clear_error(&error);
    json_object_set_int_member(o, "slot_size", SLOT);
    json_object_set_int_member(o, "region_gpa", REGION_GPA + SLOT);
    g_assert_false(f->hp->ops->restore(f->hp, st, &error));
    g_assert_nonnull(strstr(error->message, "region_gpa"));
    g_clear_error(&error);
    json_object_set_int_member(o, "region_gpa", REGION_GPA);
    /* 01 01 01: three slots of four. */
    json_object_set_string_member(o, "flags", "AQEB");
    g_assert_false(f->hp->ops->restore(f->hp, st, &error));
    g_assert_nonnull(strstr(error->message, "flags"));
    g_clear_error(&error);
    /* 11 01 01 00: unknown bits in slot 0. */
    json_object_set_string_member(o, "flags", "EQEBAA==");
    g_assert_false(f->hp->ops->restore(f->hp, st, &error));
    g_assert_nonnull(strstr(error->message, "unknown bits"));
    g_clear_error(&error);
    /* 02 01 01 00: slot 0 inserting without a DIMM. */
    json_object_set_string_member(o, "flags", "AgEBAA==");
    g_assert_false(f->hp->ops->restore(f->hp, st, &error));
    g_assert_nonnull(strstr(error->message, "slot 0"));
    g_assert_cmphex(status(f, 2), ==, MEMORY_HOTPLUG_MEN | MEMORY_HOTPLUG_MINS);
}

/* The config's slot size: 128 MiB blocks, doubled past 256 slots. */
static void
test_slot_size(void)
{
    g_assert_cmpuint(vm_config_acpi_slot_size(1ULL << 30), ==, SLOT);
    g_assert_cmpuint(vm_config_acpi_slot_size(32ULL << 30), ==, SLOT);
    g_assert_cmpuint(vm_config_acpi_slot_size((32ULL << 30) + SLOT), ==,
                     2 * SLOT);
    g_assert_cmpuint(vm_config_acpi_slot_size(1ULL << 40), ==, 4ULL << 30);
}

/* --memory hotplug_method=acpi (the default method): the region and
 * what the boot plugs are whole slots; accepted otherwise. */
static void
test_config(void)
{
    static const struct {
        const char *cli;
        const char *message;    /* NULL: accepted */
    } cases[] = {
        { "size=512M,hotplug_size=1G", NULL },
        { "size=512M,hotplug_method=acpi,hotplug_size=1G,"
          "hotplugged_size=256M", NULL },
        { "size=512M,hotplug_size=64G", NULL },
        { "size=512M,hotplug_size=1G,hotplugged_size=64M",
          "hotplugged_size=67108864 with hotplug_method=Acpi must be a "
          "multiple of the 128 MiB DIMM slot" },
        { "size=512M,hotplug_size=32896M",
          "multiple of its 256 MiB DIMM slot (at most 256 slots)" },
        { "size=512M,hotplug_size=100M", "must be a multiple of 128 MiB" },
        { "size=512M,hotplug_size=1G,hotplugged_size=2G",
          "at most hotplug_size" },
        { "size=512M,hotplug_size=1G,hugepages=on",
          "hotplug_size with hugepages=" },
    };

    for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_autoptr(VmConfig) c = vm_config_new();
        g_autoptr(GError) error = NULL;

        c->payload.kernel = g_strdup("vmlinux");
        if (vm_config_parse_memory(&c->memory, cases[i].cli, &error))
            vm_config_validate(c, &error);
        g_test_message("%s -> %s", cases[i].cli,
                       error ? error->message : "(accepted)");
        if (!cases[i].message) {
            g_assert_no_error(error);
            g_assert_cmpint(c->memory.hotplug_method, ==,
                            MEMORY_HOTPLUG_ACPI);
            continue;
        }
        g_assert_nonnull(error);
        g_assert_nonnull(strstr(error->message, cases[i].message));
    }
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
#define ADD(path, fn) \
    g_test_add("/memory-hotplug/" path, Fixture, NULL, fixture_setup, fn, \
               fixture_teardown)
    ADD("registers", test_registers);
    ADD("plug", test_plug);
    ADD("plug-refused", test_plug_refused);
    ADD("bad-access", test_bad_access);
    ADD("reset", test_reset);
    ADD("save-restore", test_save_restore);
#undef ADD
    g_test_add_func("/memory-hotplug/boot-plugged", test_boot_plugged);
    g_test_add_func("/memory-hotplug/slot-size", test_slot_size);
    g_test_add_func("/memory-hotplug/config", test_config);
    return g_test_run();
}
