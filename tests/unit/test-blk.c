/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests of virtio-blk requests, block engines (io_uring, sync), OFD locks and formats. */
#include <config.h>

#include <errno.h>
#include <poll.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>
#include <gio/gio.h>
#include <linux/virtio_blk.h>

#include "devices/block/block.h"
#include "devices/virtio/blk.h"
#include "tests/testutil.h"
#include "tests/unit/test-virtio-driver.h"

#define IMG_SIZE (4 * 1024 * 1024)

static char *
make_image(const char *name, uint64_t size)
{
    char *path = g_build_filename(test_tmpdir(), name, NULL);
    int fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);

    g_assert_cmpint(fd, >=, 0);
    g_assert_cmpint(ftruncate(fd, (off_t)size), ==, 0);
    close(fd);
    return path;
}

static void
file_write(const char *path, uint64_t off, const void *buf, size_t len)
{
    int fd = open(path, O_WRONLY | O_CLOEXEC);

    g_assert_cmpint(fd, >=, 0);
    g_assert_cmpint(pwrite(fd, buf, len, (off_t)off), ==, (ssize_t)len);
    close(fd);
}

static void
file_read(const char *path, uint64_t off, void *buf, size_t len)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);

    g_assert_cmpint(fd, >=, 0);
    g_assert_cmpint(pread(fd, buf, len, (off_t)off), ==, (ssize_t)len);
    close(fd);
}

/* ---- Request parsing ------------------------------------------------------ */

typedef struct {
    uint8_t hdr[16];
    uint8_t data[1024];
    uint8_t status;
    struct iovec iov[4];
    struct iovec dataiov[4];
    VirtQueueElem elem;
    VirtioBlkReq req;
} ParseFx;

static void
parse_fx_init(ParseFx *p, uint32_t type, uint64_t sector, size_t data_len,
              bool data_out)
{
    memset(p, 0, sizeof(*p));
    memcpy(p->hdr, &type, 4);
    memcpy(p->hdr + 8, &sector, 8);
    p->elem.iov = p->iov;
    p->elem.max_segs = 4;
    p->iov[0] = (struct iovec){ p->hdr, 16 };
    p->elem.out_num = 1;
    p->elem.out_len = 16;
    if (data_out) {
        p->iov[1] = (struct iovec){ p->data, data_len };
        p->elem.out_num = 2;
        p->elem.out_len += data_len;
        p->iov[2] = (struct iovec){ &p->status, 1 };
        p->elem.in_num = 1;
        p->elem.in_len = 1;
    } else {
        p->iov[1] = (struct iovec){ p->data, data_len };
        p->iov[2] = (struct iovec){ &p->status, 1 };
        p->elem.in_num = 2;
        p->elem.in_len = data_len + 1;
    }
    p->req.data = p->dataiov;
    p->req.data_max = 4;
}

static void
test_parse_read_write(void)
{
    ParseFx p;
    const char *why = NULL;

    parse_fx_init(&p, VIRTIO_BLK_T_IN, 8, 1024, false);
    g_assert_cmpint(virtio_blk_parse(&p.elem, &p.req, &why), ==, 0);
    g_assert_cmpuint(p.req.type, ==, VIRTIO_BLK_T_IN);
    g_assert_cmpuint(p.req.sector, ==, 8);
    g_assert_cmpuint(p.req.data_len, ==, 1024);
    g_assert_true(p.req.data[0].iov_base == p.data);
    g_assert_true(p.req.status == &p.status);

    parse_fx_init(&p, VIRTIO_BLK_T_OUT, 3, 512, true);
    g_assert_cmpint(virtio_blk_parse(&p.elem, &p.req, &why), ==, 0);
    g_assert_cmpuint(p.req.data_len, ==, 512);
    g_assert_true(p.req.data[0].iov_base == p.data);

    /* Header and data in one buffer: the data starts 16 bytes in. */
    parse_fx_init(&p, VIRTIO_BLK_T_OUT, 3, 512, true);
    p.iov[0].iov_len = 16 + 512;
    p.elem.out_num = 1;
    p.iov[1] = p.iov[2];
    p.elem.out_len = 16 + 512;
    g_assert_cmpint(virtio_blk_parse(&p.elem, &p.req, &why), ==, 0);
    g_assert_cmpuint(p.req.data_len, ==, 512);
    g_assert_true(p.req.data[0].iov_base == p.hdr + 16);

    g_assert_true(virtio_blk_range_ok(0, 512, 1));
    g_assert_false(virtio_blk_range_ok(1, 512, 1));
    g_assert_false(virtio_blk_range_ok(0, 100, 10));
    g_assert_false(virtio_blk_range_ok(G_MAXUINT64, 512, 10));
}

