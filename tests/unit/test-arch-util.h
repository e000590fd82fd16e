/* SPDX-License-Identifier: Apache-2.0 */
/* Guest RAM for the arch unit tests, without KVM or daemon/memory.c. */
#pragma once

#include <stdint.h>
#include <glib.h>

#include "devices/guest-memory.h"

/*
 * The arch tests link arch/libarch.a without daemon/, so RAM comes from
 * here; guest_mem_ptr()/guest_mem_read()/guest_mem_write() are the real
 * ones (devices/guest-memory.c).  RAM is laid out by arch_ram_ranges() and
 * backed by MAP_NORESERVE anonymous mappings, so a 5 GiB guest costs
 * nothing until touched.
 */
typedef GuestMemory TestGuestMemory;
TestGuestMemory *test_guest_memory_new(uint64_t ram_size);
void test_guest_memory_free(TestGuestMemory *mem);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(TestGuestMemory, test_guest_memory_free)

/* Little-endian loads/stores for checking guest structures. */
uint64_t test_le(const void *p, unsigned n);
void test_st_le(void *p, uint64_t v, unsigned n);
