/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests: memory zone layout, and the SRAT/SLIT of a NUMA config. */
#include <config.h>

#include <string.h>
#include <gio/gio.h>

#include "arch/arch.h"
#include "arch/x86_64/acpi-priv.h"
#include "arch/x86_64/layout.h"
#include "config/vm-config-numa.h"
#include "tests/unit/test-arch-util.h"

#define MiB (1ULL << 20)
#define GiB (1ULL << 30)

/* A validated config from --cpus, --memory-zone and --numa values. */
static VmConfig *
numa_config_mem(const char *cpus, const char *memory,
                const char *const *zones, const char *const *nodes)
{
    g_autoptr(VmConfig) c = vm_config_new();
    g_autoptr(GError) error = NULL;

    c->payload.kernel = g_strdup("/k");
    g_assert_true(vm_config_parse_cpus(&c->cpus, cpus, &error));
    g_assert_true(vm_config_parse_memory(&c->memory, memory, &error));
    for (guint i = 0; zones[i]; i++)
        g_assert_true(vm_config_parse_memory_zone(c, zones[i], &error));
    for (guint i = 0; nodes && nodes[i]; i++)
        g_assert_true(vm_config_parse_numa(c, nodes[i], &error));
    g_assert_true(vm_config_validate(c, &error));
    g_assert_no_error(error);
    return g_steal_pointer(&c);
}

static VmConfig *
numa_config(const char *cpus, const char *const *zones,
            const char *const *nodes)
{
    return numa_config_mem(cpus, "size=0", zones, nodes);
}

#define L(...) ((const char *const[]){ __VA_ARGS__, NULL })

static uint8_t
sum(const uint8_t *p, size_t len)
{
    uint8_t s = 0;

    for (size_t i = 0; i < len; i++)
        s += p[i];
    return s;
}

/* The table @sig through RSDP -> XSDT, its checksum checked; NULL if the
 * XSDT does not list one. */
static const uint8_t *
find_table(GuestMemory *mem, uint64_t rsdp_addr, const char *sig)
{
    const uint8_t *rsdp = guest_mem_ptr(mem, rsdp_addr, ACPI_RSDP_LEN);
    uint64_t xa = test_le(rsdp + 24, 8);
    const uint8_t *xsdt = guest_mem_ptr(mem, xa, ACPI_SDT_HEADER_LEN);
    uint32_t n = ((uint32_t)test_le(xsdt + 4, 4) - ACPI_SDT_HEADER_LEN) / 8;

    for (uint32_t i = 0; i < n; i++) {
        uint64_t a = test_le(xsdt + ACPI_SDT_HEADER_LEN + 8 * i, 8);
        const uint8_t *t = guest_mem_ptr(mem, a, ACPI_SDT_HEADER_LEN);
        uint32_t len = (uint32_t)test_le(t + 4, 4);

        if (memcmp(t, sig, 4) != 0)
            continue;
        t = guest_mem_ptr(mem, a, len);
        g_assert_nonnull(t);
        g_assert_cmpuint(sum(t, len), ==, 0);
        return t;
    }
    return NULL;
}

