/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests for --memory-zone and --numa: parsing, JSON and every validation rule. */
#include <config.h>

#include <string.h>
#include <gio/gio.h>

#include "config/vm-config.h"
#include "config/vm-config-numa.h"

/* A config from CLI values: --memory (or NULL), then the zones and nodes
 * (NULL-terminated lists), with @cpus for --cpus.  NULL on a parse error,
 * which goes to @error. */
static VmConfig *
cli_config(const char *cpus, const char *memory, const char *const *zones,
           const char *const *nodes, GError **error)
{
    g_autoptr(VmConfig) c = vm_config_new();

    c->payload.kernel = g_strdup("/k");
    if ((cpus && !vm_config_parse_cpus(&c->cpus, cpus, error)) ||
        (memory && !vm_config_parse_memory(&c->memory, memory, error)))
        return NULL;
    for (guint i = 0; zones && zones[i]; i++) {
        if (!vm_config_parse_memory_zone(c, zones[i], error))
            return NULL;
    }
    for (guint i = 0; nodes && nodes[i]; i++) {
        if (!vm_config_parse_numa(c, nodes[i], error))
            return NULL;
    }
    return g_steal_pointer(&c);
}

#define L(...) ((const char *const[]){ __VA_ARGS__, NULL })

static void
test_parse(void)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(VmConfig) c = NULL;
    const MemoryZoneConfig *z;
    const NumaConfig *n;
    const NumaDistance *d;

    /* --memory after --memory-zone keeps the zones. */
    c = cli_config("boot=2", NULL,
                   L("id=mem0,size=128M,host_numa_node=0,prefault=on",
                     "id=mem1,size=192M,shared=on,mergeable=on"),
                   L("guest_numa_id=0,cpus=[0],distances=[1@15],"
                     "memory_zones=[mem0]",
                     "guest_numa_id=1,cpus=[1],memory_zones=[mem1]"),
                   &error);
    g_assert_no_error(error);
    g_assert_true(vm_config_parse_memory(&c->memory, "size=0", &error));
    g_assert_no_error(error);
    g_assert_nonnull(c->memory.zones);
    g_assert_cmpuint(c->memory.zones->len, ==, 2);
    z = c->memory.zones->pdata[0];
    g_assert_cmpstr(z->id, ==, "mem0");
    g_assert_cmpuint(z->size, ==, 128ULL << 20);
    g_assert_cmpint(z->host_numa_node, ==, 0);
    g_assert_true(z->prefault);
    g_assert_false(z->shared);
    z = c->memory.zones->pdata[1];
    g_assert_cmpint(z->host_numa_node, ==, -1);
    g_assert_true(z->shared && z->mergeable);
    g_assert_cmpuint(vm_config_ram_size(&c->memory), ==, 320ULL << 20);

    g_assert_cmpuint(c->numa->len, ==, 2);
    n = c->numa->pdata[0];
    g_assert_cmpuint(n->guest_numa_id, ==, 0);
    g_assert_cmpuint(n->cpus->len, ==, 1);
    g_assert_cmpuint(g_array_index(n->cpus, uint32_t, 0), ==, 0);
    g_assert_cmpuint(n->distances->len, ==, 1);
    d = n->distances->pdata[0];
    g_assert_cmpuint(d->destination, ==, 1);
    g_assert_cmpuint(d->distance, ==, 15);
    g_assert_cmpstr(n->memory_zones[0], ==, "mem0");
    g_assert_null(n->memory_zones[1]);

    g_assert_true(vm_config_validate_full(c, VM_CONFIG_NAMES_CLI, &error));
    g_assert_no_error(error);
    /* Lookups and the distances SLIT gets: given, local, default. */
    g_assert_true(vm_config_numa_of_zone(c, "mem1") == c->numa->pdata[1]);
    g_assert_null(vm_config_numa_of_zone(c, "nope"));
    g_assert_true(vm_config_numa_of_cpu(c, 0) == c->numa->pdata[0]);
    g_assert_null(vm_config_numa_of_cpu(c, 2));
    g_assert_cmpuint(vm_config_numa_distance(c->numa->pdata[0], 1), ==, 15);
    g_assert_cmpuint(vm_config_numa_distance(c->numa->pdata[0], 0), ==, 10);
    g_assert_cmpuint(vm_config_numa_distance(c->numa->pdata[1], 0), ==, 20);
}

