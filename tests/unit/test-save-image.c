/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests of nimbusd's save-image file (driver/save-image.c). */
#include <config.h>

#include <string.h>
#include <unistd.h>
#include <glib.h>
#include <glib/gstdio.h>

#include "driver/drv-error.h"
#include "driver/save-image.h"

#define XML "<domain type='kvm'><name>t</name></domain>"

typedef struct {
    char *tmp;          /* a private directory for each test */
    char *snap;         /* a snapshot directory with three files */
    char *image;
} Fixture;

static void
set_file(const char *dir, const char *name, const char *data, gssize len)
{
    g_autofree char *path = g_build_filename(dir, name, NULL);

    g_assert_true(g_file_set_contents(path, data, len, NULL));
}

/* @message must mention @text: the errors name what is wrong. */
static void
assert_says(const char *message, const char *text)
{
    g_test_message("error: %s", message);
    g_assert_nonnull(strstr(message, text));
}

static void
fixture_set_up(Fixture *f, gconstpointer data)
{
    g_autoptr(GError) error = NULL;
    g_autofree char *big = g_malloc(3 << 20);

    f->tmp = g_dir_make_tmp("test-save-image-XXXXXX", &error);
    g_assert_no_error(error);
    f->snap = g_build_filename(f->tmp, "snap", NULL);
    f->image = g_build_filename(f->tmp, "img", NULL);
    g_assert_cmpint(g_mkdir(f->snap, 0700), ==, 0);
    /* memory-ranges spans several copy chunks. */
    for (gsize i = 0; i < (3 << 20); i++)
        big[i] = (char)(i * 7);
    set_file(f->snap, "config.json", "{\"a\":1}", -1);
    set_file(f->snap, "state.json", "{}", -1);
    set_file(f->snap, "memory-ranges", big, 3 << 20);
}

static void
remove_tree(const char *dir)
{
    g_autoptr(GDir) d = g_dir_open(dir, 0, NULL);
    const char *name;

    while (d && (name = g_dir_read_name(d))) {
        g_autofree char *p = g_build_filename(dir, name, NULL);

        if (g_file_test(p, G_FILE_TEST_IS_DIR))
            remove_tree(p);
        else
            g_unlink(p);
    }
    g_rmdir(dir);
}

static void
fixture_tear_down(Fixture *f, gconstpointer data)
{
    remove_tree(f->tmp);
    g_free(f->tmp);
    g_free(f->snap);
    g_free(f->image);
}

static void
assert_same_file(const char *a, const char *b)
{
    g_autofree char *ta = NULL;
    g_autofree char *tb = NULL;
    gsize la = 0, lb = 0;

    g_assert_true(g_file_get_contents(a, &ta, &la, NULL));
    g_assert_true(g_file_get_contents(b, &tb, &lb, NULL));
    g_assert_cmpmem(ta, la, tb, lb);
}

static void
write_image(Fixture *f, uint32_t flags)
{
    g_autoptr(GError) error = NULL;

    g_assert_true(drv_save_image_write(f->image, XML, flags, f->snap, false,
                                       &error));
    g_assert_no_error(error);
}

static char *
unpack_dir(Fixture *f, const char *name)
{
    char *dir = g_build_filename(f->tmp, name, NULL);

    g_assert_cmpint(g_mkdir(dir, 0700), ==, 0);
    return dir;
}

static void
test_roundtrip(Fixture *f, gconstpointer data)
{
    static const char *const files[] = {
        "config.json", "state.json", "memory-ranges",
    };
    g_autoptr(GError) error = NULL;
    g_autoptr(DrvSaveHeader) hdr = NULL;
    g_autoptr(DrvSaveHeader) hdr2 = NULL;
    g_autofree char *out = NULL;

    write_image(f, DRV_SAVE_IMAGE_RUNNING);
    hdr = drv_save_image_read_header(f->image, &error);
    g_assert_no_error(error);
    g_assert_cmpstr(hdr->xml, ==, XML);
    g_assert_cmpuint(hdr->flags, ==, DRV_SAVE_IMAGE_RUNNING);
    g_assert_cmpuint(hdr->version, ==, DRV_SAVE_VERSION);
    out = unpack_dir(f, "out");
    hdr2 = drv_save_image_unpack(f->image, out, &error);
    g_assert_no_error(error);
    g_assert_cmpstr(hdr2->xml, ==, XML);
    for (gsize i = 0; i < G_N_ELEMENTS(files); i++) {
        g_autofree char *a = g_build_filename(f->snap, files[i], NULL);
        g_autofree char *b = g_build_filename(out, files[i], NULL);

        assert_same_file(a, b);
    }
}