static void
test_zone_layout(void)
{
    g_autoptr(VmConfig) c = numa_config("boot=1",
                                        L("id=a,size=2G", "id=b,size=2G",
                                          "id=c,size=64M"), NULL);
    GuestRange r[GUEST_MEM_MAX_REGIONS];
    unsigned zone_of[GUEST_MEM_MAX_REGIONS];
    unsigned n = arch_ram_zone_ranges(&c->memory, r, zone_of, G_N_ELEMENTS(r));

    /* CH's layout: RAM up to 3 GiB, the rest from 4 GiB; zone b is cut
     * by the hole. */
    g_assert_cmpuint(n, ==, 4);
    g_assert_cmphex(r[0].start, ==, 0);
    g_assert_cmphex(r[0].size, ==, 2 * GiB);
    g_assert_cmpuint(zone_of[0], ==, 0);
    g_assert_cmphex(r[1].start, ==, 2 * GiB);
    g_assert_cmphex(r[1].size, ==, X86_MEM_32BIT_RESERVED_START - 2 * GiB);
    g_assert_cmpuint(zone_of[1], ==, 1);
    g_assert_cmphex(r[2].start, ==, X86_RAM_64BIT_START);
    g_assert_cmphex(r[2].size, ==, 4 * GiB - X86_MEM_32BIT_RESERVED_START);
    g_assert_cmpuint(zone_of[2], ==, 1);
    g_assert_cmphex(r[3].start, ==, r[2].start + r[2].size);
    g_assert_cmphex(r[3].size, ==, 64 * MiB);
    g_assert_cmpuint(zone_of[3], ==, 2);
    /* Too few slots: 0, never a partial layout. */
    g_assert_cmpuint(arch_ram_zone_ranges(&c->memory, r, zone_of, 3), ==, 0);
    g_assert_null(x86_acpi_numa_new(c));
}

/* The integration test's machine: two nodes, one vCPU and one zone each. */
static void
test_srat_slit(void)
{
    g_autoptr(VmConfig) c = numa_config(
        "boot=2", L("id=mem0,size=128M", "id=mem1,size=192M"),
        L("guest_numa_id=0,cpus=[0],distances=[1@15],memory_zones=[mem0]",
          "guest_numa_id=1,cpus=[1],memory_zones=[mem1]"));
    g_autoptr(X86AcpiNuma) numa = x86_acpi_numa_new(c);
    g_autoptr(TestGuestMemory) mem = test_guest_memory_new(320 * MiB);
    g_autoptr(GError) error = NULL;
    X86AcpiConfig cfg = { .boot_vcpus = 2, .max_vcpus = 2 };
    const uint8_t *srat, *slit, *e;
    uint64_t rsdp = 0;
    uint32_t len;

    g_assert_nonnull(numa);
    g_assert_cmpuint(numa->n_cpus, ==, 2);
    g_assert_cmpuint(numa->cpu_node[0], ==, 0);
    g_assert_cmpuint(numa->cpu_node[1], ==, 1);
    g_assert_cmpuint(numa->n_mem, ==, 2);
    g_assert_cmpuint(numa->n_localities, ==, 2);

    cfg.numa = numa;
    g_assert_true(x86_acpi_build(mem, &cfg, &rsdp, &error));
    g_assert_no_error(error);

    srat = find_table(mem, rsdp, "SRAT");
    g_assert_nonnull(srat);
    g_assert_cmpuint(srat[8], ==, 3);                   /* revision */
    len = (uint32_t)test_le(srat + 4, 4);
    /* Header, 12 bytes (reserved 1, reserved 0), 2 x2APIC and 2 memory
     * structures. */
    g_assert_cmpuint(len, ==, ACPI_SDT_HEADER_LEN + 12 + 2 * 24 + 2 * 40);
    g_assert_cmpuint(test_le(srat + 36, 4), ==, 1);
    e = srat + 48;
    for (uint32_t cpu = 0; cpu < 2; cpu++, e += 24) {
        g_assert_cmpuint(e[0], ==, 2);                  /* x2APIC affinity */
        g_assert_cmpuint(e[1], ==, 24);
        g_assert_cmpuint(test_le(e + 4, 4), ==, cpu);   /* domain */
        g_assert_cmpuint(test_le(e + 8, 4), ==, cpu);   /* x2APIC ID */
        g_assert_cmpuint(test_le(e + 12, 4), ==, 1);    /* enabled */
    }
    g_assert_cmpuint(e[0], ==, 1);                      /* memory affinity */
    g_assert_cmpuint(e[1], ==, 40);
    g_assert_cmpuint(test_le(e + 2, 4), ==, 0);
    g_assert_cmphex(test_le(e + 8, 8), ==, 0);
    g_assert_cmphex(test_le(e + 16, 8), ==, 128 * MiB);
    g_assert_cmpuint(test_le(e + 28, 4), ==, 1);        /* not hotplug */
    e += 40;
    g_assert_cmpuint(test_le(e + 2, 4), ==, 1);
    g_assert_cmphex(test_le(e + 8, 8), ==, 128 * MiB);
    g_assert_cmphex(test_le(e + 16, 8), ==, 192 * MiB);

    slit = find_table(mem, rsdp, "SLIT");
    g_assert_nonnull(slit);
    g_assert_cmpuint(test_le(slit + 4, 4), ==, ACPI_SDT_HEADER_LEN + 8 + 4);
    g_assert_cmpuint(test_le(slit + 36, 8), ==, 2);
    /* Given 0 -> 1: 15; 1 -> 0 not given: 20. */
    g_assert_cmpuint(slit[44], ==, 10);
    g_assert_cmpuint(slit[45], ==, 15);
    g_assert_cmpuint(slit[46], ==, 20);
    g_assert_cmpuint(slit[47], ==, 10);
}

