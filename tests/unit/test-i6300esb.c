/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests for the 6300ESB watchdog: registers, unlocking, stages, actions, config. */
#include <config.h>

#include <string.h>
#include <gio/gio.h>

#include "devices/pci/i6300esb.h"
#include "devices/pci/pci-bus.h"
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
fixture_start(Fixture *f, WatchdogAction action)
{
    g_autoptr(GError) error = NULL;
    PciBus *bus;

    f->vm = fake_host_new(8u << 20);
    bus = pci_bus_create(fake_host_base(f->vm), PCI_ECAM_BASE, &error);
    g_assert_no_error(error);
    f->dev = i6300esb_new(fake_host_base(f->vm), NULL, bus, SLOT, action);
    g_assert_true(fake_host_add(f->vm, f->dev, &error));
    g_assert_no_error(error);
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
unlock(Fixture *f)
{
    fake_host_mmio_write(f->vm, f->bar0 + I6300ESB_MMIO_RELOAD, 2,
                         I6300ESB_UNLOCK1);
    fake_host_mmio_write(f->vm, f->bar0 + I6300ESB_MMIO_RELOAD, 2,
                         I6300ESB_UNLOCK2);
}

/* What Linux's driver does to set a timeout: both preloads, each after
 * an unlock, then a reload. */
static void
set_preloads(Fixture *f, uint32_t value)
{
    unlock(f);
    fake_host_mmio_write(f->vm, f->bar0 + I6300ESB_MMIO_TIMER1, 4, value);
    unlock(f);
    fake_host_mmio_write(f->vm, f->bar0 + I6300ESB_MMIO_TIMER2, 4, value);
}

static void
pet(Fixture *f)
{
    unlock(f);
    fake_host_mmio_write(f->vm, f->bar0 + I6300ESB_MMIO_RELOAD, 2,
                         I6300ESB_RELOAD_RELOAD);
}

static uint16_t
reload_reg(Fixture *f)
{
    return (uint16_t)fake_host_mmio_read(f->vm,
                                         f->bar0 + I6300ESB_MMIO_RELOAD, 2);
}

static void
enable(Fixture *f, uint16_t config, uint8_t lock)
{
    fake_host_mmio_write(f->vm, CFG(I6300ESB_REG_CONFIG), 2, config);
    fake_host_mmio_write(f->vm, CFG(I6300ESB_REG_LOCK), 1,
                         lock | I6300ESB_LOCK_ENABLE);
}

static bool
reset_requested(gpointer data)
{
    return fake_host_reset_requests(data) > 0;
}

static bool
poweroff_requested(gpointer data)
{
    return fake_host_poweroff_requests(data) > 0;
}

static bool
event_none(gpointer data)
{
    return fake_host_count_events(
        data, "guest/watchdog id=__i6300esb action=none") > 0;
}

static void
test_identity(void)
{
    Fixture f = { 0 };

    fixture_start(&f, WATCHDOG_ACTION_RESET);
    g_assert_cmphex(fake_host_mmio_read(f.vm, CFG(PCI_REG_VENDOR_ID), 2), ==,
                    0x8086);
    g_assert_cmphex(fake_host_mmio_read(f.vm, CFG(PCI_REG_DEVICE_ID), 2), ==,
                    0x25ab);
    g_assert_cmpstr(f.dev->id, ==, I6300ESB_ID);
    /* The BAR is 16 bytes: sizing reads back ~15. */
    fake_host_mmio_write(f.vm, CFG(PCI_REG_BAR0), 4, 0xffffffff);
    g_assert_cmphex(fake_host_mmio_read(f.vm, CFG(PCI_REG_BAR0), 4) & ~0xfu,
                    ==, 0xfffffff0);
    fixture_stop(&f);
}

/* The datasheet's arithmetic: 2^15 or 2^5 PCI clocks of 30 ns a tick. */
static void
test_stage_time(void)
{
    g_assert_cmpuint(i6300esb_stage_ns(1, false), ==, 32768u * 30);
    g_assert_cmpuint(i6300esb_stage_ns(1, true), ==, 32u * 30);
    /* Linux's heartbeat: preload = seconds << 9, two stages = ~1 s. */
    g_assert_cmpuint(2 * i6300esb_stage_ns(1 << 9, false) / 1000000, ==,
                     1006);
    /* 0 counts as 1; only 20 bits count. */
    g_assert_cmpuint(i6300esb_stage_ns(0, true), ==, 32u * 30);
    g_assert_cmpuint(i6300esb_stage_ns(0x100001, true), ==, 32u * 30);
}

/* Preloads change only right after 0x80, 0x86, and only once. */
static void
test_unlock(void)
{
    Fixture f = { 0 };
    uint64_t t1 = 0;

    fixture_start(&f, WATCHDOG_ACTION_RESET);
    t1 = f.bar0 + I6300ESB_MMIO_TIMER1;
    g_assert_cmphex(fake_host_mmio_read(f.vm, t1, 4), ==, 0xfffff);
    fake_host_mmio_write(f.vm, t1, 4, 0x123);
    g_assert_cmphex(fake_host_mmio_read(f.vm, t1, 4), ==, 0xfffff);
    unlock(&f);
    fake_host_mmio_write(f.vm, t1, 4, 0x123);
    g_assert_cmphex(fake_host_mmio_read(f.vm, t1, 4), ==, 0x123);
    fake_host_mmio_write(f.vm, t1, 4, 0x456);
    g_assert_cmphex(fake_host_mmio_read(f.vm, t1, 4), ==, 0x123);
    /* 0x86 without 0x80 first opens nothing; 20 bits are kept. */
    fake_host_mmio_write(f.vm, f.bar0 + I6300ESB_MMIO_RELOAD, 2,
                         I6300ESB_UNLOCK2);
    fake_host_mmio_write(f.vm, t1, 4, 0x456);
    g_assert_cmphex(fake_host_mmio_read(f.vm, t1, 4), ==, 0x123);
    unlock(&f);
    fake_host_mmio_write(f.vm, t1, 4, 0xfff00001);
    g_assert_cmphex(fake_host_mmio_read(f.vm, t1, 4), ==, 0x00001);
    /* A 16-bit write to a preload is not the driver's and changes nothing. */
    unlock(&f);
    fake_host_mmio_write(f.vm, t1, 2, 0x77);
    g_assert_cmphex(fake_host_mmio_read(f.vm, t1, 4), ==, 0x00001);
    fixture_stop(&f);
}

/* Enabled and never petted: stage 1, stage 2, then the reset, the event
 * and the timeout flag, which a device reset keeps and W1C clears. */
static void
test_bite_reset(void)
{
    Fixture f = { 0 };

    fixture_start(&f, WATCHDOG_ACTION_RESET);
    set_preloads(&f, 100);              /* 1 MHz: 96 us a stage */
    enable(&f, I6300ESB_CONFIG_FREQ_1MHZ, 0);
    g_assert_true(fake_host_iterate_until(f.vm, reset_requested, f.vm, 5000));
    g_assert_cmpuint(fake_host_count_events(
        f.vm, "guest/watchdog id=__i6300esb action=reset"), ==, 1);
    /* Interrupt type 0 (IRQ): stage 1 left its status. */
    g_assert_cmphex(fake_host_mmio_read(f.vm, f.bar0 + I6300ESB_MMIO_GINTSR,
                                        1), ==, 1);
    g_assert_cmphex(reload_reg(&f), ==, I6300ESB_RELOAD_TIMEOUT);
    f.dev->ops->reset(f.dev);
    fake_host_mmio_write(f.vm, CFG(PCI_REG_COMMAND), 2, PCI_COMMAND_MEMORY);
    g_assert_cmphex(reload_reg(&f), ==, I6300ESB_RELOAD_TIMEOUT);
    g_assert_cmphex(fake_host_mmio_read(f.vm, CFG(I6300ESB_REG_LOCK), 1), ==,
                    0);
    unlock(&f);
    fake_host_mmio_write(f.vm, f.bar0 + I6300ESB_MMIO_RELOAD, 2,
                         I6300ESB_RELOAD_TIMEOUT | I6300ESB_RELOAD_RELOAD);
    g_assert_cmphex(reload_reg(&f), ==, 0);
    fixture_stop(&f);
}

static void
test_bite_poweroff(void)
{
    Fixture f = { 0 };

    fixture_start(&f, WATCHDOG_ACTION_POWEROFF);
    set_preloads(&f, 100);
    enable(&f, I6300ESB_CONFIG_FREQ_1MHZ | I6300ESB_CONFIG_INT_TYPE, 0);
    g_assert_true(fake_host_iterate_until(f.vm, poweroff_requested, f.vm,
                                          5000));
    g_assert_cmpuint(fake_host_reset_requests(f.vm), ==, 0);
    /* Interrupt type 3: no stage-1 status. */
    g_assert_cmphex(fake_host_mmio_read(f.vm, f.bar0 + I6300ESB_MMIO_GINTSR,
                                        1), ==, 0);
    fixture_stop(&f);
}

/* action=none, or the guest turning the reboot output off: the flag and
 * an event with action none, and the VM runs on. */
static void
test_bite_none(void)
{
    Fixture f = { 0 };

    fixture_start(&f, WATCHDOG_ACTION_RESET);
    set_preloads(&f, 100);
    enable(&f, I6300ESB_CONFIG_FREQ_1MHZ | I6300ESB_CONFIG_OUTPUT_OFF, 0);
    g_assert_true(fake_host_iterate_until(f.vm, event_none, f.vm, 5000));
    g_assert_cmpuint(fake_host_reset_requests(f.vm), ==, 0);
    g_assert_cmphex(reload_reg(&f), ==, I6300ESB_RELOAD_TIMEOUT);
    fixture_stop(&f);

    fixture_start(&f, WATCHDOG_ACTION_NONE);
    set_preloads(&f, 100);
    enable(&f, I6300ESB_CONFIG_FREQ_1MHZ, 0);
    g_assert_true(fake_host_iterate_until(f.vm, event_none, f.vm, 5000));
    g_assert_cmpuint(fake_host_reset_requests(f.vm), ==, 0);
    g_assert_cmpuint(fake_host_poweroff_requests(f.vm), ==, 0);
    fixture_stop(&f);
}

/* Petting within the timeout keeps the VM; stopping gets it reset. */
static void
test_pet(void)
{
    Fixture f = { 0 };
    int64_t start;

    fixture_start(&f, WATCHDOG_ACTION_RESET);
    /* 1 kHz, preload 512: about 0.5 s a stage, 1 s in all (heartbeat=1). */
    set_preloads(&f, 1 << 9);
    enable(&f, 0x3, 0);
    pet(&f);
    start = g_get_monotonic_time();
    while (g_get_monotonic_time() - start < 2 * G_USEC_PER_SEC) {
        g_assert_false(fake_host_iterate_until(f.vm, reset_requested, f.vm,
                                               100));
        pet(&f);
    }
    start = g_get_monotonic_time();
    g_assert_true(fake_host_iterate_until(f.vm, reset_requested, f.vm,
                                          10000));
    g_assert_cmpint(g_get_monotonic_time() - start, >=, 900 * 1000);
    fixture_stop(&f);
}

/* Disabling stops the count; once locked the enable bit stays. */
static void
test_lock(void)
{
    Fixture f = { 0 };

    fixture_start(&f, WATCHDOG_ACTION_RESET);
    set_preloads(&f, 100);
    enable(&f, I6300ESB_CONFIG_FREQ_1MHZ, 0);
    fake_host_mmio_write(f.vm, CFG(I6300ESB_REG_LOCK), 1, 0);
    g_assert_false(fake_host_iterate_until(f.vm, reset_requested, f.vm, 50));

    enable(&f, 0x3, I6300ESB_LOCK_LOCKED);    /* ~32 s a stage */
    fake_host_mmio_write(f.vm, CFG(I6300ESB_REG_LOCK), 1, 0);
    g_assert_cmphex(fake_host_mmio_read(f.vm, CFG(I6300ESB_REG_LOCK), 1), ==,
                    I6300ESB_LOCK_LOCKED | I6300ESB_LOCK_ENABLE);
    fixture_stop(&f);
}

/* Free-running mode: stage 1 sets the status, never a reset. */
static void
test_free_running(void)
{
    Fixture f = { 0 };

    fixture_start(&f, WATCHDOG_ACTION_RESET);
    set_preloads(&f, 100);
    enable(&f, I6300ESB_CONFIG_FREQ_1MHZ, I6300ESB_LOCK_FREE_RUN);
    g_assert_false(fake_host_iterate_until(f.vm, reset_requested, f.vm, 50));
    g_assert_cmphex(fake_host_mmio_read(f.vm, f.bar0 + I6300ESB_MMIO_GINTSR,
                                        1), ==, 1);
    fake_host_mmio_write(f.vm, f.bar0 + I6300ESB_MMIO_GINTSR, 1, 1);
    g_assert_false(fake_host_iterate_until(f.vm, reset_requested, f.vm, 50));
    g_assert_cmphex(fake_host_mmio_read(f.vm, f.bar0 + I6300ESB_MMIO_GINTSR,
                                        1), ==, 1);
    fixture_stop(&f);
}

/* A save while counting restores counting (the rest of the stage), and
 * a paused device does not count. */
static void
test_save_pause(void)
{
    Fixture f = { 0 };
    g_autoptr(GError) error = NULL;
    g_autoptr(JsonNode) state = NULL;

    fixture_start(&f, WATCHDOG_ACTION_RESET);
    set_preloads(&f, 100);
    enable(&f, I6300ESB_CONFIG_FREQ_1MHZ, 0);
    /* Paused before the control thread saw the deadline. */
    g_assert_true(f.dev->ops->pause(f.dev, &error));
    state = f.dev->ops->save(f.dev, &error);
    g_assert_no_error(error);
    f.dev->ops->reset(f.dev);
    g_assert_true(f.dev->ops->restore(f.dev, state, &error));
    g_assert_no_error(error);
    g_assert_false(fake_host_iterate_until(f.vm, reset_requested, f.vm, 50));
    g_assert_true(f.dev->ops->resume(f.dev, &error));
    g_assert_true(fake_host_iterate_until(f.vm, reset_requested, f.vm, 5000));
    fixture_stop(&f);
}

/* --nimbus-watchdog: the model and the action, checked. */
static void
test_config(void)
{
    const VmConfigKind *kind = i6300esb_type.kind;
    g_autoptr(GError) error = NULL;
    g_autoptr(VmConfig) c = vm_config_new();
    g_autoptr(VmConfig) back = NULL;
    g_autofree char *json = NULL;
    gpointer entry;

    entry = vm_config_kind_parse_cli(kind, "action=poweroff", &error);
    g_assert_no_error(error);
    c->payload.kernel = g_strdup("vmlinux");
    vm_config_kind_append(c, kind, entry);
    g_assert_true(vm_config_validate(c, &error));
    g_assert_no_error(error);
    g_assert_cmpstr(vm_config_kind_id(kind, vm_config_kind_entry(c, kind, 0)),
                    ==, I6300ESB_ID);
    json = vm_config_to_json(c, false);
    g_assert_nonnull(strstr(json, "\"nimbus_watchdog\":{"));
    g_assert_nonnull(strstr(json, "\"model\":\"i6300esb\""));
    g_assert_nonnull(strstr(json, "\"action\":\"poweroff\""));
    back = vm_config_from_json(json, -1, &error);
    g_assert_no_error(error);
    g_assert_cmpuint(vm_config_kind_count(back, kind), ==, 1);

    g_assert_null(vm_config_kind_parse_cli(kind, "action=dump", &error));
    g_assert_nonnull(strstr(error->message, "action"));
    g_clear_error(&error);
    g_assert_null(vm_config_kind_parse_cli(kind, "model=ib700", &error));
    g_assert_nonnull(strstr(error->message, "model"));
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    device_registry_init();
    g_test_add_func("/i6300esb/identity", test_identity);
    g_test_add_func("/i6300esb/stage-time", test_stage_time);
    g_test_add_func("/i6300esb/unlock", test_unlock);
    g_test_add_func("/i6300esb/bite-reset", test_bite_reset);
    g_test_add_func("/i6300esb/bite-poweroff", test_bite_poweroff);
    g_test_add_func("/i6300esb/bite-none", test_bite_none);
    g_test_add_func("/i6300esb/pet", test_pet);
    g_test_add_func("/i6300esb/lock", test_lock);
    g_test_add_func("/i6300esb/free-running", test_free_running);
    g_test_add_func("/i6300esb/save-pause", test_save_pause);
    g_test_add_func("/i6300esb/config", test_config);
    return g_test_run();
}
