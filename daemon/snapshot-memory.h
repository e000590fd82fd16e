/* SPDX-License-Identifier: Apache-2.0 */
/* Guest RAM in snapshots: the memory-ranges stream and its range table. */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <gio/gio.h>
#include <json-glib/json-glib.h>

#include "devices/guest-memory.h"

/*
 * CH's memory-ranges file is the guest's RAM regions concatenated in
 * table order; the table itself ("memory-manager" in state.json) lists
 * each region's guest-physical address and length.  The writer and the
 * reader work on GIO streams, so that live migration can send the same
 * bytes over a socket: with a seekable stream (a file) runs of zero pages
 * become holes instead of bytes.
 */

/* (transfer full) the "memory-manager" section describing @mem. */
JsonNode *snapshot_memory_table_save(const GuestMemory *mem);
/**
 * snapshot_memory_table_check:
 * Checks that @node (borrowed) is a valid "memory-manager" section and that
 * it describes exactly the regions of @mem (the VM built from the same
 * config): errors name the field ("memory-manager: field 'ranges[1].gpa':
 * ...").
 */
bool snapshot_memory_table_check(JsonNode *node, const GuestMemory *mem,
                                 GError **error);

/* Writes every region of @mem to @out, in table order. */
bool snapshot_memory_write(const GuestMemory *mem, GOutputStream *out,
                           GCancellable *cancellable, GError **error);
/**
 * snapshot_memory_read:
 * Fills @mem, RAM that no guest ran in yet (all zero), from @in: exactly
 * @mem->ram_size bytes, or an error naming how many arrived.  Pages that
 * are zero in the stream are not written, so they stay unpopulated unless
 * @prefault asks for every page to be populated first.
 */
bool snapshot_memory_read(const GuestMemory *mem, GInputStream *in,
                          bool prefault, GCancellable *cancellable,
                          GError **error);
