/* SPDX-License-Identifier: Apache-2.0 */
/* Domain statistics from vm.counters and /proc (blockStats ... virsh domstats). */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <glib.h>

#include "driver/driver.h"

/* virDomainBlockStatsStruct / virDomainInterfaceStatsStruct: -1 = unknown. */
typedef struct {
    int64_t rd_req, rd_bytes, wr_req, wr_bytes, errs;
} DrvBlockStats;

typedef struct {
    int64_t rx_bytes, rx_packets, rx_errs, rx_drop;
    int64_t tx_bytes, tx_packets, tx_errs, tx_drop;
} DrvInterfaceStats;

/* virDomainMemoryStatTags nimbusd reports: the balloon driver's
 * statistics (0-5, 8, 10-12) when the domain has a virtio memballoon,
 * the balloon's size and the process's RSS always. */
#define DRV_MEMORY_STAT_ACTUAL_BALLOON 6
#define DRV_MEMORY_STAT_RSS 7
#define DRV_MEMORY_STATS_COUNT 13

typedef struct {
    int tag;
    uint64_t value;
} DrvMemoryStat;

/* virDomainStatsTypes groups that can be filled truthfully. */
#define DRV_STATS_STATE     (1u << 0)
#define DRV_STATS_CPU_TOTAL (1u << 1)
#define DRV_STATS_BALLOON   (1u << 2)
#define DRV_STATS_VCPU      (1u << 3)
#define DRV_STATS_INTERFACE (1u << 4)
#define DRV_STATS_BLOCK     (1u << 5)
#define DRV_STATS_SUPPORTED (DRV_STATS_STATE | DRV_STATS_CPU_TOTAL | \
                             DRV_STATS_BALLOON | DRV_STATS_VCPU | \
                             DRV_STATS_INTERFACE | DRV_STATS_BLOCK)

/* virConnectGetAllDomainStatsFlags: the DRV_LIST_* filters and these. */
#define DRV_STATS_LIST_FILTERS 0xffu
#define DRV_STATS_NOWAIT       (1u << 29)
#define DRV_STATS_BACKING      (1u << 30)
#define DRV_STATS_ENFORCE      (1u << 31)

/**
 * drv_domain_stats_groups:
 * virConnectGetAllDomainStats's and virDomainListGetStats's rules for
 * @stats (0: every supported group) and @flags; @listed: the caller named
 * the domains (filters are refused then).  Sets *@groups to the groups to
 * fill, or fails with libvirt's error.
 */
bool drv_domain_stats_groups(unsigned int stats, unsigned int flags,
                             bool listed, unsigned int *groups,
                             GError **error);

/* virTypedParameterType values used in records. */
typedef enum {
    DRV_PARAM_INT = 1,
    DRV_PARAM_UINT = 2,
    DRV_PARAM_ULLONG = 4,
    DRV_PARAM_STRING = 7,
} DrvParamType;

typedef struct {
    char *field;
    DrvParamType type;
    uint64_t value;             /* the integer types */
    char *str;                  /* DRV_PARAM_STRING */
} DrvTypedParam;

/* @path: a disk's <target dev> or source file. */
bool drv_domain_block_stats(DrvDomainObj *obj, const char *path,
                            DrvBlockStats *stats, GError **error);
/* @device: an interface's <target dev> or MAC address. */
bool drv_domain_interface_stats(DrvDomainObj *obj, const char *device,
                                DrvInterfaceStats *stats, GError **error);
/* Fills up to @max of @stats; returns how many, or -1 with @error. */
int drv_domain_memory_stats(DrvDomainObj *obj, DrvMemoryStat *stats, int max,
                            GError **error);
/* cpu_time, user_time, system_time (ns) of the nimbus process. */
bool drv_domain_cpu_times(DrvDomainObj *obj, uint64_t *total, uint64_t *user,
                          uint64_t *system, GError **error);
/**
 * drv_domain_stats_record:
 * @stats: DRV_STATS_* groups (already restricted to the supported ones).
 * Returns: (transfer full) DrvTypedParam* of @obj in libvirt's field names
 *   ("state.state", "block.0.rd.bytes"...), or NULL with @error when the
 *   domain vanished.
 */
GPtrArray *drv_domain_stats_record(DrvDomainObj *obj, unsigned int stats,
                                   GError **error);
