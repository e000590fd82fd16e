/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests for the VmConfig JSON parser and serialiser (golden files). */
#include <config.h>

#include <string.h>
#include <gio/gio.h>

#include "config/vm-config.h"
#include "tests/testutil.h"

#define KERNEL "\"payload\": {\"kernel\": \"/k\"}"
/* The start of a document with a minimal cpus object left open. */
#define CPUS1 "{" KERNEL ", \"cpus\": {\"boot_vcpus\": 1, \"max_vcpus\": 1, "

typedef struct {
    const char *json;
    const char *error;       /* substring of the message */
} BadJson;

static const BadJson bad_json[] = {
    { "{", "invalid JSON" },
    { "{\"payload\": {\"kernel\": \"/k\"},}", "invalid JSON" },
    { "[]", "(document): expected an object" },
    { "null", "(document): expected an object" },
    { "42", "(document): expected an object" },
    { "{}", "payload: required field missing" },
    { "{\"payload\": null}", "payload: required, cannot be null" },
    { "{\"payload\": \"x\"}", "payload: expected an object" },
    { "{" KERNEL ", \"foo\": 1}", "foo: unknown field" },
    { "{" KERNEL ", \"cpus\": {\"boot_vcpus\": 1, \"max_vcpus\": 1, \"bogus\": 1}}",
      "cpus.bogus: unknown field" },
    { "{" KERNEL ", \"cpus\": {\"boot_vcpus\": \"2\", \"max_vcpus\": 2}}",
      "cpus.boot_vcpus: expected an integer between 1 and 8192" },
    { "{" KERNEL ", \"cpus\": {\"boot_vcpus\": 0, \"max_vcpus\": 2}}",
      "cpus.boot_vcpus: expected an integer between 1 and 8192" },
    { "{" KERNEL ", \"cpus\": {\"boot_vcpus\": -1, \"max_vcpus\": 2}}",
      "cpus.boot_vcpus: expected an integer" },
    { "{" KERNEL ", \"cpus\": {\"boot_vcpus\": 1.5, \"max_vcpus\": 2}}",
      "cpus.boot_vcpus: expected an integer" },
    { "{" KERNEL ", \"cpus\": {\"boot_vcpus\": 2.0, \"max_vcpus\": 2}}",
      "cpus.boot_vcpus: expected an integer" },
    { "{" KERNEL ", \"cpus\": {\"boot_vcpus\": 1, \"max_vcpus\": 8193}}",
      "cpus.max_vcpus: expected an integer between 1 and 8192" },
    { "{" KERNEL ", \"cpus\": {\"boot_vcpus\": 1}}",
      "cpus.max_vcpus: required field missing" },
    { "{" KERNEL ", \"cpus\": {\"boot_vcpus\": null, \"max_vcpus\": 1}}",
      "cpus.boot_vcpus: required, cannot be null" },
    { "{" KERNEL ", \"cpus\": {\"boot_vcpus\": 1, \"max_vcpus\": 1, \"kvm_hyperv\": true}}",
      "'cpus.kvm_hyperv' is not supported yet" },
    { "{" KERNEL ", \"cpus\": {\"boot_vcpus\": 1, \"max_vcpus\": 1, \"kvm_hyperv\": \"no\"}}",
      "cpus.kvm_hyperv: expected true or false" },
    { "{" KERNEL ", \"cpus\": {\"boot_vcpus\": 1, \"max_vcpus\": 1, \"max_phys_bits\": 65}}",
      "cpus.max_phys_bits: expected an integer between 1 and 64" },
    { CPUS1 "\"features\": {\"amx\": true}}}",
      "'cpus.features.amx' is not supported yet" },
    { CPUS1 "\"features\": {\"sgx\": false}}}",
      "cpus.features.sgx: unknown field" },
    { CPUS1 "\"core_scheduling\": \"Vcpu\"}}",
      "'cpus.core_scheduling' is not supported yet" },
    { CPUS1 "\"topology\": {\"threads_per_core\": 1}}}",
      "cpus.topology.cores_per_die: required field missing" },
    { "{" KERNEL ", \"cpus\": {\"boot_vcpus\": 1, \"max_vcpus\": 1, \"topology\": 5}}",
      "cpus.topology: expected an object" },
    { "{" KERNEL ", \"cpus\": {\"boot_vcpus\": 1, \"max_vcpus\": 1, \"topology\": "
      "{\"threads_per_core\": 0, \"cores_per_die\": 1, \"dies_per_package\": 1, \"packages\": 1}}}",
      "cpus.topology.threads_per_core: expected an integer between 1 and 8192" },
    { "{" KERNEL ", \"cpus\": {\"boot_vcpus\": 1, \"max_vcpus\": 1, \"affinity\": "
      "[{\"vcpu\": 0, \"host_cpus\": [2000]}]}}",
      "cpus.affinity[0].host_cpus[0]: expected an integer between 0 and 1023" },
    { "{" KERNEL ", \"cpus\": {\"boot_vcpus\": 1, \"max_vcpus\": 1, \"affinity\": {\"vcpu\": 0}}}",
      "cpus.affinity: expected an array" },
    { CPUS1 "\"affinity\": [{\"vcpu\": 0}]}}",
      "cpus.affinity[0].host_cpus: required field missing" },
    { "{" KERNEL ", \"cpus\": {\"boot_vcpus\": 1, \"max_vcpus\": 1, \"affinity\": "
      "[{\"vcpu\": 0, \"host_cpus\": 3}]}}",
      "cpus.affinity[0].host_cpus: expected an array of host CPU numbers" },
    { "{" KERNEL ", \"memory\": {\"size\": -1}}", "memory.size: expected an integer ≥ 0" },
    { "{" KERNEL ", \"memory\": {\"size\": \"1G\"}}", "memory.size: expected an integer ≥ 0" },
    { "{" KERNEL ", \"memory\": {}}", "memory.size: required field missing" },
    { "{" KERNEL ", \"memory\": {\"size\": 1073741824, \"hotplug_size\": -1}}",
      "memory.hotplug_size: expected an integer" },
    { "{" KERNEL ", \"memory\": {\"size\": 1073741824, \"hotplug_method\": \"Dimm\"}}",
      "memory.hotplug_method: expected one of Acpi or VirtioMem" },
    { "{" KERNEL ", \"memory\": {\"size\": 1073741824, \"zones\": [{}]}}",
      "memory.zones[0].size: required field missing" },
    { "{" KERNEL ", \"memory\": {\"size\": 1073741824, \"shared\": 1}}",
      "memory.shared: expected true or false" },
    { "{\"payload\": {\"kernel\": 5}}", "payload.kernel: expected a string" },
    /* An unpaired surrogate escape decodes to bytes that are not UTF-8. */
    { "{\"payload\": {\"kernel\": \"/a\\ud8ccb\"}}",
      "payload.kernel: not valid UTF-8" },
    { "{\"payload\": {\"kernel\": \"/k\", \"igvm\": \"/x\"}}",
      "'payload.igvm' is not supported yet" },
    { "{\"payload\": {\"kernel\": \"/k\", \"host_data\": \"ab\"}}",
      "'payload.host_data' is not supported yet" },
    { "{\"payload\": {\"kernel\": \"/k\", \"path\": \"/x\"}}", "payload.path: unknown field" },
    { "{" KERNEL ", \"disks\": {}}", "disks: expected an array" },
    { "{" KERNEL ", \"disks\": [5]}", "disks[0]: expected an object" },
    { "{" KERNEL ", \"disks\": [{\"path\": \"/a\"}, {\"path\": \"/b\", \"queue_size\": 65536}]}",
      "disks[1].queue_size: expected an integer between 1 and 32768" },
    /* vhost_user disks parse; their rules are vm_config_validate()'s. */
    { "{" KERNEL ", \"disks\": [{\"path\": \"/a\", \"vhost_user\": 1}]}",
      "disks[0].vhost_user: expected true or false" },
    { "{" KERNEL ", \"disks\": [{\"vhost_socket\": 5}]}",
      "disks[0].vhost_socket: expected a string" },
    /* image_type Qcow2 parses: refusing it is vm_config_validate()'s rule
     * (test-vm-config.c). */
    { "{" KERNEL ", \"disks\": [{\"path\": \"/a\", \"image_type\": \"Vmdk\"}]}",
      "disks[0].image_type: expected one of FixedVhd, Qcow2, Raw, Vhdx or Unknown" },
    { "{" KERNEL ", \"disks\": [{\"path\": \"/a\", \"rate_limiter_config\": "
      "{\"bandwidth\": {\"size\": 1}}}]}",
      "disks[0].rate_limiter_config.bandwidth.refill_time" },
    { "{" KERNEL ", \"disks\": [{\"path\": \"/a\", \"pci_device_id\": 300}]}",
      "disks[0].pci_device_id: expected an integer between 0 and 255" },
    { "{" KERNEL ", \"disks\": [{\"path\": \"/a\", \"sparse\": false}]}",
      "'disks[0].sparse' is not supported yet" },
    { "{" KERNEL ", \"disks\": [{\"path\": \"/a\", \"lock_granularity\": \"Full\"}]}",
      "'disks[0].lock_granularity' is not supported yet" },
    { "{" KERNEL ", \"disks\": [{\"path\": \"/a\", \"queue_affinity\": "
      "[{\"queue_index\": 0, \"host_cpus\": [1]}]}]}",
      "'disks[0].queue_affinity' is not supported yet" },
    { "{" KERNEL ", \"disks\": [{\"path\": \"/a\", \"readonly\": \"yes\"}]}",
      "disks[0].readonly: expected true or false" },
    { "{" KERNEL ", \"net\": [{\"fds\": [1.5]}]}",
      "net[0].fds[0]: expected an integer (an fd placeholder)" },
    { "{" KERNEL ", \"net\": [{\"fds\": 3}]}", "net[0].fds: expected an array" },
    { "{" KERNEL ", \"net\": [{\"mtu\": 20}]}",
      "net[0].mtu: expected an integer between 68 and 65535" },
    /* vhost_user nets parse; their rules are vm_config_validate()'s. */
    { "{" KERNEL ", \"net\": [{\"vhost_mode\": 5}]}",
      "net[0].vhost_mode: expected a string" },
    { "{" KERNEL ", \"net\": [{\"vhost_user\": 1}]}",
      "net[0].vhost_user: expected true or false" },
    { "{" KERNEL ", \"net\": [{\"offload_tso\": \"yes\"}]}",
      "net[0].offload_tso: expected true or false" },
    { "{" KERNEL ", \"net\": [{\"mac\": 5}]}", "net[0].mac: expected a string" },
    { "{" KERNEL ", \"net\": [{\"fd\": [3]}]}", "net[0].fd: unknown field" },
    { "{" KERNEL ", \"rng\": {}}", "rng.src: required field missing" },
    { "{" KERNEL ", \"rng\": {\"src\": null}}", "rng.src: required, cannot be null" },
    { "{" KERNEL ", \"rng\": {\"src\": \"/r\", \"pci_segment\": 1}}",
      "'rng.pci_segment' is not supported yet" },
    { "{" KERNEL ", \"serial\": {\"mode\": \"Serial\"}}",
      "serial.mode: expected one of Off, Pty, Tty, File, Socket or Null" },
    { "{" KERNEL ", \"serial\": {}}", "serial.mode: required field missing" },
    { "{" KERNEL ", \"serial\": {\"mode\": \"Null\", \"iommu\": true}}",
      "serial.iommu: refused: the serial port is a legacy 8250 UART" },
    { "{" KERNEL ", \"serial\": {\"mode\": \"Null\", \"id\": \"x\"}}",
      "serial.id: unknown field" },
    { "{" KERNEL ", \"console\": {\"mode\": \"Pty\", \"pci_device_id\": 3}}",
      "'console.pci_device_id' is not supported yet" },
    { "{" KERNEL ", \"debug_console\": {\"mode\": \"Off\", \"iobase\": 65536}}",
      "debug_console.iobase: expected an integer between 0 and 65535" },
    { "{" KERNEL ", \"debug_console\": {\"mode\": \"Off\", \"socket\": \"/x\"}}",
      "debug_console.socket: unknown field" },
    { "{" KERNEL ", \"balloon\": {\"size\": 0}}", "'balloon' is not supported yet" },
    { "{" KERNEL ", \"fs\": [{\"tag\": \"t\", \"socket\": \"/s\"}]}", "'fs' is not supported yet" },
    { "{" KERNEL ", \"pmem\": [{\"file\": \"/p\"}]}", "'pmem' is not supported yet" },
    { "{" KERNEL ", \"vsock\": {\"cid\": 3, \"socket\": \"/v\"}}", "'vsock' is not supported yet" },
    { "{" KERNEL ", \"rtc\": {}}", "'rtc' is not supported yet" },
    { "{" KERNEL ", \"devices\": [{\"path\": \"/sys/x\"}]}", "'devices' is not supported yet" },
    { "{" KERNEL ", \"numa\": [{\"guest_numa_id\": 0, \"pci_segments\": [1]}]}",
      "'numa[0].pci_segments' is not supported yet" },
    { "{" KERNEL ", \"platform\": {\"num_pci_segments\": 2}}",
      "'platform.num_pci_segments' is not supported yet" },
    { "{" KERNEL ", \"platform\": {\"oem_strings\": [\"a\", 1]}}",
      "platform.oem_strings[1]: expected a string" },
    { "{" KERNEL ", \"platform\": {\"oem_strings\": \"a\"}}",
      "platform.oem_strings: expected an array of strings" },
    { "{" KERNEL ", \"platform\": {\"system_family\": 3}}",
      "platform.system_family: expected a string" },
    { "{" KERNEL ", \"platform\": {\"cpus\": 1}}", "platform.cpus: unknown field" },
    { "{" KERNEL ", \"tpm\": {\"socket\": \"/t\"}}", "'tpm' is not supported yet" },
    { "{" KERNEL ", \"landlock_rules\": [{\"path\": \"/\", \"access\": 1}]}",
      "landlock_rules[0].access: expected a string" },
    { "{" KERNEL ", \"rate_limit_groups\": [{\"id\": 5}]}",
      "rate_limit_groups[0].id" },
    { "{" KERNEL ", \"iommu\": \"true\"}", "iommu: expected true or false" },
    { "{" KERNEL ", \"watchdog\": 1}", "watchdog: expected true or false" },
};

