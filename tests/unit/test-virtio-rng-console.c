/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests for virtio-rng (src file) and virtio-console (pty and file backends, resize). */
#include <config.h>

#include <fcntl.h>
#include <poll.h>
#include <string.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>
#include <gio/gio.h>
#include <linux/virtio_console.h>

#include "common/fd-util.h"
#include "devices/virtio/console.h"
#include "devices/virtio/rng.h"
#include "devices/virtio/worker.h"
#include "tests/testutil.h"
#include "tests/unit/fake-vm.h"
#include "tests/unit/test-virtio-driver.h"

#define QSIZE 16

static void
test_rng(void)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(GuestMemory) mem = td_memory_new();
    g_autoptr(FakeHost) host = fake_host_new_with_memory(mem);
    g_autofree char *src = g_build_filename(test_tmpdir(), "entropy", NULL);
    RngConfig cfg = { .src = src };
    VirtioDevice *vdev;
    TdRing ring;
    uint64_t a[2];
    uint32_t l[2] = { 100, 28 }, id, len;
    char pattern[256];

    for (unsigned i = 0; i < sizeof(pattern); i++)
        pattern[i] = (char)i;
    g_assert_true(g_file_set_contents(src, pattern, sizeof(pattern), &error));
    vdev = virtio_rng_new(fake_host_base(host), &cfg, &error);
    g_assert_no_error(error);
    g_assert_cmpstr(vdev->id, ==, "__rng");
    g_assert_cmpuint(vdev->ops->device_type, ==, VIRTIO_ID_RNG);
    td_ring_init(&ring, mem, 0x10000, 0x100000, 256);
    td_device_start(vdev, &ring, 1);
    a[0] = td_alloc(&ring, 100);
    a[1] = td_alloc(&ring, 28);
    td_publish(&ring, td_add_chain(&ring, a, l, 2, 0));
    virtio_eventfd_signal(vdev->kick_fds[0]);
    g_assert_true(td_wait_used(&ring, 1, 5000));
    g_assert_true(td_get_used(&ring, &id, &len));
    g_assert_cmpuint(len, ==, 128);
    g_assert_cmpmem(td_ptr(mem, a[0], 100), 100, pattern, 100);
    g_assert_cmpmem(td_ptr(mem, a[1], 28), 28, pattern + 100, 28);
    /* The fill went through the host's dirty marker. */
    g_assert_true(fake_host_page_dirty(host, a[0]));
    g_assert_true(fake_host_page_dirty(host, a[1] + 27));
    /* The source ran dry: fewer bytes, not an error. */
    a[0] = td_alloc(&ring, 200);
    l[0] = 200;
    td_publish(&ring, td_add_chain(&ring, a, l, 1, 0));
    virtio_eventfd_signal(vdev->kick_fds[0]);
    g_assert_true(td_wait_used(&ring, 1, 5000));
    g_assert_true(td_get_used(&ring, &id, &len));
    g_assert_cmpuint(len, ==, 128);
    g_assert_false(virtio_device_is_broken(vdev));
    virtio_device_free(vdev);

    cfg.src = (char *)"/nonexistent/entropy";
    g_assert_null(virtio_rng_new(fake_host_base(host), &cfg, &error));
    g_assert_error(error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND);
    g_assert_nonnull(strstr(error->message, "/nonexistent/entropy"));
}

typedef struct {
    GMainContext *ctx;
    char *pty;
    GuestMemory *mem;
    FakeHost *host;         /* the device's view of @mem */
    VirtioDevice *vdev;
    TdRing rings[2];
} ConFx;

static void
con_fx_init(ConFx *f, ConsoleConfig *cfg)
{
    g_autoptr(GError) error = NULL;
    CharBackend *be;

    f->ctx = g_main_context_new();
    f->mem = td_memory_new();
    f->host = fake_host_new_with_memory(f->mem);
    be = chardev_new(cfg, "--console", f->ctx, &error);
    g_assert_no_error(error);
    f->pty = g_strdup(chardev_get_pty_path(be));
    f->vdev = virtio_console_new(fake_host_base(f->host), NULL, be, &error);
    g_assert_no_error(error);
    g_assert_cmpstr(f->vdev->id, ==, "__console");
    for (unsigned i = 0; i < 2; i++)
        td_ring_init(&f->rings[i], f->mem, 0x100000 * (i + 1), 0x100000, QSIZE);
    td_device_start(f->vdev, f->rings, 2);
}

static void
con_fx_clear(ConFx *f)
{
    virtio_device_free(f->vdev);
    while (g_main_context_iteration(f->ctx, FALSE))
        ;
    g_main_context_unref(f->ctx);
    fake_host_free(f->host);
    guest_memory_free(f->mem);
    g_free(f->pty);
}

