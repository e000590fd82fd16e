/* SPDX-License-Identifier: Apache-2.0 */
/* Replays a fuzz target's corpus as GTest cases (the build without libFuzzer). */
#include <config.h>

#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <glib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static gint
compare_paths(gconstpointer a, gconstpointer b)
{
    /* g_ptr_array_sort passes pointers to the elements. */
    return g_strcmp0(*(char *const *)a, *(char *const *)b);
}

static void
replay_one(gconstpointer user_data)
{
    const char *path = user_data;
    g_autofree char *contents = NULL;
    gsize len = 0;
    g_autoptr(GError) error = NULL;

    g_assert_true(g_file_get_contents(path, &contents, &len, &error));
    g_assert_no_error(error);
    /* A crash, an assertion or a sanitizer report fails the case; the return
     * value of the target carries no meaning (libFuzzer ignores it too). */
    LLVMFuzzerTestOneInput((const uint8_t *)contents, len);
}

int
main(int argc, char **argv)
{
    const char *srcdir = g_getenv("G_TEST_SRCDIR");
    g_autofree char *name = g_path_get_basename(argv[0]);
    g_autofree char *dir = NULL;
    g_autoptr(GDir) d = NULL;
    g_autoptr(GPtrArray) files = g_ptr_array_new_with_free_func(g_free);
    const char *entry;

    g_test_init(&argc, &argv, NULL);
    /* The binary is tests/fuzz/fuzz-<target>; its corpus is
     * tests/fuzz/corpus/<target>/ in the source tree. */
    if (g_str_has_prefix(name, "lt-"))
        memmove(name, name + 3, strlen(name + 3) + 1);
    dir = g_build_filename(srcdir ? srcdir : ".", "tests", "fuzz", "corpus",
                           g_str_has_prefix(name, "fuzz-") ? name + 5 : name,
                           NULL);
    d = g_dir_open(dir, 0, NULL);
    if (!d) {
        g_printerr("no corpus directory %s\n", dir);
        return 1;
    }
    while ((entry = g_dir_read_name(d)))
        g_ptr_array_add(files, g_build_filename(dir, entry, NULL));
    g_ptr_array_sort(files, compare_paths);
    if (files->len == 0) {
        g_printerr("empty corpus %s\n", dir);
        return 1;
    }
    for (guint i = 0; i < files->len; i++) {
        const char *f = g_ptr_array_index(files, i);
        g_autofree char *base = g_path_get_basename(f);
        g_autofree char *path = g_strdup_printf("/fuzz/%s/%s",
                                                name + (g_str_has_prefix(name, "fuzz-") ? 5 : 0),
                                                base);
        g_test_add_data_func(path, f, replay_one);
    }
    return g_test_run();
}
