/* SPDX-License-Identifier: Apache-2.0 */
/* x86_64 ACPI for the TPM 2.0 CRB: the TPM2 table's body and the DSDT's \_SB_.TPM2 (MSFT0101). */
#include <config.h>

#include <string.h>

#include "arch/x86_64/acpi-priv.h"
#include "devices/tpm/tpm-crb.h"

/*
 * Only when the VM has a TPM (X86AcpiConfig.tpm), as Cloud Hypervisor
 * does: Linux's tpm_crb binds to MSFT0101, maps the device's _CRS and
 * reads the start method and control area address from the TPM2 table.
 */

/* TCG ACPI Specification 1.3 §8.3: start method 7, "Command Response
 * Buffer", whose parameters are zero. */
#define TPM2_PLATFORM_CLIENT    0
#define TPM2_START_METHOD_CRB   7
#define TPM2_START_PARAMS_LEN   12

void
x86_acpi_tpm2_body(GByteArray *b)
{
    uint8_t body[2 + 2 + 8 + 4 + TPM2_START_PARAMS_LEN] = { 0 };
    uint64_t ctrl = TPM_CRB_MMIO_BASE + TPM_CRB_CTRL_AREA;

    body[0] = TPM2_PLATFORM_CLIENT;             /* platform class, u16 */
    /* body[2..3]: reserved */
    for (unsigned i = 0; i < 8; i++)            /* CRB control area */
        body[4 + i] = (uint8_t)(ctrl >> (8 * i));
    body[12] = TPM2_START_METHOD_CRB;           /* start method, u32 */
    g_byte_array_append(b, body, sizeof(body));
}

void
x86_acpi_dsdt_tpm(AmlWriter *w)
{
    aml_device_begin(w, "_SB_.TPM2");
    aml_name_string(w, "_HID", "MSFT0101");
    aml_name_string(w, "_STR", "TPM 2.0 Device");
    aml_name_integer(w, "_UID", 0);
    aml_name_integer(w, "_STA", 0x0f);          /* present and enabled */
    aml_name(w, "_CRS");
    aml_resource_template_begin(w);
    aml_rd_memory32_fixed(w, true, (uint32_t)TPM_CRB_MMIO_BASE,
                          TPM_CRB_MMIO_SIZE);
    aml_end(w);
    aml_end(w);
}
