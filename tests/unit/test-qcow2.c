/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests of the qcow2 format against images qemu-img makes and checks. */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <gio/gio.h>

#include "devices/block/block.h"
#include "devices/block/format.h"
#include "devices/block/qcow2.h"
#include "tests/testutil.h"

#define MIB (1024 * 1024)

/* ---- Helpers ------------------------------------------------------------- */

static char *
tmp_path(const char *name)
{
    return g_build_filename(test_tmpdir(), name, NULL);
}

/* Runs qemu-img with the NULL-terminated arguments; returns its status. */
static int G_GNUC_NULL_TERMINATED
qimg(char **out, const char *first, ...)
{
    g_autoptr(GPtrArray) argv = g_ptr_array_new();
    const char *a;
    va_list ap;

    g_ptr_array_add(argv, (gpointer) "qemu-img");
    va_start(ap, first);
    for (a = first; a; a = va_arg(ap, const char *))
        g_ptr_array_add(argv, (gpointer)a);
    va_end(ap);
    g_ptr_array_add(argv, NULL);
    return test_run((const char *const *)argv->pdata, out, 60000);
}

static void
qimg_ok(const char *first, ...)
{
    g_autoptr(GPtrArray) argv = g_ptr_array_new();
    g_autofree char *out = NULL;
    const char *a;
    va_list ap;
    int st;

    g_ptr_array_add(argv, (gpointer) "qemu-img");
    va_start(ap, first);
    for (a = first; a; a = va_arg(ap, const char *))
        g_ptr_array_add(argv, (gpointer)a);
    va_end(ap);
    g_ptr_array_add(argv, NULL);
    st = test_run((const char *const *)argv->pdata, &out, 60000);
    if (st != 0)
        g_test_message("qemu-img %s: %s", first, out);
    g_assert_cmpint(st, ==, 0);
}

static void
write_file(const char *path, const void *buf, size_t len)
{
    g_autoptr(GError) error = NULL;

    g_file_set_contents(path, buf, (gssize)len, &error);
    g_assert_no_error(error);
}

/* A pattern with zero runs (so that qemu-img leaves holes) and data. */
static uint8_t *
pattern(size_t len, unsigned seed)
{
    uint8_t *p = g_malloc0(len);
    GRand *rand = g_rand_new_with_seed(seed);

    for (size_t off = 0; off < len; off += 4096) {
        if (g_rand_int_range(rand, 0, 3) == 0)
            continue;
        /* Four letters: compressible, so that qemu-img convert -c
         * really stores compressed clusters. */
        for (size_t i = 0; i < 4096 && off + i < len; i++)
            p[off + i] = (uint8_t)('a' + g_rand_int_range(rand, 0, 4));
    }
    g_rand_free(rand);
    return p;
}

/* The virtual disk of @path as qemu-img sees it. */
static uint8_t *
qimg_raw(const char *path, size_t *len)
{
    g_autofree char *raw = g_strdup_printf("%s.raw", path);
    g_autoptr(GError) error = NULL;
    char *data = NULL;
    gsize n = 0;

    qimg_ok("convert", "-O", "raw", path, raw, NULL);
    g_file_get_contents(raw, &data, &n, &error);
    g_assert_no_error(error);
    unlink(raw);
    *len = n;
    return (uint8_t *)data;
}

/* qemu-img check's status: 0 clean, 3 leaks only, 2 corruption. */
static int
qimg_check(const char *path)
{
    g_autofree char *out = NULL;
    int st = qimg(&out, "check", path, NULL);

    if (st != 0)
        g_test_message("qemu-img check %s: %s", path, out);
    return st;
}

static uint64_t
read_be64(const char *path, uint64_t off)
{
    uint8_t b[8];
    int fd = open(path, O_RDONLY | O_CLOEXEC);

    g_assert_cmpint(fd, >=, 0);
    g_assert_cmpint(pread(fd, b, 8, (off_t)off), ==, 8);
    close(fd);
    return qcow2_be64(b);
}

static BlockFormat *
open_fmt(const char *path, bool readonly, bool backing, GError **error)
{
    BlockFormatOptions o = {
        .readonly = readonly, .type = IMAGE_TYPE_UNKNOWN,
        .backing_files = backing, .sparse = true,
    };

    return block_format_open_opts(path, &o, error);
}

