/* SPDX-License-Identifier: Apache-2.0 */
/* vCPU and emulator thread placement: vcpuinfo, vcpupin, emulatorpin. */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <glib.h>

#include "driver/driver.h"

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
 * vCPU thread, with AFFECT_CONFIG (or a shut-off domain) every online host
 * CPU, since definitions carry no <cputune> (refused at define).
 * Returns: how many maps were filled, or -1 with @error.
 */
int drv_domain_get_vcpu_pin_info(DrvDomainObj *obj, int ncpumaps,
                                 unsigned char *cpumaps, int maplen,
                                 unsigned int flags, GError **error);

/**
 * drv_domain_pin_vcpu:
 * virDomainPinVcpuFlags with AFFECT_LIVE: sched_setaffinity() on the
 * thread of vCPU @vcpu.  AFFECT_CONFIG is refused (no <cputune>).
 */
bool drv_domain_pin_vcpu(DrvDomainObj *obj, unsigned int vcpu,
                         const unsigned char *cpumap, int maplen,
                         unsigned int flags, GError **error);

/**
 * drv_domain_pin_emulator:
 * virDomainPinEmulator with AFFECT_LIVE: sched_setaffinity() on every
 * nimbus thread that is not a vCPU thread.  AFFECT_CONFIG is refused.
 */
bool drv_domain_pin_emulator(DrvDomainObj *obj, const unsigned char *cpumap,
                             int maplen, unsigned int flags, GError **error);

/**
 * drv_domain_get_emulator_pin_info:
 * virDomainGetEmulatorPinInfo: live, the affinity of nimbus's main thread;
 * config (or shut off), every online host CPU.
 * Returns: 1 (one map filled), or -1 with @error.
 */
int drv_domain_get_emulator_pin_info(DrvDomainObj *obj, unsigned char *cpumap,
                                     int maplen, unsigned int flags,
                                     GError **error);
