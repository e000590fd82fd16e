/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests of the VHDX format against images qemu-img makes and checks. */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>
#include <gio/gio.h>

#include "devices/block/block.h"
#include "devices/block/format.h"
#include "devices/block/vhdx.h"
#include "tests/testutil.h"

#define MIB (1024 * 1024)
#define GIB (1024ull * MIB)

/* ---- Helpers ------------------------------------------------------------ */

static char *
tmp_path(const char *name)
{
    return g_build_filename(test_tmpdir(), name, NULL);
}

/* Runs qemu-img with the NULL-terminated arguments; returns its status
 * (its output goes to the test log when it is not 0). */
static int G_GNUC_NULL_TERMINATED
qimg(const char *first, ...)
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
    st = test_run((const char *const *)argv->pdata, &out, 120000);
    if (st != 0)
        g_test_message("qemu-img %s: %s", first, out);
    return st;
}

static void
write_file(const char *path, const void *buf, size_t len)
{
    g_autoptr(GError) error = NULL;

    g_file_set_contents(path, buf, (gssize)len, &error);
    g_assert_no_error(error);
}

static void
copy_file(const char *from, const char *to)
{
    g_autoptr(GError) error = NULL;
    g_autofree char *data = NULL;
    gsize n = 0;

    g_file_get_contents(from, &data, &n, &error);
    g_assert_no_error(error);
    write_file(to, data, n);
}

static void
pread_file(const char *path, uint64_t off, void *buf, size_t n)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);

    g_assert_cmpint(fd, >=, 0);
    g_assert_cmpint(pread(fd, buf, n, (off_t)off), ==, (ssize_t)n);
    close(fd);
}

static void
patch(const char *path, uint64_t off, const void *bytes, size_t n)
{
    int fd = open(path, O_WRONLY | O_CLOEXEC);

    g_assert_cmpint(fd, >=, 0);
    g_assert_cmpint(pwrite(fd, bytes, n, (off_t)off), ==, (ssize_t)n);
    close(fd);
}

static void
patch_le32(const char *path, uint64_t off, uint32_t v)
{
    uint8_t b[4];

    vhdx_put_le32(b, v);
    patch(path, off, b, 4);
}

static void
patch_le64(const char *path, uint64_t off, uint64_t v)
{
    uint8_t b[8];

    vhdx_put_le64(b, v);
    patch(path, off, b, 8);
}

/* Random bytes in some 64 KiB runs, zeroes elsewhere (so that qemu-img
 * leaves whole blocks unallocated). */
static uint8_t *
pattern(size_t len, unsigned seed)
{
    uint8_t *p = g_malloc0(len);
    GRand *rand = g_rand_new_with_seed(seed);

    for (size_t off = 0; off < len; off += 65536) {
        if (g_rand_int_range(rand, 0, 3) == 0 || (off / MIB) % 3 == 1)
            continue;
        for (size_t i = 0; i < 65536 && off + i < len; i++)
            p[off + i] = (uint8_t)g_rand_int_range(rand, 0, 256);
    }
    g_rand_free(rand);
    return p;
}

/* A VHDX converted by qemu-img from @len bytes of @data, with the
 * creation options @opts. */
static char *
make_vhdx(const char *name, const uint8_t *data, size_t len,
          const char *opts)
{
    g_autofree char *raw = g_strdup_printf("%s/%s.raw", test_tmpdir(), name);
    char *path = tmp_path(name);

    write_file(raw, data, len);
    g_assert_cmpint(qimg("convert", "-f", "raw", "-O", "vhdx", "-o", opts,
                         raw, path, NULL), ==, 0);
    return path;
}

static BlockFormat *
open_fmt(const char *path, bool readonly, ImageType type, GError **error)
{
    return block_format_open(path, readonly, false, type, error);
}