/* JSON in, JSON out, JSON in again: the same config. */
static void
test_json_round_trip(void)
{
    static const char json[] =
        "{\"payload\": {\"kernel\": \"/k\"},"
        " \"cpus\": {\"boot_vcpus\": 2, \"max_vcpus\": 4},"
        " \"memory\": {\"size\": 0, \"zones\": ["
        "   {\"id\": \"a\", \"size\": 134217728, \"host_numa_node\": 0},"
        "   {\"id\": \"b\", \"size\": 201326592, \"file\": \"/dev/shm\","
        "    \"shared\": true}]},"
        " \"numa\": ["
        "   {\"guest_numa_id\": 0, \"cpus\": [0, 2], \"memory_zones\": [\"a\"],"
        "    \"distances\": [{\"destination\": 1, \"distance\": 30}]},"
        "   {\"guest_numa_id\": 1, \"cpus\": [1, 3], \"memory_zones\": [\"b\"]}"
        " ]}";
    g_autoptr(GError) error = NULL;
    g_autoptr(VmConfig) c = vm_config_from_json(json, -1, &error);
    g_autoptr(VmConfig) again = NULL;
    g_autofree char *out = NULL;

    g_assert_no_error(error);
    g_assert_true(vm_config_validate(c, &error));
    g_assert_no_error(error);
    out = vm_config_to_json(c, false);
    g_test_message("%s", out);
    g_assert_nonnull(strstr(out, "\"zones\":[{\"id\":\"a\""));
    g_assert_nonnull(strstr(out, "\"numa\":[{\"guest_numa_id\":0"));
    again = vm_config_from_json(out, -1, &error);
    g_assert_no_error(error);
    g_assert_cmpuint(again->memory.zones->len, ==, 2);
    g_assert_cmpstr(((MemoryZoneConfig *)again->memory.zones->pdata[1])->file,
                    ==, "/dev/shm");
    g_assert_cmpuint(again->numa->len, ==, 2);
    g_assert_cmpuint(vm_config_numa_distance(again->numa->pdata[0], 1), ==,
                     30);
    /* A copy carries them too. */
    {
        g_autoptr(VmConfig) copy = vm_config_copy(c);

        g_assert_cmpuint(copy->memory.zones->len, ==, 2);
        g_assert_cmpuint(copy->numa->len, ==, 2);
    }
}

typedef struct {
    const char *cpus;
    const char *memory;
    const char *const *zones;
    const char *const *nodes;
    const char *error;
} BadCase;

#define Z2 L("id=a,size=128M", "id=b,size=128M")
#define N2 L("guest_numa_id=0,cpus=[0],memory_zones=[a]", \
             "guest_numa_id=1,cpus=[1],memory_zones=[b]")

