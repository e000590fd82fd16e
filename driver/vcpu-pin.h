/* SPDX-License-Identifier: Apache-2.0 */
/* vCPU and emulator thread placement: vcpuinfo, vcpupin, emulatorpin. */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <glib.h>

#include "driver/driver.h"
#include "driver/xml/domain-conf.h"

/* virVcpuState. */
enum {
    DRV_VCPU_OFFLINE = 0,
    DRV_VCPU_RUNNING = 1,
    DRV_VCPU_BLOCKED = 2,
};

/* One virVcpuInfo, read from /proc/<pid>/task/<tid>/stat. */
typedef struct {
    unsigned int number;
    int state;                  /* DRV_VCPU_* */
    uint64_t cpu_time_ns;       /* user + system */
    int cpu;                    /* host CPU it last ran on */
} DrvVcpuInfo;

/**
 * drv_domain_get_vcpus:
 * virDomainGetVcpus of a running domain: for the vCPUs 0..min(@maxinfo,
 * the live count)-1, @info[i] from the thread nimbus named "vcpu<i>" and
 * its affinity as a libvirt cpumap of @maplen bytes in @cpumaps
 * (@maxinfo * @maplen bytes, zeroed by the caller).
 * Returns: the number of entries filled, or -1 with @error.
 */
int drv_domain_get_vcpus(DrvDomainObj *obj, DrvVcpuInfo *info, int maxinfo,
                         unsigned char *cpumaps, int maplen, GError **error);

/**
 * drv_domain_get_vcpu_pin_info:
 * virDomainGetVcpuPinInfo: with AFFECT_LIVE the affinity of each running
 * vCPU thread, with AFFECT_CONFIG (or a shut-off domain) the <vcpupin> of
 * each vCPU, or every online host CPU for a vCPU it does not pin.
 * Returns: how many maps were filled, or -1 with @error.
 */
int drv_domain_get_vcpu_pin_info(DrvDomainObj *obj, int ncpumaps,
                                 unsigned char *cpumaps, int maplen,
                                 unsigned int flags, GError **error);

/**
 * drv_domain_pin_vcpu:
 * virDomainPinVcpuFlags: AFFECT_LIVE sched_setaffinity()s the thread of
 * vCPU @vcpu and records the pin in the live definition; AFFECT_CONFIG
 * sets its <vcpupin> in the persistent one (written atomically).
 */
bool drv_domain_pin_vcpu(DrvDriver *driver, DrvDomainObj *obj,
                         unsigned int vcpu,
                         const unsigned char *cpumap, int maplen,
                         unsigned int flags, GError **error);

/**
 * drv_domain_pin_emulator:
 * virDomainPinEmulator: AFFECT_LIVE sched_setaffinity()s every nimbus
 * thread that is not a vCPU thread; AFFECT_CONFIG sets <emulatorpin>.
 */
bool drv_domain_pin_emulator(DrvDriver *driver, DrvDomainObj *obj,
                             const unsigned char *cpumap, int maplen,
                             unsigned int flags, GError **error);

/**
 * drv_domain_get_emulator_pin_info:
 * virDomainGetEmulatorPinInfo: live, the affinity of nimbus's main thread;
 * config (or shut off), <emulatorpin> or every online host CPU.
 * Returns: 1 (one map filled), or -1 with @error.
 */
int drv_domain_get_emulator_pin_info(DrvDomainObj *obj, unsigned char *cpumap,
                                     int maplen, unsigned int flags,
                                     GError **error);

/**
 * drv_domain_cputune_check_host:
 * Refuses a <cputune> pin of @def naming a CPU that is not an online CPU
 * of this host (define, start): DRV_ERROR_INVALID_ARG naming the pin.
 */
bool drv_domain_cputune_check_host(const DomainDef *def, GError **error);

/**
 * drv_domain_cputune_apply_started:
 * After nimbus @pid booted @def: pins its non-vCPU threads to
 * <emulatorpin>, all or none.  Its vCPU threads nimbus pinned itself from
 * <vcpupin> (cpus.affinity).  Threads nimbus creates later inherit the
 * affinity of the thread that creates them.
 */
bool drv_domain_cputune_apply_started(pid_t pid, const DomainDef *def,
                                      GError **error);
