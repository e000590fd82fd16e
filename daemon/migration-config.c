/* SPDX-License-Identifier: Apache-2.0 */
/* Live migration's request bodies and URLs (SendMigrationData, ReceiveMigrationData). */
#include <config.h>

#include <inttypes.h>
#include <string.h>
#include <gio/gio.h>
#include <gio/gunixsocketaddress.h>

#include "daemon/migration.h"

/* CH's defaults (SendMigrationData). */
#define MIGRATION_DEFAULT_DOWNTIME_MS 300
#define MIGRATION_DEFAULT_TIMEOUT_S 3600

void
migration_send_config_free(MigrationSendConfig *cfg)
{
    if (!cfg)
        return;
    g_free(cfg->destination_url);
    g_free(cfg);
}

static bool
body_error(GError **error, const char *schema, const char *member,
           const char *what)
{
    g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                "%s: field '%s': %s", schema, member, what);
    return false;
}

static bool
body_uint(JsonNode *v, uint64_t min, uint64_t max, uint64_t *out)
{
    gint64 i;

    if (json_node_get_value_type(v) != G_TYPE_INT64)
        return false;
    i = json_node_get_int(v);
    if (i < 0 || (uint64_t)i < min || (uint64_t)i > max)
        return false;
    *out = (uint64_t)i;
    return true;
}

MigrationSendConfig *
migration_send_config_from_json(JsonNode *node, GError **error)
{
    static const char *schema = "SendMigrationData";
    g_autoptr(MigrationSendConfig) cfg = g_new0(MigrationSendConfig, 1);
    g_autoptr(GList) members = NULL;
    JsonObject *o;

    if (!JSON_NODE_HOLDS_OBJECT(node)) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                    "%s: not a JSON object", schema);
        return NULL;
    }
    o = json_node_get_object(node);
    cfg->downtime_ms = MIGRATION_DEFAULT_DOWNTIME_MS;
    cfg->timeout_s = MIGRATION_DEFAULT_TIMEOUT_S;
    cfg->timeout_strategy = MIGRATION_TIMEOUT_CANCEL;
    members = json_object_get_members(o);
    for (GList *l = members; l; l = l->next) {
        const char *k = l->data;
        JsonNode *v = json_object_get_member(o, k);
        uint64_t u = 0;
        bool ok = true;

        if (g_str_equal(k, "destination_url")) {
            ok = json_node_get_value_type(v) == G_TYPE_STRING;
            if (ok)
                cfg->destination_url = g_strdup(json_node_get_string(v));
        } else if (g_str_equal(k, "local")) {
            ok = json_node_get_value_type(v) == G_TYPE_BOOLEAN;
            if (ok)
                cfg->local = json_node_get_boolean(v);
        } else if (g_str_equal(k, "downtime_ms")) {
            ok = body_uint(v, 1, G_MAXINT64, &cfg->downtime_ms);
        } else if (g_str_equal(k, "timeout_s")) {
            ok = body_uint(v, 1, G_MAXINT64 / G_USEC_PER_SEC, &cfg->timeout_s);
        } else if (g_str_equal(k, "timeout_strategy")) {
            const char *s = json_node_get_value_type(v) == G_TYPE_STRING
                                ? json_node_get_string(v) : "";

            if (g_str_equal(s, "Cancel"))
                cfg->timeout_strategy = MIGRATION_TIMEOUT_CANCEL;
            else if (g_str_equal(s, "Ignore"))
                cfg->timeout_strategy = MIGRATION_TIMEOUT_IGNORE;
            else
                return body_error(error, schema, k,
                                  "expected \"Cancel\" or \"Ignore\""), NULL;
        } else if (g_str_equal(k, "connections")) {
            if (!body_uint(v, 1, 128, &u))
                return body_error(error, schema, k,
                                  "expected an integer from 1 to 128"), NULL;
            if (u != 1) {
                g_set_error(error, VMM_ERROR, VMM_ERROR_INTERNAL,
                            "connections=%" PRIu64 " is not supported yet "
                            "(one connection only)", u);
                return NULL;
            }
        } else if (g_str_equal(k, "memory_mode")) {
            const char *s = json_node_get_value_type(v) == G_TYPE_STRING
                                ? json_node_get_string(v) : "";

            if (g_str_equal(s, "Postcopy")) {
                g_set_error(error, VMM_ERROR, VMM_ERROR_INTERNAL,
                            "memory_mode 'Postcopy' is not supported yet");
                return NULL;
            }
            if (!g_str_equal(s, "Precopy"))
                return body_error(error, schema, k,
                                  "expected \"Precopy\" or \"Postcopy\""),
                       NULL;
        } else if (g_str_equal(k, "tls_dir")) {
            g_set_error(error, VMM_ERROR, VMM_ERROR_INTERNAL,
                        "tls_dir: TLS migration is not supported yet");
            return NULL;
        } else {
            return body_error(error, schema, k, "unknown field"), NULL;
        }
        if (!ok)
            return body_error(error, schema, k, "wrong type or out of range"),
                   NULL;
    }
    if (!cfg->destination_url)
        return body_error(error, schema, "destination_url", "missing"), NULL;
    return g_steal_pointer(&cfg);
}

