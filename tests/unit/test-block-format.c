/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests of the block format seam: raw's mapping and a second format plugged in by the test. */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>
#include <gio/gio.h>
#include <linux/virtio_blk.h>

#include "devices/block/block.h"
#include "devices/block/format-priv.h"
#include "devices/virtio/blk.h"
#include "devices/virtio/worker.h"
#include "tests/testutil.h"
#include "tests/unit/fake-vm.h"
#include "tests/unit/test-virtio-driver.h"

#define IMG_SIZE (1024 * 1024)

/*
 * "swap", a format that exists only here: an 8-byte magic in a 4 KiB
 * header, then the disk in 4 KiB chunks stored pairwise swapped (chunk
 * 2k at 2k+1 and back), and one more chunk at the end of the virtual
 * disk that the file does not hold: it reads as zeroes and cannot be
 * written (ENOSPC, as a format that cannot allocate).  Unaligned or
 * multi-chunk requests map to several extents, so both the engines' path
 * and the format layer's own path are exercised, with nothing but this
 * table changed: blk.c, block.c and the engines are the ones raw uses.
 */
#define SWAP_MAGIC "NIMBUSSW"
#define SWAP_HDR 4096
#define SWAP_CHUNK 4096

typedef struct {
    BlockFormat base;
    uint64_t stored;         /* chunks in the file, an even number */
} SwapFormat;

static const BlockFormatOps swap_format_ops;

static bool
swap_probe(const uint8_t *head, size_t len)
{
    return len >= 8 && memcmp(head, SWAP_MAGIC, 8) == 0;
}

static BlockFormat *
swap_open(BlockFile *file, const BlockFormatOptions *opts,
          GError **error)
{
    uint64_t size = block_file_size(file);
    SwapFormat *s;

    if (size < SWAP_HDR + 2 * SWAP_CHUNK ||
        (size - SWAP_HDR) % (2 * SWAP_CHUNK) != 0) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                    "swap image '%s' has a bad size", block_file_path(file));
        block_file_free(file);
        return NULL;
    }
    s = g_new0(SwapFormat, 1);
    s->base.ops = &swap_format_ops;
    s->base.file = file;
    s->stored = (size - SWAP_HDR) / SWAP_CHUNK;
    s->base.size = (s->stored + 1) * SWAP_CHUNK;
    return &s->base;
}

static void
swap_close(BlockFormat *fmt)
{
    block_file_free(fmt->file);
    g_free(fmt);
}

static int
swap_map(BlockFormat *fmt, BlockOp op, uint64_t offset, uint64_t len,
         BlockExtent *ext)
{
    SwapFormat *s = (SwapFormat *)fmt;
    uint64_t chunk = offset / SWAP_CHUNK, in = offset % SWAP_CHUNK;

    if (offset > fmt->size || len > fmt->size - offset)
        return -EINVAL;
    ext->len = MIN(len, SWAP_CHUNK - in);
    if (chunk >= s->stored && len > 0) {
        if (op == BLOCK_OP_WRITE)
            return -ENOSPC;
        ext->kind = BLOCK_EXTENT_ZERO;
        return 0;
    }
    ext->kind = BLOCK_EXTENT_DATA;
    ext->file_offset = SWAP_HDR + (chunk ^ 1) * SWAP_CHUNK + in;
    return 0;
}

static const BlockFormatOps swap_format_ops = {
    .name = "swap",
    .type = IMAGE_TYPE_UNKNOWN,      /* found by its header only */
    .probe = swap_probe,
    .open = swap_open,
    .close = swap_close,
    .map = swap_map,
};

/* Where virtual byte @v of a swap image is in its file. */
static uint64_t
swap_file_offset(uint64_t v)
{
    return SWAP_HDR + ((v / SWAP_CHUNK) ^ 1) * SWAP_CHUNK + v % SWAP_CHUNK;
}

/* ---- Helpers ------------------------------------------------------------ */

static char *
make_image(const char *name, uint64_t size, const char *magic)
{
    char *path = g_build_filename(test_tmpdir(), name, NULL);
    int fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);

    g_assert_cmpint(fd, >=, 0);
    g_assert_cmpint(ftruncate(fd, (off_t)size), ==, 0);
    if (magic)
        g_assert_cmpint(pwrite(fd, magic, strlen(magic), 0), ==,
                        (ssize_t)strlen(magic));
    close(fd);
    return path;
}

static void
file_read(const char *path, uint64_t off, void *buf, size_t len)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);

    g_assert_cmpint(fd, >=, 0);
    g_assert_cmpint(pread(fd, buf, len, (off_t)off), ==, (ssize_t)len);
    close(fd);
}

