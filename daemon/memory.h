/* SPDX-License-Identifier: Apache-2.0 */
/* Guest RAM: host mappings of the guest-physical RAM ranges. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <glib.h>

#include "config/vm-config.h"
#include "devices/guest-memory.h"

/**
 * guest_memory_new:
 * Maps @nranges RAM ranges as @config asks (size is taken from the ranges):
 * anonymous private memory, or a memfd when shared=on or hugepages=on;
 * MAP_NORESERVE unless prefault; MADV_HUGEPAGE when thp=on; MADV_DONTDUMP
 * always (guest RAM has no place in a VMM core dump).
 * Returns (transfer full) or NULL with @error set.
 */
GuestMemory *guest_memory_new(const MemoryConfig *config,
                              const GuestRange *ranges, unsigned nranges,
                              GError **error);
/**
 * guest_memory_new_zones:
 * The same for RAM made of @config's memory zones: range i belongs to
 * zone @zone_of[i] and is backed as that zone says (memfd, hugepages,
 * file=, shared, host_numa_node bound with mbind()).  A zone split in two
 * ranges continues in its file at the second range's offset.
 * Returns (transfer full) or NULL with @error set.
 */
GuestMemory *guest_memory_new_zones(const MemoryConfig *config,
                                    const GuestRange *ranges,
                                    const unsigned *zone_of, unsigned nranges,
                                    GError **error);
/**
 * guest_memory_new_from_fds:
 * The same layout, mapped MAP_SHARED from @fds (one per range, borrowed:
 * duplicated, the caller keeps its own), memory another process created
 * (the source of a local migration).  Each must be at least its range's
 * size.  Returns (transfer full) or NULL with @error set.
 */
GuestMemory *guest_memory_new_from_fds(const MemoryConfig *config,
                                       const GuestRange *ranges,
                                       unsigned nranges, const int *fds,
                                       GError **error);
void guest_memory_free(GuestMemory *mem);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(GuestMemory, guest_memory_free)

/* Zeroes all of RAM (used on reboot, so the new boot sees clean memory). */
void guest_memory_clear(GuestMemory *mem);

/*
 * Dirty-page log: every device write into guest memory is reported to
 * the VM's DeviceHost mark_dirty, which sets bits here (one per 4 KiB page
 * of each RAM region).  Live migration fetches and clears it each pass and
 * ORs in KVM's own dirty log (what the vCPUs wrote).
 */
#define GUEST_DIRTY_PAGE_SHIFT 12
#define GUEST_DIRTY_PAGE_SIZE (1ULL << GUEST_DIRTY_PAGE_SHIFT)

typedef struct GuestDirtyLog GuestDirtyLog;

/* A clear log covering every region of @mem (which must outlive it). */
GuestDirtyLog *guest_dirty_log_new(const GuestMemory *mem);
void guest_dirty_log_free(GuestDirtyLog *log);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(GuestDirtyLog, guest_dirty_log_free)

/* Marks every page [@gpa, @gpa + @len) touches; bytes outside RAM are
 * ignored.  Lock-free (atomic OR), any thread, no allocation. */
void guest_dirty_log_mark(GuestDirtyLog *log, uint64_t gpa, uint64_t len);

/* Words (64 pages each) of region @region's bitmap: the size of the
 * buffer guest_dirty_log_fetch_and_clear() fills.  0 for no such region. */
size_t guest_dirty_log_words(const GuestDirtyLog *log, unsigned region);

/**
 * guest_dirty_log_fetch_and_clear:
 * Copies region @region's bitmap into @out (@nwords words; bit n of word w
 * is page 64 * w + n of the region, KVM_GET_DIRTY_LOG's layout on 64-bit
 * hosts) and clears it, each word in one atomic exchange so that no mark
 * made meanwhile is lost.  Returns the number of words written.
 */
size_t guest_dirty_log_fetch_and_clear(GuestDirtyLog *log, unsigned region,
                                       uint64_t *out, size_t nwords);
