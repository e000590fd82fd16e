/* SPDX-License-Identifier: Apache-2.0 */
/* Fuzz target: a nimbusd save image (header, domain XML, entries). */
#include <config.h>

#include <stddef.h>
#include <stdint.h>
#include <unistd.h>
#include <glib.h>
#include <glib/gstdio.h>

#include "driver/save-image.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Removes what an unpack left in @dir, then @dir. */
static void
clear_dir(const char *dir)
{
    g_autoptr(GDir) d = g_dir_open(dir, 0, NULL);
    const char *name;

    while (d && (name = g_dir_read_name(d))) {
        g_autofree char *p = g_build_filename(dir, name, NULL);

        g_unlink(p);
    }
    g_rmdir(dir);
}

/*
 * Input: a whole save image (user input: `virsh restore` takes any file).
 * The header parser sees the bytes in memory, then the image goes through
 * the unpacker as a file into an empty directory, as a restore does.
 * A refusal is fine; a crash, a sanitizer report, an accepted header
 * that is not what the bytes say, or a file written outside the directory
 * is not.
 */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(DrvSaveHeader) hdr = NULL;
    g_autoptr(DrvSaveHeader) unpacked = NULL;
    g_autofree char *tmp = NULL;
    g_autofree char *file = NULL;
    g_autofree char *dir = NULL;
    g_autofree char *outside = NULL;

    hdr = drv_save_header_parse(data, size, &error);
    g_assert_true((hdr != NULL) == (error == NULL));
    if (hdr)
        g_assert_cmpuint(hdr->data_offset, <=, size);
    g_clear_error(&error);

    tmp = g_dir_make_tmp("fuzz-save-image-XXXXXX", NULL);
    g_assert_nonnull(tmp);
    file = g_build_filename(tmp, "image", NULL);
    dir = g_build_filename(tmp, "out", NULL);
    outside = g_build_filename(tmp, "escape", NULL);
    g_assert_true(g_file_set_contents(file, (const char *)data,
                                      (gssize)size, NULL));
    g_assert_cmpint(g_mkdir(dir, 0700), ==, 0);
    unpacked = drv_save_image_unpack(file, dir, &error);
    g_assert_true((unpacked != NULL) == (error == NULL));
    /* Only the header parser decides whether a header is good. */
    if (unpacked)
        g_assert_nonnull(hdr);
    g_assert_false(g_file_test(outside, G_FILE_TEST_EXISTS));
    clear_dir(dir);
    g_unlink(file);
    g_rmdir(tmp);
    return 0;
}
