/* SPDX-License-Identifier: Apache-2.0 */
/* Golden-file helpers for the xml2xml and xml2cfg tests (VMM_TEST_REGENERATE). */
#include <config.h>

#include <string.h>
#include <unistd.h>
#include <glib/gstdio.h>

#include "tests/testutil.h"
#include "tests/xml2xml/golden.h"

void
golden_init_schema_dir(void)
{
    g_autofree char *dir = test_src_path("xml-schemas");

    g_setenv("NIMBUS_SCHEMA_DIR", dir, FALSE);
}

static gint
cmp_names(gconstpointer a, gconstpointer b)
{
    return g_strcmp0(*(char *const *)a, *(char *const *)b);
}

GPtrArray *
golden_list(const char *rel_dir, const char *suffix)
{
    g_autofree char *dir = test_src_path(rel_dir);
    g_autoptr(GDir) d = g_dir_open(dir, 0, NULL);
    GPtrArray *names = g_ptr_array_new_with_free_func(g_free);
    const char *e;

    g_assert_nonnull(d);
    while ((e = g_dir_read_name(d))) {
        if (g_str_has_suffix(e, suffix))
            g_ptr_array_add(names, g_strdup(e));
    }
    g_ptr_array_sort(names, cmp_names);
    return names;
}

static void
report_first_difference(const char *path, const char *expected,
                        const char *actual)
{
    g_auto(GStrv) e = g_strsplit(expected, "\n", -1);
    g_auto(GStrv) a = g_strsplit(actual, "\n", -1);
    guint i;

    for (i = 0; e[i] && a[i]; i++) {
        if (strcmp(e[i], a[i]) != 0)
            break;
    }
    g_test_message("%s differs at line %u:\n  expected: %s\n  actual:   %s\n"
                   "(rerun with VMM_TEST_REGENERATE=1 to accept the output)",
                   path, i + 1, e[i] ? e[i] : "<end of file>",
                   a[i] ? a[i] : "<end of output>");
}

void
golden_check(const char *expected_path, const char *actual,
             const char *input_link, const char *input_content)
{
    g_autofree char *expected = NULL;
    g_autoptr(GError) error = NULL;

    if (g_strcmp0(g_getenv("VMM_TEST_REGENERATE"), "1") == 0) {
        g_unlink(expected_path);
        if (input_link && input_content && strcmp(actual, input_content) == 0)
            g_assert_cmpint(symlink(input_link, expected_path), ==, 0);
        else
            g_assert_true(g_file_set_contents(expected_path, actual, -1,
                                              &error));
        g_assert_no_error(error);
        return;
    }
    if (!g_file_get_contents(expected_path, &expected, NULL, &error)) {
        g_test_message("%s: %s (run with VMM_TEST_REGENERATE=1 to create it)",
                       expected_path, error->message);
        g_test_fail();
        return;
    }
    if (strcmp(expected, actual) != 0) {
        report_first_difference(expected_path, expected, actual);
        g_test_fail();
    }
}