static void
test_parse_malformed(void)
{
    ParseFx p;
    const char *why = NULL;

    parse_fx_init(&p, VIRTIO_BLK_T_IN, 0, 512, false);
    p.iov[0].iov_len = 15;          /* short header */
    p.elem.out_len = 15;
    g_assert_cmpint(virtio_blk_parse(&p.elem, &p.req, &why), ==, -EINVAL);
    g_assert_nonnull(strstr(why, "header"));

    parse_fx_init(&p, VIRTIO_BLK_T_OUT, 0, 512, true);
    p.elem.in_num = 0;               /* no status byte */
    p.elem.in_len = 0;
    g_assert_cmpint(virtio_blk_parse(&p.elem, &p.req, &why), ==, -EINVAL);
    g_assert_nonnull(strstr(why, "status"));

    parse_fx_init(&p, VIRTIO_BLK_T_IN, 0, 512, false);
    p.req.data_max = 0;              /* more segments than allowed */
    g_assert_cmpint(virtio_blk_parse(&p.elem, &p.req, &why), ==, -EINVAL);

    /* Unknown types parse: the device answers UNSUPP. */
    parse_fx_init(&p, 0x4242, 0, 0, true);
    g_assert_cmpint(virtio_blk_parse(&p.elem, &p.req, &why), ==, 0);
    g_assert_cmpuint(p.req.type, ==, 0x4242);
}

static void
test_parse_segment(void)
{
    ParseFx p;
    VirtioBlkSegment seg;
    const char *why = NULL;
    struct { uint64_t sector; uint32_t num, flags; } s = { 10, 20, 0 };

    parse_fx_init(&p, VIRTIO_BLK_T_DISCARD, 0, 16, true);
    memcpy(p.data, &s, 16);
    g_assert_cmpint(virtio_blk_parse(&p.elem, &p.req, &why), ==, 0);
    g_assert_cmpuint(virtio_blk_parse_segment(&p.req, 100, 1000, &seg), ==,
                     VIRTIO_BLK_S_OK);
    g_assert_cmpuint(seg.sector, ==, 10);
    g_assert_cmpuint(seg.num_sectors, ==, 20);
    g_assert_false(seg.unmap);
    /* Out of range, too long, unmap on DISCARD, reserved flags, 2 segs. */
    g_assert_cmpuint(virtio_blk_parse_segment(&p.req, 25, 1000, &seg), ==,
                     VIRTIO_BLK_S_IOERR);
    g_assert_cmpuint(virtio_blk_parse_segment(&p.req, 100, 19, &seg), ==,
                     VIRTIO_BLK_S_IOERR);
    s.flags = VIRTIO_BLK_WRITE_ZEROES_FLAG_UNMAP;
    memcpy(p.data, &s, 16);
    g_assert_cmpuint(virtio_blk_parse_segment(&p.req, 100, 1000, &seg), ==,
                     VIRTIO_BLK_S_UNSUPP);
    p.req.type = VIRTIO_BLK_T_WRITE_ZEROES;
    g_assert_cmpuint(virtio_blk_parse_segment(&p.req, 100, 1000, &seg), ==,
                     VIRTIO_BLK_S_OK);
    g_assert_true(seg.unmap);
    s.flags = 0x2;
    memcpy(p.data, &s, 16);
    g_assert_cmpuint(virtio_blk_parse_segment(&p.req, 100, 1000, &seg), ==,
                     VIRTIO_BLK_S_UNSUPP);
    p.req.data_len = 32;
    g_assert_cmpuint(virtio_blk_parse_segment(&p.req, 100, 1000, &seg), ==,
                     VIRTIO_BLK_S_IOERR);
}