static void
assert_reads(BlockFormat *fmt, const uint8_t *want, size_t len)
{
    g_autofree uint8_t *got = g_malloc(len);
    struct iovec iov = { got, len };

    g_assert_cmpuint(fmt->size, ==, len);
    g_assert_cmpint(block_format_read(fmt, 0, len, &iov, 1, 0), ==, 0);
    g_assert_cmpmem(got, len, want, len);
}

/* An I/O through the real request path: format mapping, then an engine. */
static int64_t
run_req(BlockQueue *q, BlockRequest *req)
{
    BlockRequest *done[4];
    unsigned n;
    int r = block_queue_submit(q, req);

    if (r < 0)
        return r;
    g_assert_cmpint(block_queue_kick(q), ==, 0);
    while ((n = block_queue_reap(q, done, 4)) == 0)
        g_usleep(50);
    g_assert_cmpuint(n, ==, 1);
    return req->result;
}

static int64_t
run_io(BlockQueue *q, BlockOp op, uint64_t off, void *buf, uint64_t len)
{
    struct iovec iov = { buf, len };
    BlockRequest req = { .op = op, .offset = off, .len = len };

    if (op == BLOCK_OP_READ || op == BLOCK_OP_WRITE) {
        req.iov = &iov;
        req.iovcnt = 1;
    }
    return run_req(q, &req);
}

/* ---- Reading what qemu-img wrote ----------------------------------------- */

typedef struct {
    const char *compat;
    const char *cluster;
    const char *extra;          /* convert option, or NULL */
} ReadCase;

static void
test_read(gconstpointer data)
{
    const ReadCase *c = data;
    size_t len = 3 * MIB + 12345 / 512 * 512;
    g_autofree uint8_t *want = pattern(len, 7);
    g_autofree char *raw = tmp_path("read.raw");
    g_autofree char *img = tmp_path("read.qcow2");
    g_autofree char *opts = g_strdup_printf("compat=%s,cluster_size=%s%s%s",
                                            c->compat, c->cluster,
                                            c->extra ? "," : "",
                                            c->extra ? c->extra : "");
    g_autoptr(GError) error = NULL;
    g_autoptr(BlockFormat) fmt = NULL;
    g_autofree char *out = NULL;
    bool compress = g_str_has_prefix(c->extra ? c->extra : "",
                                     "compression");

    write_file(raw, want, len);
    qimg_ok("convert", "-f", "raw", "-O", "qcow2", "-o", opts,
            compress ? "-c" : "-q", raw, img, NULL);
    /* Compressed clusters are what this case is about. */
    g_assert_cmpint(qimg(&out, "check", img, NULL), ==, 0);
    g_assert_true(!compress || !strstr(out, " 0.00% compressed"));
    fmt = open_fmt(img, true, false, &error);
    g_assert_no_error(error);
    g_assert_cmpstr(block_format_name(fmt), ==, "qcow2");
    assert_reads(fmt, want, len);
}

/* ---- Writing, checked by qemu-img ---------------------------------------- */

typedef struct {
    const char *compat;
    const char *cluster;
    bool uring;
    bool compressed;            /* start from compressed clusters */
} WriteCase;

/* Random writes, discards and write-zeroes through the request path,
 * mirrored in a model; afterwards qemu-img must find the image clean and
 * its content equal to the model's. */
