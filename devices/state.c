/* SPDX-License-Identifier: Apache-2.0 */
/* The one reader and writer of device state tables (see state.h). */
#include <config.h>

#include <inttypes.h>
#include <string.h>
#include <gio/gio.h>

#include "devices/state.h"

/* The member every versioned section carries. */
#define VERSION_KEY "version"

void
vmm_state_error(GError **error, const char *dev_id, const char *field,
                const char *fmt, ...)
{
    g_autofree char *why = NULL;
    va_list ap;

    va_start(ap, fmt);
    why = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    if (field && *field)
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                    "%s: field '%s': %s", dev_id, field, why);
    else
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                    "%s: state: %s", dev_id, why);
}

/* ---- Raw member access ------------------------------------------------ */

static uint64_t
state_get_uint(const uint8_t *p, unsigned size)
{
    switch (size) {
    case 1:
        return *p;
    case 2:
        return *(const uint16_t *)p;
    case 4:
        return *(const uint32_t *)p;
    default:
        return *(const uint64_t *)p;
    }
}

static void
state_set_uint(uint8_t *p, unsigned size, uint64_t v)
{
    switch (size) {
    case 1:
        *p = (uint8_t)v;
        break;
    case 2:
        *(uint16_t *)p = (uint16_t)v;
        break;
    case 4:
        *(uint32_t *)p = (uint32_t)v;
        break;
    default:
        *(uint64_t *)p = v;
        break;
    }
}

static int64_t
state_get_int(const uint8_t *p, unsigned size)
{
    return size == 4 ? *(const int32_t *)p : *(const int64_t *)p;
}

static void
state_set_int(uint8_t *p, unsigned size, int64_t v)
{
    if (size == 4)
        *(int32_t *)p = (int32_t)v;
    else
        *(int64_t *)p = v;
}

/* The description of a STRUCT field's elements (NULL: absent). */
static const VmmStateDesc *
state_field_desc(const VmmStateField *f, const uint8_t *st)
{
    if (f->flags & VMM_STATE_F_DYN_DESC)
        return *(const VmmStateDesc *const *)(st + f->desc_off);
    return f->desc;
}

/* Where a STRUCT field's first element lives. */
static uint8_t *
state_field_elems(const VmmStateField *f, const uint8_t *st)
{
    if (f->flags & VMM_STATE_F_PTR)
        return *(uint8_t *const *)(st + f->offset);
    return (uint8_t *)st + f->offset;
}

/* Number of elements of an array field; -1 for a single object. */
static int64_t
state_field_count(const VmmStateField *f, const uint8_t *st)
{
    if (f->flags & VMM_STATE_F_LEN)
        return *(const unsigned *)(st + f->len_off);
    return f->count > 0 ? (int64_t)f->count : -1;
}

/* ---- Writer ------------------------------------------------------------ */

static void state_save_object(JsonBuilder *b, const VmmStateDesc *desc,
                              const uint8_t *st);

static void
state_save_field(JsonBuilder *b, const VmmStateField *f, const uint8_t *st)
{
    const uint8_t *p = st + f->offset;
    const VmmStateDesc *desc;
    g_autofree char *s = NULL;
    const uint8_t *elems;
    int64_t n;

    switch (f->type) {
    case VMM_STATE_UINT:
        json_builder_add_int_value(b, (gint64)state_get_uint(p, f->size));
        break;
    case VMM_STATE_INT:
        json_builder_add_int_value(b, state_get_int(p, f->size));
        break;
    case VMM_STATE_BOOL:
        json_builder_add_boolean_value(b, *(const bool *)p);
        break;
    case VMM_STATE_BYTES:
        n = (f->flags & VMM_STATE_F_LEN)
                ? MIN(*(const unsigned *)(st + f->len_off), f->count)
                : f->count;
        s = g_base64_encode(p, (gsize)n);
        json_builder_add_string_value(b, s);
        break;
    case VMM_STATE_STRUCT:
        desc = state_field_desc(f, st);
        elems = state_field_elems(f, st);
        n = state_field_count(f, st);
        if (n < 0) {
            state_save_object(b, desc, elems);
            break;
        }
        json_builder_begin_array(b);
        for (int64_t i = 0; i < n; i++)
            state_save_object(b, desc, elems + (size_t)i * desc->size);
        json_builder_end_array(b);
        break;
    default:
        g_assert_not_reached();
    }
}

