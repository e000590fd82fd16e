/* SPDX-License-Identifier: Apache-2.0 */
/* HTTP/1.1 responses of the REST API, formatted as Cloud Hypervisor's server does. */
#pragma once

#include <stdbool.h>
#include <glib.h>

/* "OK", "Bad Request"...; "Unknown" for codes the API never sends. */
const char *api_response_reason(guint status);

/**
 * api_response_format:
 * A complete response (transfer full): status line, "Server: Cloud
 * Hypervisor API", "Content-Type: application/json", Content-Length (not on
 * 1xx/204), "Connection: close" when @close, then @body (may be NULL).  A
 * response to HEAD (@head) carries the headers only (RFC 7230 §3.3).
 */
GBytes *api_response_format(guint status, const char *body, bool close,
                            bool head);

/* CH's error body: a JSON array of the error chain, outermost first
 * (transfer full).  @chain is NULL-terminated. */
char *api_response_error_body(const char *const *chain);
