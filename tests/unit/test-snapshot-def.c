/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests of nimbusd's snapshot metadata (driver/snapshot-def.c). */
#include <config.h>

#include <string.h>
#include <glib.h>
#include <glib/gstdio.h>

#include "driver/drv-error.h"
#include "driver/snapshot-def.h"

static char *
read_data(const char *name)
{
    g_autofree char *path = g_test_build_filename(G_TEST_DIST, "tests", "data",
                                                  "nimbusd-snapshot", name,
                                                  NULL);
    char *text = NULL;

    g_assert_true(g_file_get_contents(path, &text, NULL, NULL));
    return text;
}

/* Golden files: parse, then format gives the same bytes back. */
static void
test_golden(gconstpointer data)
{
    const char *name = data;
    g_autofree char *in = read_data(name);
    g_autoptr(GError) error = NULL;
    g_autoptr(DrvSnapshotDef) def = NULL;
    g_autofree char *out = NULL;

    def = drv_snapshot_def_parse(in, DRV_SNAPSHOT_PARSE_STORED, &error);
    g_assert_no_error(error);
    out = drv_snapshot_def_format(def, NULL);
    g_assert_cmpstr(out, ==, in);
}

static void
test_fields(void)
{
    g_autofree char *in = read_data("stored.xml");
    g_autoptr(DrvSnapshotDef) def = NULL;
    DrvSnapshotDisk *d;

    def = drv_snapshot_def_parse(in, DRV_SNAPSHOT_PARSE_STORED, NULL);
    g_assert_nonnull(def);
    g_assert_cmpstr(def->name, ==, "s2");
    g_assert_cmpstr(def->description, ==, "after the <upgrade> & reboot");
    g_assert_cmpint(def->state, ==, DRV_SNAPSHOT_STATE_PAUSED);
    g_assert_cmpstr(def->parent, ==, "s1");
    g_assert_cmpint(def->creation_time, ==, 1764950000);
    g_assert_true(def->memory);
    g_assert_cmpuint(def->disks->len, ==, 2);
    d = g_ptr_array_index(def->disks, 1);
    g_assert_cmpstr(d->name, ==, "vdb");
    g_assert_false(d->snapshot);
    g_assert_true(g_str_has_prefix(def->domain_xml, "<domain type='kvm'>\n"
                                   "  <name>t</name>"));
    g_assert_true(g_str_has_suffix(def->domain_xml, "\n</domain>"));
}

/* What virsh snapshot-create-as sends. */
static void
test_client(void)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(DrvSnapshotDef) def = NULL;

    def = drv_snapshot_def_parse("<domainsnapshot><name>a b</name>"
                                 "<description>d</description>"
                                 "<memory snapshot='no'/></domainsnapshot>",
                                 0, &error);
    g_assert_no_error(error);
    g_assert_cmpstr(def->name, ==, "a b");
    g_assert_false(def->memory);
    g_assert_null(def->domain_xml);
    g_clear_pointer(&def, drv_snapshot_def_free);
    /* No name: the driver picks one. */
    def = drv_snapshot_def_parse("<domainsnapshot/>", 0, &error);
    g_assert_no_error(error);
    g_assert_null(def->name);
    g_assert_true(def->memory);
}

static const struct {
    const char *xml;
    int code;
    const char *says;
} bad_cases[] = {
    { "", DRV_ERROR_XML_ERROR, "empty" },
    { "<domainsnapshot>", DRV_ERROR_XML_ERROR, "well-formed" },
    { "<snapshot/>", DRV_ERROR_XML_ERROR, "<domainsnapshot>" },
    { "<domainsnapshot><name>a/b</name></domainsnapshot>",
      DRV_ERROR_XML_ERROR, "'a/b'" },
    { "<domainsnapshot><name>.x</name></domainsnapshot>",
      DRV_ERROR_XML_ERROR, "'.x'" },
    { "<domainsnapshot><name></name></domainsnapshot>",
      DRV_ERROR_XML_ERROR, "invalid snapshot name" },
    { "<domainsnapshot><name>a&#9;b</name></domainsnapshot>",
      DRV_ERROR_XML_ERROR, "invalid snapshot name" },
    { "<domainsnapshot><memory snapshot='external' file='/m'/>"
      "</domainsnapshot>", DRV_ERROR_CONFIG_UNSUPPORTED, "'external'" },
    { "<domainsnapshot><disks><disk name='vda' snapshot='external'/>"
      "</disks></domainsnapshot>", DRV_ERROR_CONFIG_UNSUPPORTED, "'vda'" },
    { "<domainsnapshot><disks><disk name='vda'><source file='/x'/></disk>"
      "</disks></domainsnapshot>", DRV_ERROR_CONFIG_UNSUPPORTED, "external" },
    { "<domainsnapshot><disks><disk name='vda'/><disk name='vda'/>"
      "</disks></domainsnapshot>", DRV_ERROR_XML_ERROR, "twice" },
    { "<domainsnapshot><state>running</state></domainsnapshot>",
      DRV_ERROR_CONFIG_UNSUPPORTED, "redefining" },
    { "<domainsnapshot><domain/></domainsnapshot>",
      DRV_ERROR_CONFIG_UNSUPPORTED, "<domain>" },
    { "<domainsnapshot><bogus/></domainsnapshot>",
      DRV_ERROR_XML_ERROR, "<bogus>" },
};