char *
migration_receive_url_from_json(JsonNode *node, GError **error)
{
    static const char *schema = "ReceiveMigrationData";
    g_autoptr(GList) members = NULL;
    const char *url = NULL;
    JsonObject *o;

    if (!JSON_NODE_HOLDS_OBJECT(node)) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                    "%s: not a JSON object", schema);
        return NULL;
    }
    o = json_node_get_object(node);
    members = json_object_get_members(o);
    for (GList *l = members; l; l = l->next) {
        const char *k = l->data;
        JsonNode *v = json_object_get_member(o, k);
        bool is_str = json_node_get_value_type(v) == G_TYPE_STRING;

        if (g_str_equal(k, "receiver_url") && is_str) {
            url = json_node_get_string(v);
        } else if (g_str_equal(k, "memory_mode") && is_str &&
                   g_str_equal(json_node_get_string(v), "Precopy")) {
            continue;
        } else if (g_str_equal(k, "memory_mode") && is_str &&
                   g_str_equal(json_node_get_string(v), "Postcopy")) {
            g_set_error(error, VMM_ERROR, VMM_ERROR_INTERNAL,
                        "memory_mode 'Postcopy' is not supported yet");
            return NULL;
        } else if (g_str_equal(k, "tls_dir") ||
                   g_str_equal(k, "zone_updates")) {
            g_set_error(error, VMM_ERROR, VMM_ERROR_INTERNAL,
                        "%s is not supported yet", k);
            return NULL;
        } else {
            return body_error(error, schema, k,
                              g_str_equal(k, "receiver_url") ||
                              g_str_equal(k, "memory_mode")
                                  ? "wrong type or value" : "unknown field"),
                   NULL;
        }
    }
    if (!url)
        return body_error(error, schema, "receiver_url", "missing"), NULL;
    return g_strdup(url);
}

GSocketAddress *
migration_url_parse(const char *url, char **unix_path, GError **error)
{
    *unix_path = NULL;
    if (g_str_has_prefix(url, "unix:") && url[5]) {
        *unix_path = g_strdup(url + 5);
        return g_unix_socket_address_new(*unix_path);
    }
    if (g_str_has_prefix(url, "tcp:")) {
        const char *hostport = url + 4;
        const char *colon = strrchr(hostport, ':');
        g_autofree char *host = NULL;
        g_autoptr(GInetAddress) ia = NULL;
        guint64 port = 0;

        if (colon && colon > hostport &&
            g_ascii_string_to_unsigned(colon + 1, 10, 1, 65535, &port, NULL)) {
            host = g_strndup(hostport, (gsize)(colon - hostport));
            /* "[::1]": an IPv6 literal in brackets, as in URLs. */
            if (host[0] == '[' && g_str_has_suffix(host, "]")) {
                memmove(host, host + 1, strlen(host));
                host[strlen(host) - 1] = '\0';
            }
            /* Literals only: a name lookup would run GLib's resolver
             * threads, and migration peers are given by address. */
            ia = g_inet_address_new_from_string(host);
            if (ia)
                return g_inet_socket_address_new(ia, (guint16)port);
        }
    }
    g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                "'%s' is not a migration URL: expected 'unix:<path>' or "
                "'tcp:<IP address>:<port>'", url);
    return NULL;
}

