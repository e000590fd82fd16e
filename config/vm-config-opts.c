/* SPDX-License-Identifier: Apache-2.0 */
/* Cloud Hypervisor's option-value grammar: "key=value,key=[a,b],mode". */
#include <config.h>

#include <errno.h>
#include <string.h>
#include <gio/gio.h>

#include "common/error-util.h"
#include "config/vm-config-opts.h"

/* Elements one list may expand to (CPU lists, fd lists). */
#define VM_OPTS_LIST_MAX 4096

typedef struct {
    char *key;
    char *value;      /* NULL for a bare key */
    char *item;       /* the item as written, for messages */
} VmOptsItem;

struct VmOpts {
    char *option;
    char *arg;        /* the value as given, for messages */
    GPtrArray *items; /* VmOptsItem* */
};

static void
vm_opts_item_free(VmOptsItem *it)
{
    g_free(it->key);
    g_free(it->value);
    g_free(it->item);
    g_free(it);
}

void
vm_opts_free(VmOpts *opts)
{
    if (!opts)
        return;
    g_ptr_array_unref(opts->items);
    g_free(opts->option);
    g_free(opts->arg);
    g_free(opts);
}

const char *
vm_opts_option(const VmOpts *opts)
{
    return opts->option;
}

const char *
vm_opts_arg(const VmOpts *opts)
{
    return opts->arg;
}

/* "--option: message"; returns false. */
#define vm_opts_fail(error, option, ...)                                       \
    nimbus_fail_prefixed(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,       \
                         option, __VA_ARGS__)

/* Removes the double quotes CH allows around a value (not inside lists,
 * whose brackets the list parsers handle). */
static char *
vm_opts_unquote(const char *s, size_t len)
{
    GString *out = g_string_sized_new(len);
    size_t i;

    for (i = 0; i < len; i++) {
        if (s[i] != '"')
            g_string_append_c(out, s[i]);
    }
    return g_string_free(out, FALSE);
}

static bool
vm_opts_add_item(VmOpts *opts, const char *arg, const char *start, size_t len,
                 GError **error)
{
    g_autofree char *item = g_strndup(start, len);
    const char *eq = memchr(start, '=', len);
    VmOptsItem *it;
    guint i;

    if (len == 0)
        return vm_opts_fail(error, opts->option,
                            "empty parameter (a stray comma?) in '%s'", arg);
    if (eq == start)
        return vm_opts_fail(error, opts->option,
                            "invalid parameter '%s': missing key before '='",
                            item);
    it = g_new0(VmOptsItem, 1);
    it->item = g_steal_pointer(&item);
    if (eq) {
        it->key = g_strndup(start, eq - start);
        it->value = vm_opts_unquote(eq + 1, len - (eq + 1 - start));
    } else {
        it->key = g_strndup(start, len);
    }
    for (i = 0; i < opts->items->len; i++) {
        const VmOptsItem *o = g_ptr_array_index(opts->items, i);

        if (strcmp(o->key, it->key) == 0) {
            vm_opts_fail(error, opts->option, "'%s' is given twice", it->key);
            vm_opts_item_free(it);
            return false;
        }
    }
    g_ptr_array_add(opts->items, it);
    return true;
}

/* One pass over the value: quotes toggle, brackets nest, and a comma ends
 * an item only outside both, which is what lets "affinity=[0@[1,2]]" and
 * path="/a,b" through as single items. */
