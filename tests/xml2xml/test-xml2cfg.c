/* SPDX-License-Identifier: Apache-2.0 */
/* xml2cfg golden tests: tests/xml2cfg/in/N.xml -> VmConfig JSON == out/N.json. */
#include <config.h>

#include <string.h>
#include <json-glib/json-glib.h>

#include "driver/xml/domain-conf.h"
#include "tests/testutil.h"
#include "tests/xml2xml/golden.h"

/*
 * Each input is parsed as a persistent definition and translated with
 * domain_def_to_vmconfig_json().  Besides the golden comparison, the JSON
 * is checked structurally: it parses, has the members vm.create requires,
 * and its numbers match the definition.
 */

static void
check_structure(const char *json, const DomainDef *def)
{
    g_autoptr(JsonParser) parser = json_parser_new();
    g_autoptr(GError) error = NULL;
    JsonObject *root, *cpus, *memory;

    g_assert_true(json_parser_load_from_data(parser, json, -1, &error));
    g_assert_no_error(error);
    root = json_node_get_object(json_parser_get_root(parser));
    g_assert_nonnull(root);
    g_assert_true(json_object_has_member(root, "payload"));
    cpus = json_object_get_object_member(root, "cpus");
    memory = json_object_get_object_member(root, "memory");
    g_assert_cmpint(json_object_get_int_member(cpus, "boot_vcpus"), ==,
                    def->vcpus);
    g_assert_cmpint(json_object_get_int_member(cpus, "max_vcpus"), ==,
                    def->max_vcpus);
    g_assert_cmpint(json_object_get_int_member(memory, "size"), ==,
                    (gint64)def->current_memory_kib * 1024);
    g_assert_true(json_object_has_member(root, "serial"));
    g_assert_true(json_object_has_member(root, "console"));
}

static void
test_xml2cfg(gconstpointer data)
{
    const char *name = data;
    g_autofree char *in_path = g_build_filename(test_top_srcdir(),
                                                "tests/xml2cfg/in", name, NULL);
    g_autofree char *base = g_strndup(name, strlen(name) - 4);
    g_autofree char *out_name = g_strdup_printf("%s.json", base);
    g_autofree char *out_path = g_build_filename(test_top_srcdir(),
                                                 "tests/xml2cfg/out", out_name,
                                                 NULL);
    g_autofree char *xml = NULL;
    g_autofree char *json = NULL;
    g_autofree char *with_nl = NULL;
    g_autoptr(GError) error = NULL;
    g_autoptr(DomainDef) def = NULL;

    g_assert_true(g_file_get_contents(in_path, &xml, NULL, &error));
    def = domain_def_parse_string(xml, DOMAIN_DEF_PARSE_INACTIVE, &error);
    g_assert_no_error(error);
    json = domain_def_to_vmconfig_json(def, &error);
    g_assert_no_error(error);
    check_structure(json, def);
    with_nl = g_strdup_printf("%s\n", json);
    golden_check(out_path, with_nl, NULL, NULL);
}

int
main(int argc, char **argv)
{
    g_autoptr(GPtrArray) in = NULL;

    g_test_init(&argc, &argv, NULL);
    golden_init_schema_dir();
    in = golden_list("tests/xml2cfg/in", ".xml");
    g_assert_cmpuint(in->len, >, 0);
    for (guint i = 0; i < in->len; i++) {
        const char *name = g_ptr_array_index(in, i);
        g_autofree char *path = g_strdup_printf("/xml2cfg/%s", name);

        g_test_add_data_func(path, name, test_xml2cfg);
    }
    return g_test_run();
}
