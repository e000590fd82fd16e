/* SPDX-License-Identifier: Apache-2.0 */
/* CH's PlatformConfig (--platform): the guest's SMBIOS identity. */
#pragma once

#include <stdbool.h>
#include <glib.h>

#include "config/vm-config.h"

/* The SMBIOS strings of one platform may add up to this many bytes (NULs
 * included), so that the tables always fit the 64 KiB BIOS area below the
 * reset vector (arch/x86_64/smbios.c). */
#define VM_CONFIG_SMBIOS_STRINGS_MAX 32768u
/* SMBIOS type 11 counts its strings in one byte. */
#define VM_CONFIG_OEM_STRINGS_MAX 255u

void platform_config_free(PlatformConfig *p);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(PlatformConfig, platform_config_free)

/* --platform: replaces config->platform. */
bool vm_config_parse_platform(VmConfig *config, const char *arg,
                              GError **error);

/* The rules (part of vm_config_validate_full()): UUIDs parse, strings are
 * not empty, CH's old and new name of a key are not both given, and the
 * strings fit the SMBIOS area.  @p may be NULL. */
bool vm_config_validate_platform(const PlatformConfig *p, VmConfigNames names,
                                 GError **error);

/* What the guest is told, whichever of CH's two names gave it; NULL when
 * neither (the SMBIOS builder's default then). */
const char *platform_config_serial(const PlatformConfig *p);
const char *platform_config_uuid(const PlatformConfig *p);

/* Whether --platform iommu_segments lists PCI segment @segment: every
 * function on it is then translated by the virtio-iommu (false when @p is
 * NULL). */
bool platform_config_iommu_segment(const PlatformConfig *p, unsigned segment);

/* The virtio-iommu's address width in bits (64 when @p is NULL). */
unsigned platform_config_iommu_address_width(const PlatformConfig *p);