/* Zones with hotplug_size: their regions follow RAM, each on a 1 GiB
 * boundary from 4 GiB, in zone order, and the SRAT gives each its zone's
 * node, hot-pluggable. */
static void
test_zone_hotplug(void)
{
    g_autoptr(VmConfig) c = numa_config_mem(
        "boot=2", "size=0,hotplug_method=virtio-mem",
        L("id=mem0,size=128M,hotplug_size=256M",
          "id=mem1,size=192M,hotplug_size=512M"),
        L("guest_numa_id=0,cpus=[0],memory_zones=[mem0]",
          "guest_numa_id=1,cpus=[1],memory_zones=[mem1]"));
    g_autoptr(X86AcpiNuma) numa = x86_acpi_numa_new(c);
    g_autoptr(TestGuestMemory) mem = test_guest_memory_new(320 * MiB);
    g_autoptr(GError) error = NULL;
    X86AcpiConfig cfg = { .boot_vcpus = 2, .max_vcpus = 2 };
    GuestRange r[GUEST_MEM_MAX_REGIONS];
    unsigned zone_of[GUEST_MEM_MAX_REGIONS];
    unsigned n = arch_ram_zone_ranges(&c->memory, r, zone_of, G_N_ELEMENTS(r));
    const uint8_t *srat, *e;
    uint64_t rsdp = 0;

    g_assert_cmpuint(n, ==, 4);
    g_assert_false(r[0].hotplug || r[1].hotplug);
    g_assert_cmphex(r[1].start + r[1].size, ==, 320 * MiB);
    g_assert_true(r[2].hotplug);
    g_assert_cmphex(r[2].start, ==, 4 * GiB);
    g_assert_cmphex(r[2].size, ==, 256 * MiB);
    g_assert_cmpuint(zone_of[2], ==, 0);
    g_assert_true(r[3].hotplug);
    g_assert_cmphex(r[3].start, ==, 5 * GiB);
    g_assert_cmphex(r[3].size, ==, 512 * MiB);
    g_assert_cmpuint(zone_of[3], ==, 1);
    /* No room for the regions: 0, never a partial layout. */
    g_assert_cmpuint(arch_ram_zone_ranges(&c->memory, r, zone_of, 3), ==, 0);

    g_assert_nonnull(numa);
    g_assert_cmpuint(numa->n_mem, ==, 4);
    cfg.numa = numa;
    g_assert_true(x86_acpi_build(mem, &cfg, &rsdp, &error));
    g_assert_no_error(error);
    srat = find_table(mem, rsdp, "SRAT");
    g_assert_nonnull(srat);
    g_assert_cmpuint(test_le(srat + 4, 4), ==,
                     ACPI_SDT_HEADER_LEN + 12 + 2 * 24 + 4 * 40);
    /* The memory structures follow the two x2APIC ones: boot RAM
     * enabled only, the regions enabled and hot-pluggable (ACPI 6.5
     * §5.2.16.2), each in its zone's domain. */
    e = srat + 48 + 2 * 24;
    g_assert_cmpuint(test_le(e + 28, 4), ==, 1);
    g_assert_cmpuint(test_le(e + 40 + 28, 4), ==, 1);
    e += 2 * 40;
    g_assert_cmpuint(e[0], ==, 1);
    g_assert_cmpuint(test_le(e + 2, 4), ==, 0);
    g_assert_cmphex(test_le(e + 8, 8), ==, 4 * GiB);
    g_assert_cmphex(test_le(e + 16, 8), ==, 256 * MiB);
    g_assert_cmpuint(test_le(e + 28, 4), ==, 3);
    e += 40;
    g_assert_cmpuint(test_le(e + 2, 4), ==, 1);
    g_assert_cmphex(test_le(e + 8, 8), ==, 5 * GiB);
    g_assert_cmphex(test_le(e + 16, 8), ==, 512 * MiB);
    g_assert_cmpuint(test_le(e + 28, 4), ==, 3);
}

