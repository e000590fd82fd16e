/* SPDX-License-Identifier: Apache-2.0 */
/* An address-range map (port I/O or MMIO) dispatching accesses to devices. */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <glib.h>

#include "devices/device.h"

typedef struct Bus Bus;

/* Creates an empty bus; @name ("pio", "mmio") appears in error messages. */
Bus *bus_new(const char *name);
void bus_free(Bus *bus);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(Bus, bus_free)

/**
 * bus_register:
 * Maps [@base, @base + @len) to @dev.  Accesses reach dev->ops->read/write
 * with the offset from @base.  A range that overlaps an existing one is
 * refused with G_IO_ERROR_EXISTS naming both devices.  Safe to call from any
 * thread, including from inside a device's write handler (PCI BAR
 * reprogramming runs on a vCPU thread).
 */
bool bus_register(Bus *bus, uint64_t base, uint64_t len, VmmDevice *dev,
                  GError **error);
/* Removes the range starting at @base owned by @dev; false if none. */
bool bus_unregister(Bus *bus, uint64_t base, VmmDevice *dev);
/* Removes every range owned by @dev. */
void bus_unregister_device(Bus *bus, VmmDevice *dev);

/**
 * bus_read / bus_write:
 * Dispatches one access of @len bytes at @addr.  Returns false when no
 * device claims @addr (a read then fills @data with all-ones).  An access
 * that straddles the end of a range is dispatched to the range holding @addr.
 */
bool bus_read(Bus *bus, uint64_t addr, void *data, unsigned len);
bool bus_write(Bus *bus, uint64_t addr, const void *data, unsigned len);

/* Calls @func for every range, in address order (vm.info's device tree). */
typedef void (*BusForeachFunc)(uint64_t base, uint64_t len, VmmDevice *dev,
                               gpointer opaque);
void bus_foreach(Bus *bus, BusForeachFunc func, gpointer opaque);

/* Looks up the device at @addr (for tests and diagnostics). */
VmmDevice *bus_lookup(Bus *bus, uint64_t addr, uint64_t *base, uint64_t *len);
