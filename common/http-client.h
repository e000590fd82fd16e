/* SPDX-License-Identifier: Apache-2.0 */
/* HTTP/1.1 client over a UNIX socket, with optional SCM_RIGHTS fds (the VMM's REST API). */
#pragma once

#include <stdbool.h>
#include <glib.h>

/*
 * One blocking request per connection: connect, send, read the whole
 * response, close.  Cloud Hypervisor's API server (and nimbus's) answer on
 * the connection they were asked on; a fresh connection per request keeps the
 * client free of shared state, so any thread may call it.
 *
 * Errors are G_IO_ERROR: connection refused / missing socket
 * (G_IO_ERROR_CONNECTION_REFUSED, G_IO_ERROR_NOT_FOUND), timeout
 * (G_IO_ERROR_TIMED_OUT), a malformed or oversized response
 * (G_IO_ERROR_INVALID_DATA).  An HTTP error status is not a GError: the
 * caller reads HttpResponse.status.
 */

/* Responses larger than this are refused (CH caps request bodies at 4 MiB;
 * vm.info with a large device tree stays far below). */
#define HTTP_CLIENT_MAX_RESPONSE (16u * 1024 * 1024)
/* At most this many fds ride along with one request (SCM_RIGHTS). */
#define HTTP_CLIENT_MAX_FDS 64

typedef struct {
    unsigned int status;      /* 200, 204, 404... */
    char *content_type;       /* NULL when absent */
    GBytes *body;             /* never NULL; may be empty */
} HttpResponse;

void http_response_free(HttpResponse *resp);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(HttpResponse, http_response_free)

/* The body as a NUL-terminated string (transfer full). */
char *http_response_body_string(const HttpResponse *resp);

/**
 * http_client_request:
 * @socket_path: the server's UNIX socket
 * @method: "GET", "PUT"...
 * @path: the request target, e.g. "/api/v1/vm.boot"
 * @content_type: (nullable): Content-Type of @body, "application/json" if NULL
 * @body: (nullable): request body; a PUT without body sends Content-Length: 0
 * @fds: (nullable): fds passed with SCM_RIGHTS alongside the request (not closed)
 * @timeout_ms: for the whole exchange; <= 0 waits forever
 *
 * Returns: (transfer full): the response, or NULL with @error set.
 */
HttpResponse *http_client_request(const char *socket_path, const char *method,
                                  const char *path, const char *content_type,
                                  const void *body, gsize body_len,
                                  const int *fds, unsigned int n_fds,
                                  int timeout_ms, GError **error);
