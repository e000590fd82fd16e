/* SPDX-License-Identifier: Apache-2.0 */
/* <iommu model='virtio'>, <driver iommu='on'>: refusals, the VmConfig mapping, live attach. */
#include <config.h>

#include <string.h>

#include "config/vm-config.h"
#include "devices/registry.h"
#include "driver/xml/device-xml.h"
#include "driver/xml/domain-conf.h"
#include "tests/testutil.h"
#include "tests/xml2xml/golden.h"

#define UUID "<uuid>3c4d5e6f-7a8b-4c9d-8e0f-1a2b3c4d5e6f</uuid>"
#define OS "<os><type arch='x86_64'>hvm</type>" \
           "<kernel>/boot/vmlinux</kernel></os>"
#define DOMX(pre, devices) \
    "<domain type='kvm'><name>i</name>" UUID \
    "<memory unit='MiB'>256</memory>" pre OS "<devices>" devices \
    "</devices></domain>"
#define DEV(devices) DOMX("", devices)
#define IOMMU "<iommu model='virtio'/>"
#define DISK(drv) \
    "<disk type='file' device='disk'><driver name='qemu' type='raw'" drv \
    "/><source file='/img/a.raw'/><target dev='vda' bus='virtio'/></disk>"
#define NET(drv) \
    "<interface type='ethernet'><mac address='52:54:00:00:00:01'/>" \
    "<target dev='tap0'/><model type='virtio'/><driver" drv "/>" \
    "</interface>"
#define RNG(drv) \
    "<rng model='virtio'><backend model='random'>/dev/urandom</backend>" \
    "<driver" drv "/></rng>"
#define VSOCK(drv) \
    "<vsock model='virtio'><cid address='3'/><driver" drv "/></vsock>"
#define ON " iommu='on'"

typedef struct {
    const char *name;
    const char *xml;
    DrvErrorCode code;
    const char *message;    /* substring of the error message */
} BadCase;