static void
test_write_random(gconstpointer data)
{
    const WriteCase *c = data;
    size_t len = 4 * MIB;
    g_autofree char *img = tmp_path("write.qcow2");
    g_autofree char *opts = g_strdup_printf("compat=%s,cluster_size=%s",
                                            c->compat, c->cluster);
    g_autofree uint8_t *model = pattern(len, 11);
    g_autofree char *raw = tmp_path("write.raw");
    g_autofree uint8_t *buf = g_malloc(256 * 1024);
    g_autofree uint8_t *got = NULL;
    GRand *rand = g_rand_new_with_seed(42);
    BlockFormatOptions o = { .type = IMAGE_TYPE_QCOW2, .sparse = true };
    g_autoptr(GError) error = NULL;
    BlockBackend *bb;
    BlockQueue *q;
    size_t glen;

    /* The image starts with data (copy-on-write has something to copy),
     * compressed in some cases (rewriting those frees compressed spans). */
    write_file(raw, model, len);
    qimg_ok("convert", "-f", "raw", "-O", "qcow2", "-o", opts,
            c->compressed ? "-c" : "-q", raw, img, NULL);
    bb = block_backend_open_opts(img, &o, &error);
    g_assert_no_error(error);
    q = block_queue_new(bb, 8, c->uring, &error);
    g_assert_no_error(error);
    for (unsigned i = 0; i < 300; i++) {
        unsigned what = (unsigned)g_rand_int_range(rand, 0, 10);
        uint64_t n = (uint64_t)g_rand_int_range(rand, 1, 512) * 512;
        uint64_t off = (uint64_t)g_rand_int_range(rand, 0,
                                                  (gint32)((len - n) / 512))
                       * 512;

        if (what < 7) {
            for (uint64_t k = 0; k < n; k++)
                buf[k] = (uint8_t)g_rand_int(rand);
            g_assert_cmpint(run_io(q, BLOCK_OP_WRITE, off, buf, n), ==,
                            (int64_t)n);
            memcpy(model + off, buf, n);
        } else if (what < 9) {
            g_assert_cmpint(run_io(q, BLOCK_OP_WRITE_ZEROES, off, NULL, n),
                            ==, (int64_t)n);
            memset(model + off, 0, n);
        } else {
            /* Discard leaves the content undefined: read it back so that
             * the model follows what the image says from now on. */
            g_assert_cmpint(run_io(q, BLOCK_OP_DISCARD, off, NULL, n), ==,
                            (int64_t)n);
            g_assert_cmpint(run_io(q, BLOCK_OP_READ, off, model + off, n), ==,
                            (int64_t)n);
        }
        if (i % 50 == 0) {
            g_assert_cmpint(run_io(q, BLOCK_OP_READ, off, buf, n), ==,
                            (int64_t)n);
            g_assert_cmpmem(buf, n, model + off, n);
        }
    }
    g_assert_cmpint(run_io(q, BLOCK_OP_FLUSH, 0, NULL, 0), ==, 0);
    block_queue_free(q);
    block_backend_free(bb);
    g_rand_free(rand);
    g_assert_cmpint(qimg_check(img), ==, 0);
    got = qimg_raw(img, &glen);
    g_assert_cmpmem(got, glen, model, len);
}

/* 512-byte clusters: qemu-img's one-cluster refcount table covers 8 MiB
 * of file, so filling a 32 MiB disk makes nimbus grow it (twice or more);
 * the image stays clean and holds what was written. */
static void
test_reftable_growth(void)
{
    size_t len = 32 * MIB;
    g_autofree char *img = tmp_path("grow.qcow2");
    g_autofree uint8_t *model = g_malloc0(len);
    g_autofree uint8_t *got = NULL;
    BlockFormatOptions o = { .type = IMAGE_TYPE_QCOW2, .sparse = true };
    g_autoptr(GError) error = NULL;
    uint64_t rt_before;
    BlockBackend *bb;
    BlockQueue *q;
    size_t glen;

    qimg_ok("create", "-q", "-f", "qcow2", "-o", "cluster_size=512", img,
            "32M", NULL);
    rt_before = read_be64(img, 48);
    bb = block_backend_open_opts(img, &o, &error);
    g_assert_no_error(error);
    q = block_queue_new(bb, 4, false, &error);
    g_assert_no_error(error);
    /* Host offsets are what the refcounts cover: fill the whole disk,
     * in pieces that do not line up with anything. */
    for (uint64_t off = 0; off < len; off += 200704 + 512) {
        uint64_t n = MIN(200704, len - off);

        memset(model + off, (int)(off >> 16) + 1, n);
        g_assert_cmpint(run_io(q, BLOCK_OP_WRITE, off, model + off, n), ==,
                        (int64_t)n);
    }
    block_queue_free(q);
    block_backend_free(bb);
    g_assert_cmpuint(read_be64(img, 48), !=, rt_before);
    g_assert_cmpint(qimg_check(img), ==, 0);
    got = qimg_raw(img, &glen);
    g_assert_cmpmem(got, glen, model, len);
}

