/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests for the MC146818 RTC and CMOS NVRAM. */
#include <config.h>

#include <string.h>
#include <time.h>
#include <gio/gio.h>

#include "devices/legacy/legacy.h"
#include "devices/legacy/rtc-cmos-priv.h"
#include "tests/unit/fake-vm.h"

static FakeHost *
setup(VmmDevice **dev)
{
    FakeHost *vm = fake_host_new(0);

    *dev = rtc_cmos_new(fake_host_base(vm), "__rtc", 512ULL << 20, 1ULL << 30);
    g_assert_true(fake_host_add(vm, *dev, NULL));
    return vm;
}

static uint8_t
cmos_read(FakeHost *vm, uint8_t idx)
{
    fake_host_outb(vm, 0x70, idx);
    return fake_host_inb(vm, 0x71);
}

static void
cmos_write(FakeHost *vm, uint8_t idx, uint8_t v)
{
    fake_host_outb(vm, 0x70, idx);
    fake_host_outb(vm, 0x71, v);
}

static unsigned
bcd(uint8_t v)
{
    g_assert_cmpuint(v & 0x0f, <, 10);
    g_assert_cmpuint(v >> 4, <, 10);
    return (v >> 4) * 10 + (v & 0x0f);
}

/* The guest's time in Unix seconds, read as Linux's mc146818_get_time()
 * does: wait for UIP to clear, then read every field. */
static int64_t
read_time(FakeHost *vm)
{
    uint8_t b = cmos_read(vm, 0x0b);
    bool binary = b & 0x04, h24 = b & 0x02;
    unsigned f[8], hour;
    static const uint8_t regs[8] = { 0, 2, 4, 6, 7, 8, 9, 0x32 };
    g_autoptr(GDateTime) dt = NULL;
    int spins = 0;

    while (cmos_read(vm, 0x0a) & 0x80)
        g_assert_cmpint(++spins, <, 1000000);
    for (int i = 0; i < 8; i++) {
        uint8_t v = cmos_read(vm, regs[i]);

        if (i == 2 && !h24)
            v &= 0x7f;
        f[i] = binary ? v : bcd(v);
    }
    hour = f[2];
    if (!h24) {
        g_assert_cmpuint(hour, >=, 1);
        g_assert_cmpuint(hour, <=, 12);
        hour %= 12;
        if (cmos_read(vm, 0x04) & 0x80)
            hour += 12;
    }
    dt = g_date_time_new_utc((int)(f[7] * 100 + f[6]), (int)f[5], (int)f[4],
                             (int)hour, (int)f[1], f[0]);
    g_assert_nonnull(dt);
    /* Day of week: 1 = Sunday. */
    g_assert_cmpuint(f[3], ==, g_date_time_get_day_of_week(dt) % 7 + 1);
    return g_date_time_to_unix(dt);
}

static void
test_time_modes(void)
{
    VmmDevice *dev;
    g_autoptr(FakeHost) vm = setup(&dev);
    static const uint8_t modes[] = { 0x02, 0x06, 0x00, 0x04 };

    /* Power-on: BCD, 24 h; registers A and D as firmware expects. */
    g_assert_cmphex(cmos_read(vm, 0x0b), ==, 0x02);
    g_assert_cmphex(cmos_read(vm, 0x0a) & 0x7f, ==, 0x26);
    g_assert_cmphex(cmos_read(vm, 0x0d), ==, 0x80);
    g_assert_cmphex(cmos_read(vm, 0x0c), ==, 0x00);
    for (size_t i = 0; i < G_N_ELEMENTS(modes); i++) {
        int64_t now, t;

        cmos_write(vm, 0x0b, modes[i]);
        now = g_get_real_time() / G_USEC_PER_SEC;
        t = read_time(vm);
        g_assert_cmpint(t, >=, now - 1);
        g_assert_cmpint(t, <=, now + 2);
    }
}

/* A settable clock for the deterministic tests. */
static struct timespec fake_now;

static void
fake_clock(struct timespec *now)
{
    *now = fake_now;
}

static void
test_uip(void)
{
    VmmDevice *dev;
    g_autoptr(FakeHost) vm = setup(&dev);

    rtc_cmos_set_clock(dev, fake_clock);
    fake_now.tv_sec = 1700000000;
    /* UIP is up for the last 244 us before each second's update. */
    fake_now.tv_nsec = 999756000;
    g_assert_cmphex(cmos_read(vm, 0x0a), ==, 0xa6);
    fake_now.tv_nsec = 999999999;
    g_assert_cmphex(cmos_read(vm, 0x0a), ==, 0xa6);
    fake_now.tv_nsec = 999755999;
    g_assert_cmphex(cmos_read(vm, 0x0a), ==, 0x26);
    fake_now.tv_nsec = 0;
    g_assert_cmphex(cmos_read(vm, 0x0a), ==, 0x26);
    /* Never while SET holds the clock. */
    fake_now.tv_nsec = 999900000;
    cmos_write(vm, 0x0b, 0x82);
    g_assert_cmphex(cmos_read(vm, 0x0a), ==, 0x26);
    cmos_write(vm, 0x0b, 0x02);
    g_assert_cmphex(cmos_read(vm, 0x0a), ==, 0xa6);
    /* UIP is read-only. */
    cmos_write(vm, 0x0a, 0xa6);
    fake_now.tv_nsec = 0;
    g_assert_cmphex(cmos_read(vm, 0x0a), ==, 0x26);
}

