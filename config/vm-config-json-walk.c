/* SPDX-License-Identifier: Apache-2.0 */
/* The strict JSON parser, walked from the field tables (vm-config-schema.h). */
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

static bool vschema_json_object(const VStruct *s, JsonNode *node,
                                const char *path, void *obj, GError **error);

/* A VF_UNSUP key, or a member flagged VF_UNSUP_NONDEFAULT. */
static bool
vm_json_unsupported_ok(const VField *f, JsonNode *node, const char *path,
                       GError **error)
{
    if (vm_json_is_null(node))
        return true;
    switch (f->kind == VF_UNSUP ? f->unsup : VU_BOOL) {
    case VU_BOOL:
        if (!vm_json_is_bool(node))
            return vm_json_fail(error, path, "expected true or false");
        if (json_node_get_boolean(node) == (f->dflt != 0))
            return true;
        break;
    case VU_INT:
        if (!vm_json_is_int(node))
            return vm_json_fail(error, path, "expected an integer");
        if ((uint64_t)json_node_get_int(node) == f->dflt)
            return true;
        break;
    case VU_STR:
        if (!vm_json_is_string(node))
            return vm_json_fail(error, path, "expected a string");
        if (g_ascii_strcasecmp(json_node_get_string(node), f->dflt_s) == 0)
            return true;
        break;
    case VU_EMPTY:
        if (JSON_NODE_HOLDS_ARRAY(node) &&
            json_array_get_length(json_node_get_array(node)) == 0)
            return true;
        if (vm_json_is_string(node) && !*json_node_get_string(node))
            return true;
        break;
    case VU_DEFAULTS:
        /* Its own unknown or non-default keys produce the error. */
        return vschema_json_object(f->sub, node, path, NULL, error);
    case VU_IGNORED:
        break;
    }
    if (f->refused)
        return vm_json_fail(error, path, "refused: %s", f->refused);
    return vm_json_unsupported(error, path);
}

static bool
j_enum(const VField *f, JsonNode *node, const char *path, int *out,
       GError **error)
{
    int v;

    if (vm_json_is_null(node)) {
        *out = (int)f->dflt;
        return true;
    }
    if (!vm_json_is_string(node) ||
        (v = f->venum->from_string(json_node_get_string(node))) < 0)
        return vm_json_fail(error, path, "expected %s",
                            f->venum->json_expected);
    if (f->venum->unsupported & (1u << v))
        return vm_json_fail(error, path, "%s is not supported yet",
                            f->venum->to_string(v));
    *out = v;
    return true;
}

/* What an array element parser gets: its field and the array it fills. */
typedef struct {
    const VField *f;
    void *out;          /* GPtrArray (VF_LIST) or GArray (VF_U32_ARRAY) */
} JArrayCtx;

static bool
j_list_one(JsonNode *elem, const char *path, guint i, void *data,
           GError **error)
{
    JArrayCtx *ctx = data;
    void *e = vschema_new(ctx->f->sub);

    /* Owned by the list from here on, even if parsing fails. */
    g_ptr_array_add(ctx->out, e);
    return vschema_json_object(ctx->f->sub, elem, path, e, error);
}

static bool
j_list(const VField *f, JsonNode *node, const char *path, GPtrArray **out,
       GError **error)
{
    g_autoptr(GPtrArray) list = NULL;
    JArrayCtx ctx = { f, NULL };

    if (vm_json_is_null(node) && !(f->flags & VF_NEVER_NULL)) {
        g_clear_pointer(out, g_ptr_array_unref);
        return true;
    }
    list = g_ptr_array_new_with_free_func(f->sub->free);
    ctx.out = list;
    /* One optional device (VmConfig.vsock): an object, not an array. */
    if (f->flags & VF_SINGLE) {
        if (!j_list_one(node, path, 0, &ctx, error))
            return false;
    } else if (!vm_json_parse_array(node, path, j_list_one, &ctx, error)) {
        return false;
    }
    g_clear_pointer(out, g_ptr_array_unref);
    *out = g_steal_pointer(&list);
    return true;
}

