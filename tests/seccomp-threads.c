/* SPDX-License-Identifier: Apache-2.0 */
/* Test helper: every thread of a running nimbus is under a seccomp filter. */
#include <config.h>

#include <string.h>
#include <glib.h>

#include "tests/seccomp-threads.h"

void
test_assert_threads_seccomp(GPid pid, const char *const *names)
{
    g_autofree char *taskdir = g_strdup_printf("/proc/%d/task", (int)pid);
    g_autoptr(GPtrArray) seen = g_ptr_array_new_with_free_func(g_free);
    g_autoptr(GDir) tasks = g_dir_open(taskdir, 0, NULL);
    const char *tid;

    g_assert_nonnull(tasks);
    while ((tid = g_dir_read_name(tasks))) {
        g_autofree char *status_path =
            g_build_filename(taskdir, tid, "status", NULL);
        g_autofree char *comm_path = g_build_filename(taskdir, tid, "comm",
                                                      NULL);
        g_autofree char *status = NULL;
        g_autofree char *comm = NULL;

        /* A thread may end between the listing and the reads. */
        if (!g_file_get_contents(status_path, &status, NULL, NULL) ||
            !g_file_get_contents(comm_path, &comm, NULL, NULL))
            continue;
        g_strchomp(comm);
        g_test_message("thread %s '%s'", tid, comm);
        if (!strstr(status, "\nSeccomp:\t2\n")) {
            g_test_message("thread %s '%s' has no seccomp filter", tid, comm);
            g_test_fail();
        }
        g_ptr_array_add(seen, g_steal_pointer(&comm));
    }
    g_assert_cmpuint(seen->len, >, 0);
    for (guint i = 0; names && names[i]; i++) {
        if (!g_ptr_array_find_with_equal_func(seen, names[i], g_str_equal,
                                              NULL)) {
            g_test_message("no thread named '%s'", names[i]);
            g_test_fail();
        }
    }
}