/* A chain raw <- qcow2 <- qcow2: reads fall through, writes copy the rest
 * of their cluster up, the lower images stay as they were. */
static void
test_backing_chain(void)
{
    size_t len = 2 * MIB;
    g_autofree uint8_t *base_data = pattern(len, 3);
    g_autofree uint8_t *want = g_memdup2(base_data, len);
    g_autofree uint8_t *buf = g_malloc(8192);
    g_autofree uint8_t *got = NULL;
    g_autofree char *base = tmp_path("chain-base.raw");
    g_autofree char *mid = tmp_path("chain-mid.qcow2");
    g_autofree char *top = tmp_path("chain-top.qcow2");
    BlockFormatOptions o = { .type = IMAGE_TYPE_UNKNOWN,
                             .backing_files = true, .sparse = true };
    g_autoptr(GError) error = NULL;
    g_autoptr(BlockFormat) fmt = NULL;
    BlockBackend *bb;
    BlockQueue *q;
    size_t glen;

    write_file(base, base_data, len);
    qimg_ok("create", "-q", "-f", "qcow2", "-b", "chain-base.raw", "-F", "raw",
            "-o", "cluster_size=4096", mid, NULL);
    /* The middle image overrides one cluster. */
    memset(want + 8192, 0xab, 4096);
    qimg_ok("create", "-q", "-f", "qcow2", "-b", "chain-mid.qcow2", "-F",
            "qcow2", top, NULL);
    bb = block_backend_open_opts(mid, &o, &error);
    g_assert_no_error(error);
    q = block_queue_new(bb, 4, false, &error);
    g_assert_no_error(error);
    memset(buf, 0xab, 4096);
    g_assert_cmpint(run_io(q, BLOCK_OP_WRITE, 8192, buf, 4096), ==, 4096);
    block_queue_free(q);
    block_backend_free(bb);

    bb = block_backend_open_opts(top, &o, &error);
    g_assert_no_error(error);
    g_assert_cmpuint(block_backend_size(bb), ==, len);
    q = block_queue_new(bb, 4, false, &error);
    g_assert_no_error(error);
    /* 3000 bytes across a 64 KiB cluster boundary of the top image, and
     * a write-zeroes that must hide the backing data. */
    memset(buf, 0x5a, 3072);
    g_assert_cmpint(run_io(q, BLOCK_OP_WRITE, 65536 - 1024, buf, 3072), ==,
                    3072);
    memset(want + 65536 - 1024, 0x5a, 3072);
    g_assert_cmpint(run_io(q, BLOCK_OP_WRITE_ZEROES, 4 * 65536, NULL, 65536),
                    ==, 65536);
    memset(want + 4 * 65536, 0, 65536);
    g_assert_cmpint(run_io(q, BLOCK_OP_WRITE_ZEROES, 6 * 65536 + 512, NULL,
                           1024), ==, 1024);
    memset(want + 6 * 65536 + 512, 0, 1024);
    g_assert_cmpint(run_io(q, BLOCK_OP_READ, 8192, buf, 8192), ==, 8192);
    g_assert_cmpmem(buf, 8192, want + 8192, 8192);
    block_queue_free(q);
    block_backend_free(bb);

    fmt = open_fmt(top, true, true, &error);
    g_assert_no_error(error);
    assert_reads(fmt, want, len);
    g_clear_pointer(&fmt, block_format_close);
    g_assert_cmpint(qimg_check(top), ==, 0);
    g_assert_cmpint(qimg_check(mid), ==, 0);
    got = qimg_raw(top, &glen);
    g_assert_cmpmem(got, glen, want, len);
    g_free(got);
    got = qimg_raw(base, &glen);
    g_assert_cmpmem(got, glen, base_data, len);
}

/* Backing files open only with backing_files=on; loops and long chains
 * end in an error. */
