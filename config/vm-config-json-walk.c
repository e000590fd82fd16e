/* SPDX-License-Identifier: Apache-2.0 */
/* The table-driven JSON walker under vm-config-json.c: types, paths, errors. */
#include <config.h>

#include <string.h>
#include <gio/gio.h>

#include "config/vm-config-json-priv.h"

static bool
vm_json_unsupported(GError **error, const char *path)
{
    g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                "'%s' is not supported yet", path);
    return false;
}

char *
vm_json_path_member(const char *parent, const char *name)
{
    return *parent ? g_strdup_printf("%s.%s", parent, name) : g_strdup(name);
}

char *
vm_json_path_index(const char *parent, guint i)
{
    return g_strdup_printf("%s[%u]", parent, i);
}

bool
vm_json_is_null(JsonNode *node)
{
    return JSON_NODE_HOLDS_NULL(node);
}

bool
vm_json_is_int(JsonNode *node)
{
    return JSON_NODE_HOLDS_VALUE(node) &&
           json_node_get_value_type(node) == G_TYPE_INT64;
}

bool
vm_json_is_bool(JsonNode *node)
{
    return JSON_NODE_HOLDS_VALUE(node) &&
           json_node_get_value_type(node) == G_TYPE_BOOLEAN;
}

bool
vm_json_is_string(JsonNode *node)
{
    return JSON_NODE_HOLDS_VALUE(node) &&
           json_node_get_value_type(node) == G_TYPE_STRING;
}

/* An integer in [min, max]; negative and fractional numbers are wrong. */
bool
vm_json_get_uint(JsonNode *node, const char *path, uint64_t min,
                 uint64_t max, uint64_t *out, GError **error)
{
    gint64 v;

    if (vm_json_is_int(node) && (v = json_node_get_int(node)) >= 0 &&
        (uint64_t)v >= min && (uint64_t)v <= max) {
        *out = (uint64_t)v;
        return true;
    }
    if (max >= (uint64_t)G_MAXINT64)
        return vm_json_fail(error, path, "expected an integer ≥ %"
                            G_GUINT64_FORMAT, min);
    return vm_json_fail(error, path, "expected an integer between %"
                        G_GUINT64_FORMAT " and %" G_GUINT64_FORMAT, min, max);
}

static void
store_uint(void *p, size_t size, uint64_t v)
{
    switch (size) {
    case 1: *(uint8_t *)p = (uint8_t)v; break;
    case 2: *(uint16_t *)p = (uint16_t)v; break;
    case 4: *(uint32_t *)p = (uint32_t)v; break;
    default: *(uint64_t *)p = v; break;
    }
}

static bool
vm_json_unsupported_ok(const JField *f, JsonNode *node, const char *path,
                       GError **error)
{
    if (vm_json_is_null(node))
        return true;
    switch (f->kind) {
    case JF_UNSUP_BOOL:
        if (!vm_json_is_bool(node))
            return vm_json_fail(error, path, "expected true or false");
        if (json_node_get_boolean(node) == f->dflt_bool)
            return true;
        break;
    case JF_UNSUP_INT:
        if (!vm_json_is_int(node))
            return vm_json_fail(error, path, "expected an integer");
        if ((uint64_t)json_node_get_int(node) == f->min)
            return true;
        break;
    case JF_UNSUP_STR:
        if (!vm_json_is_string(node))
            return vm_json_fail(error, path, "expected a string");
        if (g_ascii_strcasecmp(json_node_get_string(node), f->dflt_str) == 0)
            return true;
        break;
    case JF_UNSUP_EMPTY:
        if (JSON_NODE_HOLDS_ARRAY(node) &&
            json_array_get_length(json_node_get_array(node)) == 0)
            return true;
        if (vm_json_is_string(node) && !*json_node_get_string(node))
            return true;
        break;
    case JF_UNSUP_DEFAULTS:
        /* Its own unknown or non-default keys produce the error. */
        return vm_json_parse_object(node, path, f->sub, NULL, error);
    default:
        break;
    }
    return vm_json_unsupported(error, path);
}