/* A header in memory: @xml_len 0 means strlen(XML). */
static GByteArray *
make_header(uint32_t version, uint32_t flags, uint32_t xml_len,
            uint32_t reserved, const char *xml, gsize xml_bytes)
{
    GByteArray *b = g_byte_array_new();
    g_autoptr(GChecksum) ck = g_checksum_new(G_CHECKSUM_SHA256);
    guint8 digest[32];
    gsize n = sizeof(digest);
    uint32_t be[4] = {
        GUINT32_TO_BE(version), GUINT32_TO_BE(flags),
        GUINT32_TO_BE(xml_len), GUINT32_TO_BE(reserved),
    };

    g_byte_array_append(b, (const guint8 *)DRV_SAVE_MAGIC, DRV_SAVE_MAGIC_LEN);
    g_byte_array_append(b, (const guint8 *)be, sizeof(be));
    g_byte_array_append(b, (const guint8 *)xml, xml_bytes);
    g_checksum_update(ck, b->data, b->len);
    g_checksum_get_digest(ck, digest, &n);
    g_byte_array_append(b, digest, sizeof(digest));
    return b;
}

static void
assert_header_refused(GByteArray *b, const char *text)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(DrvSaveHeader) hdr = drv_save_header_parse(b->data, b->len,
                                                         &error);

    g_assert_null(hdr);
    g_assert_nonnull(error);
    assert_says(error->message, text);
    g_byte_array_unref(b);
}

static void
test_header_refusals(void)
{
    gsize n = strlen(XML);
    g_autoptr(GError) error = NULL;
    g_autoptr(DrvSaveHeader) ok = NULL;
    GByteArray *b;

    b = make_header(1, 0, n, 0, XML, n);
    ok = drv_save_header_parse(b->data, b->len, &error);
    g_assert_no_error(error);
    g_assert_cmpstr(ok->xml, ==, XML);
    g_assert_cmpuint(ok->data_offset, ==, b->len);
    /* Each shorter prefix is refused. */
    for (guint len = 0; len < b->len; len++) {
        g_autoptr(GError) e = NULL;

        g_assert_null(drv_save_header_parse(b->data, len, &e));
        g_assert_nonnull(e);
    }
    g_byte_array_unref(b);

    b = make_header(1, 0, n, 0, XML, n);
    b->data[3] ^= 1;
    assert_header_refused(b, "wrong magic");
    assert_header_refused(make_header(2, 0, n, 0, XML, n),
                          "version 2 is not supported");
    assert_header_refused(make_header(0, 0, n, 0, XML, n),
                          "version 0 is not supported");
    assert_header_refused(make_header(1, 0x10, n, 0, XML, n), "unknown flags");
    assert_header_refused(make_header(1, 0, n, 5, XML, n), "reserved");
    assert_header_refused(make_header(1, 0, 0, 0, XML, 0), "out of range");
    assert_header_refused(make_header(1, 0, DRV_SAVE_XML_MAX + 1, 0, XML, n),
                          "out of range");
    assert_header_refused(make_header(1, 0, 4, 0, "a\0bc", 4), "NUL byte");
    b = make_header(1, 0, n, 0, XML, n);
    b->data[DRV_SAVE_HEADER_FIXED + 2] ^= 1;
    assert_header_refused(b, "header checksum mismatch");
    b = make_header(1, 0, n, 0, XML, n);
    b->data[20 + 3] ^= DRV_SAVE_IMAGE_RUNNING;   /* the digest covers flags */
    assert_header_refused(b, "header checksum mismatch");
}

/* Appends raw bytes to the image file. */
static void
append(const char *path, const void *data, gsize len)
{
    FILE *fp = fopen(path, "ab");

    g_assert_nonnull(fp);
    g_assert_cmpuint(fwrite(data, 1, len, fp), ==, len);
    fclose(fp);
}

/* The image with its end entry dropped and @entry appended, then a new
 * end entry. */
static void
replace_tail(Fixture *f, const guint8 *entry, gsize len)
{
    g_autofree char *text = NULL;
    gsize size = 0;
    static const guint8 end[4];

    g_assert_true(g_file_get_contents(f->image, &text, &size, NULL));
    g_assert_true(g_file_set_contents(f->image, text, (gssize)size - 4, NULL));
    append(f->image, entry, len);
    append(f->image, end, sizeof(end));
}

static void
assert_unpack_refused(Fixture *f, const char *name, const char *text)
{
    g_autoptr(GError) error = NULL;
    g_autofree char *dir = unpack_dir(f, name);
    g_autoptr(DrvSaveHeader) hdr = drv_save_image_unpack(f->image, dir,
                                                         &error);

    g_assert_null(hdr);
    g_assert_nonnull(error);
    assert_says(error->message, text);
}

/* An entry for @name with @len zero bytes and a right digest. */
static GByteArray *
make_entry(const char *name, gsize len)
{
    GByteArray *b = g_byte_array_new();
    g_autofree guint8 *zero = g_malloc0(len + 1);
    g_autoptr(GChecksum) ck = g_checksum_new(G_CHECKSUM_SHA256);
    guint8 digest[32];
    gsize n = sizeof(digest);
    uint32_t nl = GUINT32_TO_BE((uint32_t)strlen(name));
    uint64_t sz = GUINT64_TO_BE((uint64_t)len);

    g_byte_array_append(b, (const guint8 *)&nl, 4);
    g_byte_array_append(b, (const guint8 *)name, strlen(name));
    g_byte_array_append(b, (const guint8 *)&sz, 8);
    g_byte_array_append(b, zero, len);
    g_checksum_update(ck, zero, len);
    g_checksum_get_digest(ck, digest, &n);
    g_byte_array_append(b, digest, n);
    return b;
}