VmOpts *
vm_opts_parse(const char *option, const char *arg, GError **error)
{
    g_autoptr(VmOpts) opts = g_new0(VmOpts, 1);
    const char *p, *start;
    int depth = 0;
    bool quoted = false;

    opts->option = g_strdup(option);
    opts->arg = g_strdup(arg);
    opts->items = g_ptr_array_new_with_free_func(
        (GDestroyNotify)vm_opts_item_free);
    if (!arg || !*arg) {
        vm_opts_fail(error, option, "empty value");
        return NULL;
    }
    /* Everything ends up in JSON (vm.info), which is UTF-8; CH's clap
     * refuses other arguments too. */
    if (!g_utf8_validate(arg, -1, NULL)) {
        g_autofree char *shown = g_utf8_make_valid(arg, -1);

        vm_opts_fail(error, option, "'%s' is not valid UTF-8", shown);
        return NULL;
    }
    /* Split on commas at bracket depth 0 and outside quotes. */
    for (start = p = arg;; p++) {
        if (*p == '"') {
            quoted = !quoted;
        } else if (!quoted && *p == '[') {
            depth++;
        } else if (!quoted && *p == ']') {
            if (--depth < 0) {
                vm_opts_fail(error, option, "unbalanced ']' in '%s'", arg);
                return NULL;
            }
        } else if (*p == '\0' || (*p == ',' && !quoted && depth == 0)) {
            if (quoted || depth) {
                vm_opts_fail(error, option, "unbalanced %s in '%s'",
                             quoted ? "'\"'" : "'['", arg);
                return NULL;
            }
            if (!vm_opts_add_item(opts, arg, start, p - start, error))
                return NULL;
            if (*p == '\0')
                break;
            start = p + 1;
        }
    }
    return g_steal_pointer(&opts);
}

static const VmOptsItem *
vm_opts_find(const VmOpts *opts, const char *key)
{
    guint i;

    for (i = 0; i < opts->items->len; i++) {
        const VmOptsItem *it = g_ptr_array_index(opts->items, i);

        if (strcmp(it->key, key) == 0)
            return it;
    }
    return NULL;
}

bool
vm_opts_has(const VmOpts *opts, const char *key)
{
    return vm_opts_find(opts, key) != NULL;
}

static bool
vm_opts_unsupported_ok(const VmOptUnsupported *u, const VmOptsItem *it)
{
    bool on;

    if (!it->value)
        return false;
    switch (u->kind) {
    case VM_OPT_UNSUP_UNLESS_OFF:
        return vm_opts_str_to_toggle(it->value, &on) && !on;
    case VM_OPT_UNSUP_UNLESS_ON:
        return vm_opts_str_to_toggle(it->value, &on) && on;
    case VM_OPT_UNSUP_UNLESS_STR:
        return g_ascii_strcasecmp(it->value, u->dflt) == 0;
    case VM_OPT_UNSUP_ALWAYS:
    default:
        return false;
    }
}

bool
vm_opts_check_keys(const VmOpts *opts, const char *const *known,
                   const VmOptUnsupported *unsupported, GError **error)
{
    guint i;

    for (i = 0; i < opts->items->len; i++) {
        const VmOptsItem *it = g_ptr_array_index(opts->items, i);
        const VmOptUnsupported *u;
        bool on;

        if (g_strv_contains(known, it->key))
            continue;
        for (u = unsupported; u && u->key; u++) {
            if (strcmp(u->key, it->key) == 0)
                break;
        }
        if (!u || !u->key)
            return vm_opts_fail(error, opts->option, "unknown key '%s'",
                                it->key);
        if (vm_opts_unsupported_ok(u, it))
            continue;
        if ((u->kind == VM_OPT_UNSUP_UNLESS_OFF ||
             u->kind == VM_OPT_UNSUP_UNLESS_ON) &&
            (!it->value || !vm_opts_str_to_toggle(it->value, &on)))
            return vm_opts_fail(error, opts->option, "invalid value '%s': "
                                "expected on, off, true or false", it->item);
        if (u->refused)
            return vm_opts_fail(error, opts->option, "%s is refused: %s",
                                it->item, u->refused);
        return vm_opts_fail(error, opts->option, "%s is not supported yet",
                            it->item);
    }
    return true;
}

/* The value of @key, or NULL with *absent set; a bare key is an error. */
static const char *
vm_opts_value(const VmOpts *opts, const char *key, bool *absent,
              GError **error)
{
    const VmOptsItem *it = vm_opts_find(opts, key);

    *absent = it == NULL;
    if (!it)
        return NULL;
    if (!it->value) {
        vm_opts_fail(error, opts->option, "'%s' needs a value (%s=...)", key,
                     key);
        return NULL;
    }
    return it->value;
}