static const BadCase bad_cases[] = {
    /* Models and options nimbus's virtio-iommu does not have. */
    { "model-intel", DEV("<iommu model='intel'/>" DISK(ON)),
      DRV_ERROR_CONFIG_UNSUPPORTED,
      "iommu model 'intel' is not supported by nimbus (use model='virtio', "
      "nimbus's virtio-iommu)" },
    { "model-smmuv3", DEV("<iommu model='smmuv3'/>"),
      DRV_ERROR_CONFIG_UNSUPPORTED, "iommu model 'smmuv3'" },
    { "model-amd", DEV("<iommu model='amd'/>"),
      DRV_ERROR_CONFIG_UNSUPPORTED, "iommu model 'amd'" },
    { "no-model", DEV("<iommu/>"), DRV_ERROR_CONFIG_UNSUPPORTED,
      "iommu model '' is not supported" },
    { "intremap", DEV("<iommu model='virtio'><driver intremap='on'/></iommu>"),
      DRV_ERROR_CONFIG_UNSUPPORTED,
      "iommu driver attribute 'intremap' is not supported by nimbus (its "
      "virtio-iommu has only aw_bits)" },
    { "caching-mode",
      DEV("<iommu model='virtio'><driver caching_mode='on'/></iommu>"),
      DRV_ERROR_CONFIG_UNSUPPORTED, "iommu driver attribute 'caching_mode'" },
    { "eim", DEV("<iommu model='virtio'><driver eim='off'/></iommu>"),
      DRV_ERROR_CONFIG_UNSUPPORTED, "iommu driver attribute 'eim'" },
    { "iotlb", DEV("<iommu model='virtio'><driver iotlb='on'/></iommu>"),
      DRV_ERROR_CONFIG_UNSUPPORTED, "iommu driver attribute 'iotlb'" },
    { "dma-translation",
      DEV("<iommu model='virtio'><driver aw_bits='48' "
          "dma_translation='off'/></iommu>"),
      DRV_ERROR_CONFIG_UNSUPPORTED,
      "iommu driver attribute 'dma_translation'" },
    { "address",
      DEV("<iommu model='virtio'><address type='pci' domain='0x0000' "
          "bus='0x00' slot='0x05' function='0x0'/></iommu>" DISK(ON)),
      DRV_ERROR_CONFIG_UNSUPPORTED,
      "iommu <address> is not supported by nimbus (the VMM chooses the "
      "virtio-iommu's PCI slot)" },
    /* The schema's bounds, then the one-IOMMU rule. */
    { "aw-bits-zero", DEV("<iommu model='virtio'><driver aw_bits='0'/>"
                          "</iommu>"),
      DRV_ERROR_XML_ERROR, "/domain/devices/iommu/driver" },
    { "aw-bits-65", DEV("<iommu model='virtio'><driver aw_bits='65'/>"
                        "</iommu>"),
      DRV_ERROR_XML_ERROR, "/domain/devices/iommu/driver" },
    { "iommu-child", DEV("<iommu model='virtio'><model name='x'/></iommu>"),
      DRV_ERROR_XML_ERROR, "iommu" },
    { "two", DEV(IOMMU IOMMU DISK(ON)), DRV_ERROR_CONFIG_UNSUPPORTED,
      "only one <iommu> device is supported" },
    /* A device behind an IOMMU the definition does not have. */
    { "disk-without", DEV(DISK(ON)), DRV_ERROR_CONFIG_UNSUPPORTED,
      "<disk> has <driver iommu='on'/> but the domain has no <iommu "
      "model='virtio'/> to translate its DMA" },
    { "net-without", DEV(NET(ON)), DRV_ERROR_CONFIG_UNSUPPORTED,
      "<interface> has <driver iommu='on'/> but the domain has no <iommu" },
    { "rng-without", DEV(RNG(ON)), DRV_ERROR_CONFIG_UNSUPPORTED,
      "<rng> has <driver iommu='on'/> but the domain has no <iommu" },
    { "vsock-without", DEV(VSOCK(ON)), DRV_ERROR_CONFIG_UNSUPPORTED,
      "<vsock> has <driver iommu='on'/> but the domain has no <iommu" },
    { "vsock-value", DEV(IOMMU VSOCK(" iommu='1'")), DRV_ERROR_XML_ERROR,
      "Element vsock failed to validate content" },
    /* on/off only (the schema's; libxml2 names the element). */
    { "disk-value", DEV(IOMMU DISK(" iommu='yes'")), DRV_ERROR_XML_ERROR,
      "Element disk failed to validate content" },
    /* Devices the VMM cannot translate: named. */
    { "memballoon",
      DEV(IOMMU DISK(ON) "<memballoon model='virtio'><driver iommu='on'/>"
          "</memballoon>"),
      DRV_ERROR_CONFIG_UNSUPPORTED,
      "<memballoon> with <driver iommu='on'/> is not supported by nimbus "
      "(only virtio disks, interfaces, rngs and vsocks can be translated by its "
      "virtio-iommu)" },
    { "filesystem",
      DOMX("<memoryBacking><source type='memfd'/><access mode='shared'/>"
           "</memoryBacking>",
           IOMMU DISK(ON) "<filesystem type='mount' accessmode='passthrough'>"
           "<driver type='virtiofs' iommu='on'/><source dir='/srv'/>"
           "<target dir='t'/></filesystem>"),
      DRV_ERROR_CONFIG_UNSUPPORTED, "<filesystem> with <driver iommu='on'/>" },
    { "controller",
      DEV(IOMMU DISK(ON) "<controller type='pci' model='pcie-root'>"
          "<driver iommu='on'/></controller>"),
      DRV_ERROR_CONFIG_UNSUPPORTED, "<controller> with <driver iommu='on'/>" },
};

static void
test_bad(gconstpointer data)
{
    const BadCase *c = data;
    g_autoptr(GError) error = NULL;
    g_autoptr(DomainDef) def = domain_def_parse_string(
        c->xml, DOMAIN_DEF_PARSE_INACTIVE, &error);

    g_assert_null(def);
    g_assert_nonnull(error);
    g_test_message("%s: [%d] %s", c->name, error->code, error->message);
    g_assert_true(error->domain == DRV_ERROR);
    g_assert_cmpint(error->code, ==, c->code);
    if (!strstr(error->message, c->message)) {
        g_test_message("expected the message to contain: %s", c->message);
        g_test_fail();
    }
    g_assert_null(strchr(error->message, '\n'));
}

