/* SPDX-License-Identifier: Apache-2.0 */
/* Guest RAM as devices see it: region table, bounds-checked translation. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <glib.h>

/*
 * The mapping itself (mmap, memfd, hugepages) is the VM's business
 * (daemon/memory.c); devices, arch code and tests only translate and copy
 * through the table below, so it lives at the devices level.
 */

#define GUEST_MEM_MAX_REGIONS 8

/**
 * GuestRegion:
 * One contiguous guest-physical RAM range and its host mapping.
 * All fields are immutable once guest_memory_new() returns.
 */
typedef struct {
    uint64_t gpa;
    uint64_t size;
    uint8_t *hva;
    int fd;           /* memfd (shared=on or hugepages=on), else -1 */
    uint64_t fd_offset;
    bool shared;      /* MAP_SHARED (shared=on) */
    /* fd is a memory zone's file= (the user's file): reset never punches
     * it, the guest's RAM starts as its contents. */
    bool file;
    /* The memory hotplug region: mapped (MAP_NORESERVE) and given to KVM
     * whole, but RAM for the guest only as a hotplug device plugs it, so
     * never in the boot memory map (E820, CMOS sizes). */
    bool hotplug;
} GuestRegion;

/**
 * GuestMemory:
 * Immutable after guest_memory_new(): data-plane threads (vCPUs, virtio
 * workers) read it without locks.  Memory hotplug (roadmap) will publish a
 * new table and retire the old one after the vCPUs and workers pass a
 * quiescent point (they already pause for it).
 */
typedef struct {
    GuestRegion regions[GUEST_MEM_MAX_REGIONS];
    unsigned nregions;
    uint64_t ram_size;            /* sum of region sizes */
} GuestMemory;

/* A guest-physical range [start, start + size). */
typedef struct {
    uint64_t start;
    uint64_t size;
    bool hotplug;     /* GuestRegion.hotplug */
} GuestRange;

/**
 * guest_mem_ptr:
 * Returns the host address of [@gpa, @gpa + @len) if that range lies inside a
 * single RAM region, else NULL (also on overflow).  This is the bounds check
 * every guest-supplied address goes through.
 */
void *guest_mem_ptr(const GuestMemory *mem, uint64_t gpa, uint64_t len);

/* Copies to/from guest RAM; the range may span adjacent regions.
 * Returns 0 or -EFAULT if any byte is outside RAM (nothing is copied then). */
int guest_mem_read(const GuestMemory *mem, uint64_t gpa, void *buf, size_t len);
int guest_mem_write(const GuestMemory *mem, uint64_t gpa, const void *buf,
                    size_t len);