static void
state_save_object(JsonBuilder *b, const VmmStateDesc *desc, const uint8_t *st)
{
    json_builder_begin_object(b);
    if (desc->version > 0) {
        json_builder_set_member_name(b, VERSION_KEY);
        json_builder_add_int_value(b, desc->version);
    }
    for (unsigned i = 0; i < desc->n_fields; i++) {
        const VmmStateField *f = &desc->fields[i];

        if (f->type == VMM_STATE_STRUCT && !state_field_desc(f, st))
            continue;
        json_builder_set_member_name(b, f->name);
        state_save_field(b, f, st);
    }
    json_builder_end_object(b);
}

JsonNode *
vmm_state_save(const VmmStateDesc *desc, const void *st)
{
    g_autoptr(JsonBuilder) b = json_builder_new();

    state_save_object(b, desc, st);
    return json_builder_get_root(b);
}

/* ---- Reader ------------------------------------------------------------ */

typedef struct {
    const char *dev_id;
    GString *path;          /* the field being read: "virtio.queues[1]" */
    GError **error;
} StateReader;

static bool
state_fail(StateReader *r, const char *fmt, ...) G_GNUC_PRINTF(2, 3);

static bool
state_fail(StateReader *r, const char *fmt, ...)
{
    g_autofree char *why = NULL;
    va_list ap;

    va_start(ap, fmt);
    why = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    vmm_state_error(r->error, r->dev_id, r->path->str, "%s", why);
    return false;
}

/* json-glib reads every JSON integer as gint64; a float ("1e3", "1.0"),
 * a string or null is not one. */
static bool
state_node_is_int(JsonNode *n)
{
    return JSON_NODE_HOLDS_VALUE(n) &&
           json_node_get_value_type(n) == G_TYPE_INT64;
}

/* Strict base64: g_base64_decode() skips invalid characters silently. */
static bool
state_is_base64(const char *s)
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

static bool
state_load_int(StateReader *r, const VmmStateField *f, JsonNode *n,
               uint8_t *st)
{
    int64_t max = f->max, v;

    if (f->flags & VMM_STATE_F_DYN_MAX)
        max = (int64_t)MIN((uint64_t)max, *(const uint64_t *)(st + f->max_off));
    if (!state_node_is_int(n) || (v = json_node_get_int(n)) < f->min ||
        v > max)
        return state_fail(r, "expected an integer %" PRId64 "..%" PRId64,
                          f->min, max);
    if (f->type == VMM_STATE_UINT)
        state_set_uint(st + f->offset, f->size, (uint64_t)v);
    else
        state_set_int(st + f->offset, f->size, v);
    return true;
}

static bool
state_load_bytes(StateReader *r, const VmmStateField *f, JsonNode *n,
                 uint8_t *st)
{
    bool var = f->flags & VMM_STATE_F_LEN;
    g_autofree guchar *data = NULL;
    const char *s;
    gsize len = 0;

    if (!JSON_NODE_HOLDS_VALUE(n) ||
        json_node_get_value_type(n) != G_TYPE_STRING ||
        !state_is_base64((s = json_node_get_string(n))))
        return state_fail(r, "expected a base64 string");
    /* Check the size before decoding anything big. */
    if (strlen(s) / 4 * 3 <= (size_t)f->count + 2)
        data = g_base64_decode(s, &len);
    if (!data || len > f->count || (!var && len != f->count)) {
        if (var)
            return state_fail(r, "expected at most %u bytes", f->count);
        return state_fail(r, "expected %u bytes", f->count);
    }
    if (len > 0)
        memcpy(st + f->offset, data, len);
    if (var)
        *(unsigned *)(st + f->len_off) = (unsigned)len;
    return true;
}

static bool state_load_object(StateReader *r, const VmmStateDesc *desc,
                              JsonNode *node, unsigned parent_version,
                              uint8_t *st);

static bool
state_load_struct(StateReader *r, const VmmStateField *f, JsonNode *n,
                  unsigned version, uint8_t *st)
{
    const VmmStateDesc *desc = state_field_desc(f, st);
    uint8_t *elems = state_field_elems(f, st);
    int64_t count = state_field_count(f, st);
    size_t len = r->path->len;
    JsonArray *arr;

    if (count < 0)
        return state_load_object(r, desc, n, version, elems);
    if (!JSON_NODE_HOLDS_ARRAY(n) ||
        json_array_get_length(arr = json_node_get_array(n)) != count)
        return state_fail(r, "expected an array of %" PRId64 " objects",
                          count);
    for (unsigned i = 0; i < count; i++) {
        g_string_append_printf(r->path, "[%u]", i);
        if (!state_load_object(r, desc, json_array_get_element(arr, i),
                               version, elems + (size_t)i * desc->size))
            return false;
        g_string_truncate(r->path, len);
    }
    return true;
}

