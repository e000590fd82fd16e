/* SPDX-License-Identifier: Apache-2.0 */
/* Device config kinds: registration and the accessors over VmConfig.devices. */
#include <config.h>

#include <stddef.h>
#include <string.h>
#include <gio/gio.h>

#include "common/error-util.h"
#include "config/vm-config-kind.h"
#include "config/vm-config-schema.h"

/*
 * Registered once at start-up, before any thread or config exists, and
 * only read afterwards: a plain table, indexed by the slot of the kind's
 * V_DEVICE line.
 */
static const VmConfigKind *kinds_by_slot[VM_CONFIG_DEVICE_SLOTS];
/* The same kinds in table order, NULL-terminated (vm_config_kinds()). */
static const VmConfigKind *kinds_ordered[VM_CONFIG_DEVICE_SLOTS + 1];

static guint
vfield_slot(const VField *f)
{
    return (guint)((f->offset - offsetof(VmConfig, devices)) /
                   sizeof(GPtrArray *));
}

static const VField *
kind_field(const char *json_key)
{
    const VField *f;

    for (f = vschema_vm.fields; f->name; f++) {
        if (f->kind == VF_DEVICE && strcmp(f->name, json_key) == 0)
            return f;
    }
    return NULL;
}

void
vm_config_kind_register(const VmConfigKind *kind)
{
    const VField *f = kind_field(kind->json_key);
    guint n = 0;

    if (!f || !kind->fields || !kind->fields->free) {
        g_critical("device kind '%s': no V_DEVICE line of that name in "
                   "VmConfig's table, or no field table with a free "
                   "function", kind->json_key);
        return;
    }
    kinds_by_slot[vfield_slot(f)] = kind;
    for (f = vschema_vm.fields; f->name; f++) {
        if (f->kind == VF_DEVICE && kinds_by_slot[vfield_slot(f)])
            kinds_ordered[n++] = kinds_by_slot[vfield_slot(f)];
    }
    kinds_ordered[n] = NULL;
}

const VmConfigKind *
vm_config_kind_lookup(const char *json_key)
{
    const VField *f = json_key ? kind_field(json_key) : NULL;

    return f ? kinds_by_slot[vfield_slot(f)] : NULL;
}

const VmConfigKind *const *
vm_config_kinds(void)
{
    return kinds_ordered;
}

const VField *
vfield_resolve(const VField *f, VField *tmp)
{
    const VmConfigKind *kind;

    if (f->kind != VF_DEVICE)
        return f;
    *tmp = *f;
    kind = kinds_by_slot[vfield_slot(f)];
    if (kind) {
        tmp->kind = VF_LIST;
        tmp->sub = kind->fields;
    } else {
        tmp->kind = VF_UNSUP;
        tmp->unsup = VU_EMPTY;
    }
    return tmp;
}

static GPtrArray **
kind_list(const VmConfig *config, const VmConfigKind *kind)
{
    const VField *f = kind_field(kind->json_key);

    return (GPtrArray **)&config->devices[vfield_slot(f)];
}

bool
vm_config_kind_single(const VmConfigKind *kind)
{
    return (kind_field(kind->json_key)->flags & VF_SINGLE) != 0;
}

guint
vm_config_kind_count(const VmConfig *config, const VmConfigKind *kind)
{
    GPtrArray *list = *kind_list(config, kind);

    return list ? list->len : 0;
}

gpointer
vm_config_kind_entry(const VmConfig *config, const VmConfigKind *kind, guint i)
{
    return g_ptr_array_index(*kind_list(config, kind), i);
}

const char *
vm_config_kind_id(const VmConfigKind *kind, gconstpointer entry)
{
    const VField *f;

    for (f = kind->fields->fields; f->name; f++) {
        if (f->kind == VF_STRING && strcmp(f->name, "id") == 0)
            return *(char *const *)vfield_member_const(f, entry);
    }
    return NULL;
}

void
vm_config_kind_append(VmConfig *config, const VmConfigKind *kind,
                      gpointer entry)
{
    GPtrArray **list = kind_list(config, kind);

    if (!*list)
        *list = g_ptr_array_new_with_free_func(kind->fields->free);
    if (vm_config_kind_single(kind))
        g_ptr_array_set_size(*list, 0);
    g_ptr_array_add(*list, entry);
}

void
vm_config_kind_remove(VmConfig *config, const VmConfigKind *kind, guint i)
{
    GPtrArray **list = kind_list(config, kind);

    g_ptr_array_remove_index(*list, i);
    if (!(*list)->len)
        g_clear_pointer(list, g_ptr_array_unref);
}

void
vm_config_kind_entry_free(const VmConfigKind *kind, gpointer entry)
{
    if (entry)
        kind->fields->free(entry);
}

