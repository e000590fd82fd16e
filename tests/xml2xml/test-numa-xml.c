/* SPDX-License-Identifier: Apache-2.0 */
/* <cpu><numa>, <numatune> and <memoryBacking> per cell: refusals and the VmConfig zones. */
#include <config.h>

#include <string.h>

#include "config/vm-config.h"
#include "config/vm-config-numa.h"
#include "devices/registry.h"
#include "driver/xml/domain-conf.h"
#include "driver/xml/memory-backing.h"
#include "driver/xml/memory-xml.h"
#include "tests/testutil.h"
#include "tests/xml2xml/golden.h"

/* 512 MiB, 4 vCPUs; @cells inside <cpu><numa>, @extra after <os>. */
#define UUID "<uuid>5e6f7a8b-9c0d-4e1f-a2b3-c4d5e6f7a8b9</uuid>"
#define OS "<os><type arch='x86_64'>hvm</type>" \
           "<kernel>/boot/vmlinux</kernel></os>"
#define DOMX(pre, cells, extra) \
    "<domain type='kvm'><name>n</name>" UUID \
    "<memory unit='MiB'>512</memory>" pre "<vcpu>4</vcpu>" OS \
    "<cpu><numa>" cells "</numa></cpu>" extra "</domain>"
#define DOM(cells) DOMX("", cells, "")
#define CELL(id, cpus, mib, body) \
    "<cell id='" id "' cpus='" cpus "' memory='" mib "' unit='MiB'>" \
    body "</cell>"
/* The valid two-cell layout the cases start from. */
#define TWO CELL("0", "0-1", "256", "") CELL("1", "2-3", "256", "")
#define TUNE(body) DOMX("<numatune>" body "</numatune>", TWO, "")
#define MB(body) DOMX("<memoryBacking>" body "</memoryBacking>", TWO, "")
/* Two 128 MiB cells and memory devices @devs of 256 MiB in all. */
#define VMEM_TARGET(node, block) \
    "<target><size unit='MiB'>256</size>" node \
    "<block unit='KiB'>" block "</block>" \
    "<requested unit='MiB'>64</requested></target>"
#define VMEM(node) \
    "<memory model='virtio-mem'>" VMEM_TARGET(node, "2048") "</memory>"
#define HP(devs) \
    DOMX("<maxMemory slots='2' unit='GiB'>2</maxMemory>", \
         CELL("0", "0-1", "128", "") CELL("1", "2-3", "128", ""), \
         "<devices>" devs "</devices>")

typedef struct {
    const char *name;
    const char *xml;
    DrvErrorCode code;
    const char *message;    /* substring of the error message */
} BadCase;

