/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests of the fixed VHD format against images qemu-img makes. */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>
#include <gio/gio.h>

#include "devices/block/block.h"
#include "devices/block/format.h"
#include "devices/block/vhd.h"
#include "tests/testutil.h"

#define MIB (1024 * 1024)

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
    st = test_run((const char *const *)argv->pdata, &out, 60000);
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

static uint8_t *
read_file(const char *path, size_t *len)
{
    g_autoptr(GError) error = NULL;
    char *data = NULL;
    gsize n = 0;

    g_file_get_contents(path, &data, &n, &error);
    g_assert_no_error(error);
    *len = n;
    return (uint8_t *)data;
}

static void
patch(const char *path, uint64_t off, const void *bytes, size_t n)
{
    int fd = open(path, O_WRONLY | O_CLOEXEC);

    g_assert_cmpint(fd, >=, 0);
    g_assert_cmpint(pwrite(fd, bytes, n, (off_t)off), ==, (ssize_t)n);
    close(fd);
}

/* Random bytes with a few zero runs. */
static uint8_t *
pattern(size_t len, unsigned seed)
{
    uint8_t *p = g_malloc0(len);
    GRand *rand = g_rand_new_with_seed(seed);

    for (size_t off = 0; off < len; off += 4096) {
        if (g_rand_int_range(rand, 0, 4) == 0)
            continue;
        for (size_t i = 0; i < 4096 && off + i < len; i++)
            p[off + i] = (uint8_t)g_rand_int_range(rand, 0, 256);
    }
    g_rand_free(rand);
    return p;
}

/* A fixed VHD converted by qemu-img from @len bytes of @data; @force:
 * keep the size exact (qemu-img otherwise rounds it up to a CHS
 * geometry, and says so in current_size). */
static char *
make_vhd(const char *name, const uint8_t *data, size_t len, bool force)
{
    g_autofree char *raw = g_strdup_printf("%s/%s.src", test_tmpdir(), name);
    char *path = tmp_path(name);

    write_file(raw, data, len);
    g_assert_cmpint(qimg("convert", "-f", "raw", "-O", "vpc", "-o",
                         force ? "subformat=fixed,force_size=on" :
                         "subformat=fixed", raw, path, NULL), ==, 0);
    unlink(raw);
    return path;
}

static void
assert_open_fails(const char *path, ImageType type, GQuark domain, int code,
                  const char *needle)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(BlockFormat) fmt = block_format_open(path, true, false, type,
                                                   &error);

    g_assert_null(fmt);
    g_assert_error(error, domain, code);
    if (!strstr(error->message, needle))
        g_test_message("error: %s (wanted '%s')", error->message, needle);
    g_assert_nonnull(strstr(error->message, needle));
    g_assert_nonnull(strstr(error->message, path));
}

/* ---- Reading ------------------------------------------------------------ */

static void
test_read(gconstpointer data)
{
    bool force = GPOINTER_TO_INT(data);
    g_autofree uint8_t *src = pattern(3 * MIB + 4096, 1);
    g_autofree char *path = make_vhd(force ? "exact.vhd" : "chs.vhd", src,
                                     3 * MIB + 4096, force);
    g_autoptr(GError) error = NULL;
    g_autoptr(BlockFormat) fmt = NULL;
    g_autofree uint8_t *got = NULL;
    struct iovec iov;
    size_t flen;
    int fd;
    g_autofree uint8_t *file = read_file(path, &flen);

    /* Autodetected by the footer, and by image_type=vhd. */
    for (int i = 0; i < 2; i++) {
        fmt = block_format_open(path, true, false, i ? IMAGE_TYPE_FIXED_VHD :
                                IMAGE_TYPE_UNKNOWN, &error);
        g_assert_no_error(error);
        g_assert_cmpstr(block_format_name(fmt), ==, "vhd");
        /* CHS rounding grows the disk; the footer is never part of it. */
        g_assert_cmpuint(fmt->size, ==, flen - VHD_FOOTER_SIZE);
        if (force)
            g_assert_cmpuint(fmt->size, ==, 3 * MIB + 4096);
        got = g_malloc(fmt->size);
        iov = (struct iovec){ got, fmt->size };
        g_assert_cmpint(block_format_read(fmt, 0, fmt->size, &iov, 1, 0), ==,
                        0);
        g_assert_cmpmem(got, 3 * MIB + 4096, src, 3 * MIB + 4096);
        for (size_t k = 3 * MIB + 4096; k < fmt->size; k++)
            g_assert_cmpuint(got[k], ==, 0);
        g_clear_pointer(&got, g_free);
        g_clear_pointer(&fmt, block_format_close);
    }
    /* The footer is read through an aligned buffer: O_DIRECT detects it
     * too (where the test directory's file system has it). */
    fd = open(path, O_RDONLY | O_DIRECT | O_CLOEXEC);
    if (fd >= 0) {
        close(fd);
        fmt = block_format_open(path, true, true, IMAGE_TYPE_UNKNOWN, &error);
        g_assert_no_error(error);
        g_assert_cmpstr(block_format_name(fmt), ==, "vhd");
        g_assert_cmpuint(fmt->size, ==, flen - VHD_FOOTER_SIZE);
    }
}

