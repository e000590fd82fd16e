/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests for the ACPI CPU hotplug controller's registers and ejects. */
#include <config.h>

#include <string.h>
#include <gio/gio.h>

#include "devices/legacy/cpu-hotplug.h"
#include "devices/legacy/legacy.h"
#include "tests/unit/fake-vm.h"

#define MAX_VCPUS 4

typedef struct {
    FakeHost *vm;
    VmmDevice *ged;
    VmmDevice *hp;
    uint64_t base;
    unsigned calls;
    uint32_t ejected;           /* bitmap of reported vCPUs */
} Fixture;

static void
on_eject(uint32_t cpu, gpointer opaque)
{
    Fixture *f = opaque;

    g_assert_cmpuint(cpu, <, MAX_VCPUS);
    f->calls++;
    f->ejected |= 1u << cpu;
}

static void
fixture_setup(Fixture *f, gconstpointer data)
{
    f->vm = fake_host_new(0);
    fake_host_set_boot_vcpus(f->vm, 1);
    f->ged = ged_new(fake_host_base(f->vm), "_ged");
    g_assert_true(fake_host_add(f->vm, f->ged, NULL));
    f->hp = cpu_hotplug_new(fake_host_base(f->vm), "_cpu", f->ged, MAX_VCPUS,
                            1);
    g_assert_true(fake_host_add(f->vm, f->hp, NULL));
    f->base = cpu_hotplug_get_mmio_base(f->hp);
    cpu_hotplug_set_eject_handler(f->hp, on_eject, f);
}

static void
fixture_teardown(Fixture *f, gconstpointer data)
{
    g_clear_pointer(&f->vm, fake_host_free);
}

static void
select_cpu(Fixture *f, uint32_t cpu)
{
    fake_host_mmio_write(f->vm, f->base + CPU_HOTPLUG_REG_CSEL, 4, cpu);
}

/* The status byte of @cpu, as the guest's CSTA/CSCN read it. */
static uint8_t
status(Fixture *f, uint32_t cpu)
{
    select_cpu(f, cpu);
    return (uint8_t)fake_host_mmio_read(f->vm,
                                        f->base + CPU_HOTPLUG_REG_STATUS, 1);
}

static void
status_write(Fixture *f, uint32_t cpu, uint8_t v)
{
    select_cpu(f, cpu);
    fake_host_mmio_write(f->vm, f->base + CPU_HOTPLUG_REG_STATUS, 1, v);
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
    /* The boot vCPU is present, the others are not. */
    g_assert_cmphex(status(f, 0), ==, CPU_HOTPLUG_CPEN);
    g_assert_cmphex(status(f, 1), ==, 0);
    g_assert_true(cpu_hotplug_plug(f->hp, 1, NULL));
    g_assert_true(cpu_hotplug_plug(f->hp, 3, NULL));
    g_assert_cmpuint(ged_pulses(f), ==, 2);
    g_assert_cmphex(ged_events(f), ==, GED_EVENT_CPU_HOTPLUG);
    g_assert_cmphex(status(f, 1), ==, CPU_HOTPLUG_CPEN | CPU_HOTPLUG_CINS);
    g_assert_cmphex(status(f, 2), ==, 0);
    /* CSCN clears CINS once it notified the CPU; CPEN stays. */
    status_write(f, 1, CPU_HOTPLUG_CINS);
    g_assert_cmphex(status(f, 1), ==, CPU_HOTPLUG_CPEN);
    g_assert_cmphex(status(f, 3), ==, CPU_HOTPLUG_CPEN | CPU_HOTPLUG_CINS);
    g_assert_true(cpu_hotplug_is_present(f->hp, 3));
    /* Present already, or past the last vCPU: refused, no interrupt. */
    g_assert_false(cpu_hotplug_plug(f->hp, 1, &error));
    g_assert_error(error, G_IO_ERROR, G_IO_ERROR_EXISTS);
    g_clear_error(&error);
    g_assert_false(cpu_hotplug_plug(f->hp, MAX_VCPUS, &error));
    g_assert_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
    g_assert_cmpuint(ged_pulses(f), ==, 2);
}

