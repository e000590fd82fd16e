/* SPDX-License-Identifier: Apache-2.0 */
/* Device state: the reader's rules; each device type's round trip, refusals. */
#include <config.h>

#include <string.h>
#include <gio/gio.h>

#include "devices/state.h"
#include "tests/unit/device-state-types.h"

/* ---- The reader on a table of its own ------------------------------------ */

typedef struct {
    uint8_t small;
    int32_t neg;
    bool flag;
    uint8_t buf[4];
    unsigned buf_len;
    uint16_t added;         /* since version 2 */
} Inner;

typedef struct {
    uint64_t limit;
    uint32_t bounded;       /* 0..limit */
    Inner inner;
    unsigned n;
    Inner *items;
    const VmmStateDesc *extra_desc;
    Inner *extra;
} Outer;

static const VmmStateField inner_fields[] = {
    VMM_STATE_UINT_FIELD(Inner, small, 1, 200),
    VMM_STATE_INT_FIELD(Inner, neg, -5, 5),
    VMM_STATE_BOOL_FIELD(Inner, flag),
    VMM_STATE_VARBYTES_FIELD(Inner, buf, buf_len),
    { .name = "added", .type = VMM_STATE_UINT, .offset = offsetof(Inner, added),
      .size = 2, .max = 0xffff, .since = 2 },
};

static const VmmStateDesc inner_desc = {
    .name = "inner", .version = 2, .size = sizeof(Inner),
    .fields = inner_fields, .n_fields = G_N_ELEMENTS(inner_fields),
};

/* An element table shares its parent's version (1): without "added". */
static const VmmStateDesc item_desc = {
    .name = "item", .size = sizeof(Inner),
    .fields = inner_fields, .n_fields = G_N_ELEMENTS(inner_fields) - 1,
};

static const VmmStateField outer_fields[] = {
    { .name = "bounded", .type = VMM_STATE_UINT,
      .offset = offsetof(Outer, bounded), .size = 4, .max = G_MAXUINT32,
      .flags = VMM_STATE_F_DYN_MAX, .max_off = offsetof(Outer, limit) },
    { .name = "inner", .type = VMM_STATE_STRUCT,
      .offset = offsetof(Outer, inner), .desc = &inner_desc },
    { .name = "items", .type = VMM_STATE_STRUCT,
      .offset = offsetof(Outer, items),
      .flags = VMM_STATE_F_PTR | VMM_STATE_F_LEN,
      .len_off = offsetof(Outer, n), .desc = &item_desc },
    { .name = "extra", .type = VMM_STATE_STRUCT,
      .offset = offsetof(Outer, extra),
      .flags = VMM_STATE_F_PTR | VMM_STATE_F_DYN_DESC,
      .desc_off = offsetof(Outer, extra_desc) },
};

static const VmmStateDesc outer_desc = {
    .name = "outer", .version = 1, .size = sizeof(Outer),
    .fields = outer_fields, .n_fields = G_N_ELEMENTS(outer_fields),
};

static Outer *
outer_new(unsigned n, bool extra)
{
    Outer *o = g_new0(Outer, 1);

    o->limit = 10;
    o->n = n;
    o->items = g_new0(Inner, n);
    if (extra) {
        o->extra_desc = &inner_desc;
        o->extra = g_new0(Inner, 1);
    }
    return o;
}

static void
outer_free(Outer *o)
{
    g_free(o->items);
    g_free(o->extra);
    g_free(o);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC(Outer, outer_free)

/* Loads @json into a fresh Outer of @n items; NULL error: must succeed. */
static void
load_expect(const char *json, unsigned n, bool extra, const char *error_part)
{
    g_autoptr(Outer) o = outer_new(n, extra);
    g_autoptr(JsonNode) node = json_from_string(json, NULL);
    g_autoptr(GError) error = NULL;
    bool ok;

    g_assert_nonnull(node);
    ok = vmm_state_load(&outer_desc, node, "_dev", o, &error);
    if (!error_part) {
        g_assert_no_error(error);
        g_assert_true(ok);
        return;
    }
    g_assert_false(ok);
    g_assert_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA);
    if (!strstr(error->message, error_part))
        g_test_fail_printf("'%s' does not contain '%s'", error->message,
                           error_part);
}

