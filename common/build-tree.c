/* SPDX-License-Identifier: Apache-2.0 */
/* Whether this process runs a binary of the build tree, not an installed one. */
#include <config.h>

#include <string.h>
#include <glib.h>

#include "common/build-tree.h"

bool
build_tree_running_uninstalled(const char *abs_top_builddir)
{
    g_autofree char *self = g_file_read_link("/proc/self/exe", NULL);
    g_autofree char *dir = self ? g_path_get_dirname(self) : NULL;
    g_autofree char *top = g_canonicalize_filename(abs_top_builddir, NULL);

    /* nimbusd is at the top of the build tree; test programs below it. */
    return dir && (g_str_equal(dir, top) ||
                   (g_str_has_prefix(dir, top) && dir[strlen(top)] == '/'));
}
