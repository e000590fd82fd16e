/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests of nimbusd's driver helpers: VMM event parser, host facts, caps, domain list. */
#include <config.h>

#include <string.h>
#include <unistd.h>
#include <glib.h>
#include <libxml/parser.h>

#include "driver/caps.h"
#include "driver/domain-list.h"
#include "driver/hostcpu.h"
#include "driver/monitor.h"
#include "driver/nodeinfo.h"
#include "driver/nodestats.h"
#include "driver/remote/remote.h"
#include "driver/vmm-events.h"
#include "tests/testutil.h"

/* ---- VMM event stream ---------------------------------------------------- */

static void
collect_event(const char *source, const char *event, JsonObject *props,
              gpointer data)
{
    GPtrArray *out = data;
    const char *id = props && json_object_has_member(props, "id") ?
        json_object_get_string_member(props, "id") : NULL;

    g_ptr_array_add(out, g_strdup_printf("%s/%s%s%s", source, event,
                                         id ? ":" : "", id ? id : ""));
}

static const char ch_events[] =
    "{\n  \"timestamp\": {\n    \"secs\": 0,\n    \"nanos\": 2681\n  },\n"
    "  \"source\": \"vmm\",\n  \"event\": \"starting\",\n  \"properties\": null\n}\n\n"
    "{\n  \"timestamp\": {\"secs\": 1, \"nanos\": 5},\n  \"source\": \"vm\",\n"
    "  \"event\": \"booted\",\n  \"properties\": null\n}\n\n"
    "{\n  \"timestamp\": {\"secs\": 2, \"nanos\": 5},\n  \"source\": \"virtio-device\",\n"
    "  \"event\": \"activated\",\n  \"properties\": {\"id\": \"_disk{0}\"}\n}\n\n";

static void
test_events_split_feeds(void)
{
    g_autoptr(GPtrArray) out = g_ptr_array_new_with_free_func(g_free);
    g_autoptr(DrvVmmEventParser) p = drv_vmm_event_parser_new();

    /* One byte at a time: objects split anywhere, even inside strings. */
    for (size_t i = 0; i < strlen(ch_events); i++)
        drv_vmm_event_parser_feed(p, ch_events + i, 1, collect_event, out);
    g_assert_cmpuint(out->len, ==, 3);
    g_assert_cmpstr(out->pdata[0], ==, "vmm/starting");
    g_assert_cmpstr(out->pdata[1], ==, "vm/booted");
    /* A brace inside a string value does not end the object. */
    g_assert_cmpstr(out->pdata[2], ==, "virtio-device/activated:_disk{0}");
}

static void
test_events_junk(void)
{
    g_autoptr(GPtrArray) out = g_ptr_array_new_with_free_func(g_free);
    g_autoptr(DrvVmmEventParser) p = drv_vmm_event_parser_new();
    g_autofree char *deep = NULL;
    g_autofree char *fill = NULL;
    g_autofree char *big = NULL;
    const char *junk =
        "garbage before\n"
        "{\"source\": \"vm\"}\n\n"                       /* no event: dropped */
        "{\"source\": 1, \"event\": [\"x\"]}\n"          /* wrong types: dropped */
        "{not json at all}\n"
        "{\"source\": \"vm\", \"event\": \"shutdown\", \"properties\": 7}\n"
        "[1,2]\n"
        "{\"source\": \"str\\\"}\", \"event\": \"esc\"}\n";

    drv_vmm_event_parser_feed(p, junk, strlen(junk), collect_event, out);
    g_assert_cmpuint(out->len, ==, 2);
    g_assert_cmpstr(out->pdata[0], ==, "vm/shutdown");
    g_assert_cmpstr(out->pdata[1], ==, "str\"}/esc");

    /* Deep nesting and oversized objects resynchronise on the next one. */
    deep = g_strnfill(100, '{');
    drv_vmm_event_parser_feed(p, deep, strlen(deep), collect_event, out);
    fill = g_strnfill(DRV_VMM_EVENT_MAX, 'a');
    big = g_strdup_printf("{\"source\": \"%s\"}", fill);
    drv_vmm_event_parser_feed(p, big, strlen(big), collect_event, out);
    drv_vmm_event_parser_feed(p, "}}}{\"source\":\"vm\",\"event\":\"paused\"}", 36,
                              collect_event, out);
    g_assert_cmpuint(out->len, ==, 3);
    g_assert_cmpstr(out->pdata[2], ==, "vm/paused");
}