/* Sparse node ids, vCPUs in no node, a topology: entries by APIC ID. */
static void
test_srat_sparse(void)
{
    g_autoptr(VmConfig) c = numa_config(
        "boot=2,max=4,topology=2:2:1:1", L("id=a,size=64M", "id=b,size=64M"),
        L("guest_numa_id=0,cpus=[0,1],memory_zones=[a]",
          "guest_numa_id=2,cpus=[3],distances=[0@40],memory_zones=[b]"));
    g_autoptr(X86AcpiNuma) numa = x86_acpi_numa_new(c);

    g_assert_nonnull(numa);
    g_assert_cmpuint(numa->n_cpus, ==, 4);
    g_assert_cmpuint(numa->cpu_node[2], ==, X86_ACPI_NO_NODE);
    g_assert_cmpuint(numa->cpu_node[3], ==, 2);
    g_assert_cmpuint(numa->n_localities, ==, 3);
    /* Row 2: to 0 given (40), to itself 10; the unused id 1: defaults. */
    g_assert_cmpuint(numa->distances[2 * 3 + 0], ==, 40);
    g_assert_cmpuint(numa->distances[2 * 3 + 2], ==, 10);
    g_assert_cmpuint(numa->distances[0 * 3 + 2], ==, 20);
    g_assert_cmpuint(numa->distances[1 * 3 + 1], ==, 10);
    g_assert_cmpuint(numa->mem[1].node, ==, 2);
}

/* A description that does not fit the machine is refused, nothing
 * written. */
static void
test_srat_bad(void)
{
    g_autoptr(TestGuestMemory) mem = test_guest_memory_new(64 * MiB);
    g_autoptr(GError) error = NULL;
    uint32_t cpu_node[2] = { 0, 5 };
    uint8_t dist[1] = { 10 };
    X86AcpiNuma numa = {
        .cpu_node = cpu_node, .n_cpus = 2, .n_localities = 1,
        .distances = dist,
    };
    X86AcpiConfig cfg = { .boot_vcpus = 2, .max_vcpus = 2, .numa = &numa };
    uint64_t rsdp = 0;

    g_assert_false(x86_acpi_build(mem, &cfg, &rsdp, &error));
    g_assert_nonnull(strstr(error->message, "vCPU 1 is in node 5"));
    g_clear_error(&error);
    numa.n_cpus = 1;
    g_assert_false(x86_acpi_build(mem, &cfg, &rsdp, &error));
    g_assert_nonnull(strstr(error->message, "does not fit 2 vCPUs"));
    g_assert_cmphex(rsdp, ==, 0);
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/x86/numa/zone-layout", test_zone_layout);
    g_test_add_func("/x86/numa/srat-slit", test_srat_slit);
    g_test_add_func("/x86/numa/srat-sparse", test_srat_sparse);
    g_test_add_func("/x86/numa/zone-hotplug", test_zone_hotplug);
    g_test_add_func("/x86/numa/srat-bad", test_srat_bad);
    return g_test_run();
}
