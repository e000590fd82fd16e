/* SPDX-License-Identifier: Apache-2.0 */
/* CH's FwCfgConfig: its tables, --fw-cfg-config's items=[...], and its rules. */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <gio/gio.h>

#include "common/error-util.h"
#include "config/vm-config-fwcfg.h"
#include "config/vm-config-schema.h"

/*
 * CH keeps the fw_cfg device's config in the payload (vmm/src/vm_config.rs
 * PayloadConfig.fw_cfg_config): the JSON key of the ACPI switch is
 * "acpi_tables", its CLI key "acpi_table".  CH's defaults are all "on";
 * nimbus does not build the firmware's ACPI table loader yet, so
 * acpi_tables accepts only false, which is therefore its default here
 * (docs/devices.md).
 */

#define fc_fail(error, where, ...)                                             \
    nimbus_fail_prefixed(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,       \
                         where, __VA_ARGS__)

void
fw_cfg_item_config_free(FwCfgItemConfig *item)
{
    if (!item)
        return;
    g_free(item->name);
    g_free(item->file);
    g_free(item->string);
    g_free(item);
}

static const VField fw_cfg_item_fields[] = {
    V_STR("name", FwCfgItemConfig, name),
    V_STR("file", FwCfgItemConfig, file, .flags = VF_PATH_R),
    V_STR("string", FwCfgItemConfig, string),
    V_END
};

const VStruct vschema_fw_cfg_item = {
    "FwCfgItem", sizeof(FwCfgItemConfig), fw_cfg_item_fields,
    (GDestroyNotify)fw_cfg_item_config_free, NULL
};

