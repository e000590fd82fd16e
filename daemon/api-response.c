/* SPDX-License-Identifier: Apache-2.0 */
/* HTTP/1.1 responses of the REST API, formatted as Cloud Hypervisor's server does. */
#include <config.h>

#include <string.h>
#include <json-glib/json-glib.h>

#include "daemon/api-response.h"

const char *
api_response_reason(guint status)
{
    switch (status) {
    case 100: return "Continue";
    case 200: return "OK";
    case 204: return "No Content";
    case 400: return "Bad Request";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 409: return "Conflict";
    case 413: return "Payload Too Large";
    case 429: return "Too Many Requests";
    case 500: return "Internal Server Error";
    case 503: return "Service Unavailable";
    default: return "Unknown";
    }
}

GBytes *
api_response_format(guint status, const char *body, bool close, bool head)
{
    GString *s = g_string_sized_new(256 + (body ? strlen(body) : 0));
    /* RFC 7230 §3.3.2: no Content-Length (and no body) on 1xx and 204. */
    bool bodyless = status < 200 || status == 204;

    g_string_append_printf(s, "HTTP/1.1 %u %s\r\n", status,
                           api_response_reason(status));
    if (status >= 200) {
        /* CH's route handler sets both on every response. */
        g_string_append(s, "Server: Cloud Hypervisor API\r\n"
                           "Content-Type: application/json\r\n");
        if (!bodyless)
            g_string_append_printf(s, "Content-Length: %zu\r\n",
                                   body ? strlen(body) : 0);
        if (close)
            g_string_append(s, "Connection: close\r\n");
    }
    g_string_append(s, "\r\n");
    if (body && !bodyless && !head)
        g_string_append(s, body);
    return g_string_free_to_bytes(s);
}

char *
api_response_error_body(const char *const *chain)
{
    g_autoptr(JsonNode) node = json_node_new(JSON_NODE_ARRAY);
    JsonArray *a = json_array_new();

    for (guint i = 0; chain && chain[i]; i++)
        json_array_add_string_element(a, chain[i]);
    json_node_take_array(node, a);
    return json_to_string(node, FALSE);
}