static void
test_encoding(void)
{
    VmmDevice *dev;
    g_autoptr(FakeHost) vm = setup(&dev);
    /* 2099-12-31 23:59:59 UTC, a Thursday. */
    g_autoptr(GDateTime) t = g_date_time_new_utc(2099, 12, 31, 23, 59, 59);

    rtc_cmos_set_clock(dev, fake_clock);
    fake_now.tv_sec = g_date_time_to_unix(t);
    fake_now.tv_nsec = 0;
    /* BCD, 24 h. */
    g_assert_cmphex(cmos_read(vm, 0x00), ==, 0x59);
    g_assert_cmphex(cmos_read(vm, 0x04), ==, 0x23);
    g_assert_cmphex(cmos_read(vm, 0x06), ==, 0x05);
    g_assert_cmphex(cmos_read(vm, 0x07), ==, 0x31);
    g_assert_cmphex(cmos_read(vm, 0x08), ==, 0x12);
    g_assert_cmphex(cmos_read(vm, 0x09), ==, 0x99);
    g_assert_cmphex(cmos_read(vm, 0x32), ==, 0x20);
    /* Binary, 12 h: 11 PM. */
    cmos_write(vm, 0x0b, 0x04);
    g_assert_cmphex(cmos_read(vm, 0x04), ==, 0x8b);
    g_assert_cmphex(cmos_read(vm, 0x09), ==, 99);
    g_assert_cmphex(cmos_read(vm, 0x32), ==, 20);
    /* One second later: a new century; 12 AM reads 12. */
    fake_now.tv_sec++;
    g_assert_cmphex(cmos_read(vm, 0x04), ==, 12);
    g_assert_cmphex(cmos_read(vm, 0x09), ==, 0);
    g_assert_cmphex(cmos_read(vm, 0x32), ==, 21);
    g_assert_cmphex(cmos_read(vm, 0x08), ==, 1);
    /* BCD, 12 h: 12 AM is 0x12. */
    cmos_write(vm, 0x0b, 0x00);
    g_assert_cmphex(cmos_read(vm, 0x04), ==, 0x12);
}

static void
test_set_time(void)
{
    VmmDevice *dev;
    g_autoptr(FakeHost) vm = setup(&dev);
    g_autoptr(GDateTime) want = g_date_time_new_utc(2001, 2, 3, 16, 5, 6);
    int64_t t;

    /* hwclock --systohc: SET, write the fields, clear SET. */
    cmos_write(vm, 0x0b, 0x82);
    cmos_write(vm, 0x00, 0x06);
    cmos_write(vm, 0x02, 0x05);
    cmos_write(vm, 0x04, 0x16);
    cmos_write(vm, 0x07, 0x03);
    cmos_write(vm, 0x08, 0x02);
    cmos_write(vm, 0x09, 0x01);
    cmos_write(vm, 0x32, 0x20);
    /* While SET, reads show what was written. */
    g_assert_cmphex(cmos_read(vm, 0x04), ==, 0x16);
    cmos_write(vm, 0x0b, 0x02);
    t = read_time(vm);
    g_assert_cmpint(t, >=, g_date_time_to_unix(want));
    g_assert_cmpint(t, <=, g_date_time_to_unix(want) + 2);

    /* 12-hour binary: 4 PM reads as 4 | PM. */
    cmos_write(vm, 0x0b, 0x04);
    g_assert_cmphex(cmos_read(vm, 0x04), ==, 0x84);

    /* A date that does not exist leaves the clock alone. */
    cmos_write(vm, 0x0b, 0x86);
    cmos_write(vm, 0x08, 13);
    cmos_write(vm, 0x0b, 0x06);
    t = read_time(vm);
    g_assert_cmpint(t, <=, g_date_time_to_unix(want) + 3);
    g_assert_cmpint(t, >=, g_date_time_to_unix(want));

    /* Reset keeps the battery-backed time. */
    dev->ops->reset(dev);
    g_assert_cmpint(read_time(vm), <=, g_date_time_to_unix(want) + 3);
}

