/* SPDX-License-Identifier: Apache-2.0 */
/* The nimbus REST API as nimbusd uses it (Cloud Hypervisor's /api/v1). */
#include <config.h>

#include <string.h>
#include <gio/gio.h>

#include "common/http-client.h"
#include "common/json-util.h"
#include "driver/drv-error.h"
#include "driver/monitor.h"
#include "driver/util.h"

/* vm.info is the deepest answer (about 6 levels). */
#define DRV_MONITOR_JSON_MAX_DEPTH 64

/* The VMM's error body is a JSON array of error-chain strings; anything
 * else is shown raw (cut short). */
static char *
drv_monitor_error_text(const HttpResponse *resp)
{
    g_autofree char *body = http_response_body_string(resp);
    g_autoptr(JsonNode) root = NULL;
    g_autoptr(GString) out = NULL;
    JsonArray *arr;

    if (!*body)
        return g_strdup("no details");
    root = json_parse_bounded(body, -1, DRV_MONITOR_JSON_MAX_DEPTH, NULL);
    if (!root || !JSON_NODE_HOLDS_ARRAY(root)) {
        if (strlen(body) > 512)
            body[512] = '\0';
        return g_strstrip(g_steal_pointer(&body));
    }
    arr = json_node_get_array(root);
    out = g_string_new(NULL);
    for (guint i = 0; i < json_array_get_length(arr); i++) {
        JsonNode *n = json_array_get_element(arr, i);

        if (!JSON_NODE_HOLDS_VALUE(n) || json_node_get_value_type(n) != G_TYPE_STRING)
            continue;
        if (out->len)
            g_string_append(out, ": ");
        g_string_append(out, json_node_get_string(n));
    }
    return g_string_free(g_steal_pointer(&out), FALSE);
}

/* One REST call; any non-2xx status becomes an OPERATION_FAILED error that
 * names the endpoint, so that "virsh start" says which step failed. */
static HttpResponse *
drv_monitor_request(const char *socket, const char *method,
                    const char *endpoint, const char *body, GError **error)
{
    g_autofree char *path = g_strdup_printf("/api/v1/%s", endpoint);
    g_autoptr(GError) local = NULL;
    g_autoptr(HttpResponse) resp = NULL;
    g_autofree char *detail = NULL;

    resp = http_client_request(socket, method, path, "application/json",
                               body, body ? strlen(body) : 0, NULL, 0,
                               g_str_equal(endpoint, "vm.boot")
                                   ? DRV_MONITOR_BOOT_TIMEOUT_MS
                                   : DRV_MONITOR_TIMEOUT_MS,
                               &local);
    if (!resp) {
        g_set_error(error, DRV_ERROR, DRV_ERROR_OPERATION_FAILED,
                    "nimbus API '%s' unreachable: %s", endpoint, local->message);
        return NULL;
    }
    if (resp->status < 200 || resp->status > 299) {
        detail = drv_monitor_error_text(resp);
        g_set_error(error, DRV_ERROR, DRV_ERROR_OPERATION_FAILED,
                    "nimbus API '%s' failed (HTTP %u): %s", endpoint,
                    resp->status, detail);
        return NULL;
    }
    return g_steal_pointer(&resp);
}

bool
drv_monitor_put(const char *socket, const char *endpoint,
                const char *json_body, GError **error)
{
    g_autoptr(HttpResponse) resp = drv_monitor_request(socket, "PUT", endpoint,
                                                       json_body, error);

    return resp != NULL;
}

/* The JSON body of @resp; an empty one is JSON null (PUTs answering 204). */
static JsonNode *
drv_monitor_answer(HttpResponse *resp, const char *endpoint, bool allow_empty,
                   GError **error)
{
    g_autoptr(GError) local = NULL;
    g_autofree char *body = NULL;
    JsonNode *root;

    body = http_response_body_string(resp);
    if (allow_empty && !*body)
        return json_node_new(JSON_NODE_NULL);
    /* A VMM is a guest's neighbour: its answers are bounded like any
     * other untrusted JSON before json-glib recurses into them. */
    root = json_parse_bounded(body, -1, DRV_MONITOR_JSON_MAX_DEPTH, &local);
    if (!root) {
        g_set_error(error, DRV_ERROR, DRV_ERROR_OPERATION_FAILED,
                    "nimbus API '%s' answered invalid JSON: %s", endpoint,
                    local->message);
        return NULL;
    }
    return root;
}