static DomainDef *
parse_ok(const char *xml, unsigned flags)
{
    g_autoptr(GError) error = NULL;
    DomainDef *def = domain_def_parse_string(xml, flags, &error);

    g_assert_no_error(error);
    g_assert_nonnull(def);
    return def;
}

/* What define runs on the translation (nimbus's own vm_config_validate()),
 * then the VmConfig vm.create gets. */
static VmConfig *
to_vmconfig(const DomainDef *def)
{
    g_autoptr(GError) error = NULL;
    g_autofree char *json = NULL;
    VmConfig *cfg;

    g_assert_true(domain_def_check_vmconfig(def, &error));
    g_assert_no_error(error);
    json = domain_def_to_vmconfig_json(def, &error);
    g_assert_no_error(error);
    cfg = vm_config_from_json(json, -1, &error);
    g_assert_no_error(error);
    return cfg;
}

/* Each device with iommu='on' is behind the IOMMU, iommu='off' and
 * absent are not, and <iommu> turns on the top-level switch. */
static void
test_vmconfig(void)
{
    g_autoptr(DomainDef) def = parse_ok(
        DEV(DISK(ON) NET(" iommu='off'") RNG(ON) IOMMU),
        DOMAIN_DEF_PARSE_INACTIVE);
    g_autoptr(VmConfig) cfg = to_vmconfig(def);
    const DiskConfig *disk = g_ptr_array_index(cfg->disks, 0);
    const NetConfig *net = g_ptr_array_index(cfg->net, 0);

    g_assert_true(cfg->iommu);
    g_assert_true(disk->iommu);
    g_assert_false(net->iommu);
    g_assert_true(cfg->rng.iommu);
}

/* A <vsock> with iommu='on' is CH's vsock iommu=true once the domain
 * starts (the CID and socket are a run's), off when it is 'off'. */
static void
test_vmconfig_vsock(void)
{
    static const struct {
        const char *xml;
        const char *drv;
        const char *want;
    } cases[] = {
        { DEV(IOMMU VSOCK(ON)), ON, "\"iommu\":true" },
        { DEV(IOMMU VSOCK(" iommu='off'")), " iommu='off'", "\"iommu\":false" },
    };

    for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_autoptr(DomainDef) def = parse_ok(cases[i].xml, 0);
        g_autoptr(VmConfig) cfg = NULL;
        g_autoptr(GError) error = NULL;
        g_autofree char *json = NULL;
        g_autofree char *back = NULL;
        const char *vsock;

        domain_def_vsock_set(def, 3, "/run/v.sock");
        cfg = to_vmconfig(def);
        g_assert_true(cfg->iommu);
        json = vm_config_to_json(cfg, false);
        vsock = strstr(json, "\"vsock\":{");
        g_assert_nonnull(vsock);
        g_test_message("%s", vsock);
        g_assert_nonnull(strstr(vsock, cases[i].want));
        /* And back to the XML it came from. */
        back = domain_def_format(def, 1, 0, &error);
        g_assert_no_error(error);
        g_assert_nonnull(strstr(back, cases[i].drv));
    }
}

/* An <iommu> with no device behind it is CH's iommu=true alone (what a
 * persistent detach of the last translated device leaves). */
static void
test_vmconfig_alone(void)
{
    g_autoptr(DomainDef) def = parse_ok(DEV(DISK("") IOMMU),
                                        DOMAIN_DEF_PARSE_INACTIVE);
    g_autoptr(VmConfig) cfg = to_vmconfig(def);

    g_assert_true(cfg->iommu);
}

/* <driver aw_bits> is the platform's iommu_address_width_bits, 64 (CH's
 * default) without it. */
