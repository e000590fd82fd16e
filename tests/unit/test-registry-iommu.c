/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests: the registry's virtio-iommu, its endpoints, the VIOT listing them. */
#include <config.h>

#include <errno.h>
#include <stddef.h>
#include <string.h>
#include <gio/gio.h>
#include <linux/virtio_iommu.h>

#include "arch/x86_64/acpi-priv.h"
#include "config/vm-config.h"
#include "devices/pci/pci-bus.h"
#include "devices/registry.h"
#include "devices/virtio/iommu.h"
#include "devices/virtio/virtio-pci.h"
#include "tests/testutil.h"
#include "tests/unit/fake-vm.h"

/*
 * A VM's devices as device_manager_create() builds them (on a FakeHost):
 * the console, two disks (one behind the IOMMU) and the rng behind it.
 * The IOMMU comes last, after the functions it translates.
 */

#define VIRTIO_F_ACCESS_PLATFORM_BIT 33

typedef struct {
    FakeHost *fh;
    VmConfig *config;
    DeviceCreateCtx ctx;
} Fixture;

/* An empty file of @size bytes in the test's directory (transfer full). */
static char *
tmp_file(const char *name, off_t size)
{
    char *path = g_build_filename(test_tmpdir(), name, NULL);

    g_assert_true(g_file_set_contents(path, "", 0, NULL));
    g_assert_true(truncate(path, size) == 0);
    return path;
}

/* The VIOT body the firmware gets for @t (daemon/device-manager.c copies
 * the topology into ArchPlatformInfo, arch/x86_64/vm.c into
 * X86AcpiConfig), after its check. */
static GByteArray *
viot_of(const DeviceIommuTopology *t)
{
    X86AcpiConfig acpi = {
        .viommu = t->present, .viommu_bdf = t->bdf,
        .viommu_endpoints = t->endpoints, .n_viommu_endpoints = t->n_endpoints,
    };
    GByteArray *b = g_byte_array_new();
    g_autoptr(GError) error = NULL;

    g_assert_true(x86_acpi_check_viot(&acpi, &error));
    g_assert_no_error(error);
    x86_acpi_viot_body(b, &acpi);
    return b;
}

/* Builds the devices of the VM that config @json describes. */
static void
fixture_setup(Fixture *f, const char *json)
{
    g_autoptr(GError) error = NULL;

    device_registry_init();
    f->config = vm_config_from_json(json, -1, &error);
    g_assert_no_error(error);
    g_assert_true(vm_config_validate(f->config, &error));
    g_assert_no_error(error);
    f->fh = fake_host_new(16 << 20);
    f->ctx.host = fake_host_base(f->fh);
    f->ctx.bus = pci_bus_create(f->ctx.host, PCI_ECAM_BASE, &error);
    g_assert_no_error(error);
    g_assert_true(device_registry_create_all(&f->ctx, f->config, &error));
    g_assert_no_error(error);
}

static void
fixture_init(Fixture *f, const char *extra)
{
    /* vm.add-* checks the host too: the kernel must exist. */
    g_autofree char *kernel = tmp_file("k", 0);
    g_autofree char *img = tmp_file("d.img", 1 << 20);
    g_autofree char *img2 = tmp_file("e.img", 1 << 20);
    g_autofree char *json = NULL;

    json = g_strdup_printf(
        "{\"payload\": {\"kernel\": \"%s\"}, "
        "\"console\": {\"mode\": \"Null\"%s}, "
        "\"disks\": [{\"path\": \"%s\", \"iommu\": true}, "
        "{\"path\": \"%s\"}], "
        "\"rng\": {\"src\": \"/dev/urandom\", \"iommu\": true}%s}",
        kernel, extra ? ", \"iommu\": true" : "", img, img2,
        extra ? extra : "");
    fixture_setup(f, json);
}

static void
fixture_clear(Fixture *f)
{
    fake_host_free(f->fh);
    vm_config_free(f->config);
}