/* ---- Writing, compared by qemu-img -------------------------------------- */

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

static void
test_write(void)
{
    size_t len = 2 * MIB;
    g_autofree uint8_t *model = pattern(len, 2);
    g_autofree char *path = make_vhd("write.vhd", model, len, true);
    g_autofree char *raw = tmp_path("write.raw");
    g_autoptr(GError) error = NULL;
    g_autoptr(BlockBackend) bb = NULL;
    BlockQueue *q;
    GRand *rand = g_rand_new_with_seed(3);
    uint8_t footer[VHD_FOOTER_SIZE], after[VHD_FOOTER_SIZE];
    uint8_t buf[512 * 16];
    size_t flen;
    g_autofree uint8_t *file = read_file(path, &flen);

    memcpy(footer, file + flen - VHD_FOOTER_SIZE, sizeof(footer));
    bb = block_backend_open(path, false, false, IMAGE_TYPE_UNKNOWN, &error);
    g_assert_no_error(error);
    g_assert_cmpstr(block_backend_format(bb), ==, "vhd");
    q = block_queue_new(bb, 4, true, &error);
    g_assert_no_error(error);
    for (int i = 0; i < 64; i++) {
        uint64_t n = 512 * (uint64_t)g_rand_int_range(rand, 1, 17);
        uint64_t off = 512 * (uint64_t)g_rand_int_range(rand, 0,
                                                        (len - n) / 512 + 1);

        for (uint64_t k = 0; k < n; k++)
            buf[k] = (uint8_t)g_rand_int(rand);
        memcpy(model + off, buf, n);
        g_assert_cmpint(run_io(q, BLOCK_OP_WRITE, off, buf, n), ==, n);
    }
    /* The last sector is the disk's; one more is the footer: refused. */
    g_assert_cmpint(run_io(q, BLOCK_OP_WRITE, len - 512, buf, 512), ==, 512);
    memcpy(model + len - 512, buf, 512);
    g_assert_cmpint(run_io(q, BLOCK_OP_WRITE, len, buf, 512), ==, -EINVAL);
    g_assert_cmpint(run_io(q, BLOCK_OP_WRITE, len - 512, buf, 1024), ==,
                    -EINVAL);
    g_assert_cmpint(run_io(q, BLOCK_OP_FLUSH, 0, NULL, 0), >=, 0);
    block_queue_free(q);
    g_clear_pointer(&bb, block_backend_free);
    g_rand_free(rand);

    g_clear_pointer(&file, g_free);
    file = read_file(path, &flen);
    g_assert_cmpuint(flen, ==, len + VHD_FOOTER_SIZE);
    memcpy(after, file + flen - VHD_FOOTER_SIZE, sizeof(after));
    g_assert_cmpmem(after, sizeof(after), footer, sizeof(footer));
    write_file(raw, model, len);
    g_assert_cmpint(qimg("compare", "-f", "vpc", "-F", "raw", path, raw,
                         NULL), ==, 0);
}

/* ---- Refused images ---------------------------------------------------- */

static void
test_dynamic_refused(void)
{
    g_autofree char *dyn = tmp_path("dynamic.vhd");

    g_assert_cmpint(qimg("create", "-f", "vpc", "-o", "subformat=dynamic",
                         dyn, "4M", NULL), ==, 0);
    /* Found by the footer copy at its start, and refused by name. */
    assert_open_fails(dyn, IMAGE_TYPE_UNKNOWN, G_IO_ERROR,
                      G_IO_ERROR_NOT_SUPPORTED, "dynamic");
    assert_open_fails(dyn, IMAGE_TYPE_FIXED_VHD, G_IO_ERROR,
                      G_IO_ERROR_NOT_SUPPORTED, "subformat=fixed");
}

/* Recomputes the footer checksum after a patch, so that the check behind
 * it is reached. */
