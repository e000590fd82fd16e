/* SPDX-License-Identifier: Apache-2.0 */
/* Live migration: vm.send-migration and vm.receive-migration on their own thread. */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <glib.h>
#include <json-glib/json-glib.h>

#include "daemon/vmm.h"

/*
 * One migration at a time per Vmm, on a "migration" thread (its own
 * seccomp role) so that the API keeps answering.  The thread does the
 * socket I/O and copies guest memory; every step that touches the Vmm or
 * the VM's lifecycle (dirty logging on/off, pause, the state, creating
 * the destination VM, the end) runs on the control thread, which the
 * migration thread asks and waits for.  docs/migration.md has the
 * protocol.
 */

typedef enum {
    MIGRATION_TIMEOUT_CANCEL,
    MIGRATION_TIMEOUT_IGNORE,
    MIGRATION_TIMEOUT_LAST
} MigrationTimeoutStrategy;

/* CH's SendMigrationData, as nimbus supports it. */
typedef struct {
    char *destination_url;
    bool local;
    uint64_t downtime_ms;       /* default 300 */
    uint64_t timeout_s;         /* default 3600 */
    MigrationTimeoutStrategy timeout_strategy;  /* default Cancel */
} MigrationSendConfig;

void migration_send_config_free(MigrationSendConfig *cfg);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(MigrationSendConfig, migration_send_config_free)

/* vm.send-migration's body (borrowed).  Unknown members, wrong types and
 * what nimbus does not do (connections > 1, tls_dir, Postcopy) are
 * refused, naming the member.  (transfer full) or NULL. */
MigrationSendConfig *migration_send_config_from_json(JsonNode *node,
                                                     GError **error);
/* vm.receive-migration's body: the receiver_url.  (transfer full). */
char *migration_receive_url_from_json(JsonNode *node, GError **error);

/**
 * migration_url_parse:
 * "unix:PATH" or "tcp:HOST:PORT" (HOST an IPv4 or bracketed IPv6
 * literal).  *@unix_path is set for a UNIX URL.  (transfer full) or NULL
 * with G_IO_ERROR_INVALID_ARGUMENT naming the URL.
 */
GSocketAddress *migration_url_parse(const char *url, char **unix_path,
                                    GError **error);

typedef struct Migration Migration;

/**
 * migration_send_start:
 * Starts sending @vmm's VM (Running or Paused) to @cfg's destination and
 * returns: the migration goes on in the background.  On success the VMM
 * process ends (vmm_quit(0)); on failure the VM goes on as before and
 * the error is logged and reported as a "migration-failed" event.
 */
bool migration_send_start(Vmm *vmm, const MigrationSendConfig *cfg,
                          GError **error);
/**
 * migration_send_cancel:
 * vm.nimbus-cancel-migration: stops @vmm's outgoing migration and returns
 * at once.  The migration ends on its thread as a failed one: the
 * connection closes (the destination discards what it received), the VM
 * goes on (resumed if the migration paused it), "migration-failed" is
 * emitted.  WRONG_STATE when no send is in progress, or once Complete is
 * being sent (the destination may already run the VM).  Control thread.
 */
bool migration_send_cancel(Vmm *vmm, GError **error);
/**
 * migration_receive_start:
 * Listens on @url (the Vmm must have no VM) and returns once it listens;
 * one connection is accepted and served in the background.  On success
 * the VM is the Vmm's, Running (Paused if the source said
 * CompletePaused); on failure nothing is left and vm.info answers 404.
 */
bool migration_receive_start(Vmm *vmm, const char *url, GError **error);

/* True while a migration of @m is in progress.  Control thread. */
bool migration_busy(Migration *m);
/* Cancels a migration in progress (its VM goes on, or is discarded) and
 * waits for its thread.  Control thread (vmm_free()). */
void migration_free(Migration *m);