static const BadCase bad_cases[] = {
    /* Parsing. */
    { NULL, NULL, L("size=1G"), NULL,
      "--memory-zone: id=<id> is required in 'size=1G'" },
    { NULL, NULL, L("id=a,size=1X"), NULL, "--memory-zone: invalid" },
    { NULL, NULL, L("id=a,host_numa_node=5000"), NULL, "--memory-zone: " },
    { NULL, NULL, L("id=a,bogus=1"), NULL,
      "--memory-zone: unknown key 'bogus'" },
    { NULL, NULL, NULL, L("cpus=[0]"),
      "--numa: guest_numa_id=<id> is required" },
    { NULL, NULL, NULL, L("guest_numa_id=0,distances=[1:20]"),
      "--numa: invalid value 'distances=[1:20]': expected a list like "
      "[1@20,2@30]" },
    { NULL, NULL, NULL, L("guest_numa_id=0,distances=[1@256]"),
      "expected a list like" },
    { NULL, NULL, NULL, L("guest_numa_id=256"), "--numa: " },
    { NULL, NULL, NULL, L("guest_numa_id=0,pci_segments=[1]"),
      "--numa: " },
    /* --memory with zones. */
    { NULL, NULL, L("id=a,size=128M"), NULL,
      "--memory: size=536870912 must be 0 when memory zones are given" },
    { NULL, "size=0,shared=on", L("id=a,size=128M"), NULL,
      "--memory: shared applies to each zone with memory zones: give it "
      "to --memory-zone" },
    { NULL, "size=0,hugepages=on", L("id=a,size=128M"), NULL,
      "--memory: hugepages applies to each zone" },
    { NULL, "size=0,hotplug_size=1G", L("id=a,size=128M"), NULL,
      "--memory: hotplug_size with memory zones belongs to each zone: give "
      "it to --memory-zone" },
    { NULL, "size=0", L("id=a,size=0"), NULL,
      "--memory-zone: 'a': size=0 is not a positive multiple of the 4 KiB "
      "page size" },
    { NULL, "size=0", L("id=a,size=4097"), NULL,
      "'a': size=4097 is not a positive multiple" },
    { NULL, "size=0", L("id=a,size=128M", "id=a,size=128M"), NULL,
      "--memory-zone: id 'a' is used by another zone" },
    { NULL, "size=0", L("id=a,size=128M,hugepage_size=2M"), NULL,
      "'a': hugepage_size=2097152 needs hugepages=on" },
    { NULL, "size=0", L("id=a,size=128M,hugepages=on,hugepage_size=3M"),
      NULL, "'a': hugepage_size=3145728 is not a power of two" },
    { NULL, "size=0", L("id=a,size=3M,hugepages=on,hugepage_size=2M"),
      NULL, "'a': size=3145728 is not a multiple of hugepage_size" },
    { NULL, "size=0", L("id=a,size=128M,file=rel/path"), NULL,
      "'a': file 'rel/path' is not an absolute path" },
    { NULL, "size=0", L("id=a,size=128M,file=/dev/shm,hugepages=on"), NULL,
      "'a': file and hugepages are mutually exclusive" },
    /* Zone hotplug (virtio-mem per zone). */
    { NULL, "size=0", L("id=a,size=128M,hotplug_size=1G"), NULL,
      "--memory-zone: 'a': hotplug_size needs --memory "
      "hotplug_method=virtio-mem" },
    { NULL, "size=0,hotplug_method=acpi", L("id=a,size=128M,hotplug_size=1G"),
      NULL, "'a': hotplug_size needs --memory hotplug_method=virtio-mem" },
    { NULL, "size=0,hotplug_method=virtio-mem",
      L("id=a,size=128M,hotplug_size=100M"), NULL,
      "'a': hotplug_size=104857600 must be a multiple of 128 MiB, at most "
      "1 TiB" },
    { NULL, "size=0,hotplug_method=virtio-mem",
      L("id=a,size=128M,hotplug_size=2T"), NULL,
      "'a': hotplug_size=2199023255552 must be a multiple of 128 MiB" },
    { NULL, "size=0,hotplug_method=virtio-mem",
      L("id=a,size=128M,hotplugged_size=2M"), NULL,
      "'a': hotplugged_size=2097152 needs hotplug_size" },
    { NULL, "size=0,hotplug_method=virtio-mem",
      L("id=a,size=128M,hotplug_size=128M,hotplugged_size=1M"), NULL,
      "'a': hotplugged_size=1048576 must be a multiple of 2 MiB, at most "
      "hotplug_size=134217728" },
    { NULL, "size=0,hotplug_method=virtio-mem",
      L("id=a,size=128M,hotplug_size=128M,hotplugged_size=256M"), NULL,
      "'a': hotplugged_size=268435456 must be a multiple of 2 MiB" },
    { NULL, "size=0,hotplug_method=virtio-mem",
      L("id=a,size=128M,hugepages=on,hotplug_size=128M"), NULL,
      "'a': hotplug_size with hugepages is not supported yet" },
    { NULL, "size=0,hotplug_method=virtio-mem",
      L("id=a,size=128M,file=/dev/shm,hotplug_size=128M"), NULL,
      "'a': hotplug_size with file is not supported yet" },
    { NULL, "size=0,hotplug_method=virtio-mem",
      L("id=a,size=2M,hotplug_size=128M", "id=b,size=2M,hotplug_size=128M",
        "id=c,size=2M,hotplug_size=128M", "id=d,size=2M,hotplug_size=128M"),
      NULL, "--memory-zone: 4 zones, 4 of them with hotplug_size: at most "
      "7 regions are supported" },
    { "max_phys_bits=32", "size=0,hotplug_method=virtio-mem",
      L("id=a,size=1G,hotplug_size=3G"), NULL,
      "'a': the zones and their hotplug regions do not fit in the guest's "
      "physical address space" },
    { NULL, "size=0", L("id=a,size=512K", "id=b,size=128M"), NULL,
      "the first zone is below the 1 MiB minimum" },
    { NULL, "size=0", L("id=a,size=2M", "id=b,size=2M", "id=c,size=2M",
                        "id=d,size=2M", "id=e,size=2M", "id=f,size=2M",
                        "id=g,size=2M", "id=h,size=2M"), NULL,
      "--memory-zone: 8 zones, 0 of them with hotplug_size: at most 7 "
      "regions are supported" },
    { "max_phys_bits=30", "size=0", L("id=a,size=1G", "id=b,size=1G"),
      NULL, "'b': the zones do not fit in the guest's physical address "
      "space" },
    /* --numa. */
    { "boot=2", "size=0", Z2,
      L("guest_numa_id=0,cpus=[0],memory_zones=[a]",
        "guest_numa_id=0,cpus=[1],memory_zones=[b]"),
      "--numa: guest_numa_id 0 is given twice" },
    { "boot=2", "size=0", Z2,
      L("guest_numa_id=0,cpus=[0,2],memory_zones=[a,b]"),
      "--numa: node 0: vCPU 2 does not exist (max_vcpus=2)" },
    { "boot=2", "size=0", Z2,
      L("guest_numa_id=0,cpus=[0,0],memory_zones=[a,b]"),
      "--numa: node 0: vCPU 0 is listed twice" },
    { "boot=2", "size=0", Z2,
      L("guest_numa_id=0,cpus=[0,1],memory_zones=[a]",
        "guest_numa_id=1,cpus=[1],memory_zones=[b]"),
      "--numa: vCPU 1 is in nodes 0 and 1" },
    { "boot=2", "size=0", Z2,
      L("guest_numa_id=0,distances=[3@20],memory_zones=[a,b]"),
      "--numa: node 0: distance to node 3, which does not exist" },
    { "boot=2", "size=0", Z2,
      L("guest_numa_id=0,distances=[0@12],memory_zones=[a,b]"),
      "--numa: node 0: the distance to itself must be 10 (got 12)" },
    { "boot=2", "size=0", Z2,
      L("guest_numa_id=0,distances=[1@10],memory_zones=[a]",
        "guest_numa_id=1,memory_zones=[b]"),
      "--numa: node 0: distance 10 to node 1 must be above 10" },
    { "boot=2", "size=0", Z2,
      L("guest_numa_id=0,distances=[1@20,1@30],memory_zones=[a]",
        "guest_numa_id=1,memory_zones=[b]"),
      "--numa: node 0: the distance to node 1 is given twice" },
    { "boot=2", "size=0", Z2,
      L("guest_numa_id=0,memory_zones=[a,c]"),
      "--numa: node 0: memory zone 'c' does not exist" },
    { "boot=2", "size=0", Z2,
      L("guest_numa_id=0,memory_zones=[a,a,b]"),
      "--numa: node 0: memory zone 'a' is listed twice" },
    { "boot=2", "size=0", Z2,
      L("guest_numa_id=0,memory_zones=[a,b]",
        "guest_numa_id=1,memory_zones=[b]"),
      "--numa: memory zone 'b' is in nodes 0 and 1" },
    { "boot=2", "size=0", Z2, L("guest_numa_id=0,memory_zones=[a]"),
      "--numa: memory zone 'b' is in no node" },
    { "boot=2", NULL, NULL, L("guest_numa_id=0,cpus=[0,1]"),
      "--numa: guest NUMA nodes need memory zones (--memory-zone)" },
};