#define INNER_V2 "{\"version\":2,\"small\":1,\"neg\":-5,\"flag\":true," \
                 "\"buf\":\"AQID\",\"added\":7}"
#define ITEM "{\"small\":200,\"neg\":5,\"flag\":false,\"buf\":\"\"}"

static void
test_reader_round_trip(void)
{
    g_autoptr(Outer) o = outer_new(2, true);
    g_autoptr(Outer) back = outer_new(2, true);
    g_autoptr(GError) error = NULL;
    g_autoptr(JsonNode) node = NULL;
    g_autoptr(JsonNode) again = NULL;
    g_autofree char *a = NULL;
    g_autofree char *b = NULL;

    o->bounded = 10;
    o->inner = (Inner){ .small = 9, .neg = -3, .flag = true,
                        .buf = { 1, 2, 3 }, .buf_len = 3, .added = 99 };
    o->items[0].small = 1;
    o->items[1].small = 200;
    o->extra->small = 1;
    o->extra->added = 5;
    node = vmm_state_save(&outer_desc, o);
    g_assert_true(vmm_state_load(&outer_desc, node, "_dev", back, &error));
    g_assert_no_error(error);
    g_assert_cmpuint(back->inner.buf_len, ==, 3);
    g_assert_cmpuint(back->inner.buf[2], ==, 3);
    g_assert_cmpint(back->inner.neg, ==, -3);
    g_assert_cmpuint(back->items[1].small, ==, 200);
    g_assert_cmpuint(back->extra->added, ==, 5);
    again = vmm_state_save(&outer_desc, back);
    a = json_to_string(node, FALSE);
    b = json_to_string(again, FALSE);
    g_assert_cmpstr(a, ==, b);
}

static void
test_reader_refusals(void)
{
    const char *ok = "{\"version\":1,\"bounded\":10,\"inner\":" INNER_V2
                     ",\"items\":[" ITEM "]}";

    load_expect(ok, 1, false, NULL);
    load_expect("[]", 1, false, "_dev: state: expected an object");
    load_expect("{\"bounded\":1}", 1, false, "_dev: field 'version': missing");
    load_expect("{\"version\":2}", 1, false,
                "field 'version': version 2 is newer than this build "
                "knows (1)");
    load_expect("{\"version\":0}", 1, false,
                "field 'version': expected an integer 1..1");
    load_expect("{\"version\":1,\"bounded\":11}", 1, false,
                "_dev: field 'bounded': expected an integer 0..10");
    load_expect("{\"version\":1,\"bounded\":1.0}", 1, false,
                "field 'bounded': expected an integer");
    load_expect("{\"version\":1,\"bounded\":\"1\"}", 1, false,
                "field 'bounded': expected an integer");
    load_expect("{\"version\":1,\"bounded\":1}", 1, false,
                "field 'inner': missing");
    load_expect("{\"version\":1,\"bounded\":1,\"bogus\":1}", 1, false,
                "field 'bogus': unknown in version 1 state");
    load_expect("{\"version\":1,\"bounded\":1,\"inner\":" INNER_V2
                ",\"items\":[]}", 1, false,
                "field 'items': expected an array of 1 objects");
    load_expect("{\"version\":1,\"bounded\":1,\"inner\":" INNER_V2
                ",\"items\":[" ITEM "]}", 1, true, "field 'extra': missing");
    load_expect("{\"version\":1,\"bounded\":1,\"inner\":" INNER_V2
                ",\"items\":[" ITEM "],\"extra\":" INNER_V2 "}", 1, false,
                "field 'extra': unknown");
    load_expect("{\"version\":1,\"bounded\":1,\"inner\":{\"version\":3}}", 1,
                false, "field 'inner.version': version 3 is newer");
    load_expect("{\"version\":1,\"bounded\":1,\"inner\":" INNER_V2
                ",\"items\":[{\"small\":0}]}", 1, false,
                "field 'items[0].small': expected an integer 1..200");
    load_expect("{\"version\":1,\"bounded\":1,\"inner\":" INNER_V2
                ",\"items\":[" ITEM ",{\"small\":1,\"neg\":-6}]}", 2, false,
                "field 'items[1].neg': expected an integer -5..5");
    load_expect("{\"version\":1,\"bounded\":1,\"inner\":" INNER_V2
                ",\"items\":[{\"small\":1,\"neg\":0,\"flag\":1}]}", 1, false,
                "field 'items[0].flag': expected a boolean");
    load_expect("{\"version\":1,\"bounded\":1,\"inner\":" INNER_V2
                ",\"items\":[{\"small\":1,\"neg\":0,\"flag\":true,"
                "\"buf\":\"AQIDBAU=\"}]}", 1, false,
                "field 'items[0].buf': expected at most 4 bytes");
    load_expect("{\"version\":1,\"bounded\":1,\"inner\":" INNER_V2
                ",\"items\":[{\"small\":1,\"neg\":0,\"flag\":true,"
                "\"buf\":\"A*==\"}]}", 1, false,
                "field 'items[0].buf': expected a base64 string");
}