/* ---- Backends: open, lock, format -------------------------------------- */

static void
test_lock(void)
{
    g_autofree char *path = make_image("lock.img", IMG_SIZE);
    g_autoptr(GError) error = NULL;
    g_autoptr(BlockBackend) rw = NULL;
    g_autoptr(BlockBackend) ro1 = NULL;
    g_autoptr(BlockBackend) ro2 = NULL;
    BlockBackend *bb;

    rw = block_backend_open(path, false, false, IMAGE_TYPE_RAW, &error);
    g_assert_no_error(error);
    /* A second writer, and a reader next to a writer, are refused with
     * a message naming the image. */
    bb = block_backend_open(path, false, false, IMAGE_TYPE_RAW, &error);
    g_assert_null(bb);
    g_assert_error(error, G_IO_ERROR, G_IO_ERROR_BUSY);
    g_assert_nonnull(strstr(error->message, path));
    g_clear_error(&error);
    bb = block_backend_open(path, true, false, IMAGE_TYPE_RAW, &error);
    g_assert_null(bb);
    g_assert_error(error, G_IO_ERROR, G_IO_ERROR_BUSY);
    g_clear_error(&error);
    g_clear_pointer(&rw, block_backend_free);

    /* Readers share; a writer next to readers is refused. */
    ro1 = block_backend_open(path, true, false, IMAGE_TYPE_UNKNOWN, &error);
    g_assert_no_error(error);
    ro2 = block_backend_open(path, true, false, IMAGE_TYPE_UNKNOWN, &error);
    g_assert_no_error(error);
    bb = block_backend_open(path, false, false, IMAGE_TYPE_RAW, &error);
    g_assert_null(bb);
    g_assert_error(error, G_IO_ERROR, G_IO_ERROR_BUSY);
}

static void
test_formats(void)
{
    g_autofree char *path = make_image("fmt.img", IMG_SIZE);
    g_autofree char *dir = g_build_filename(test_tmpdir(), NULL);
    g_autoptr(GError) error = NULL;
    BlockBackend *bb;

    /* The backend refuses the header of a format nimbus lacks (VMDK). */

    file_write(path, 0, "KDMV", 4);
    bb = block_backend_open(path, false, false, IMAGE_TYPE_UNKNOWN, &error);
    g_assert_null(bb);
    g_assert_error(error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED);
    g_assert_nonnull(strstr(error->message, "vmdk"));
    g_clear_error(&error);
    /* Forced raw: the header is just data. */
    bb = block_backend_open(path, false, false, IMAGE_TYPE_RAW, &error);
    g_assert_no_error(error);
    g_assert_cmpuint(block_backend_size(bb), ==, IMG_SIZE);
    block_backend_free(bb);

    bb = block_backend_open(dir, true, false, IMAGE_TYPE_RAW, &error);
    g_assert_null(bb);
    g_clear_error(&error);
    bb = block_backend_open("/nonexistent/x.img", true, false, IMAGE_TYPE_RAW,
                            &error);
    g_assert_null(bb);
    g_assert_error(error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND);
    g_assert_nonnull(strstr(error->message, "/nonexistent/x.img"));
}

/* ---- Engines ------------------------------------------------------------ */

