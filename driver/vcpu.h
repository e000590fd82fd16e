/* SPDX-License-Identifier: Apache-2.0 */
/* virDomainSetVcpusFlags: vCPU counts of the definition and of the running guest. */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <glib.h>

#include "driver/driver.h"

/* virDomainVcpuFlags beyond AFFECT_LIVE/CONFIG. */
#define DRV_DOMAIN_VCPU_MAXIMUM       (1u << 2)
#define DRV_DOMAIN_VCPU_GUEST         (1u << 3)
#define DRV_DOMAIN_VCPU_HOTPLUGGABLE  (1u << 4)

/**
 * drv_domain_set_vcpus:
 * virDomainSetVcpusFlags.  With DRV_DOMAIN_VCPU_MAXIMUM, <vcpu> (max_vcpus)
 * of the persistent definition, the current count following it down;
 * otherwise <vcpu current=...>: on a running domain the guest's vCPUs
 * through vm.resize desired_vcpus (ACPI CPU hotplug, 1 to the maximum),
 * in the definition its boot count.  Every change is checked before any
 * is made.  VCPU_GUEST (a guest agent) and VCPU_HOTPLUGGABLE are refused.
 */
bool drv_domain_set_vcpus(DrvDriver *driver, DrvDomainObj *obj,
                          unsigned int nvcpus, unsigned int flags,
                          GError **error);