static void
assert_reads(BlockFormat *fmt, uint64_t off, const uint8_t *want, size_t len)
{
    g_autofree uint8_t *got = g_malloc(len);
    struct iovec iov = { got, len };

    g_assert_cmpint(block_format_read(fmt, off, len, &iov, 1, 0), ==, 0);
    g_assert_cmpmem(got, len, want, len);
}

static void
assert_open_fails(const char *path, bool readonly, GQuark domain, int code,
                  const char *needle)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(BlockFormat) fmt = open_fmt(path, readonly, IMAGE_TYPE_UNKNOWN,
                                          &error);

    g_assert_null(fmt);
    g_assert_error(error, domain, code);
    if (!strstr(error->message, needle))
        g_test_message("error: %s (wanted '%s')", error->message, needle);
    g_assert_nonnull(strstr(error->message, needle));
    g_assert_nonnull(strstr(error->message, path));
}

static int
read_cb(void *opaque, void *buf, uint64_t len, uint64_t off)
{
    int fd = open(opaque, O_RDONLY | O_CLOEXEC);
    ssize_t n = pread(fd, buf, len, (off_t)off);

    close(fd);
    return n == (ssize_t)len ? 0 : -EIO;
}

static uint64_t
file_size(const char *path)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    off_t end = lseek(fd, 0, SEEK_END);

    close(fd);
    return (uint64_t)end;
}

/* The image's structures, through the parser alone. */
static VhdxMeta
meta_of(const char *path)
{
    g_autoptr(GError) error = NULL;
    VhdxMeta m;

    g_assert_true(vhdx_meta_parse(read_cb, (void *)path, file_size(path),
                                  path, &m, &error));
    g_assert_no_error(error);
    return m;
}

/* The file offset of the metadata item whose GUID starts with @id4. */
static uint64_t
item_off(const char *path, const VhdxMeta *m, const uint8_t id4[4])
{
    uint8_t t[32 + 32 * 16];
    uint16_t n;

    pread_file(path, m->metadata.off, t, sizeof(t));
    n = vhdx_le16(t + 10);
    for (unsigned i = 0; i < MIN(n, 16u); i++) {
        const uint8_t *e = t + 32 + i * 32;

        if (!memcmp(e, id4, 4))
            return m->metadata.off + vhdx_le32(e + 16);
    }
    g_assert_not_reached();
}

/* Rewrites header @slot's CRC-32C after a patch. */
static void
fix_header_crc(const char *path, unsigned slot)
{
    uint64_t at = slot ? VHDX_HEADER2_OFF : VHDX_HEADER1_OFF;
    uint8_t h[VHDX_HEADER_SIZE];

    pread_file(path, at, h, sizeof(h));
    vhdx_put_le32(h + VHDX_HDR_CHECKSUM, 0);
    patch_le32(path, at + VHDX_HDR_CHECKSUM,
               vhdx_crc32c(0, h, sizeof(h)));
}

/* An I/O through the real request path: format mapping, then an engine. */
static int64_t
run_io(BlockQueue *q, BlockOp op, uint64_t off, void *buf, uint64_t len)
{
    struct iovec iov = { buf, len };
    BlockRequest req = { .op = op, .offset = off, .len = len };
    BlockRequest *done[1];
    int r;

    if (op == BLOCK_OP_READ || op == BLOCK_OP_WRITE) {
        req.iov = &iov;
        req.iovcnt = 1;
    }
    if ((r = block_queue_submit(q, &req)) < 0)
        return r;
    g_assert_cmpint(block_queue_kick(q), ==, 0);
    while (block_queue_reap(q, done, 1) == 0)
        g_usleep(50);
    block_request_clear(&req);
    return req.result;
}

static const uint8_t id_file_params[4] = { 0x37, 0x67, 0xa1, 0xca };
static const uint8_t id_disk_size[4] = { 0x24, 0x42, 0xa5, 0x2f };

/* ---- Reading what qemu-img wrote ---------------------------------------- */

typedef struct {
    const char *name;
    const char *opts;
    size_t len;
} ReadCase;