static uint16_t
bdf_of(Fixture *f, const char *id)
{
    VmmDevice *dev = fake_host_find(f->fh, id);

    g_assert_nonnull(dev);
    return virtio_pci_get_pci(dev)->devfn;
}

static bool
offers_access_platform(Fixture *f, const char *id)
{
    VirtioDevice *vdev = virtio_pci_get_virtio(fake_host_find(f->fh, id));

    return vdev->host_features & (1ULL << VIRTIO_F_ACCESS_PLATFORM_BIT);
}

/* vm.add-<type> of @body, which must succeed (the device, transfer none). */
static VmmDevice *
hot_add(Fixture *f, const char *type, const char *body)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(JsonNode) node = json_from_string(body, &error);
    VmmDevice *dev;

    g_assert_no_error(error);
    dev = device_registry_add(&f->ctx, &f->config, type, node, NULL, 0,
                              &error);
    g_assert_no_error(error);
    g_assert_nonnull(dev);
    return dev;
}

static bool
is_endpoint(const DeviceIommuTopology *t, uint16_t bdf)
{
    for (unsigned i = 0; i < t->n_endpoints; i++) {
        if (t->endpoints[i] == bdf)
            return true;
    }
    return false;
}

static void
test_created(void)
{
    Fixture f = { 0 };
    const DeviceIommuTopology *t = &f.ctx.iommu;
    VirtioDevice *iommu;
    uint64_t gpa = 0, mapped = 0;

    fixture_init(&f, NULL);
    g_assert_true(f.config->iommu);   /* turned on by the devices */
    g_assert_true(t->present);
    g_assert_nonnull(fake_host_find(f.fh, VIRTIO_IOMMU_ID));
    iommu = virtio_pci_get_virtio(fake_host_find(f.fh, VIRTIO_IOMMU_ID));
    g_assert_cmpuint(iommu->ops->device_type, ==, 23);
    /* After every other function: console 1, disks 2 and 3, rng 4. */
    g_assert_cmphex(t->bdf, ==, bdf_of(&f, VIRTIO_IOMMU_ID));
    g_assert_cmphex(t->bdf, ==, 5 << 3);
    g_assert_false(offers_access_platform(&f, VIRTIO_IOMMU_ID));

    /* The translated ones offer ACCESS_PLATFORM and are its endpoints. */
    g_assert_cmpuint(t->n_endpoints, ==, 2);
    g_assert_true(offers_access_platform(&f, "_disk0"));
    g_assert_true(is_endpoint(t, bdf_of(&f, "_disk0")));
    g_assert_true(offers_access_platform(&f, "__rng"));
    g_assert_true(is_endpoint(t, bdf_of(&f, "__rng")));
    g_assert_false(offers_access_platform(&f, "_disk1"));
    g_assert_false(is_endpoint(t, bdf_of(&f, "_disk1")));
    g_assert_false(offers_access_platform(&f, "__console"));
    g_assert_false(is_endpoint(t, bdf_of(&f, "__console")));

    /* The IOMMU knows them by the same ids (bypass until a driver takes
     * over: identity), and nothing else. */
    g_assert_cmpint(virtio_iommu_translate(iommu, bdf_of(&f, "_disk0"),
                                           0x1000, 16, false, &gpa, &mapped),
                    ==, 0);
    g_assert_cmphex(gpa, ==, 0x1000);
    g_assert_cmpint(virtio_iommu_translate(iommu, bdf_of(&f, "_disk1"),
                                           0x1000, 16, false, &gpa, &mapped),
                    ==, -ENOENT);
    fixture_clear(&f);
}