/* A version-1 blob lacks the field version 2 added: the caller's value
 * stays; a version-1 blob that has it is refused. */
static void
test_reader_older_version(void)
{
    g_autoptr(Outer) o = outer_new(0, false);
    g_autoptr(JsonNode) v1 = json_from_string(
        "{\"version\":1,\"bounded\":1,\"items\":[],\"inner\":{\"version\":1,"
        "\"small\":1,\"neg\":0,\"flag\":false,\"buf\":\"\"}}", NULL);
    g_autoptr(GError) error = NULL;

    o->inner.added = 1234;
    g_assert_true(vmm_state_load(&outer_desc, v1, "_dev", o, &error));
    g_assert_no_error(error);
    g_assert_cmpuint(o->inner.added, ==, 1234);
    load_expect("{\"version\":1,\"bounded\":1,\"items\":[],\"inner\":"
                "{\"version\":1,\"small\":1,\"neg\":0,\"flag\":false,"
                "\"buf\":\"\",\"added\":3}}", 0, false,
                "field 'inner.added': unknown in version 1 state");
}

/* ---- Every device type ---------------------------------------------------- */

/* The node at @path ("" is @root; "a.b[2].c"), or NULL. */
static JsonNode *
node_at(JsonNode *root, const char *path)
{
    g_auto(GStrv) parts = g_strsplit(path, ".", -1);
    JsonNode *n = root;

    for (unsigned i = 0; *path && parts[i] && n; i++) {
        char *br = strchr(parts[i], '[');
        JsonArray *arr;
        unsigned idx;

        if (br)
            *br = '\0';
        if (!JSON_NODE_HOLDS_OBJECT(n))
            return NULL;
        n = json_object_get_member(json_node_get_object(n), parts[i]);
        if (!br || !n)
            continue;
        idx = (unsigned)g_ascii_strtoull(br + 1, NULL, 10);
        if (!JSON_NODE_HOLDS_ARRAY(n) ||
            idx >= json_array_get_length(arr = json_node_get_array(n)))
            return NULL;
        n = json_array_get_element(arr, idx);
    }
    return n;
}

/* The object that holds the member @path names, and the member's name. */
static JsonObject *
parent_of(JsonNode *root, const char *path, const char **name)
{
    const char *dot = strrchr(path, '.');
    g_autofree char *parent = dot ? g_strndup(path, dot - path) : g_strdup("");
    JsonNode *n = node_at(root, parent);

    *name = dot ? dot + 1 : path;
    g_assert_nonnull(n);
    g_assert_true(JSON_NODE_HOLDS_OBJECT(n));
    return json_node_get_object(n);
}