static void
test_read(gconstpointer data)
{
    const ReadCase *c = data;
    g_autofree uint8_t *src = pattern(c->len, 1);
    g_autofree char *path = make_vhdx(c->name, src, c->len, c->opts);
    g_autoptr(GError) error = NULL;
    int fd;

    for (int i = 0; i < 2; i++) {
        g_autoptr(BlockFormat) fmt =
            open_fmt(path, true, i ? IMAGE_TYPE_VHDX : IMAGE_TYPE_UNKNOWN,
                     &error);

        g_assert_no_error(error);
        g_assert_cmpstr(block_format_name(fmt), ==, "vhdx");
        g_assert_cmpuint(fmt->size, ==, c->len);
        assert_reads(fmt, 0, src, c->len);
        /* Unaligned, across block boundaries. */
        assert_reads(fmt, MIB - 1000, src + MIB - 1000,
                     MIN(2 * MIB + 3000, c->len - MIB + 1000));
    }
    /* Metadata reads go through aligned buffers: O_DIRECT opens too
     * (where the test directory's file system has it). */
    fd = open(path, O_RDONLY | O_DIRECT | O_CLOEXEC);
    if (fd >= 0) {
        g_autoptr(BlockFormat) fmt = block_format_open(path, false, true,
                                                       IMAGE_TYPE_UNKNOWN,
                                                       &error);

        close(fd);
        g_assert_no_error(error);
        g_assert_cmpuint(fmt->size, ==, c->len);
    }
}

/* ---- Writing, checked by qemu-img --------------------------------------- */

static void
test_write(gconstpointer data)
{
    bool uring = GPOINTER_TO_INT(data);
    size_t len = 12 * MIB;
    g_autofree uint8_t *model = pattern(len, 2);
    g_autofree char *path = make_vhdx(uring ? "w-uring.vhdx" : "w-sync.vhdx",
                                      model, len, "block_size=1M");
    g_autofree char *raw = tmp_path(uring ? "w-uring.raw" : "w-sync.raw");
    g_autoptr(GError) error = NULL;
    g_autoptr(BlockBackend) bb = NULL;
    GRand *rand = g_rand_new_with_seed(3);
    g_autofree uint8_t *buf = g_malloc(3 * MIB);
    VhdxMeta before = meta_of(path), after;
    uint64_t size0 = file_size(path);
    BlockQueue *q;

    bb = block_backend_open(path, false, false, IMAGE_TYPE_UNKNOWN, &error);
    g_assert_no_error(error);
    g_assert_cmpstr(block_backend_format(bb), ==, "vhdx");
    q = block_queue_new(bb, 4, uring, &error);
    g_assert_no_error(error);
    /* Small writes anywhere, and large ones across blocks. */
    for (int i = 0; i < 48; i++) {
        uint64_t n = 512 * (uint64_t)g_rand_int_range(rand, 1, i % 4 ? 17 :
                                                       6 * 1024);
        uint64_t off = 512 * (uint64_t)g_rand_int_range(rand, 0,
                                                        (len - n) / 512 + 1);

        for (uint64_t k = 0; k < n; k++)
            buf[k] = (uint8_t)g_rand_int(rand);
        memcpy(model + off, buf, n);
        g_assert_cmpint(run_io(q, BLOCK_OP_WRITE, off, buf, n), ==, n);
        g_assert_cmpint(run_io(q, BLOCK_OP_READ, off, buf + MIB, MIN(n, MIB)),
                        ==, MIN(n, MIB));
        g_assert_cmpmem(buf + MIB, MIN(n, MIB), model + off, MIN(n, MIB));
    }
    /* WRITE_ZEROES on allocated and unallocated blocks. */
    g_assert_cmpint(run_io(q, BLOCK_OP_WRITE_ZEROES, 2 * MIB, NULL, 2 * MIB),
                    ==, 2 * MIB);
    memset(model + 2 * MIB, 0, 2 * MIB);
    g_assert_cmpint(run_io(q, BLOCK_OP_WRITE, len, buf, 512), ==, -EINVAL);
    g_assert_cmpint(run_io(q, BLOCK_OP_FLUSH, 0, NULL, 0), >=, 0);
    block_queue_free(q);
    g_clear_pointer(&bb, block_backend_free);
    g_rand_free(rand);

    /* New blocks went to the end of the file, 1 MiB aligned. */
    g_assert_cmpuint(file_size(path), >, size0);
    g_assert_cmpuint(file_size(path) % MIB, ==, 0);
    /* Both headers rewritten once, with new write GUIDs. */
    after = meta_of(path);
    g_assert_cmpuint(after.sequence, ==, before.sequence + 2);
    g_assert_true(memcmp(after.header_buf + VHDX_HDR_DATA_WRITE_GUID,
                         before.header_buf + VHDX_HDR_DATA_WRITE_GUID, 16));
    g_assert_true(memcmp(after.header_buf + VHDX_HDR_FILE_WRITE_GUID,
                         before.header_buf + VHDX_HDR_FILE_WRITE_GUID, 16));
    write_file(raw, model, len);
    g_assert_cmpint(qimg("check", "-f", "vhdx", path, NULL), ==, 0);
    g_assert_cmpint(qimg("compare", "-f", "vhdx", "-F", "raw", path, raw,
                         NULL), ==, 0);
}