/* ---- host facts ---------------------------------------------------------- */

static void
test_cpulist(void)
{
    g_autoptr(GArray) a = drv_parse_cpulist("0-3,8,10-11\n");
    g_autoptr(GArray) b = drv_parse_cpulist("");

    g_assert_nonnull(a);
    g_assert_cmpuint(a->len, ==, 7);
    g_assert_cmpint(g_array_index(a, int, 4), ==, 8);
    g_assert_cmpint(g_array_index(a, int, 6), ==, 11);
    g_assert_nonnull(b);
    g_assert_cmpuint(b->len, ==, 0);
    g_assert_null(drv_parse_cpulist("3-1"));
    g_assert_null(drv_parse_cpulist("a"));
    g_assert_null(drv_parse_cpulist("1-"));
    g_assert_null(drv_parse_cpulist("0-99999999"));
}

static void
write_file(const char *root, const char *rel, const char *text)
{
    g_autofree char *path = g_build_filename(root, rel, NULL);
    g_autofree char *dir = g_path_get_dirname(path);

    g_assert_cmpint(g_mkdir_with_parents(dir, 0755), ==, 0);
    g_assert_true(g_file_set_contents(path, text, -1, NULL));
}

/* 2 NUMA nodes x 1 socket x 2 cores x 2 threads = 8 CPUs. */
static char *
make_fake_host(void)
{
    char *root = g_build_filename(test_tmpdir(), "host", NULL);

    write_file(root, "sys/devices/system/cpu/online", "0-7\n");
    write_file(root, "sys/devices/system/node/online", "0-1\n");
    write_file(root, "sys/devices/system/node/node0/cpulist", "0-3\n");
    write_file(root, "sys/devices/system/node/node1/cpulist", "4-7\n");
    write_file(root, "sys/devices/system/node/node0/meminfo",
               "Node 0 MemTotal:       1000 kB\nNode 0 MemFree: 10 kB\n");
    write_file(root, "sys/devices/system/node/node1/meminfo",
               "Node 1 MemTotal:       2000 kB\n");
    for (int cpu = 0; cpu < 8; cpu++) {
        g_autofree char *base = g_strdup_printf("sys/devices/system/cpu/cpu%d/topology", cpu);
        g_autofree char *pkg = g_build_filename(base, "physical_package_id", NULL);
        g_autofree char *core = g_build_filename(base, "core_id", NULL);
        g_autofree char *sib = g_build_filename(base, "thread_siblings_list", NULL);
        g_autofree char *pkgv = g_strdup_printf("%d\n", cpu / 4);
        g_autofree char *corev = g_strdup_printf("%d\n", (cpu % 4) / 2);
        g_autofree char *sibv = g_strdup_printf("%d-%d\n", cpu & ~1, cpu | 1);

        write_file(root, pkg, pkgv);
        write_file(root, core, corev);
        write_file(root, sib, sibv);
    }
    write_file(root, "proc/meminfo", "MemTotal:        3000 kB\nMemFree:   1234 kB\n");
    write_file(root, "proc/cpuinfo",
               "processor\t: 0\nvendor_id\t: AuthenticAMD\ncpu MHz\t\t: 2999.998\n");
    return root;
}

static void
test_nodeinfo(void)
{
    g_autofree char *root = make_fake_host();
    g_autoptr(GError) error = NULL;
    g_autoptr(DrvNodeInfo) info = drv_node_info_new(root, &error);
    uint64_t free_bytes = 0;
    DrvNumaCell *cell;

    g_assert_no_error(error);
    g_assert_cmpint(info->cpus, ==, 8);
    g_assert_cmpint(info->nodes, ==, 2);
    g_assert_cmpint(info->sockets, ==, 1);
    g_assert_cmpint(info->cores, ==, 2);
    g_assert_cmpint(info->threads, ==, 2);
    g_assert_cmpint(info->mhz, ==, 2999);
    g_assert_cmpuint(info->memory_kib, ==, 3000);
    g_assert_cmpstr(info->vendor, ==, "AMD");
    g_assert_cmpuint(info->cells->len, ==, 2);
    cell = g_ptr_array_index(info->cells, 1);
    g_assert_cmpint(cell->id, ==, 1);
    g_assert_cmpuint(cell->memory_kib, ==, 2000);
    g_assert_cmpuint(cell->cpus->len, ==, 4);
    g_assert_cmpstr(((DrvHostCpu *)g_ptr_array_index(cell->cpus, 1))->siblings, ==, "4-5");
    g_assert_true(drv_node_free_memory(root, &free_bytes, NULL));
    g_assert_cmpuint(free_bytes, ==, 1234 * 1024);

    g_assert_null(drv_node_info_new("/nonexistent", &error) ? (gpointer)1 : NULL);
}