static bool
vm_opts_invalid(const VmOpts *opts, const char *key, GError **error,
                const char *expected)
{
    const VmOptsItem *it = vm_opts_find(opts, key);

    return vm_opts_fail(error, opts->option, "invalid value '%s': %s",
                        it ? it->item : key, expected);
}

bool
vm_opts_get_flag(const VmOpts *opts, const char *key, bool *present,
                 GError **error)
{
    const VmOptsItem *it = vm_opts_find(opts, key);

    *present = it != NULL;
    if (it && it->value)
        return vm_opts_fail(error, opts->option,
                            "'%s' takes no value (got '%s')", key, it->item);
    return true;
}

bool
vm_opts_get_string(const VmOpts *opts, const char *key, char **out,
                   GError **error)
{
    bool absent;
    const char *v = vm_opts_value(opts, key, &absent, error);

    if (absent)
        return true;
    if (!v)
        return false;
    if (!*v)
        return vm_opts_invalid(opts, key, error, "expected a non-empty value");
    g_free(*out);
    *out = g_strdup(v);
    return true;
}

/* Stricter than strtoull: no sign, no blanks, no trailing junk, and
 * overflow is an error rather than ULLONG_MAX. */
bool
vm_opts_str_to_u64(const char *s, uint64_t *out)
{
    guint64 v;
    char *end = NULL;
    int base = 10;

    if (!s || !g_ascii_isdigit(*s))
        return false;           /* no sign, no blanks */
    if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
        base = 16;
        s += 2;
        if (!g_ascii_isxdigit(*s))
            return false;
    }
    errno = 0;
    v = g_ascii_strtoull(s, &end, base);
    if (errno || *end)
        return false;
    *out = v;
    return true;
}

bool
vm_opts_get_u64(const VmOpts *opts, const char *key, uint64_t min,
                uint64_t max, uint64_t *out, GError **error)
{
    bool absent;
    const char *v = vm_opts_value(opts, key, &absent, error);
    uint64_t n;
    g_autofree char *expected = NULL;

    if (absent)
        return true;
    if (!v)
        return false;
    if (!vm_opts_str_to_u64(v, &n) || n < min || n > max) {
        if (max == G_MAXUINT64 && min == 0)
            expected = g_strdup("expected an integer");
        else if (max == G_MAXUINT64 || max == G_MAXUINT32)
            expected = g_strdup_printf("expected an integer ≥ %"
                                       G_GUINT64_FORMAT, min);
        else
            expected = g_strdup_printf("expected an integer between %"
                                       G_GUINT64_FORMAT " and %"
                                       G_GUINT64_FORMAT, min, max);
        return vm_opts_invalid(opts, key, error, expected);
    }
    *out = n;
    return true;
}

bool
vm_opts_get_u32(const VmOpts *opts, const char *key, uint32_t min,
                uint32_t max, uint32_t *out, GError **error)
{
    uint64_t v = *out;

    if (!vm_opts_get_u64(opts, key, min, max, &v, error))
        return false;
    *out = (uint32_t)v;
    return true;
}

bool
vm_opts_str_to_size(const char *s, uint64_t *out)
{
    g_autofree char *digits = NULL;
    size_t len;
    unsigned shift = 0;
    uint64_t v;

    if (!s || !*s)
        return false;
    len = strlen(s);
    /* CH's ByteSized: K, M, G are binary multiples; we also take T and the
     * lower-case spellings, which nobody would read as decimal units. */
    switch (s[len - 1]) {
    case 'K': case 'k': shift = 10; break;
    case 'M': case 'm': shift = 20; break;
    case 'G': case 'g': shift = 30; break;
    case 'T': case 't': shift = 40; break;
    default: break;
    }
    digits = g_strndup(s, shift ? len - 1 : len);
    if (!vm_opts_str_to_u64(digits, &v))
        return false;
    if (v > ((uint64_t)G_MAXINT64 >> shift))
        return false;
    *out = v << shift;
    return true;
}

