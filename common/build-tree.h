/* SPDX-License-Identifier: Apache-2.0 */
/* Whether this process runs a binary of the build tree, not an installed one. */
#pragma once

#include <stdbool.h>

/*
 * An uninstalled binary must use the data files of its own tree (schemas,
 * D-Bus interface XML), as libvirt's uninstalled daemons do, and an
 * installed one the installed copies.  True when /proc/self/exe lies in
 * @abs_top_builddir (the build tree's top, as configure gave it) or below.
 */
bool build_tree_running_uninstalled(const char *abs_top_builddir);