/* Whether qemu-io reads @len bytes of @byte at @off of @path. */
static bool
qio_reads(const char *path, uint64_t off, uint64_t len, uint8_t byte)
{
    g_autofree char *cmd = g_strdup_printf("read -P 0x%02x %" G_GUINT64_FORMAT
                                           " %" G_GUINT64_FORMAT, byte, off,
                                           len);
    const char *argv[] = { "qemu-io", "-r", "-f", "vhdx", "-c", cmd, path,
                           NULL };
    g_autofree char *out = NULL;
    int st = test_run(argv, &out, 60000);

    if (st != 0 || strstr(out, "verification failed"))
        g_test_message("qemu-io %s: %s", cmd, out);
    return st == 0 && !strstr(out, "verification failed");
}

/* A disk past one chunk (4096 1 MiB blocks): the BAT interleaves a sector
 * bitmap entry there, which the mapping must skip. */
static void
test_chunks(void)
{
    g_autofree char *path = tmp_path("chunks.vhdx");
    g_autoptr(GError) error = NULL;
    g_autoptr(BlockFormat) fmt = NULL;
    uint64_t offs[] = { 4 * GIB - 4096, 4 * GIB + 8192, 5 * GIB - 8192 };
    uint8_t buf[8192];
    struct iovec iov = { buf, sizeof(buf) };

    g_assert_cmpint(qimg("create", "-f", "vhdx", "-o", "block_size=1M", path,
                         "5G", NULL), ==, 0);
    fmt = open_fmt(path, false, IMAGE_TYPE_VHDX, &error);
    g_assert_no_error(error);
    for (unsigned i = 0; i < G_N_ELEMENTS(offs); i++) {
        memset(buf, 0xa0 + i, sizeof(buf));
        /* Through the format's own mapping, extent by extent (the first
         * write spans the last block of the chunk and the first of the
         * next). */
        for (uint64_t done = 0; done < sizeof(buf);) {
            BlockExtent ext;

            g_assert_cmpint(fmt->ops->map(fmt, BLOCK_OP_WRITE, offs[i] + done,
                                          sizeof(buf) - done, &ext), ==, 0);
            g_assert_cmpint(ext.kind, ==, BLOCK_EXTENT_DATA);
            g_assert_cmpint(pwrite(block_file_fd(fmt->file), buf + done,
                                   ext.len, (off_t)ext.file_offset), ==,
                            (ssize_t)ext.len);
            done += ext.len;
        }
    }
    memset(buf, 0, sizeof(buf));
    g_assert_cmpint(block_format_read(fmt, offs[1] - 4096, sizeof(buf), &iov,
                                      1, 0), ==, 0);
    g_assert_cmpuint(buf[4095], ==, 0);
    g_assert_cmpuint(buf[4096], ==, 0xa1);
    g_clear_pointer(&fmt, block_format_close);
    g_assert_cmpint(qimg("check", "-f", "vhdx", path, NULL), ==, 0);
    for (unsigned i = 0; i < G_N_ELEMENTS(offs); i++) {
        g_assert_true(qio_reads(path, offs[i], sizeof(buf), 0xa0 + i));
        g_assert_true(qio_reads(path, offs[i] - 4096, 4096, 0));
    }
}

