/* SPDX-License-Identifier: Apache-2.0 */
/* Defaults, free, deep copy and comparison, walked from the field tables. */
#include <config.h>

#include <string.h>

#include "config/vm-config-schema.h"

uint64_t
vfield_get_uint(const VField *f, const void *obj)
{
    const void *p = vfield_member_const(f, obj);

    switch (f->size) {
    case 1: return *(const uint8_t *)p;
    case 2: return *(const uint16_t *)p;
    case 4: return *(const uint32_t *)p;
    default: return *(const uint64_t *)p;
    }
}

void
vfield_set_uint(const VField *f, void *obj, uint64_t v)
{
    void *p = vfield_member(f, obj);

    switch (f->size) {
    case 1: *(uint8_t *)p = (uint8_t)v; break;
    case 2: *(uint16_t *)p = (uint16_t)v; break;
    case 4: *(uint32_t *)p = (uint32_t)v; break;
    default: *(uint64_t *)p = v; break;
    }
}

bool
vgiven_has(const VGiven *given, const char *name)
{
    guint i;

    for (i = 0; given->s->fields[i].name; i++) {
        if (strcmp(given->s->fields[i].name, name) == 0)
            return given->bits & (G_GUINT64_CONSTANT(1) << i);
    }
    g_critical("%s has no field '%s'", given->s->name, name);
    return false;
}

/* The one place defaults are written: constructors, the JSON parser and
 * the CLI parsers all start from this. */
void
vschema_init(const VStruct *s, void *obj)
{
    const VField *f;

    memset(obj, 0, s->size);
    for (const VField *line = s->fields; line->name; line++) {
        void *p = vfield_member(line, obj);
        VField tmp;

        f = vfield_resolve(line, &tmp);
        switch (f->kind) {
        case VF_BOOL:
            *(bool *)p = f->dflt != 0;
            break;
        case VF_UINT:
            vfield_set_uint(f, obj, f->dflt);
            break;
        case VF_INT_OPT:
            *(int *)p = -1;
            break;
        case VF_ENUM:
            *(int *)p = (int)f->dflt;
            break;
        case VF_STRING:
            *(char **)p = g_strdup(f->dflt_s);
            break;
        case VF_STRUCT:
            vschema_init(f->sub, p);
            break;
        case VF_LIST:
            if (f->flags & VF_NEVER_NULL)
                *(GPtrArray **)p = g_ptr_array_new_with_free_func(
                    f->sub->free);
            break;
        case VF_U32_ARRAY:
            if (f->flags & VF_NEVER_NULL)
                *(GArray **)p = g_array_new(FALSE, FALSE, sizeof(uint32_t));
            break;
        case VF_STRUCT_PTR:
        case VF_FD_ARRAY:
        case VF_STRV:
        case VF_UNSUP:
        case VF_DEVICE:
            break;
        }
    }
}

void *
vschema_new(const VStruct *s)
{
    void *obj = g_malloc(s->size);

    vschema_init(s, obj);
    return obj;
}

void
vschema_clear(const VStruct *s, void *obj)
{
    const VField *f;

    for (const VField *line = s->fields; line->name; line++) {
        void *p = vfield_member(line, obj);
        VField tmp;

        f = vfield_resolve(line, &tmp);
        switch (f->kind) {
        case VF_STRING:
            g_clear_pointer((char **)p, g_free);
            break;
        case VF_STRUCT:
            vschema_clear(f->sub, p);
            break;
        case VF_STRUCT_PTR:
            if (*(void **)p)
                vschema_clear(f->sub, *(void **)p);
            g_clear_pointer((void **)p, g_free);
            break;
        case VF_LIST:
            g_clear_pointer((GPtrArray **)p, g_ptr_array_unref);
            break;
        case VF_U32_ARRAY:
        case VF_FD_ARRAY:
            g_clear_pointer((GArray **)p, g_array_unref);
            break;
        case VF_STRV:
            g_clear_pointer((char ***)p, g_strfreev);
            break;
        default:
            break;
        }
    }
}

/* GArray has no deep copy of its own; the element size is kept. */
static GArray *
array_copy(const GArray *a)
{
    GArray *r;

    if (!a)
        return NULL;
    r = g_array_sized_new(FALSE, FALSE, g_array_get_element_size((GArray *)a),
                          a->len);
    g_array_append_vals(r, a->data, a->len);
    return r;
}

/* After a byte copy of the struct, replaces every owned pointer by a copy
 * of its own, so that the two share nothing. */
static void
vschema_copy_owned(const VStruct *s, void *dst, const void *src)
{
    const VField *f;
    guint i;

    for (const VField *line = s->fields; line->name; line++) {
        void *d = vfield_member(line, dst);
        const void *p = vfield_member_const(line, src);
        VField tmp;

        f = vfield_resolve(line, &tmp);
        switch (f->kind) {
        case VF_STRING:
            *(char **)d = g_strdup(*(char *const *)p);
            break;
        case VF_STRUCT:
            vschema_copy_owned(f->sub, d, p);
            break;
        case VF_STRUCT_PTR:
            if (*(void *const *)p) {
                *(void **)d = g_malloc(f->sub->size);
                vschema_copy(f->sub, *(void **)d, *(void *const *)p);
            }
            break;
        case VF_LIST: {
            const GPtrArray *a = *(GPtrArray *const *)p;
            GPtrArray *r;

            if (!a)
                break;
            r = g_ptr_array_new_full(a->len, f->sub->free);
            for (i = 0; i < a->len; i++) {
                void *e = g_malloc(f->sub->size);

                vschema_copy(f->sub, e, g_ptr_array_index(a, i));
                g_ptr_array_add(r, e);
            }
            *(GPtrArray **)d = r;
            break;
        }
        case VF_U32_ARRAY:
        case VF_FD_ARRAY:
            /* fds are copied as numbers, never dup'ed (vm-config.h). */
            *(GArray **)d = array_copy(*(GArray *const *)p);
            break;
        case VF_STRV:
            *(char ***)d = g_strdupv(*(char **const *)p);
            break;
        default:
            break;
        }
    }
}