bool
vm_opts_get_size(const VmOpts *opts, const char *key, uint64_t *out,
                 GError **error)
{
    bool absent;
    const char *v = vm_opts_value(opts, key, &absent, error);

    if (absent)
        return true;
    if (!v)
        return false;
    if (!vm_opts_str_to_size(v, out))
        return vm_opts_invalid(opts, key, error,
                               "expected a size in bytes with an optional K, "
                               "M, G or T suffix, below 8 EiB");
    return true;
}

/* CH's Toggle, case-insensitive; unlike CH an empty value is an error
 * rather than "off", which is what nobody means by "key=". */
bool
vm_opts_str_to_toggle(const char *s, bool *out)
{
    if (!g_ascii_strcasecmp(s, "on") || !g_ascii_strcasecmp(s, "true")) {
        *out = true;
        return true;
    }
    if (!g_ascii_strcasecmp(s, "off") || !g_ascii_strcasecmp(s, "false")) {
        *out = false;
        return true;
    }
    return false;
}

bool
vm_opts_get_toggle(const VmOpts *opts, const char *key, bool *out,
                   GError **error)
{
    bool absent;
    const char *v = vm_opts_value(opts, key, &absent, error);

    if (absent)
        return true;
    if (!v)
        return false;
    if (!vm_opts_str_to_toggle(v, out))
        return vm_opts_invalid(opts, key, error,
                               "expected on, off, true or false");
    return true;
}

/* "1,2,5-7" (without brackets) appended to @out; false on junk. */
static bool
vm_opts_parse_int_list(const char *s, uint32_t max, GArray *out)
{
    g_auto(GStrv) parts = NULL;
    guint i;

    if (!*s)
        return true;            /* "[]" */
    parts = g_strsplit(s, ",", -1);
    for (i = 0; parts[i]; i++) {
        char *dash = strchr(parts[i], '-');
        uint64_t lo, hi, v;

        if (dash)
            *dash = '\0';
        if (!vm_opts_str_to_u64(parts[i], &lo) ||
            (dash && !vm_opts_str_to_u64(dash + 1, &hi)))
            return false;
        if (!dash)
            hi = lo;
        /* Bounded so that "[0-4000000000]" cannot eat the memory. */
        if (lo > hi || hi > max || hi - lo >= VM_OPTS_LIST_MAX - out->len)
            return false;
        for (v = lo; v <= hi; v++) {
            uint32_t u = (uint32_t)v;

            g_array_append_val(out, u);
        }
    }
    return true;
}

/* Strips one pair of brackets: "[x]" -> "x"; NULL if not bracketed. */
static char *
vm_opts_unbracket(const char *s)
{
    size_t len = strlen(s);

    if (len < 2 || s[0] != '[' || s[len - 1] != ']')
        return NULL;
    return g_strndup(s + 1, len - 2);
}

bool
vm_opts_get_u32_list(const VmOpts *opts, const char *key, uint32_t max,
                     GArray **out, GError **error)
{
    bool absent;
    const char *v = vm_opts_value(opts, key, &absent, error);
    g_autofree char *inner = NULL;
    g_autoptr(GArray) list = g_array_new(FALSE, FALSE, sizeof(uint32_t));
    g_autofree char *expected = NULL;

    if (absent)
        return true;
    if (!v)
        return false;
    inner = vm_opts_unbracket(v);
    if (!inner || strchr(inner, '[') ||
        !vm_opts_parse_int_list(inner, max, list)) {
        expected = g_strdup_printf("expected a list of integers between 0 and "
                                   "%u, like [1,2,5-7]", max);
        return vm_opts_invalid(opts, key, error, expected);
    }
    if (*out)
        g_array_unref(*out);
    *out = g_steal_pointer(&list);
    return true;
}

