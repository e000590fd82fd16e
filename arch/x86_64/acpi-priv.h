/* SPDX-License-Identifier: Apache-2.0 */
/* x86_64 ACPI internals shared by acpi.c, acpi-dsdt.c and the unit tests. */
#pragma once

#include "arch/x86_64/acpi.h"
#include "arch/x86_64/aml.h"

#define ACPI_OEM_ID             "CLOUDH"
#define ACPI_SDT_HEADER_LEN     36
#define ACPI_RSDP_LEN           36
#define ACPI_FADT_LEN           276     /* revision 6 */
#define ACPI_MADT_X2APIC_LEN    16

/* MADT x2APIC flags (ACPI 6.5 §5.2.12.2). */
#define ACPI_MADT_ENABLED           (1u << 0)
#define ACPI_MADT_ONLINE_CAPABLE    (1u << 1)

/* The topology with zeros replaced by their defaults. */
void x86_acpi_topology(const X86AcpiConfig *cfg, uint32_t *threads,
                       uint32_t *cores, uint32_t *dies);

/* The 16-byte MADT Local x2APIC structure of vCPU @cpu with @flags. */
void x86_acpi_x2apic_entry(const X86AcpiConfig *cfg, uint32_t cpu,
                           uint32_t flags, uint8_t out[ACPI_MADT_X2APIC_LEN]);

/* acpi-pci-hotplug.c: \_SB_.PHPR (at the top level) and PCI0's PCNT and
 * slot devices (inside PCI0), when cfg->pci_hotplug_base is set. */
void x86_acpi_dsdt_pci_hotplug(AmlWriter *w, const X86AcpiConfig *cfg);
void x86_acpi_dsdt_pci_hotplug_slots(AmlWriter *w, const X86AcpiConfig *cfg);
/* acpi-cpu-hotplug.c: \_SB_.PRES (at the top level) and a processor
 * object's _STA and _EJ0 (inside it), when cfg->cpu_hotplug_base is set. */
void x86_acpi_dsdt_cpu_hotplug(AmlWriter *w, const X86AcpiConfig *cfg);
void x86_acpi_dsdt_cpu_hotplug_cpu(AmlWriter *w, const X86AcpiConfig *cfg,
                                   uint32_t cpu);
/* acpi-memory-hotplug.c: \_SB_.MHPC and its DIMM slots (at the top
 * level), when cfg->mem_hotplug_base is set, and the check of their
 * part of @cfg (true when there is no controller). */
void x86_acpi_dsdt_memory_hotplug(AmlWriter *w, const X86AcpiConfig *cfg);
bool x86_acpi_check_memory_hotplug(const X86AcpiConfig *cfg, GError **error);
/* acpi-tpm.c: the TPM2 table after its header, and \_SB_.TPM2 (at the
 * top level), when cfg->tpm is set. */
void x86_acpi_tpm2_body(GByteArray *b);
void x86_acpi_dsdt_tpm(AmlWriter *w);
/* acpi-srat.c: the SRAT's and the SLIT's bodies (after the header), when
 * cfg->numa is set, and the check of cfg->numa (true when unset). */
void x86_acpi_srat_body(GByteArray *b, const X86AcpiConfig *cfg);
void x86_acpi_slit_body(GByteArray *b, const X86AcpiConfig *cfg);
bool x86_acpi_check_numa(const X86AcpiConfig *cfg, GError **error);
/* acpi-viot.c: the VIOT's body (after the header) when cfg->viommu is
 * set, and the check of that part of @cfg (true when unset). */
void x86_acpi_viot_body(GByteArray *b, const X86AcpiConfig *cfg);
bool x86_acpi_check_viot(const X86AcpiConfig *cfg, GError **error);
/* Writes the DSDT's definition blocks (everything after its header). */
void x86_acpi_dsdt_body(AmlWriter *w, const X86AcpiConfig *cfg);

/**
 * x86_acpi_build_blob:
 * Builds every table as one block meant for GPA @base (the RSDP first).
 * Returns (transfer full) the bytes, or NULL with @error set.
 */
GByteArray *x86_acpi_build_blob(const X86AcpiConfig *cfg, uint64_t base,
                                GError **error);
