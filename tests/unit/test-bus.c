/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests for the PIO/MMIO bus. */
#include <config.h>

#include <string.h>
#include <gio/gio.h>

#include "devices/bus.h"

typedef struct {
    VmmDevice dev;
    uint64_t last_off;
    uint64_t last_val;
    unsigned reads, writes;
} TestDev;

static void
testdev_read(VmmDevice *dev, uint64_t off, void *data, unsigned len)
{
    TestDev *t = (TestDev *)dev;

    t->reads++;
    t->last_off = off;
    vmm_le_store(data, len, 0x1000 + off);
}

static void
testdev_write(VmmDevice *dev, uint64_t off, const void *data, unsigned len)
{
    TestDev *t = (TestDev *)dev;

    t->writes++;
    t->last_off = off;
    t->last_val = vmm_le_load(data, len);
}

static const VmmDeviceOps testdev_ops = {
    .name = "testdev",
    .read = testdev_read,
    .write = testdev_write,
};

static void
testdev_init(TestDev *t, const char *id)
{
    memset(t, 0, sizeof(*t));
    t->dev.ops = &testdev_ops;
    t->dev.id = (char *)id;
}

static void
test_bus_dispatch(void)
{
    g_autoptr(Bus) bus = bus_new("pio");
    g_autoptr(GError) error = NULL;
    TestDev a, b;
    uint8_t buf[4];
    uint32_t v = 0xdeadbeef;

    testdev_init(&a, "a");
    testdev_init(&b, "b");
    g_assert_true(bus_register(bus, 0x3f8, 8, &a.dev, &error));
    g_assert_no_error(error);
    g_assert_true(bus_register(bus, 0x70, 2, &b.dev, &error));

    g_assert_true(bus_read(bus, 0x3fd, buf, 1));
    g_assert_cmpuint(a.last_off, ==, 5);
    g_assert_cmpuint(buf[0], ==, 0x05);
    g_assert_true(bus_write(bus, 0x71, &v, 4));
    g_assert_cmpuint(b.last_off, ==, 1);
    g_assert_cmpuint(b.last_val, ==, 0xdeadbeef);

    /* Unclaimed: reads are all-ones and report false. */
    g_assert_false(bus_read(bus, 0x400, buf, 4));
    g_assert_cmpuint(vmm_le_load(buf, 4), ==, 0xffffffff);
    g_assert_false(bus_write(bus, 0x3f7, &v, 1));
    g_assert_cmpuint(a.writes, ==, 0);
}

static void
test_bus_overlap(void)
{
    g_autoptr(Bus) bus = bus_new("mmio");
    TestDev a, b;
    GError *error = NULL;

    testdev_init(&a, "a");
    testdev_init(&b, "b");
    g_assert_true(bus_register(bus, 0x1000, 0x100, &a.dev, NULL));
    /* Overlaps at the start, at the end, inside and around. */
    g_assert_false(bus_register(bus, 0x10ff, 0x10, &b.dev, &error));
    g_assert_error(error, G_IO_ERROR, G_IO_ERROR_EXISTS);
    g_assert_nonnull(strstr(error->message, "'a'"));
    g_clear_error(&error);
    g_assert_false(bus_register(bus, 0xff0, 0x11, &b.dev, &error));
    g_clear_error(&error);
    g_assert_false(bus_register(bus, 0x1010, 0x10, &b.dev, &error));
    g_clear_error(&error);
    g_assert_false(bus_register(bus, 0x0, 0x10000, &b.dev, &error));
    g_clear_error(&error);
    /* Adjacent is fine. */
    g_assert_true(bus_register(bus, 0x1100, 0x100, &b.dev, NULL));
    g_assert_true(bus_register(bus, 0xf00, 0x100, &b.dev, NULL));
    /* Zero length and wrap-around are refused. */
    g_assert_false(bus_register(bus, 0x5000, 0, &b.dev, &error));
    g_assert_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
    g_clear_error(&error);
    g_assert_false(bus_register(bus, G_MAXUINT64 - 1, 4, &b.dev, &error));
    g_clear_error(&error);
}

static void
test_bus_unregister(void)
{
    g_autoptr(Bus) bus = bus_new("mmio");
    TestDev a;
    uint64_t base, len;

    testdev_init(&a, "a");
    g_assert_true(bus_register(bus, 0x2000, 0x10, &a.dev, NULL));
    g_assert_true(bus_register(bus, 0x3000, 0x10, &a.dev, NULL));
    g_assert_true(bus_lookup(bus, 0x300f, &base, &len) == &a.dev);
    g_assert_cmpuint(base, ==, 0x3000);
    g_assert_cmpuint(len, ==, 0x10);
    g_assert_null(bus_lookup(bus, 0x3010, NULL, NULL));
    g_assert_true(bus_unregister(bus, 0x2000, &a.dev));
    g_assert_false(bus_unregister(bus, 0x2000, &a.dev));
    g_assert_null(bus_lookup(bus, 0x2000, NULL, NULL));
    bus_unregister_device(bus, &a.dev);
    g_assert_null(bus_lookup(bus, 0x3000, NULL, NULL));
    /* The freed range can be taken again (BAR moved back). */
    g_assert_true(bus_register(bus, 0x3000, 0x10, &a.dev, NULL));
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/bus/dispatch", test_bus_dispatch);
    g_test_add_func("/bus/overlap", test_bus_overlap);
    g_test_add_func("/bus/unregister", test_bus_unregister);
    return g_test_run();
}
