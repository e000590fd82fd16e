/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests for virtio-watchdog: pings, the reset when they stop, disarming, --watchdog. */
#include <config.h>

#include <string.h>
#include <gio/gio.h>
#include <linux/virtio_ids.h>

#include "devices/registry.h"
#include "devices/virtio/watchdog.h"
#include "devices/virtio/worker.h"
#include "tests/testutil.h"
#include "tests/unit/fake-vm.h"
#include "tests/unit/test-virtio-driver.h"

#define QSIZE 16
/* Short enough for a unit test, long enough for a loaded machine to keep
 * pinging in time (pings come every 20 ms). */
#define INTERVAL_US (50 * 1000)
#define TIMEOUT_US (600 * 1000)
#define RESET_EVENT "guest/watchdog id=__watchdog action=reset"

typedef struct {
    GuestMemory *mem;
    FakeHost *host;
    VirtioDevice *vdev;
    TdRing ring;
} Fixture;

static void
fixture_start(Fixture *f)
{
    f->mem = td_memory_new();
    f->host = fake_host_new_with_memory(f->mem);
    f->vdev = virtio_watchdog_new(fake_host_base(f->host), INTERVAL_US,
                                  TIMEOUT_US);
    g_assert_nonnull(f->vdev);
    g_assert_cmpuint(f->vdev->ops->device_type, ==, VIRTIO_ID_WATCHDOG);
    g_assert_cmpstr(f->vdev->id, ==, "__watchdog");
    td_ring_init(&f->ring, f->mem, 0x10000, 0x40000, QSIZE);
    td_device_start(f->vdev, &f->ring, 1);
}

static void
fixture_stop(Fixture *f)
{
    virtio_device_free(f->vdev);
    fake_host_free(f->host);
    guest_memory_free(f->mem);
}

/* One chain of @len bytes, device-writable when @in; returns its used
 * length (the device must answer within 5 s). */
static uint32_t
send_chain(Fixture *f, uint32_t len, bool in)
{
    uint64_t addr = td_alloc(&f->ring, len);
    uint32_t id, ulen = 0xffffffff;
    uint16_t head;

    memset(td_ptr(f->mem, addr, len), 0xee, len);
    head = td_add_chain(&f->ring, &addr, &len, 1, in ? 0 : 1);
    td_publish(&f->ring, head);
    virtio_eventfd_signal(f->vdev->kick_fds[0]);
    g_assert_true(td_wait_used(&f->ring, 1, 5000));
    g_assert_true(td_get_used(&f->ring, &id, &ulen));
    g_assert_cmpuint(id, ==, head);
    /* The device writes nothing back. */
    g_assert_cmphex(*(uint8_t *)td_ptr(f->mem, addr, 1), ==, 0xee);
    return ulen;
}

static bool
reset_requested(gpointer data)
{
    return fake_host_reset_requests(data) > 0;
}

static bool
reset_twice(gpointer data)
{
    return fake_host_reset_requests(data) > 1;
}

/* A writable chain is a ping, returned empty; a readable one is not. */
static void
test_pings(void)
{
    Fixture f = { 0 };

    fixture_start(&f);
    g_assert_cmpuint(send_chain(&f, 8, true), ==, 0);
    g_assert_cmpuint(virtio_watchdog_pings(f.vdev), ==, 1);
    g_assert_cmpuint(send_chain(&f, 8, false), ==, 0);
    g_assert_cmpuint(virtio_watchdog_pings(f.vdev), ==, 1);
    g_assert_cmpuint(send_chain(&f, 1, true), ==, 0);
    g_assert_cmpuint(virtio_watchdog_pings(f.vdev), ==, 2);
    fixture_stop(&f);
}

/* Never pinged: never armed, whatever the time. */
static void
test_unarmed(void)
{
    Fixture f = { 0 };

    fixture_start(&f);
    g_assert_false(fake_host_iterate_until(f.host, reset_requested, f.host,
                                           (TIMEOUT_US + 3 * INTERVAL_US) /
                                           1000));
    fixture_stop(&f);
}

