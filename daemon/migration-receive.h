/* SPDX-License-Identifier: Apache-2.0 */
/* The receiving side of the migration protocol: one connection, command by command. */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <gio/gio.h>
#include <json-glib/json-glib.h>

#include "config/vm-config.h"
#include "devices/guest-memory.h"

/*
 * The loop reads every request, checks its order (Start; MemoryFd only
 * before Config; Memory and State only after Config; Complete only after
 * State), answers Ok or Error, and hands what it received to @ops: it
 * builds nothing itself, so the fuzz target drives the same loop with
 * ops that build nothing either.  Whatever the peer sends, the loop
 * refuses it with an error; it never trusts a length or an address
 * before checking it.
 */
typedef struct {
    /* Config: @config (borrowed, parsed by migration_config_parse())
     * builds the VM, not running; returns its RAM (borrowed, valid until
     * the loop returns), or NULL with @error. */
    const GuestMemory *(*config)(gpointer opaque, VmConfig *config,
                                 JsonNode *memory_table, GError **error);
    /* MemoryFd (local migration): region @slot's memory fd (transfer
     * full: the op closes it on error too), before Config. */
    bool (*memory_fd)(gpointer opaque, uint32_t slot, int fd,
                      GError **error);
    /* State: @state (borrowed) is state.json's tree, already through
     * snapshot_state_parse(); kept until Complete. */
    bool (*state)(gpointer opaque, JsonNode *state, GError **error);
    /* Complete (@paused false) or CompletePaused: applies the state and
     * starts the VM. */
    bool (*complete)(gpointer opaque, bool paused, GError **error);
} MigrationReceiveOps;

/**
 * migration_receive_run:
 * Serves one migration on @stream.  @socket (may be NULL) is the stream's
 * socket, needed for MemoryFd's SCM_RIGHTS.  True once Complete was
 * applied and acknowledged; false with an error naming what went wrong
 * (an Abandon from the source is an error too: nothing was completed).
 */
bool migration_receive_run(GIOStream *stream, GSocket *socket,
                           const MigrationReceiveOps *ops, gpointer opaque,
                           GCancellable *cancellable, GError **error);

/**
 * migration_config_parse:
 * Config's payload, CH's VmMigrationConfig: {"vm_config": VmConfig,
 * "memory_manager_data": the memory table}.  *@config is validated
 * (vm_config_validate(), no host checks).  (transfer full) both.
 */
bool migration_config_parse(const char *data, gsize len, VmConfig **config,
                            JsonNode **memory_table, GError **error);

/* The Config payload the sender writes for @config and @mem. */
char *migration_config_build(const VmConfig *config, const GuestMemory *mem,
                             gsize *len);
