/* SPDX-License-Identifier: Apache-2.0 */
/* MSI-X: capability, vector table and PBA in a BAR, delivery through KVM irqfd. */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <glib.h>
#include <json-glib/json-glib.h>

#include "devices/pci/pci.h"

#define MSIX_MAX_VECTORS 2048
#define MSIX_ENTRY_SIZE 16
#define MSIX_CAP_SIZE 12

typedef struct Msix Msix;

/**
 * msix_new:
 * Adds an MSI-X capability with @nvectors vectors to @pdev, whose table
 * lives at @table_off and PBA at @pba_off of BAR @bar.  Every vector gets a
 * GSI (device_host_msi_alloc()) and an eventfd bound to it with
 * device_host_irqfd(), so that worker threads interrupt the guest with a
 * write(2); if KVM refuses the irqfd, vectors fall back to
 * device_host_signal_msi().  All vectors start masked.
 * Returns (transfer full) or NULL with @error set.
 */
Msix *msix_new(PciDevice *pdev, unsigned nvectors, unsigned bar,
               uint32_t table_off, uint32_t pba_off, GError **error);
/* Unbinds the irqfds and frees the GSIs.  NULL is accepted. */
void msix_free(Msix *msix);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(Msix, msix_free)

unsigned msix_nvectors(const Msix *msix);
/* The capability's config offset. */
uint8_t msix_cap_offset(const Msix *msix);

/* Table/PBA accesses; @off is relative to the table (or PBA) start.
 * vCPU threads. */
void msix_table_read(Msix *msix, uint64_t off, void *data, unsigned len);
void msix_table_write(Msix *msix, uint64_t off, const void *data,
                      unsigned len);
void msix_pba_read(Msix *msix, uint64_t off, void *data, unsigned len);

/* The guest wrote config bytes [@off, @off + @len): picks up changes of
 * the Message Control register (enable, function mask).  PCI config lock
 * held (PciDeviceOps.config_write). */
void msix_config_write(Msix *msix, uint32_t off, unsigned len);

/**
 * msix_notify:
 * Raises @vector: the interrupt is delivered now, or, while the vector or
 * the function is masked or MSI-X is disabled, its pending bit is set and
 * the interrupt is delivered when it is unmasked (PCI 3.0 §6.8.3.5).  Any
 * thread; returns 0 or -errno (a vector out of range is -EINVAL).
 */
int msix_notify(Msix *msix, unsigned vector);
bool msix_enabled(Msix *msix);

/* Back to power-on: all vectors masked, nothing pending, routes kept
 * allocated.  The caller resets the config space (capability). */
void msix_reset(Msix *msix);

/* The eventfd bound to @vector (tests read it to observe interrupts). */
int msix_vector_eventfd(Msix *msix, unsigned vector);

/* One vector's snapshot: the guest-visible table entry and its PBA bit. */
typedef struct {
    uint32_t addr_lo, addr_hi, data, ctrl;
    bool pending;
} MsixEntryState;

/* The snapshot state (msix_state_desc): one entry per vector.  The
 * enable and function-mask bits live in the function's config space. */
typedef struct {
    unsigned n;
    MsixEntryState *entries;
} MsixState;

extern const VmmStateDesc msix_state_desc;

/* Fills @st, allocating the entries (msix_state_clear() frees them); a
 * load starts from it (the vector count). */
void msix_get_state(Msix *msix, MsixState *st);
/* Takes @st (loaded) and the enable bits from the restored config space:
 * call it after pci_device_set_state().  Pending vectors that are not
 * masked any more fire. */
void msix_set_state(Msix *msix, const MsixState *st);
void msix_state_clear(MsixState *st);
