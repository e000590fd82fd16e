/* SPDX-License-Identifier: Apache-2.0 */
/* Live migration's dirty-page tracking: KVM's log OR'd with the devices' marks. */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <glib.h>

#include "daemon/hv/hv.h"
#include "daemon/memory.h"
#include "daemon/migration-protocol.h"

/*
 * What changed in guest RAM since the last pass: the vCPUs' writes come
 * from the hypervisor's log (KVM_MEM_LOG_DIRTY_PAGES on every RAM slot;
 * slot i is RAM region i, as daemon/vm.c registers them), the devices'
 * writes from the VM's GuestDirtyLog (devices/device-host.h mark_dirty).
 * Either alone misses pages: KVM never sees what a virtio worker writes.
 */
typedef struct MigrationDirty MigrationDirty;

/* Borrowed: all must outlive the tracker.  (transfer full) */
MigrationDirty *migration_dirty_new(const HvOps *ops, Hv *hv,
                                    const GuestMemory *mem,
                                    GuestDirtyLog *devlog);
/* Stops logging if it is still on. */
void migration_dirty_free(MigrationDirty *md);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(MigrationDirty, migration_dirty_free)

/* Turns logging on for every slot and forgets older device marks: what
 * is sent next (all of RAM) covers them.  All or nothing. */
bool migration_dirty_start(MigrationDirty *md, GError **error);
/* Turns logging off again (on failure and at the end); best effort. */
void migration_dirty_stop(MigrationDirty *md);
/**
 * migration_dirty_collect:
 * Fetches and clears both logs and appends the dirty pages to @ranges
 * (MigrationRange), adjacent pages coalesced, in guest-physical order per
 * region.  *@bytes: what they add up to.
 */
bool migration_dirty_collect(MigrationDirty *md, GArray *ranges,
                             uint64_t *bytes, GError **error);
/**
 * migration_nonzero_ranges:
 * The first pass: every page of RAM that is not all zero.  The
 * destination's RAM starts zero, and a page written after this looked at
 * it is in the dirty log (started before), so zero pages never need to
 * travel; a guest that touched 100 MiB of 1 GiB sends about 100 MiB.
 */
void migration_nonzero_ranges(const GuestMemory *mem, GArray *ranges,
                              uint64_t *bytes);

/**
 * migration_ranges_union:
 * The pages in @a or @b (MigrationRange arrays, any order, overlaps
 * allowed), sorted by address, each page once, adjacent ones coalesced.
 * The last delta is the pages left over from pre-copy plus those written
 * until the pause: a page in both must travel once, not twice, while the
 * guest is paused.  *@bytes: what they add up to.  (transfer full)
 */
GArray *migration_ranges_union(const GArray *a, const GArray *b,
                               uint64_t *bytes);
