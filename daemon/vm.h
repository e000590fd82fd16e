/* SPDX-License-Identifier: Apache-2.0 */
/* The VM object: guest memory, buses, interrupts, devices and vCPUs. */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <glib.h>
#include <json-glib/json-glib.h>

#include "arch/arch.h"
#include "daemon/memory.h"
#include "config/vm-config.h"
#include "devices/bus.h"
#include "devices/device-host.h"
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
/* vm_new() with guest RAM mapped from @mem_fds (one per RAM range,
 * borrowed; NULL: new memory), the memfds a local migration's source
 * handed over (daemon/migration.c). */
Vm *vm_new_with_memory_fds(const VmConfig *config, const VmHooks *hooks,
                           GMainContext *context, const int *mem_fds,
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
/**
 * vm_resize_vcpus:
 * vm.resize desired_vcpus.  On a running or paused VM: up, the new vCPUs
 * are created (or reused), started and announced to the guest through the
 * ACPI CPU hotplug controller; down, the guest is asked to eject the top
 * ones, whose threads stop when it does.  The config's boot_vcpus becomes
 * @n (what a reboot starts; all a stopped VM changes).
 * G_IO_ERROR_INVALID_ARGUMENT outside 1 to
 * max_vcpus, _NOT_SUPPORTED without hotplug (max_vcpus == boot_vcpus),
 * _BUSY while the guest has still to eject vCPUs; nothing changes then.
 */
bool vm_resize_vcpus(Vm *vm, uint32_t n, GError **error);
/* What vm_resize_vcpus() would refuse, without changing anything. */
bool vm_check_resize_vcpus(Vm *vm, uint32_t n, GError **error);


/* The config the VM runs with, as validated (runtime facts such as pty
 * paths are the devices' own: VmmDevice.runtime). */
const VmConfig *vm_get_config(Vm *vm);
/* vm.info pieces. */
uint64_t vm_memory_actual_size(Vm *vm);
JsonNode *vm_device_tree(Vm *vm);      /* {id: DeviceNode} */
JsonNode *vm_counters(Vm *vm);         /* {id: {counter: int}} */

/* Where the platform pieces the firmware tables describe ended up (filled
 * while devices are created in vm_new(); read when the payload is loaded). */
ArchPlatformInfo *vm_platform_info(Vm *vm);

/**
 * vm_device_host:
 * (transfer none) The DeviceHost devices of @vm are created on: the VM's
 * implementation of devices/device-host.h.  Valid as long as @vm.
 */
DeviceHost *vm_device_host(Vm *vm);

/**
 * vm_dirty_log:
 * (transfer none) The log of guest pages devices wrote since it was last
 * fetched (daemon/memory.h guest_dirty_log_fetch_and_clear()).
 */
GuestDirtyLog *vm_dirty_log(Vm *vm);

/* ---- For the device manager (devices themselves use vm_device_host()) -- */

const GuestMemory *vm_memory(Vm *vm);
GMainContext *vm_main_context(Vm *vm);

/* Adds @dev (transfer full) to the VM's device list: refused if its id is
 * taken; it is realized now, reset with the VM, paused/resumed/saved with
 * it, and freed with it (vmm_device_list_add()). */
bool vm_add_device(Vm *vm, VmmDevice *dev, GError **error);
VmmDevice *vm_find_device(Vm *vm, const char *id);
/**
 * vm_remove_device:
 * Hot-unplug's last step: @dev (one of @vm's) is unrealized (its workers
 * stopped, BARs, MSI routes, irqfds and ioeventfds released), taken off
 * the buses and the device list, and freed with its backend.  Running
 * vCPUs are parked meanwhile: a vCPU may be dispatching to the device
 * (devices/bus.c relies on removal with the vCPUs paused).
 */
void vm_remove_device(Vm *vm, VmmDevice *dev);

/* ---- For snapshot and restore (daemon/snapshot.c) ----------------------- */

/* The hypervisor backend and its handles; valid as long as @vm. */
const HvOps *vm_hv_ops(Vm *vm);
Hv *vm_hv(Vm *vm);
uint32_t vm_nvcpus(Vm *vm);
HvVcpu *vm_hv_vcpu(Vm *vm, uint32_t index);
/* (transfer none) VmmDevice*, creation order. */
GPtrArray *vm_devices(Vm *vm);
/* The guest clock read when the VM was paused; false if none was read
 * (not paused, or the backend has no clock). */
bool vm_paused_clock(Vm *vm, uint64_t *ns);

/**
 * vm_start_restored:
 * Takes a VM that was created and never booted, whose RAM, vCPU and device
 * state the caller has restored, to the Paused state: devices are paused,
 * the vCPU threads start parked, and the guest clock is @clock_ns when the
 * VM is resumed.  Nothing is loaded: the payload is already in RAM.
 */
bool vm_start_restored(Vm *vm, uint64_t clock_ns, GError **error);
