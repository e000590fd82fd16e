/* SPDX-License-Identifier: Apache-2.0 */
/* On-demand restore of guest RAM: userfaultfd faults and a filler. */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <glib.h>

#include "devices/guest-memory.h"

/*
 * memory_restore_mode=OnDemand: instead of reading memory-ranges before
 * the guest runs, every RAM region is registered with userfaultfd for
 * missing pages.  A fault thread answers each fault (a vCPU through KVM, a
 * device worker, the VMM itself) with that page read from the file
 * (UFFDIO_COPY, or UFFDIO_ZEROPAGE for a zero page), and a filler thread
 * copies every page in order meanwhile, so that the file is no longer
 * needed once it is done.  Then the regions are unregistered and both
 * threads end.
 */

typedef struct SnapshotLazyMem SnapshotLazyMem;

/**
 * snapshot_lazy_mem_new:
 * @mem: RAM no guest has run in; its pages are dropped first (a page that
 *       is present would never fault and would keep its old content)
 * @path: memory-ranges: @mem's regions concatenated, @mem->ram_size bytes
 *        (checked by the caller)
 *
 * Returns: (transfer full) the running fault and filler threads, or NULL
 * when userfaultfd is unavailable (an error naming why: no
 * /dev/userfaultfd access, no privilege for kernel-mode faults).
 */
SnapshotLazyMem *snapshot_lazy_mem_new(const GuestMemory *mem,
                                       const char *path, GError **error);
/* Stops both threads and closes the userfaultfd.  Called after the vCPUs
 * and devices are stopped: a fault they wait on is served until then.
 * RAM unmapped before it only ends the filling early.  NULL is accepted. */
void snapshot_lazy_mem_free(SnapshotLazyMem *lm);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(SnapshotLazyMem, snapshot_lazy_mem_free)

/* Waits until the filler has placed every page; false on timeout.  A
 * reboot waits for it, so that no snapshot page lands in the new boot's
 * RAM. */
bool snapshot_lazy_mem_wait(SnapshotLazyMem *lm, guint timeout_ms);
/* Pages served by the fault thread so far (the rest came from the
 * filler). */
uint64_t snapshot_lazy_mem_faults(SnapshotLazyMem *lm);