static const BadCase bad_cases[] = {
    /* Cells: ids, CPUs, sizes. */
    { "id-range", DOM(CELL("0", "0-1", "256", "") CELL("2", "2-3", "256", "")),
      DRV_ERROR_XML_ERROR, "NUMA cell id 2 is out of range: the 2 cells must "
      "have ids 0 to 1" },
    { "id-twice", DOM(CELL("1", "0-1", "256", "") CELL("1", "2-3", "256", "")),
      DRV_ERROR_XML_ERROR, "NUMA cell id 1 is given twice" },
    { "no-memory", DOM("<cell id='0' cpus='0-3'/>"), DRV_ERROR_XML_ERROR,
      "/domain/cpu/numa" },
    { "cpus-overlap",
      DOM(CELL("0", "0-2", "256", "") CELL("1", "2-3", "256", "")),
      DRV_ERROR_CONFIG_UNSUPPORTED, "NUMA cells 0 and 1 both have vCPU 2" },
    { "cpus-missing",
      DOM(CELL("0", "0", "256", "") CELL("1", "2-3", "256", "")),
      DRV_ERROR_CONFIG_UNSUPPORTED, "vCPU 1 is in no NUMA cell" },
    { "cpus-beyond",
      DOM(CELL("0", "0-1", "256", "") CELL("1", "2-4", "256", "")),
      DRV_ERROR_CONFIG_UNSUPPORTED, "NUMA cell 1: vCPU 4 does not exist" },
    { "cpus-bad", DOM(CELL("0", "0-1", "256", "") CELL("1", "3-2", "256", "")),
      DRV_ERROR_XML_ERROR, "NUMA cell 1: cpus:" },
    { "memory-sum",
      DOM(CELL("0", "0-1", "256", "") CELL("1", "2-3", "128", "")),
      DRV_ERROR_CONFIG_UNSUPPORTED, "the NUMA cells' memory (393216 KiB) "
      "must add up to <memory> (524288 KiB)" },
    { "memory-page",
      DOM("<cell id='0' cpus='0-1' memory='262146'/>"
          "<cell id='1' cpus='2-3' memory='262142'/>"),
      DRV_ERROR_CONFIG_UNSUPPORTED, "NUMA cell 0: memory 262146 KiB is not a "
      "positive multiple of the 4 KiB page" },
    { "memory-first-small",
      DOM("<cell id='0' cpus='0-1' memory='512'/>"
          "<cell id='1' cpus='2-3' memory='523776'/>"),
      DRV_ERROR_CONFIG_UNSUPPORTED, "NUMA cell 0: memory 512 KiB is below "
      "1 MiB" },
    { "too-many",
      "<domain type='kvm'><name>n</name>" UUID
      "<memory unit='MiB'>8</memory><vcpu>8</vcpu>" OS "<cpu><numa>"
      CELL("0", "0", "1", "") CELL("1", "1", "1", "") CELL("2", "2", "1", "")
      CELL("3", "3", "1", "") CELL("4", "4", "1", "") CELL("5", "5", "1", "")
      CELL("6", "6", "1", "") CELL("7", "7", "1", "")
      "</numa></cpu></domain>",
      DRV_ERROR_CONFIG_UNSUPPORTED, "8 NUMA cells: nimbus supports at most 7" },
    { "discard", DOM(CELL("0", "0-1", "256", "")
                     "<cell id='1' cpus='2-3' memory='262144' discard='yes'/>"),
      DRV_ERROR_CONFIG_UNSUPPORTED, "NUMA cell 1: discard='yes' is not "
      "supported by nimbus" },
    /* Distances. */
    { "dist-self", DOM(CELL("0", "0-1", "256",
                            "<distances><sibling id='0' value='20'/>"
                            "</distances>") CELL("1", "2-3", "256", "")),
      DRV_ERROR_XML_ERROR, "NUMA cell 0: the distance to itself must be 10" },
    { "dist-local", DOM(CELL("0", "0-1", "256",
                             "<distances><sibling id='1' value='10'/>"
                             "</distances>") CELL("1", "2-3", "256", "")),
      DRV_ERROR_XML_ERROR, "NUMA cell 0: distance 10 to cell 1 is out of "
      "range (11 to 255)" },
    { "dist-big", DOM(CELL("0", "0-1", "256",
                           "<distances><sibling id='1' value='256'/>"
                           "</distances>") CELL("1", "2-3", "256", "")),
      DRV_ERROR_XML_ERROR, "out of range" },
    { "dist-sibling", DOM(CELL("0", "0-1", "256",
                               "<distances><sibling id='2' value='20'/>"
                               "</distances>") CELL("1", "2-3", "256", "")),
      DRV_ERROR_XML_ERROR, "NUMA cell 0: sibling id 2 does not refer to a "
      "valid cell" },
    { "dist-twice", DOM(CELL("0", "0-1", "256",
                             "<distances><sibling id='1' value='20'/>"
                             "<sibling id='1' value='30'/></distances>")
                        CELL("1", "2-3", "256", "")),
      DRV_ERROR_XML_ERROR, "NUMA cell 0: the distance to cell 1 is given "
      "twice" },
    /* <numatune>: only what mbind(MPOL_BIND) to one node does. */
    { "tune-preferred", TUNE("<memory mode='preferred' nodeset='0'/>"),
      DRV_ERROR_CONFIG_UNSUPPORTED, "numatune <memory>: mode 'preferred' is "
      "not supported by nimbus (it binds guest memory with "
      "mbind(MPOL_BIND): use mode='strict')" },
    { "tune-interleave", TUNE("<memory mode='interleave' nodeset='0'/>"),
      DRV_ERROR_CONFIG_UNSUPPORTED, "mode 'interleave' is not supported" },
    { "tune-restrictive", TUNE("<memory mode='restrictive' nodeset='0'/>"),
      DRV_ERROR_CONFIG_UNSUPPORTED, "mode 'restrictive' is not supported" },
    { "tune-two-nodes", TUNE("<memory mode='strict' nodeset='0-1'/>"),
      DRV_ERROR_CONFIG_UNSUPPORTED, "numatune <memory>: nodeset '0-1' has "
      "several host nodes" },
    { "tune-auto", TUNE("<memory mode='strict' placement='auto'/>"),
      DRV_ERROR_CONFIG_UNSUPPORTED, "placement 'auto' (numad) is not "
      "supported" },
    { "memnode-cell", TUNE("<memnode cellid='2' mode='strict' nodeset='0'/>"),
      DRV_ERROR_CONFIG_UNSUPPORTED, "numatune <memnode cellid='2'>: the "
      "guest has no NUMA cell 2" },
    { "memnode-twice", TUNE("<memnode cellid='1' nodeset='0'/>"
                            "<memnode cellid='1' nodeset='1'/>"),
      DRV_ERROR_XML_ERROR, "numatune <memnode cellid='1'> is given twice" },
    { "memnode-mode", TUNE("<memnode cellid='1' mode='preferred' "
                           "nodeset='0'/>"),
      DRV_ERROR_CONFIG_UNSUPPORTED, "numatune <memnode cellid='1'>: mode "
      "'preferred'" },
    { "memnode-no-cells",
      "<domain type='kvm'><name>n</name>" UUID
      "<memory unit='MiB'>512</memory><numatune><memnode cellid='0' "
      "nodeset='0'/></numatune>" OS "</domain>",
      DRV_ERROR_CONFIG_UNSUPPORTED, "numatune <memnode> needs NUMA cells" },
    /* Memory hotplug: CH has no hotplug region with zones. */
    { "maxmemory",
      "<domain type='kvm'><name>n</name>" UUID
      "<maxMemory slots='2' unit='GiB'>2</maxMemory>"
      "<memory unit='MiB'>512</memory><vcpu>4</vcpu>" OS
      "<cpu><numa>" TWO "</numa></cpu></domain>",
      DRV_ERROR_CONFIG_UNSUPPORTED, "<maxMemory> (memory hotplug) with NUMA "
      "cells or <numatune> is not supported by nimbus" },
    /* A virtio-mem device grows the zone of its cell: one device, on a
     * cell that exists, with nimbus's block. */
    { "vmem-no-node", HP(VMEM("")),
      DRV_ERROR_CONFIG_UNSUPPORTED, "memory device 'virtio-mem' with NUMA "
      "cells needs a <node>" },
    { "vmem-node-range", HP(VMEM("<node>2</node>")),
      DRV_ERROR_CONFIG_UNSUPPORTED, "memory device 'virtio-mem': NUMA node 2 "
      "does not exist (the guest has 2)" },
    { "vmem-two",
      HP("<memory model='virtio-mem'><target><size unit='MiB'>128</size>"
         "<node>0</node><block unit='KiB'>2048</block></target></memory>"
         "<memory model='virtio-mem'><target><size unit='MiB'>128</size>"
         "<node>1</node><block unit='KiB'>2048</block></target></memory>"),
      DRV_ERROR_CONFIG_UNSUPPORTED, "nimbus supports one virtio-mem memory "
      "device, got 2" },
    { "vmem-block",
      HP("<memory model='virtio-mem'>" VMEM_TARGET("<node>1</node>", "4096")
         "</memory>"),
      DRV_ERROR_CONFIG_UNSUPPORTED, "memory device 'virtio-mem': block size "
      "4096 KiB is not supported by nimbus" },
    { "dimm-cells",
      HP("<memory model='dimm'><target><size unit='MiB'>256</size>"
         "<node>0</node></target></memory>"),
      DRV_ERROR_CONFIG_UNSUPPORTED, "memory device 'dimm' with NUMA cells is "
      "not supported by nimbus" },
    { "vmem-numatune-only",
      "<domain type='kvm'><name>n</name>" UUID
      "<maxMemory slots='2' unit='GiB'>2</maxMemory>"
      "<memory unit='MiB'>512</memory><vcpu>4</vcpu><numatune><memory "
      "mode='strict' nodeset='0'/></numatune>" OS
      "<devices>" VMEM("<node>0</node>") "</devices></domain>",
      DRV_ERROR_CONFIG_UNSUPPORTED, "memory device 'virtio-mem' with "
      "<numatune> and no NUMA cells is not supported by nimbus" },
    { "current-no-balloon",
      DOMX("<currentMemory unit='MiB'>256</currentMemory>", TWO, ""),
      DRV_ERROR_CONFIG_UNSUPPORTED, "<currentMemory> below <memory> with "
      "NUMA cells or <numatune> needs a <memballoon model='virtio'>" },
    /* <memoryBacking> per cell. */
    { "page-cell", MB("<hugepages><page size='2048' nodeset='2'/>"
                      "</hugepages>"),
      DRV_ERROR_CONFIG_UNSUPPORTED, "memoryBacking hugepages page nodeset: "
      "NUMA cell 2 does not exist" },
    { "page-twice", MB("<hugepages><page size='2048' nodeset='0-1'/>"
                       "<page size='1' unit='GiB' nodeset='1'/></hugepages>"),
      DRV_ERROR_CONFIG_UNSUPPORTED, "NUMA cell 1 is in the nodeset of several "
      "pages" },
    { "page-two-defaults", MB("<hugepages><page size='2048'/>"
                              "<page size='1' unit='GiB'/></hugepages>"),
      DRV_ERROR_CONFIG_UNSUPPORTED, "one <page> without nodeset at most" },
    { "page-nodeset-no-cells",
      "<domain type='kvm'><name>n</name>" UUID
      "<memory unit='MiB'>512</memory><memoryBacking><hugepages><page "
      "size='2048' nodeset='0'/></hugepages></memoryBacking>" OS
      "</domain>",
      DRV_ERROR_CONFIG_UNSUPPORTED, "memoryBacking hugepages page nodeset is "
      "not supported by nimbus (the nodeset names guest NUMA cells and the "
      "domain has none" },
    { "memfd-private-cell",
      DOMX("<memoryBacking><source type='memfd'/><access mode='shared'/>"
           "</memoryBacking>", CELL("0", "0-1", "256", "")
           "<cell id='1' cpus='2-3' memory='262144' memAccess='private'/>",
           ""),
      DRV_ERROR_CONFIG_UNSUPPORTED, "memoryBacking source type 'memfd' "
      "without <access mode='shared'/> or <hugepages/> (NUMA cell 1)" },
    { "anonymous-shared-cell",
      DOMX("<memoryBacking><source type='anonymous'/></memoryBacking>",
           CELL("0", "0-1", "256", "")
           "<cell id='1' cpus='2-3' memory='262144' memAccess='shared'/>",
           ""),
      DRV_ERROR_CONFIG_UNSUPPORTED, "memoryBacking source type 'anonymous' "
      "with access mode 'shared' (NUMA cell 1)" },
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

static VmConfig *
parse_to_vmconfig(const char *xml)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(DomainDef) def = domain_def_parse_string(
        xml, DOMAIN_DEF_PARSE_INACTIVE, &error);
    g_autofree char *json = NULL;
    VmConfig *cfg;

    g_assert_no_error(error);
    /* What define runs: nimbus's own rules on the translation. */
    g_assert_true(domain_def_check_vmconfig(def, &error));
    g_assert_no_error(error);
    json = domain_def_to_vmconfig_json(def, &error);
    g_assert_no_error(error);
    cfg = vm_config_from_json(json, -1, &error);
    g_assert_no_error(error);
    return cfg;
}