static void
fill(uint8_t *p, size_t len, unsigned seed)
{
    for (size_t i = 0; i < len; i++)
        p[i] = (uint8_t)(i * 13 + seed);
}

/* Submits @req, kicks, waits for it; returns its result (or the submit
 * error). */
static int64_t
run_req(BlockQueue *q, BlockRequest *req)
{
    BlockRequest *done[4];
    unsigned n;
    int r = block_queue_submit(q, req);

    if (r < 0)
        return r;
    g_assert_cmpint(block_queue_kick(q), ==, 0);
    while ((n = block_queue_reap(q, done, 4)) == 0) {
        g_assert_cmpint(block_queue_completion_fd(q), >=, 0);
        g_usleep(100);
    }
    g_assert_cmpuint(n, ==, 1);
    g_assert_true(done[0] == req);
    return req->result;
}

static int64_t
run_rw(BlockQueue *q, BlockOp op, uint64_t offset, void *buf, size_t len)
{
    struct iovec iov = { buf, len };
    BlockRequest req = { .op = op, .offset = offset, .iov = &iov,
                         .iovcnt = 1 };

    return run_req(q, &req);
}

static int64_t
run_range(BlockQueue *q, BlockOp op, uint64_t offset, uint64_t len)
{
    BlockRequest req = { .op = op, .offset = offset, .len = len };

    return run_req(q, &req);
}

/* ---- Raw ----------------------------------------------------------------- */

static void
test_raw_map(void)
{
    g_autofree char *path = make_image("raw-map.img", IMG_SIZE, NULL);
    g_autoptr(GError) error = NULL;
    g_autoptr(BlockFormat) fmt = block_format_open(path, true, false,
                                                   IMAGE_TYPE_RAW, &error);
    BlockExtent ext = { 0 };

    g_assert_no_error(error);
    g_assert_cmpstr(block_format_name(fmt), ==, "raw");
    g_assert_cmpuint(fmt->size, ==, IMG_SIZE);
    /* Byte for byte, all of a request in one extent. */
    g_assert_cmpint(fmt->ops->map(fmt, BLOCK_OP_READ, 4096, 65536, &ext), ==,
                    0);
    g_assert_cmpint(ext.kind, ==, BLOCK_EXTENT_DATA);
    g_assert_cmpuint(ext.file_offset, ==, 4096);
    g_assert_cmpuint(ext.len, ==, 65536);
    g_assert_cmpint(fmt->ops->map(fmt, BLOCK_OP_WRITE, 0, IMG_SIZE, &ext), ==,
                    0);
    g_assert_cmpuint(ext.len, ==, IMG_SIZE);
    g_assert_cmpint(fmt->ops->map(fmt, BLOCK_OP_READ, IMG_SIZE, 0, &ext), ==,
                    0);
    /* Bounds: past the end, across it, and lengths that wrap around. */
    g_assert_cmpint(fmt->ops->map(fmt, BLOCK_OP_READ, IMG_SIZE, 1, &ext), ==,
                    -EINVAL);
    g_assert_cmpint(fmt->ops->map(fmt, BLOCK_OP_READ, IMG_SIZE + 512, 0,
                                  &ext), ==, -EINVAL);
    g_assert_cmpint(fmt->ops->map(fmt, BLOCK_OP_DISCARD, IMG_SIZE - 512,
                                  1024, &ext), ==, -EINVAL);
    g_assert_cmpint(fmt->ops->map(fmt, BLOCK_OP_WRITE_ZEROES, 512,
                                  G_MAXUINT64, &ext), ==, -EINVAL);
    g_assert_cmpint(fmt->ops->map(fmt, BLOCK_OP_READ, G_MAXUINT64, 2, &ext),
                    ==, -EINVAL);
}