static void
test_bad(void)
{
    guint i;

    for (i = 0; i < G_N_ELEMENTS(bad_json); i++) {
        g_autoptr(GError) error = NULL;
        g_autoptr(VmConfig) c = NULL;

        g_test_message("case %u: %s", i, bad_json[i].json);
        c = vm_config_from_json(bad_json[i].json, -1, &error);
        g_assert_null(c);
        g_assert_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
        g_test_message("-> %s", error->message);
        if (!strstr(error->message, bad_json[i].error)) {
            g_test_message("MISMATCH: expected '%s'", bad_json[i].error);
            g_test_fail();
        }
    }
}

static void
test_limits(void)
{
    g_autoptr(GString) deep = g_string_new("{\"payload\": {\"kernel\": \"/k\"}, \"fs\": ");
    g_autoptr(GString) fds = g_string_new("{" KERNEL ", \"net\": [{\"fds\": [");
    g_autoptr(GString) in_string = g_string_new("{\"payload\": {\"kernel\": \"");
    g_autoptr(GError) error = NULL;
    g_autoptr(VmConfig) c = NULL;
    int i;

    /* json-glib recurses: depth is refused before it parses. */
    for (i = 0; i < 100000; i++)
        g_string_append_c(deep, '[');
    c = vm_config_from_json(deep->str, deep->len, &error);
    g_assert_null(c);
    g_assert_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
    g_assert_nonnull(strstr(error->message, "nested deeper than 32 levels"));
    g_clear_error(&error);

    /* Brackets inside strings do not count. */
    for (i = 0; i < 100; i++)
        g_string_append(in_string, "[{");
    g_string_append(in_string, "\"}}");
    c = vm_config_from_json(in_string->str, -1, &error);
    g_assert_no_error(error);
    g_assert_nonnull(c);
    g_assert_true(g_str_has_prefix(c->payload.kernel, "[{[{"));
    g_clear_pointer(&c, vm_config_free);

    for (i = 0; i < 512; i++)
        g_string_append(fds, i ? ",-1" : "-1");
    g_string_append(fds, "]}]}");
    c = vm_config_from_json(fds->str, -1, &error);
    g_assert_null(c);
    g_assert_nonnull(strstr(error->message, "net[0].fds: at most 511 fds"));
    g_clear_error(&error);

    /* An explicit length stops early; NULL and empty documents. */
    c = vm_config_from_json("{" KERNEL "}garbage", strlen("{" KERNEL "}"), &error);
    g_assert_no_error(error);
    g_assert_nonnull(c);
    g_clear_pointer(&c, vm_config_free);
    c = vm_config_from_json(NULL, -1, &error);
    g_assert_null(c);
    g_assert_nonnull(strstr(error->message, "empty document"));
    g_clear_error(&error);
    c = vm_config_from_json("", 0, &error);
    g_assert_null(c);
    g_assert_nonnull(error);
    g_clear_error(&error);
    c = vm_config_from_json_node(NULL, &error);
    g_assert_null(c);
    g_assert_nonnull(strstr(error->message, "empty document"));
}