/* Two cells: two zones in two nodes, CPUs and sizes as the cells say,
 * distances symmetric, memory.size 0 (CH's rule with zones). */
static void
test_vmconfig_cells(void)
{
    g_autoptr(VmConfig) cfg = parse_to_vmconfig(
        DOMX("<numatune><memnode cellid='1' mode='strict' nodeset='0'/>"
             "</numatune>",
             "<cell id='0' cpus='0,1' memory='393216'>"
             "<distances><sibling id='1' value='25'/></distances></cell>"
             "<cell id='1' cpus='2-3' memory='131072'/>", ""));
    const MemoryZoneConfig *z0, *z1;
    const NumaConfig *n1;

    g_assert_cmpuint(cfg->memory.size, ==, 0);
    g_assert_cmpuint(cfg->memory.zones->len, ==, 2);
    z0 = cfg->memory.zones->pdata[0];
    z1 = cfg->memory.zones->pdata[1];
    g_assert_cmpuint(z0->size, ==, 384ULL << 20);
    g_assert_cmpuint(z1->size, ==, 128ULL << 20);
    g_assert_cmpint(z0->host_numa_node, ==, -1);
    g_assert_cmpint(z1->host_numa_node, ==, 0);
    g_assert_cmpuint(cfg->numa->len, ==, 2);
    n1 = vm_config_numa_of_zone(cfg, z1->id);
    g_assert_nonnull(n1);
    g_assert_cmpuint(n1->guest_numa_id, ==, 1);
    g_assert_true(vm_config_numa_of_cpu(cfg, 3) == n1);
    g_assert_true(vm_config_numa_of_cpu(cfg, 1) ==
                  vm_config_numa_of_zone(cfg, z0->id));
    /* Given one way, holds both ways. */
    g_assert_cmpuint(vm_config_numa_distance(n1, 0), ==, 25);
    g_assert_cmpuint(vm_config_numa_distance(
                         vm_config_numa_of_zone(cfg, z0->id), 1), ==, 25);
}

