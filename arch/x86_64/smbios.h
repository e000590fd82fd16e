/* SPDX-License-Identifier: Apache-2.0 */
/* SMBIOS 3.0 tables in the BIOS area, as Cloud Hypervisor writes them. */
#pragma once

#include <stdbool.h>
#include <glib.h>

#include "config/vm-config.h"
#include "devices/guest-memory.h"

/* The SMBIOS 3.0 entry point followed by the structure table, as they are
 * placed at @base (the table address inside the entry point depends on
 * it): BIOS (type 0), system (1), chassis (3, only with an asset tag),
 * OEM strings (11, only when there are some), end of table (127).  @p may
 * be NULL (CH's defaults).  (transfer full) */
GBytes *x86_smbios_tables(const PlatformConfig *p, uint64_t base,
                          GError **error);

/* Writes x86_smbios_tables() at X86_SMBIOS_START. */
bool x86_smbios_setup(GuestMemory *mem, const PlatformConfig *p,
                      GError **error);