/* CPU map, CPU and memory statistics and sysinfo from the fake tree. */
static void
test_nodestats(void)
{
    g_autofree char *root = make_fake_host();
    g_autoptr(GError) error = NULL;
    g_autoptr(GByteArray) map = NULL;
    g_autofree char *sysinfo = NULL;
    DrvNodeStat st[DRV_NODE_MEMORY_STATS_COUNT];
    uint64_t tick_ns = 1000000000ull / (uint64_t)sysconf(_SC_CLK_TCK);
    unsigned int online = 0;
    int ncpus = 0;

    /* 10 possible CPUs, 1 and 8 offline; the map is 10 bits long. */
    write_file(root, "sys/devices/system/cpu/present", "0-9\n");
    write_file(root, "sys/devices/system/cpu/online", "0,2-7,9\n");
    map = drv_node_cpu_map_new(root, &ncpus, &online, &error);
    g_assert_no_error(error);
    g_assert_cmpint(ncpus, ==, 10);
    g_assert_cmpuint(online, ==, 8);
    g_assert_cmpuint(map->len, ==, 2);
    g_assert_cmpuint(map->data[0], ==, 0xfd);
    g_assert_cmpuint(map->data[1], ==, 0x02);

    write_file(root, "proc/stat",
               "cpu  10 1 20 300 4 5 6 0 0 0\n"
               "cpu0 7 0 8 100 1 1 1 0 0 0\n");
    g_assert_true(drv_node_cpu_stats(root, DRV_NODE_STATS_ALL, st, &error));
    g_assert_cmpstr(st[0].field, ==, "kernel");
    g_assert_cmpuint(st[0].value, ==, (20 + 5 + 6) * tick_ns);
    g_assert_cmpstr(st[1].field, ==, "user");
    g_assert_cmpuint(st[1].value, ==, 11 * tick_ns);
    g_assert_cmpuint(st[2].value, ==, 300 * tick_ns);
    g_assert_cmpuint(st[3].value, ==, 4 * tick_ns);
    g_assert_true(drv_node_cpu_stats(root, 0, st, &error));
    g_assert_cmpuint(st[2].value, ==, 100 * tick_ns);
    g_assert_false(drv_node_cpu_stats(root, 1, st, &error));
    g_assert_error(error, DRV_ERROR, DRV_ERROR_INVALID_ARG);
    g_clear_error(&error);

    write_file(root, "proc/meminfo",
               "MemTotal: 3000 kB\nMemFree: 1234 kB\nBuffers: 5 kB\nCached: 6 kB\n");
    g_assert_cmpint(drv_node_memory_stats(root, DRV_NODE_STATS_ALL, st, &error), ==, 4);
    g_assert_cmpstr(st[3].field, ==, "cached");
    g_assert_cmpuint(st[3].value, ==, 6);
    /* A cell: the node's meminfo has total and free only. */
    g_assert_cmpint(drv_node_memory_stats(root, 0, st, &error), ==, 2);
    g_assert_cmpuint(st[0].value, ==, 1000);
    g_assert_cmpuint(st[1].value, ==, 10);
    g_assert_cmpint(drv_node_memory_stats(root, 5, st, &error), ==, -1);
    g_assert_error(error, DRV_ERROR, DRV_ERROR_INVALID_ARG);
    g_clear_error(&error);

    g_assert_null(drv_node_sysinfo_format(root, &error));
    g_assert_error(error, DRV_ERROR, DRV_ERROR_CONFIG_UNSUPPORTED);
    g_clear_error(&error);
    write_file(root, "sys/class/dmi/id/sys_vendor", "ACME & Co\n");
    write_file(root, "sys/class/dmi/id/bios_version", "1.2\n");
    sysinfo = drv_node_sysinfo_format(root, &error);
    g_assert_no_error(error);
    g_assert_nonnull(strstr(sysinfo, "<bios>\n    <entry name='version'>1.2</entry>\n  </bios>"));
    g_assert_nonnull(strstr(sysinfo, "<entry name='manufacturer'>ACME &amp; Co</entry>"));
}