static void
test_accepted_defaults(void)
{
    /* Keys of unimplemented features, spelled out with their defaults, as
     * CH's own vm.info does: accepted and dropped. */
    g_autoptr(GError) error = NULL;
    g_autoptr(VmConfig) c = vm_config_from_json(
        "{" KERNEL ", \"cpus\": {\"boot_vcpus\": 1, \"max_vcpus\": 1,"
        " \"kvm_hyperv\": false, \"features\": {}, \"core_scheduling\": \"vm\"},"
        " \"memory\": {\"size\": 1073741824, \"hotplug_size\": 0,"
        "  \"hotplug_method\": \"acpi\", \"zones\": []},"
        " \"disks\": [{\"path\": \"/a\", \"vhost_user\": false, \"vhost_socket\": \"\","
        "  \"sparse\": true, \"backing_files\": false, \"pci_device_id\": null,"
        "  \"image_type\": null}],"
        " \"net\": [{\"fds\": [], \"vhost_mode\": \"Client\", \"mtu\": null}],"
        " \"rng\": {\"src\": \"/r\", \"pci_segment\": 0, \"pci_device_id\": null},"
        " \"console\": {\"mode\": \"tty\", \"pci_segment\": 0},"
        " \"platform\": {}, \"balloon\": null, \"fs\": [], \"rtc\": null}",
        -1, &error);
    const DiskConfig *d;
    const NetConfig *n;

    g_assert_no_error(error);
    g_assert_nonnull(c);
    g_assert_cmpuint(c->memory.size, ==, 1ULL << 30);
    d = g_ptr_array_index(c->disks, 0);
    g_assert_cmpint(d->pci_device_id, ==, -1);
    g_assert_cmpint(d->image_type, ==, IMAGE_TYPE_UNKNOWN);
    n = g_ptr_array_index(c->net, 0);
    g_assert_null(n->fds);
    g_assert_cmpuint(n->num_queues, ==, 2);
    g_assert_cmpint(c->console.mode, ==, CONSOLE_MODE_TTY);
}