/* The console too, and the address width from --platform. */
static void
test_console_width(void)
{
    Fixture f = { 0 };
    const DeviceIommuTopology *t = &f.ctx.iommu;
    VirtioDevice *iommu;
    uint64_t end = 0;

    fixture_init(&f, ", \"platform\": {\"iommu_address_width_bits\": 39}");
    g_assert_cmpuint(t->n_endpoints, ==, 3);
    g_assert_true(offers_access_platform(&f, "__console"));
    g_assert_true(is_endpoint(t, bdf_of(&f, "__console")));
    iommu = virtio_pci_get_virtio(fake_host_find(f.fh, VIRTIO_IOMMU_ID));
    /* The input range the driver reads: [0, 2^39 - 1]. */
    iommu->ops->read_config(iommu,
                            offsetof(struct virtio_iommu_config, input_range) +
                            offsetof(struct virtio_iommu_range_64, end),
                            &end, sizeof(end));
    g_assert_cmphex(GUINT64_FROM_LE(end), ==, (1ULL << 39) - 1);
    fixture_clear(&f);
}

/* No device asks for it: no IOMMU, no endpoint, no VIOT. */
static void
test_absent(void)
{
    g_autofree char *img = g_build_filename(test_tmpdir(), "d.img", NULL);
    g_autofree char *json = NULL;
    g_autoptr(GError) error = NULL;
    g_autoptr(VmConfig) c = NULL;
    g_autoptr(FakeHost) fh = fake_host_new(16 << 20);
    DeviceCreateCtx ctx = { .host = fake_host_base(fh) };

    g_assert_true(g_file_set_contents(img, "", 0, NULL));
    json = g_strdup_printf("{\"payload\": {\"kernel\": \"/k\"}, "
                           "\"disks\": [{\"path\": \"%s\"}]}", img);
    device_registry_init();
    c = vm_config_from_json(json, -1, &error);
    g_assert_no_error(error);
    g_assert_true(vm_config_validate(c, &error));
    ctx.bus = pci_bus_create(ctx.host, PCI_ECAM_BASE, &error);
    g_assert_true(device_registry_create_all(&ctx, c, &error));
    g_assert_no_error(error);
    g_assert_false(c->iommu);
    g_assert_false(ctx.iommu.present);
    g_assert_cmpuint(ctx.iommu.n_endpoints, ==, 0);
    g_assert_null(fake_host_find(fh, VIRTIO_IOMMU_ID));
    g_assert_false(virtio_pci_get_virtio(fake_host_find(fh, "_disk0"))
                       ->host_features &
                   (1ULL << VIRTIO_F_ACCESS_PLATFORM_BIT));
}

static uint16_t
le16_at(const uint8_t *p)
{
    return (uint16_t)(p[0] | p[1] << 8);
}

/* What the firmware tables get: the VIOT's IOMMU node names the IOMMU's
 * function, and one PCI range node per translated function, endpoint
 * id = BDF. */
static void
test_viot(void)
{
    Fixture f = { 0 };
    const DeviceIommuTopology *t = &f.ctx.iommu;
    g_autoptr(GByteArray) b = NULL;
    const uint8_t *node;

    fixture_init(&f, NULL);
    b = viot_of(t);
    g_assert_cmpuint(b->len, ==, 12 + 16 + 2 * 24);
    g_assert_cmpuint(le16_at(b->data), ==, 3);          /* node count */
    node = b->data + 12;
    g_assert_cmpuint(node[0], ==, 3);                   /* virtio-iommu PCI */
    g_assert_cmphex(le16_at(node + 6), ==, bdf_of(&f, VIRTIO_IOMMU_ID));
    node += 16;
    g_assert_cmpuint(node[0], ==, 1);                   /* PCI range */
    g_assert_cmphex(le16_at(node + 12), ==, bdf_of(&f, "_disk0"));
    g_assert_cmphex(le16_at(node + 14), ==, bdf_of(&f, "_disk0"));
    g_assert_cmphex(le16_at(node + 4), ==, bdf_of(&f, "_disk0"));
    node += 24;
    g_assert_cmpuint(node[0], ==, 1);
    g_assert_cmphex(le16_at(node + 12), ==, bdf_of(&f, "__rng"));
    g_assert_cmphex(le16_at(node + 4), ==, bdf_of(&f, "__rng"));
    fixture_clear(&f);
}