/* Which format opens is decided by block_format_open() alone. */
static void
test_select(void)
{
    g_autofree char *path = make_image("select.img", IMG_SIZE, NULL);
    g_autofree char *vhdx = make_image("select.vhdx", IMG_SIZE, "vhdxfile");
    g_autofree char *vmdk = make_image("select.vmdk", IMG_SIZE, "KDMV");
    const char *refused[] = { vhdx, vmdk };
    const char *names[] = { "VHDX", "vmdk" };
    /* A VHDX magic without the rest of the image is a damaged VHDX. */
    const int codes[] = { G_IO_ERROR_INVALID_DATA, G_IO_ERROR_NOT_SUPPORTED };
    g_autoptr(GError) error = NULL;
    BlockFormat *fmt;
    int probe;

    /* Autodetection: known headers are opened by their format or, without
     * one, refused by name; anything else is raw. */
    for (unsigned i = 0; i < G_N_ELEMENTS(refused); i++) {
        fmt = block_format_open(refused[i], true, false, IMAGE_TYPE_UNKNOWN,
                                &error);
        g_assert_null(fmt);
        g_assert_error(error, G_IO_ERROR, codes[i]);
        g_assert_nonnull(strstr(error->message, names[i]));
        g_clear_error(&error);
    }
    fmt = block_format_open(path, true, false, IMAGE_TYPE_UNKNOWN, &error);
    g_assert_no_error(error);
    g_assert_cmpstr(block_format_name(fmt), ==, "raw");
    block_format_close(fmt);

    /* The probe reads through an aligned buffer: O_DIRECT detects too. */
    probe = open(vhdx, O_RDONLY | O_DIRECT | O_CLOEXEC);
    if (probe < 0)
        return;   /* the test directory's file system refuses O_DIRECT */
    close(probe);
    fmt = block_format_open(vhdx, true, true, IMAGE_TYPE_UNKNOWN, &error);
    g_assert_null(fmt);
    g_assert_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA);
    g_assert_nonnull(strstr(error->message, "VHDX"));
}

/* ---- A second format ----------------------------------------------------- */

static void
test_swap_open(void)
{
    g_autofree char *path = make_image("swap-open.img",
                                       SWAP_HDR + 8 * SWAP_CHUNK, SWAP_MAGIC);
    g_autofree char *bad = make_image("swap-bad.img", SWAP_HDR + SWAP_CHUNK,
                                      SWAP_MAGIC);
    g_autoptr(GError) error = NULL;
    g_autoptr(BlockBackend) bb = NULL;

    bb = block_backend_open(path, true, false, IMAGE_TYPE_UNKNOWN, &error);
    g_assert_no_error(error);
    g_assert_cmpstr(block_backend_format(bb), ==, "swap");
    g_assert_cmpuint(block_backend_size(bb), ==, 9 * SWAP_CHUNK);
    g_clear_pointer(&bb, block_backend_free);
    /* Forced raw: the header is just data. */
    bb = block_backend_open(path, true, false, IMAGE_TYPE_RAW, &error);
    g_assert_no_error(error);
    g_assert_cmpstr(block_backend_format(bb), ==, "raw");
    g_assert_cmpuint(block_backend_size(bb), ==, SWAP_HDR + 8 * SWAP_CHUNK);
    g_clear_pointer(&bb, block_backend_free);
    /* The format's own open errors come through; the file is released
     * (a writer can lock it again). */
    g_assert_null(block_backend_open(bad, false, false, IMAGE_TYPE_UNKNOWN,
                                     &error));
    g_assert_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA);
    g_clear_error(&error);
    bb = block_backend_open(bad, false, false, IMAGE_TYPE_RAW, &error);
    g_assert_no_error(error);
}

static BlockQueue *
swap_queue(BlockBackend *bb, const char *engine)
{
    g_autoptr(GError) error = NULL;
    BlockQueue *q = block_queue_new(bb, 8, g_str_equal(engine, "io_uring"),
                                    &error);

    g_assert_no_error(error);
    g_assert_cmpstr(block_queue_engine(q), ==, engine);
    return q;
}