static bool
j_u32(JsonNode *elem, const char *path, guint i, void *data, GError **error)
{
    JArrayCtx *ctx = data;
    uint64_t v = 0;
    uint32_t u;

    if (!vm_json_get_uint(elem, path, 0, ctx->f->max, &v, error))
        return false;
    u = (uint32_t)v;
    g_array_append_val((GArray *)ctx->out, u);
    return true;
}

static bool
j_u32_array(const VField *f, JsonNode *node, const char *path, GArray **out,
            GError **error)
{
    g_autoptr(GArray) a = g_array_new(FALSE, FALSE, sizeof(uint32_t));
    JArrayCtx ctx = { f, a };

    /* CH's None, where the field may be absent. */
    if (vm_json_is_null(node) && !(f->flags & VF_NEVER_NULL)) {
        g_clear_pointer(out, g_array_unref);
        return true;
    }
    if (!JSON_NODE_HOLDS_ARRAY(node))
        return vm_json_fail(error, path, "expected an array of %s", f->what);
    if (!vm_json_parse_array(node, path, j_u32, &ctx, error))
        return false;
    if (*out)
        g_array_unref(*out);
    *out = g_steal_pointer(&a);
    return true;
}

static bool
j_fd_placeholder(JsonNode *elem, const char *path, guint i, void *data,
                 GError **error)
{
    int placeholder = -1;

    /* The number itself means nothing here: see vm-config.h. */
    if (!vm_json_is_int(elem))
        return vm_json_fail(error, path,
                            "expected an integer (an fd placeholder)");
    g_array_append_val(data, placeholder);
    return true;
}

static bool
j_fds(JsonNode *node, const char *path, GArray **out, GError **error)
{
    g_autoptr(GArray) fds = g_array_new(FALSE, FALSE, sizeof(int));

    if (!vm_json_parse_array(node, path, j_fd_placeholder, fds, error))
        return false;
    if (fds->len > VM_CONFIG_NET_QUEUES_MAX / 2)
        return vm_json_fail(error, path, "at most %u fds (one per queue pair)",
                            VM_CONFIG_NET_QUEUES_MAX / 2);
    g_clear_pointer(out, g_array_unref);
    if (fds->len)
        *out = g_steal_pointer(&fds);
    return true;
}

static bool
j_string(const VField *f, JsonNode *node, const char *path, char **out,
         GError **error)
{
    if (!vm_json_is_null(node) && !vm_json_is_string(node))
        return vm_json_fail(error, path, "expected a string");
    /* json-glib decodes an unpaired "\ud8xx" escape into bytes that are
     * not UTF-8, which no JSON writer can put back. */
    if (vm_json_is_string(node) &&
        !g_utf8_validate(json_node_get_string(node), -1, NULL))
        return vm_json_fail(error, path, "not valid UTF-8");
    g_free(*out);
    *out = g_strdup(vm_json_is_null(node) ? f->dflt_s :
                    json_node_get_string(node));
    return true;
}

static bool
j_strv_elem(JsonNode *elem, const char *path, guint i, void *data,
            GError **error)
{
    if (!vm_json_is_string(elem))
        return vm_json_fail(error, path, "expected a string");
    if (!g_utf8_validate(json_node_get_string(elem), -1, NULL))
        return vm_json_fail(error, path, "not valid UTF-8");
    g_ptr_array_add(data, g_strdup(json_node_get_string(elem)));
    return true;
}

static bool
j_strv(JsonNode *node, const char *path, char ***out, GError **error)
{
    g_autoptr(GPtrArray) a = g_ptr_array_new_with_free_func(g_free);

    if (vm_json_is_null(node))
        return true;
    if (!JSON_NODE_HOLDS_ARRAY(node))
        return vm_json_fail(error, path, "expected an array of strings");
    if (!vm_json_parse_array(node, path, j_strv_elem, a, error))
        return false;
    g_ptr_array_add(a, NULL);
    g_strfreev(*out);
    *out = (char **)g_ptr_array_free(g_steal_pointer(&a), FALSE);
    return true;
}

/* null means "absent" (serde's Option): the member gets its default,
 * which for most kinds is what it already holds (the walkers parse into
 * defaulted structs). */
