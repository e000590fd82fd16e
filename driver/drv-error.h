/* SPDX-License-Identifier: Apache-2.0 */
/* DRV_ERROR: the driver's GError domain; codes are libvirt's virErrorNumber. */
#pragma once

#include <glib.h>

/*
 * The codes are libvirt's wire values (virErrorNumber; see
 * libvirt-remote-protocol.md §1.3), so the RPC layer copies error->code into
 * remote_error.code 1:1.  Values are append-only in libvirt.
 */
typedef enum {
    DRV_ERROR_INTERNAL_ERROR = 1,
    DRV_ERROR_NO_MEMORY = 2,
    DRV_ERROR_NO_SUPPORT = 3,
    DRV_ERROR_NO_CONNECT = 5,
    DRV_ERROR_INVALID_CONN = 6,
    DRV_ERROR_INVALID_DOMAIN = 7,
    DRV_ERROR_INVALID_ARG = 8,
    DRV_ERROR_OPERATION_FAILED = 9,
    DRV_ERROR_XML_ERROR = 27,
    DRV_ERROR_DOM_EXIST = 28,
    DRV_ERROR_OPERATION_DENIED = 29,
    DRV_ERROR_XML_DETAIL = 35,
    DRV_ERROR_SYSTEM_ERROR = 38,
    DRV_ERROR_RPC = 39,
    DRV_ERROR_NO_DOMAIN = 42,
    DRV_ERROR_AUTH_FAILED = 45,
    DRV_ERROR_OPERATION_INVALID = 55,
    DRV_ERROR_NO_SECRET = 66,
    DRV_ERROR_CONFIG_UNSUPPORTED = 67,
    DRV_ERROR_OPERATION_TIMEOUT = 68,
    DRV_ERROR_NO_DOMAIN_SNAPSHOT = 72,
    DRV_ERROR_ARGUMENT_UNSUPPORTED = 74,
    DRV_ERROR_OPERATION_ABORTED = 78,
    DRV_ERROR_NO_DOMAIN_METADATA = 80,
    DRV_ERROR_OPERATION_UNSUPPORTED = 84,
    DRV_ERROR_CPU_INCOMPATIBLE = 91,
    DRV_ERROR_DEVICE_MISSING = 99,
} DrvErrorCode;

/* libvirt error domains (virErrorDomain) used in remote_error.domain. */
typedef enum {
    DRV_FROM_RPC = 7,
    DRV_FROM_REMOTE = 13,
    DRV_FROM_DOMAIN = 20,
    DRV_FROM_CH = 72,
} DrvErrorDomain;

#define DRV_ERROR (drv_error_quark())
GQuark drv_error_quark(void);

/*
 * DRV_RELAYED_ERROR: an error that libvirtd reported to a call nimbusd
 * forwarded to it (driver/forward.c).  The GError code packs libvirt's
 * error domain and number, and the message is libvirt's whole text, so the
 * RPC layer hands the client all three unchanged (issue 11: "errors one to
 * one").
 */
#define DRV_RELAYED_ERROR (drv_relayed_error_quark())
GQuark drv_relayed_error_quark(void);
#define DRV_RELAYED_CODE(domain, number) \
    ((int)(((unsigned int)(domain) << 16) | ((unsigned int)(number) & 0xffffu)))
#define DRV_RELAYED_DOMAIN(code) ((int)((unsigned int)(code) >> 16))
#define DRV_RELAYED_NUMBER(code) ((int)((unsigned int)(code) & 0xffffu))
