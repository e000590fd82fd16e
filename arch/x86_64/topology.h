/* SPDX-License-Identifier: Apache-2.0 */
/* x86 vCPU topology: the APIC ID of a vCPU index, shared by ACPI and CPUID. */
#pragma once

#include <stdint.h>

/**
 * x86_topology_apic_id:
 * The x2APIC ID of vCPU @cpu for a topology of @threads_per_core threads,
 * @cores_per_die cores and @dies_per_package dies (packages are implied):
 * each level gets a field just wide enough for its count, thread lowest,
 * as CPUID leaves 0xb/0x1f describe it (CH's get_x2apic_id()).  Zero counts
 * are treated as 1.  The MADT, the DSDT _MAT objects and CPUID must all use
 * this one function or the guest sees CPUs that do not match.
 */
uint32_t x86_topology_apic_id(uint32_t cpu, uint32_t threads_per_core,
                              uint32_t cores_per_die,
                              uint32_t dies_per_package);

/* Bits needed for IDs 0 .. @count - 1 (0 for a count of 0 or 1). */
uint32_t x86_topology_field_width(uint32_t count);
