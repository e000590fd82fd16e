/* SPDX-License-Identifier: Apache-2.0 */
/* x86 vCPU topology: the APIC ID of a vCPU index, shared by ACPI and CPUID. */
#include <config.h>

#include "arch/x86_64/topology.h"

uint32_t
x86_topology_field_width(uint32_t count)
{
    uint32_t width = 0;

    if (count <= 1)
        return 0;
    while (width < 32 && (1ULL << width) < count)
        width++;
    return width;
}

uint32_t
x86_topology_apic_id(uint32_t cpu, uint32_t threads_per_core,
                     uint32_t cores_per_die, uint32_t dies_per_package)
{
    uint32_t t = threads_per_core ? threads_per_core : 1;
    uint32_t c = cores_per_die ? cores_per_die : 1;
    uint32_t d = dies_per_package ? dies_per_package : 1;
    uint32_t tw = x86_topology_field_width(t);
    uint32_t cw = x86_topology_field_width(c);
    uint32_t dw = x86_topology_field_width(d);
    uint64_t thread = cpu % t;
    uint64_t core = (cpu / t) % c;
    uint64_t die = ((uint64_t)cpu / ((uint64_t)t * c)) % d;
    uint64_t pkg = (uint64_t)cpu / ((uint64_t)t * c * d);

    return (uint32_t)(thread | (core << tw) | (die << (tw + cw)) |
                      (pkg << (tw + cw + dw)));
}