static void
fix_checksum(const char *path)
{
    size_t flen;
    g_autofree uint8_t *file = read_file(path, &flen);
    uint8_t *f = file + flen - VHD_FOOTER_SIZE;
    uint32_t sum = 0;
    uint8_t be[4];

    memset(f + VHD_OFF_CHECKSUM, 0, 4);
    for (unsigned i = 0; i < VHD_FOOTER_SIZE; i++)
        sum += f[i];
    sum = ~sum;
    be[0] = (uint8_t)(sum >> 24);
    be[1] = (uint8_t)(sum >> 16);
    be[2] = (uint8_t)(sum >> 8);
    be[3] = (uint8_t)sum;
    patch(path, flen - VHD_FOOTER_SIZE + VHD_OFF_CHECKSUM, be, 4);
}

static void
test_hostile(void)
{
    g_autofree uint8_t *src = pattern(MIB, 4);
    g_autofree char *good = make_vhd("good.vhd", src, MIB, true);
    g_autofree char *bad = tmp_path("bad.vhd");
    g_autofree char *tiny = tmp_path("tiny.vhd");
    uint64_t foot = MIB;
    size_t flen;
    g_autofree uint8_t *file = read_file(good, &flen);
    const uint8_t big[8] = { 0, 0, 0, 0, 0, 0x20, 0, 0 };   /* 2 MiB */
    const uint8_t odd[8] = { 0, 0, 0, 0, 0, 0x0f, 0xff, 0xff };
    const uint8_t huge[8] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xfe, 0 };
    const uint8_t type9[4] = { 0, 0, 0, 9 };
    const uint8_t v2[4] = { 0, 2, 0, 0 };

    g_assert_cmpuint(flen, ==, foot + VHD_FOOTER_SIZE);
    /* A flipped byte: the checksum catches it. */
    write_file(bad, file, flen);
    patch(bad, foot + VHD_OFF_CUR_SIZE + 7, "\x01", 1);
    assert_open_fails(bad, IMAGE_TYPE_UNKNOWN, G_IO_ERROR,
                      G_IO_ERROR_INVALID_DATA, "checksum");
    /* Sizes past the footer, not in sectors, or wrapping around. */
    write_file(bad, file, flen);
    patch(bad, foot + VHD_OFF_CUR_SIZE, big, 8);
    fix_checksum(bad);
    assert_open_fails(bad, IMAGE_TYPE_UNKNOWN, G_IO_ERROR,
                      G_IO_ERROR_INVALID_DATA, "current size");
    patch(bad, foot + VHD_OFF_CUR_SIZE, odd, 8);
    fix_checksum(bad);
    assert_open_fails(bad, IMAGE_TYPE_UNKNOWN, G_IO_ERROR,
                      G_IO_ERROR_INVALID_DATA, "current size");
    patch(bad, foot + VHD_OFF_CUR_SIZE, huge, 8);
    fix_checksum(bad);
    assert_open_fails(bad, IMAGE_TYPE_UNKNOWN, G_IO_ERROR,
                      G_IO_ERROR_INVALID_DATA, "current size");
    /* Unknown disk type and format version. */
    write_file(bad, file, flen);
    patch(bad, foot + VHD_OFF_DISK_TYPE, type9, 4);
    fix_checksum(bad);
    assert_open_fails(bad, IMAGE_TYPE_UNKNOWN, G_IO_ERROR,
                      G_IO_ERROR_INVALID_DATA, "disk type 9");
    write_file(bad, file, flen);
    patch(bad, foot + VHD_OFF_VERSION, v2, 4);
    fix_checksum(bad);
    assert_open_fails(bad, IMAGE_TYPE_UNKNOWN, G_IO_ERROR,
                      G_IO_ERROR_NOT_SUPPORTED, "version");
    /* image_type=vhd on a file without a footer, and on one too short
     * for one. */
    write_file(bad, src, MIB);
    assert_open_fails(bad, IMAGE_TYPE_FIXED_VHD, G_IO_ERROR,
                      G_IO_ERROR_INVALID_DATA, "no footer");
    write_file(tiny, "conectix", 8);
    assert_open_fails(tiny, IMAGE_TYPE_FIXED_VHD, G_IO_ERROR,
                      G_IO_ERROR_INVALID_DATA, "too short");
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_data_func("/block/vhd/read/exact", GINT_TO_POINTER(1),
                         test_read);
    g_test_add_data_func("/block/vhd/read/chs", GINT_TO_POINTER(0),
                         test_read);
    g_test_add_func("/block/vhd/write", test_write);
    g_test_add_func("/block/vhd/dynamic-refused", test_dynamic_refused);
    g_test_add_func("/block/vhd/hostile", test_hostile);
    return g_test_run();
}
