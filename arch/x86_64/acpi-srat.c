/* SPDX-License-Identifier: Apache-2.0 */
/* x86_64 ACPI SRAT (CPU and memory affinity) and SLIT (NUMA distances). */
#include <config.h>

#include <string.h>
#include <gio/gio.h>

#include "arch/x86_64/acpi-priv.h"
#include "arch/x86_64/topology.h"
#include "config/vm-config-numa.h"   /* the bounds, no function */

/*
 * Only with --numa, as Cloud Hypervisor does.  Each vCPU a node lists
 * gets a Processor Local x2APIC Affinity structure (by APIC ID, the one
 * x86_topology_apic_id() gives the MADT and CPUID), each RAM range of a
 * zone a Memory Affinity structure for its zone's node; the SLIT carries
 * the distances (10 local, 20 remote unless given).  Linux reads both at
 * boot (arch/x86/mm/srat.c, drivers/acpi/numa/srat.c).
 */

/* ACPI 6.5 §5.2.16: SRAT structure types and flags. */
#define SRAT_TYPE_MEMORY        1
#define SRAT_TYPE_X2APIC        2
#define SRAT_MEMORY_LEN         40
#define SRAT_X2APIC_LEN         24
#define SRAT_ENABLED            (1u << 0)
#define SRAT_HOT_PLUGGABLE      (1u << 1)
/* §5.2.16: "Reserved, must be 1" for backward compatibility. */
#define SRAT_TABLE_REVISION     1

static void
put_le(uint8_t *p, uint64_t v, unsigned n)
{
    for (unsigned i = 0; i < n; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

void
x86_acpi_srat_body(GByteArray *b, const X86AcpiConfig *cfg)
{
    const X86AcpiNuma *numa = cfg->numa;
    uint8_t head[12] = { 0 };
    uint32_t threads, cores, dies;

    put_le(head, SRAT_TABLE_REVISION, 4);       /* then 8 reserved bytes */
    g_byte_array_append(b, head, sizeof(head));
    x86_acpi_topology(cfg, &threads, &cores, &dies);
    for (uint32_t cpu = 0; cpu < numa->n_cpus; cpu++) {
        uint8_t e[SRAT_X2APIC_LEN] = { 0 };

        if (numa->cpu_node[cpu] == X86_ACPI_NO_NODE)
            continue;
        e[0] = SRAT_TYPE_X2APIC;
        e[1] = SRAT_X2APIC_LEN;
        put_le(e + 4, numa->cpu_node[cpu], 4);  /* proximity domain */
        put_le(e + 8, x86_topology_apic_id(cpu, threads, cores, dies), 4);
        /* Enabled even for vCPUs not yet plugged: the flag says the
         * entry is valid, not that the CPU is present. */
        put_le(e + 12, SRAT_ENABLED, 4);
        g_byte_array_append(b, e, sizeof(e));   /* clock domain 0 */
    }
    for (unsigned i = 0; i < numa->n_mem; i++) {
        const X86AcpiMemAffinity *m = &numa->mem[i];
        uint8_t e[SRAT_MEMORY_LEN] = { 0 };

        e[0] = SRAT_TYPE_MEMORY;
        e[1] = SRAT_MEMORY_LEN;
        put_le(e + 2, m->node, 4);
        put_le(e + 8, m->base, 8);
        put_le(e + 16, m->size, 8);
        put_le(e + 28, SRAT_ENABLED | (m->hotplug ? SRAT_HOT_PLUGGABLE : 0),
               4);
        g_byte_array_append(b, e, sizeof(e));
    }
}

void
x86_acpi_slit_body(GByteArray *b, const X86AcpiConfig *cfg)
{
    const X86AcpiNuma *numa = cfg->numa;
    uint8_t n[8];

    put_le(n, numa->n_localities, 8);
    g_byte_array_append(b, n, sizeof(n));
    g_byte_array_append(b, numa->distances,
                        numa->n_localities * numa->n_localities);
}

bool
x86_acpi_check_numa(const X86AcpiConfig *cfg, GError **error)
{
    const X86AcpiNuma *numa = cfg->numa;

    if (!numa)
        return true;
    if (numa->n_cpus != cfg->max_vcpus || numa->n_localities == 0 ||
        numa->n_localities > VM_CONFIG_NUMA_ID_MAX + 1) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                    "ACPI: NUMA description of %u vCPUs and %u nodes does "
                    "not fit %u vCPUs and at most %u nodes", numa->n_cpus,
                    numa->n_localities, cfg->max_vcpus,
                    VM_CONFIG_NUMA_ID_MAX + 1);
        return false;
    }
    for (uint32_t i = 0; i < numa->n_cpus; i++) {
        if (numa->cpu_node[i] != X86_ACPI_NO_NODE &&
            numa->cpu_node[i] >= numa->n_localities) {
            g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                        "ACPI: vCPU %u is in node %u, beyond the %u "
                        "described", i, numa->cpu_node[i],
                        numa->n_localities);
            return false;
        }
    }
    for (unsigned i = 0; i < numa->n_mem; i++) {
        if (numa->mem[i].node >= numa->n_localities) {
            g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                        "ACPI: memory range %u is in node %u, beyond the %u "
                        "described", i, numa->mem[i].node,
                        numa->n_localities);
            return false;
        }
    }
    return true;
}
