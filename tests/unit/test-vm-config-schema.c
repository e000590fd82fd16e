/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests: every config field table and the walkers derived from it. */
#include <config.h>

#include <string.h>
#include <gio/gio.h>

#include "config/vm-config-schema.h"

/*
 * These walk config/vm-config-schema.c's tables rather than naming fields,
 * so a field added to a table is covered without touching this file:
 * defaults and fully filled structs survive format -> parse, copies share
 * no memory with their source, and the comparison sees every field.
 */

/* The structs that have a CLI option of their own. */
static const VStruct *const cli_structs[] = {
    &vschema_cpus, &vschema_memory, &vschema_disk, &vschema_net,
    &vschema_rng, &vschema_serial, &vschema_console, &vschema_debug_console,
    NULL
};

static bool
is_cli_struct(const VStruct *s)
{
    guint i;

    for (i = 0; cli_structs[i]; i++) {
        if (cli_structs[i] == s)
            return true;
    }
    return false;
}

static void
obj_free(const VStruct *s, void *obj)
{
    vschema_clear(s, obj);
    g_free(obj);
}

static void *
obj_copy(const VStruct *s, const void *src)
{
    void *obj = g_malloc(s->size);

    vschema_copy(s, obj, src);
    return obj;
}

/* A value of the enum other than @avoid that the parser accepts. */
static int
enum_other(const VField *f, int avoid)
{
    int v;

    for (v = 0; v < 32 && f->venum->to_string(v); v++) {
        if (v != avoid && !(f->venum->unsupported & (1u << v)))
            return v;
    }
    g_assert_not_reached();
}

/* Sets every member @s describes to a value other than its default (with
 * @all false, only what the JSON carries, so that it round-trips). */
static void
fill(const VStruct *s, void *obj, bool all)
{
    const VField *f;
    guint i;

    for (const VField *line = s->fields; line->name; line++) {
        VField tmp;
        void *p = vfield_member(line, obj);

        /* A V_DEVICE line is the list of its registered kind, if any. */
        f = vfield_resolve(line, &tmp);
        if (f->kind == VF_UNSUP || (f->flags & VF_UNSUP_NONDEFAULT) ||
            (!all && (f->flags & (VF_NO_JSON | VF_NO_FORMAT))))
            continue;
        switch (f->kind) {
        case VF_BOOL:
            *(bool *)p = !f->dflt;
            break;
        case VF_UINT:
            vfield_set_uint(f, obj, f->max != f->dflt ? f->max : f->min);
            break;
        case VF_INT_OPT:
            *(int *)p = (int)f->max;
            break;
        case VF_ENUM:
            *(int *)p = enum_other(f, (int)f->dflt);
            break;
        case VF_STRING:
            g_free(*(char **)p);
            *(char **)p = g_strdup_printf("%s-value", f->name);
            break;
        case VF_STRUCT:
            fill(f->sub, p, all);
            break;
        case VF_STRUCT_PTR:
            if (*(void **)p)
                obj_free(f->sub, *(void **)p);
            *(void **)p = vschema_new(f->sub);
            fill(f->sub, *(void **)p, all);
            break;
        case VF_LIST:
            g_clear_pointer((GPtrArray **)p, g_ptr_array_unref);
            *(GPtrArray **)p = g_ptr_array_new_with_free_func(f->sub->free);
            for (i = 0; i < ((f->flags & VF_SINGLE) ? 1 : 2); i++) {
                void *e = vschema_new(f->sub);

                fill(f->sub, e, all);
                g_ptr_array_add(*(GPtrArray **)p, e);
            }
            break;
        case VF_U32_ARRAY: {
            uint32_t v[] = { 0, (uint32_t)f->max };

            g_clear_pointer((GArray **)p, g_array_unref);
            *(GArray **)p = g_array_new(FALSE, FALSE, sizeof(uint32_t));
            g_array_append_vals(*(GArray **)p, v, G_N_ELEMENTS(v));
            break;
        }
        case VF_FD_ARRAY: {
            /* -1: placeholders are what the JSON carries (vm-config.h). */
            int v[] = { -1, -1 };

            g_clear_pointer((GArray **)p, g_array_unref);
            *(GArray **)p = g_array_new(FALSE, FALSE, sizeof(int));
            g_array_append_vals(*(GArray **)p, v, G_N_ELEMENTS(v));
            break;
        }
        case VF_STRV:
            g_strfreev(*(char ***)p);
            *(char ***)p = g_strsplit("first,second", ",", -1);
            break;
        case VF_UNSUP:
        case VF_DEVICE:
            break;
        }
    }
}