/* Compare and baseline against the fake host (x86_64 when run here). */
static void
test_hostcpu(void)
{
    g_autofree char *root = make_fake_host();
    g_autoptr(DrvNodeInfo) node = drv_node_info_new(root, NULL);
    g_autoptr(GError) error = NULL;
    g_autofree char *host = g_strdup_printf("<cpu><arch>%s</arch><vendor>AMD</vendor></cpu>",
                                            node->model);
    g_autofree char *base = NULL;
    char *xmls[2] = { host, (char *)"<cpu mode='host-model'/>" };

    g_assert_cmpint(drv_cpu_compare(node, host, 0, &error), ==, DRV_CPU_COMPARE_IDENTICAL);
    g_assert_cmpint(drv_cpu_compare(node, "<cpu mode='host-passthrough'/>", 0, &error),
                    ==, DRV_CPU_COMPARE_IDENTICAL);
    g_assert_cmpint(drv_cpu_compare(node, "<cpu><vendor>Intel</vendor></cpu>", 0, &error),
                    ==, DRV_CPU_COMPARE_INCOMPATIBLE);
    g_assert_cmpint(drv_cpu_compare(node, "<cpu><vendor>Intel</vendor></cpu>",
                                    DRV_CPU_COMPARE_FAIL_INCOMPATIBLE, &error),
                    ==, DRV_CPU_COMPARE_ERROR);
    g_assert_error(error, DRV_ERROR, DRV_ERROR_CPU_INCOMPATIBLE);
    g_clear_error(&error);
    g_assert_cmpint(drv_cpu_compare(node, "<cpu><model>Haswell</model></cpu>", 0, &error),
                    ==, DRV_CPU_COMPARE_ERROR);
    g_assert_error(error, DRV_ERROR, DRV_ERROR_CONFIG_UNSUPPORTED);
    g_clear_error(&error);
    g_assert_cmpint(drv_cpu_compare(node, "<cpu", 0, &error), ==, DRV_CPU_COMPARE_ERROR);
    g_assert_error(error, DRV_ERROR, DRV_ERROR_XML_ERROR);
    g_clear_error(&error);

    base = drv_cpu_baseline(node, xmls, 2, DRV_CPU_BASELINE_EXPAND_FEATURES, &error);
    g_assert_no_error(error);
    g_assert_nonnull(strstr(base, "mode='host-passthrough'"));
    xmls[1] = (char *)"<cpu><arch>aarch64</arch></cpu>";
    g_assert_null(drv_cpu_baseline(node, xmls, 2, 0, &error));
    g_assert_error(error, DRV_ERROR, DRV_ERROR_OPERATION_UNSUPPORTED);
    g_clear_error(&error);
    g_assert_null(drv_cpu_baseline(node, xmls, 0, 0, &error));
    g_assert_error(error, DRV_ERROR, DRV_ERROR_INVALID_ARG);
}