static void
test_backing_refused(void)
{
    g_autofree char *base = tmp_path("ref-base.qcow2");
    g_autofree char *top = tmp_path("ref-top.qcow2");
    g_autofree char *loop = tmp_path("ref-loop.qcow2");
    g_autoptr(GError) error = NULL;
    BlockFormat *fmt;

    qimg_ok("create", "-q", "-f", "qcow2", base, "1M", NULL);
    qimg_ok("create", "-q", "-f", "qcow2", "-b", base, "-F", "qcow2", top,
            NULL);
    fmt = open_fmt(top, true, false, &error);
    g_assert_null(fmt);
    g_assert_error(error, G_IO_ERROR, G_IO_ERROR_PERMISSION_DENIED);
    g_assert_nonnull(strstr(error->message, "backing_files=on"));
    g_assert_nonnull(strstr(error->message, base));
    g_clear_error(&error);

    /* An image naming itself (qemu-img refuses to make one: -u). */
    qimg_ok("create", "-q", "-f", "qcow2", loop, "1M", NULL);
    qimg_ok("rebase", "-u", "-b", loop, "-F", "qcow2", loop, NULL);
    fmt = open_fmt(loop, true, true, &error);
    g_assert_null(fmt);
    g_assert_nonnull(strstr(error->message, "backing chain is longer"));
    g_clear_error(&error);
    /* Read-write, its own write lock stops it at once. */
    fmt = open_fmt(loop, false, true, &error);
    g_assert_null(fmt);
    g_assert_nonnull(error);
}

/* A writer killed at a random moment: qemu-img check may find leaked
 * clusters, never corruption. */
static void
test_crash(void)
{
    g_autofree char *img = tmp_path("crash.qcow2");
    GRand *rand = g_rand_new_with_seed(7);

    for (unsigned round = 0; round < 12; round++) {
        g_autofree char *out = NULL;
        pid_t pid;
        int st;

        qimg_ok("create", "-q", "-f", "qcow2", "-o",
                round % 2 ? "cluster_size=4096" : "compat=0.10", img, "8M",
                NULL);
        pid = fork();
        g_assert_cmpint(pid, >=, 0);
        if (pid == 0) {
            BlockFormatOptions o = { .type = IMAGE_TYPE_QCOW2,
                                     .sparse = true };
            BlockBackend *bb = block_backend_open_opts(img, &o, NULL);
            BlockQueue *q = bb ? block_queue_new(bb, 4, false, NULL) : NULL;
            static uint8_t b[128 * 1024];
            GRand *r = g_rand_new_with_seed(round);

            if (!q)
                _exit(1);
            for (;;) {
                uint64_t n = (uint64_t)g_rand_int_range(r, 1, 256) * 512;
                uint64_t off = (uint64_t)g_rand_int_range(r, 0,
                                   (gint32)((8 * MIB - n) / 512)) * 512;

                memset(b, (int)round + 1, n);
                run_io(q, g_rand_int_range(r, 0, 8) ? BLOCK_OP_WRITE
                                                    : BLOCK_OP_DISCARD,
                       off, b, n);
            }
        }
        g_usleep((gulong)g_rand_int_range(rand, 20000, 150000));
        kill(pid, SIGKILL);
        g_assert_cmpint(waitpid(pid, &st, 0), ==, pid);
        g_assert_true(WIFSIGNALED(st));
        st = qimg_check(img);
        g_assert_true(st == 0 || st == 3);
    }
    g_rand_free(rand);
}

/* ---- Hostile images ------------------------------------------------------ */

static void
patch(const char *path, uint64_t off, const void *bytes, size_t n)
{
    int fd = open(path, O_WRONLY | O_CLOEXEC);

    g_assert_cmpint(fd, >=, 0);
    g_assert_cmpint(pwrite(fd, bytes, n, (off_t)off), ==, (ssize_t)n);
    close(fd);
}

static void
patch_be64(const char *path, uint64_t off, uint64_t v)
{
    uint8_t b[8];

    qcow2_put_be64(b, v);
    patch(path, off, b, 8);
}

static void
patch_be32(const char *path, uint64_t off, uint32_t v)
{
    uint8_t b[4] = { v >> 24, v >> 16, v >> 8, v };

    patch(path, off, b, 4);
}

