/* SPDX-License-Identifier: Apache-2.0 */
/* Memory zones and guest NUMA nodes: CH's MemoryZoneConfig, NumaConfig (tables, CLI, rules). */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <glib.h>

#include "config/vm-config.h"

/* Zones each take one RAM region, one of them two (the one the 32-bit
 * device hole splits), and a zone with hotplug_size one more (its
 * virtio-mem region), within GUEST_MEM_MAX_REGIONS (8): zones plus
 * zones with hotplug_size are at most this. */
#define VM_CONFIG_MEMORY_ZONES_MAX 7
/* Guest NUMA ids index the SLIT's matrix (ACPI 6.5 §5.2.17): bounded so
 * that the table stays small. */
#define VM_CONFIG_NUMA_ID_MAX 255
/* SLIT distances: 10 is local; below 10 is reserved, 255 unreachable. */
#define VM_CONFIG_NUMA_DISTANCE_LOCAL 10
#define VM_CONFIG_NUMA_DISTANCE_REMOTE 20
#define VM_CONFIG_NUMA_DISTANCE_MAX 255
/* Host nodes are named in an mbind() node mask of this many bits. */
#define VM_CONFIG_HOST_NUMA_NODE_MAX 1023

void memory_zone_config_free(MemoryZoneConfig *zone);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(MemoryZoneConfig, memory_zone_config_free)
void numa_config_free(NumaConfig *numa);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(NumaConfig, numa_config_free)

/* One "--memory-zone id=<id>,size=<size>,...", appended to @config's
 * memory zones. */
bool vm_config_parse_memory_zone(VmConfig *config, const char *arg,
                                 GError **error);
/* One "--numa guest_numa_id=<id>,cpus=[..],distances=[n@d,..],
 * memory_zones=[..]", appended to @config's nodes. */
bool vm_config_parse_numa(VmConfig *config, const char *arg, GError **error);

/* Guest RAM in bytes: memory.size, or the zones' sizes summed. */
uint64_t vm_config_ram_size(const MemoryConfig *memory);

/* The node whose memory_zones name zone @zone_id, or NULL. */
const NumaConfig *vm_config_numa_of_zone(const VmConfig *config,
                                         const char *zone_id);
/* The node whose cpus list vCPU @cpu, or NULL. */
const NumaConfig *vm_config_numa_of_cpu(const VmConfig *config, uint32_t cpu);
/* The SLIT distance from node @from to node @to: as given in @from's
 * distances, else 10 for itself and 20 for any other. */
uint32_t vm_config_numa_distance(const NumaConfig *from, uint32_t to);

/* Every rule of the zones and the nodes, and of --memory with zones (its
 * size must be 0, as in CH).  Part of vm_config_validate_full(); @limit
 * is the guest's physical address space in bytes. */
bool vm_config_validate_zones(const VmConfig *c, VmConfigNames names,
                              uint64_t limit, GError **error);
bool vm_config_validate_numa(const VmConfig *c, VmConfigNames names,
                             GError **error);
/* At vm.create: each host_numa_node is one of the host's nodes. */
bool vm_config_check_host_zones(const VmConfig *c, VmConfigNames names,
                                GError **error);
