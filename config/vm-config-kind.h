/* SPDX-License-Identifier: Apache-2.0 */
/* Device config kinds: a device type's config struct, described in the device's own file. */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <glib.h>

#include "config/vm-config.h"

/* vm-config-schema.h: the field tables a kind's struct is described by. */
typedef struct VStruct VStruct;

/*
 * The top-level VmConfig table (vm-config-schema.c) names every device key
 * of Cloud Hypervisor's schema.  The ones built into VmConfig (disks, net,
 * rng, the consoles) have members of their own; the others are V_DEVICE
 * lines, each a slot of VmConfig.devices.  A device type that lives in its
 * own file under devices/ describes its config there, with a VmConfigKind
 * (the struct's field table, its rules), and the device registry registers
 * it at start-up (device_registry_init()).  From then on JSON parse and
 * format, the CLI option, copies, comparison, default ids, id uniqueness,
 * PCI slots and the kind's own rules all cover it, and config/ needed no
 * change.  An unregistered V_DEVICE key behaves as before: accepted while
 * empty, "not supported yet" otherwise.
 */

/* How a kind's hooks name what they refuse: "--vsock" or "vsock" for a
 * single device, "--fs" or "fs[1]" for a list's element. */
typedef struct {
    VmConfigNames names;
    const char *where;
} VmConfigKindCtx;

typedef struct VmConfigKind VmConfigKind;

/**
 * VmConfigKind:
 * @json_key: the V_DEVICE line of VmConfig's table it fills ("vsock")
 * @cli_option: its nimbus option ("--vsock"), for error names
 * @fields: the config struct's field table (its .free frees one entry)
 * @id_prefix: default ids are "<prefix><N>" ("_vsock" gives "_vsock0")
 * @default_id: instead, the one id of a single device ("__balloon"),
 *   which the "__" reservation lets through for this kind
 * @pci: the device takes a PCI slot on segment 0 (its table has a
 *   "pci_device_id" VF_INT_OPT field when the user may choose it)
 * @iommu: whether @entry asks to be translated by the virtio-iommu
 *   (iommu=on); NULL for the kinds that never are (their tables refuse
 *   iommu=on).  The device type's behind_iommu answers the same.
 * @validate: the kind's rules (needing no host) for @entry; NULL if none
 * @check_host: its host checks (files exist...) at vm.create; NULL if none
 */
struct VmConfigKind {
    const char *json_key;
    const char *cli_option;
    const VStruct *fields;
    const char *id_prefix;
    const char *default_id;
    bool pci;
    bool (*iommu)(gconstpointer entry);
    bool (*validate)(const VmConfig *config, gconstpointer entry,
                     const VmConfigKindCtx *ctx, GError **error);
    bool (*check_host)(const VmConfig *config, gconstpointer entry,
                       const VmConfigKindCtx *ctx, GError **error);
};

/*
 * Rules more than one kind shares (the built-in disks and nets use them
 * too), each written once.  They set "<where>: <message>" on @error and
 * return false when the rule is broken.
 */

/* CH's VhostUserRequiresSharedMemory: a vhost-user back end maps guest RAM
 * from the fds it is sent, and only a shared mapping lets it see the
 * guest's writes. */
bool vm_config_require_shared_memory(const VmConfig *config,
                                     const char *where, GError **error);
/* A virtqueue size (@key, "queue_size") is a power of two from @min to
 * @max (virtio 1.2 §2.7: a split ring's size). */
bool vm_config_check_queue_size(const char *where, const char *key,
                                uint64_t size, uint64_t min, uint64_t max,
                                GError **error);

/* Registers @kind (static storage) for its V_DEVICE key; registering the
 * same kind again is a no-op.  Call before any config is parsed. */
void vm_config_kind_register(const VmConfigKind *kind);
/* The kind registered for @json_key, or NULL. */
const VmConfigKind *vm_config_kind_lookup(const char *json_key);
/* Every registered kind, in the order of VmConfig's table (the creation
 * and PCI slot order); NULL-terminated, (transfer none). */
const VmConfigKind *const *vm_config_kinds(void);

/* Whether its key holds one optional device (vsock) rather than a list. */
bool vm_config_kind_single(const VmConfigKind *kind);
/* The entries @config has of @kind (0 or 1 for a single device); entry
 * @i (transfer none). */
guint vm_config_kind_count(const VmConfig *config, const VmConfigKind *kind);
gpointer vm_config_kind_entry(const VmConfig *config, const VmConfigKind *kind,
                              guint i);
/* Its "id" member (NULL when unset or when the struct has none). */
const char *vm_config_kind_id(const VmConfigKind *kind, gconstpointer entry);
/* Appends @entry (transfer full).  A single device replaces the one there
 * was (the callers check for "given twice" first). */
void vm_config_kind_append(VmConfig *config, const VmConfigKind *kind,
                           gpointer entry);
/* Removes (frees) entry @i (hot-unplug). */
void vm_config_kind_remove(VmConfig *config, const VmConfigKind *kind,
                           guint i);
/* A vm.add-<name> body: a new defaulted entry parsed from @node, paths
 * named from the kind's key (transfer full). */
gpointer vm_config_kind_from_json(const VmConfigKind *kind, JsonNode *node,
                                  GError **error);
/* One CLI value of the kind's option into a new entry (transfer full). */
gpointer vm_config_kind_parse_cli(const VmConfigKind *kind, const char *arg,
                                  GError **error);
/* Frees an entry of @kind. */
void vm_config_kind_entry_free(const VmConfigKind *kind, gpointer entry);