static void
test_caps_xml(void)
{
    g_autofree char *root = make_fake_host();
    g_autoptr(DrvNodeInfo) info = drv_node_info_new(root, NULL);
    DrvConfig cfg = { .nimbus_binary = (char *)"/usr/bin/nimbus" };
    g_autofree char *caps = drv_caps_format(&cfg, info);
    g_autofree char *domcaps = NULL;
    g_autoptr(GError) error = NULL;
    xmlDocPtr doc;

    doc = xmlReadMemory(caps, (int)strlen(caps), "caps.xml", NULL, XML_PARSE_NONET);
    g_assert_nonnull(doc);
    xmlFreeDoc(doc);
    g_assert_nonnull(strstr(caps, "<cells num='2'>"));
    g_assert_nonnull(strstr(caps, "<domain type='kvm'/>"));
    g_assert_nonnull(strstr(caps, "<os_type>hvm</os_type>"));
    g_assert_nonnull(strstr(caps, "<emulator>/usr/bin/nimbus</emulator>"));
    g_assert_nonnull(strstr(caps, ">nimbus</machine>"));
    g_assert_nonnull(strstr(caps, "<machine canonical='nimbus' maxCpus="));
    g_assert_nonnull(strstr(caps, ">q35</machine>"));

    domcaps = drv_domcaps_format(&cfg, NULL, NULL, NULL, "kvm", 0, &error);
    g_assert_no_error(error);
    doc = xmlReadMemory(domcaps, (int)strlen(domcaps), "domcaps.xml", NULL, XML_PARSE_NONET);
    g_assert_nonnull(doc);
    xmlFreeDoc(doc);
    g_assert_nonnull(strstr(domcaps, "<domain>kvm</domain>"));
    g_assert_nonnull(strstr(domcaps, "<machine>nimbus</machine>"));
    g_free(g_steal_pointer(&domcaps));
    domcaps = drv_domcaps_format(&cfg, NULL, NULL, "pc", "kvm", 0, &error);
    g_assert_no_error(error);
    g_assert_nonnull(strstr(domcaps, "<machine>nimbus</machine>"));
    g_assert_null(drv_domcaps_format(&cfg, NULL, NULL, "pc-i440fx-7.2", NULL, 0, &error));
    g_assert_error(error, DRV_ERROR, DRV_ERROR_CONFIG_UNSUPPORTED);
    g_clear_error(&error);
    g_assert_null(drv_domcaps_format(&cfg, NULL, NULL, NULL, "qemu", 0, &error));
    g_assert_error(error, DRV_ERROR, DRV_ERROR_CONFIG_UNSUPPORTED);
    g_clear_error(&error);
    g_assert_null(drv_domcaps_format(&cfg, NULL, "aarch64", NULL, NULL, 0, &error));
    g_assert_error(error, DRV_ERROR, DRV_ERROR_CONFIG_UNSUPPORTED);
    g_clear_error(&error);
    g_assert_null(drv_domcaps_format(&cfg, "/usr/bin/qemu", NULL, NULL, NULL, 0, &error));
    g_assert_error(error, DRV_ERROR, DRV_ERROR_CONFIG_UNSUPPORTED);
    g_clear_error(&error);
    g_assert_null(drv_domcaps_format(&cfg, NULL, NULL, NULL, NULL, 1, &error));
    g_assert_error(error, DRV_ERROR, DRV_ERROR_INVALID_ARG);
}

static void
test_version_and_flags(void)
{
    g_autoptr(GError) error = NULL;
    int max = 0;

    g_assert_cmpuint(remote_parse_version("cloud-hypervisor v41.0.0-fake"), ==, 41000000);
    g_assert_cmpuint(remote_parse_version("nimbus 0.1.0"), ==, 1000);
    g_assert_cmpuint(remote_parse_version("v40.2"), ==, 40002000);
    g_assert_cmpuint(remote_parse_version("no version"), ==, 0);
    g_assert_true(drv_check_flags(3, 7, "virX", NULL));
    g_assert_false(drv_check_flags(9, 7, "virX", &error));
    g_assert_error(error, DRV_ERROR, DRV_ERROR_INVALID_ARG);
    g_assert_cmpstr(error->message, ==, "unsupported flags (0x8) in function virX");
    g_clear_error(&error);
    g_assert_true(drv_max_vcpus("KVM", &max, NULL));
    g_assert_cmpint(max, >, 0);
    g_assert_false(drv_max_vcpus("xen", &max, &error));
    g_assert_error(error, DRV_ERROR, DRV_ERROR_INVALID_ARG);
}

/* ---- domain list --------------------------------------------------------- */

static DomainDef *
make_def(const char *name, const char *uuid)
{
    g_autofree char *xml = g_strdup_printf(
        "<domain type='kvm'><name>%s</name><uuid>%s</uuid>"
        "<memory unit='MiB'>256</memory><vcpu>1</vcpu>"
        "<os><type>hvm</type><kernel>/k</kernel></os></domain>", name, uuid);
    g_autoptr(GError) error = NULL;
    DomainDef *def = domain_def_parse_string(xml, DOMAIN_DEF_PARSE_INACTIVE, &error);

    g_assert_no_error(error);
    return def;
}