static int64_t
engine_run(BlockQueue *q, BlockRequest *req)
{
    BlockRequest *done[4];
    unsigned n;
    int fd = block_queue_completion_fd(q);
    int r = block_queue_submit(q, req);

    if (r < 0)
        return r;
    g_assert_cmpint(block_queue_kick(q), ==, 0);
    for (;;) {
        n = block_queue_reap(q, done, 4);
        if (n > 0)
            break;
        g_assert_cmpint(fd, >=, 0);
        g_usleep(100);
    }
    g_assert_cmpuint(n, ==, 1);
    g_assert_true(done[0] == req);
    return req->result;
}

static BlockQueue *
engine_queue(BlockBackend *bb, const char *engine)
{
    g_autoptr(GError) error = NULL;
    BlockQueue *q;

    if (g_str_equal(engine, "sync"))
        q = block_engine_sync.queue_new(bb, 8, &error);
    else
        q = block_engine_uring.queue_new(bb, 8, &error);
    g_assert_no_error(error);
    return q;
}

static void
test_engine_io(gconstpointer data)
{
    const char *engine = data;
    g_autofree char *path = make_image("engine.img", IMG_SIZE);
    g_autoptr(GError) error = NULL;
    g_autoptr(BlockBackend) bb = block_backend_open(path, false, false,
                                                    IMAGE_TYPE_RAW, &error);
    BlockQueue *q = engine_queue(bb, engine);
    g_autofree uint8_t *buf = g_malloc(8192);
    g_autofree uint8_t *back = g_malloc0(8192);
    struct iovec iov[2] = { { buf, 4096 }, { buf + 4096, 4096 } };
    struct iovec biov = { back, 8192 };
    BlockRequest req = { 0 };

    g_assert_cmpstr(block_queue_engine(q), ==, engine);
    for (unsigned i = 0; i < 8192; i++)
        buf[i] = (uint8_t)(i * 7 + 1);
    req = (BlockRequest){ .op = BLOCK_OP_WRITE, .offset = 65536, .iov = iov,
                          .iovcnt = 2 };
    g_assert_cmpint(engine_run(q, &req), ==, 8192);
    req = (BlockRequest){ .op = BLOCK_OP_FLUSH };
    g_assert_cmpint(engine_run(q, &req), ==, 0);
    req = (BlockRequest){ .op = BLOCK_OP_READ, .offset = 65536, .iov = &biov,
                          .iovcnt = 1 };
    g_assert_cmpint(engine_run(q, &req), ==, 8192);
    g_assert_cmpmem(buf, 8192, back, 8192);
    file_read(path, 65536, back, 8192);
    g_assert_cmpmem(buf, 8192, back, 8192);

    /* WRITE_ZEROES without unmap (zero range), then DISCARD (punch). */
    req = (BlockRequest){ .op = BLOCK_OP_WRITE_ZEROES, .offset = 65536,
                          .len = 4096 };
    g_assert_cmpint(engine_run(q, &req), ==, 4096);
    file_read(path, 65536, back, 8192);
    for (unsigned i = 0; i < 4096; i++)
        g_assert_cmpuint(back[i], ==, 0);
    g_assert_cmpmem(buf + 4096, 4096, back + 4096, 4096);
    req = (BlockRequest){ .op = BLOCK_OP_DISCARD, .offset = 65536 + 4096,
                          .len = 4096 };
    g_assert_cmpint(engine_run(q, &req), ==, 4096);
    req = (BlockRequest){ .op = BLOCK_OP_WRITE_ZEROES, .offset = 0,
                          .len = 4096, .unmap = true };
    g_assert_cmpint(engine_run(q, &req), ==, 4096);

    /* Out of the image: refused before any I/O. */
    req = (BlockRequest){ .op = BLOCK_OP_READ, .offset = IMG_SIZE - 4096,
                          .iov = &biov, .iovcnt = 1 };
    g_assert_cmpint(block_queue_submit(q, &req), ==, -EINVAL);
    req = (BlockRequest){ .op = BLOCK_OP_DISCARD, .offset = IMG_SIZE,
                          .len = 512 };
    g_assert_cmpint(block_queue_submit(q, &req), ==, -EINVAL);
    block_queue_free(q);
}