JsonNode *
drv_monitor_get(const char *socket, const char *endpoint, GError **error)
{
    g_autoptr(HttpResponse) resp = drv_monitor_request(socket, "GET", endpoint,
                                                       NULL, error);

    return resp ? drv_monitor_answer(resp, endpoint, false, error) : NULL;
}

JsonNode *
drv_monitor_put_answer(const char *socket, const char *endpoint,
                       const char *json_body, GError **error)
{
    g_autoptr(HttpResponse) resp = drv_monitor_request(socket, "PUT", endpoint,
                                                       json_body, error);

    return resp ? drv_monitor_answer(resp, endpoint, true, error) : NULL;
}

bool
drv_monitor_wait_ready(const char *socket, int timeout_ms,
                       bool (*alive)(gpointer data), gpointer data,
                       GError **error)
{
    gint64 deadline = g_get_monotonic_time() + (gint64)timeout_ms * 1000;
    g_autoptr(GError) last = NULL;

    /* nimbus creates its socket a little after exec: poll, and give up
     * early when the process is already gone. */
    for (;;) {
        g_autoptr(HttpResponse) resp = NULL;

        g_clear_error(&last);
        resp = http_client_request(socket, "GET", "/api/v1/vmm.ping", NULL,
                                   NULL, 0, NULL, 0, 5000, &last);
        if (resp && resp->status == 200)
            return true;
        if (resp && !last)
            g_set_error(&last, DRV_ERROR, DRV_ERROR_OPERATION_FAILED,
                        "vmm.ping answered HTTP %u", resp->status);
        if (alive && !alive(data)) {
            g_set_error(error, DRV_ERROR, DRV_ERROR_OPERATION_FAILED,
                        "nimbus exited before its API answered");
            return false;
        }
        if (g_get_monotonic_time() > deadline)
            break;
        g_usleep(20 * 1000);
    }
    g_set_error(error, DRV_ERROR, DRV_ERROR_OPERATION_FAILED,
                "nimbus API did not come up within %d ms: %s", timeout_ms,
                last ? last->message : "no answer");
    return false;
}

/* vm.info's "runtime" record holds each device's runtime facts by device
 * id, apart from the config; nimbus's serial is "__serial", its virtio
 * console has config.console.id ("__console" by default).  (CH itself
 * only reports the pty in config.<device>.file, which nimbus also fills
 * for CH's clients; nimbusd reads the record meant for it.) */
char *
drv_monitor_info_pty(JsonNode *info, const char *device)
{
    JsonObject *o;
    JsonObject *runtime;
    JsonObject *config;
    JsonObject *con;
    JsonObject *rec;
    const char *id = NULL;
    const char *pty;

    if (!info || !JSON_NODE_HOLDS_OBJECT(info))
        return NULL;
    o = json_node_get_object(info);
    if (!(runtime = drv_json_object(o, "runtime")))
        return NULL;
    if (g_str_equal(device, "serial")) {
        id = "__serial";
    } else if (g_str_equal(device, "console")) {
        config = drv_json_object(o, "config");
        con = config ? drv_json_object(config, "console") : NULL;
        id = con ? drv_json_string(con, "id") : NULL;
        if (!id)
            id = "__console";
    }
    if (!id || !(rec = drv_json_object(runtime, id)))
        return NULL;
    pty = drv_json_string(rec, "pty");
    return pty && *pty ? g_strdup(pty) : NULL;
}

const char *
drv_monitor_info_state(JsonNode *info)
{
    if (!info || !JSON_NODE_HOLDS_OBJECT(info))
        return NULL;
    return drv_json_string(json_node_get_object(info), "state");
}
