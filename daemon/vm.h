/* SPDX-License-Identifier: Apache-2.0 */
/* The VM object: guest memory, buses, interrupts, devices and vCPUs. */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <glib.h>
#include <json-glib/json-glib.h>

#include "daemon/memory.h"
#include "config/vm-config.h"
#include "devices/bus.h"
#include "devices/device.h"

typedef struct Vm Vm;

/* How the guest ended a run; reported to VmHooks.guest_exit. */
typedef enum {
    VM_GUEST_POWEROFF,   /* ACPI S5 or KVM system-event shutdown */
    VM_GUEST_RESET,      /* ACPI reset register, i8042 0xfe, triple fault is CRASH */
    VM_GUEST_CRASH,      /* triple fault, KVM internal error: registers logged */
    VM_GUEST_PANIC,      /* pvpanic (roadmap) */
    VM_GUEST_EXIT_LAST
} VmGuestExit;

/**
 * VmHooks:
 * How the VM reports to its owner (the Vmm).  @guest_exit is always called
 * on the control thread (the GMainContext given to vm_new()), once per
 * guest-initiated stop, after every vCPU has left KVM_RUN.
 */
typedef struct {
    void (*guest_exit)(Vm *vm, VmGuestExit why, gpointer opaque);
    gpointer opaque;
} VmHooks;

/**
 * vm_new:
 * Creates the VM in the "Created" state: opens the hypervisor, maps guest
 * RAM, creates the interrupt controllers and every configured device, and
 * the vCPUs (not yet running).  @config is copied.  @context is the control
 * thread's main context (NULL: the global default).
 */
Vm *vm_new(const VmConfig *config, const VmHooks *hooks, GMainContext *context,
           GError **error);
void vm_free(Vm *vm);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(Vm, vm_free)

/* Loads the payload, builds boot tables and starts the vCPU threads. */
bool vm_boot(Vm *vm, GError **error);
/* Synchronous: returns once every vCPU is out of KVM_RUN and parked, and
 * every device's pause hook has run. */
bool vm_pause(Vm *vm, GError **error);
bool vm_resume(Vm *vm, GError **error);
/* Stops the vCPUs for good (they exit their threads); devices are reset.
 * The VM can be booted again with vm_boot(). */
bool vm_shutdown(Vm *vm, GError **error);
/* Stops, resets every device and vCPU, clears RAM, boots again. */
bool vm_reboot(Vm *vm, GError **error);
/* ACPI power button (GED notification). */
bool vm_power_button(Vm *vm, GError **error);
/* Injects an NMI into every vCPU. */
bool vm_nmi(Vm *vm, GError **error);

/* The config the VM runs with, as validated (runtime facts such as pty
 * paths are the devices' own: VmmDevice.runtime). */
const VmConfig *vm_get_config(Vm *vm);
/* vm.info pieces. */
uint64_t vm_memory_actual_size(Vm *vm);
JsonNode *vm_device_tree(Vm *vm);      /* {id: DeviceNode} */
JsonNode *vm_counters(Vm *vm);         /* {id: {counter: int}} */

/*
 * VmPlatformInfo: where the platform pieces the firmware tables describe
 * ended up (filled while devices are created in vm_new(); read by the ACPI
 * builder at boot).
 */
typedef struct {
    bool serial;                  /* 16550 at 0x3f8, IRQ 4 */
    bool ged;                     /* ACPI GED (power button, hotplug) */
    uint64_t ged_base;
    uint32_t ged_irq;
    uint64_t pci_ecam_base;       /* 0 when there is no PCI bus */
    uint64_t pci_ecam_size;
    uint64_t mmio32_base;         /* PCI 32-bit BAR window */
    uint64_t mmio32_size;
    uint64_t mmio64_base;         /* PCI 64-bit BAR window */
    uint64_t mmio64_size;
} VmPlatformInfo;

VmPlatformInfo *vm_platform_info(Vm *vm);
/* The architecture's VM-wide state (arch_vm_init's result), for arch code. */
gpointer vm_arch(Vm *vm);

/* ---- For devices (see devices/device.h for thread rules) ------------- */

Bus *vm_pio_bus(Vm *vm);
Bus *vm_mmio_bus(Vm *vm);
const GuestMemory *vm_memory(Vm *vm);
GMainContext *vm_main_context(Vm *vm);
uint32_t vm_boot_vcpus(Vm *vm);

/* Adds @dev (transfer full) to the VM's device list: it is realized now,
 * reset with the VM, paused/resumed/saved with it, and freed with it. */
bool vm_add_device(Vm *vm, VmmDevice *dev, GError **error);
VmmDevice *vm_find_device(Vm *vm, const char *id);

/* Guest-initiated power events: safe from vCPU and device threads; the
 * VM stops its vCPUs and reports through VmHooks on the control thread. */
void vm_request_poweroff(Vm *vm);
void vm_request_reset(Vm *vm);

/* Legacy interrupt lines (IOAPIC pins, GSI 0-23).  vCPU-thread safe. */
int vm_irq_set(Vm *vm, uint32_t gsi, bool level);
int vm_irq_pulse(Vm *vm, uint32_t gsi);

/* MSI: a GSI per vector, routed in KVM so that irqfd can target it. */
int vm_msi_alloc(Vm *vm, uint32_t *gsi);
int vm_msi_update(Vm *vm, uint32_t gsi, uint64_t addr, uint32_t data);
void vm_msi_free(Vm *vm, uint32_t gsi);
int vm_signal_msi(Vm *vm, uint64_t addr, uint32_t data);
int vm_irqfd(Vm *vm, int fd, uint32_t gsi, bool assign);
/* Queue notifications: @fd is signalled when the guest writes @addr. */
int vm_ioeventfd(Vm *vm, int fd, uint64_t addr, uint32_t len, bool pio,
                 bool assign);

/* Address-space allocation for device MMIO (PCI BARs, GED). */
bool vm_alloc_mmio32(Vm *vm, uint64_t size, uint64_t align, uint64_t *addr,
                     GError **error);
bool vm_alloc_mmio64(Vm *vm, uint64_t size, uint64_t align, uint64_t *addr,
                     GError **error);
/* A free IOAPIC pin for a new legacy device (GED, PCI INTx). */
bool vm_alloc_irq(Vm *vm, uint32_t *gsi, GError **error);
