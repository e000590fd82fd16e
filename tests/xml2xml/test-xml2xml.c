/* SPDX-License-Identifier: Apache-2.0 */
/* xml2xml golden tests: in/N.xml -> parse -> format == out/N.xml, and schema checks. */
#include <config.h>

#include <string.h>
#include <libxml/parser.h>
#include <libxml/relaxng.h>

#include "driver/xml/domain-conf.h"
#include "tests/testutil.h"
#include "tests/xml2xml/golden.h"

/*
 * Inputs named *-live.xml are live definitions: parsed without
 * DOMAIN_DEF_PARSE_INACTIVE and printed as the live XML of running domain
 * id 7 (pty paths kept).  Their out/ file is the live output, and
 * out/N-inactive.xml the inactive one.  Every other input is a persistent
 * definition: parsed with PARSE_INACTIVE and printed with FORMAT_INACTIVE,
 * as "virsh define" then "virsh dumpxml --inactive" do.
 */

static char *
read_src(const char *rel)
{
    g_autofree char *path = test_src_path(rel);
    g_autoptr(GError) error = NULL;
    char *contents = NULL;

    g_assert_true(g_file_get_contents(path, &contents, NULL, &error));
    g_assert_no_error(error);
    return contents;
}

static char *
roundtrip(const char *xml, unsigned parse_flags, int id, unsigned format_flags)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(DomainDef) def = domain_def_parse_string(xml, parse_flags, &error);
    char *out;

    g_assert_no_error(error);
    g_assert_nonnull(def);
    out = domain_def_format(def, id, format_flags, &error);
    g_assert_no_error(error);
    return out;
}

static void
test_xml2xml(gconstpointer data)
{
    const char *name = data;
    bool live = g_str_has_suffix(name, "-live.xml");
    g_autofree char *in_rel = g_build_filename("tests/xml2xml/in", name, NULL);
    g_autofree char *out_path = NULL;
    g_autofree char *link = g_build_filename("..", "in", name, NULL);
    g_autofree char *in = read_src(in_rel);
    g_autofree char *out = NULL;
    g_autofree char *again = NULL;
    unsigned pflags = live ? 0 : DOMAIN_DEF_PARSE_INACTIVE;
    unsigned fflags = live ? 0 : DOMAIN_DEF_FORMAT_INACTIVE;
    int id = live ? 7 : -1;

    out_path = g_build_filename(test_top_srcdir(), "tests/xml2xml/out", name,
                                NULL);
    out = roundtrip(in, pflags, id, fflags);
    golden_check(out_path, out, link, in);

    /* The output is a fixed point: parsing it gives it back. */
    again = roundtrip(out, pflags, id, fflags);
    g_assert_cmpstr(again, ==, out);

    if (live) {
        g_autofree char *base = g_strndup(name, strlen(name) - 4);
        g_autofree char *iname = g_strdup_printf("%s-inactive.xml", base);
        g_autofree char *ipath = g_build_filename(test_top_srcdir(),
                                                  "tests/xml2xml/out", iname,
                                                  NULL);
        g_autofree char *inactive =
            roundtrip(in, pflags, id, DOMAIN_DEF_FORMAT_INACTIVE);

        g_assert_null(strstr(inactive, "/dev/pts/"));
        g_assert_null(strstr(inactive, " id='7'"));
        golden_check(ipath, inactive, NULL, NULL);
    }
}

/* Each input and expected output validates against domain.rng on its own,
 * without the parser: the schema alone accepts what nimbusd prints. */
static void
test_schema(gconstpointer data)
{
    const char *rel = data;
    g_autofree char *rng_path = test_src_path("xml-schemas/domain.rng");
    g_autofree char *path = test_src_path(rel);
    xmlRelaxNGParserCtxtPtr pctxt = xmlRelaxNGNewParserCtxt(rng_path);
    xmlRelaxNGPtr rng = xmlRelaxNGParse(pctxt);
    xmlRelaxNGValidCtxtPtr vctxt;
    xmlDocPtr doc;

    g_assert_nonnull(rng);
    doc = xmlReadFile(path, NULL, XML_PARSE_NONET);
    g_assert_nonnull(doc);
    vctxt = xmlRelaxNGNewValidCtxt(rng);
    g_assert_cmpint(xmlRelaxNGValidateDoc(vctxt, doc), ==, 0);
    xmlRelaxNGFreeValidCtxt(vctxt);
    xmlFreeDoc(doc);
    xmlRelaxNGFree(rng);
    xmlRelaxNGFreeParserCtxt(pctxt);
}

int
main(int argc, char **argv)
{
    g_autoptr(GPtrArray) in = NULL;
    g_autoptr(GPtrArray) out = NULL;

    g_test_init(&argc, &argv, NULL);
    golden_init_schema_dir();
    in = golden_list("tests/xml2xml/in", ".xml");
    g_assert_cmpuint(in->len, >, 0);
    for (guint i = 0; i < in->len; i++) {
        const char *name = g_ptr_array_index(in, i);
        g_autofree char *path = g_strdup_printf("/xml2xml/%s", name);
        g_autofree char *spath = g_strdup_printf("/xml2xml/schema/in/%s", name);

        g_test_add_data_func(path, name, test_xml2xml);
        g_test_add_data_func_full(spath,
                                  g_strdup_printf("tests/xml2xml/in/%s", name),
                                  test_schema, g_free);
    }
    /* Regenerating writes out/ first; only then can it be listed. */
    if (g_strcmp0(g_getenv("VMM_TEST_REGENERATE"), "1") != 0) {
        out = golden_list("tests/xml2xml/out", ".xml");
        for (guint i = 0; i < out->len; i++) {
            const char *name = g_ptr_array_index(out, i);
            g_autofree char *spath =
                g_strdup_printf("/xml2xml/schema/out/%s", name);

            g_test_add_data_func_full(spath,
                                      g_strdup_printf("tests/xml2xml/out/%s",
                                                      name),
                                      test_schema, g_free);
        }
    }
    return g_test_run();
}