/* Every object in @n that carries a "version" member, by path. */
static void
collect_versioned(JsonNode *n, const char *path, GPtrArray *out)
{
    if (JSON_NODE_HOLDS_OBJECT(n)) {
        JsonObject *o = json_node_get_object(n);
        g_autoptr(GList) members = json_object_get_members(o);

        if (json_object_has_member(o, "version"))
            g_ptr_array_add(out, g_strdup(path));
        for (GList *l = members; l; l = l->next) {
            g_autofree char *sub = g_strconcat(path, *path ? "." : "",
                                               (const char *)l->data, NULL);

            collect_versioned(json_object_get_member(o, l->data), sub, out);
        }
    } else if (JSON_NODE_HOLDS_ARRAY(n)) {
        JsonArray *a = json_node_get_array(n);

        for (guint i = 0; i < json_array_get_length(a); i++) {
            g_autofree char *sub = g_strdup_printf("%s[%u]", path, i);

            collect_versioned(json_array_get_element(a, i), sub, out);
        }
    }
}

/* json_node_copy() shares objects and arrays: edits need a real copy. */
static JsonNode *
deep_copy(JsonNode *n)
{
    g_autofree char *text = json_to_string(n, FALSE);
    JsonNode *copy = json_from_string(text, NULL);

    g_assert_nonnull(copy);
    return copy;
}

/* The saved state as text, without the field that moves by itself. */
static char *
save_text(const DeviceStateType *t, VmmDevice *dev)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(JsonNode) n = dev->ops->save(dev, &error);

    g_assert_no_error(error);
    g_assert_nonnull(n);
    g_assert_true(JSON_NODE_HOLDS_OBJECT(n));
    if (t->volatile_field)
        json_object_remove_member(json_node_get_object(n), t->volatile_field);
    return json_to_string(n, FALSE);
}

typedef struct {
    FakeHost *vm;
    VmmDevice *dev;
} Instance;

static void
instance_init(Instance *in, const DeviceStateType *t)
{
    in->vm = fake_host_new(DEVICE_STATE_RAM);
    in->dev = device_state_create(t, in->vm);
    g_assert_nonnull(in->dev);
    g_assert_cmpstr(in->dev->id, ==, t->id);
}

static void
test_round_trip(gconstpointer data)
{
    const DeviceStateType *t = data;
    Instance a, b;
    g_autoptr(GError) error = NULL;
    g_autoptr(JsonNode) s1 = NULL;
    g_autofree char *before = NULL;
    g_autofree char *after = NULL;
    JsonNode *v;

    instance_init(&a, t);
    instance_init(&b, t);
    if (t->exercise)
        t->exercise(a.vm, a.dev);
    before = save_text(t, a.dev);
    s1 = a.dev->ops->save(a.dev, &error);
    g_assert_no_error(error);
    v = json_object_get_member(json_node_get_object(s1), "version");
    g_assert_nonnull(v);
    g_assert_cmpint(json_node_get_int(v), >=, 1);
    /* Into a second instance, and back into the first. */
    g_assert_true(b.dev->ops->restore(b.dev, s1, &error));
    g_assert_no_error(error);
    after = save_text(t, b.dev);
    g_assert_cmpstr(before, ==, after);
    g_clear_pointer(&after, g_free);
    g_assert_true(a.dev->ops->restore(a.dev, s1, &error));
    g_assert_no_error(error);
    after = save_text(t, a.dev);
    g_assert_cmpstr(before, ==, after);
    fake_host_free(b.vm);
    fake_host_free(a.vm);
}

/* Restores @bad into @in and checks the refusal names the device and
 * @field, and that the device kept its state (@before). */
static void
expect_refused(const DeviceStateType *t, Instance *in, JsonNode *bad,
               const char *field, const char *before)
{
    g_autoptr(GError) error = NULL;
    g_autofree char *want = field ? g_strdup_printf("field '%s'", field)
                                  : g_strdup("state:");
    g_autofree char *after = NULL;

    g_assert_false(in->dev->ops->restore(in->dev, bad, &error));
    g_assert_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA);
    if (!g_str_has_prefix(error->message, t->id) ||
        !strstr(error->message, want))
        g_test_fail_printf("%s: '%s' should name '%s' and %s", t->name,
                           error->message, t->id, want);
    after = save_text(t, in->dev);
    g_assert_cmpstr(before, ==, after);
}