/* What the worker relies on: the io_uring queue's completion fd polls
 * readable while a completion waits, stays so when a reap leaves some
 * behind, and is quiet once everything is reaped. */
static void
test_engine_uring_completion_fd(void)
{
    g_autofree char *path = make_image("cfd.img", IMG_SIZE);
    g_autoptr(GError) error = NULL;
    g_autoptr(BlockBackend) bb = block_backend_open(path, false, false,
                                                    IMAGE_TYPE_RAW, &error);
    BlockQueue *q = engine_queue(bb, "io_uring");
    uint8_t buf[3][512];
    struct iovec iov[3];
    BlockRequest req[3];
    BlockRequest *done[3];
    struct pollfd p = { .fd = block_queue_completion_fd(q), .events = POLLIN };

    g_assert_cmpint(p.fd, >=, 0);
    g_assert_cmpint(poll(&p, 1, 0), ==, 0);
    for (unsigned i = 0; i < 3; i++) {
        iov[i] = (struct iovec){ buf[i], sizeof(buf[i]) };
        req[i] = (BlockRequest){ .op = BLOCK_OP_READ, .offset = i * 512,
                                 .iov = &iov[i], .iovcnt = 1 };
        g_assert_cmpint(block_queue_submit(q, &req[i]), ==, 0);
    }
    g_assert_cmpint(block_queue_kick(q), ==, 0);
    /* Page-cache reads may complete inside io_uring_enter(), or a little
     * later on an io-wq worker: either way the fd reports them. */
    for (unsigned n = 0; n < 3;) {
        g_assert_cmpint(poll(&p, 1, 5000), ==, 1);
        g_assert_true(p.revents & POLLIN);
        if (block_queue_reap(q, done, 1) == 1) {
            g_assert_cmpint(done[0]->result, ==, 512);
            n++;
        }
    }
    g_assert_cmpuint(block_queue_reap(q, done, 3), ==, 0);
    g_assert_cmpint(poll(&p, 1, 0), ==, 0);
    block_queue_free(q);
}

static void
test_engine_readonly(gconstpointer data)
{
    g_autofree char *path = make_image("ro.img", IMG_SIZE);
    g_autoptr(GError) error = NULL;
    g_autoptr(BlockBackend) bb = block_backend_open(path, true, false,
                                                    IMAGE_TYPE_RAW, &error);
    BlockQueue *q = engine_queue(bb, data);
    uint8_t buf[512] = { 1 };
    struct iovec iov = { buf, 512 };
    BlockRequest req = { .op = BLOCK_OP_WRITE, .iov = &iov, .iovcnt = 1 };

    g_assert_cmpint(block_queue_submit(q, &req), ==, -EROFS);
    req = (BlockRequest){ .op = BLOCK_OP_READ, .iov = &iov, .iovcnt = 1 };
    g_assert_cmpint(engine_run(q, &req), ==, 512);
    block_queue_free(q);
}

/* Host I/O errors: RLIMIT_FSIZE makes writes past the limit fail with
 * EFBIG, an unprivileged stand-in for a failing disk.  Also with io_uring:
 * its workers share the process's limits. */
static void
test_engine_ioerr(gconstpointer data)
{
    g_autofree char *path = make_image("ioerr.img", IMG_SIZE);
    g_autoptr(GError) error = NULL;
    g_autoptr(BlockBackend) bb = block_backend_open(path, false, false,
                                                    IMAGE_TYPE_RAW, &error);
    BlockQueue *q = engine_queue(bb, data);
    uint8_t buf[4096] = { 0x5a };
    struct iovec iov = { buf, sizeof(buf) };
    BlockRequest req = { .op = BLOCK_OP_WRITE, .offset = IMG_SIZE / 2,
                         .iov = &iov, .iovcnt = 1 };
    struct rlimit old, lim = { 65536, 65536 };
    int64_t r;

    signal(SIGXFSZ, SIG_IGN);
    g_assert_cmpint(getrlimit(RLIMIT_FSIZE, &old), ==, 0);
    lim.rlim_max = old.rlim_max;
    g_assert_cmpint(setrlimit(RLIMIT_FSIZE, &lim), ==, 0);
    r = engine_run(q, &req);
    req = (BlockRequest){ .op = BLOCK_OP_WRITE, .offset = 0, .iov = &iov,
                          .iovcnt = 1 };
    g_assert_cmpint(engine_run(q, &req), ==, 4096);   /* below the limit */
    g_assert_cmpint(setrlimit(RLIMIT_FSIZE, &old), ==, 0);
    g_assert_cmpint(r, ==, -EFBIG);
    block_queue_free(q);
}