/* ---- Refused images ----------------------------------------------------- */

static char *
good_image(const char *name)
{
    g_autofree uint8_t *src = pattern(4 * MIB, 5);

    return make_vhdx(name, src, 4 * MIB, "block_size=1M");
}

static void
test_refused(void)
{
    g_autofree char *good = good_image("good.vhdx");
    g_autofree char *bad = tmp_path("bad.vhdx");
    VhdxMeta m = meta_of(good);
    uint64_t params = item_off(good, &m, id_file_params);
    uint64_t disk = item_off(good, &m, id_disk_size);
    unsigned cur = m.header;
    uint64_t hcur = cur ? VHDX_HEADER2_OFF : VHDX_HEADER1_OFF;
    uint64_t hother = cur ? VHDX_HEADER1_OFF : VHDX_HEADER2_OFF;
    uint8_t guid[16];

    memset(guid, 0x5a, sizeof(guid));
    /* A log to replay: refused, not ignored. */
    copy_file(good, bad);
    patch(bad, hcur + VHDX_HDR_LOG_GUID, guid, 16);
    fix_header_crc(bad, cur);
    assert_open_fails(bad, true, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
                      "log to replay");
    /* A differencing image. */
    copy_file(good, bad);
    patch_le32(bad, params + 4, 2);
    assert_open_fails(bad, true, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
                      "differencing");
    /* Block sizes out of the spec's range or not a power of two. */
    patch_le32(bad, params + 4, 0);
    patch_le32(bad, params, 512 * 1024);
    assert_open_fails(bad, true, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                      "block size");
    patch_le32(bad, params, 512 * MIB);
    assert_open_fails(bad, true, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                      "block size");
    patch_le32(bad, params, 3 * MIB);
    assert_open_fails(bad, true, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                      "block size");
    /* Virtual sizes: too large, not in sectors, more BAT than region. */
    copy_file(good, bad);
    patch_le64(bad, disk, UINT64_MAX - 511);
    assert_open_fails(bad, true, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                      "virtual disk size");
    patch_le64(bad, disk, 4 * MIB + 100);
    assert_open_fails(bad, true, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                      "virtual disk size");
    patch_le64(bad, disk, 60 * GIB * 1024);
    assert_open_fails(bad, true, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                      "BAT region");
    /* One damaged header: the other one serves. */
    copy_file(good, bad);
    patch(bad, hcur + 100, guid, 1);
    {
        g_autoptr(GError) error = NULL;
        g_autoptr(BlockFormat) fmt = open_fmt(bad, true, IMAGE_TYPE_UNKNOWN,
                                              &error);

        g_assert_no_error(error);
        g_assert_cmpuint(fmt->size, ==, 4 * MIB);
    }
    patch(bad, hother + 100, guid, 1);
    assert_open_fails(bad, true, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                      "neither header");
    /* Both region tables damaged. */
    copy_file(good, bad);
    patch(bad, VHDX_REGION1_OFF + 40, guid, 1);
    patch(bad, VHDX_REGION2_OFF + 40, guid, 1);
    assert_open_fails(bad, true, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                      "region table");
    /* Truncated: shorter than the header area, or than the blocks. */
    copy_file(good, bad);
    g_assert_cmpint(truncate(bad, 512 * 1024), ==, 0);
    assert_open_fails(bad, true, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                      "header area");
    copy_file(good, bad);
    g_assert_cmpint(truncate(bad, (off_t)(file_size(good) - MIB)), ==, 0);
    assert_open_fails(bad, true, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                      "BAT entry");
}