static void
test_refusals(gconstpointer data)
{
    const DeviceStateType *t = data;
    Instance in;
    g_autoptr(GError) error = NULL;
    g_autoptr(JsonNode) good = NULL;
    g_autoptr(GPtrArray) versioned = g_ptr_array_new_with_free_func(g_free);
    g_autoptr(GList) members = NULL;
    g_autoptr(JsonNode) array = json_from_string("[]", NULL);
    g_autofree char *before = NULL;

    instance_init(&in, t);
    if (t->exercise)
        t->exercise(in.vm, in.dev);
    good = in.dev->ops->save(in.dev, &error);
    g_assert_no_error(error);
    before = save_text(t, in.dev);

    expect_refused(t, &in, array, NULL, before);

    /* A newer version of any section (the root and the nested ones). */
    collect_versioned(good, "", versioned);
    g_assert_cmpuint(versioned->len, >=, 1);
    for (guint i = 0; i < versioned->len; i++) {
        const char *path = g_ptr_array_index(versioned, i);
        g_autoptr(JsonNode) bad = deep_copy(good);
        JsonObject *o = json_node_get_object(node_at(bad, path));
        g_autofree char *field = g_strconcat(path, *path ? "." : "",
                                             "version", NULL);

        json_object_set_int_member(o, "version",
                                   json_object_get_int_member(o, "version") +
                                   1);
        expect_refused(t, &in, bad, field, before);
    }

    /* Each root member missing. */
    members = json_object_get_members(json_node_get_object(good));
    for (GList *l = members; l; l = l->next) {
        g_autoptr(JsonNode) bad = deep_copy(good);

        json_object_remove_member(json_node_get_object(bad), l->data);
        expect_refused(t, &in, bad, l->data, before);
    }

    /* A member this version does not have. */
    {
        g_autoptr(JsonNode) bad = deep_copy(good);

        json_object_set_int_member(json_node_get_object(bad), "bogus", 1);
        expect_refused(t, &in, bad, "bogus", before);
    }

    if (t->field) {
        g_autoptr(JsonNode) wrong_type = deep_copy(good);
        g_autoptr(JsonNode) out_of_range = deep_copy(good);
        const char *name = NULL;
        JsonObject *o;

        g_assert_nonnull(node_at(good, t->field));
        o = parent_of(wrong_type, t->field, &name);
        json_object_set_string_member(o, name, "1");
        expect_refused(t, &in, wrong_type, t->field, before);
        o = parent_of(out_of_range, t->field, &name);
        json_object_set_int_member(o, name, t->bad_value);
        expect_refused(t, &in, out_of_range, t->field, before);
    }
    fake_host_free(in.vm);
}

/* Walks the registry: every device type it can create has its state
 * covered by the tests above (a kind type always is, by construction). */
static void
test_registry_covered(void)
{
    unsigned n;
    const DeviceStateType *types = device_state_types(&n);

    for (const DeviceType *const *t = device_registry_types(); *t; t++) {
        unsigned i;

        for (i = 0; i < n; i++) {
            if (g_strcmp0(types[i].registry_name, (*t)->name) == 0)
                break;
        }
        if (i == n)
            g_test_fail_printf("registry type '%s' has no state test",
                               (*t)->name);
        /* A kind type is created from its example config. */
        g_assert_true(!(*t)->kind || (*t)->example);
    }
}

int
main(int argc, char **argv)
{
    unsigned n;
    const DeviceStateType *types;

    g_test_init(&argc, &argv, NULL);
    types = device_state_types(&n);
    g_test_add_func("/device-state/registry-covered", test_registry_covered);
    g_test_add_func("/device-state/reader/round-trip", test_reader_round_trip);
    g_test_add_func("/device-state/reader/refusals", test_reader_refusals);
    g_test_add_func("/device-state/reader/older-version",
                    test_reader_older_version);
    for (unsigned i = 0; i < n; i++) {
        const DeviceStateType *t = &types[i];
        g_autofree char *rt = g_strdup_printf("/device-state/%s/round-trip",
                                              t->name);
        g_autofree char *ref = g_strdup_printf("/device-state/%s/refusals",
                                               t->name);

        g_test_add_data_func(rt, t, test_round_trip);
        g_test_add_data_func(ref, t, test_refusals);
    }
    return g_test_run();
}
