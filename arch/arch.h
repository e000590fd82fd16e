/* SPDX-License-Identifier: Apache-2.0 */
/* Architecture hooks: exactly one arch/<arch>/ implements them (chosen at configure time). */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <glib.h>

#include "daemon/hv/hv.h"
#include "daemon/memory.h"
#include "config/vm-config.h"

typedef struct Vm Vm;

/* Guest RAM ranges for @ram_size bytes (x86: split around the 32-bit device
 * hole).  Returns the number of ranges written (<= @max). */
unsigned arch_ram_ranges(uint64_t ram_size, GuestRange *ranges, unsigned max);

/* Start of the 32-bit device window and the area for 64-bit MMIO. */
void arch_mmio_windows(uint64_t ram_end, uint8_t phys_bits,
                       uint64_t *mmio32_base, uint64_t *mmio32_size,
                       uint64_t *mmio64_base, uint64_t *mmio64_size);

/* VM-wide state the architecture keeps (x86: the power-on state of the
 * in-kernel interrupt controllers).  Called after the irqchip exists. */
gpointer arch_vm_init(const HvOps *ops, Hv *hv, GError **error);
bool arch_vm_reset(const HvOps *ops, Hv *hv, gpointer arch_vm, GError **error);
void arch_vm_free(gpointer arch_vm);

/* Per-vCPU setup after creation (CPUID, LAPIC, MSRs); returns the state
 * reset goes back to (transfer full, g_free). */
gpointer arch_vcpu_init(Vm *vm, const HvOps *ops, Hv *hv, HvVcpu *vcpu,
                        uint32_t index, GError **error);
bool arch_vcpu_reset(const HvOps *ops, HvVcpu *vcpu, gpointer arch_vcpu,
                     GError **error);

/* Loads the payload (kernel/firmware, initramfs, cmdline), writes the boot
 * tables (ACPI, E820, boot params) into guest memory and sets the boot
 * vCPU's registers. */
bool arch_vm_load_payload(Vm *vm, const HvOps *ops, HvVcpu *bsp,
                          GError **error);