static void
test_vmconfig_aw_bits(void)
{
    g_autoptr(DomainDef) def = parse_ok(
        DEV(DISK(ON) "<iommu model='virtio'><driver aw_bits='48'/></iommu>"),
        DOMAIN_DEF_PARSE_INACTIVE);
    g_autoptr(DomainDef) dflt = parse_ok(DEV(DISK(ON) IOMMU),
                                         DOMAIN_DEF_PARSE_INACTIVE);
    g_autoptr(VmConfig) cfg = to_vmconfig(def);
    g_autoptr(VmConfig) cfg_dflt = to_vmconfig(dflt);

    g_assert_cmpuint(cfg->platform->iommu_address_width_bits, ==, 48);
    g_assert_cmpuint(cfg_dflt->platform->iommu_address_width_bits, ==, 64);
}

/* Below 12 bits not one page could be mapped: the VMM's bound, which
 * define applies. */
static void
test_vmconfig_aw_bits_small(void)
{
    g_autoptr(DomainDef) def = parse_ok(
        DEV(DISK(ON) "<iommu model='virtio'><driver aw_bits='8'/></iommu>"),
        DOMAIN_DEF_PARSE_INACTIVE);
    g_autoptr(GError) error = NULL;

    g_assert_false(domain_def_check_vmconfig(def, &error));
    g_assert_error(error, DRV_ERROR, DRV_ERROR_CONFIG_UNSUPPORTED);
    g_test_message("%s", error->message);
    g_assert_nonnull(strstr(error->message, "iommu_address_width_bits"));
}

/* Without <iommu> and without iommu='on' nothing is translated. */
static void
test_vmconfig_none(void)
{
    g_autoptr(DomainDef) def = parse_ok(DEV(DISK("") NET("") RNG("")),
                                        DOMAIN_DEF_PARSE_INACTIVE);
    g_autoptr(VmConfig) cfg = to_vmconfig(def);

    g_assert_false(cfg->iommu);
    g_assert_false(((const DiskConfig *)g_ptr_array_index(cfg->disks, 0))
                   ->iommu);
    g_assert_false(cfg->rng.iommu);
}

/* A vhost-user back end reads guest memory itself: the VMM's rule
 * refuses it at define, in its words. */
static void
test_vmconfig_vhostuser(void)
{
    static const char *const devices[] = {
        "<interface type='vhostuser'><mac address='52:54:00:00:00:02'/>"
        "<source type='unix' path='/run/vu.sock' mode='client'/>"
        "<model type='virtio'/><driver iommu='on'/></interface>",
        /* The disk's iommu='on' reaches the VMM too, never dropped. */
        "<disk type='vhostuser' device='disk'><driver iommu='on'/>"
        "<source type='unix' path='/run/vhd.sock'/>"
        "<target dev='vdb' bus='virtio'/></disk>",
    };

    for (guint i = 0; i < G_N_ELEMENTS(devices); i++) {
        g_autofree char *xml = g_strdup_printf(
            DOMX("<memoryBacking><source type='memfd'/>"
                 "<access mode='shared'/></memoryBacking>", "%s" IOMMU),
            devices[i]);
        g_autoptr(DomainDef) def = parse_ok(xml, DOMAIN_DEF_PARSE_INACTIVE);
        g_autoptr(GError) error = NULL;

        g_assert_false(domain_def_check_vmconfig(def, &error));
        g_assert_error(error, DRV_ERROR, DRV_ERROR_CONFIG_UNSUPPORTED);
        g_test_message("%s", error->message);
        g_assert_nonnull(strstr(error->message, "iommu"));
        g_assert_nonnull(strstr(error->message, "vhost"));
    }
}

static bool
no_tap(const DomainNetAttach *attach, char **tap, char **bridge,
       gpointer data, GError **error)
{
    g_assert_not_reached();
    return false;
}

/* attach-device on a running domain: a device behind the IOMMU is refused
 * before anything is made for it; one with iommu='off' is not. */