/* A virtio-mem device on cell 1: that cell's zone gets the region
 * (hotplug_size, hotplugged_size = <requested>), --memory none of it, and
 * update-memory-device asks vm.resize-zone for the zone's size plus
 * <requested>. */
static void
test_vmconfig_virtio_mem(void)
{
    static const char xml[] = HP(VMEM("<node>1</node>"));
    g_autoptr(VmConfig) cfg = parse_to_vmconfig(xml);
    g_autoptr(GError) error = NULL;
    g_autoptr(DomainDef) def = domain_def_parse_string(
        xml, DOMAIN_DEF_PARSE_INACTIVE, &error);
    g_autofree char *body = NULL;
    const MemoryZoneConfig *z0, *z1;
    const char *endpoint = NULL;

    g_assert_cmpint(cfg->memory.hotplug_method, ==,
                    MEMORY_HOTPLUG_VIRTIO_MEM);
    g_assert_cmpuint(cfg->memory.hotplug_size, ==, 0);
    g_assert_cmpuint(cfg->memory.zones->len, ==, 2);
    z0 = cfg->memory.zones->pdata[0];
    z1 = cfg->memory.zones->pdata[1];
    g_assert_cmpuint(z0->hotplug_size, ==, 0);
    g_assert_cmpstr(z1->id, ==, "ram-node1");
    g_assert_cmpuint(z1->size, ==, 128ULL << 20);
    g_assert_cmpuint(z1->hotplug_size, ==, 256ULL << 20);
    g_assert_cmpuint(z1->hotplugged_size, ==, 64ULL << 20);

    g_assert_no_error(error);
    body = domain_def_memory_resize_request(def, &endpoint);
    g_assert_cmpstr(endpoint, ==, "vm.resize-zone");
    g_assert_cmpstr(body, ==, "{\"id\":\"ram-node1\",\"desired_ram\":"
                    "201326592}");
}