static bool
vm_json_parse_field(const VField *f, JsonNode *node, const char *path,
                    void *obj, GError **error)
{
    void *p = obj ? vfield_member(f, obj) : NULL;
    uint64_t v = 0;

    if (vm_json_is_null(node) && (f->flags & VF_JSON_REQUIRED))
        return vm_json_fail(error, path, "required, cannot be null");
    if (f->kind == VF_UNSUP || (f->flags & VF_UNSUP_NONDEFAULT))
        return vm_json_unsupported_ok(f, node, path, error);
    switch (f->kind) {
    case VF_BOOL:
        if (vm_json_is_null(node))
            return true;
        if (!vm_json_is_bool(node))
            return vm_json_fail(error, path, "expected true or false");
        *(bool *)p = json_node_get_boolean(node);
        return true;
    case VF_UINT:
        if (vm_json_is_null(node))
            return true;
        if (!vm_json_get_uint(node, path, f->min, f->max, &v, error))
            return false;
        vfield_set_uint(f, obj, v);
        return true;
    case VF_INT_OPT:
        if (vm_json_is_null(node)) {
            *(int *)p = -1;
            return true;
        }
        if (!vm_json_get_uint(node, path, f->min, f->max, &v, error))
            return false;
        *(int *)p = (int)v;
        return true;
    case VF_STRING:
        return j_string(f, node, path, p, error);
    case VF_ENUM:
        return j_enum(f, node, path, p, error);
    case VF_STRUCT:
        return vm_json_is_null(node) ||
               vschema_json_object(f->sub, node, path, p, error);
    case VF_STRUCT_PTR: {
        g_autofree void *n = NULL;

        if (vm_json_is_null(node)) {
            if (*(void **)p)
                vschema_clear(f->sub, *(void **)p);
            g_clear_pointer((void **)p, g_free);
            return true;
        }
        n = vschema_new(f->sub);
        if (!vschema_json_object(f->sub, node, path, n, error)) {
            vschema_clear(f->sub, n);
            return false;
        }
        g_free(*(void **)p);
        *(void **)p = g_steal_pointer(&n);
        return true;
    }
    case VF_LIST:
        return j_list(f, node, path, p, error);
    case VF_U32_ARRAY:
        return j_u32_array(f, node, path, p, error);
    case VF_FD_ARRAY:
        return j_fds(node, path, p, error);
    case VF_STRV:
        return j_strv(node, path, p, error);
    case VF_UNSUP:
    case VF_DEVICE:
        break;
    }
    return true;
}

/* Checks every member is in @s, then parses each field into @obj (NULL
 * for tables of unsupported keys only). */
static bool
vschema_json_object(const VStruct *s, JsonNode *node, const char *path,
                    void *obj, GError **error)
{
    JsonObject *o;
    JsonObjectIter iter;
    const char *name;
    JsonNode *member;
    const VField *f;
    VGiven given = { s, 0 };
    guint i;

    if (!JSON_NODE_HOLDS_OBJECT(node))
        return vm_json_fail(error, path, "expected an object");
    o = json_node_get_object(node);
    json_object_iter_init(&iter, o);
    while (json_object_iter_next(&iter, &name, &member)) {
        for (f = s->fields; f->name; f++) {
            if (!(f->flags & VF_NO_JSON) && strcmp(f->name, name) == 0)
                break;
        }
        if (!f->name) {
            g_autofree char *p = vm_json_path_member(path, name);

            return vm_json_fail(error, p, "unknown field");
        }
    }
    for (i = 0; s->fields[i].name; i++) {
        g_autofree char *p = NULL;
        VField tmp;

        f = vfield_resolve(&s->fields[i], &tmp);
        if (f->flags & VF_NO_JSON)
            continue;
        p = vm_json_path_member(path, f->name);
        member = json_object_get_member(o, f->name);
        if (!member) {
            if (f->flags & VF_JSON_REQUIRED)
                return vm_json_fail(error, p, "required field missing");
            continue;
        }
        if (!vm_json_parse_field(f, member, p, obj, error))
            return false;
        if (!vm_json_is_null(member))
            given.bits |= G_GUINT64_CONSTANT(1) << i;
    }
    if (obj && s->fixup)
        s->fixup(obj, &given);
    return true;
}

bool
vschema_json_parse(const VStruct *s, JsonNode *node, const char *path,
                   void *obj, GError **error)
{
    if (!node)
        return vm_json_fail(error, path, "empty document");
    return vschema_json_object(s, node, path, obj, error);
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