static void
test_eject(Fixture *f, gconstpointer data)
{
    g_autoptr(GError) error = NULL;

    g_assert_true(cpu_hotplug_plug(f->hp, 2, NULL));
    status_write(f, 2, CPU_HOTPLUG_CINS);
    g_assert_true(cpu_hotplug_request_eject(f->hp, 2, NULL));
    g_assert_cmpuint(ged_pulses(f), ==, 2);
    g_assert_false(cpu_hotplug_request_eject(f->hp, 2, &error));
    g_assert_error(error, G_IO_ERROR, G_IO_ERROR_BUSY);
    g_clear_error(&error);
    g_assert_false(cpu_hotplug_request_eject(f->hp, 3, &error));
    g_assert_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
    g_clear_error(&error);
    g_assert_cmphex(status(f, 2), ==, CPU_HOTPLUG_CPEN | CPU_HOTPLUG_CRMV);
    status_write(f, 2, CPU_HOTPLUG_CRMV);
    g_assert_cmphex(status(f, 2), ==, CPU_HOTPLUG_CPEN);

    /* The guest's _EJ0: reported on the control thread, not at once. */
    status_write(f, 2, CPU_HOTPLUG_CEJ0);
    g_assert_cmpuint(f->calls, ==, 0);
    g_assert_cmphex(status(f, 2), ==, 0);
    g_assert_false(cpu_hotplug_is_present(f->hp, 2));
    /* Not reported yet: it cannot be plugged again before the VMM knows. */
    g_assert_false(cpu_hotplug_plug(f->hp, 2, &error));
    g_assert_error(error, G_IO_ERROR, G_IO_ERROR_EXISTS);
    g_clear_error(&error);
    fake_host_iterate(f->vm);
    g_assert_cmpuint(f->calls, ==, 1);
    g_assert_cmphex(f->ejected, ==, 1u << 2);
    /* A second CEJ0 is not a second eject. */
    status_write(f, 2, CPU_HOTPLUG_CEJ0);
    fake_host_iterate(f->vm);
    g_assert_cmpuint(f->calls, ==, 1);
    /* It can come back. */
    g_assert_true(cpu_hotplug_plug(f->hp, 2, NULL));
}

/* The guest can only eject what the VMM asked to remove, and only the
 * selected vCPU. */
static void
test_eject_unrequested(Fixture *f, gconstpointer data)
{
    status_write(f, 0, CPU_HOTPLUG_CEJ0 | CPU_HOTPLUG_CRMV);
    fake_host_iterate(f->vm);
    g_assert_cmpuint(f->calls, ==, 0);
    g_assert_cmphex(status(f, 0), ==, CPU_HOTPLUG_CPEN);
    g_assert_true(cpu_hotplug_plug(f->hp, 1, NULL));
    g_assert_true(cpu_hotplug_request_eject(f->hp, 1, NULL));
    status_write(f, 3, CPU_HOTPLUG_CEJ0);
    status_write(f, 0, CPU_HOTPLUG_CEJ0);
    fake_host_iterate(f->vm);
    g_assert_cmpuint(f->calls, ==, 0);
    status_write(f, 1, 0xff);
    fake_host_iterate(f->vm);
    g_assert_cmpuint(f->calls, ==, 1);
    g_assert_cmphex(f->ejected, ==, 1u << 1);
}

/* Hostile selectors and widths: ignored, never fatal, nothing changes. */
static void
test_bad_access(Fixture *f, gconstpointer data)
{
    static const uint32_t sels[] = { MAX_VCPUS, 0x100, 0xffffffffu };

    g_assert_true(cpu_hotplug_plug(f->hp, 1, NULL));
    g_assert_true(cpu_hotplug_request_eject(f->hp, 1, NULL));
    for (unsigned i = 0; i < G_N_ELEMENTS(sels); i++) {
        g_assert_cmphex(status(f, sels[i]), ==, 0);
        status_write(f, sels[i], 0xff);
        /* CSEL reads back what was written, even out of range. */
        g_assert_cmphex(fake_host_mmio_read(f->vm, f->base, 4), ==, sels[i]);
    }
    fake_host_iterate(f->vm);
    g_assert_cmpuint(f->calls, ==, 0);
    /* Byte-wide CSEL writes (a ByteAcc field) select as a dword does. */
    fake_host_mmio_write(f->vm, f->base, 4, 0xffffff00u);
    fake_host_mmio_write(f->vm, f->base + 1, 1, 0);
    fake_host_mmio_write(f->vm, f->base + 2, 2, 0);
    fake_host_mmio_write(f->vm, f->base, 1, 1);
    g_assert_cmphex(fake_host_mmio_read(f->vm, f->base + 4, 1), ==,
                    CPU_HOTPLUG_CPEN | CPU_HOTPLUG_CINS | CPU_HOTPLUG_CRMV);
    /* A dword at 4 holds the status and reserved zero bytes; reserved
     * bytes ignore writes; an 8-byte read straddles the end. */
    g_assert_cmphex(fake_host_mmio_read(f->vm, f->base + 4, 4), ==,
                    CPU_HOTPLUG_CPEN | CPU_HOTPLUG_CINS | CPU_HOTPLUG_CRMV);
    fake_host_mmio_write(f->vm, f->base + 8, 4, 0xffffffffu);
    g_assert_cmphex(fake_host_mmio_read(f->vm, f->base + 8, 4), ==, 0);
    fake_host_mmio_read(f->vm, f->base + 8, 8);
    fake_host_mmio_write(f->vm, f->base + 8, 8, G_MAXUINT64);
    /* One 8-byte write: CSEL = 1, then its status byte = CEJ0. */
    fake_host_mmio_write(f->vm, f->base, 8,
                         1 | ((uint64_t)CPU_HOTPLUG_CEJ0 << 32));
    fake_host_iterate(f->vm);
    g_assert_cmpuint(f->calls, ==, 1);
    g_assert_cmphex(f->ejected, ==, 1u << 1);
}