static char *
format(const VStruct *s, const void *obj)
{
    g_autoptr(JsonBuilder) b = json_builder_new();
    g_autoptr(JsonNode) root = NULL;

    json_builder_begin_object(b);
    vschema_json_format(s, b, obj);
    json_builder_end_object(b);
    root = json_builder_get_root(b);
    return json_to_string(root, FALSE);
}

/* parse(format(obj)) == obj, and formatting that gives the same text. */
static void
check_json_round_trip(const VStruct *s, const void *obj)
{
    g_autofree char *json = format(s, obj);
    g_autofree char *again = NULL;
    g_autoptr(JsonNode) node = json_from_string(json, NULL);
    g_autoptr(GError) error = NULL;
    void *back = vschema_new(s);

    g_test_message("%s: %s", s->name, json);
    g_assert_nonnull(node);
    g_assert_true(vschema_json_parse(s, node, "", back, &error));
    g_assert_no_error(error);
    g_assert_true(vschema_equal(s, obj, back));
    again = format(s, back);
    g_assert_cmpstr(json, ==, again);
    obj_free(s, back);
}

static void
test_tables(void)
{
    const VStruct *const *sp;
    const VField *f, *g;

    for (sp = vschema_all; *sp; sp++) {
        const VStruct *s = *sp;
        guint n = 0;

        g_test_message("%s", s->name);
        for (f = s->fields; f->name; f++, n++) {
            /* VGiven is a 64-bit mask of field indexes. */
            g_assert_cmpuint(n, <, 64);
            if (f->kind == VF_STRUCT || f->kind == VF_STRUCT_PTR ||
                f->kind == VF_LIST)
                g_assert_nonnull(f->sub);
            if (f->kind == VF_LIST)
                g_assert_nonnull(f->sub->free);
            if (f->kind == VF_ENUM)
                g_assert_nonnull(f->venum);
            if (f->kind != VF_UNSUP)
                g_assert_cmpuint(f->offset + f->size, <=, s->size);
            if (f->flags & VF_JSON_REQUIRED)
                g_assert_false(f->flags & VF_NO_JSON);
            if (f->flags & VF_CLI_REQUIRED)
                g_assert_nonnull(f->cli_meta);
            if (f->flags & VF_UNSUP_NONDEFAULT)
                g_assert_cmpint(f->kind, ==, VF_BOOL);
            /* Kinds without a generic CLI syntax need a hook. */
            if (is_cli_struct(s) && !(f->flags & VF_NO_CLI) &&
                (f->kind == VF_STRUCT || f->kind == VF_STRUCT_PTR ||
                 f->kind == VF_LIST || f->kind == VF_U32_ARRAY ||
                 f->kind == VF_ENUM))
                g_assert_nonnull(f->cli_parse);
            for (g = s->fields; g != f; g++) {
                if (!((f->flags | g->flags) & VF_NO_JSON))
                    g_assert_cmpstr(f->name, !=, g->name);
                if (!((f->flags | g->flags) & VF_NO_CLI))
                    g_assert_cmpstr(vfield_cli_key(f), !=, vfield_cli_key(g));
            }
        }
    }
}

static void
test_defaults_round_trip(void)
{
    const VStruct *const *sp;

    for (sp = vschema_all; *sp; sp++) {
        void *obj = vschema_new(*sp);

        check_json_round_trip(*sp, obj);
        obj_free(*sp, obj);
    }
}

static void
test_filled_round_trip(void)
{
    const VStruct *const *sp;

    for (sp = vschema_all; *sp; sp++) {
        void *dflt = vschema_new(*sp);
        void *obj = vschema_new(*sp);

        fill(*sp, obj, false);
        /* Otherwise the round trip below would prove nothing. */
        g_assert_false(vschema_equal(*sp, dflt, obj));
        check_json_round_trip(*sp, obj);
        obj_free(*sp, obj);
        obj_free(*sp, dflt);
    }
}

/* No owned pointer of @a is also @b's. */
static void
assert_unshared(const VStruct *s, const void *a, const void *b)
{
    const VField *f;
    guint i;

    for (f = s->fields; f->name; f++) {
        const void *pa = vfield_member_const(f, a);
        const void *pb = vfield_member_const(f, b);
        void *const *xa = (void *const *)pa;
        void *const *xb = (void *const *)pb;

        switch (f->kind) {
        case VF_STRUCT:
            assert_unshared(f->sub, pa, pb);
            break;
        case VF_STRUCT_PTR:
            if (*xa) {
                g_assert_true(*xa != *xb);
                assert_unshared(f->sub, *xa, *xb);
            }
            break;
        case VF_LIST:
            if (*xa) {
                const GPtrArray *la = *xa, *lb = *xb;

                g_assert_true(la != lb);
                for (i = 0; i < la->len; i++) {
                    g_assert_true(la->pdata[i] != lb->pdata[i]);
                    assert_unshared(f->sub, la->pdata[i], lb->pdata[i]);
                }
            }
            break;
        case VF_STRING:
        case VF_U32_ARRAY:
        case VF_FD_ARRAY:
            if (*xa)
                g_assert_true(*xa != *xb);
            break;
        case VF_STRV:
            if (*xa) {
                char *const *va = *xa, *const *vb = *xb;

                g_assert_true(va != vb);
                for (i = 0; va[i]; i++)
                    g_assert_true(va[i] != vb[i]);
            }
            break;
        default:
            break;
        }
    }
}

