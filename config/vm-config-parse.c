/* SPDX-License-Identifier: Apache-2.0 */
/* VmConfig from Cloud Hypervisor's CLI option values (--cpus, --disk...). */
#include <config.h>

#include <string.h>
#include <gio/gio.h>

#include "common/error-util.h"
#include "config/vm-config-schema.h"

/*
 * One walker for every option, over the field tables (vm-config-schema.c):
 * the keys an option takes, their syntax and bounds and what is "not
 * supported yet" all come from the table.  Each parser fills fresh
 * defaults and only touches the caller's struct once everything parsed,
 * so a bad value leaves the config as it was.  Rules that involve several
 * fields or the host (boot <= max, files exist) are vm_config_validate()'s,
 * so that JSON configs get them too.
 */

/* "--option: message"; returns false. */
#define parse_fail(error, option, ...)                                         \
    nimbus_fail_prefixed(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,       \
                         option, __VA_ARGS__)

bool
vm_config_parse_size(const char *s, uint64_t *out, GError **error)
{
    if (!vm_opts_str_to_size(s, out)) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                    "invalid size '%s': expected bytes with an optional K, M, "
                    "G or T suffix, below 8 EiB", s ? s : "");
        return false;
    }
    return true;
}

/* Whether @f is a key the CLI accepts only at its default. */
static bool
vfield_cli_unsupported(const VField *f)
{
    return (f->kind == VF_UNSUP && f->unsup != VU_IGNORED) ||
           (f->flags & VF_UNSUP_NONDEFAULT);
}

/* What an unsupported key may carry on the CLI (vm-config-schema.h). */
static VmOptUnsupported
vfield_cli_rule(const VField *f)
{
    VmOptUnsupported u = { vfield_cli_key(f), VM_OPT_UNSUP_ALWAYS, NULL,
                           f->refused };
    bool is_bool = f->kind != VF_UNSUP || f->unsup == VU_BOOL;

    if (f->cli_dflt || (f->kind == VF_UNSUP && f->unsup == VU_STR)) {
        u.kind = VM_OPT_UNSUP_UNLESS_STR;
        u.dflt = f->cli_dflt ? f->cli_dflt : f->dflt_s;
    } else if (is_bool) {
        u.kind = f->dflt ? VM_OPT_UNSUP_UNLESS_ON : VM_OPT_UNSUP_UNLESS_OFF;
    }
    return u;
}

/* Refuses unknown and unsupported keys, with the table's key lists. */
static bool
vschema_cli_check_keys(const VStruct *s, const VmOpts *o, GError **error)
{
    g_autoptr(GPtrArray) known = g_ptr_array_new();
    g_autoptr(GArray) unsup = g_array_new(TRUE, TRUE,
                                          sizeof(VmOptUnsupported));
    const char *const *k;
    const VField *f;

    for (f = s->fields; f->name; f++) {
        if (f->flags & VF_NO_CLI)
            continue;
        if (vfield_cli_unsupported(f)) {
            VmOptUnsupported u = vfield_cli_rule(f);

            g_array_append_val(unsup, u);
        } else if (f->cli_keys) {
            for (k = f->cli_keys; *k; k++)
                g_ptr_array_add(known, (gpointer)*k);
        } else {
            g_ptr_array_add(known, (gpointer)vfield_cli_key(f));
        }
    }
    g_ptr_array_add(known, NULL);
    return vm_opts_check_keys(o, (const char *const *)known->pdata,
                              (const VmOptUnsupported *)(void *)unsup->data,
                              error);
}

static bool
cli_fds(const VmOpts *o, const VField *f, GArray **out, GError **error)
{
    g_autoptr(GArray) fds = NULL;

    if (!vm_opts_get_u32_list(o, vfield_cli_key(f), G_MAXINT, &fds, error))
        return false;
    if (fds && fds->len > VM_CONFIG_NET_QUEUES_MAX / 2)
        return parse_fail(error, vm_opts_option(o), "%s=[...] lists %u fds; "
                          "at most %u (one per queue pair)", vfield_cli_key(f),
                          fds->len, VM_CONFIG_NET_QUEUES_MAX / 2);
    if (fds && fds->len) {
        /* uint32_t and int have the same size; the values are <= INT_MAX. */
        g_clear_pointer(out, g_array_unref);
        *out = g_steal_pointer(&fds);
    }
    return true;
}