gpointer
vm_config_kind_from_json(const VmConfigKind *kind, JsonNode *node,
                         GError **error)
{
    gpointer entry = vschema_new(kind->fields);

    if (!vschema_json_parse(kind->fields, node, "", entry, error)) {
        kind->fields->free(entry);
        return NULL;
    }
    return entry;
}

gpointer
vm_config_kind_parse_cli(const VmConfigKind *kind, const char *arg,
                         GError **error)
{
    gpointer entry = vschema_new(kind->fields);

    if (!vschema_cli_parse(kind->fields, kind->cli_option, arg, entry,
                           error)) {
        kind->fields->free(entry);
        return NULL;
    }
    return entry;
}

/* ---- For validation (vm-config-priv.h) ------------------------------------ */

char *
vm_config_kind_where(const VmConfigKind *kind, VmConfigNames names, guint i)
{
    if (names == VM_CONFIG_NAMES_CLI)
        return g_strdup(kind->cli_option);
    if (kind_field(kind->json_key)->flags & VF_SINGLE)
        return g_strdup(kind->json_key);
    return g_strdup_printf("%s[%u]", kind->json_key, i);
}

int
vm_config_kind_pci_device_id(const VmConfigKind *kind, gconstpointer entry)
{
    const VField *f;

    for (f = kind->fields->fields; f->name; f++) {
        if (f->kind == VF_INT_OPT && strcmp(f->name, "pci_device_id") == 0)
            return *(const int *)vfield_member_const(f, entry);
    }
    return -1;
}

/* Runs @hook of every kind on each of its entries. */
static bool
kinds_run(const VmConfig *config, VmConfigNames names, bool host,
          GError **error)
{
    for (guint k = 0; kinds_ordered[k]; k++) {
        const VmConfigKind *kind = kinds_ordered[k];
        guint n = vm_config_kind_count(config, kind);

        for (guint i = 0; i < n; i++) {
            g_autofree char *where = vm_config_kind_where(kind, names, i);
            VmConfigKindCtx ctx = { names, where };
            gconstpointer e = vm_config_kind_entry(config, kind, i);

            if (!host && kind->validate &&
                !kind->validate(config, e, &ctx, error))
                return false;
            if (host && kind->check_host &&
                !kind->check_host(config, e, &ctx, error))
                return false;
        }
    }
    return true;
}

bool
vm_config_kinds_validate(const VmConfig *config, VmConfigNames names,
                         GError **error)
{
    return kinds_run(config, names, false, error);
}

bool
vm_config_kinds_check_host(const VmConfig *config, VmConfigNames names,
                           GError **error)
{
    return kinds_run(config, names, true, error);
}

bool
vm_config_kinds_id_used(const VmConfig *config, const char *id)
{
    for (guint k = 0; kinds_ordered[k]; k++) {
        guint n = vm_config_kind_count(config, kinds_ordered[k]);

        for (guint i = 0; i < n; i++) {
            gconstpointer e = vm_config_kind_entry(config, kinds_ordered[k], i);

            if (g_strcmp0(vm_config_kind_id(kinds_ordered[k], e), id) == 0)
                return true;
        }
    }
    return false;
}

void
vm_config_kinds_fill_ids(VmConfig *config)
{
    for (guint k = 0; kinds_ordered[k]; k++) {
        const VmConfigKind *kind = kinds_ordered[k];
        guint n = vm_config_kind_count(config, kind);
        const VField *f;

        for (f = kind->fields->fields; f->name; f++) {
            if (f->kind == VF_STRING && strcmp(f->name, "id") == 0)
                break;
        }
        for (guint i = 0; f->name && i < n; i++) {
            char **id = vfield_member(f, vm_config_kind_entry(config, kind, i));

            if (!*id)
                *id = kind->default_id ? g_strdup(kind->default_id) :
                      vm_config_next_device_id(config, kind->id_prefix);
        }
    }
}

bool
vm_config_require_shared_memory(const VmConfig *config, const char *where,
                                GError **error)
{
    if (config->memory.shared)
        return true;
    return nimbus_fail_prefixed(error, G_IO_ERROR,
                                G_IO_ERROR_INVALID_ARGUMENT, where,
                                "using vhost-user requires shared memory: "
                                "add --memory shared=on");
}

bool
vm_config_check_queue_size(const char *where, const char *key, uint64_t size,
                           uint64_t min, uint64_t max, GError **error)
{
    if (size >= min && size <= max && !(size & (size - 1)))
        return true;
    return nimbus_fail_prefixed(error, G_IO_ERROR,
                                G_IO_ERROR_INVALID_ARGUMENT, where,
                                "%s=%" G_GUINT64_FORMAT ": expected a power "
                                "of two between %" G_GUINT64_FORMAT " and %"
                                G_GUINT64_FORMAT, key, size, min, max);
}