/* Pings in time keep the VM; when they stop it is reset, with the event. */
static void
test_expiry(void)
{
    Fixture f = { 0 };
    int64_t start, last;

    fixture_start(&f);
    start = g_get_monotonic_time();
    do {
        /* Taken before the ping: the device's clock starts after it. */
        last = g_get_monotonic_time();
        send_chain(&f, 8, true);
        fake_host_iterate_until(f.host, reset_requested, f.host, 20);
    } while (g_get_monotonic_time() - start < 2 * TIMEOUT_US);
    g_assert_cmpuint(fake_host_reset_requests(f.host), ==, 0);
    g_assert_true(fake_host_iterate_until(f.host, reset_requested, f.host,
                                          10000));
    /* Not before the timeout. */
    g_assert_cmpint(g_get_monotonic_time() - last, >=, TIMEOUT_US);
    g_assert_cmpuint(fake_host_count_events(f.host, RESET_EVENT), ==, 1);
    /* One bite: the clock is disarmed until the next first ping. */
    g_assert_false(fake_host_iterate_until(f.host, reset_twice, f.host,
                                           3 * INTERVAL_US / 1000));
    fixture_stop(&f);
}

/* A device reset (the driver's, or the VM's) disarms the clock. */
static void
test_reset_disarms(void)
{
    Fixture f = { 0 };

    fixture_start(&f);
    send_chain(&f, 8, true);
    virtio_device_reset(f.vdev);
    g_assert_false(fake_host_iterate_until(f.host, reset_requested, f.host,
                                           (TIMEOUT_US + 3 * INTERVAL_US) /
                                           1000));
    fixture_stop(&f);
}

/* Paused time is not the guest's: resume gives it a full timeout. */
static void
test_pause(void)
{
    Fixture f = { 0 };
    g_autoptr(GError) error = NULL;

    fixture_start(&f);
    send_chain(&f, 8, true);
    g_assert_true(virtio_device_pause(f.vdev, &error));
    g_assert_false(fake_host_iterate_until(f.host, reset_requested, f.host,
                                           (TIMEOUT_US + 3 * INTERVAL_US) /
                                           1000));
    g_assert_true(virtio_device_resume(f.vdev, &error));
    g_assert_no_error(error);
    g_assert_true(fake_host_iterate_until(f.host, reset_requested, f.host,
                                          10000));
    fixture_stop(&f);
}

/* --watchdog and "watchdog": true give one device, CH's id, a PCI slot. */
static void
test_config(void)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(VmConfig) c = vm_config_from_json(
        "{\"payload\":{\"kernel\":\"k\"},\"watchdog\":true}", -1, &error);

    g_assert_no_error(error);
    g_assert_true(vm_config_validate(c, &error));
    g_assert_no_error(error);
    g_assert_cmpuint(device_type_count(&virtio_watchdog_type, c), ==, 1);
    g_assert_cmpstr(device_type_id(&virtio_watchdog_type,
                                   device_type_entry(&virtio_watchdog_type,
                                                     c, 0)),
                    ==, "__watchdog");
    c->watchdog = false;
    g_assert_cmpuint(device_type_count(&virtio_watchdog_type, c), ==, 0);
    g_assert_true(device_type_cli_parse(&virtio_watchdog_type, c, NULL,
                                        &error));
    g_assert_true(c->watchdog);
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    device_registry_init();
    g_test_add_func("/virtio-watchdog/pings", test_pings);
    g_test_add_func("/virtio-watchdog/unarmed", test_unarmed);
    g_test_add_func("/virtio-watchdog/expiry", test_expiry);
    g_test_add_func("/virtio-watchdog/reset-disarms", test_reset_disarms);
    g_test_add_func("/virtio-watchdog/pause", test_pause);
    g_test_add_func("/virtio-watchdog/config", test_config);
    return g_test_run();
}