/* One field by its kind's generic CLI syntax. */
static bool
vschema_cli_field(const VField *f, const VmOpts *o, void *obj, GError **error)
{
    const char *key = vfield_cli_key(f);
    void *p = vfield_member(f, obj);
    g_autofree char *ignored = NULL;
    uint64_t v;

    if (f->cli_parse)
        return f->cli_parse(o, f, p, error);
    switch (f->kind) {
    case VF_BOOL:
        return vm_opts_get_toggle(o, key, p, error);
    case VF_UINT:
        v = vfield_get_uint(f, obj);
        if (!((f->flags & VF_CLI_SIZE) ?
              vm_opts_get_size(o, key, &v, error) :
              vm_opts_get_u64(o, key, f->min, f->max, &v, error)))
            return false;
        /* Sizes are read without bounds; the table's still apply. */
        if ((f->flags & VF_CLI_SIZE) && vm_opts_has(o, key) &&
            (v < f->min || v > f->max))
            return parse_fail(error, vm_opts_option(o), "invalid value for "
                              "'%s': expected a size between %" G_GUINT64_FORMAT
                              " and %" G_GUINT64_FORMAT " bytes", key, f->min,
                              f->max);
        vfield_set_uint(f, obj, v);
        return true;
    case VF_INT_OPT:
        v = G_MAXUINT64;
        if (!vm_opts_get_u64(o, key, f->min, f->max, &v, error))
            return false;
        if (v != G_MAXUINT64)
            *(int *)p = (int)v;
        return true;
    case VF_STRING:
        return vm_opts_get_string(o, key, p, error);
    case VF_FD_ARRAY:
        return cli_fds(o, f, p, error);
    case VF_U32_ARRAY:
        /* "[0,2-3]" (ranges expand), each value at most the table's max. */
        return vm_opts_get_u32_list(o, key, (uint32_t)f->max, p, error);
    case VF_STRV:
        return vm_opts_get_string_list(o, key, p, error);
    case VF_UNSUP:
        /* VU_IGNORED: any non-empty value, dropped (see its table line). */
        return vm_opts_get_string(o, key, &ignored, error);
    default:
        /* A table bug: every other kind needs a .cli_parse hook. */
        g_critical("%s: field '%s' has no CLI syntax", vm_opts_option(o),
                   f->name);
        return parse_fail(error, vm_opts_option(o), "'%s' cannot be parsed",
                          key);
    }
}

/* Whether the CLI named @f (one of its keys). */
static bool
vfield_cli_given(const VField *f, const VmOpts *o)
{
    const char *const *k;

    if (!f->cli_keys)
        return vm_opts_has(o, vfield_cli_key(f));
    for (k = f->cli_keys; *k; k++) {
        if (vm_opts_has(o, *k))
            return true;
    }
    return false;
}

bool
vschema_cli_parse(const VStruct *s, const char *option, const char *arg,
                  void *obj, GError **error)
{
    g_autoptr(VmOpts) o = vm_opts_parse(option, arg, error);
    VGiven given = { s, 0 };
    const VField *f;
    guint i, pass;

    if (!o || !vschema_cli_check_keys(s, o, error))
        return false;
    /* Two passes: fields read through bare keys (console modes) first, as
     * they decide what the other keys mean ("tty,file" is two modes before
     * it is a file without a path); then the rest in table order. */
    for (pass = 0; pass < 2; pass++) {
        for (i = 0; s->fields[i].name; i++) {
            f = &s->fields[i];
            if ((f->flags & VF_NO_CLI) || vfield_cli_unsupported(f) ||
                (pass == 0) != (f->cli_keys != NULL))
                continue;
            if (!vschema_cli_field(f, o, obj, error))
                return false;
            if (vfield_cli_given(f, o))
                given.bits |= G_GUINT64_CONSTANT(1) << i;
        }
    }
    for (i = 0; s->fields[i].name; i++) {
        f = &s->fields[i];
        if ((f->flags & VF_CLI_REQUIRED) &&
            !(given.bits & (G_GUINT64_CONSTANT(1) << i)))
            return parse_fail(error, option, "%s=%s is required in '%s'",
                              vfield_cli_key(f), f->cli_meta, arg);
    }
    if (s->fixup)
        s->fixup(obj, &given);
    return true;
}

