/* SPDX-License-Identifier: Apache-2.0 */
/* The VMM: one VM's lifecycle as Cloud Hypervisor's API sees it (state machine, events). */
#pragma once

#include <stdbool.h>
#include <glib.h>
#include <json-glib/json-glib.h>

#include "config/vm-config.h"

/*
 * VMM_ERROR codes carry the HTTP status CH answers with, so the REST layer
 * maps them 1:1 and the D-Bus layer turns them into
 * org.freedesktop.DBus.Error.Failed with the same message.
 */
typedef enum {
    VMM_ERROR_BAD_REQUEST = 400,      /* invalid body or argument */
    VMM_ERROR_NOT_CREATED = 404,      /* no VM created */
    VMM_ERROR_WRONG_STATE = 405,      /* not allowed in the VM's state */
    VMM_ERROR_CONFLICT = 409,         /* duplicate id or path, VM exists */
    VMM_ERROR_INTERNAL = 500,         /* everything else, incl. unsupported */
} VmmErrorCode;

#define VMM_ERROR (vmm_error_quark())
GQuark vmm_error_quark(void);

/* The states of vm.info, spelled as CH's VmState enum. */
typedef enum {
    VMM_VM_CREATED,
    VMM_VM_RUNNING,
    VMM_VM_SHUTDOWN,
    VMM_VM_PAUSED,
} VmmVmState;

const char *vmm_vm_state_to_string(VmmVmState state);

typedef struct Vmm Vmm;

typedef struct {
    /* Keep the process alive when the guest powers off (--no-shutdown);
     * otherwise a guest power-off ends the process with status 0. */
    bool no_shutdown;
} VmmOptions;

/* All functions below run on the VMM (main) thread, the owner of @context. */
Vmm *vmm_new(const VmmOptions *options, GMainContext *context);
void vmm_free(Vmm *vmm);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(Vmm, vmm_free)

/* Runs the main loop until vmm.shutdown, a guest power-off or a fatal
 * error; returns the process exit status. */
int vmm_run(Vmm *vmm);
/* Ends vmm_run() with @status (shutting the VM down first). */
void vmm_quit(Vmm *vmm, int status);

/* Actions (CH's API).  @config: transfer full; it is validated here. */
bool vmm_vm_create(Vmm *vmm, VmConfig *config, GError **error);
bool vmm_vm_boot(Vmm *vmm, GError **error);
bool vmm_vm_shutdown(Vmm *vmm, GError **error);
bool vmm_vm_reboot(Vmm *vmm, GError **error);
bool vmm_vm_pause(Vmm *vmm, GError **error);
bool vmm_vm_resume(Vmm *vmm, GError **error);
bool vmm_vm_power_button(Vmm *vmm, GError **error);
bool vmm_vm_nmi(Vmm *vmm, GError **error);
bool vmm_vm_delete(Vmm *vmm, GError **error);
/* vm.snapshot: the VM must be Paused (405 otherwise); @url "file:///DIR". */
bool vmm_vm_snapshot(Vmm *vmm, const char *url, GError **error);
/* vm.restore / --restore: creates the VM from the snapshot @rc names
 * (a RestoreConfig, daemon/snapshot.h) and leaves it Paused, or Running
 * with rc->resume.  @fds (int, borrowed, may be NULL): descriptors for
 * the nets, which the caller keeps open as long as the VM (as for
 * vm.create). */
typedef struct RestoreConfig RestoreConfig;
bool vmm_vm_restore(Vmm *vmm, const RestoreConfig *rc, GArray *fds,
                    GError **error);
/* VmInfo / counters / VmmPingResponse JSON (transfer full). */
/* vm.resize (CH's VmResize): each member only when given. */
typedef struct {
    bool has_vcpus, has_ram, has_balloon;
    uint32_t desired_vcpus;
    uint64_t desired_ram;
    uint64_t desired_balloon;
} VmmResize;

/* Changes what @r asks for, in the config of record and, on a booted VM,
 * in the guest: the vCPUs (ACPI CPU hotplug, 1 to max_vcpus) and the
 * balloon target; RAM other than what the VM has is "not supported yet"
 * (500). */
bool vmm_vm_resize(Vmm *vmm, const VmmResize *r, GError **error);
/* vm.resize-zone: memory zone @id (one with hotplug_size) is to hold
 * @desired_ram bytes, its size plus what its virtio-mem device plugs
 * (daemon/vmm-zone.h). */