static void
test_device_bodies(void)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(JsonNode) node = json_from_string("{\"path\": \"/x\", \"queue_size\": 64}",
                                                &error);
    g_autoptr(JsonNode) bad = json_from_string("{\"path\": \"/x\", \"queue_size\": 0}",
                                               NULL);
    g_autoptr(JsonNode) net = json_from_string("{\"fds\": [9, 9], \"id\": \"n\"}", NULL);
    g_autoptr(JsonNode) badnet = json_from_string("{\"socket\": \"/s\"}", NULL);
    g_autoptr(DiskConfig) d = NULL;
    g_autoptr(NetConfig) n = NULL;

    g_assert_no_error(error);
    d = disk_config_from_json_node(node, &error);
    g_assert_no_error(error);
    g_assert_cmpstr(d->path, ==, "/x");
    g_assert_cmpuint(d->queue_size, ==, 64);
    g_assert_cmpuint(d->num_queues, ==, 1);
    g_clear_pointer(&d, disk_config_free);
    d = disk_config_from_json_node(bad, &error);
    g_assert_null(d);
    g_assert_nonnull(strstr(error->message, "queue_size: expected an integer "
                            "between 1 and 32768"));
    g_clear_error(&error);
    n = net_config_from_json_node(net, &error);
    g_assert_no_error(error);
    g_assert_cmpuint(n->fds->len, ==, 2);
    g_assert_cmpuint(n->num_queues, ==, 4);
    g_clear_pointer(&n, net_config_free);
    n = net_config_from_json_node(badnet, &error);
    g_assert_null(n);
    g_assert_nonnull(strstr(error->message, "socket: unknown field"));
}