static bool
state_load_field(StateReader *r, const VmmStateField *f, JsonNode *n,
                 unsigned version, uint8_t *st)
{
    switch (f->type) {
    case VMM_STATE_UINT:
    case VMM_STATE_INT:
        return state_load_int(r, f, n, st);
    case VMM_STATE_BOOL:
        if (!JSON_NODE_HOLDS_VALUE(n) ||
            json_node_get_value_type(n) != G_TYPE_BOOLEAN)
            return state_fail(r, "expected a boolean");
        *(bool *)(st + f->offset) = json_node_get_boolean(n);
        return true;
    case VMM_STATE_BYTES:
        return state_load_bytes(r, f, n, st);
    case VMM_STATE_STRUCT:
        return state_load_struct(r, f, n, version, st);
    default:
        g_assert_not_reached();
    }
}

/* Whether @key names a member that a blob of @version may hold. */
static bool
state_knows_member(const VmmStateDesc *desc, const char *key,
                   unsigned version, const uint8_t *st)
{
    if (desc->version > 0 && g_str_equal(key, VERSION_KEY))
        return true;
    for (unsigned i = 0; i < desc->n_fields; i++) {
        const VmmStateField *f = &desc->fields[i];

        if (g_str_equal(f->name, key))
            return f->since <= version &&
                   (f->type != VMM_STATE_STRUCT || state_field_desc(f, st));
    }
    return false;
}

/* Reads the section's own version, or inherits the parent's. */
static bool
state_load_version(StateReader *r, const VmmStateDesc *desc, JsonObject *o,
                   unsigned parent_version, unsigned *version)
{
    size_t len = r->path->len;
    JsonNode *n;
    int64_t v;

    if (desc->version == 0) {
        *version = parent_version;
        return true;
    }
    g_string_append(r->path, len ? "." VERSION_KEY : VERSION_KEY);
    n = json_object_get_member(o, VERSION_KEY);
    if (!n)
        return state_fail(r, "missing");
    if (!state_node_is_int(n) || (v = json_node_get_int(n)) < 1)
        return state_fail(r, "expected an integer 1..%u", desc->version);
    if (v > desc->version)
        return state_fail(r, "version %" PRId64 " is newer than this build "
                          "knows (%u)", v, desc->version);
    g_string_truncate(r->path, len);
    *version = (unsigned)v;
    return true;
}

static bool
state_load_object(StateReader *r, const VmmStateDesc *desc, JsonNode *node,
                  unsigned parent_version, uint8_t *st)
{
    size_t len = r->path->len;
    g_autoptr(GList) members = NULL;
    unsigned version = 0;
    JsonObject *o;

    if (!node || !JSON_NODE_HOLDS_OBJECT(node))
        return state_fail(r, "expected an object");
    o = json_node_get_object(node);
    if (!state_load_version(r, desc, o, parent_version, &version))
        return false;
    /* A member this build does not know would be dropped silently: it is
     * a corrupt blob or a newer one that did not bump its version. */
    members = json_object_get_members(o);
    for (GList *l = members; l; l = l->next) {
        if (!state_knows_member(desc, l->data, version, st)) {
            g_string_append_printf(r->path, "%s%s", len ? "." : "",
                                   (const char *)l->data);
            return state_fail(r, "unknown in version %u state", version);
        }
    }
    for (unsigned i = 0; i < desc->n_fields; i++) {
        const VmmStateField *f = &desc->fields[i];
        JsonNode *n;

        /* Fields added later keep the caller's value in an older blob. */
        if (f->since > version ||
            (f->type == VMM_STATE_STRUCT && !state_field_desc(f, st)))
            continue;
        g_string_append_printf(r->path, "%s%s", len ? "." : "", f->name);
        n = json_object_get_member(o, f->name);
        if (!n)
            return state_fail(r, "missing");
        if (!state_load_field(r, f, n, version, st))
            return false;
        g_string_truncate(r->path, len);
    }
    return true;
}

bool
vmm_state_load(const VmmStateDesc *desc, JsonNode *node, const char *dev_id,
               void *st, GError **error)
{
    g_autoptr(GString) path = g_string_new(NULL);
    StateReader r = { .dev_id = dev_id, .path = path, .error = error };

    return state_load_object(&r, desc, node, desc->version, st);
}