static void
fw_cfg_item_list_free(FwCfgItemListConfig *l)
{
    if (!l)
        return;
    g_clear_pointer(&l->item_list, g_ptr_array_unref);
    g_free(l);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC(FwCfgItemListConfig, fw_cfg_item_list_free)

static const VField fw_cfg_item_list_fields[] = {
    V_LIST("item_list", FwCfgItemListConfig, item_list, &vschema_fw_cfg_item,
           .flags = VF_NO_CLI),
    V_END
};

const VStruct vschema_fw_cfg_item_list = {
    "FwCfgItemList", sizeof(FwCfgItemListConfig), fw_cfg_item_list_fields,
    (GDestroyNotify)fw_cfg_item_list_free, NULL
};

/* items=[name=a,file=b:name=c,string=d]: CH's FwCfgItemList::from_str,
 * items separated by ':' (so neither a file nor a string may contain
 * one), each in the usual key=value grammar. */
static bool
cli_fw_cfg_items(const VmOpts *o, const VField *f, void *member,
                 GError **error)
{
    FwCfgItemListConfig **out = member;
    g_autoptr(FwCfgItemListConfig) list = NULL;
    g_autofree char *value = NULL;
    g_auto(GStrv) parts = NULL;
    const char *option = vm_opts_option(o);
    size_t len;

    if (!vm_opts_get_string(o, "items", &value, error))
        return false;
    if (!value)
        return true;
    len = strlen(value);
    if (len < 2 || value[0] != '[' || value[len - 1] != ']')
        return fc_fail(error, option, "items: expected "
                       "[name=<name>,file=<path>:name=<name>,string=<value>], "
                       "got '%s'", value);
    value[len - 1] = '\0';
    if (!value[1])
        return fc_fail(error, option, "items: the list is empty");
    list = g_new0(FwCfgItemListConfig, 1);
    list->item_list = g_ptr_array_new_with_free_func(
        (GDestroyNotify)fw_cfg_item_config_free);
    parts = g_strsplit(value + 1, ":", -1);
    for (guint i = 0; parts[i]; i++) {
        g_autoptr(FwCfgItemConfig) item = g_new0(FwCfgItemConfig, 1);
        g_autofree char *where = g_strdup_printf("%s items[%u]", option, i);

        if (!vschema_cli_parse(&vschema_fw_cfg_item, where, parts[i], item,
                               error))
            return false;
        if (!item->name)
            return fc_fail(error, where, "name= is required");
        g_ptr_array_add(list->item_list, g_steal_pointer(&item));
    }
    fw_cfg_item_list_free(*out);
    *out = g_steal_pointer(&list);
    return true;
}

void
fw_cfg_config_free(FwCfgConfig *c)
{
    if (!c)
        return;
    fw_cfg_item_list_free(c->items);
    g_free(c);
}

static const VField fw_cfg_fields[] = {
    V_BOOL("e820", FwCfgConfig, e820, true),
    V_BOOL("kernel", FwCfgConfig, kernel, true),
    V_BOOL("cmdline", FwCfgConfig, cmdline, true),
    V_BOOL("initramfs", FwCfgConfig, initramfs, true),
    V_BOOL("acpi_tables", FwCfgConfig, acpi_tables, false,
           .cli = "acpi_table", .flags = VF_UNSUP_NONDEFAULT),
    V_PTR("items", FwCfgConfig, items, &vschema_fw_cfg_item_list,
          .cli_parse = cli_fw_cfg_items),
    V_END
};

const VStruct vschema_fw_cfg = {
    "FwCfgConfig", sizeof(FwCfgConfig), fw_cfg_fields,
    (GDestroyNotify)fw_cfg_config_free, NULL
};

bool
vm_config_parse_fw_cfg(VmConfig *config, const char *arg, GError **error)
{
    g_autoptr(FwCfgConfig) c = vschema_new(&vschema_fw_cfg);

    if (!vschema_cli_parse(&vschema_fw_cfg, "--fw-cfg-config", arg, c, error))
        return false;
    fw_cfg_config_free(config->payload.fw_cfg_config);
    config->payload.fw_cfg_config = g_steal_pointer(&c);
    return true;
}

bool
vm_config_fw_cfg_name_valid(const char *name, const char **why)
{
    g_auto(GStrv) parts = NULL;

    if (!*name) {
        *why = "the name is empty";
        return false;
    }
    if (strlen(name) > VM_CONFIG_FW_CFG_NAME_MAX) {
        *why = "the name is longer than 55 bytes";
        return false;
    }
    if (!g_str_has_prefix(name, VM_CONFIG_FW_CFG_USER_PREFIX)) {
        *why = "the name must start with 'opt/' (other names belong to the "
               "firmware and the VMM)";
        return false;
    }
    for (const char *c = name; *c; c++) {
        if (*c <= ' ' || *c > '~') {
            *why = "the name may hold only printable ASCII without blanks";
            return false;
        }
    }
    /* Linux turns the name into a sysfs path (by_name/opt/...). */
    parts = g_strsplit(name, "/", -1);
    for (guint i = 0; parts[i]; i++) {
        if (!*parts[i] || !strcmp(parts[i], ".") || !strcmp(parts[i], "..")) {
            *why = "the name has an empty, '.' or '..' path component";
            return false;
        }
    }
    return true;
}

static char *
fc_where(VmConfigNames names, guint i)
{
    if (names == VM_CONFIG_NAMES_CLI)
        return g_strdup_printf("--fw-cfg-config items[%u]", i);
    return g_strdup_printf("payload.fw_cfg_config.items.item_list[%u]", i);
}

bool
vm_config_validate_fw_cfg(const PayloadConfig *p, VmConfigNames names,
                          GError **error)
{
    const FwCfgConfig *c = p->fw_cfg_config;
    g_autoptr(GHashTable) seen = NULL;
    GPtrArray *items;

    if (!c || !c->items)
        return true;
    items = c->items->item_list;
    if (!items || !items->len)
        return fc_fail(error, names == VM_CONFIG_NAMES_CLI ?
                       "--fw-cfg-config" : "payload.fw_cfg_config.items",
                       "the item list is empty");
    if (items->len > VM_CONFIG_FW_CFG_ITEMS_MAX)
        return fc_fail(error, names == VM_CONFIG_NAMES_CLI ?
                       "--fw-cfg-config" : "payload.fw_cfg_config.items",
                       "%u items; at most %u", items->len,
                       VM_CONFIG_FW_CFG_ITEMS_MAX);
    seen = g_hash_table_new(g_str_hash, g_str_equal);
    for (guint i = 0; i < items->len; i++) {
        const FwCfgItemConfig *it = g_ptr_array_index(items, i);
        g_autofree char *w = fc_where(names, i);
        const char *why = NULL;

        if (!it->name)
            return fc_fail(error, w, "name is required");
        if (!vm_config_fw_cfg_name_valid(it->name, &why))
            return fc_fail(error, w, "'%s': %s", it->name, why);
        if (!g_hash_table_add(seen, it->name))
            return fc_fail(error, w, "'%s' is named by another item",
                           it->name);
        if (!it->file == !it->string)
            return fc_fail(error, w, "'%s' needs exactly one of file and "
                           "string", it->name);
        if (it->file && !*it->file)
            return fc_fail(error, w, "'%s': the path is empty", it->name);
        if (it->string && strlen(it->string) > VM_CONFIG_FW_CFG_ITEM_SIZE_MAX)
            return fc_fail(error, w, "'%s': the string is longer than %u "
                           "bytes", it->name, VM_CONFIG_FW_CFG_ITEM_SIZE_MAX);
    }
    return true;
}

bool
vm_config_check_host_fw_cfg(const PayloadConfig *p, VmConfigNames names,
                            GError **error)
{
    const FwCfgConfig *c = p->fw_cfg_config;

    if (!c || !c->items || !c->items->item_list)
        return true;
    for (guint i = 0; i < c->items->item_list->len; i++) {
        const FwCfgItemConfig *it = g_ptr_array_index(c->items->item_list, i);
        g_autofree char *w = fc_where(names, i);
        struct stat st;
        int fd;

        if (!it->file)
            continue;
        /* Opened as the device will open it, so that "readable" is a
         * fact; O_NONBLOCK: never wait on a FIFO. */
        fd = open(it->file, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
        if (fd < 0)
            return fc_fail(error, w, "%s: %s", it->file, g_strerror(errno));
        if (fstat(fd, &st) < 0) {
            int e = errno;

            close(fd);
            return fc_fail(error, w, "%s: %s", it->file, g_strerror(e));
        }
        close(fd);
        if (!S_ISREG(st.st_mode))
            return fc_fail(error, w, "%s: not a regular file", it->file);
        if ((uint64_t)st.st_size > VM_CONFIG_FW_CFG_ITEM_SIZE_MAX)
            return fc_fail(error, w, "%s: %" G_GUINT64_FORMAT " bytes; at "
                           "most %u", it->file, (uint64_t)st.st_size,
                           VM_CONFIG_FW_CFG_ITEM_SIZE_MAX);
    }
    return true;
}