static void
test_bad(void)
{
    for (guint i = 0; i < G_N_ELEMENTS(bad_cases); i++) {
        g_autoptr(GError) error = NULL;
        g_autoptr(DrvSnapshotDef) def = NULL;

        def = drv_snapshot_def_parse(bad_cases[i].xml, 0, &error);
        g_assert_null(def);
        g_assert_error(error, DRV_ERROR, bad_cases[i].code);
        g_test_message("%s -> %s", bad_cases[i].xml, error->message);
        g_assert_nonnull(strstr(error->message, bad_cases[i].says));
    }
}

/* A stored file must be complete; an unknown state is an error. */
static void
test_bad_stored(void)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(DrvSnapshotDef) def = NULL;

    def = drv_snapshot_def_parse("<domainsnapshot><name>a</name>"
                                 "</domainsnapshot>",
                                 DRV_SNAPSHOT_PARSE_STORED, &error);
    g_assert_null(def);
    g_assert_error(error, DRV_ERROR, DRV_ERROR_XML_ERROR);
    g_clear_error(&error);
    def = drv_snapshot_def_parse("<domainsnapshot><state>crashed</state>"
                                 "</domainsnapshot>",
                                 DRV_SNAPSHOT_PARSE_STORED, &error);
    g_assert_null(def);
    g_assert_nonnull(strstr(error->message, "'crashed'"));
}

static void
remove_tree(const char *dir)
{
    g_autoptr(GDir) d = g_dir_open(dir, 0, NULL);
    const char *name;

    while (d && (name = g_dir_read_name(d))) {
        g_autofree char *p = g_build_filename(dir, name, NULL);

        g_assert_cmpint(g_unlink(p), ==, 0);
    }
    g_rmdir(dir);
}

/* Store, load sorted by creation time, the current marker. */
static void
test_store(void)
{
    g_autoptr(GError) error = NULL;
    g_autofree char *tmp = g_dir_make_tmp("test-snapshot-def-XXXXXX", &error);
    g_autofree char *dir = drv_snapshot_dir(tmp, "t");
    g_autofree char *in = read_data("stored.xml");
    g_autofree char *in2 = read_data("shutoff.xml");
    g_autoptr(DrvSnapshotDef) a = drv_snapshot_def_parse(
        in, DRV_SNAPSHOT_PARSE_STORED, NULL);
    g_autoptr(DrvSnapshotDef) b = drv_snapshot_def_parse(
        in2, DRV_SNAPSHOT_PARSE_STORED, NULL);
    g_autoptr(GPtrArray) all = NULL;
    g_autofree char *cur = NULL;
    g_autofree char *path = NULL;
    g_autofree char *text = NULL;

    g_assert_no_error(error);
    all = drv_snapshot_load_all(dir, &error);
    g_assert_no_error(error);
    g_assert_cmpuint(all->len, ==, 0);
    g_clear_pointer(&all, g_ptr_array_unref);
    g_assert_null(drv_snapshot_current_get(dir));

    g_assert_true(drv_snapshot_def_store(dir, b, &error));
    g_assert_true(drv_snapshot_def_store(dir, a, &error));
    g_assert_no_error(error);
    path = drv_snapshot_xml_path(dir, "s2");
    g_assert_true(g_file_get_contents(path, &text, NULL, NULL));
    g_assert_cmpstr(text, ==, in);

    all = drv_snapshot_load_all(dir, &error);
    g_assert_no_error(error);
    g_assert_cmpuint(all->len, ==, 2);
    g_assert_cmpstr(((DrvSnapshotDef *)all->pdata[0])->name, ==, "s2");
    g_assert_cmpstr(((DrvSnapshotDef *)all->pdata[1])->name, ==, "off");
    g_clear_pointer(&all, g_ptr_array_unref);

    g_assert_true(drv_snapshot_current_set(dir, "off", &error));
    cur = drv_snapshot_current_get(dir);
    g_assert_cmpstr(cur, ==, "off");
    g_assert_true(drv_snapshot_current_set(dir, NULL, &error));
    g_assert_true(drv_snapshot_current_set(dir, NULL, &error));
    g_assert_no_error(error);
    g_assert_null(drv_snapshot_current_get(dir));

    /* A file whose name is not its snapshot's is refused, named. */
    g_free(path);
    path = drv_snapshot_xml_path(dir, "other");
    g_assert_true(g_file_set_contents(path, in2, -1, NULL));
    all = drv_snapshot_load_all(dir, &error);
    g_assert_null(all);
    g_assert_nonnull(strstr(error->message, "other.xml"));

    remove_tree(dir);
    g_free(path);
    path = g_build_filename(tmp, "snapshot", NULL);
    g_rmdir(path);
    g_rmdir(tmp);
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_data_func("/nimbusd/snapshot-def/golden/stored",
                         "stored.xml", test_golden);
    g_test_add_data_func("/nimbusd/snapshot-def/golden/shutoff",
                         "shutoff.xml", test_golden);
    g_test_add_func("/nimbusd/snapshot-def/fields", test_fields);
    g_test_add_func("/nimbusd/snapshot-def/client", test_client);
    g_test_add_func("/nimbusd/snapshot-def/bad", test_bad);
    g_test_add_func("/nimbusd/snapshot-def/bad-stored", test_bad_stored);
    g_test_add_func("/nimbusd/snapshot-def/store", test_store);
    return g_test_run();
}
