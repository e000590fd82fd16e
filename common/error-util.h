/* SPDX-License-Identifier: Apache-2.0 */
/* GError helpers shared by nimbus, nimbus-remote and nimbusd. */
#pragma once

#include <stdarg.h>
#include <stdbool.h>
#include <glib.h>

/**
 * nimbus_fail_prefixed:
 * Sets @error to "<prefix>: <message>" (just "<message>" when @prefix is
 * NULL), the message formatted from @fmt.  The control plane's parsers name
 * what failed ("--cpus", "disks[0].path", "bzImage 'vmlinuz'") in front of
 * why, always this way, so clients and tests can rely on the shape.
 *
 * Returns: false, so that callers can "return nimbus_fail_prefixed(...)".
 */
bool nimbus_fail_prefixed(GError **error, GQuark domain, int code,
                          const char *prefix, const char *fmt, ...)
    G_GNUC_PRINTF(5, 6);
/* The same with a va_list, for wrappers that compute the prefix. */
bool nimbus_fail_prefixedv(GError **error, GQuark domain, int code,
                           const char *prefix, const char *fmt, va_list ap)
    G_GNUC_PRINTF(5, 0);
