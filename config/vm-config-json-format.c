/* SPDX-License-Identifier: Apache-2.0 */
/* VmConfig to CH's VmConfig JSON (vm.info, snapshots), from the tables. */
#include <config.h>

#include <string.h>

#include "config/vm-config-schema.h"

/*
 * Every field nimbus implements is written, defaults included, with CH's
 * key names and enum spellings, in CH's struct order.  Optional values that
 * are unset (CH's None) are left out rather than written as null: the
 * OpenAPI schema does not allow null for them, and CH's parser treats an
 * absent key and null alike.  Keys of features nimbus does not implement
 * are not written (their defaults are what "absent" means to CH).  Net fds
 * are written as -1 placeholders (see vm-config.h).  The tables
 * (vm-config-schema.c) list fields in CH's order, the output's order.
 */

static void vschema_json_object(const VStruct *s, JsonBuilder *b,
                                const void *obj);

static void
add_u32_array(JsonBuilder *b, const GArray *a)
{
    guint i;

    json_builder_begin_array(b);
    for (i = 0; a && i < a->len; i++)
        json_builder_add_int_value(b, g_array_index(a, uint32_t, i));
    json_builder_end_array(b);
}

/* Whether @f is left out of the output (CH's None, or an empty list). */
static bool
vfield_omitted(const VField *f, const void *obj)
{
    const void *p = vfield_member_const(f, obj);

    if (f->kind == VF_UNSUP || (f->flags & (VF_NO_JSON | VF_NO_FORMAT)))
        return true;
    switch (f->kind) {
    case VF_BOOL:
        return (f->flags & VF_OMIT_DEFAULT) &&
               *(const bool *)p == (f->dflt != 0);
    case VF_UINT:
        return (f->flags & VF_OMIT_DEFAULT) &&
               vfield_get_uint(f, obj) == f->dflt;
    case VF_INT_OPT:
        return *(const int *)p < 0;
    case VF_ENUM:
        return !f->venum->to_string(*(const int *)p) ||
               ((f->flags & VF_OMIT_DEFAULT) &&
                *(const int *)p == (int)f->dflt);
    case VF_STRING:
    case VF_STRUCT_PTR:
    case VF_FD_ARRAY:
    case VF_U32_ARRAY:
    case VF_STRV:
        return !*(void *const *)p;
    case VF_LIST:
        return !*(void *const *)p ||
               ((f->flags & (VF_OMIT_DEFAULT | VF_SINGLE)) &&
                !(*(GPtrArray *const *)p)->len);
    default:
        return false;
    }
}

static void
vschema_json_field(const VField *f, JsonBuilder *b, const void *obj)
{
    const void *p = vfield_member_const(f, obj);
    guint i;

    json_builder_set_member_name(b, f->name);
    switch (f->kind) {
    case VF_BOOL:
        json_builder_add_boolean_value(b, *(const bool *)p);
        break;
    case VF_UINT:
        json_builder_add_int_value(b, (int64_t)vfield_get_uint(f, obj));
        break;
    case VF_INT_OPT:
        json_builder_add_int_value(b, *(const int *)p);
        break;
    case VF_ENUM:
        json_builder_add_string_value(b, f->venum->to_string(*(const int *)p));
        break;
    case VF_STRING:
        json_builder_add_string_value(b, *(char *const *)p);
        break;
    case VF_STRUCT:
        vschema_json_object(f->sub, b, p);
        break;
    case VF_STRUCT_PTR:
        vschema_json_object(f->sub, b, *(void *const *)p);
        break;
    case VF_LIST: {
        const GPtrArray *a = *(GPtrArray *const *)p;

        if (f->flags & VF_SINGLE) {
            vschema_json_object(f->sub, b, g_ptr_array_index((GPtrArray *)a,
                                                             0));
            break;
        }
        json_builder_begin_array(b);
        for (i = 0; i < a->len; i++)
            vschema_json_object(f->sub, b, g_ptr_array_index((GPtrArray *)a,
                                                             i));
        json_builder_end_array(b);
        break;
    }
    case VF_U32_ARRAY:
        add_u32_array(b, *(GArray *const *)p);
        break;
    case VF_STRV:
        json_builder_begin_array(b);
        for (char *const *v = *(char **const *)p; *v; v++)
            json_builder_add_string_value(b, *v);
        json_builder_end_array(b);
        break;
    case VF_FD_ARRAY:
        /* Placeholders: the numbers mean nothing outside this process. */
        json_builder_begin_array(b);
        for (i = 0; i < (*(GArray *const *)p)->len; i++)
            json_builder_add_int_value(b, -1);
        json_builder_end_array(b);
        break;
    case VF_UNSUP:
    case VF_DEVICE:
        break;
    }
}

static void
vschema_json_object(const VStruct *s, JsonBuilder *b, const void *obj)
{
    json_builder_begin_object(b);
    vschema_json_format(s, b, obj);
    json_builder_end_object(b);
}

void
vschema_json_format(const VStruct *s, JsonBuilder *b, const void *obj)
{
    const VField *f;

    for (f = s->fields; f->name; f++) {
        VField tmp;
        const VField *r = vfield_resolve(f, &tmp);

        if (!vfield_omitted(r, obj))
            vschema_json_field(r, b, obj);
    }
}

JsonNode *
vm_config_to_json_node(const VmConfig *c)
{
    g_autoptr(JsonBuilder) b = json_builder_new();

    vschema_json_object(&vschema_vm, b, c);
    return json_builder_get_root(b);
}

char *
vm_config_to_json(const VmConfig *config, bool pretty)
{
    g_autoptr(JsonGenerator) gen = json_generator_new();
    g_autoptr(JsonNode) root = vm_config_to_json_node(config);

    json_generator_set_pretty(gen, pretty);
    json_generator_set_indent(gen, 2);
    json_generator_set_root(gen, root);
    return json_generator_to_data(gen, NULL);
}