/* A running VM's guest read the VIOT at boot: a device with iommu=on
 * cannot be hot-added, and the config stays as it was. */
static void
test_hotplug_refused(void)
{
    Fixture f = { 0 };
    g_autofree char *img = g_build_filename(test_tmpdir(), "h.img", NULL);
    g_autofree char *body = NULL;
    g_autoptr(JsonNode) node = NULL;
    g_autoptr(GError) error = NULL;
    VmConfig *before;

    fixture_init(&f, NULL);
    before = f.config;
    g_assert_true(g_file_set_contents(img, "", 0, NULL));
    body = g_strdup_printf("{\"path\": \"%s\", \"iommu\": true}", img);
    node = json_from_string(body, &error);
    g_assert_no_error(error);
    g_assert_null(device_registry_add(&f.ctx, &f.config, "disk", node, NULL,
                                      0, &error));
    g_assert_error(error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED);
    g_assert_nonnull(strstr(error->message, "iommu=on cannot be hot-added: "
                            "the ACPI VIOT table"));
    g_assert_true(f.config == before);
    g_assert_cmpuint(f.config->disks->len, ==, 2);
    /* Before boot nothing is fixed yet: the config takes it. */
    g_clear_error(&error);
    g_assert_true(device_registry_add_config(&f.config, "disk", node, NULL, 0,
                                             &error));
    g_assert_no_error(error);
    g_assert_cmpuint(f.config->disks->len, ==, 3);
    fixture_clear(&f);
}

/*
 * --platform iommu_segments=[0]: the IOMMU translates every slot of
 * segment 0 but the host bridge's and its own, the empty ones too; a disk
 * with iommu=on hot-added there takes its slot's endpoint (and gives it
 * back on removal), one without is refused.
 */
static void
test_segment(void)
{
    g_autofree char *kernel = tmp_file("k", 0);
    g_autofree char *img = tmp_file("d.img", 1 << 20);
    g_autofree char *img2 = tmp_file("h.img", 1 << 20);
    g_autofree char *json = NULL;
    g_autofree char *body = NULL;
    g_autoptr(JsonNode) node = NULL;
    g_autoptr(GError) error = NULL;
    Fixture f = { 0 };
    const DeviceIommuTopology *t = &f.ctx.iommu;
    g_autoptr(GByteArray) b = NULL;
    VirtioDevice *iommu;
    VmmDevice *dev;
    uint64_t gpa = 0, mapped = 0;
    uint16_t bdf;

    json = g_strdup_printf(
        "{\"payload\": {\"kernel\": \"%s\"}, "
        "\"console\": {\"mode\": \"Null\", \"iommu\": true}, "
        "\"disks\": [{\"path\": \"%s\", \"iommu\": true}], "
        "\"rng\": {\"src\": \"/dev/urandom\", \"iommu\": true}, "
        "\"platform\": {\"iommu_segments\": [0]}}", kernel, img);
    fixture_setup(&f, json);
    iommu = virtio_pci_get_virtio(fake_host_find(f.fh, VIRTIO_IOMMU_ID));
    /* Console 1, disk 2, rng 3, the IOMMU 4; endpoints: 1-3 and 5-31. */
    g_assert_cmphex(t->bdf, ==, 4 << 3);
    g_assert_cmpuint(t->n_endpoints, ==, 30);
    g_assert_false(is_endpoint(t, 0));
    g_assert_false(is_endpoint(t, t->bdf));
    g_assert_true(is_endpoint(t, bdf_of(&f, "_disk0")));
    g_assert_true(is_endpoint(t, bdf_of(&f, "__console")));
    g_assert_true(is_endpoint(t, 31 << 3));
    b = viot_of(t);
    g_assert_cmpuint(le16_at(b->data), ==, 31);         /* node count */
    /* An empty slot is an endpoint too (bypass until a driver: identity). */
    g_assert_cmpint(virtio_iommu_translate(iommu, 5 << 3, 0x2000, 8, true,
                                           &gpa, &mapped), ==, 0);
    g_assert_cmphex(gpa, ==, 0x2000);

    /* Hot-added without iommu=on: refused, the config as it was. */
    body = g_strdup_printf("{\"path\": \"%s\", \"id\": \"h\"}", img2);
    node = json_from_string(body, &error);
    g_assert_no_error(error);
    g_assert_null(device_registry_add(&f.ctx, &f.config, "disk", node, NULL,
                                      0, &error));
    g_assert_nonnull(error);
    g_assert_nonnull(strstr(error->message, "PCI segment 0 is behind the "
                            "virtio-iommu (platform.iommu_segments), so each "
                            "device on it needs iommu=true"));
    g_assert_cmpuint(f.config->disks->len, ==, 1);
    g_clear_error(&error);
    g_clear_pointer(&node, json_node_unref);
    g_clear_pointer(&body, g_free);

    /* With it: slot 5, translated through the endpoint declared at boot. */
    body = g_strdup_printf("{\"path\": \"%s\", \"id\": \"h\", "
                           "\"iommu\": true}", img2);
    dev = hot_add(&f, "disk", body);
    bdf = bdf_of(&f, "h");
    g_assert_cmphex(bdf, ==, 5 << 3);
    g_assert_false(offers_access_platform(&f, "h"));
    g_assert_true(device_registry_iommu_attach(&f.ctx, f.config, dev,
                                               &error));
    g_assert_no_error(error);
    g_assert_true(offers_access_platform(&f, "h"));
    /* One device per endpoint, until it is released. */
    g_assert_false(device_registry_iommu_attach(&f.ctx, f.config, dev,
                                                &error));
    g_assert_error(error, G_IO_ERROR, G_IO_ERROR_EXISTS);
    g_clear_error(&error);
    device_registry_iommu_release(f.ctx.host, 5);
    g_assert_true(device_registry_iommu_attach(&f.ctx, f.config, dev,
                                               &error));
    g_assert_no_error(error);
    fixture_clear(&f);
}

