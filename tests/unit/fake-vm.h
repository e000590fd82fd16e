/* SPDX-License-Identifier: Apache-2.0 */
/* A link-time fake of daemon/vm.h's "For devices" API, for device unit tests. */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <glib.h>

#include "daemon/vm.h"

/*
 * Device unit tests link tests/unit/libfakevm.a instead of daemon/vm.c: it
 * defines vm_pio_bus(), vm_irq_set() and the rest of the device-facing API
 * (plus vm_free() for g_autoptr(Vm)), and records what devices do with it
 * so tests can assert on interrupts, power requests and allocations.  Link
 * it with FAKE_VM_LIBS (tests/unit/legacy.mk), never with daemon/libvmm.a's
 * vm.o.  Every recorder is thread-safe (devices call from any thread).
 */

#define FAKE_VM_MAX_GSI 1024
#define FAKE_VM_MMIO32_BASE 0xc0000000ULL   /* CH's 32-bit device window */
#define FAKE_VM_MMIO32_SIZE 0x28000000ULL   /* 640 MiB */
#define FAKE_VM_MMIO64_BASE 0x10000000000ULL
#define FAKE_VM_FIRST_IRQ 5                 /* after the ISA devices' IRQs */
#define FAKE_VM_LAST_IRQ 23
#define FAKE_VM_FIRST_MSI_GSI 24

/* A VM with @ram_size bytes of zeroed RAM at GPA 0 (0: no RAM), empty PIO
 * and MMIO buses, and its own GMainContext. */
Vm *fake_vm_new(uint64_t ram_size);
/* Runs the main context until nothing is ready (no blocking). */
void fake_vm_iterate(Vm *vm);
/* Iterates (blocking up to 10 ms at a time) until @cond returns true or
 * @timeout_ms passes; returns the last @cond. */
bool fake_vm_iterate_until(Vm *vm, bool (*cond)(gpointer), gpointer data,
                           guint timeout_ms);

/* Guest accesses through the VM's buses, as a vCPU would make them. */
uint8_t fake_vm_inb(Vm *vm, uint16_t port);
void fake_vm_outb(Vm *vm, uint16_t port, uint8_t value);
uint64_t fake_vm_pio_read(Vm *vm, uint16_t port, unsigned len);
void fake_vm_pio_write(Vm *vm, uint16_t port, unsigned len, uint64_t value);
uint64_t fake_vm_mmio_read(Vm *vm, uint64_t addr, unsigned len);
void fake_vm_mmio_write(Vm *vm, uint64_t addr, unsigned len, uint64_t value);

/* The guest RAM, writable by tests. */
GuestMemory *fake_vm_get_memory(Vm *vm);
void fake_vm_set_boot_vcpus(Vm *vm, uint32_t n);

/* Legacy interrupt lines. */
bool fake_vm_irq_level(Vm *vm, uint32_t gsi);
/* Low-to-high transitions made through vm_irq_set(). */
unsigned fake_vm_irq_raises(Vm *vm, uint32_t gsi);
unsigned fake_vm_irq_pulses(Vm *vm, uint32_t gsi);
void fake_vm_irq_reset_counts(Vm *vm);

unsigned fake_vm_poweroff_requests(Vm *vm);
unsigned fake_vm_reset_requests(Vm *vm);

/* Makes the next allocations fail (vm_alloc_*), to test error paths. */
void fake_vm_set_alloc_fail(Vm *vm, bool fail);

/* MSI, irqfd and ioeventfd records. */
bool fake_vm_msi_route(Vm *vm, uint32_t gsi, uint64_t *addr, uint32_t *data);
unsigned fake_vm_msi_signals(Vm *vm, uint64_t *last_addr, uint32_t *last_data);
/* The GSI an irqfd is assigned to, or -1. */
int fake_vm_irqfd_gsi(Vm *vm, int fd);
/* The fd assigned to (addr, pio), or -1. */
int fake_vm_ioeventfd_fd(Vm *vm, uint64_t addr, bool pio);

/* Snapshot identity: saves @from, restores that state into @to (@from
 * itself, or a second device of the same kind) and asserts that @to then
 * saves exactly the same JSON, with no error at any step. */
void fake_vm_check_save_restore(VmmDevice *from, VmmDevice *to);
