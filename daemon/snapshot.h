/* SPDX-License-Identifier: Apache-2.0 */
/* Snapshot and restore in CH's layout: config, state.json, memory-ranges. */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <glib.h>
#include <json-glib/json-glib.h>

#include "config/vm-config.h"
#include "daemon/vm.h"
#include "daemon/snapshot-uffd.h"
#include "daemon/vmm.h"

/*
 * A snapshot directory (reference §7) holds:
 *   config.json    the VmConfig as the user asked for it (vm.create's
 *                  schema; runtime facts such as pty paths are not in it);
 *   state.json     {"version", "vm", "cpu-manager", "memory-manager",
 *                  "device-manager": {"version", "devices": {id: state}}},
 *                  every section a versioned state table (devices/state.h);
 *   memory-ranges  guest RAM, regions concatenated in table order.
 * A snapshot is written into a temporary directory next to the destination
 * and renamed into place: the destination is complete or absent.
 */

#define SNAPSHOT_CONFIG_FILE "config.json"
#define SNAPSHOT_STATE_FILE "state.json"
#define SNAPSHOT_MEMORY_FILE "memory-ranges"

typedef enum {
    SNAPSHOT_RESTORE_COPY,
    SNAPSHOT_RESTORE_ONDEMAND,
    SNAPSHOT_RESTORE_LAST
} SnapshotRestoreMode;

/* One entry of RestoreConfig.net_fds: the net @id takes @num_fds of the
 * descriptors received with the request, in order. */
typedef struct {
    char *id;
    unsigned num_fds;
} SnapshotNetFds;

/**
 * RestoreConfig:
 * CH's RestoreConfig (vm.restore's body, --restore's sub-options).
 * @source_url: "file:///DIR"
 */
struct RestoreConfig {
    char *source_url;
    bool prefault;
    SnapshotRestoreMode memory_restore_mode;
    bool resume;
    GArray *net_fds;        /* SnapshotNetFds; NULL when absent */
    /* --restore net_fds=[id@[fd,...],...]: the inherited fds themselves
     * (int), in net_fds order, which the API receives by SCM_RIGHTS
     * instead; NULL otherwise.  Not owned: the config never closes them. */
    GArray *cli_fds;
};

void restore_config_free(RestoreConfig *rc);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(RestoreConfig, restore_config_free)

/* Parses vm.restore's JSON body (borrowed); unknown members and wrong
 * types are refused.  (transfer full) or NULL. */
RestoreConfig *restore_config_from_json(JsonNode *node, GError **error);
/* Parses --restore "source_url=...,prefault=on,memory_restore_mode=copy,
 * resume=true".  (transfer full) or NULL. */
RestoreConfig *restore_config_parse_cli(const char *arg, GError **error);

/**
 * snapshot_url_to_path:
 * The local directory of a "file://" URL.  (transfer full) or NULL with
 * G_IO_ERROR_INVALID_ARGUMENT.
 */
char *snapshot_url_to_path(const char *url, GError **error);

/**
 * snapshot_state_save:
 * state.json's tree for @vm, which must be paused.
 * Returns: (transfer full) or NULL.
 */
JsonNode *snapshot_state_save(Vm *vm, GError **error);

/**
 * snapshot_save:
 * Writes a snapshot of @vm (paused) created from @config to the directory
 * @url names.  A directory that exists and is not empty is refused
 * (G_IO_ERROR_EXISTS); on any error nothing is left behind.
 */
bool snapshot_save(Vm *vm, const VmConfig *config, const char *url,
                   GError **error);

/**
 * snapshot_write_dir:
 * The writing half of snapshot_save(): @config and @state (borrowed) and
 * the RAM of @mem into the directory @dir, through a temporary directory
 * next to it that is renamed into place, so @dir is complete or absent.
 */
bool snapshot_write_dir(const char *dir, JsonNode *config, JsonNode *state,
                        const GuestMemory *mem, GError **error);

/**
 * snapshot_read_config:
 * config.json of the snapshot @rc names, with the descriptors in @fds
 * (int, borrowed; attached in order to the nets that take fds, as
 * @rc->net_fds says).  The config is validated and its host checks done.
 * Returns: (transfer full) or NULL.
 */
VmConfig *snapshot_read_config(const RestoreConfig *rc, GArray *fds,
                               GError **error);

/**
 * snapshot_restore_into:
 * Fills @vm, created from snapshot_read_config()'s config and never
 * booted, with the snapshot's memory, device, vCPU and interrupt
 * controller state, and leaves it Paused (vm_start_restored()).  Every
 * section is checked before the VM changes; on error the caller frees
 * @vm, which was never run.
 * @lazy: (out) with OnDemand, the threads that serve and fill guest RAM
 * (daemon/snapshot-uffd.h), also set on error: the caller frees it after
 * @vm, whose threads may wait on its faults until they are stopped.
 */
bool snapshot_restore_into(Vm *vm, const RestoreConfig *rc,
                           SnapshotLazyMem **lazy, GError **error);

/* Fills @vm's RAM between the checks and the device restores. */
typedef bool (*SnapshotFillMemoryFunc)(Vm *vm, gpointer opaque,
                                       GError **error);

/**
 * snapshot_state_apply:
 * The second half of snapshot_restore_into(), shared with live migration
 * (daemon/migration.c): checks every section of @root (borrowed, from
 * snapshot_state_parse()) against @vm (created from the same config, never
 * booted), then fills RAM with @fill (NULL: it already holds the guest's
 * memory), restores the devices, the vCPUs and the VM-wide state, and
 * leaves @vm Paused.  On error the caller frees @vm.
 */
bool snapshot_state_apply(Vm *vm, JsonNode *root, SnapshotFillMemoryFunc fill,
                          gpointer opaque, GError **error);

/**
 * snapshot_state_parse:
 * Parses state.json's text and checks what needs no VM: JSON, the format
 * version, the sections present.  Returns: (transfer full) the tree, or
 * NULL with an error naming the problem.  Used by the restore and by the
 * state.json fuzz target.
 */
JsonNode *snapshot_state_parse(const char *data, gssize len, GError **error);