/* Parses into fresh defaults, then replaces *@out (a @s) on success. */
static bool
cli_parse_replace(const VStruct *s, const char *option, const char *arg,
                  void *out, GError **error)
{
    g_autofree void *tmp = vschema_new(s);

    if (!vschema_cli_parse(s, option, arg, tmp, error)) {
        vschema_clear(s, tmp);
        return false;
    }
    vschema_clear(s, out);
    memcpy(out, tmp, s->size);
    return true;
}

/* A new @s from @arg (transfer full), NULL on error. */
static void *
cli_parse_new(const VStruct *s, const char *option, const char *arg,
              GError **error)
{
    void *obj = vschema_new(s);

    if (!vschema_cli_parse(s, option, arg, obj, error)) {
        s->free(obj);
        return NULL;
    }
    return obj;
}

bool
vm_config_parse_cpus(CpusConfig *cpus, const char *arg, GError **error)
{
    return cli_parse_replace(&vschema_cpus, "--cpus", arg, cpus, error);
}

bool
vm_config_parse_memory(MemoryConfig *mem, const char *arg, GError **error)
{
    /* The zones come from --memory-zone, in any order with --memory:
     * kept across the replacement (its table has no CLI key for them). */
    GPtrArray *zones = g_steal_pointer(&mem->zones);
    bool ok = cli_parse_replace(&vschema_memory, "--memory", arg, mem, error);

    g_clear_pointer(&mem->zones, g_ptr_array_unref);
    mem->zones = zones;
    return ok;
}

bool
vm_config_parse_console(ConsoleConfig *con, const char *option,
                        const char *arg, GError **error)
{
    const VStruct *s;

    if (strcmp(option, "--serial") == 0) {
        s = &vschema_serial;
    } else if (strcmp(option, "--console") == 0) {
        s = &vschema_console;
    } else if (strcmp(option, "--debug-console") == 0) {
        s = &vschema_debug_console;
    } else {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                    "%s: not a console option", option);
        return false;
    }
    return cli_parse_replace(s, option, arg, con, error);
}

DiskConfig *
vm_config_parse_disk(const char *arg, GError **error)
{
    g_autoptr(DiskConfig) disk = cli_parse_new(&vschema_disk, "--disk", arg,
                                               error);

    /* CH: an image path, unless a vhost-user back end serves the disk
     * (then the socket is required instead: vm_config_validate()). */
    if (disk && !disk->path && !disk->vhost_user) {
        parse_fail(error, "--disk", "path=<image> is required in '%s'", arg);
        return NULL;
    }
    return g_steal_pointer(&disk);
}

NetConfig *
vm_config_parse_net(const char *arg, GError **error)
{
    return cli_parse_new(&vschema_net, "--net", arg, error);
}

bool
vm_config_parse_rng(RngConfig *rng, const char *arg, GError **error)
{
    return cli_parse_replace(&vschema_rng, "--rng", arg, rng, error);
}

bool
vm_config_parse_landlock_rule(VmConfig *config, const char *arg,
                              GError **error)
{
    LandlockConfig *rule = cli_parse_new(&vschema_landlock,
                                         "--landlock-rules", arg, error);

    if (!rule)
        return false;
    if (!config->landlock_rules)
        config->landlock_rules =
            g_ptr_array_new_with_free_func(vschema_landlock.free);
    g_ptr_array_add(config->landlock_rules, rule);
    return true;
}
