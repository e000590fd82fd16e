/* SPDX-License-Identifier: Apache-2.0 */
/* xml2cfg golden tests: tests/xml2cfg/in/N.xml -> VmConfig JSON == out/N.json. */
#include <config.h>

#include <string.h>
#include <json-glib/json-glib.h>

#include "config/vm-config.h"
#include "config/vm-config-kind.h"
#include "config/vm-config-numa.h"
#include "devices/registry.h"
#include "devices/virtio/balloon.h"
#include "driver/xml/domain-conf.h"
#include "driver/xml/domain-priv.h"
#include "tests/testutil.h"
#include "tests/xml2xml/golden.h"

/*
 * Each input is parsed as a persistent definition and translated with
 * domain_def_to_vmconfig_json().  Besides the golden comparison, the JSON
 * is checked structurally (it has the members vm.create requires, and its
 * numbers match the definition) and is loaded by nimbus's own VmConfig
 * parser, vm_config_from_json(), which is what vm.create runs on it.
 * (vm_config_validate() is left out: it opens the kernel and disk files.)
 */

/* Memory devices (libvirt's accounting: <memory> counts every device's
 * size; DIMMs boot as RAM, virtio-mem and virtio-pmem do not): the RAM
 * memory.size must have, in KiB. */
static uint64_t
expected_boot_kib(const DomainDef *def)
{
    uint64_t kib = def->max_memory_kib;

    for (guint i = 0; i < domain_def_ndevices(def, DOMAIN_DEVICE_MEMORY); i++) {
        const DomainMemoryDef *m =
            domain_def_device(def, DOMAIN_DEVICE_MEMORY, i);

        if (m->model != DOMAIN_MEMORY_MODEL_DIMM)
            kib -= m->size_kib;
    }
    return kib;
}

static bool
has_memory_devices(const DomainDef *def)
{
    return domain_def_ndevices(def, DOMAIN_DEVICE_MEMORY) > 0 ||
           domain_def_priv(def)->maxmem_kib > 0;
}

/* memory.hotplug_* and pmem[] against the devices of @def. */
static void
check_memory_devices(const VmConfig *cfg, const DomainDef *def)
{
    const VmConfigKind *pmem = vm_config_kind_lookup("pmem");
    const GPtrArray *zones = cfg->memory.zones;
    guint npmem = 0;

    /* With zones (NUMA cells) they hold the boot RAM, and a virtio-mem
     * device's region is its <node>'s zone's. */
    g_assert_cmpuint(vm_config_ram_size(&cfg->memory), ==,
                     expected_boot_kib(def) * 1024);
    if (zones && zones->len)
        g_assert_cmpuint(cfg->memory.size, ==, 0);
    for (guint i = 0; i < domain_def_ndevices(def, DOMAIN_DEVICE_MEMORY); i++) {
        const DomainMemoryDef *m =
            domain_def_device(def, DOMAIN_DEVICE_MEMORY, i);

        switch (m->model) {
        case DOMAIN_MEMORY_MODEL_VIRTIO_MEM:
            g_assert_cmpint(cfg->memory.hotplug_method, ==,
                            MEMORY_HOTPLUG_VIRTIO_MEM);
            if (zones && zones->len) {
                const MemoryZoneConfig *z;

                g_assert_cmpint(m->node, >=, 0);
                g_assert_cmpuint((guint)m->node, <, zones->len);
                z = zones->pdata[m->node];
                g_assert_cmpuint(cfg->memory.hotplug_size, ==, 0);
                g_assert_cmpuint(z->hotplug_size, ==, m->size_kib * 1024);
                g_assert_cmpuint(z->hotplugged_size, ==,
                                 m->requested_kib * 1024);
                break;
            }
            g_assert_cmpuint(cfg->memory.hotplug_size, ==, m->size_kib * 1024);
            g_assert_cmpuint(cfg->memory.hotplugged_size, ==,
                             m->requested_kib * 1024);
            break;
        case DOMAIN_MEMORY_MODEL_DIMM:
            /* ACPI: the room <maxMemory> leaves, in 128 MiB blocks. */
            g_assert_cmpint(cfg->memory.hotplug_method, ==,
                            MEMORY_HOTPLUG_ACPI);
            g_assert_cmpuint(cfg->memory.hotplug_size, <=,
                             (domain_def_priv(def)->maxmem_kib -
                              def->max_memory_kib) * 1024);
            g_assert_cmpuint(cfg->memory.hotplug_size % (128 << 20), ==, 0);
            break;
        default:
            npmem++;
            break;
        }
    }
    g_assert_cmpuint(vm_config_kind_count(cfg, pmem), ==, npmem);
}