static void
test_bat_refused(void)
{
    g_autofree char *good = good_image("bat.vhdx");
    g_autofree char *bad = tmp_path("bat-bad.vhdx");
    VhdxMeta m = meta_of(good);
    struct {
        uint64_t entry;
        const char *needle;
    } cases[] = {
        /* Past the end of the file, into the BAT, the metadata, the
         * header area; partially present; an unknown state; reserved
         * bits. */
        { (1024ull * 1024 << 20) | VHDX_PAYLOAD_FULLY_PRESENT, "outside" },
        { m.bat.off | VHDX_PAYLOAD_FULLY_PRESENT, "outside" },
        { m.metadata.off | VHDX_PAYLOAD_FULLY_PRESENT, "outside" },
        { 0 | VHDX_PAYLOAD_FULLY_PRESENT, "outside" },
        { m.metadata.off | VHDX_PAYLOAD_PARTIALLY_PRESENT, "partially" },
        { 4, "unknown payload block state" },
        { 1u << 3, "reserved" },
    };
    uint8_t e[8];

    for (unsigned i = 0; i < G_N_ELEMENTS(cases); i++) {
        copy_file(good, bad);
        vhdx_put_le64(e, cases[i].entry);
        patch(bad, m.bat.off + 8, e, 8);
        assert_open_fails(bad, true, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                          cases[i].needle);
    }
}

/* Read-write opens that fail leave the image as it was. */
static void
test_refused_untouched(void)
{
    g_autofree char *good = good_image("untouched.vhdx");
    g_autofree char *bad = tmp_path("untouched-bad.vhdx");
    g_autofree char *before = NULL;
    g_autofree char *after = NULL;
    VhdxMeta m = meta_of(good);
    gsize n1 = 0, n2 = 0;
    uint8_t e[8];

    copy_file(good, bad);
    vhdx_put_le64(e, m.metadata.off | VHDX_PAYLOAD_FULLY_PRESENT);
    patch(bad, m.bat.off, e, 8);
    g_assert_true(g_file_get_contents(bad, &before, &n1, NULL));
    assert_open_fails(bad, false, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                      "BAT entry 0");
    g_assert_true(g_file_get_contents(bad, &after, &n2, NULL));
    g_assert_cmpmem(before, n1, after, n2);
}

int
main(int argc, char **argv)
{
    static const ReadCase reads[] = {
        { "dynamic-1M.vhdx", "block_size=1M", 6 * MIB },
        { "dynamic-8M.vhdx", "block_size=8M", 6 * MIB + 4096 },
        { "dynamic-2M-log2M.vhdx", "block_size=2M,log_size=2M", 5 * MIB },
        { "not-zero.vhdx", "block_size=1M,block_state_zero=off", 3 * MIB },
        { "fixed.vhdx", "subformat=fixed,block_size=1M", 5 * MIB },
    };

    g_test_init(&argc, &argv, NULL);
    for (unsigned i = 0; i < G_N_ELEMENTS(reads); i++) {
        g_autofree char *name = g_strdup_printf("/block/vhdx/read/%s",
                                                reads[i].name);

        g_test_add_data_func(name, &reads[i], test_read);
    }
    g_test_add_data_func("/block/vhdx/write/sync", GINT_TO_POINTER(0),
                         test_write);
    g_test_add_data_func("/block/vhdx/write/io_uring", GINT_TO_POINTER(1),
                         test_write);
    g_test_add_func("/block/vhdx/chunks", test_chunks);
    g_test_add_func("/block/vhdx/refused", test_refused);
    g_test_add_func("/block/vhdx/bat-refused", test_bat_refused);
    g_test_add_func("/block/vhdx/refused-untouched", test_refused_untouched);
    return g_test_run();
}
