/* SPDX-License-Identifier: Apache-2.0 */
/* The device-type registry: its table, and vm.add-*'s refusals before any device is made. */
#include <config.h>

#include <string.h>
#include <gio/gio.h>
#include <json-glib/json-glib.h>

#include "devices/registry.h"
#include "tests/testutil.h"

/* A validated config with one disk, whose image exists. */
static VmConfig *
config_with_disk(void)
{
    g_autofree char *kernel = g_build_filename(test_tmpdir(), "vmlinux", NULL);
    g_autofree char *disk = g_build_filename(test_tmpdir(), "d0.img", NULL);
    g_autofree char *json = NULL;
    g_autoptr(GError) error = NULL;
    VmConfig *c;

    g_assert_true(g_file_set_contents(kernel, "k", -1, NULL));
    g_assert_true(g_file_set_contents(disk, "", -1, NULL));
    json = g_strdup_printf("{\"payload\": {\"kernel\": \"%s\"}, "
                           "\"disks\": [{\"path\": \"%s\", \"id\": \"d0\"}]}",
                           kernel, disk);
    c = vm_config_from_json(json, -1, &error);
    g_assert_no_error(error);
    g_assert_true(vm_config_validate(c, &error));
    g_assert_no_error(error);
    return c;
}

/* Every type is complete, names are unique, and each finds its entries
 * in a config where the JSON key says. */
static void
test_table(void)
{
    const DeviceType *const *types = device_registry_types();
    g_autoptr(VmConfig) c = config_with_disk();
    g_autoptr(JsonNode) json = NULL;
    JsonObject *o;
    guint n = 0;

    /* Empty arrays are not written: give every array an entry, and each
     * kind type one from its example. */
    g_ptr_array_add(c->net, net_config_new());
    for (guint i = 0; types[i]; i++) {
        if (types[i]->kind)
            g_assert_true(device_type_cli_parse(types[i], c,
                                                types[i]->example, NULL));
    }
    json = vm_config_to_json_node(c);
    o = json_node_get_object(json);

    for (guint i = 0; types[i]; i++, n++) {
        const DeviceType *t = types[i];

        g_test_message("type %s", t->name);
        g_assert_nonnull(t->name);
        g_assert_true(g_str_has_prefix(t->cli_option, "--"));
        g_assert_true(json_object_has_member(o, t->json_key));
        /* Accessors of their own, or derived from the config kind. */
        g_assert_true(t->kind ? !t->count && !t->entry && !t->id && t->example
                              : t->count && t->entry && t->id &&
                                t->cli_parse);
        g_assert_nonnull(t->cli_help);
        /* Only the platform's consoles are created by the architecture. */
        g_assert_true(t->create || g_str_equal(t->name, "serial") ||
                      g_str_equal(t->name, "debug-console"));
        /* Hot-added types can parse a body and join a config (a kind
         * type through its kind). */
        g_assert_true(!t->hotplug || t->kind || (t->from_json && t->attach));
        g_assert_true(device_registry_lookup(t->name) == t);
        for (guint j = 0; j < i; j++)
            g_assert_cmpstr(types[j]->name, !=, t->name);
    }
    /* Kind types are created in the order of VmConfig's table, the order
     * vm_config_validate() assigns their PCI slots in. */
    {
        const VmConfigKind *const *kinds = vm_config_kinds();
        guint k = 0;

        for (guint i = 0; types[i]; i++) {
            if (types[i]->kind)
                g_assert_true(kinds[k++] == types[i]->kind);
        }
        g_assert_null(kinds[k]);
    }
    /* The built-in types, at least; kind types come and go with their
     * files. */
    g_assert_cmpuint(n, >=, 6);
    for (guint i = 0; i < 6; i++) {
        static const char *const builtin[] = {
            "serial", "debug-console", "console", "disk", "net", "rng",
        };

        g_assert_nonnull(device_registry_lookup(builtin[i]));
    }
    g_assert_null(device_registry_lookup("floppy"));
    /* The ids the VM's devices get, from the validated config. */
    g_assert_cmpuint(device_registry_lookup("disk")->count(c), ==, 1);
    g_assert_cmpstr(device_registry_lookup("disk")->id(
                        device_registry_lookup("disk")->entry(c, 0)), ==, "d0");
    g_assert_cmpstr(device_registry_lookup("rng")->id(
                        device_registry_lookup("rng")->entry(c, 0)), ==, "__rng");
    g_assert_true(device_registry_lookup("disk")->hotplug);
    g_assert_true(device_registry_lookup("net")->hotplug);
    g_assert_false(device_registry_lookup("rng")->hotplug);
}

typedef struct {
    const char *type;
    const char *body;          /* @D@: the existing disk image's path */
    GQuark domain;
    int code;
    const char *message;
} AddCase;

/* Refused before any device is created (so no VM is needed), leaving the
 * VM's config as it was. */
static void
test_add_refused(void)
{
    const AddCase cases[] = {
        { "floppy", "{}", G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
          "unknown device type 'floppy'" },
        { "rng", "{}", G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
          "rng devices cannot be hot-added" },
        { "disk", "{\"path\": 3}", G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
          "path" },
        /* The rules of vm.create, naming the entry the device would be. */
        { "disk", "{\"path\": \"/x\", \"queue_size\": 2}", G_IO_ERROR,
          G_IO_ERROR_INVALID_ARGUMENT, "disks[1]: queue_size=2" },
        { "disk", "{\"path\": \"/x\", \"id\": \"d0\"}", G_IO_ERROR,
          G_IO_ERROR_EXISTS, "disks[1]: id 'd0' is already used by disks[0]" },
        /* The guest read the VIOT at boot. */
        { "net", "{\"iommu\": true}", G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
          "iommu=on cannot be hot-added" },
        /* And the host checks. */
        { "disk", "{\"path\": \"/nonexistent/x.img\"}", G_IO_ERROR,
          G_IO_ERROR_INVALID_ARGUMENT, "disks[1].path: /nonexistent/x.img" },
        { "disk", "{\"path\": \"@D@\"}", G_IO_ERROR, G_IO_ERROR_EXISTS,
          "is already used by disks[0]" },
    };
    g_autoptr(VmConfig) c = config_with_disk();
    g_autofree char *before = vm_config_to_json(c, false);
    g_autofree char *disk = g_build_filename(test_tmpdir(), "d0.img", NULL);
    DeviceCreateCtx ctx = { 0 };

    for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_autoptr(GError) error = NULL;
        g_autoptr(GString) body = g_string_new(cases[i].body);
        g_autoptr(JsonNode) node = NULL;
        g_autofree char *after = NULL;
        VmConfig *orig = c;

        g_string_replace(body, "@D@", disk, 0);
        node = json_from_string(body->str, &error);
        g_assert_no_error(error);
        g_test_message("add %s %s", cases[i].type, body->str);
        g_assert_null(device_registry_add(&ctx, &c, cases[i].type, node,
                                          NULL, 0, &error));
        g_test_message("-> %s", error->message);
        g_assert_error(error, cases[i].domain, cases[i].code);
        g_assert_nonnull(strstr(error->message, cases[i].message));
        g_assert_true(c == orig);
        after = vm_config_to_json(c, false);
        g_assert_cmpstr(after, ==, before);
    }
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/devices/registry/table", test_table);
    g_test_add_func("/devices/registry/add-refused", test_add_refused);
    return g_test_run();
}