static void
con_guest_write(ConFx *f, const char *text)
{
    uint64_t a = td_alloc(&f->rings[1], strlen(text));
    uint32_t l = (uint32_t)strlen(text), id;

    memcpy(td_ptr(f->mem, a, l), text, l);
    td_publish(&f->rings[1], td_add_chain(&f->rings[1], &a, &l, 1, 1));
    virtio_eventfd_signal(f->vdev->kick_fds[1]);
    g_assert_true(td_wait_used(&f->rings[1], 1, 5000));
    g_assert_true(td_get_used(&f->rings[1], &id, &l));
}

/* Runs the main context until @cond or 5 s. */
static bool
con_iterate_until(ConFx *f, bool (*cond)(ConFx *))
{
    gint64 end = g_get_monotonic_time() + 5 * G_USEC_PER_SEC;

    while (!cond(f) && g_get_monotonic_time() < end) {
        g_main_context_iteration(f->ctx, FALSE);
        g_usleep(1000);
    }
    return cond(f);
}

static bool
con_rx_used(ConFx *f)
{
    return td_used_idx(&f->rings[0]) != f->rings[0].last_used;
}

static bool
con_config_changed(ConFx *f)
{
    return g_atomic_int_get(&f->vdev->isr) & 2;
}

static void
test_console_pty(void)
{
    ConsoleConfig cfg = { .mode = CONSOLE_MODE_PTY };
    ConFx f = { 0 };
    g_autofd_t slave = -1;
    struct winsize ws = { .ws_row = 33, .ws_col = 101 };
    struct virtio_console_config vc;
    char buf[64] = { 0 };
    struct pollfd p = { .events = POLLIN };
    uint64_t rx;
    uint32_t l = 64, id, len;
    ssize_t n;

    con_fx_init(&f, &cfg);
    g_assert_cmphex(f.vdev->host_features & (1ULL << VIRTIO_CONSOLE_F_SIZE), !=, 0);
    g_assert_nonnull(f.pty);
    /* The test is the terminal on the other side of the pty. */
    slave = open(f.pty, O_RDWR | O_NOCTTY | O_CLOEXEC);
    g_assert_cmpint(slave, >=, 0);

    /* Guest output. */
    con_guest_write(&f, "ping\n");
    p.fd = slave;
    g_assert_cmpint(poll(&p, 1, 5000), ==, 1);
    n = read(slave, buf, sizeof(buf) - 1);
    g_assert_cmpint(n, ==, 5);
    g_assert_cmpstr(buf, ==, "ping\n");

    /* Host input reaches the receive queue. */
    rx = td_alloc(&f.rings[0], 64);
    td_publish(&f.rings[0], td_add_chain(&f.rings[0], &rx, &l, 1, 0));
    virtio_eventfd_signal(f.vdev->kick_fds[0]);
    g_assert_cmpint(write(slave, "abc", 3), ==, 3);
    g_assert_true(con_iterate_until(&f, con_rx_used));
    g_assert_true(td_get_used(&f.rings[0], &id, &len));
    g_assert_cmpuint(len, ==, 3);
    g_assert_cmpmem(td_ptr(f.mem, rx, 3), 3, "abc", 3);

    /* A resize is a configuration change with the new size. */
    g_assert_cmpint(ioctl(slave, TIOCSWINSZ, &ws), ==, 0);
    g_assert_true(con_iterate_until(&f, con_config_changed));
    f.vdev->ops->read_config(f.vdev, 0, &vc, sizeof(vc));
    g_assert_cmpuint(vc.cols, ==, 101);
    g_assert_cmpuint(vc.rows, ==, 33);
    g_assert_cmpuint(vc.max_nr_ports, ==, 1);
    con_fx_clear(&f);
}

static void
test_console_file(void)
{
    g_autofree char *path = g_build_filename(test_tmpdir(), "hvc0.log", NULL);
    ConsoleConfig cfg = { .mode = CONSOLE_MODE_FILE, .file = path };
    ConFx f = { 0 };
    g_autofree char *contents = NULL;

    con_fx_init(&f, &cfg);
    g_assert_cmphex(f.vdev->host_features & (1ULL << VIRTIO_CONSOLE_F_SIZE), ==, 0);
    con_guest_write(&f, "hello from hvc0\n");
    con_guest_write(&f, "second line\n");
    con_fx_clear(&f);
    g_assert_true(g_file_get_contents(path, &contents, NULL, NULL));
    g_assert_cmpstr(contents, ==, "hello from hvc0\nsecond line\n");
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/virtio/rng/src", test_rng);
    g_test_add_func("/virtio/console/pty", test_console_pty);
    g_test_add_func("/virtio/console/file", test_console_file);
    return g_test_run();
}
