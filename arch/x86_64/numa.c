/* SPDX-License-Identifier: Apache-2.0 */
/* x86_64 memory zones and NUMA nodes: zone RAM ranges, the SRAT/SLIT description. */
#include <config.h>

#include <gio/gio.h>

#include "arch/arch.h"
#include "arch/x86_64/acpi.h"
#include "config/vm-config-numa.h"

/*
 * Apart from ram.c and acpi-srat.c, which need nothing of config/: what
 * reads the config's zones and nodes lives here, and only the VM (and
 * the tests that link config/) pull it in.
 */

unsigned
arch_ram_zone_ranges(const MemoryConfig *memory, GuestRange *ranges,
                     unsigned *zone_of, unsigned max)
{
    GuestRange all[2];
    unsigned nall = arch_ram_ranges(vm_config_ram_size(memory), all, 2);
    unsigned n = 0, a = 0;
    uint64_t used = 0;            /* bytes of all[a] given to zones */

    for (guint z = 0; memory->zones && z < memory->zones->len; z++) {
        const MemoryZoneConfig *zone = g_ptr_array_index(memory->zones, z);
        uint64_t left = zone->size;

        while (left) {
            uint64_t take;

            if (a >= nall || n >= max)
                return 0;
            take = MIN(left, all[a].size - used);
            ranges[n] = (GuestRange){ .start = all[a].start + used,
                                      .size = take };
            zone_of[n++] = z;
            used += take;
            left -= take;
            if (used == all[a].size) {
                a++;
                used = 0;
            }
        }
    }
    /* Then the zones' hotplug regions (virtio-mem), in zone order, each
     * where arch_hotplug_start() puts one after what precedes it. */
    for (guint z = 0; memory->zones && z < memory->zones->len; z++) {
        const MemoryZoneConfig *zone = g_ptr_array_index(memory->zones, z);

        if (!zone->hotplug_size)
            continue;
        if (n == 0 || n >= max)
            return 0;
        ranges[n] = (GuestRange){
            .start = arch_hotplug_start(ranges[n - 1].start +
                                        ranges[n - 1].size),
            .size = zone->hotplug_size,
            .hotplug = true,
        };
        zone_of[n++] = z;
    }
    return n;
}

void
x86_acpi_numa_free(X86AcpiNuma *numa)
{
    if (!numa)
        return;
    g_free(numa->cpu_node);
    g_free(numa->mem);
    g_free(numa->distances);
    g_free(numa);
}

X86AcpiNuma *
x86_acpi_numa_new(const VmConfig *config)
{
    const GPtrArray *nodes = config->numa;
    g_autoptr(X86AcpiNuma) numa = NULL;
    GuestRange ranges[GUEST_MEM_MAX_REGIONS];
    unsigned zone_of[GUEST_MEM_MAX_REGIONS];
    unsigned n_ranges;
    uint32_t n;

    if (!nodes || nodes->len == 0)
        return NULL;
    numa = g_new0(X86AcpiNuma, 1);
    numa->n_cpus = config->cpus.max_vcpus;
    numa->cpu_node = g_new(uint32_t, numa->n_cpus);
    for (uint32_t cpu = 0; cpu < numa->n_cpus; cpu++) {
        const NumaConfig *node = vm_config_numa_of_cpu(config, cpu);

        numa->cpu_node[cpu] = node ? node->guest_numa_id : X86_ACPI_NO_NODE;
    }
    /* The same layout the VM maps (daemon/vm.c): one owner, arch/. */
    n_ranges = arch_ram_zone_ranges(&config->memory, ranges, zone_of,
                                    G_N_ELEMENTS(ranges));
    numa->mem = g_new0(X86AcpiMemAffinity, MAX(n_ranges, 1));
    for (unsigned i = 0; i < n_ranges; i++) {
        const MemoryZoneConfig *z = g_ptr_array_index(config->memory.zones,
                                                      zone_of[i]);
        const NumaConfig *node = vm_config_numa_of_zone(config, z->id);

        /* Validation puts every zone in a node. */
        if (!node)
            continue;
        /* A hotplug region is hot-pluggable memory of its zone's node:
         * Linux adds what virtio-mem plugs there to that node. */
        numa->mem[numa->n_mem++] = (X86AcpiMemAffinity){
            .base = ranges[i].start, .size = ranges[i].size,
            .node = node->guest_numa_id, .hotplug = ranges[i].hotplug,
        };
    }
    n = 0;
    for (guint i = 0; i < nodes->len; i++)
        n = MAX(n, ((const NumaConfig *)nodes->pdata[i])->guest_numa_id + 1);
    numa->n_localities = n;
    /* Ids between the given ones name no node; their rows and columns
     * still need valid entries (Linux skips them). */
    numa->distances = g_new(uint8_t, (gsize)n * n);
    for (uint32_t i = 0; i < n; i++) {
        for (uint32_t j = 0; j < n; j++)
            numa->distances[i * n + j] = i == j
                ? VM_CONFIG_NUMA_DISTANCE_LOCAL
                : VM_CONFIG_NUMA_DISTANCE_REMOTE;
    }
    for (guint i = 0; i < nodes->len; i++) {
        const NumaConfig *from = nodes->pdata[i];

        for (guint j = 0; j < nodes->len; j++) {
            uint32_t to = ((const NumaConfig *)nodes->pdata[j])->guest_numa_id;

            numa->distances[from->guest_numa_id * n + to] =
                (uint8_t)vm_config_numa_distance(from, to);
        }
    }
    return g_steal_pointer(&numa);
}
