/* SPDX-License-Identifier: Apache-2.0 */
/* nimbus-remote's REST transport: one HTTP/1.1 request per call on the VMM's API socket. */
#include <config.h>

#include <json-glib/json-glib.h>

#include "common/http-client.h"
#include "daemon/api-response.h"
#include "daemon/remote/remote.h"

/* No timeout: pausing or booting a big VM takes the time it takes, and
 * ch-remote waits too.  Ctrl-C ends the wait. */
#define REMOTE_HTTP_TIMEOUT_MS 0

typedef struct {
    RemoteTransport base;
    char *path;
} RemoteHttp;

/* The VMM's error body is a JSON array of strings (CH's error chain);
 * anything else is quoted as it came. */
static void
append_error_chain(GString *msg, const char *body)
{
    g_autoptr(JsonParser) p = json_parser_new();
    JsonNode *root;

    if (body[0] && json_parser_load_from_data(p, body, -1, NULL) &&
        (root = json_parser_get_root(p)) && JSON_NODE_HOLDS_ARRAY(root)) {
        JsonArray *a = json_node_get_array(root);

        for (guint i = 0; i < json_array_get_length(a); i++) {
            JsonNode *n = json_array_get_element(a, i);

            if (JSON_NODE_HOLDS_VALUE(n) &&
                json_node_get_value_type(n) == G_TYPE_STRING)
                g_string_append_printf(msg, "\n%s", json_node_get_string(n));
        }
    } else if (body[0]) {
        g_string_append_printf(msg, "\n%s", body);
    }
}

static bool
remote_http_call(RemoteTransport *t, ApiAction action, const char *body,
                 const int *fds, guint n_fds, char **response, GError **error)
{
    RemoteHttp *h = (RemoteHttp *)t;
    const ApiActionInfo *info = api_action_info(action);
    g_autofree char *target = g_strdup_printf("/api/v1/%s", info->endpoint);
    g_autoptr(HttpResponse) resp = NULL;
    g_autofree char *text = NULL;
    GError *local = NULL;

    resp = http_client_request(h->path, info->get ? "GET" : "PUT", target,
                               NULL, body, body ? strlen(body) : 0, fds, n_fds,
                               REMOTE_HTTP_TIMEOUT_MS, &local);
    if (!resp) {
        g_set_error(error, local->domain, local->code,
                    "%s: cannot talk to the VMM at '%s'\n%s", info->endpoint,
                    h->path, local->message);
        g_error_free(local);
        return false;
    }
    text = http_response_body_string(resp);
    if (resp->status >= 300) {
        g_autoptr(GString) msg = g_string_new(NULL);

        g_string_printf(msg, "%s: the VMM answered %u %s", info->endpoint,
                        resp->status, api_response_reason(resp->status));
        append_error_chain(msg, text);
        g_set_error_literal(error, G_IO_ERROR, G_IO_ERROR_FAILED, msg->str);
        return false;
    }
    *response = text[0] ? g_steal_pointer(&text) : NULL;
    return true;
}

static void
remote_http_free(RemoteTransport *t)
{
    RemoteHttp *h = (RemoteHttp *)t;

    g_free(h->path);
    g_free(h);
}

static const RemoteTransportOps remote_http_ops = {
    .call = remote_http_call,
    .free = remote_http_free,
};

RemoteTransport *
remote_http_new(const char *socket_path)
{
    RemoteHttp *h = g_new0(RemoteHttp, 1);

    h->base.ops = &remote_http_ops;
    h->path = g_strdup(socket_path);
    return &h->base;
}

void
remote_transport_free(RemoteTransport *t)
{
    if (t)
        t->ops->free(t);
}
