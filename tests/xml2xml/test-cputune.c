/* SPDX-License-Identifier: Apache-2.0 */
/* <cputune>: cpuset syntax, bad input, the pin accessors and the host check. */
#include <config.h>

#include <string.h>

#include "devices/registry.h"
#include "driver/xml/cputune.h"
#include "tests/xml2xml/golden.h"

#define HEAD "<domain type='kvm'><name>t</name>" \
             "<uuid>c7a5fdbd-edaf-4455-926a-d65c16db1809</uuid>" \
             "<memory unit='MiB'>256</memory><vcpu current='2'>4</vcpu>" \
             "<os><type arch='x86_64'>hvm</type>" \
             "<kernel>/boot/vmlinux</kernel></os>"
#define TUNE(body) HEAD "<cputune>" body "</cputune></domain>"

typedef struct {
    const char *name;
    const char *xml;
    DrvErrorCode code;
    const char *message;    /* substring of the error message */
} BadCase;

static const BadCase bad_cases[] = {
    { "vcpu-out-of-range", TUNE("<vcpupin vcpu='4' cpuset='0'/>"),
      DRV_ERROR_INVALID_ARG,
      "vcpupin: vcpu 4 is out of range of maximum vcpu count 4" },
    { "duplicate", TUNE("<vcpupin vcpu='1' cpuset='0'/>"
                        "<vcpupin vcpu='1' cpuset='1'/>"),
      DRV_ERROR_XML_ERROR, "duplicate vcpupin for vcpu '1'" },
    { "two-emulatorpins", TUNE("<emulatorpin cpuset='0'/>"
                               "<emulatorpin cpuset='1'/>"),
      DRV_ERROR_XML_ERROR, "only one emulatorpin is supported" },
    /* The schema's words: libxml2 does not name the attribute. */
    { "no-cpuset", TUNE("<vcpupin vcpu='0'/>"), DRV_ERROR_XML_ERROR,
      "/domain/cputune/vcpupin (line 1): Element vcpupin failed to "
      "validate attributes" },
    { "no-vcpu", TUNE("<vcpupin cpuset='0'/>"), DRV_ERROR_XML_ERROR,
      "/domain/cputune/vcpupin (line 1): Element vcpupin failed to "
      "validate attributes" },
    { "cpuset-syntax", TUNE("<emulatorpin cpuset='0-'/>"),
      DRV_ERROR_XML_ERROR, "/domain/cputune/emulatorpin (line 1): "
      "Element emulatorpin failed to validate attributes" },
    { "cpuset-reversed", TUNE("<vcpupin vcpu='0' cpuset='3-1'/>"),
      DRV_ERROR_INVALID_ARG,
      "Failed to parse bitmap '3-1' in /domain/cputune/vcpupin: bad item" },
    { "cpuset-too-big", TUNE("<emulatorpin cpuset='1024'/>"),
      DRV_ERROR_INVALID_ARG, "Failed to parse bitmap '1024'" },
    { "cpuset-empty", TUNE("<vcpupin vcpu='0' cpuset='1,^1'/>"),
      DRV_ERROR_INVALID_ARG,
      "Invalid value of 'cpuset' in /domain/cputune/vcpupin: '1,^1' names "
      "no CPU" },
    { "shares", TUNE("<shares>2048</shares>"), DRV_ERROR_CONFIG_UNSUPPORTED,
      "cputune element 'shares' is not supported by nimbus" },
    { "iothreadpin", TUNE("<iothreadpin iothread='1' cpuset='0'/>"),
      DRV_ERROR_CONFIG_UNSUPPORTED, "cputune element 'iothreadpin'" },
};

static void
test_bad(gconstpointer data)
{
    const BadCase *c = data;
    g_autoptr(GError) error = NULL;
    g_autoptr(DomainDef) def =
        domain_def_parse_string(c->xml, DOMAIN_DEF_PARSE_INACTIVE, &error);

    g_assert_null(def);
    g_assert_nonnull(error);
    g_test_message("%s: [%d] %s", c->name, error->code, error->message);
    g_assert_true(error->domain == DRV_ERROR);
    g_assert_cmpint(error->code, ==, c->code);
    if (!strstr(error->message, c->message)) {
        g_test_message("expected the message to contain: %s", c->message);
        g_test_fail();
    }
}