void
vschema_copy(const VStruct *s, void *dst, const void *src)
{
    memcpy(dst, src, s->size);
    vschema_copy_owned(s, dst, src);
}

static bool
array_equal(const GArray *a, const GArray *b)
{
    if (!a || !b)
        return a == b;
    /* An empty GArray may have no data at all: memcmp() must not see it. */
    return a->len == b->len &&
           g_array_get_element_size((GArray *)a) ==
           g_array_get_element_size((GArray *)b) &&
           (a->len == 0 ||
            memcmp(a->data, b->data,
                   a->len * g_array_get_element_size((GArray *)a)) == 0);
}

bool
vschema_equal(const VStruct *s, const void *a, const void *b)
{
    const VField *f;
    guint i;

    for (const VField *line = s->fields; line->name; line++) {
        const void *pa = vfield_member_const(line, a);
        const void *pb = vfield_member_const(line, b);
        VField tmp;

        f = vfield_resolve(line, &tmp);
        switch (f->kind) {
        case VF_BOOL:
            if (*(const bool *)pa != *(const bool *)pb)
                return false;
            break;
        case VF_UINT:
            if (vfield_get_uint(f, a) != vfield_get_uint(f, b))
                return false;
            break;
        case VF_INT_OPT:
        case VF_ENUM:
            if (*(const int *)pa != *(const int *)pb)
                return false;
            break;
        case VF_STRING:
            if (g_strcmp0(*(char *const *)pa, *(char *const *)pb) != 0)
                return false;
            break;
        case VF_STRUCT:
            if (!vschema_equal(f->sub, pa, pb))
                return false;
            break;
        case VF_STRUCT_PTR: {
            const void *x = *(void *const *)pa, *y = *(void *const *)pb;

            if ((!x || !y) ? x != y : !vschema_equal(f->sub, x, y))
                return false;
            break;
        }
        case VF_LIST: {
            const GPtrArray *x = *(GPtrArray *const *)pa;
            const GPtrArray *y = *(GPtrArray *const *)pb;

            if (!x || !y) {
                if (x != y)
                    return false;
                break;
            }
            if (x->len != y->len)
                return false;
            for (i = 0; i < x->len; i++) {
                if (!vschema_equal(f->sub, g_ptr_array_index(x, i),
                                   g_ptr_array_index(y, i)))
                    return false;
            }
            break;
        }
        case VF_U32_ARRAY:
        case VF_FD_ARRAY:
            if (!array_equal(*(GArray *const *)pa, *(GArray *const *)pb))
                return false;
            break;
        case VF_STRV: {
            char **x = *(char **const *)pa, **y = *(char **const *)pb;

            if ((!x || !y) ? x != y
                           : !g_strv_equal((const char *const *)x,
                                           (const char *const *)y))
                return false;
            break;
        }
        case VF_UNSUP:
        case VF_DEVICE:
            break;
        }
    }
    return true;
}

static void
paths_walk(const VStruct *s, const void *obj, const char *prefix,
           VmConfigPathFunc func, gpointer data)
{
    static const struct {
        unsigned flag;
        VmPathAccess access;
    } kinds[] = {
        { VF_PATH_R, VM_PATH_READ },
        { VF_PATH_RW, VM_PATH_READ_WRITE },
        { VF_PATH_CREATE, VM_PATH_CREATE },
        { VF_PATH_SOCKET, VM_PATH_SOCKET },
    };

    for (const VField *line = s->fields; line->name; line++) {
        const void *p = vfield_member_const(line, obj);
        g_autofree char *name = prefix ? g_strconcat(prefix, ".", line->name,
                                                     NULL)
                                       : g_strdup(line->name);
        const VField *f;
        VField tmp;

        f = vfield_resolve(line, &tmp);
        switch (f->kind) {
        case VF_STRING:
            for (guint i = 0; i < G_N_ELEMENTS(kinds); i++) {
                const char *v = *(char *const *)p;

                if ((f->flags & kinds[i].flag) && v && *v)
                    func(v, kinds[i].access, name, data);
            }
            break;
        case VF_STRUCT:
            paths_walk(f->sub, p, name, func, data);
            break;
        case VF_STRUCT_PTR:
            if (*(void *const *)p)
                paths_walk(f->sub, *(void *const *)p, name, func, data);
            break;
        case VF_LIST: {
            const GPtrArray *a = *(GPtrArray *const *)p;

            for (guint i = 0; a && i < a->len; i++)
                paths_walk(f->sub, g_ptr_array_index(a, i), name, func, data);
            break;
        }
        default:
            break;
        }
    }
}

void
vschema_paths(const VStruct *s, const void *obj, VmConfigPathFunc func,
              gpointer data)
{
    paths_walk(s, obj, NULL, func, data);
}

void
vm_config_foreach_path(const VmConfig *config, VmConfigPathFunc func,
                       gpointer data)
{
    vschema_paths(&vschema_vm, config, func, data);
}