static void
test_engine_direct(void)
{
    g_autofree char *path = make_image("direct.img", IMG_SIZE);
    g_autoptr(GError) error = NULL;
    g_autoptr(BlockBackend) bb = NULL;
    BlockQueue *q;
    g_autofree uint8_t *mem = g_malloc(8192 + 1);
    uint8_t *unaligned = mem + 1;       /* O_DIRECT needs a bounce buffer */
    uint8_t back[4096];
    struct iovec iov = { unaligned, 4096 };
    BlockRequest req = { .op = BLOCK_OP_WRITE, .offset = 8192, .iov = &iov,
                         .iovcnt = 1 };
    int probe = open(path, O_RDONLY | O_DIRECT | O_CLOEXEC);

    if (probe < 0) {
        g_test_skip("the test directory's file system refuses O_DIRECT");
        return;
    }
    close(probe);
    bb = block_backend_open(path, false, true, IMAGE_TYPE_RAW, &error);
    g_assert_no_error(error);
    q = block_queue_new(bb, 4, true, &error);
    g_assert_no_error(error);
    memset(unaligned, 0xa5, 4096);
    g_assert_cmpint(engine_run(q, &req), ==, 4096);
    file_read(path, 8192, back, 4096);
    g_assert_cmpmem(unaligned, 4096, back, 4096);
    memset(unaligned, 0, 4096);
    block_request_clear(&req);   /* the bounce buffer of the write */
    req = (BlockRequest){ .op = BLOCK_OP_READ, .offset = 8192, .iov = &iov,
                          .iovcnt = 1 };
    g_assert_cmpint(engine_run(q, &req), ==, 4096);
    g_assert_cmpmem(unaligned, 4096, back, 4096);
    /* Unaligned offset: refused (the guest was told blk_size). */
    block_request_clear(&req);
    req = (BlockRequest){ .op = BLOCK_OP_READ, .offset = 100, .iov = &iov,
                          .iovcnt = 1 };
    g_assert_cmpint(block_queue_submit(q, &req), ==, -EINVAL);
    block_request_clear(&req);
    block_queue_free(q);
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/virtio/blk/parse/read-write", test_parse_read_write);
    g_test_add_func("/virtio/blk/parse/malformed", test_parse_malformed);
    g_test_add_func("/virtio/blk/parse/segment", test_parse_segment);
    g_test_add_func("/block/lock", test_lock);
    g_test_add_func("/block/formats", test_formats);
    g_test_add_data_func("/block/engine/io_uring/io", "io_uring", test_engine_io);
    g_test_add_data_func("/block/engine/sync/io", "sync", test_engine_io);
    g_test_add_data_func("/block/engine/io_uring/readonly", "io_uring",
                         test_engine_readonly);
    g_test_add_data_func("/block/engine/sync/readonly", "sync",
                         test_engine_readonly);
    g_test_add_data_func("/block/engine/io_uring/ioerr", "io_uring",
                         test_engine_ioerr);
    g_test_add_data_func("/block/engine/sync/ioerr", "sync", test_engine_ioerr);
    g_test_add_func("/block/engine/direct-bounce", test_engine_direct);
    g_test_add_func("/block/engine/io_uring/completion-fd",
                    test_engine_uring_completion_fd);
    return g_test_run();
}