static bool
vm_json_parse_field(const JField *f, JsonNode *node, const char *path,
                    void *target, GError **error)
{
    void *p = target ? (char *)target + f->offset : NULL;
    uint64_t v = 0;

    if (vm_json_is_null(node) && f->required)
        return vm_json_fail(error, path, "required, cannot be null");
    switch (f->kind) {
    case JF_BOOL:
        if (vm_json_is_null(node))
            return true;
        if (!vm_json_is_bool(node))
            return vm_json_fail(error, path, "expected true or false");
        *(bool *)p = json_node_get_boolean(node);
        return true;
    case JF_UINT:
        if (vm_json_is_null(node))
            return true;
        if (!vm_json_get_uint(node, path, f->min, f->max, &v, error))
            return false;
        store_uint(p, f->size, v);
        return true;
    case JF_INT_OPT:
        if (vm_json_is_null(node)) {
            *(int *)p = -1;
            return true;
        }
        if (!vm_json_get_uint(node, path, f->min, f->max, &v, error))
            return false;
        *(int *)p = (int)v;
        return true;
    case JF_STRING:
        if (!vm_json_is_null(node) && !vm_json_is_string(node))
            return vm_json_fail(error, path, "expected a string");
        /* json-glib decodes an unpaired "\ud8xx" escape into bytes that
         * are not UTF-8, which no JSON writer can put back. */
        if (vm_json_is_string(node) &&
            !g_utf8_validate(json_node_get_string(node), -1, NULL))
            return vm_json_fail(error, path, "not valid UTF-8");
        g_free(*(char **)p);
        *(char **)p = vm_json_is_null(node) ? NULL :
                      g_strdup(json_node_get_string(node));
        return true;
    case JF_CUSTOM:
        return f->parse(node, path, p, error);
    default:
        return vm_json_unsupported_ok(f, node, path, error);
    }
}

bool
vm_json_parse_object(JsonNode *node, const char *path, const JField *fields,
                     void *target, GError **error)
{
    JsonObject *obj;
    JsonObjectIter iter;
    const char *name;
    JsonNode *member;
    const JField *f;

    if (!JSON_NODE_HOLDS_OBJECT(node))
        return vm_json_fail(error, path, "expected an object");
    obj = json_node_get_object(node);
    json_object_iter_init(&iter, obj);
    while (json_object_iter_next(&iter, &name, &member)) {
        for (f = fields; f->name; f++) {
            if (strcmp(f->name, name) == 0)
                break;
        }
        if (!f->name) {
            g_autofree char *p = vm_json_path_member(path, name);

            return vm_json_fail(error, p, "unknown field");
        }
    }
    for (f = fields; f->name; f++) {
        g_autofree char *p = vm_json_path_member(path, f->name);

        member = json_object_get_member(obj, f->name);
        if (!member) {
            if (f->required)
                return vm_json_fail(error, p, "required field missing");
            continue;
        }
        if (!vm_json_parse_field(f, member, p, target, error))
            return false;
    }
    return true;
}

/* Each element of an array through @fn; null is an empty array. */
bool
vm_json_parse_array(JsonNode *node, const char *path,
                    bool (*fn)(JsonNode *elem, const char *path, guint i,
                               void *data, GError **error),
                    void *data, GError **error)
{
    JsonArray *a;
    guint i;

    if (vm_json_is_null(node))
        return true;
    if (!JSON_NODE_HOLDS_ARRAY(node))
        return vm_json_fail(error, path, "expected an array");
    a = json_node_get_array(node);
    for (i = 0; i < json_array_get_length(a); i++) {
        g_autofree char *p = vm_json_path_index(path, i);

        if (!fn(json_array_get_element(a, i), p, i, data, error))
            return false;
    }
    return true;
}