/* The kinds of their own file that can be translated, vsock and pmem:
 * with iommu=on alone (which brings the IOMMU), and a vsock hot-added with
 * it onto a segment the IOMMU covers. */
static void
test_kinds(void)
{
    g_autofree char *kernel = tmp_file("k", 0);
    g_autofree char *pmem = tmp_file("p.img", 2 << 20);
    g_autofree char *pmem2 = tmp_file("q.img", 2 << 20);
    g_autofree char *sock = g_build_filename(test_tmpdir(), "v.sock", NULL);
    g_autofree char *sock2 = g_build_filename(test_tmpdir(), "w.sock", NULL);
    g_autofree char *json = NULL;
    g_autofree char *body = NULL;
    g_autoptr(GError) error = NULL;
    Fixture f = { 0 };
    const DeviceIommuTopology *t = &f.ctx.iommu;
    VmmDevice *dev;

    json = g_strdup_printf(
        "{\"payload\": {\"kernel\": \"%s\"}, \"console\": {\"mode\": \"Off\"}, "
        "\"vsock\": {\"cid\": 3, \"socket\": \"%s\", \"iommu\": true}, "
        "\"pmem\": [{\"file\": \"%s\", \"iommu\": true}, {\"file\": \"%s\"}]}",
        kernel, sock, pmem, pmem2);
    fixture_setup(&f, json);
    g_assert_true(f.config->iommu);
    g_assert_true(t->present);
    g_assert_cmpuint(t->n_endpoints, ==, 2);
    g_assert_true(offers_access_platform(&f, "_vsock0"));
    g_assert_true(is_endpoint(t, bdf_of(&f, "_vsock0")));
    g_assert_true(offers_access_platform(&f, "_pmem0"));
    g_assert_true(is_endpoint(t, bdf_of(&f, "_pmem0")));
    g_assert_false(offers_access_platform(&f, "_pmem1"));
    g_assert_false(offers_access_platform(&f, "__rng"));
    fixture_clear(&f);
    g_clear_pointer(&json, g_free);
    memset(&f, 0, sizeof(f));

    json = g_strdup_printf(
        "{\"payload\": {\"kernel\": \"%s\"}, \"console\": {\"mode\": \"Off\"}, "
        "\"rng\": {\"src\": \"/dev/urandom\", \"iommu\": true}, "
        "\"platform\": {\"iommu_segments\": [0]}}", kernel);
    fixture_setup(&f, json);
    body = g_strdup_printf("{\"cid\": 4, \"socket\": \"%s\", "
                           "\"iommu\": true}", sock2);
    dev = hot_add(&f, "vsock", body);
    g_assert_true(device_registry_iommu_attach(&f.ctx, f.config, dev,
                                               &error));
    g_assert_no_error(error);
    g_assert_true(offers_access_platform(&f, "_vsock0"));
    fixture_clear(&f);
}