static void
test_bad(void)
{
    for (guint i = 0; i < G_N_ELEMENTS(bad_cases); i++) {
        const BadCase *b = &bad_cases[i];
        g_autoptr(GError) error = NULL;
        g_autoptr(VmConfig) c = cli_config(b->cpus, b->memory, b->zones,
                                           b->nodes, &error);

        if (c) {
            g_autoptr(VmConfig) before = vm_config_copy(c);
            g_autofree char *json_before = vm_config_to_json(before, false);
            g_autofree char *json_after = NULL;

            g_assert_false(vm_config_validate_full(c, VM_CONFIG_NAMES_CLI,
                                                   &error));
            /* Nothing half-assigned on error. */
            json_after = vm_config_to_json(c, false);
            g_assert_cmpstr(json_before, ==, json_after);
        }
        g_assert_nonnull(error);
        g_test_message("case %u -> %s", i, error->message);
        if (!strstr(error->message, b->error)) {
            g_test_message("MISMATCH: expected '%s'", b->error);
            g_test_fail();
        }
    }
}

/* The same rules speak JSON names through vm.create. */
static void
test_json_names(void)
{
    static const struct {
        const char *json;
        const char *error;
    } cases[] = {
        { "{\"payload\": {\"kernel\": \"/k\"}, \"memory\": {\"size\": 0, "
          "\"zones\": [{\"id\": \"a\", \"size\": 1048576}, "
          "{\"id\": \"a\", \"size\": 1048576}]}}",
          "memory.zones[1]: id 'a' is used by another zone" },
        { "{\"payload\": {\"kernel\": \"/k\"}, \"memory\": {\"size\": 0, "
          "\"zones\": [{\"id\": \"a\", \"size\": 1048576}]}, "
          "\"numa\": [{\"guest_numa_id\": 0, \"memory_zones\": [\"x\"]}]}",
          "numa[0]: node 0: memory zone 'x' does not exist" },
        { "{\"payload\": {\"kernel\": \"/k\"}, \"memory\": {\"size\": 1048576, "
          "\"zones\": [{\"id\": \"a\", \"size\": 1048576}]}}",
          "memory: size=1048576 must be 0" },
        { "{\"payload\": {\"kernel\": \"/k\"}, \"memory\": {\"size\": 0, "
          "\"zones\": [{\"size\": 1048576}]}}",
          "memory.zones[0]: an id is required" },
        { "{\"payload\": {\"kernel\": \"/k\"}, "
          "\"numa\": [{\"guest_numa_id\": 0, \"distances\": "
          "[{\"destination\": 0}]}]}", "numa[0].distances[0].distance" },
    };

    for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_autoptr(GError) error = NULL;
        g_autoptr(VmConfig) c = vm_config_from_json(cases[i].json, -1, &error);

        if (c)
            g_assert_false(vm_config_validate(c, &error));
        g_assert_nonnull(error);
        g_test_message("case %u -> %s", i, error->message);
        if (!strstr(error->message, cases[i].error)) {
            g_test_message("MISMATCH: expected '%s'", cases[i].error);
            g_test_fail();
        }
    }
}

