/* SPDX-License-Identifier: Apache-2.0 */
/* Host CPU map, CPU/memory statistics and SMBIOS sysinfo, from /proc and /sys. */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <glib.h>

/* One named counter, as virNodeGetCPUStats/virNodeGetMemoryStats report. */
typedef struct {
    const char *field;          /* static: "kernel", "total"... */
    uint64_t value;
} DrvNodeStat;

/* virNodeGetCPUStats's and virNodeGetMemoryStats's "all" selector. */
#define DRV_NODE_STATS_ALL (-1)
#define DRV_NODE_CPU_STATS_COUNT 4
#define DRV_NODE_MEMORY_STATS_COUNT 4

/**
 * drv_node_cpu_map_new:
 * @root: "/" normally; tests point it at a fake tree.
 * @ncpus: (out) CPUs the host can have (highest present id + 1).
 * @online: (out) how many of them are online.
 * Returns: (transfer full) the online bitmap (bit i of byte i/8 = CPU i
 *   online), @ncpus bits long, or NULL with @error.
 */
GByteArray *drv_node_cpu_map_new(const char *root, int *ncpus,
                                 unsigned int *online, GError **error);

/* Fills @stats (DRV_NODE_CPU_STATS_COUNT) from proc/stat in nanoseconds:
 * kernel, user, idle, iowait of one CPU or of all (DRV_NODE_STATS_ALL). */
bool drv_node_cpu_stats(const char *root, int cpu, DrvNodeStat *stats,
                        GError **error);

/* Fills @stats (up to DRV_NODE_MEMORY_STATS_COUNT) in KiB: total, free,
 * buffers, cached of the host, or total and free of one NUMA cell (the
 * kernel's per-node meminfo has no Buffers/Cached lines).  Returns how many
 * were filled, or -1 with @error. */
int drv_node_memory_stats(const char *root, int cell, DrvNodeStat *stats,
                          GError **error);

/* (transfer full) libvirt's <sysinfo type='smbios'> of the host from
 * sys/class/dmi/id, or NULL with CONFIG_UNSUPPORTED when there is none. */
char *drv_node_sysinfo_format(const char *root, GError **error);