static void
test_unpack_refusals(Fixture *f, gconstpointer data)
{
    g_autoptr(GByteArray) dup = make_entry("state.json", 3);
    g_autoptr(GByteArray) dotdot = make_entry("../escape", 3);
    g_autoptr(GByteArray) slash = make_entry("a/b", 3);
    g_autoptr(GByteArray) bad = make_entry("extra", 16);
    g_autofree char *text = NULL;
    g_autofree char *escape = g_build_filename(f->tmp, "escape", NULL);
    gsize size = 0;

    write_image(f, 0);
    replace_tail(f, dup->data, dup->len);
    assert_unpack_refused(f, "dup", "File exists");

    write_image(f, 0);
    replace_tail(f, dotdot->data, dotdot->len);
    assert_unpack_refused(f, "dotdot", "not a plain file name");
    g_assert_false(g_file_test(escape, G_FILE_TEST_EXISTS));

    write_image(f, 0);
    replace_tail(f, slash->data, slash->len);
    assert_unpack_refused(f, "slash", "not a plain file name");

    write_image(f, 0);
    bad->data[bad->len - 1] ^= 1;
    replace_tail(f, bad->data, bad->len);
    assert_unpack_refused(f, "digest", "checksum mismatch in 'extra'");

    write_image(f, 0);
    append(f->image, "x", 1);
    assert_unpack_refused(f, "tail", "data after the end");

    write_image(f, 0);
    g_assert_true(g_file_get_contents(f->image, &text, &size, NULL));
    g_assert_true(g_file_set_contents(f->image, text, (gssize)size - 100, NULL));
    assert_unpack_refused(f, "trunc", "is truncated");
}

static void
test_rewrite(Fixture *f, gconstpointer data)
{
    static const char *xml2 = "<domain type='kvm'><name>t</name>"
                              "<description>longer now</description></domain>";
    g_autoptr(GError) error = NULL;
    g_autoptr(DrvSaveHeader) hdr = NULL;
    g_autofree char *out = NULL;
    g_autofree char *a = g_build_filename(f->snap, "memory-ranges", NULL);
    g_autofree char *b = NULL;

    write_image(f, 0);
    g_assert_true(drv_save_image_rewrite(f->image, xml2,
                                         DRV_SAVE_IMAGE_RUNNING, &error));
    g_assert_no_error(error);
    out = unpack_dir(f, "out");
    hdr = drv_save_image_unpack(f->image, out, &error);
    g_assert_no_error(error);
    g_assert_cmpstr(hdr->xml, ==, xml2);
    g_assert_cmpuint(hdr->flags, ==, DRV_SAVE_IMAGE_RUNNING);
    b = g_build_filename(out, "memory-ranges", NULL);
    assert_same_file(a, b);
}

/* A failed write leaves the old image and no temporary file. */
static void
test_write_is_atomic(Fixture *f, gconstpointer data)
{
    g_autoptr(GError) error = NULL;
    g_autofree char *before = NULL;
    g_autofree char *missing = g_build_filename(f->tmp, "missing", NULL);
    g_autoptr(GDir) d = NULL;
    const char *name;
    gsize len = 0;

    write_image(f, 0);
    g_assert_true(g_file_get_contents(f->image, &before, &len, NULL));
    g_assert_false(drv_save_image_write(f->image, XML, 0, missing, false,
                                        &error));
    g_assert_nonnull(error);
    g_clear_error(&error);
    g_assert_false(drv_save_image_write(f->image, "", 0, f->snap, false,
                                        &error));
    g_assert_nonnull(error);
    {
        g_autofree char *after = NULL;
        gsize alen = 0;

        g_assert_true(g_file_get_contents(f->image, &after, &alen, NULL));
        g_assert_cmpmem(before, len, after, alen);
    }
    d = g_dir_open(f->tmp, 0, NULL);
    while ((name = g_dir_read_name(d)))
        g_assert_null(strstr(name, ".tmp-"));
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add("/driver/save-image/roundtrip", Fixture, NULL, fixture_set_up,
               test_roundtrip, fixture_tear_down);
    g_test_add_func("/driver/save-image/header-refusals", test_header_refusals);
    g_test_add("/driver/save-image/unpack-refusals", Fixture, NULL,
               fixture_set_up, test_unpack_refusals, fixture_tear_down);
    g_test_add("/driver/save-image/rewrite", Fixture, NULL, fixture_set_up,
               test_rewrite, fixture_tear_down);
    g_test_add("/driver/save-image/write-is-atomic", Fixture, NULL,
               fixture_set_up, test_write_is_atomic, fixture_tear_down);
    return g_test_run();
}