/* Zones with hotplug_size: accepted, round-trip in JSON, and their ids
 * are device ids that no other device may take. */
static void
test_zone_hotplug(void)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(VmConfig) c = cli_config(
        "boot=2", "size=0,hotplug_method=virtio-mem",
        L("id=mem0,size=128M", "id=mem1,size=128M,hotplug_size=512M,"
          "hotplugged_size=128M"),
        L("guest_numa_id=0,cpus=[0],memory_zones=[mem0]",
          "guest_numa_id=1,cpus=[1],memory_zones=[mem1]"), &error);
    g_autoptr(VmConfig) again = NULL;
    g_autoptr(VmConfig) clash = NULL;
    g_autofree char *out = NULL;
    const MemoryZoneConfig *z;

    g_assert_no_error(error);
    g_assert_true(vm_config_validate_full(c, VM_CONFIG_NAMES_CLI, &error));
    g_assert_no_error(error);
    /* RAM is the zones' boot sizes; the hotplug regions are not RAM. */
    g_assert_cmpuint(vm_config_ram_size(&c->memory), ==, 256ULL << 20);
    out = vm_config_to_json(c, false);
    g_assert_nonnull(strstr(out, "\"hotplug_size\":536870912,"
                            "\"hotplugged_size\":134217728"));
    again = vm_config_from_json(out, -1, &error);
    g_assert_no_error(error);
    g_assert_true(vm_config_validate(again, &error));
    g_assert_no_error(error);
    z = again->memory.zones->pdata[1];
    g_assert_cmpuint(z->hotplug_size, ==, 512ULL << 20);
    g_assert_cmpuint(z->hotplugged_size, ==, 128ULL << 20);

    /* A disk named like a zone with hotplug_size clashes (409). */
    clash = vm_config_from_json(
        "{\"payload\": {\"kernel\": \"/k\"}, \"memory\": {\"size\": 0, "
        "\"hotplug_method\": \"VirtioMem\", \"zones\": [{\"id\": \"z\", "
        "\"size\": 134217728, \"hotplug_size\": 134217728}]}, "
        "\"disks\": [{\"id\": \"z\", \"path\": \"/dev/null\"}]}", -1, &error);
    g_assert_no_error(error);
    g_assert_false(vm_config_validate(clash, &error));
    g_test_message("%s", error->message);
    g_assert_true(g_error_matches(error, G_IO_ERROR, G_IO_ERROR_EXISTS));
    g_assert_nonnull(strstr(error->message, "id 'z' is already used by"));
}

/* host_numa_node must name a node of this host. */
static void
test_check_host(void)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(VmConfig) c = cli_config(NULL, "size=0",
                                       L("id=a,size=2M,host_numa_node=1023"),
                                       NULL, &error);

    g_assert_no_error(error);
    g_assert_true(vm_config_validate_full(c, VM_CONFIG_NAMES_CLI, &error));
    g_assert_false(vm_config_check_host_zones(c, VM_CONFIG_NAMES_CLI,
                                              &error));
    g_assert_nonnull(strstr(error->message, "--memory-zone: 'a': "
                            "host_numa_node=1023: the host has no such NUMA "
                            "node"));
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/config/numa/parse", test_parse);
    g_test_add_func("/config/numa/json-round-trip", test_json_round_trip);
    g_test_add_func("/config/numa/bad", test_bad);
    g_test_add_func("/config/numa/json-names", test_json_names);
    g_test_add_func("/config/numa/check-host", test_check_host);
    g_test_add_func("/config/numa/zone-hotplug", test_zone_hotplug);
    return g_test_run();
}