static void
test_copy(void)
{
    const VStruct *const *sp;

    for (sp = vschema_all; *sp; sp++) {
        void *obj = vschema_new(*sp);
        void *copy, *copy2;

        fill(*sp, obj, true);
        copy = obj_copy(*sp, obj);
        g_assert_true(vschema_equal(*sp, obj, copy));
        assert_unshared(*sp, obj, copy);
        copy2 = obj_copy(*sp, copy);
        /* The copy outlives its source (valgrind sees any sharing). */
        obj_free(*sp, obj);
        g_assert_true(vschema_equal(*sp, copy, copy2));
        obj_free(*sp, copy);
        obj_free(*sp, copy2);
    }
}

/* Changing any one field makes a struct compare unequal: the comparison
 * the round trips rely on covers every field. */
static void
test_equal_sees_every_field(void)
{
    const VStruct *const *sp;
    const VField *f;

    for (sp = vschema_all; *sp; sp++) {
        const VStruct *s = *sp;
        void *dflt = vschema_new(s);

        for (f = s->fields; f->name; f++) {
            const VField one[] = { *f, V_END };
            const VStruct just = { s->name, s->size, one, NULL, NULL };
            VField tmp;
            void *obj;

            /* Unregistered V_DEVICE lines are keys without a member. */
            if (vfield_resolve(f, &tmp)->kind == VF_UNSUP)
                continue;
            obj = vschema_new(s);
            g_test_message("%s.%s", s->name, f->name);
            if (f->flags & VF_UNSUP_NONDEFAULT)
                *(bool *)vfield_member(f, obj) = !f->dflt;
            else
                fill(&just, obj, true);
            g_assert_false(vschema_equal(s, dflt, obj));
            obj_free(s, obj);
        }
        obj_free(s, dflt);
    }
}

/* The public constructors are the tables' defaults. */
static void
test_public_api(void)
{
    g_autoptr(VmConfig) c = vm_config_new();
    g_autoptr(VmConfig) copy = NULL;
    g_autoptr(DiskConfig) d = disk_config_new();
    g_autoptr(DiskConfig) dc = NULL;
    g_autoptr(NetConfig) n = net_config_new();
    g_autoptr(NetConfig) nc = NULL;
    void *vm_dflt = vschema_new(&vschema_vm);

    g_assert_true(vschema_equal(&vschema_vm, c, vm_dflt));
    obj_free(&vschema_vm, vm_dflt);
    fill(&vschema_vm, c, true);
    copy = vm_config_copy(c);
    g_assert_true(vschema_equal(&vschema_vm, c, copy));
    assert_unshared(&vschema_vm, c, copy);

    fill(&vschema_disk, d, true);
    dc = disk_config_copy(d);
    g_assert_true(vschema_equal(&vschema_disk, d, dc));
    fill(&vschema_net, n, true);
    nc = net_config_copy(n);
    g_assert_true(vschema_equal(&vschema_net, n, nc));
}

/* A MAC from the one generator: unicast, locally administered, parsable. */
static void
test_mac_random(void)
{
    g_autofree char *s = vm_config_mac_random_string();
    uint8_t mac[6];
    int i;

    g_assert_true(vm_config_mac_parse(s, mac));
    g_assert_cmpuint(mac[0] & 0x03, ==, 0x02);
    for (i = 0; i < 64; i++) {
        vm_config_mac_random(mac);
        g_assert_cmpuint(mac[0] & 0x03, ==, 0x02);
    }
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/vm-config/schema/tables", test_tables);
    g_test_add_func("/vm-config/schema/defaults-round-trip",
                    test_defaults_round_trip);
    g_test_add_func("/vm-config/schema/filled-round-trip",
                    test_filled_round_trip);
    g_test_add_func("/vm-config/schema/copy", test_copy);
    g_test_add_func("/vm-config/schema/equal-sees-every-field",
                    test_equal_sees_every_field);
    g_test_add_func("/vm-config/schema/public-api", test_public_api);
    g_test_add_func("/vm-config/schema/mac-random", test_mac_random);
    return g_test_run();
}