static void
test_swap_engine(gconstpointer data)
{
    const char *engine = data;
    uint64_t stored = 8, vsize = (stored + 1) * SWAP_CHUNK;
    g_autofree char *path = make_image("swap-engine.img",
                                       SWAP_HDR + stored * SWAP_CHUNK,
                                       SWAP_MAGIC);
    g_autoptr(GError) error = NULL;
    g_autoptr(BlockBackend) bb = block_backend_open(path, false, false,
                                                    IMAGE_TYPE_UNKNOWN,
                                                    &error);
    BlockQueue *q = swap_queue(bb, engine);
    g_autofree uint8_t *buf = g_malloc(4 * SWAP_CHUNK);
    g_autofree uint8_t *back = g_malloc(4 * SWAP_CHUNK);
    uint8_t small[1024], file[1024];

    g_assert_no_error(error);
    /* One chunk: one extent, run by the engine. */
    fill(buf, SWAP_CHUNK, 1);
    g_assert_cmpint(run_rw(q, BLOCK_OP_WRITE, 0, buf, SWAP_CHUNK), ==,
                    SWAP_CHUNK);
    file_read(path, swap_file_offset(0), back, SWAP_CHUNK);
    g_assert_cmpmem(buf, SWAP_CHUNK, back, SWAP_CHUNK);
    /* Four chunks: four extents, run by the format layer. */
    fill(buf, 4 * SWAP_CHUNK, 2);
    g_assert_cmpint(run_rw(q, BLOCK_OP_WRITE, 2 * SWAP_CHUNK, buf,
                           4 * SWAP_CHUNK), ==, 4 * SWAP_CHUNK);
    for (unsigned i = 0; i < 4; i++) {
        file_read(path, swap_file_offset((2 + i) * SWAP_CHUNK), back,
                  SWAP_CHUNK);
        g_assert_cmpmem(buf + i * SWAP_CHUNK, SWAP_CHUNK, back, SWAP_CHUNK);
    }
    memset(back, 0, 4 * SWAP_CHUNK);
    g_assert_cmpint(run_rw(q, BLOCK_OP_READ, 2 * SWAP_CHUNK, back,
                           4 * SWAP_CHUNK), ==, 4 * SWAP_CHUNK);
    g_assert_cmpmem(buf, 4 * SWAP_CHUNK, back, 4 * SWAP_CHUNK);
    /* Unaligned, across a chunk boundary. */
    fill(small, sizeof(small), 3);
    g_assert_cmpint(run_rw(q, BLOCK_OP_WRITE, SWAP_CHUNK - 512, small,
                           sizeof(small)), ==, sizeof(small));
    file_read(path, swap_file_offset(SWAP_CHUNK - 512), file, 512);
    file_read(path, swap_file_offset(SWAP_CHUNK), file + 512, 512);
    g_assert_cmpmem(small, sizeof(small), file, sizeof(file));

    /* The chunk the file lacks reads as zeroes, also within a request
     * that starts on stored data; writing it fails as the format says. */
    memset(back, 0xee, 2 * SWAP_CHUNK);
    g_assert_cmpint(run_rw(q, BLOCK_OP_READ, vsize - 2 * SWAP_CHUNK, back,
                           2 * SWAP_CHUNK), ==, 2 * SWAP_CHUNK);
    for (unsigned i = 0; i < 2 * SWAP_CHUNK; i++)
        g_assert_cmpuint(back[i], ==, 0);
    g_assert_cmpint(run_rw(q, BLOCK_OP_WRITE, vsize - SWAP_CHUNK, buf, 512),
                    ==, -ENOSPC);
    g_assert_cmpint(run_rw(q, BLOCK_OP_WRITE, vsize - 2 * SWAP_CHUNK, buf,
                           2 * SWAP_CHUNK), ==, -ENOSPC);

    /* WRITE_ZEROES and DISCARD over several extents (and the unstored
     * chunk, which has nothing to zero). */
    g_assert_cmpint(run_range(q, BLOCK_OP_WRITE_ZEROES, 2 * SWAP_CHUNK,
                              2 * SWAP_CHUNK), ==, 2 * SWAP_CHUNK);
    for (unsigned i = 2; i < 4; i++) {
        file_read(path, swap_file_offset(i * SWAP_CHUNK), back, SWAP_CHUNK);
        for (unsigned k = 0; k < SWAP_CHUNK; k++)
            g_assert_cmpuint(back[k], ==, 0);
    }
    file_read(path, swap_file_offset(4 * SWAP_CHUNK), back, SWAP_CHUNK);
    g_assert_cmpmem(buf + 2 * SWAP_CHUNK, SWAP_CHUNK, back, SWAP_CHUNK);
    g_assert_cmpint(run_range(q, BLOCK_OP_DISCARD, vsize - 3 * SWAP_CHUNK,
                              3 * SWAP_CHUNK), ==, 3 * SWAP_CHUNK);
    g_assert_cmpint(run_range(q, BLOCK_OP_FLUSH, 0, 0), ==, 0);

    /* The format's bounds are the virtual disk's, not the file's. */
    g_assert_cmpint(run_rw(q, BLOCK_OP_READ, vsize, back, 512), ==, -EINVAL);
    g_assert_cmpint(run_range(q, BLOCK_OP_DISCARD, vsize - 512, 1024), ==,
                    -EINVAL);
    block_queue_free(q);
}

/* virtio-blk on the swap format: the device code is raw's, unchanged. */
static uint8_t
dev_req(VirtioDevice *vdev, TdRing *r, uint32_t type, uint64_t sector,
        uint64_t data, uint32_t len, bool data_in)
{
    return td_blk_request(vdev, 0, r, type, sector, data, len, data_in, NULL);
}