static void
test_attach_live(void)
{
    g_autoptr(DomainDef) live = parse_ok(DEV(DISK(ON) IOMMU), 0);
    static const char *const refused[] = {
        "<disk type='file' device='disk'><driver iommu='on'/>"
        "<source file='/img/b.raw'/><target dev='vdb'/></disk>",
        "<interface type='bridge'><source bridge='br0'/>"
        "<model type='virtio'/><driver iommu='on'/></interface>",
    };

    for (guint i = 0; i < G_N_ELEMENTS(refused); i++) {
        g_autoptr(GError) error = NULL;
        g_autoptr(DomainDef) grown = NULL;
        g_autofree char *body = NULL;
        DomainHotplugKind kind;
        guint index;

        grown = domain_def_with_device(live, refused[i], true, &kind, &index,
                                       &error);
        g_assert_no_error(error);
        body = domain_def_hotplug_prepare(grown, kind, index, NULL, NULL,
                                          no_tap, NULL, NULL, &error);
        g_assert_null(body);
        g_assert_error(error, DRV_ERROR, DRV_ERROR_CONFIG_UNSUPPORTED);
        g_assert_nonnull(strstr(error->message,
                                "with <driver iommu='on'/> to a running "
                                "domain is not supported by nimbus"));
    }
    {
        g_autoptr(GError) error = NULL;
        g_autoptr(DomainDef) grown = NULL;
        g_autofree char *body = NULL;
        DomainHotplugKind kind;
        guint index;

        grown = domain_def_with_device(
            live, "<disk type='file' device='disk'><driver iommu='off'/>"
            "<source file='/img/b.raw'/><target dev='vdb'/></disk>", true,
            &kind, &index, &error);
        g_assert_no_error(error);
        body = domain_def_hotplug_prepare(grown, kind, index, NULL, NULL,
                                          no_tap, NULL, NULL, &error);
        g_assert_no_error(error);
        g_assert_nonnull(strstr(body, "\"iommu\":false"));
    }
}

/* attach-device --config: judged with the whole definition. */
static void
test_attach_config(void)
{
    static const char disk[] =
        "<disk type='file' device='disk'><driver iommu='on'/>"
        "<source file='/img/b.raw'/><target dev='vdb'/></disk>";
    g_autoptr(DomainDef) with = parse_ok(DEV(DISK(ON) IOMMU),
                                         DOMAIN_DEF_PARSE_INACTIVE);
    g_autoptr(DomainDef) without = parse_ok(DEV(DISK("")),
                                            DOMAIN_DEF_PARSE_INACTIVE);
    g_autoptr(DomainDef) grown = NULL;
    g_autoptr(GError) error = NULL;
    DomainHotplugKind kind;
    guint index;

    grown = domain_def_with_device(with, disk, false, &kind, &index, &error);
    g_assert_no_error(error);
    g_assert_nonnull(grown);
    g_clear_pointer(&grown, domain_def_free);
    grown = domain_def_with_device(without, disk, false, &kind, &index,
                                   &error);
    g_assert_null(grown);
    g_assert_error(error, DRV_ERROR, DRV_ERROR_CONFIG_UNSUPPORTED);
    g_assert_nonnull(strstr(error->message, "has no <iommu"));
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    device_registry_init();
    golden_init_schema_dir();
    for (guint i = 0; i < G_N_ELEMENTS(bad_cases); i++) {
        g_autofree char *path = g_strdup_printf("/iommu-xml/bad/%s",
                                                bad_cases[i].name);
        g_test_add_data_func(path, &bad_cases[i], test_bad);
    }
    g_test_add_func("/iommu-xml/vmconfig", test_vmconfig);
    g_test_add_func("/iommu-xml/vmconfig-none", test_vmconfig_none);
    g_test_add_func("/iommu-xml/vmconfig-vsock", test_vmconfig_vsock);
    g_test_add_func("/iommu-xml/vmconfig-alone", test_vmconfig_alone);
    g_test_add_func("/iommu-xml/vmconfig-aw-bits", test_vmconfig_aw_bits);
    g_test_add_func("/iommu-xml/vmconfig-aw-bits-small",
                    test_vmconfig_aw_bits_small);
    g_test_add_func("/iommu-xml/vmconfig-vhostuser", test_vmconfig_vhostuser);
    g_test_add_func("/iommu-xml/attach-live", test_attach_live);
    g_test_add_func("/iommu-xml/attach-config", test_attach_config);
    return g_test_run();
}