bool vmm_vm_resize_zone(Vmm *vmm, const char *id, uint64_t desired_ram,
                        GError **error);
/* vm.resize-disk: grows the running VM's disk @id to @bytes (raw images;
 * shrinking refused) and tells the guest (virtio_blk_resize()). */
bool vmm_vm_resize_disk(Vmm *vmm, const char *id, uint64_t bytes,
                        GError **error);
/**
 * vmm_vm_update_rate_limiter:
 * vm.nimbus-update-rate-limiter (a nimbus extension: CH has no way to
 * change limits at run time): the limits of the rate limit group, disk
 * or net @id become @cfg (NULL: none; a group needs limits), in the config of
 * record and, on a booted VM, at once.  A disk in a group is refused:
 * its group is changed instead.
 */
bool vmm_vm_update_rate_limiter(Vmm *vmm, const char *id,
                                const RateLimiterConfig *cfg, GError **error);
JsonNode *vmm_vm_info(Vmm *vmm, GError **error);
JsonNode *vmm_vm_counters(Vmm *vmm, GError **error);
JsonNode *vmm_ping(Vmm *vmm);
/* vmm.shutdown: stops the VM and ends vmm_run() with status 0. */
void vmm_shutdown(Vmm *vmm);
/* The control thread's context (the one given to vmm_new()). */
GMainContext *vmm_get_context(Vmm *vmm);

/**
 * vmm_vm_add_device:
 * vm.add-<@type> ("disk", "net"): *@info is CH's PciDeviceInfo (transfer
 * full), or NULL when the VM is not booted and only its config changed
 * (daemon/vmm-hotplug.h).  @fds: a net's TAP fds, transfer none (kept
 * open by the caller while the config refers to them: until vm.delete
 * when the VM is not booted, else the device has duplicates).
 */
bool vmm_vm_add_device(Vmm *vmm, const char *type, JsonNode *body,
                       const int *fds, guint n_fds, JsonNode **info,
                       GError **error);
/* The end of an asynchronous action: @error NULL on success. */
typedef void (*VmmDoneFunc)(const GError *error, gpointer opaque);
/**
 * vmm_vm_remove_device:
 * vm.remove-device: completes when the guest has ejected the device, or
 * fails after VMM_HOTPLUG_EJECT_TIMEOUT_MS with the device still there;
 * @done runs once, on the control thread, maybe before this returns.
 */
void vmm_vm_remove_device(Vmm *vmm, const char *id, VmmDoneFunc done,
                          gpointer opaque);

/* ---- For live migration (daemon/migration.c) ----------------------------- */

typedef struct Vm Vm;
typedef struct Migration Migration;

/* (transfer none) The VM (NULL before the first boot) and the config of
 * record (NULL when none is created); the VM's state. */
Vm *vmm_get_vm(Vmm *vmm);
const VmConfig *vmm_get_config(Vmm *vmm);
VmmVmState vmm_get_state(Vmm *vmm);
/* The migration in progress or last run (owned by the Vmm, freed first
 * in vmm_free()); setting a new one frees the old one. */
Migration *vmm_get_migration(Vmm *vmm);
void vmm_set_migration(Vmm *vmm, Migration *m);
/* A VM built from @config with the Vmm's hooks, not recorded anywhere
 * (the destination of a migration, before it completes); RAM mapped from
 * @mem_fds when not NULL (vm_new_with_memory_fds()).  (transfer full) */
Vm *vmm_new_unrecorded_vm(Vmm *vmm, const VmConfig *config,
                          const int *mem_fds, GError **error);
/* The end of a successful migration's source: the process ends with
 * status 0, the VM left paused (vm_shutdown() would resume its devices,
 * which must not touch RAM the destination now runs on). */
void vmm_quit_migrated(Vmm *vmm);
/* Makes @config and @vm (transfer full; restored and Paused) the Vmm's
 * VM; the Vmm must have none. */
void vmm_adopt_vm(Vmm *vmm, VmConfig *config, Vm *vm);
/* vm.pause / vm.resume without the "migration in progress" guard, for
 * the migration's own steps. */
bool vmm_migration_pause(Vmm *vmm, GError **error);
bool vmm_migration_resume(Vmm *vmm, GError **error);