/* Golden files: in/NAME.json -> parse -> format == out/NAME.json, and the
 * output parses back to itself.  VMM_TEST_REGENERATE=1 rewrites out/. */
static void
test_golden(gconstpointer data)
{
    const char *name = data;
    g_autofree char *in = g_strdup_printf("tests/data/vmconfig/in/%s", name);
    g_autofree char *out = g_strdup_printf("tests/data/vmconfig/out/%s", name);
    g_autofree char *in_path = test_src_path(in);
    g_autofree char *out_path = test_src_path(out);
    g_autofree char *input = NULL;
    g_autofree char *expected = NULL;
    g_autofree char *formatted = NULL;
    g_autofree char *actual = NULL;
    g_autofree char *again = NULL;
    g_autoptr(GError) error = NULL;
    g_autoptr(VmConfig) c = NULL;
    g_autoptr(VmConfig) c2 = NULL;

    g_assert_true(g_file_get_contents(in_path, &input, NULL, &error));
    c = vm_config_from_json(input, -1, &error);
    g_assert_no_error(error);
    formatted = vm_config_to_json(c, true);
    actual = g_strconcat(formatted, "\n", NULL);
    if (g_getenv("VMM_TEST_REGENERATE")) {
        g_assert_true(g_file_set_contents(out_path, actual, -1, &error));
        g_assert_no_error(error);
    }
    g_assert_true(g_file_get_contents(out_path, &expected, NULL, &error));
    g_assert_cmpstr(actual, ==, expected);
    c2 = vm_config_from_json(expected, -1, &error);
    g_assert_no_error(error);
    again = vm_config_to_json(c2, true);
    g_assert_true(g_str_has_prefix(expected, again));
}