/* Parse then print: libvirt's canonical form. */
static void
test_cpuset(void)
{
    static const char *const cases[][2] = {
        { "0", "0" },
        { "3,1,2", "1-3" },
        { "0-3,^2", "0-1,3" },
        { "^2,0-3", "0-1,3" },
        { "7-8,1", "1,7-8" },
        { "0-1023", "0-1023" },
        { " 4 , 5", "4-5" },
    };
    static const char *const bad[] = {
        "", ",", "a", "1-", "-1", "1-2-3", "^1-2", "2-1", "1024", "-",
    };

    for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_autoptr(GError) error = NULL;
        g_autoptr(GArray) cpus = domain_cpuset_parse(cases[i][0], &error);
        g_autofree char *str = NULL;

        g_assert_no_error(error);
        str = domain_cpuset_format(cpus);
        g_assert_cmpstr(str, ==, cases[i][1]);
    }
    for (guint i = 0; i < G_N_ELEMENTS(bad); i++) {
        g_autoptr(GError) error = NULL;
        g_autoptr(GArray) cpus = domain_cpuset_parse(bad[i], &error);

        g_test_message("'%s': %s", bad[i], error ? error->message : "-");
        g_assert_null(cpus);
        g_assert_error(error, DRV_ERROR, DRV_ERROR_INVALID_ARG);
    }
}

static GArray *
cpus_of(const char *str)
{
    g_autoptr(GError) error = NULL;
    GArray *cpus = domain_cpuset_parse(str, &error);

    g_assert_no_error(error);
    return cpus;
}

/* What vcpupin/emulatorpin --config do to a definition, and the copy
 * (format + parse) keeping it. */
static void
test_accessors(void)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(DomainDef) def = domain_def_parse_string(
        TUNE("<vcpupin vcpu='2' cpuset='1'/>"), 0, &error);
    g_autoptr(DomainDef) copy = NULL;
    g_autoptr(GArray) a = cpus_of("0,2");
    g_autoptr(GArray) b = cpus_of("3");
    g_autofree char *xml = NULL;
    g_autofree char *s = NULL;

    g_assert_no_error(error);
    g_assert_null(domain_def_get_vcpupin(def, 0));
    g_assert_null(domain_def_get_emulatorpin(def));
    s = domain_cpuset_format(domain_def_get_vcpupin(def, 2));
    g_assert_cmpstr(s, ==, "1");
    domain_def_set_vcpupin(def, 0, a);
    domain_def_set_vcpupin(def, 2, b);
    domain_def_set_emulatorpin(def, a);
    xml = domain_def_format(def, -1, DOMAIN_DEF_FORMAT_INACTIVE, &error);
    g_assert_no_error(error);
    g_assert_nonnull(strstr(xml,
        "  <cputune>\n"
        "    <vcpupin vcpu='0' cpuset='0,2'/>\n"
        "    <vcpupin vcpu='2' cpuset='3'/>\n"
        "    <emulatorpin cpuset='0,2'/>\n"
        "  </cputune>\n"));
    copy = domain_def_copy(def);
    g_clear_pointer(&s, g_free);
    s = domain_cpuset_format(domain_def_get_vcpupin(copy, 2));
    g_assert_cmpstr(s, ==, "3");
    domain_def_set_vcpupin(def, 0, NULL);
    domain_def_set_vcpupin(def, 2, NULL);
    domain_def_set_emulatorpin(def, NULL);
    g_clear_pointer(&xml, g_free);
    xml = domain_def_format(def, -1, DOMAIN_DEF_FORMAT_INACTIVE, &error);
    g_assert_null(strstr(xml, "cputune"));
}

/* A pin may only name online host CPUs. */
static void
test_check_host(void)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(DomainDef) def = domain_def_parse_string(
        TUNE("<vcpupin vcpu='1' cpuset='0-1'/><emulatorpin cpuset='3'/>"),
        0, &error);
    g_autoptr(GByteArray) online = g_byte_array_new();
    guint8 bits = 0x0b;         /* CPUs 0, 1, 3 online; 2 offline */

    g_assert_no_error(error);
    g_byte_array_append(online, &bits, 1);
    g_assert_true(domain_def_cputune_check_host(def, online, 4, &error));
    g_assert_no_error(error);
    /* CPU 3 is beyond a two-CPU host. */
    g_assert_false(domain_def_cputune_check_host(def, online, 2, &error));
    g_assert_error(error, DRV_ERROR, DRV_ERROR_INVALID_ARG);
    g_assert_nonnull(strstr(error->message, "<emulatorpin>: CPU 3"));
    g_clear_error(&error);
    bits = 0x09;                /* CPU 1 offline */
    g_byte_array_set_size(online, 0);
    g_byte_array_append(online, &bits, 1);
    g_assert_false(domain_def_cputune_check_host(def, online, 4, &error));
    g_assert_nonnull(strstr(error->message, "<vcpupin vcpu='1'>: CPU 1 is "
                                            "not an online CPU"));
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    device_registry_init();
    golden_init_schema_dir();
    for (guint i = 0; i < G_N_ELEMENTS(bad_cases); i++) {
        g_autofree char *path = g_strdup_printf("/cputune/bad/%s",
                                                bad_cases[i].name);
        g_test_add_data_func(path, &bad_cases[i], test_bad);
    }
    g_test_add_func("/cputune/cpuset", test_cpuset);
    g_test_add_func("/cputune/accessors", test_accessors);
    g_test_add_func("/cputune/check-host", test_check_host);
    return g_test_run();
}
