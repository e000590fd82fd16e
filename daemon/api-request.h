/* SPDX-License-Identifier: Apache-2.0 */
/* HTTP/1.1 request parsing for the REST API, on byte buffers (no sockets). */
#pragma once

#include <stdbool.h>
#include <glib.h>

/* CH's limit on a request body (micro_http's payload limit in CH). */
#define API_REQUEST_MAX_BODY (4u * 1024 * 1024)
/* Longest request target we keep; CH's endpoints are a few dozen bytes. */
#define API_REQUEST_MAX_URL 4096
/* Descriptors one request may carry (SCM_RIGHTS); CH's largest user is
 * vm.restore with a few fds per net.  More are an error. */
#define API_REQUEST_MAX_FDS 64

/**
 * ApiRequest:
 * One complete request.  @method is http_parser's enum http_method;
 * @method_name its spelling ("PUT").  @path is the absolute path of the
 * target without query or fragment.  @body is NULL when the request has no
 * body or an empty one (CH treats both as "no body").  @fds are the
 * descriptors that arrived with the request (owned: closed by
 * api_request_free() unless stolen).
 */
typedef struct {
    int method;
    const char *method_name;
    char *path;
    GBytes *body;
    bool keep_alive;
    bool http10;
    GArray *fds;        /* int */
} ApiRequest;

void api_request_free(ApiRequest *req);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(ApiRequest, api_request_free)
/* Hands the received descriptors to the caller (transfer full: the caller
 * closes them); the request keeps none. */
GArray *api_request_steal_fds(ApiRequest *req);

typedef struct ApiRequestParser ApiRequestParser;

ApiRequestParser *api_request_parser_new(gsize max_body);
void api_request_parser_free(ApiRequestParser *p);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(ApiRequestParser, api_request_parser_free)

/**
 * api_request_parser_feed:
 * Parses @len bytes of the stream; complete requests are queued for
 * api_request_parser_pop().  On malformed input (G_IO_ERROR_INVALID_DATA),
 * a body over the limit (G_IO_ERROR_MESSAGE_TOO_LARGE) or bytes after a
 * request that closes the connection (ignored, no error) the parser stops:
 * every later feed is refused with the same error.  The connection must then
 * answer 400 and close, as CH does.
 */
bool api_request_parser_feed(ApiRequestParser *p, const char *data, gsize len,
                             GError **error);

/**
 * api_request_parser_add_fds:
 * Gives the descriptors received with the bytes just fed (transfer full) to
 * the request they belong to.  The kernel ends a stream read at a message
 * that carries descriptors, so they belong to the request that holds the
 * last byte fed: the one still being parsed, else the last one completed by
 * that feed.  Without either (nothing fed), they are closed.  Returns false
 * (and closes them) when a request would carry more than
 * API_REQUEST_MAX_FDS.
 */
bool api_request_parser_add_fds(ApiRequestParser *p, const int *fds, guint n,
                                GError **error);

/* The next complete request (transfer full), or NULL. */
ApiRequest *api_request_parser_pop(ApiRequestParser *p);
guint api_request_parser_queued(ApiRequestParser *p);
/* True once per request that asked "Expect: 100-continue" and whose size is
 * acceptable: the server answers "100 Continue" before the body. */
bool api_request_parser_take_continue(ApiRequestParser *p);
/* True when no more requests can come (a request said "Connection: close",
 * or the parser failed). */
bool api_request_parser_done(ApiRequestParser *p);
/* True while a request is partially received. */
bool api_request_parser_in_request(ApiRequestParser *p);
