/* SPDX-License-Identifier: Apache-2.0 */
/* Fuzz target: the REST API's HTTP request parser and router on arbitrary byte streams. */
#include <config.h>

#include <stddef.h>
#include <stdint.h>
#include <glib.h>

#include "daemon/api-request.h"
#include "daemon/api-router.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/*
 * The first byte picks how the stream is cut into reads (a socket delivers
 * any split), the rest is the stream.  Every request that comes out is
 * routed and answered as the server would, without a VMM.
 */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    g_autoptr(ApiRequestParser) p = NULL;
    size_t chunk, off = 1;

    if (size < 1)
        return 0;
    chunk = data[0] ? data[0] : size;
    /* A small limit reaches the body-size checks with small inputs. */
    p = api_request_parser_new(data[0] & 1 ? 64 : API_REQUEST_MAX_BODY);
    while (off < size) {
        size_t n = MIN(chunk, size - off);
        g_autoptr(GError) error = NULL;
        ApiRequest *req;

        if (!api_request_parser_feed(p, (const char *)data + off, n, &error)) {
            g_autoptr(GBytes) resp = api_router_bad_stream_response(error);

            g_assert(g_bytes_get_size(resp) > 0);
            break;
        }
        off += n;
        while ((req = api_request_parser_pop(p))) {
            ApiResult result = { 0 };
            ApiAction action;
            g_autoptr(GBytes) resp = NULL;

            g_assert(req->path && req->method_name);
            if (!api_router_route(req, &action, &result)) {
                g_assert(result.status >= 400 && result.errors);
            } else {
                g_assert(action < API_ACTION_LAST);
                result.status = 204;
            }
            resp = api_router_response(&result, !req->keep_alive, false);
            g_assert(g_bytes_get_size(resp) > 0);
            api_result_clear(&result);
            api_request_free(req);
        }
        api_request_parser_take_continue(p);
        if (api_request_parser_done(p))
            break;
    }
    return 0;
}