static gint
compare_names(gconstpointer a, gconstpointer b)
{
    return g_strcmp0(*(char *const *)a, *(char *const *)b);
}

int
main(int argc, char **argv)
{
    g_autofree char *dir = NULL;
    g_autoptr(GDir) d = NULL;
    g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func(g_free);
    const char *e;
    guint i;

    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/vm-config/json/bad", test_bad);
    g_test_add_func("/vm-config/json/limits", test_limits);
    g_test_add_func("/vm-config/json/accepted-defaults", test_accepted_defaults);
    g_test_add_func("/vm-config/json/device-bodies", test_device_bodies);
    dir = test_src_path("tests/data/vmconfig/in");
    d = g_dir_open(dir, 0, NULL);
    g_assert_nonnull(d);
    while ((e = g_dir_read_name(d))) {
        if (g_str_has_suffix(e, ".json"))
            g_ptr_array_add(names, g_strdup(e));
    }
    g_ptr_array_sort(names, compare_names);
    g_assert_cmpuint(names->len, >, 0);
    for (i = 0; i < names->len; i++) {
        const char *name = g_ptr_array_index(names, i);
        g_autofree char *path = g_strdup_printf("/vm-config/json/golden/%s", name);

        g_test_add_data_func(path, name, test_golden);
    }
    return g_test_run();
}