/* What config/ refuses on a segment behind the IOMMU. */
#define NO_CONSOLE_RNG_ON                                                      \
    ", \"console\": {\"mode\": \"Off\"}, "                                   \
    "\"rng\": {\"src\": \"/dev/urandom\", \"iommu\": true}"

static void
test_segment_refused(void)
{
    static const struct {
        const char *extra;
        const char *msg;
    } cases[] = {
        { "", "console: PCI segment 0 is behind the virtio-iommu "
              "(platform.iommu_segments), so each device on it needs "
              "iommu=true" },
        { ", \"console\": {\"mode\": \"Off\"}", "rng: PCI segment 0 is "
          "behind the virtio-iommu" },
        { NO_CONSOLE_RNG_ON ", \"pmem\": [{\"file\": \"/dev/null\", "
          "\"size\": 2097152}]", "pmem[0]: PCI segment 0 is behind the "
          "virtio-iommu (platform.iommu_segments), so each device on it "
          "needs iommu=true" },
        { NO_CONSOLE_RNG_ON ", \"pvpanic\": true",
          "pvpanic: PCI segment 0 is behind the virtio-iommu "
          "(platform.iommu_segments), and this device cannot be" },
        { NO_CONSOLE_RNG_ON ", \"vsock\": {\"cid\": 3, \"socket\": \"/s\"}",
          "vsock: PCI segment 0 is behind the virtio-iommu "
          "(platform.iommu_segments), so each device on it needs "
          "iommu=true" },
        /* (with iommu_segments [0, 3]) */
        { "", "platform: iommu_segments: PCI segment 3 does not exist" },
    };

    for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_autofree char *json = g_strdup_printf(
            "{\"payload\": {\"kernel\": \"/k\"}, "
            "\"platform\": {\"iommu_segments\": [0%s]}%s}",
            i == G_N_ELEMENTS(cases) - 1 ? ", 3" : "", cases[i].extra);
        g_autoptr(GError) error = NULL;
        g_autoptr(VmConfig) c = vm_config_from_json(json, -1, &error);

        g_assert_no_error(error);
        g_assert_false(vm_config_validate(c, &error));
        g_assert_nonnull(error);
        g_test_message("case %u: %s", i, error->message);
        g_assert_nonnull(strstr(error->message, cases[i].msg));
    }
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/devices/registry/iommu/created", test_created);
    g_test_add_func("/devices/registry/iommu/console-width",
                    test_console_width);
    g_test_add_func("/devices/registry/iommu/absent", test_absent);
    g_test_add_func("/devices/registry/iommu/viot", test_viot);
    g_test_add_func("/devices/registry/iommu/hotplug-refused",
                    test_hotplug_refused);
    g_test_add_func("/devices/registry/iommu/segment", test_segment);
    g_test_add_func("/devices/registry/iommu/kinds", test_kinds);
    g_test_add_func("/devices/registry/iommu/segment-refused",
                    test_segment_refused);
    return g_test_run();
}