static void
test_nvram(void)
{
    VmmDevice *dev;
    g_autoptr(FakeHost) vm = setup(&dev);

    for (unsigned i = 0x40; i < 0x80; i++)
        cmos_write(vm, (uint8_t)i, (uint8_t)(i ^ 0xa5));
    for (unsigned i = 0x40; i < 0x80; i++)
        g_assert_cmphex(cmos_read(vm, (uint8_t)i), ==, i ^ 0xa5);
    /* Bit 7 of the index is the NMI mask: ignored. */
    g_assert_cmphex(cmos_read(vm, 0xc0), ==, 0x40 ^ 0xa5);
    /* Registers C and D are read-only. */
    cmos_write(vm, 0x0d, 0);
    g_assert_cmphex(cmos_read(vm, 0x0d), ==, 0x80);
    /* The index port itself reads all-ones. */
    g_assert_cmphex(fake_host_inb(vm, 0x70), ==, 0xff);
    /* A word write is index then data, as the ISA bus splits it. */
    fake_host_pio_write(vm, 0x70, 2, 0x5a41);
    g_assert_cmphex(cmos_read(vm, 0x41), ==, 0x5a);
}

static void
test_memory_size(void)
{
    VmmDevice *dev;
    g_autoptr(FakeHost) vm = setup(&dev);

    /* (512 - 16) MiB in 64 KiB units = 0x1f00; 1 GiB above 4G = 0x4000. */
    g_assert_cmphex(cmos_read(vm, 0x34), ==, 0x00);
    g_assert_cmphex(cmos_read(vm, 0x35), ==, 0x1f);
    g_assert_cmphex(cmos_read(vm, 0x5b), ==, 0x00);
    g_assert_cmphex(cmos_read(vm, 0x5c), ==, 0x40);
    g_assert_cmphex(cmos_read(vm, 0x5d), ==, 0x00);
}

static void
test_save_restore(void)
{
    VmmDevice *dev;
    g_autoptr(FakeHost) vm = setup(&dev);
    g_autoptr(FakeHost) vm2 = fake_host_new(0);
    VmmDevice *dev2 = rtc_cmos_new(fake_host_base(vm2), "__rtc", 0, 0);
    g_autoptr(JsonNode) state = NULL;
    g_autoptr(GError) error = NULL;
    static const char *const bad[] = {
        "{\"version\":1,\"index\":0,\"offset_s\":0,\"nvram\":\"AAAA\"}",
        "{\"version\":1,\"index\":128,\"offset_s\":0,\"nvram\":\"\"}",
        "{\"version\":1,\"index\":0,\"offset_s\":1e3,\"nvram\":\"\"}",
        "null",
    };

    g_assert_true(fake_host_add(vm2, dev2, NULL));
    cmos_write(vm, 0x50, 0x99);
    /* Move the clock back ten years. */
    cmos_write(vm, 0x0b, 0x82);
    cmos_write(vm, 0x09, bcd(cmos_read(vm, 0x09)) >= 10 ?
                   cmos_read(vm, 0x09) - 0x10 : cmos_read(vm, 0x09));
    cmos_write(vm, 0x0b, 0x02);
    fake_host_outb(vm, 0x70, 0x50);
    state = dev->ops->save(dev, &error);
    g_assert_no_error(error);
    g_assert_true(dev2->ops->restore(dev2, state, &error));
    g_assert_no_error(error);
    /* Index, NVRAM and the clock's offset all came across. */
    g_assert_cmphex(fake_host_inb(vm2, 0x71), ==, 0x99);
    g_assert_cmphex(cmos_read(vm2, 0x35), ==, 0x1f);
    g_assert_cmpint(read_time(vm2) - read_time(vm), <=, 1);
    g_assert_cmpint(read_time(vm2) - read_time(vm), >=, -1);
    g_assert_cmpint(g_get_real_time() / G_USEC_PER_SEC - read_time(vm2), >,
                    9 * 365 * 86400);
    for (size_t i = 0; i < G_N_ELEMENTS(bad); i++) {
        g_autoptr(JsonNode) n = json_from_string(bad[i], NULL);

        g_assert_false(dev2->ops->restore(dev2, n, &error));
        g_assert_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA);
        g_clear_error(&error);
    }
    g_assert_cmphex(cmos_read(vm2, 0x50), ==, 0x99);
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/rtc-cmos/time-modes", test_time_modes);
    g_test_add_func("/rtc-cmos/uip", test_uip);
    g_test_add_func("/rtc-cmos/encoding", test_encoding);
    g_test_add_func("/rtc-cmos/set-time", test_set_time);
    g_test_add_func("/rtc-cmos/nvram", test_nvram);
    g_test_add_func("/rtc-cmos/memory-size", test_memory_size);
    g_test_add_func("/rtc-cmos/save-restore", test_save_restore);
    return g_test_run();
}