bool
vm_opts_get_string_list(const VmOpts *opts, const char *key, char ***out,
                        GError **error)
{
    bool absent;
    const char *v = vm_opts_value(opts, key, &absent, error);
    g_autofree char *inner = NULL;
    g_auto(GStrv) list = NULL;

    if (absent)
        return true;
    if (!v)
        return false;
    inner = vm_opts_unbracket(v);
    /* CH splits the list at every comma, so an element cannot hold one;
     * an empty element is a typo, not a value. */
    if (!inner || strchr(inner, '[') || strchr(inner, ']'))
        return vm_opts_invalid(opts, key, error,
                               "expected a list of strings, like [a,b]");
    list = *inner ? g_strsplit(inner, ",", -1) : g_new0(char *, 1);
    for (char **s = list; *s; s++) {
        if (!**s)
            return vm_opts_invalid(opts, key, error,
                                   "expected a list of non-empty strings, "
                                   "like [a,b]");
    }
    g_strfreev(*out);
    *out = g_steal_pointer(&list);
    return true;
}

static void
vm_opts_tuple_free(VmOptsTuple *t)
{
    g_array_unref(t->values);
    g_free(t->name);
    g_free(t);
}

/* "0@[1,2],1@[3]" into @out; false on junk.  @named: the ids are names,
 * not numbers up to @id_max. */
static bool
vm_opts_parse_tuples(const char *s, bool named, uint32_t id_max,
                     uint32_t value_max, GPtrArray *out)
{
    const char *p = s;

    while (*p) {
        const char *at = strchr(p, '@');
        const char *close;
        g_autofree char *id_str = NULL;
        g_autofree char *list = NULL;
        uint64_t id;
        VmOptsTuple *t;

        if (!at || at[1] != '[' || !(close = strchr(at, ']')))
            return false;
        id_str = g_strndup(p, at - p);
        if (named) {
            id = 0;
            if (!*id_str || strpbrk(id_str, "[],@="))
                return false;
            for (guint i = 0; i < out->len; i++) {
                if (g_str_equal(((VmOptsTuple *)out->pdata[i])->name, id_str))
                    return false;
            }
        } else if (!vm_opts_str_to_u64(id_str, &id) || id > id_max) {
            return false;
        }
        list = g_strndup(at + 2, close - (at + 2));
        t = g_new0(VmOptsTuple, 1);
        t->id = (uint32_t)id;
        t->name = g_steal_pointer(&id_str);
        t->values = g_array_new(FALSE, FALSE, sizeof(uint32_t));
        g_ptr_array_add(out, t);
        if (!vm_opts_parse_int_list(list, value_max, t->values))
            return false;
        p = close + 1;
        if (*p == ',')
            p++;
        else if (*p)
            return false;
    }
    return true;
}

static bool
vm_opts_tuples(const VmOpts *opts, const char *key, bool named,
               uint32_t id_max, uint32_t value_max, GPtrArray **out,
               GError **error)
{
    bool absent;
    const char *v = vm_opts_value(opts, key, &absent, error);
    g_autofree char *inner = NULL;
    g_autoptr(GPtrArray) list = g_ptr_array_new_with_free_func(
        (GDestroyNotify)vm_opts_tuple_free);
    g_autofree char *expected = NULL;

    if (absent)
        return true;
    if (!v)
        return false;
    inner = vm_opts_unbracket(v);
    if (!inner ||
        !vm_opts_parse_tuples(inner, named, id_max, value_max, list)) {
        if (named)
            expected = g_strdup_printf("expected a list like "
                                       "[net0@[3,4],net1@[5]] (distinct "
                                       "names, values up to %u)", value_max);
        else
            expected = g_strdup_printf("expected a list like "
                                       "[0@[0,1],1@[2-3]] (ids up to %u, "
                                       "values up to %u)", id_max, value_max);
        return vm_opts_invalid(opts, key, error, expected);
    }
    if (*out)
        g_ptr_array_unref(*out);
    *out = g_steal_pointer(&list);
    return true;
}

bool
vm_opts_get_tuple_list(const VmOpts *opts, const char *key, uint32_t id_max,
                       uint32_t value_max, GPtrArray **out, GError **error)
{
    return vm_opts_tuples(opts, key, false, id_max, value_max, out, error);
}

bool
vm_opts_get_named_tuple_list(const VmOpts *opts, const char *key,
                             uint32_t value_max, GPtrArray **out,
                             GError **error)
{
    return vm_opts_tuples(opts, key, true, 0, value_max, out, error);
}