/* memAccess='shared' on every cell is shared memory for vhost-user (what
 * <filesystem> needs); one private cell is not. */
static void
test_shared_cells(void)
{
    static const char *const xml[] = {
        DOMX("<memoryBacking><source type='memfd'/></memoryBacking>",
             "<cell id='0' cpus='0-1' memory='262144' memAccess='shared'/>"
             "<cell id='1' cpus='2-3' memory='262144' memAccess='shared'/>",
             ""),
        DOMX("<memoryBacking><access mode='shared'/></memoryBacking>",
             "<cell id='0' cpus='0-1' memory='262144'/>"
             "<cell id='1' cpus='2-3' memory='262144' memAccess='private'/>",
             ""),
    };

    for (guint i = 0; i < G_N_ELEMENTS(xml); i++) {
        g_autoptr(GError) error = NULL;
        g_autoptr(DomainDef) def = domain_def_parse_string(
            xml[i], DOMAIN_DEF_PARSE_INACTIVE, &error);

        g_assert_no_error(error);
        g_assert_true(domain_memory_backing_shared(def) == (i == 0));
    }
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    device_registry_init();
    golden_init_schema_dir();
    for (guint i = 0; i < G_N_ELEMENTS(bad_cases); i++) {
        g_autofree char *path = g_strdup_printf("/numa-xml/bad/%s",
                                                bad_cases[i].name);
        g_test_add_data_func(path, &bad_cases[i], test_bad);
    }
    g_test_add_func("/numa-xml/vmconfig-cells", test_vmconfig_cells);
    g_test_add_func("/numa-xml/vmconfig-virtio-mem",
                    test_vmconfig_virtio_mem);
    g_test_add_func("/numa-xml/shared-cells", test_shared_cells);
    return g_test_run();
}
