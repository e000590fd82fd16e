/* SPDX-License-Identifier: Apache-2.0 */
/* TPM CRB internals for unit tests and the fuzz target: the backend seam, register offsets. */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <glib.h>

#include "devices/device-host.h"
#include "devices/tpm/tpm-crb.h"

/* Locality 0's registers (TCG PC Client PTP 1.05 §6.5.3, table 34). */
#define CRB_LOC_STATE           0x00
#define CRB_LOC_CTRL            0x08
#define CRB_LOC_STS             0x0c
#define CRB_INTF_ID             0x30    /* 64-bit */
#define CRB_CTRL_EXT            0x38
#define CRB_CTRL_REQ            0x40
#define CRB_CTRL_STS            0x44
#define CRB_CTRL_CANCEL         0x48
#define CRB_CTRL_START          0x4c
#define CRB_INT_ENABLE          0x50
#define CRB_INT_STS             0x54
#define CRB_CTRL_CMD_SIZE       0x58
#define CRB_CTRL_CMD_LADDR      0x5c
#define CRB_CTRL_CMD_HADDR      0x60
#define CRB_CTRL_RSP_SIZE       0x64
#define CRB_CTRL_RSP_ADDR       0x68    /* 64-bit */

#define CRB_LOC_STATE_ESTABLISHED   (1u << 0)
#define CRB_LOC_STATE_ASSIGNED      (1u << 1)
#define CRB_LOC_STATE_REG_VALID     (1u << 7)
#define CRB_LOC_CTRL_REQUEST        (1u << 0)
#define CRB_LOC_CTRL_RELINQUISH     (1u << 1)
#define CRB_LOC_STS_GRANTED         (1u << 0)
#define CRB_CTRL_REQ_CMD_READY      (1u << 0)
#define CRB_CTRL_REQ_GO_IDLE        (1u << 1)
#define CRB_CTRL_STS_ERROR          (1u << 0)
#define CRB_CTRL_STS_IDLE           (1u << 1)
#define CRB_START_INVOKE            (1u << 0)
#define CRB_CANCEL_INVOKE           (1u << 0)

/**
 * TpmBackendOps:
 * What the CRB asks of the TPM behind it (swtpm, or a fake in the tests).
 * @execute: runs one whole command (vCPU thread, no allocation); returns
 *   the response's length (its header's size) or -errno
 * @cancel: asks for the command in flight to end early (any thread)
 * @startup: a power cycle at VM reset (control thread)
 * @free: frees @opaque
 */
typedef struct {
    ssize_t (*execute)(gpointer opaque, const uint8_t *cmd, size_t len,
                       uint8_t *rsp, size_t rsp_max);
    int (*cancel)(gpointer opaque);
    bool (*startup)(gpointer opaque, GError **error);
    void (*free)(gpointer opaque);
} TpmBackendOps;

/* The device on @backend (@opaque is (transfer full), freed with it). */
VmmDevice *tpm_crb_new(DeviceHost *host, const char *id,
                       const TpmBackendOps *backend, gpointer opaque);
