/* SPDX-License-Identifier: Apache-2.0 */
/* update-device XML: a disk or NIC replaced in place, and what changed. */
#include <config.h>

#include <string.h>

#include "devices/registry.h"
#include "driver/xml/device-update.h"
#include "tests/xml2xml/golden.h"

#define DISK(src, dev, extra) \
    "<disk type='file' device='disk'><source file='" src "'/>" \
    "<target dev='" dev "' bus='virtio'/>" extra "</disk>"
#define NIC(mac, extra) \
    "<interface type='ethernet'><mac address='" mac "'/>" \
    "<target dev='tap0'/><model type='virtio'/>" extra "</interface>"
#define DOMAIN_XML \
    "<domain type='kvm'><name>t</name>" \
    "<uuid>c7a5fdbd-edaf-4455-926a-d65c16db1809</uuid>" \
    "<memory unit='MiB'>256</memory>" \
    "<os><type arch='x86_64'>hvm</type><kernel>/boot/vmlinux</kernel></os>" \
    "<devices>" \
    DISK("/img/a.raw", "vda", "") \
    DISK("/img/b.raw", "vdb", "<alias name='ua-data'/>") \
    DISK("/img/c.raw", "vdc", "") \
    NIC("52:54:00:00:00:01", "") \
    "</devices></domain>"

static DomainDef *
parse_domain(void)
{
    g_autoptr(GError) error = NULL;
    DomainDef *def = domain_def_parse_string(DOMAIN_XML, 0, &error);

    g_assert_no_error(error);
    return def;
}

/* The new disk takes the old one's place and, given none, its alias. */
static void
test_replace_disk(void)
{
    g_autoptr(DomainDef) def = parse_domain();
    g_autoptr(DomainDef) out = NULL;
    g_autoptr(GError) error = NULL;
    g_autofree char *xml = NULL;
    DomainHotplugKind kind = DOMAIN_HOTPLUG_NET;
    guint index = 0;
    bool changed = false;
    const char *b, *c, *d;

    out = domain_def_with_device_replaced(def, DISK("/img/new.raw", "vdb", ""),
                                          false, &kind, &index, &changed,
                                          &error);
    g_assert_no_error(error);
    g_assert_cmpint(kind, ==, DOMAIN_HOTPLUG_DISK);
    g_assert_cmpuint(index, ==, 1);
    g_assert_true(changed);
    xml = domain_def_format(out, -1, DOMAIN_DEF_FORMAT_INACTIVE, &error);
    g_assert_no_error(error);
    g_assert_null(strstr(xml, "/img/b.raw"));
    b = strstr(xml, "/img/new.raw");
    c = strstr(xml, "<alias name='ua-data'/>");
    d = strstr(xml, "/img/c.raw");
    g_assert_true(b && c && d && strstr(xml, "/img/a.raw") < b && b < c &&
                  c < d);
    /* The same device again: nothing changed. */
    g_clear_pointer(&out, domain_def_free);
    out = domain_def_with_device_replaced(def, DISK("/img/c.raw", "vdc", ""),
                                          false, &kind, &index, &changed,
                                          &error);
    g_assert_no_error(error);
    g_assert_cmpuint(index, ==, 2);
    g_assert_false(changed);
    /* Equal devices differ in nothing but (not even) the source. */
    g_assert_true(domain_device_only_source_differs(def, out, kind, index));
}

/* Only the source: libvirt's "medium change", refused live for virtio. */
static void
test_source_only(void)
{
    g_autoptr(DomainDef) def = parse_domain();
    g_autoptr(DomainDef) src = NULL;
    g_autoptr(DomainDef) ro = NULL;
    g_autoptr(GError) error = NULL;
    DomainHotplugKind kind;
    guint index = 0;
    bool changed = false;

    src = domain_def_with_device_replaced(def, DISK("/img/x.raw", "vda", ""),
                                          true, &kind, &index, &changed,
                                          &error);
    g_assert_no_error(error);
    g_assert_true(changed);
    g_assert_true(domain_device_only_source_differs(def, src, kind, index));
    ro = domain_def_with_device_replaced(def, DISK("/img/a.raw", "vda",
                                                   "<readonly/>"),
                                         true, &kind, &index, &changed,
                                         &error);
    g_assert_no_error(error);
    g_assert_true(changed);
    g_assert_false(domain_device_only_source_differs(def, ro, kind, index));
}

/* Matching and validation as libvirt and a definition do. */
static void
test_refusals(void)
{
    g_autoptr(DomainDef) def = parse_domain();
    DomainHotplugKind kind;
    guint index = 0;
    bool changed = false;
    static const struct {
        const char *xml;
        DrvErrorCode code;
    } bad[] = {
        { DISK("/img/x.raw", "vdz", ""), DRV_ERROR_DEVICE_MISSING },
        { NIC("52:54:00:00:00:02", ""), DRV_ERROR_DEVICE_MISSING },
        /* Valid alone, but a second device may not take vda's alias. */
        { DISK("/img/x.raw", "vda", "<alias name='ua-data'/>"),
          DRV_ERROR_DEVICE_MISSING },
        /* Judged as in a definition: nimbus's disks are virtio. */
        { "<disk type='file' device='disk'><source file='/img/b.raw'/>"
          "<target dev='vdb' bus='ide'/></disk>",
          DRV_ERROR_CONFIG_UNSUPPORTED },
        { "<disk", DRV_ERROR_XML_ERROR },
    };

    for (guint i = 0; i < G_N_ELEMENTS(bad); i++) {
        g_autoptr(GError) error = NULL;
        g_autoptr(DomainDef) out =
            domain_def_with_device_replaced(def, bad[i].xml, false, &kind,
                                            &index, &changed, &error);

        g_test_message("%s: %s", bad[i].xml, error ? error->message : "-");
        g_assert_null(out);
        g_assert_error(error, DRV_ERROR, (gint)bad[i].code);
    }
}

static void
test_element(void)
{
    g_autoptr(GError) error = NULL;
    g_autofree char *a = NULL;
    g_autofree char *b = NULL;
    bool link = true;

    a = domain_device_xml_element(NIC("52:54:00:00:00:01", ""), "link",
                                  &link, &error);
    g_assert_cmpstr(a, ==, "interface");
    g_assert_false(link);
    b = domain_device_xml_element("<interface><link state='up'/></interface>",
                                  "link", &link, &error);
    g_assert_cmpstr(b, ==, "interface");
    g_assert_true(link);
    g_assert_null(domain_device_xml_element("<a><b></a>", NULL, NULL,
                                            &error));
    g_assert_error(error, DRV_ERROR, DRV_ERROR_XML_ERROR);
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    device_registry_init();
    golden_init_schema_dir();
    g_test_add_func("/device-update/replace-disk", test_replace_disk);
    g_test_add_func("/device-update/source-only", test_source_only);
    g_test_add_func("/device-update/refusals", test_refusals);
    g_test_add_func("/device-update/element", test_element);
    return g_test_run();
}
