/* SPDX-License-Identifier: Apache-2.0 */
/* virtio-blk as a driver sees it: worker threads, both engines, errors, NEEDS_RESET. */
#include <config.h>

#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>
#include <gio/gio.h>
#include <linux/virtio_blk.h>

#include "devices/virtio/blk.h"
#include "devices/virtio/worker.h"
#include "tests/testutil.h"
#include "tests/unit/fake-vm.h"
#include "tests/unit/test-virtio-driver.h"

#define IMG_SIZE (8 * 1024 * 1024)
#define QSIZE 16

typedef struct {
    char *path;
    GuestMemory *mem;
    FakeHost *host;         /* the device's view of @mem */
    VirtioDevice *vdev;
    TdRing rings[2];
    unsigned nq;
} BlkFx;

static void
blk_fx_init(BlkFx *f, bool uring, bool readonly, unsigned nq)
{
    DiskConfig disk = { 0 };
    g_autoptr(GError) error = NULL;
    int fd;

    f->path = g_build_filename(test_tmpdir(), uring ? "vblk-u.img" : "vblk-s.img",
                               NULL);
    fd = open(f->path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    g_assert_cmpint(fd, >=, 0);
    g_assert_cmpint(ftruncate(fd, IMG_SIZE), ==, 0);
    close(fd);
    f->mem = td_memory_new();
    f->host = fake_host_new_with_memory(f->mem);
    f->nq = nq;
    disk.path = f->path;
    disk.readonly = readonly;
    disk.num_queues = nq;
    disk.queue_size = QSIZE;
    disk.id = (char *)"_disk0";
    disk.serial = (char *)"nimbus-serial";
    disk.image_type = IMAGE_TYPE_RAW;
    f->vdev = virtio_blk_new(fake_host_base(f->host), &disk, uring, &error);
    g_assert_no_error(error);
    for (unsigned i = 0; i < nq; i++)
        td_ring_init(&f->rings[i], f->mem, 0x100000 * (i + 1), 0x100000, QSIZE);
}

static void
blk_fx_clear(BlkFx *f)
{
    virtio_device_free(f->vdev);
    fake_host_free(f->host);
    guest_memory_free(f->mem);
    unlink(f->path);
    g_free(f->path);
}

/* One request: header, optional data, status; returns the status byte
 * (or 0xff if the device did not answer) and the used length. */
static uint8_t
blk_req(BlkFx *f, unsigned q, uint32_t type, uint64_t sector, uint64_t data,
        uint32_t len, bool data_in, uint32_t *used_len)
{
    return td_blk_request(f->vdev, q, &f->rings[q], type, sector, data, len,
                          data_in, used_len);
}

static bool
thread_exists_now(const char *name)
{
    g_autoptr(GDir) d = g_dir_open("/proc/self/task", 0, NULL);
    const char *e;

    while (d && (e = g_dir_read_name(d))) {
        g_autofree char *p = g_strdup_printf("/proc/self/task/%s/comm", e);
        g_autofree char *comm = NULL;

        if (g_file_get_contents(p, &comm, NULL, NULL) &&
            g_str_equal(g_strstrip(comm), name))
            return true;
    }
    return false;
}

/* A new thread names itself once it runs: give it a moment either way. */
static bool
thread_exists(const char *name)
{
    bool found = false;

    for (unsigned i = 0; i < 200 && !found; i++) {
        found = thread_exists_now(name);
        if (!found)
            g_usleep(5000);
    }
    return found;
}

static bool
thread_gone(const char *name)
{
    for (unsigned i = 0; i < 200; i++) {
        if (!thread_exists_now(name))
            return true;
        g_usleep(5000);
    }
    return false;
}

static void
test_device_io(gconstpointer data)
{
    bool uring = GPOINTER_TO_INT(data);
    BlkFx f = { 0 };
    struct virtio_blk_config cfg;
    uint64_t buf, buf2;
    uint32_t ulen = 0;
    uint8_t *p, back[4096];
    g_autoptr(JsonNode) counters = NULL;
    JsonObject *co;
    int fd;

    blk_fx_init(&f, uring, false, 2);
    g_assert_cmpuint(f.vdev->host_features & (1ULL << VIRTIO_BLK_F_MQ), !=, 0);
    g_assert_cmpuint(f.vdev->host_features & (1ULL << VIRTIO_BLK_F_DISCARD), !=, 0);
    g_assert_cmpuint(f.vdev->host_features & (1ULL << VIRTIO_BLK_F_RO), ==, 0);
    f.vdev->ops->read_config(f.vdev, 0, &cfg, sizeof(cfg));
    g_assert_cmpuint(cfg.capacity, ==, IMG_SIZE / 512);
    g_assert_cmpuint(cfg.num_queues, ==, 2);
    g_assert_cmpuint(cfg.seg_max, ==, QSIZE - 2);
    g_assert_cmpuint(cfg.blk_size, ==, 512);

    td_device_start(f.vdev, f.rings, 2);
    g_assert_true(f.vdev->active);
    g_assert_true(thread_exists("_disk0_q0"));
    g_assert_true(thread_exists("_disk0_q1"));
    g_assert_cmpstr(virtio_blk_engine(f.vdev, 1), ==, uring ? "io_uring" : "sync");

    /* Write on queue 0, read back on queue 1 and from the file. */
    buf = td_alloc(&f.rings[0], 4096);
    p = td_ptr(f.mem, buf, 4096);
    for (unsigned i = 0; i < 4096; i++)
        p[i] = (uint8_t)(i ^ 0x3c);
    g_assert_cmpuint(blk_req(&f, 0, VIRTIO_BLK_T_OUT, 16, buf, 4096, false, &ulen),
                     ==, VIRTIO_BLK_S_OK);
    g_assert_cmpuint(ulen, ==, 1);
    g_assert_cmpuint(blk_req(&f, 0, VIRTIO_BLK_T_FLUSH, 0, 0, 0, false, NULL),
                     ==, VIRTIO_BLK_S_OK);
    buf2 = td_alloc(&f.rings[1], 4096);
    g_assert_cmpuint(blk_req(&f, 1, VIRTIO_BLK_T_IN, 16, buf2, 4096, true, &ulen),
                     ==, VIRTIO_BLK_S_OK);
    g_assert_cmpuint(ulen, ==, 4097);
    g_assert_cmpmem(p, 4096, td_ptr(f.mem, buf2, 4096), 4096);
    fd = open(f.path, O_RDONLY | O_CLOEXEC);
    g_assert_cmpint(pread(fd, back, 4096, 16 * 512), ==, 4096);
    close(fd);
    g_assert_cmpmem(p, 4096, back, 4096);

    /* GET_ID: the serial, NUL-padded to 20 bytes. */
    buf2 = td_alloc(&f.rings[1], 20);
    g_assert_cmpuint(blk_req(&f, 1, VIRTIO_BLK_T_GET_ID, 0, buf2, 20, true, &ulen),
                     ==, VIRTIO_BLK_S_OK);
    g_assert_cmpstr(td_ptr(f.mem, buf2, 20), ==, "nimbus-serial");

    /* WRITE_ZEROES over the data written above. */
    buf = td_alloc(&f.rings[0], 16);
    p = td_ptr(f.mem, buf, 16);
    memset(p, 0, 16);
    *(uint64_t *)p = 16;
    *(uint32_t *)(p + 8) = 4;
    g_assert_cmpuint(blk_req(&f, 0, VIRTIO_BLK_T_WRITE_ZEROES, 0, buf, 16, false,
                             NULL), ==, VIRTIO_BLK_S_OK);
    fd = open(f.path, O_RDONLY | O_CLOEXEC);
    g_assert_cmpint(pread(fd, back, 4096, 16 * 512), ==, 4096);
    close(fd);
    for (unsigned i = 0; i < 2048; i++)
        g_assert_cmpuint(back[i], ==, 0);
    g_assert_cmpuint(back[2048], ==, (uint8_t)(2048 ^ 0x3c));
    g_assert_cmpuint(blk_req(&f, 0, VIRTIO_BLK_T_DISCARD, 0, buf, 16, false,
                             NULL), ==, VIRTIO_BLK_S_OK);

    /* Errors the guest gets as a status, not a broken device. */
    buf = td_alloc(&f.rings[0], 512);
    g_assert_cmpuint(blk_req(&f, 0, VIRTIO_BLK_T_IN, IMG_SIZE / 512, buf, 512,
                             true, NULL), ==, VIRTIO_BLK_S_IOERR);
    g_assert_cmpuint(blk_req(&f, 0, VIRTIO_BLK_T_IN, 0, buf, 100, true, NULL),
                     ==, VIRTIO_BLK_S_IOERR);
    g_assert_cmpuint(blk_req(&f, 0, 0x77, 0, 0, 0, false, NULL), ==,
                     VIRTIO_BLK_S_UNSUPP);
    g_assert_false(virtio_device_is_broken(f.vdev));

    counters = f.vdev->ops->counters(f.vdev);
    co = json_node_get_object(counters);
    g_assert_cmpint(json_object_get_int_member(co, "write_ops"), ==, 1);
    g_assert_cmpint(json_object_get_int_member(co, "write_bytes"), ==, 4096);
    g_assert_cmpint(json_object_get_int_member(co, "read_ops"), ==, 1);
    g_assert_cmpint(json_object_get_int_member(co, "read_bytes"), ==, 4096);
    g_assert_cmpint(json_object_get_int_member(co, "read_latency_max"), >=,
                    json_object_get_int_member(co, "read_latency_min"));
    g_assert_true(json_object_has_member(co, "write_latency_avg"));

    /* Reset stops the workers. */
    virtio_device_set_status(f.vdev, 0);
    g_assert_false(f.vdev->active);
    g_assert_true(thread_gone("_disk0_q0"));
    blk_fx_clear(&f);
}

static void
test_device_readonly(void)
{
    BlkFx f = { 0 };
    uint64_t buf;

    blk_fx_init(&f, true, true, 1);
    g_assert_cmpuint(f.vdev->host_features & (1ULL << VIRTIO_BLK_F_RO), !=, 0);
    g_assert_cmpuint(f.vdev->host_features & (1ULL << VIRTIO_BLK_F_DISCARD), ==, 0);
    td_device_start(f.vdev, f.rings, 1);
    buf = td_alloc(&f.rings[0], 512);
    memset(td_ptr(f.mem, buf, 512), 0x11, 512);
    g_assert_cmpuint(blk_req(&f, 0, VIRTIO_BLK_T_OUT, 0, buf, 512, false, NULL),
                     ==, VIRTIO_BLK_S_IOERR);
    g_assert_cmpuint(blk_req(&f, 0, VIRTIO_BLK_T_DISCARD, 0, buf, 16, false,
                             NULL), ==, VIRTIO_BLK_S_UNSUPP);
    g_assert_cmpuint(blk_req(&f, 0, VIRTIO_BLK_T_IN, 0, buf, 512, true, NULL),
                     ==, VIRTIO_BLK_S_OK);
    g_assert_cmpuint(*(uint8_t *)td_ptr(f.mem, buf, 1), ==, 0);
    blk_fx_clear(&f);
}

static void
test_device_ioerr(gconstpointer data)
{
    BlkFx f = { 0 };
    struct rlimit old, lim = { 65536, 65536 };
    uint64_t buf;
    uint8_t st;

    blk_fx_init(&f, GPOINTER_TO_INT(data), false, 1);
    td_device_start(f.vdev, f.rings, 1);
    buf = td_alloc(&f.rings[0], 4096);
    signal(SIGXFSZ, SIG_IGN);
    g_assert_cmpint(getrlimit(RLIMIT_FSIZE, &old), ==, 0);
    lim.rlim_max = old.rlim_max;
    g_assert_cmpint(setrlimit(RLIMIT_FSIZE, &lim), ==, 0);
    st = blk_req(&f, 0, VIRTIO_BLK_T_OUT, 1024, buf, 4096, false, NULL);
    g_assert_cmpint(setrlimit(RLIMIT_FSIZE, &old), ==, 0);
    g_assert_cmpuint(st, ==, VIRTIO_BLK_S_IOERR);
    g_assert_false(virtio_device_is_broken(f.vdev));
    blk_fx_clear(&f);
}

/* Every byte the device writes into guest memory reaches the host's dirty
 * marker (read data, the status byte, the used ring), including the status
 * byte of a request whose used length stops short of it; what the device
 * only reads stays clean. */
static void
test_device_dirty(void)
{
    BlkFx f = { 0 };
    TdRing *r = &f.rings[0];
    uint64_t out, in, st_page;

    blk_fx_init(&f, false, false, 1);
    td_device_start(f.vdev, f.rings, 1);
    /* Page-aligned buffers, each page with one role; every header and
     * status byte goes to the page after them. */
    out = td_alloc(r, 2 * 4096);
    in = td_alloc(r, 2 * 4096);
    g_assert_cmpuint(out % 4096, ==, 0);
    g_assert_cmpuint(in, ==, out + 2 * 4096);
    st_page = in + 2 * 4096;
    g_assert_cmpuint(r->used / 4096, <, out / 4096);

    fake_host_dirty_clear(f.host);
    g_assert_cmpuint(blk_req(&f, 0, VIRTIO_BLK_T_OUT, 0, out, 8192, false,
                             NULL), ==, VIRTIO_BLK_S_OK);
    g_assert_true(fake_host_page_dirty(f.host, st_page));
    g_assert_true(fake_host_page_dirty(f.host, r->used));
    g_assert_cmpuint(fake_host_dirty_count(f.host), ==, 2);

    fake_host_dirty_clear(f.host);
    g_assert_cmpuint(blk_req(&f, 0, VIRTIO_BLK_T_IN, 0, in, 8192, true,
                             NULL), ==, VIRTIO_BLK_S_OK);
    g_assert_true(fake_host_page_dirty(f.host, in));
    g_assert_true(fake_host_page_dirty(f.host, in + 4096));
    g_assert_true(fake_host_page_dirty(f.host, st_page));
    g_assert_true(fake_host_page_dirty(f.host, r->used));
    g_assert_cmpuint(fake_host_dirty_count(f.host), ==, 4);

    /* Past the end: used length 1, yet the status byte sits 4 KiB on. */
    fake_host_dirty_clear(f.host);
    g_assert_cmpuint(blk_req(&f, 0, VIRTIO_BLK_T_IN, IMG_SIZE / 512, in + 4096,
                             4096, true, NULL), ==, VIRTIO_BLK_S_IOERR);
    g_assert_true(fake_host_page_dirty(f.host, st_page));
    g_assert_false(fake_host_page_dirty(f.host, out));
    blk_fx_clear(&f);
}

/* A malformed request breaks the device (NEEDS_RESET), the VMM goes on,
 * and a driver reset brings it back. */
static void
test_device_needs_reset(void)
{
    BlkFx f = { 0 };
    TdRing *r = &f.rings[0];
    uint64_t hdr, buf;
    uint32_t l = 8;

    blk_fx_init(&f, true, false, 1);
    td_device_start(f.vdev, f.rings, 1);
    /* An 8-byte header and nothing writable. */
    hdr = td_alloc(r, 8);
    g_test_expect_message("nimbus-devices", G_LOG_LEVEL_WARNING,
                          "_disk0: queue 0: request without a full header; "
                          "device needs reset");
    td_publish(r, td_add_chain(r, &hdr, &l, 1, 1));
    virtio_eventfd_signal(f.vdev->kick_fds[0]);
    for (unsigned i = 0; i < 5000 && !(g_atomic_int_get(&f.vdev->isr) & 2); i++)
        g_usleep(1000);
    g_test_assert_expected_messages();
    g_assert_true(virtio_device_is_broken(f.vdev));
    g_assert_cmpuint(virtio_device_get_status(f.vdev) &
                     VIRTIO_CONFIG_S_NEEDS_RESET, !=, 0);
    g_assert_cmpuint(g_atomic_int_get(&f.vdev->isr) & 2, !=, 0);
    /* Further requests are not processed until reset. */
    buf = td_alloc(r, 512);
    g_assert_cmpuint(blk_req(&f, 0, VIRTIO_BLK_T_IN, 0, buf, 512, true, NULL),
                     ==, 0xff);

    virtio_device_set_status(f.vdev, 0);
    g_assert_false(virtio_device_is_broken(f.vdev));
    g_assert_cmpuint(virtio_device_get_status(f.vdev), ==, 0);
    td_ring_init(r, f.mem, 0x100000, 0x100000, QSIZE);
    td_device_start(f.vdev, f.rings, 1);
    buf = td_alloc(r, 512);
    g_assert_cmpuint(blk_req(&f, 0, VIRTIO_BLK_T_IN, 0, buf, 512, true, NULL),
                     ==, VIRTIO_BLK_S_OK);
    blk_fx_clear(&f);
}

/* Features outside what was offered, or no VERSION_1: FEATURES_OK stays
 * clear and DRIVER_OK does nothing. */
static void
test_device_features(void)
{
    BlkFx f = { 0 };
    uint8_t st = VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER;

    blk_fx_init(&f, false, false, 1);
    f.vdev->driver_features = f.vdev->host_features | (1ULL << 40);
    virtio_device_set_status(f.vdev, st | VIRTIO_CONFIG_S_FEATURES_OK);
    g_assert_cmpuint(virtio_device_get_status(f.vdev) &
                     VIRTIO_CONFIG_S_FEATURES_OK, ==, 0);
    virtio_device_set_status(f.vdev, 0);
    f.vdev->driver_features = f.vdev->host_features & ~(1ULL << VIRTIO_F_VERSION_1);
    virtio_device_set_status(f.vdev, st | VIRTIO_CONFIG_S_FEATURES_OK);
    g_assert_cmpuint(virtio_device_get_status(f.vdev) &
                     VIRTIO_CONFIG_S_FEATURES_OK, ==, 0);
    virtio_device_set_status(f.vdev, st | VIRTIO_CONFIG_S_DRIVER_OK);
    g_assert_false(f.vdev->active);
    blk_fx_clear(&f);
}

/* A ring outside RAM at DRIVER_OK: NEEDS_RESET instead of activation. */
static void
test_device_bad_ring(void)
{
    BlkFx f = { 0 };

    blk_fx_init(&f, false, false, 1);
    f.rings[0].used = TD_HOLE;
    g_test_expect_message("nimbus-devices", G_LOG_LEVEL_WARNING,
                          "_disk0: queue 0: ring outside guest RAM; device "
                          "needs reset");
    td_device_start(f.vdev, f.rings, 1);
    g_test_assert_expected_messages();
    g_assert_false(f.vdev->active);
    g_assert_true(virtio_device_is_broken(f.vdev));
    blk_fx_clear(&f);
}

static void
test_device_pause(void)
{
    BlkFx f = { 0 };
    g_autoptr(GError) error = NULL;
    g_autoptr(JsonNode) state = NULL;
    uint64_t buf;

    blk_fx_init(&f, true, false, 1);
    td_device_start(f.vdev, f.rings, 1);
    g_assert_true(virtio_device_pause(f.vdev, &error));
    g_assert_true(thread_gone("_disk0_q0"));
    state = virtio_device_save(f.vdev);
    g_assert_true(virtio_device_resume(f.vdev, &error));
    g_assert_true(thread_exists("_disk0_q0"));
    buf = td_alloc(&f.rings[0], 512);
    g_assert_cmpuint(blk_req(&f, 0, VIRTIO_BLK_T_IN, 0, buf, 512, true, NULL),
                     ==, VIRTIO_BLK_S_OK);
    /* Restore: the device comes back active with the saved indices. */
    g_assert_true(virtio_device_restore(f.vdev, state, &error));
    g_assert_no_error(error);
    g_assert_true(f.vdev->active);
    blk_fx_clear(&f);
}

static uint64_t
blk_config_capacity(VirtioDevice *vdev)
{
    uint64_t le;

    vdev->ops->read_config(vdev, 0, &le, sizeof(le));
    return le64toh(le);
}

/* vm.resize-disk's device half: the image grows, the capacity the guest
 * reads and the range its I/O is checked against follow, and a config
 * change interrupt tells it; shrinking and odd sizes change nothing. */
static void
test_device_resize(void)
{
    g_autoptr(GError) error = NULL;
    BlkFx f = { 0 };
    uint64_t sectors = IMG_SIZE / 512;
    uint64_t buf;
    gint gen;
    struct stat st;

    blk_fx_init(&f, false, false, 1);
    td_device_start(f.vdev, f.rings, 1);
    buf = td_alloc(&f.rings[0], 512);
    g_assert_cmpuint(blk_config_capacity(f.vdev), ==, sectors);
    g_assert_cmpuint(blk_req(&f, 0, VIRTIO_BLK_T_IN, sectors, buf, 512, true,
                             NULL), ==, VIRTIO_BLK_S_IOERR);
    (void)virtio_device_read_isr(f.vdev);
    gen = g_atomic_int_get(&f.vdev->config_generation);

    g_assert_false(virtio_blk_resize(f.vdev, IMG_SIZE - 512, &error));
    g_assert_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
    g_assert_nonnull(strstr(error->message, "shrinking"));
    g_clear_error(&error);
    g_assert_false(virtio_blk_resize(f.vdev, IMG_SIZE + 100, &error));
    g_assert_nonnull(strstr(error->message, "multiple of 512"));
    g_clear_error(&error);
    g_assert_cmpint(g_atomic_int_get(&f.vdev->config_generation), ==, gen);
    g_assert_cmpuint(virtio_device_read_isr(f.vdev) & 2, ==, 0);

    g_assert_true(virtio_blk_resize(f.vdev, 2 * IMG_SIZE, &error));
    g_assert_no_error(error);
    g_assert_cmpint(stat(f.path, &st), ==, 0);
    g_assert_cmpint(st.st_size, ==, 2 * IMG_SIZE);
    g_assert_cmpuint(blk_config_capacity(f.vdev), ==, 2 * sectors);
    g_assert_cmpint(g_atomic_int_get(&f.vdev->config_generation), !=, gen);
    g_assert_cmpuint(virtio_device_read_isr(f.vdev) & 2, ==, 2);
    g_assert_cmpuint(blk_req(&f, 0, VIRTIO_BLK_T_IN, sectors, buf, 512, true,
                             NULL), ==, VIRTIO_BLK_S_OK);
    g_assert_cmpuint(blk_req(&f, 0, VIRTIO_BLK_T_IN, 2 * sectors, buf, 512,
                             true, NULL), ==, VIRTIO_BLK_S_IOERR);
    /* The size it has: nothing to do, no interrupt. */
    g_assert_true(virtio_blk_resize(f.vdev, 2 * IMG_SIZE, &error));
    g_assert_cmpuint(virtio_device_read_isr(f.vdev) & 2, ==, 0);
    blk_fx_clear(&f);

    /* Read-only disks do not grow. */
    blk_fx_init(&f, false, true, 1);
    g_assert_false(virtio_blk_resize(f.vdev, 2 * IMG_SIZE, &error));
    g_assert_error(error, G_IO_ERROR, G_IO_ERROR_READ_ONLY);
    g_assert_cmpint(stat(f.path, &st), ==, 0);
    g_assert_cmpint(st.st_size, ==, IMG_SIZE);
    blk_fx_clear(&f);
}

static void
test_device_config_errors(void)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(GuestMemory) mem = td_memory_new();
    DiskConfig disk = { .path = (char *)"/nonexistent/disk.img",
                        .num_queues = 1, .queue_size = 128,
                        .id = (char *)"_disk0" };
    VirtioDevice *vdev;

    vdev = virtio_blk_new(NULL, &disk, true, &error);
    g_assert_null(vdev);
    /* Named by the device: over REST "--disk" would mean nothing. */
    g_assert_true(g_str_has_prefix(error->message, "_disk0: "));
    g_assert_nonnull(strstr(error->message, "/nonexistent/disk.img"));
    /* queue_size is vm_config_validate()'s rule (test-vm-config.c). */
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_data_func("/virtio/blk/device/io_uring", GINT_TO_POINTER(1),
                         test_device_io);
    g_test_add_data_func("/virtio/blk/device/sync", GINT_TO_POINTER(0),
                         test_device_io);
    g_test_add_func("/virtio/blk/device/readonly", test_device_readonly);
    g_test_add_data_func("/virtio/blk/device/ioerr/io_uring", GINT_TO_POINTER(1),
                         test_device_ioerr);
    g_test_add_data_func("/virtio/blk/device/ioerr/sync", GINT_TO_POINTER(0),
                         test_device_ioerr);
    g_test_add_func("/virtio/blk/device/dirty", test_device_dirty);
    g_test_add_func("/virtio/blk/device/needs-reset", test_device_needs_reset);
    g_test_add_func("/virtio/blk/device/features", test_device_features);
    g_test_add_func("/virtio/blk/device/bad-ring", test_device_bad_ring);
    g_test_add_func("/virtio/blk/device/pause-restore", test_device_pause);
    g_test_add_func("/virtio/blk/device/config-errors", test_device_config_errors);
    g_test_add_func("/virtio/blk/device/resize", test_device_resize);
    return g_test_run();
}