/* A v3 image with data in its first clusters: a fresh copy each time. */
static char *
good_image(const char *name, bool compressed)
{
    g_autofree char *raw = tmp_path("hostile.raw");
    g_autofree uint8_t *data = g_malloc(MIB);
    char *img = tmp_path(name);

    memset(data, 0x77, MIB);
    write_file(raw, data, MIB);
    qimg_ok("convert", "-f", "raw", "-O", "qcow2", compressed ? "-c" : "-q",
            raw, img, NULL);
    return img;
}

static void
assert_open_fails(const char *path, bool readonly, const char *needle)
{
    g_autoptr(GError) error = NULL;
    BlockFormat *fmt = open_fmt(path, readonly, false, &error);

    g_assert_null(fmt);
    g_assert_nonnull(error);
    g_test_message("%s", error->message);
    g_assert_nonnull(strstr(error->message, path));
    if (needle)
        g_assert_nonnull(strstr(error->message, needle));
}

static void
test_hostile_header(void)
{
    g_autofree char *img = NULL;
    int fd;

    /* Truncated: the header, then the tables, cut off. */
    img = good_image("h-trunc.qcow2", false);
    fd = open(img, O_WRONLY | O_CLOEXEC);
    g_assert_cmpint(ftruncate(fd, 60), ==, 0);
    close(fd);
    assert_open_fails(img, true, "too short");
    g_free(img);
    img = good_image("h-trunc2.qcow2", false);
    fd = open(img, O_WRONLY | O_CLOEXEC);
    g_assert_cmpint(ftruncate(fd, 65536 + 100), ==, 0);
    close(fd);
    assert_open_fails(img, true, "past the end");
    g_free(img);

    /* L1 table past the end of the file, or unaligned. */
    img = good_image("h-l1.qcow2", false);
    patch_be64(img, 40, 1ull << 40);
    assert_open_fails(img, true, "L1 table");
    patch_be64(img, 40, 65536 + 8);
    assert_open_fails(img, true, "L1 table");
    g_free(img);
    /* A huge L1 size. */
    img = good_image("h-l1size.qcow2", false);
    patch_be32(img, 36, 0x10000000);
    assert_open_fails(img, true, "L1 table");
    g_free(img);
    /* Refcount widths above 64 bits; a refcount table past the end. */
    img = good_image("h-rorder.qcow2", false);
    patch_be32(img, 96, 7);
    assert_open_fails(img, true, "refcount_order");
    g_free(img);
    img = good_image("h-rt.qcow2", false);
    patch_be64(img, 48, 1ull << 50);
    assert_open_fails(img, true, "refcount table");
    patch_be32(img, 56, 0x100000);
    assert_open_fails(img, true, "refcount table");
    g_free(img);
    /* Cluster size, version, unknown incompatible features, encryption. */
    img = good_image("h-misc.qcow2", false);
    patch_be32(img, 20, 30);
    assert_open_fails(img, true, "cluster_bits");
    patch_be32(img, 20, 16);
    patch_be32(img, 4, 4);
    assert_open_fails(img, true, "version 4");
    patch_be32(img, 4, 3);
    patch_be64(img, 72, 1ull << 20);
    assert_open_fails(img, true, "unknown incompatible");
    patch_be64(img, 72, 0);
    patch_be32(img, 32, 1);
    assert_open_fails(img, true, "encrypted");
    g_free(img);
    /* A backing file name outside the first cluster. */
    img = good_image("h-bname.qcow2", false);
    patch_be64(img, 8, 65530);
    patch_be32(img, 16, 100);
    assert_open_fails(img, true, "backing file name");
}

