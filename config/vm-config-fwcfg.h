/* SPDX-License-Identifier: Apache-2.0 */
/* CH's FwCfgConfig (--fw-cfg-config, payload.fw_cfg_config): table, CLI, rules. */
#pragma once

#include <stdbool.h>
#include <glib.h>

#include "config/vm-config.h"

/* A fw_cfg file name fills a 56-byte field with its NUL (QEMU's
 * FW_CFG_MAX_FILE_PATH). */
#define VM_CONFIG_FW_CFG_NAME_MAX 55u
/* The names a user may give: QEMU reserves every other prefix for the
 * machine's own files (etc/, genroms/...). */
#define VM_CONFIG_FW_CFG_USER_PREFIX "opt/"
/* nimbus's limits: the device holds every item in memory, read once at VM
 * creation, and its file directory grows 64 bytes per item. */
#define VM_CONFIG_FW_CFG_ITEMS_MAX 1024u
#define VM_CONFIG_FW_CFG_ITEM_SIZE_MAX (16u * 1024 * 1024)

void fw_cfg_config_free(FwCfgConfig *c);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(FwCfgConfig, fw_cfg_config_free)
void fw_cfg_item_config_free(FwCfgItemConfig *item);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(FwCfgItemConfig, fw_cfg_item_config_free)

/* --fw-cfg-config: replaces config->payload.fw_cfg_config. */
bool vm_config_parse_fw_cfg(VmConfig *config, const char *arg,
                            GError **error);

/* Whether @name may name a user item: non-empty, at most
 * VM_CONFIG_FW_CFG_NAME_MAX bytes, under "opt/", printable ASCII without
 * blanks, no empty, "." or ".." component.  On false, *@why says why
 * (static string). */
bool vm_config_fw_cfg_name_valid(const char *name, const char **why);

/* The rules (part of vm_config_validate_full()): item names valid and
 * unique, exactly one of file or string per item, sizes within the
 * limits, a non-empty list. */
bool vm_config_validate_fw_cfg(const PayloadConfig *p, VmConfigNames names,
                               GError **error);

/* Host checks (vm_config_check_host()): each item's file is a readable
 * regular file of at most VM_CONFIG_FW_CFG_ITEM_SIZE_MAX bytes. */
bool vm_config_check_host_fw_cfg(const PayloadConfig *p, VmConfigNames names,
                                 GError **error);
