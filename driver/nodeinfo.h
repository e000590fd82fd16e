/* SPDX-License-Identifier: Apache-2.0 */
/* Host facts from /proc and /sys: CPU topology, NUMA cells, memory. */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <glib.h>

typedef struct {
    int id;
    int socket_id;
    int die_id;
    int core_id;
    char *siblings;         /* thread_siblings_list, e.g. "0,4" */
} DrvHostCpu;

typedef struct {
    int id;
    uint64_t memory_kib;
    GPtrArray *cpus;        /* DrvHostCpu* */
} DrvNumaCell;

typedef struct {
    char model[32];         /* the host arch, as libvirt reports it */
    uint64_t memory_kib;
    int cpus;
    int mhz;
    int nodes;
    int sockets;            /* per node */
    int cores;              /* per socket */
    int threads;            /* per core */
    char *vendor;           /* "Intel", "AMD"... or NULL */
    GPtrArray *cells;       /* DrvNumaCell*, at least one */
} DrvNodeInfo;

/**
 * drv_node_info_new:
 * @sysfs_root: "/" normally; tests point it at a fake tree holding
 *   sys/devices/system/{cpu,node} and proc/{meminfo,cpuinfo}.
 * Returns: (transfer full) the host description, or NULL with @error.
 */
DrvNodeInfo *drv_node_info_new(const char *sysfs_root, GError **error);
void drv_node_info_free(DrvNodeInfo *info);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(DrvNodeInfo, drv_node_info_free)

/* Free memory in bytes (MemFree of /proc/meminfo). */
bool drv_node_free_memory(const char *sysfs_root, uint64_t *bytes, GError **error);

/* "Key:   1234 kB" from a meminfo-style text (also the per-node "Node 0
 * Key:" form), in KiB; false if @key is absent. */
bool drv_meminfo_value(const char *text, const char *key, uint64_t *kib);

/* Parses a kernel cpu list ("0-3,8,10-11") into ids; NULL if malformed. */
GArray *drv_parse_cpulist(const char *text);
