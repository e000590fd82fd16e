/* SPDX-License-Identifier: Apache-2.0 */
/* CPU comparison and baseline for a VMM without CPU models (host CPU only). */
#pragma once

#include <stdbool.h>
#include <glib.h>

#include "driver/nodeinfo.h"

/* virCPUCompareResult */
typedef enum {
    DRV_CPU_COMPARE_ERROR = -1,
    DRV_CPU_COMPARE_INCOMPATIBLE = 0,
    DRV_CPU_COMPARE_IDENTICAL = 1,
    DRV_CPU_COMPARE_SUPERSET = 2,
} DrvCpuCompareResult;

/* virConnectCompareCPUFlags / virConnectBaselineCPUFlags */
#define DRV_CPU_COMPARE_FAIL_INCOMPATIBLE (1u << 0)
#define DRV_CPU_COMPARE_VALIDATE_XML (1u << 1)
#define DRV_CPU_BASELINE_EXPAND_FEATURES (1u << 0)
#define DRV_CPU_BASELINE_MIGRATABLE (1u << 1)

/**
 * drv_cpu_compare:
 * @node: the host.
 * @xml: a host <cpu> (capabilities style) or a guest <cpu mode=...>.
 * Returns: how a guest given @xml would run here, or
 *   DRV_CPU_COMPARE_ERROR with @error (also when FAIL_INCOMPATIBLE is set
 *   and the answer is INCOMPATIBLE, as libvirt does).
 */
DrvCpuCompareResult drv_cpu_compare(const DrvNodeInfo *node, const char *xml,
                                    unsigned int flags, GError **error);

/**
 * drv_cpu_baseline:
 * Returns: (transfer full) the <cpu> every CPU in @xmls can run, or NULL
 *   with @error.
 */
char *drv_cpu_baseline(const DrvNodeInfo *node, char **xmls, guint n,
                       unsigned int flags, GError **error);