static void
test_domain_list_claim(void)
{
    g_autoptr(DrvDomainList) list = drv_domain_list_new();
    g_autoptr(DomainDef) a = make_def("a", "11111111-1111-1111-1111-111111111111");
    g_autoptr(DomainDef) a2 = make_def("a2", "11111111-1111-1111-1111-111111111111");
    g_autoptr(DomainDef) b = make_def("a", "22222222-2222-2222-2222-222222222222");
    g_autoptr(GError) error = NULL;
    g_autoptr(GPtrArray) all = NULL;
    DrvDomainObj *obj;
    DrvDomainObj *again;
    bool created = false;

    obj = drv_domain_list_claim(list, a, &created, &error);
    g_assert_no_error(error);
    g_assert_true(created);
    g_assert_cmpint(obj->id, ==, -1);
    drv_domain_obj_unlock(obj);

    again = drv_domain_list_claim(list, a, &created, NULL);
    g_assert_true(again == obj);
    g_assert_false(created);
    drv_domain_obj_unlock(again);
    drv_domain_obj_unref(again);

    /* Same uuid, other name; same name, other uuid: both refused. */
    g_assert_null(drv_domain_list_claim(list, a2, &created, &error));
    g_assert_error(error, DRV_ERROR, DRV_ERROR_OPERATION_FAILED);
    g_clear_error(&error);
    g_assert_null(drv_domain_list_claim(list, b, &created, &error));
    g_assert_error(error, DRV_ERROR, DRV_ERROR_OPERATION_FAILED);
    g_clear_error(&error);

    again = drv_domain_list_find_by_name(list, "a");
    g_assert_true(again == obj);
    drv_domain_obj_unref(again);
    g_assert_null(drv_domain_list_find_by_id(list, 1));
    drv_domain_obj_lock(obj);
    obj->id = 4;
    drv_domain_obj_unlock(obj);
    again = drv_domain_list_find_by_id(list, 4);
    g_assert_true(again == obj);
    drv_domain_obj_unref(again);

    drv_domain_obj_lock(obj);
    drv_domain_list_remove_locked(list, obj);
    g_assert_true(obj->removed);
    /* A job cannot start on a removed domain. */
    g_assert_false(drv_domain_job_begin(obj, "test", &error));
    g_assert_error(error, DRV_ERROR, DRV_ERROR_NO_DOMAIN);
    drv_domain_obj_unlock(obj);
    drv_domain_obj_unref(obj);
    all = drv_domain_list_collect(list);
    g_assert_cmpuint(all->len, ==, 0);
}

/* The pty paths come from vm.info's runtime record, by device id, not
 * from the config (which CH-compatible output also fills). */
static void
test_info_pty(void)
{
    static const char *info =
        "{\"config\": {\"serial\": {\"mode\": \"Pty\", \"file\": \"/stale\"},"
        " \"console\": {\"mode\": \"Pty\", \"file\": null, \"id\": \"con0\"}},"
        " \"state\": \"Running\","
        " \"runtime\": {\"__serial\": {\"pty\": \"/dev/pts/7\"},"
        "  \"con0\": {\"pty\": \"/dev/pts/8\", \"pci_bdf\": \"0000:00:01.0\"}}}";
    static const char *no_runtime =
        "{\"config\": {\"serial\": {\"mode\": \"Pty\", \"file\": \"/dev/pts/7\"}},"
        " \"state\": \"Running\"}";
    g_autoptr(JsonNode) a = json_from_string(info, NULL);
    g_autoptr(JsonNode) b = json_from_string(no_runtime, NULL);
    g_autofree char *serial = drv_monitor_info_pty(a, "serial");
    g_autofree char *console = drv_monitor_info_pty(a, "console");
    g_autofree char *none = drv_monitor_info_pty(b, "serial");

    g_assert_cmpstr(serial, ==, "/dev/pts/7");
    g_assert_cmpstr(console, ==, "/dev/pts/8");
    g_assert_null(none);
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/rpc/driver/events/split-feeds", test_events_split_feeds);
    g_test_add_func("/rpc/driver/events/junk", test_events_junk);
    g_test_add_func("/rpc/driver/host/cpulist", test_cpulist);
    g_test_add_func("/rpc/driver/host/nodeinfo", test_nodeinfo);
    g_test_add_func("/rpc/driver/host/nodestats", test_nodestats);
    g_test_add_func("/rpc/driver/host/cpu-compare-baseline", test_hostcpu);
    g_test_add_func("/rpc/driver/caps/xml", test_caps_xml);
    g_test_add_func("/rpc/driver/version-and-flags", test_version_and_flags);
    g_test_add_func("/rpc/driver/domain-list/claim", test_domain_list_claim);
    g_test_add_func("/rpc/driver/monitor/info-pty", test_info_pty);
    return g_test_run();
}
