/* SPDX-License-Identifier: Apache-2.0 */
/* GError -> libvirt remote_error: code, error domain and message text. */
#pragma once

#include <glib.h>

#include "driver/drv-error.h"

/*
 * libvirt clients print remote_error.message as is, and libvirt formats that
 * message as "<text for the code>: <detail>" (e.g. "Domain not found: no
 * domain with matching name 'x'").  DRV_ERROR messages carry only the detail;
 * rpc_error_message() adds the prefix, unless the message already has it.
 */

/* The libvirt error domain reported for a DRV_ERROR code. */
DrvErrorDomain rpc_error_domain(int code);

/* The remote_error fields for @err (transfer full message). */
void rpc_error_fields(const GError *err, int *code, int *domain, char **message);

/* "<prefix>: <detail>" for a libvirt code (transfer full). */
char *rpc_error_message(int code, const char *detail);
