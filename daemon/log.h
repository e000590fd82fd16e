/* SPDX-License-Identifier: Apache-2.0 */
/* Logging for nimbus: CH's line format, -v levels, --log-file. */
#pragma once

#include <stdbool.h>
#include <glib.h>

/* @verbosity: 0 warnings, 1 info, 2 debug, >= 3 everything.  @path: NULL
 * for stderr.  Installs the GLib log writer for the whole process. */
bool nimbus_log_init(const char *path, int verbosity, GError **error);
