/* SPDX-License-Identifier: Apache-2.0 */
/* TPM 2.0 behind the CRB interface (TCG PC Client PTP) on swtpm: layout and registry type. */
#pragma once

#include "devices/registry.h"

/*
 * Where the device lives, for the firmware tables (arch/x86_64/acpi-tpm.c):
 * locality 0's 4 KiB register window at the PC Client address, its CRB
 * control area at offset 0x40 (what the TPM2 table points at) and the
 * command/response buffer after the registers.
 */
#define TPM_CRB_MMIO_BASE       0xfed40000ULL
#define TPM_CRB_MMIO_SIZE       0x1000
#define TPM_CRB_CTRL_AREA       0x40
#define TPM_CRB_DATA_BUFFER     0x80
#define TPM_CRB_BUFFER_SIZE     (TPM_CRB_MMIO_SIZE - TPM_CRB_DATA_BUFFER)

/* Its device id, as Cloud Hypervisor names it. */
#define TPM_CRB_ID              "__tpm"

/* --tpm socket=<swtpm control socket>: VmConfig's "tpm". */
extern const DeviceType tpm_type;

/* Whether @config asks for a TPM (the firmware tables describe it). */
bool tpm_configured(const VmConfig *config);