static void
test_hostile_tables(void)
{
    g_autofree char *img = good_image("t-l1e.qcow2", false);
    g_autofree uint8_t *buf = g_malloc(65536);
    struct iovec iov = { buf, 65536 };
    g_autoptr(GError) error = NULL;
    g_autoptr(BlockFormat) fmt = NULL;
    uint64_t l1 = read_be64(img, 40), rt = read_be64(img, 48), l2;

    /* An L1 entry pointing past the end of the file, then at the refcount
     * table: refused at open. */
    l2 = read_be64(img, l1);
    patch_be64(img, l1, QCOW2_OFLAG_COPIED | (1ull << 40));
    assert_open_fails(img, true, "L1 entry 0");
    patch_be64(img, l1, QCOW2_OFLAG_COPIED | rt);
    assert_open_fails(img, true, "L1 entry 0");
    patch_be64(img, l1, l2);
    /* A refcount block past the end. */
    patch_be64(img, rt, 1ull << 40);
    assert_open_fails(img, false, "refcount block 0");
    g_free(img);

    /* An L2 entry past the end: that request fails, the rest reads. */
    img = good_image("t-l2e.qcow2", false);
    l2 = read_be64(img, read_be64(img, 40)) & QCOW2_OFFSET_MASK;
    patch_be64(img, l2 + 8, QCOW2_OFLAG_COPIED | (1ull << 40));
    fmt = open_fmt(img, false, false, &error);
    g_assert_no_error(error);
    g_assert_cmpint(block_format_read(fmt, 65536, 65536, &iov, 1, 0), ==,
                    -EIO);
    g_assert_cmpint(block_format_read(fmt, 0, 65536, &iov, 1, 0), ==, 0);
    g_assert_cmpuint(buf[100], ==, 0x77);
    g_clear_pointer(&fmt, block_format_close);
    g_free(img);

    /* A compressed cluster that does not inflate. */
    img = good_image("t-comp.qcow2", true);
    l2 = read_be64(img, read_be64(img, 40)) & QCOW2_OFFSET_MASK;
    {
        uint64_t e = read_be64(img, l2 + 16);
        uint64_t coff = e & ((1ull << 54) - 1);
        uint8_t junk[64];

        memset(junk, 0xff, sizeof(junk));
        patch(img, coff, junk, sizeof(junk));
    }
    fmt = open_fmt(img, true, false, &error);
    g_assert_no_error(error);
    g_assert_cmpint(block_format_read(fmt, 2 * 65536, 65536, &iov, 1, 0), ==,
                    -EIO);
    g_assert_cmpint(block_format_read(fmt, 0, 65536, &iov, 1, 0), ==, 0);
    g_assert_cmpuint(buf[65535], ==, 0x77);
}

/* The corrupt and dirty bits: read-only is allowed, writing refused. */
static void
test_state_bits(void)
{
    g_autofree char *img = good_image("bits.qcow2", false);
    g_autoptr(GError) error = NULL;
    BlockFormat *fmt;

    patch_be64(img, 72, QCOW2_INCOMPAT_CORRUPT);
    assert_open_fails(img, false, "marked corrupt");
    fmt = open_fmt(img, true, false, &error);
    g_assert_no_error(error);
    block_format_close(fmt);
    patch_be64(img, 72, QCOW2_INCOMPAT_DIRTY);
    assert_open_fails(img, false, "not closed cleanly");
    fmt = open_fmt(img, true, false, &error);
    g_assert_no_error(error);
    block_format_close(fmt);

    /* Autoclear bits (bitmaps nimbus does not update): a failed open
     * leaves them, a read-only one too, a writer clears them. */
    patch_be64(img, 88, 1);
    assert_open_fails(img, false, "not closed cleanly");
    g_assert_cmpuint(read_be64(img, 88), ==, 1);
    patch_be64(img, 72, 0);
    fmt = open_fmt(img, true, false, &error);
    g_assert_no_error(error);
    block_format_close(fmt);
    g_assert_cmpuint(read_be64(img, 88), ==, 1);
    fmt = open_fmt(img, false, false, &error);
    g_assert_no_error(error);
    block_format_close(fmt);
    g_assert_cmpuint(read_be64(img, 88), ==, 0);
}

/* image_type: autodetection picks qcow2 by its magic; forcing qcow2 on a
 * raw file is an error, forcing raw shows the container. */