static void
test_reset(Fixture *f, gconstpointer data)
{
    g_assert_true(cpu_hotplug_plug(f->hp, 1, NULL));
    g_assert_true(cpu_hotplug_plug(f->hp, 2, NULL));
    g_assert_true(cpu_hotplug_request_eject(f->hp, 2, NULL));
    /* The VM reboots with two vCPUs: no news, no eject in flight. */
    fake_host_set_boot_vcpus(f->vm, 2);
    f->hp->ops->reset(f->hp);
    g_assert_cmphex(status(f, 0), ==, CPU_HOTPLUG_CPEN);
    g_assert_cmphex(status(f, 1), ==, CPU_HOTPLUG_CPEN);
    g_assert_cmphex(status(f, 2), ==, 0);
    status_write(f, 2, CPU_HOTPLUG_CEJ0);
    fake_host_iterate(f->vm);
    g_assert_cmpuint(f->calls, ==, 0);
}

static void
test_save_restore(Fixture *f, gconstpointer data)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(JsonNode) st = NULL;
    JsonObject *o;

    g_assert_true(cpu_hotplug_plug(f->hp, 1, NULL));
    /* A VM restored from it is created with the saved boot_vcpus, which
     * a resize keeps equal to the present vCPUs. */
    fake_host_set_boot_vcpus(f->vm, 2);
    select_cpu(f, 2);
    fake_host_check_save_restore(f->hp, f->hp);
    g_assert_cmphex(fake_host_mmio_read(f->vm, f->base, 4), ==, 2);
    g_assert_cmphex(status(f, 1), ==, CPU_HOTPLUG_CPEN | CPU_HOTPLUG_CINS);
    /* Present vCPUs that the VM does not have: refused. */
    fake_host_set_boot_vcpus(f->vm, 3);
    st = f->hp->ops->save(f->hp, NULL);
    g_assert_false(f->hp->ops->restore(f->hp, st, &error));
    g_assert_nonnull(strstr(error->message, "vCPU 2 is absent"));
    g_clear_error(&error);
    g_clear_pointer(&st, json_node_unref);
    fake_host_set_boot_vcpus(f->vm, 2);
    /* A blob for another vCPU count, or with unknown bits, is refused
     * and changes nothing. */
    st = f->hp->ops->save(f->hp, NULL);
    o = json_node_get_object(st);
    json_object_set_string_member(o, "flags", "AQ==");
    g_assert_false(f->hp->ops->restore(f->hp, st, &error));
    g_assert_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA);
    g_assert_nonnull(strstr(error->message, "flags"));
    g_clear_error(&error);
    json_object_set_string_member(o, "flags", "AUAAAA==");
    g_assert_false(f->hp->ops->restore(f->hp, st, &error));
    g_assert_nonnull(strstr(error->message, "unknown bits"));
    g_assert_cmphex(status(f, 1), ==, CPU_HOTPLUG_CPEN | CPU_HOTPLUG_CINS);
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
#define ADD(path, fn) \
    g_test_add("/cpu-hotplug/" path, Fixture, NULL, fixture_setup, fn, \
               fixture_teardown)
    ADD("plug", test_plug);
    ADD("eject", test_eject);
    ADD("eject-unrequested", test_eject_unrequested);
    ADD("bad-access", test_bad_access);
    ADD("reset", test_reset);
    ADD("save-restore", test_save_restore);
#undef ADD
    return g_test_run();
}
