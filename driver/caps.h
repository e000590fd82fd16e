/* SPDX-License-Identifier: Apache-2.0 */
/* Capabilities and domain capabilities XML, max vCPUs (libvirt's formats). */
#pragma once

#include <stdbool.h>
#include <glib.h>

#include "driver/driver.h"
#include "driver/nodeinfo.h"

/* <capabilities>: host CPU, NUMA cells, guest x86_64 hvm / kvm
 * (libvirt's format, formatcaps.html).  (transfer full) */
char *drv_caps_format(const DrvConfig *cfg, const DrvNodeInfo *node);

/**
 * drv_domcaps_format:
 * <domainCapabilities> for CONNECT_GET_DOMAIN_CAPABILITIES; each argument
 * may be NULL (= ours).  A virttype other than kvm/ch, another arch, an
 * unknown machine or emulator is CONFIG_UNSUPPORTED.  (transfer full)
 */
char *drv_domcaps_format(const DrvConfig *cfg, const char *emulatorbin,
                         const char *arch, const char *machine,
                         const char *virttype, unsigned int flags,
                         GError **error);

/* The vCPU limit of one guest: KVM_CAP_MAX_VCPUS, bounded by what nimbus
 * supports.  @type: NULL, "kvm" or "ch" (case-insensitive). */
bool drv_max_vcpus(const char *type, int *max, GError **error);
