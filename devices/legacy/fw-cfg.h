/* SPDX-License-Identifier: Apache-2.0 */
/* QEMU's fw_cfg device (docs/specs/fw_cfg.rst), as CH's --fw-cfg-config exposes it. */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <glib.h>

#include "config/vm-config.h"
#include "devices/device.h"

/* x86: the selector at 0x510 (16 bits, little endian), the data port at
 * 0x511 (8 bits), the DMA address at 0x514 (64 bits big endian, written as
 * two 32-bit halves, the low one at 0x518 starting the transfer). */
#define FW_CFG_PIO_BASE 0x510
#define FW_CFG_PIO_SIZE 0x0c
#define FW_CFG_ID "__fw_cfg"
/* The ACPI id Linux's qemu_fw_cfg driver binds to. */
#define FW_CFG_ACPI_HID "QEMU0002"

/* The selector keys (QEMU's include/standard-headers/linux/qemu_fw_cfg.h). */
#define FW_CFG_KEY_SIGNATURE 0x00
#define FW_CFG_KEY_ID 0x01
#define FW_CFG_KEY_KERNEL_SIZE 0x08
#define FW_CFG_KEY_INITRD_SIZE 0x0b
#define FW_CFG_KEY_KERNEL_DATA 0x11
#define FW_CFG_KEY_INITRD_DATA 0x12
#define FW_CFG_KEY_CMDLINE_SIZE 0x14
#define FW_CFG_KEY_CMDLINE_DATA 0x15
#define FW_CFG_KEY_SETUP_SIZE 0x17
#define FW_CFG_KEY_SETUP_DATA 0x18
#define FW_CFG_KEY_FILE_DIR 0x19
#define FW_CFG_KEY_FILE_FIRST 0x20
/* Selector bits above the key: a write channel and arch-local keys;
 * neither holds anything here. */
#define FW_CFG_KEY_MASK 0x3fff
#define FW_CFG_KEY_WRITE 0x4000
#define FW_CFG_KEY_ARCH_LOCAL 0x8000

/* FW_CFG_ID's feature bits: the traditional interface and DMA. */
#define FW_CFG_FEATURE_TRADITIONAL 0x01
#define FW_CFG_FEATURE_DMA 0x02

/* FWCfgDmaAccess.control (big endian in guest memory). */
#define FW_CFG_DMA_CTL_ERROR 0x01
#define FW_CFG_DMA_CTL_READ 0x02
#define FW_CFG_DMA_CTL_SKIP 0x04
#define FW_CFG_DMA_CTL_SELECT 0x08
#define FW_CFG_DMA_CTL_WRITE 0x10
#define FW_CFG_DMA_ACCESS_SIZE 16   /* be32 control, be32 length, be64 addr */
/* What reading the DMA address register returns: "QEMU CFG". */
#define FW_CFG_DMA_SIGNATURE "QEMU CFG"

/* A file directory entry: be32 size, be16 select, u16 reserved, name. */
#define FW_CFG_FILE_NAME_SIZE 56
#define FW_CFG_FILE_ENTRY_SIZE 64
/* An etc/e820 entry: le64 address, le64 length, le32 type. */
#define FW_CFG_E820_ENTRY_SIZE 20

/**
 * fw_cfg_new:
 * A fw_cfg device at FW_CFG_PIO_BASE (transfer full, not realized): give
 * it its contents with the calls below, then hand it to
 * device_host_add_device(), which realizes it.
 */
VmmDevice *fw_cfg_new(DeviceHost *host, const char *id);

/* Before realize: adds the file @name (at most FW_CFG_FILE_NAME_SIZE - 1
 * bytes) holding @data (a reference is taken); fails on a duplicate name
 * or when the selector space is full. */
bool fw_cfg_add_file(VmmDevice *dev, const char *name, GBytes *data,
                     GError **error);

/* Before realize: what @p asks of the device (p->fw_cfg_config, which
 * passed vm_config_validate() and vm_config_check_host()): the items,
 * read now, and the kernel, command line and initramfs keys.  Errors
 * name the file that could not be read. */
bool fw_cfg_load_payload(VmmDevice *dev, const PayloadConfig *p,
                         GError **error);
