/* SPDX-License-Identifier: Apache-2.0 */
/* REST routing: /api/v1/<endpoint> and method checks, results to HTTP responses. */
#include <config.h>

#include <string.h>
#include <http_parser.h>

#include "daemon/api-response.h"
#include "daemon/api-router.h"

bool
api_router_route(const ApiRequest *req, ApiAction *action, ApiResult *result)
{
    const ApiActionInfo *info;
    int a = -1;

    /* CH looks the path up first (404), then the method (400). */
    if (g_str_has_prefix(req->path, API_ROUTER_ROOT))
        a = api_action_from_endpoint(req->path + strlen(API_ROUTER_ROOT));
    if (a < 0) {
        g_autofree char *msg = g_strdup_printf("no API endpoint at '%.128s'",
                                               req->path);
        api_result_set_error(result, 404, "Not Found", msg, NULL);
        return false;
    }
    info = api_action_info(a);
    if (req->method != HTTP_GET && req->method != HTTP_PUT) {
        g_autofree char *msg =
            g_strdup_printf("HTTP method %s is not supported: the API uses "
                            "GET and PUT", req->method_name);
        api_result_set_error(result, 400, "Bad Request", msg, NULL);
        return false;
    }
    if ((req->method == HTTP_GET) != info->get) {
        g_autofree char *msg =
            g_strdup_printf("%s expects %s, not %s", info->endpoint,
                            info->get ? "GET" : "PUT", req->method_name);
        api_result_set_error(result, 400, "Bad Request", msg, NULL);
        return false;
    }
    *action = a;
    return true;
}

GBytes *
api_router_response(const ApiResult *result, bool close, bool head)
{
    g_autofree char *body = NULL;

    if (result->errors) {
        g_autofree const char **chain = g_new0(const char *,
                                               result->errors->len + 1);

        for (guint i = 0; i < result->errors->len; i++)
            chain[i] = g_ptr_array_index(result->errors, i);
        body = api_response_error_body(chain);
        return api_response_format(result->status, body, close, head);
    }
    return api_response_format(result->status, result->body, close, head);
}

GBytes *
api_router_bad_stream_response(const GError *error)
{
    const char *chain[] = { "Bad Request", error->message, NULL };
    g_autofree char *body = api_response_error_body(chain);

    return api_response_format(400, body, true, false);
}
