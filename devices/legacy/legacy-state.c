/* SPDX-License-Identifier: Apache-2.0 */
/* Strict readers and writers for the legacy devices' JSON snapshot state. */
#include <config.h>

#include <string.h>
#include <gio/gio.h>

#include "devices/legacy/legacy-state.h"

JsonObject *
legacy_state_object(JsonNode *state, const char *dev, GError **error)
{
    if (!state || !JSON_NODE_HOLDS_OBJECT(state)) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                    "%s state: not a JSON object", dev);
        return NULL;
    }
    return json_node_get_object(state);
}

/* The member's value node if it is an integer, else NULL. */
static JsonNode *
legacy_state_int_node(JsonObject *o, const char *key)
{
    JsonNode *n = json_object_get_member(o, key);

    if (!n || !JSON_NODE_HOLDS_VALUE(n) ||
        json_node_get_value_type(n) != G_TYPE_INT64)
        return NULL;
    return n;
}

/* json-glib parses every JSON integer as gint64: a negative one or a
 * float ("1e3") is refused here rather than silently converted. */
bool
legacy_state_get_uint(JsonObject *o, const char *dev, const char *key,
                      uint64_t max, uint64_t *out, GError **error)
{
    JsonNode *n = legacy_state_int_node(o, key);
    int64_t v = n ? json_node_get_int(n) : -1;

    if (!n || v < 0 || (uint64_t)v > max) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                    "%s state: '%s' missing or not an integer in [0, %"
                    G_GUINT64_FORMAT "]", dev, key, max);
        return false;
    }
    *out = (uint64_t)v;
    return true;
}

bool
legacy_state_get_int(JsonObject *o, const char *dev, const char *key,
                     int64_t *out, GError **error)
{
    JsonNode *n = legacy_state_int_node(o, key);

    if (!n) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                    "%s state: '%s' missing or not an integer", dev, key);
        return false;
    }
    *out = json_node_get_int(n);
    return true;
}

bool
legacy_state_get_bool(JsonObject *o, const char *dev, const char *key,
                      bool *out, GError **error)
{
    JsonNode *n = json_object_get_member(o, key);

    if (!n || !JSON_NODE_HOLDS_VALUE(n) ||
        json_node_get_value_type(n) != G_TYPE_BOOLEAN) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                    "%s state: '%s' missing or not a boolean", dev, key);
        return false;
    }
    *out = json_node_get_boolean(n);
    return true;
}

/* Strict base64: g_base64_decode() skips invalid characters silently. */
static bool
legacy_state_is_base64(const char *s)
{
    size_t len = strlen(s), pad = 0;

    if (len % 4 != 0)
        return false;
    for (size_t i = 0; i < len; i++) {
        char c = s[i];

        if (c == '=') {
            pad++;
            continue;
        }
        if (pad > 0 || !(g_ascii_isalnum(c) || c == '+' || c == '/'))
            return false;
    }
    return pad <= 2;
}

bool
legacy_state_get_bytes(JsonObject *o, const char *dev, const char *key,
                       uint8_t *buf, size_t max, size_t *out_len,
                       GError **error)
{
    JsonNode *n = json_object_get_member(o, key);
    const char *s;
    g_autofree guchar *data = NULL;
    gsize len = 0;

    if (!n || !JSON_NODE_HOLDS_VALUE(n) ||
        json_node_get_value_type(n) != G_TYPE_STRING ||
        !legacy_state_is_base64((s = json_node_get_string(n)))) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                    "%s state: '%s' missing or not a base64 string", dev, key);
        return false;
    }
    /* Check the size before decoding anything big. */
    if (strlen(s) / 4 * 3 > max + 2) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                    "%s state: '%s' holds more than %zu bytes", dev, key, max);
        return false;
    }
    data = g_base64_decode(s, &len);
    if (len > max) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                    "%s state: '%s' holds more than %zu bytes", dev, key, max);
        return false;
    }
    if (len > 0)
        memcpy(buf, data, len);
    *out_len = len;
    return true;
}

void
legacy_state_set_bytes(JsonBuilder *b, const char *key, const uint8_t *buf,
                       size_t len)
{
    g_autofree char *s = g_base64_encode(buf, len);

    json_builder_set_member_name(b, key);
    json_builder_add_string_value(b, s);
}