static void
test_swap_device(gconstpointer data)
{
    bool uring = GPOINTER_TO_INT(data);
    uint64_t stored = 8, sectors = (stored + 1) * SWAP_CHUNK / 512;
    g_autofree char *path = make_image(uring ? "swap-dev-u.img"
                                             : "swap-dev-s.img",
                                       SWAP_HDR + stored * SWAP_CHUNK,
                                       SWAP_MAGIC);
    g_autoptr(GError) error = NULL;
    g_autoptr(GuestMemory) mem = td_memory_new();
    g_autoptr(FakeHost) host = fake_host_new_with_memory(mem);
    DiskConfig disk = { .path = path, .num_queues = 1, .queue_size = 16,
                        .id = (char *)"_swap0",
                        .image_type = IMAGE_TYPE_UNKNOWN };
    struct virtio_blk_config cfg;
    VirtioDevice *vdev;
    TdRing ring;
    uint64_t buf;
    uint8_t *p, back[2 * SWAP_CHUNK];

    vdev = virtio_blk_new(fake_host_base(host), &disk, uring, &error);
    g_assert_no_error(error);
    vdev->ops->read_config(vdev, 0, &cfg, sizeof(cfg));
    g_assert_cmpuint(cfg.capacity, ==, sectors);
    td_ring_init(&ring, mem, 0x100000, 0x100000, 16);
    td_device_start(vdev, &ring, 1);
    g_assert_cmpstr(virtio_blk_engine(vdev, 0), ==, uring ? "io_uring"
                                                          : "sync");

    /* Two chunks from sector 0: they land swapped in the file. */
    buf = td_alloc(&ring, 2 * SWAP_CHUNK);
    p = td_ptr(mem, buf, 2 * SWAP_CHUNK);
    fill(p, 2 * SWAP_CHUNK, 4);
    g_assert_cmpuint(dev_req(vdev, &ring, VIRTIO_BLK_T_OUT, 0, buf,
                             2 * SWAP_CHUNK, false), ==, VIRTIO_BLK_S_OK);
    file_read(path, SWAP_HDR, back, sizeof(back));
    g_assert_cmpmem(p, SWAP_CHUNK, back + SWAP_CHUNK, SWAP_CHUNK);
    g_assert_cmpmem(p + SWAP_CHUNK, SWAP_CHUNK, back, SWAP_CHUNK);
    buf = td_alloc(&ring, 2 * SWAP_CHUNK);
    g_assert_cmpuint(dev_req(vdev, &ring, VIRTIO_BLK_T_IN, 0, buf,
                             2 * SWAP_CHUNK, true), ==, VIRTIO_BLK_S_OK);
    g_assert_cmpmem(p, 2 * SWAP_CHUNK, td_ptr(mem, buf, 2 * SWAP_CHUNK),
                    2 * SWAP_CHUNK);
    /* The unstored last chunk: zeroes to read, an I/O error to write,
     * and the device stays usable. */
    buf = td_alloc(&ring, 512);
    memset(td_ptr(mem, buf, 512), 0xee, 512);
    g_assert_cmpuint(dev_req(vdev, &ring, VIRTIO_BLK_T_IN, sectors - 1, buf,
                             512, true), ==, VIRTIO_BLK_S_OK);
    g_assert_cmpuint(*(uint8_t *)td_ptr(mem, buf + 100, 1), ==, 0);
    g_assert_cmpuint(dev_req(vdev, &ring, VIRTIO_BLK_T_OUT, sectors - 1, buf,
                             512, false), ==, VIRTIO_BLK_S_IOERR);
    g_assert_cmpuint(dev_req(vdev, &ring, VIRTIO_BLK_T_FLUSH, 0, 0, 0, false),
                     ==, VIRTIO_BLK_S_OK);
    g_assert_false(virtio_device_is_broken(vdev));
    virtio_device_free(vdev);
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_assert_true(block_format_register(&swap_format_ops));
    g_test_add_func("/block/format/raw/map", test_raw_map);
    g_test_add_func("/block/format/select", test_select);
    g_test_add_func("/block/format/swap/open", test_swap_open);
    g_test_add_data_func("/block/format/swap/engine/io_uring", "io_uring",
                         test_swap_engine);
    g_test_add_data_func("/block/format/swap/engine/sync", "sync",
                         test_swap_engine);
    g_test_add_data_func("/block/format/swap/virtio-blk/io_uring",
                         GINT_TO_POINTER(1), test_swap_device);
    g_test_add_data_func("/block/format/swap/virtio-blk/sync",
                         GINT_TO_POINTER(0), test_swap_device);
    return g_test_run();
}
