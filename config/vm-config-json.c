/* SPDX-License-Identifier: Apache-2.0 */
/* VmConfig from Cloud Hypervisor's VmConfig JSON (vm.create, snapshots). */
#include <config.h>

#include <string.h>
#include <gio/gio.h>

#include "common/json-util.h"
#include "config/vm-config-json-priv.h"

/*
 * Table-driven (vm-config-schema.c): each JSON object of the schema has a
 * table listing every key CH's schema defines (cloud-hypervisor-openapi.yaml,
 * plus the few keys CH itself writes beyond it, such as
 * DiskConfig.disable_io_uring), so an unknown key is an error and an
 * unimplemented one gets a clear "not supported yet" unless it carries its
 * default.  null means "absent" for every key, as serde's Option does.
 * Errors name the JSON path:
 * "disks[1].queue_size: expected an integer between 1 and 32768".
 *
 * json-glib keeps the last of duplicated keys; the document's nesting depth
 * is bounded before json-glib sees it (its parser recurses).
 */

/* A VmConfig is 5 levels deep; anything much deeper is not one. */
#define VM_CONFIG_JSON_MAX_DEPTH 32

DiskConfig *
disk_config_from_json_node(JsonNode *node, GError **error)
{
    g_autoptr(DiskConfig) d = disk_config_new();

    if (!vschema_json_parse(&vschema_disk, node, "", d, error))
        return NULL;
    return g_steal_pointer(&d);
}

NetConfig *
net_config_from_json_node(JsonNode *node, GError **error)
{
    g_autoptr(NetConfig) n = net_config_new();

    if (!vschema_json_parse(&vschema_net, node, "", n, error))
        return NULL;
    return g_steal_pointer(&n);
}

VmConfig *
vm_config_from_json_node(JsonNode *node, GError **error)
{
    g_autoptr(VmConfig) c = vm_config_new();

    if (!vschema_json_parse(&vschema_vm, node, "", c, error))
        return NULL;
    return g_steal_pointer(&c);
}

VmConfig *
vm_config_from_json(const char *json, gssize len, GError **error)
{
    g_autoptr(JsonParser) parser = NULL;
    g_autoptr(GError) err = NULL;
    size_t n;

    if (!json) {
        vm_json_fail(error, "", "empty document");
        return NULL;
    }
    n = len < 0 ? strlen(json) : (size_t)len;
    /* Bounded first: json-glib recurses once per nesting level. */
    if (!json_text_depth_ok(json, n, VM_CONFIG_JSON_MAX_DEPTH)) {
        vm_json_fail(error, "", "nested deeper than %d levels",
                     VM_CONFIG_JSON_MAX_DEPTH);
        return NULL;
    }
    parser = json_parser_new_immutable();
    if (!json_parser_load_from_data(parser, json, (gssize)n, &err)) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                    "invalid JSON: %s", err->message);
        return NULL;
    }
    return vm_config_from_json_node(json_parser_get_root(parser), error);
}