static void
test_select(void)
{
    g_autofree char *img = good_image("sel.qcow2", false);
    g_autofree char *raw = tmp_path("hostile.raw");
    g_autoptr(GError) error = NULL;
    BlockFormat *fmt;

    fmt = block_format_open(img, true, false, IMAGE_TYPE_UNKNOWN, &error);
    g_assert_no_error(error);
    g_assert_cmpstr(block_format_name(fmt), ==, "qcow2");
    g_assert_cmpuint(fmt->size, ==, MIB);
    block_format_close(fmt);
    fmt = block_format_open(img, true, false, IMAGE_TYPE_RAW, &error);
    g_assert_no_error(error);
    g_assert_cmpstr(block_format_name(fmt), ==, "raw");
    block_format_close(fmt);
    fmt = block_format_open(raw, true, false, IMAGE_TYPE_QCOW2, &error);
    g_assert_null(fmt);
    g_assert_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA);
}

/* vm.resize-disk: a qcow2 image's virtual size is in its header and L1
 * table, which nimbus does not rewrite: growing it is refused, the image
 * untouched. */
static void
test_grow_refused(void)
{
    g_autofree char *path = tmp_path("grow.qcow2");
    g_autoptr(BlockBackend) bb = NULL;
    g_autoptr(GError) error = NULL;
    struct stat before, after;

    qimg_ok("create", "-q", "-f", "qcow2", path, "1M", NULL);
    g_assert_cmpint(stat(path, &before), ==, 0);
    bb = block_backend_open(path, false, false, IMAGE_TYPE_QCOW2, &error);
    g_assert_no_error(error);
    g_assert_false(block_backend_grow(bb, 2 << 20, &error));
    g_assert_error(error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED);
    g_assert_nonnull(strstr(error->message, "qcow2"));
    g_assert_cmpuint(block_backend_size(bb), ==, 1 << 20);
    g_assert_cmpint(stat(path, &after), ==, 0);
    g_assert_cmpint(after.st_size, ==, before.st_size);
    /* qemu-img check needs the image unlocked. */
    g_clear_pointer(&bb, block_backend_free);
    g_assert_cmpint(qimg_check(path), ==, 0);
}

int
main(int argc, char **argv)
{
    static const ReadCase reads[] = {
        { "0.10", "65536", NULL },
        { "1.1", "65536", NULL },
        { "1.1", "512", NULL },
        { "0.10", "2M", NULL },
        { "1.1", "4096", "refcount_bits=1" },
        { "1.1", "65536", "refcount_bits=64" },
        { "1.1", "65536", "compression_type=zlib" },
        { "1.1", "4096", "compression_type=zstd" },
    };
    static const WriteCase writes[] = {
        { "0.10", "65536", false, false },
        { "0.10", "65536", false, true },
        { "1.1", "65536", true, false },
        { "1.1", "65536", false, true },
        { "1.1", "4096", false, false },
        { "1.1", "512", false, false },
    };

    g_test_init(&argc, &argv, NULL);
    for (unsigned i = 0; i < G_N_ELEMENTS(reads); i++) {
        g_autofree char *name = g_strdup_printf("/qcow2/read/%s/%s/%s",
                                                reads[i].compat,
                                                reads[i].cluster,
                                                reads[i].extra ?
                                                reads[i].extra : "plain");

        g_test_add_data_func(name, &reads[i], test_read);
    }
    for (unsigned i = 0; i < G_N_ELEMENTS(writes); i++) {
        g_autofree char *name = g_strdup_printf("/qcow2/write/%s/%s/%s%s",
                                                writes[i].compat,
                                                writes[i].cluster,
                                                writes[i].uring ? "io_uring"
                                                                : "sync",
                                                writes[i].compressed ?
                                                "/compressed" : "");

        g_test_add_data_func(name, &writes[i], test_write_random);
    }
    g_test_add_func("/qcow2/write/reftable-growth", test_reftable_growth);
    g_test_add_func("/qcow2/grow-refused", test_grow_refused);
    g_test_add_func("/qcow2/backing/chain", test_backing_chain);
    g_test_add_func("/qcow2/backing/refused", test_backing_refused);
    g_test_add_func("/qcow2/crash", test_crash);
    g_test_add_func("/qcow2/hostile/header", test_hostile_header);
    g_test_add_func("/qcow2/hostile/tables", test_hostile_tables);
    g_test_add_func("/qcow2/state-bits", test_state_bits);
    g_test_add_func("/qcow2/select", test_select);
    return g_test_run();
}
