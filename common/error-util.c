/* SPDX-License-Identifier: Apache-2.0 */
/* GError helpers shared by nimbus, nimbus-remote and nimbusd. */
#include <config.h>

#include "common/error-util.h"

bool
nimbus_fail_prefixedv(GError **error, GQuark domain, int code,
                      const char *prefix, const char *fmt, va_list ap)
{
    g_autofree char *msg = g_strdup_vprintf(fmt, ap);

    if (prefix)
        g_set_error(error, domain, code, "%s: %s", prefix, msg);
    else
        g_set_error_literal(error, domain, code, msg);
    return false;
}

bool
nimbus_fail_prefixed(GError **error, GQuark domain, int code,
                     const char *prefix, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    nimbus_fail_prefixedv(error, domain, code, prefix, fmt, ap);
    va_end(ap);
    return false;
}