/* The guest RAM of a vm.create body: memory.size, or with memory zones
 * (NUMA cells) the zones' sizes, which memory.size is then 0 beside. */
static gint64
json_ram_size(JsonObject *memory)
{
    gint64 size = json_object_get_int_member(memory, "size");
    JsonArray *zones = json_object_has_member(memory, "zones") ?
        json_object_get_array_member(memory, "zones") : NULL;

    for (guint i = 0; zones && i < json_array_get_length(zones); i++)
        size += json_object_get_int_member(
            json_array_get_object_element(zones, i), "size");
    return size;
}

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
    /* With a virtio memballoon the guest has <memory> and the balloon
     * the difference to <currentMemory>; without, <currentMemory>. */
    if (has_memory_devices(def)) {
        /* check_memory_devices() */
    } else if (json_object_has_member(root, "balloon")) {
        g_assert_cmpint(json_ram_size(memory), ==,
                        (gint64)def->max_memory_kib * 1024);
        g_assert_cmpint(json_object_get_int_member(
                            json_object_get_object_member(root, "balloon"),
                            "size"), ==,
                        (gint64)(def->max_memory_kib -
                                 def->current_memory_kib) * 1024);
    } else {
        g_assert_cmpint(json_ram_size(memory), ==,
                        (gint64)def->current_memory_kib * 1024);
    }
    g_assert_true(json_object_has_member(root, "serial"));
    g_assert_true(json_object_has_member(root, "console"));
}

static void
check_vm_config(const char *json, const DomainDef *def)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(VmConfig) cfg = vm_config_from_json(json, -1, &error);

    g_assert_no_error(error);
    g_assert_nonnull(cfg);
    g_assert_cmpuint(cfg->cpus.boot_vcpus, ==, def->vcpus);
    g_assert_cmpuint(cfg->cpus.max_vcpus, ==, def->max_vcpus);
    if (has_memory_devices(def)) {
        check_memory_devices(cfg, def);
    } else {
        const VmConfigKind *kind = virtio_balloon_type.kind;
        uint64_t balloon = vm_config_kind_count(cfg, kind) ?
            virtio_balloon_config_size(vm_config_kind_entry(cfg, kind, 0)) : 0;

        g_assert_cmpuint(vm_config_ram_size(&cfg->memory) - balloon, ==,
                         def->current_memory_kib * 1024);
    }
    g_assert_cmpint(cfg->serial.mode, ==,
                    def->serial_type == DOMAIN_CHR_PTY ? CONSOLE_MODE_PTY
                    : def->serial_type == DOMAIN_CHR_FILE ? CONSOLE_MODE_FILE
                                                          : CONSOLE_MODE_NULL);
    g_assert_cmpint(cfg->console.mode, ==,
                    def->console_type == DOMAIN_CHR_PTY ? CONSOLE_MODE_PTY
                    : def->console_type == DOMAIN_CHR_FILE ? CONSOLE_MODE_FILE
                                                           : CONSOLE_MODE_OFF);
    /* Never autodetected: the XML's format, and only qcow2 follows its
     * backing files.  A vhost-user disk has neither: its back end owns
     * the image, nimbus only knows the socket. */
    for (guint i = 0; i < cfg->disks->len; i++) {
        const DiskConfig *d = g_ptr_array_index(cfg->disks, i);
        const DomainDiskDef *x = domain_def_device(def, DOMAIN_DEVICE_DISK, i);
        bool qcow2 = g_str_equal(x->driver_type, "qcow2");
        ImageType want = qcow2 ? IMAGE_TYPE_QCOW2 :
                         g_str_equal(x->driver_type, "vpc") ?
                         IMAGE_TYPE_FIXED_VHD :
                         g_str_equal(x->driver_type, "vhdx") ?
                         IMAGE_TYPE_VHDX : IMAGE_TYPE_RAW;

        g_assert_true(d->vhost_user == (x->vhost_path != NULL));
        if (x->vhost_path) {
            g_assert_cmpstr(d->vhost_socket, ==, x->vhost_path);
            g_assert_null(d->path);
            g_assert_cmpint(d->image_type, ==, IMAGE_TYPE_UNKNOWN);
            g_assert_false(d->backing_files);
            continue;
        }
        g_assert_cmpstr(d->path, ==, x->src);
        g_assert_cmpint(d->image_type, ==, want);
        g_assert_true(d->backing_files == qcow2);
    }
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
    check_vm_config(json, def);
    with_nl = g_strdup_printf("%s\n", json);
    golden_check(out_path, with_nl, NULL, NULL);
}

int
main(int argc, char **argv)
{
    g_autoptr(GPtrArray) in = NULL;

    g_test_init(&argc, &argv, NULL);
    /* As nimbusd: configs may name device types with a config kind. */
    device_registry_init();
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
