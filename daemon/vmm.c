/* SPDX-License-Identifier: Apache-2.0 */
/* The VMM: one VM's lifecycle as Cloud Hypervisor's API sees it (state machine, events). */
#include <config.h>

#include <unistd.h>
#include <gio/gio.h>

#include "daemon/cli.h"
#include "daemon/device-manager.h"
#include "daemon/event-monitor.h"
#include "daemon/landlock.h"
#include "daemon/migration.h"
#include "daemon/snapshot.h"
#include "daemon/vm.h"
#include "daemon/vmm.h"
#include "daemon/vmm-hotplug.h"
#include "daemon/vmm-zone.h"
#include "config/vm-config-numa.h"
#include "config/vm-config-ratelimit.h"
#include "devices/block/block.h"
#include "devices/legacy/memory-hotplug.h"
#include "devices/registry.h"
#include "devices/virtio/balloon.h"
#include "devices/virtio/blk.h"
#include "devices/virtio/iommu.h"
#include "devices/virtio/mem.h"
#include "devices/virtio/net.h"
#include "devices/virtio/rate-limiter.h"
#include "devices/virtio/virtio-pci.h"

G_DEFINE_QUARK(nimbus-vmm-error-quark, vmm_error)

struct Vmm {
    VmmOptions options;
    GMainContext *context;
    GMainLoop *loop;
    int exit_status;
    VmConfig *config;     /* set by vm.create, NULL before / after delete */
    Vm *vm;               /* instantiated at first boot, kept until delete */
    VmmVmState state;
    /* An OnDemand restore's RAM filler; freed after vm (whose threads
     * may wait on its faults), or once it is done before a reboot. */
    SnapshotLazyMem *lazy;
    VmmHotplug *hotplug;  /* removals waiting for the guest */
    Migration *migration; /* daemon/migration.c; NULL when none ran */
};

const char *
vmm_vm_state_to_string(VmmVmState state)
{
    static const char *const names[] = {
        [VMM_VM_CREATED] = "Created",
        [VMM_VM_RUNNING] = "Running",
        [VMM_VM_SHUTDOWN] = "Shutdown",
        [VMM_VM_PAUSED] = "Paused",
    };

    return state < G_N_ELEMENTS(names) ? names[state] : "Created";
}

static void vmm_guest_exit(Vm *vm, VmGuestExit why, gpointer opaque);

Vmm *
vmm_new(const VmmOptions *options, GMainContext *context)
{
    Vmm *vmm = g_new0(Vmm, 1);

    /* Configs it parses may name device types with a config kind. */
    device_registry_init();
    if (options)
        vmm->options = *options;
    vmm->context = g_main_context_ref(context ? context
                                              : g_main_context_default());
    vmm->loop = g_main_loop_new(vmm->context, FALSE);
    vmm->hotplug = vmm_hotplug_new();
    event_monitor_emit("vmm", "starting", NULL);
    return vmm;
}

void
vmm_free(Vmm *vmm)
{
    if (!vmm)
        return;
    /* A migration thread reads the VM's memory: it ends before all. */
    g_clear_pointer(&vmm->migration, migration_free);
    /* Waiting removals refer to the VM and its config: they end first. */
    vmm_hotplug_free(vmm->hotplug);
    vm_free(vmm->vm);
    snapshot_lazy_mem_free(vmm->lazy);
    vm_config_free(vmm->config);
    g_main_loop_unref(vmm->loop);
    g_main_context_unref(vmm->context);
    g_free(vmm);
}

int
vmm_run(Vmm *vmm)
{
    g_main_loop_run(vmm->loop);
    return vmm->exit_status;
}

void
vmm_quit(Vmm *vmm, int status)
{
    if (vmm->vm)
        vm_shutdown(vmm->vm, NULL);
    vmm->exit_status = status;
    g_main_loop_quit(vmm->loop);
}

/* Every VM action but create needs a created VM (404 otherwise). */
static bool
vmm_check_created(Vmm *vmm, GError **error)
{
    if (vmm->config)
        return true;
    g_set_error(error, VMM_ERROR, VMM_ERROR_NOT_CREATED, "VM is not created");
    return false;
}

static bool
vmm_wrong_state(Vmm *vmm, const char *action, GError **error)
{
    g_set_error(error, VMM_ERROR, VMM_ERROR_WRONG_STATE,
                "cannot %s the VM in state %s", action,
                vmm_vm_state_to_string(vmm->state));
    return false;
}

/* While a migration runs, its thread reads the VM (or builds the one to
 * come): what would change or free the VM waits until it ends. */
static bool
vmm_check_not_migrating(Vmm *vmm, const char *action, GError **error)
{
    if (!vmm->migration || !migration_busy(vmm->migration))
        return true;
    g_set_error(error, VMM_ERROR, VMM_ERROR_WRONG_STATE,
                "cannot %s the VM while a migration is in progress", action);
    return false;
}

/* Errors from the VM core are internal (500) unless they say otherwise. */
static bool
vmm_internal(GError **error, GError *local, const char *what)
{
    if (local->domain == VMM_ERROR) {
        g_propagate_error(error, local);
        return false;
    }
    g_set_error(error, VMM_ERROR, VMM_ERROR_INTERNAL, "%s: %s", what,
                local->message);
    g_error_free(local);
    return false;
}

bool
vmm_vm_create(Vmm *vmm, VmConfig *config, GError **error)
{
    g_autoptr(VmConfig) cfg = config;
    GError *local = NULL;

    if (!vmm_check_not_migrating(vmm, "create", error))
        return false;
    if (vmm->config) {
        g_set_error(error, VMM_ERROR, VMM_ERROR_CONFLICT,
                    "VM is already created");
        return false;
    }
    /* The rules first (what nimbusd's define also checks), then the host:
     * after this, vm.boot fails only for a host reason. */
    if (!vm_config_validate(cfg, &local) ||
        !vm_config_check_host(cfg, VM_CONFIG_NAMES_JSON, &local)) {
        g_set_error(error, VMM_ERROR,
                    g_error_matches(local, G_IO_ERROR, G_IO_ERROR_EXISTS)
                        ? VMM_ERROR_CONFLICT : VMM_ERROR_BAD_REQUEST,
                    "invalid VM configuration: %s", local->message);
        g_error_free(local);
        return false;
    }
    /* After the checks, so that a refused config confines nothing; before
     * vm.boot opens the files, so that what it opens is the config's. */
    if (cfg->landlock_enable && !landlock_confine(cfg, NULL, &local)) {
        g_set_error(error, VMM_ERROR, VMM_ERROR_BAD_REQUEST,
                    "cannot confine the VMM: %s", local->message);
        g_error_free(local);
        return false;
    }
    vmm->config = g_steal_pointer(&cfg);
    vmm->state = VMM_VM_CREATED;
    return true;
}

/* A reboot must not receive snapshot pages in its fresh RAM: the
 * OnDemand filler finishes first (it only copies from a local file). */
static void
vmm_lazy_finish(Vmm *vmm)
{
    if (!vmm->lazy)
        return;
    if (!snapshot_lazy_mem_wait(vmm->lazy, 10 * 60 * 1000))
        g_warning("the on-demand restore did not finish before the reboot");
    g_clear_pointer(&vmm->lazy, snapshot_lazy_mem_free);
}

bool
vmm_vm_boot(Vmm *vmm, GError **error)
{
    static const VmHooks hooks_template = { .guest_exit = vmm_guest_exit };
    VmHooks hooks = hooks_template;
    GError *local = NULL;

    if (!vmm_check_created(vmm, error))
        return false;
    if (vmm->state == VMM_VM_RUNNING || vmm->state == VMM_VM_PAUSED)
        return vmm_wrong_state(vmm, "boot", error);
    event_monitor_emit("vm", "booting", NULL);
    hooks.opaque = vmm;
    if (!vmm->vm) {
        vmm->vm = vm_new(vmm->config, &hooks, vmm->context, &local);
        if (!vmm->vm)
            return vmm_internal(error, local, "cannot create the VM");
    }
    if (!vm_boot(vmm->vm, &local))
        return vmm_internal(error, local, "cannot boot the VM");
    vmm->state = VMM_VM_RUNNING;
    event_monitor_emit("vm", "booted", NULL);
    return true;
}

bool
vmm_vm_shutdown(Vmm *vmm, GError **error)
{
    if (!vmm_check_created(vmm, error))
        return false;
    if (!vmm_check_not_migrating(vmm, "shut down", error))
        return false;
    if (vmm->state != VMM_VM_RUNNING && vmm->state != VMM_VM_PAUSED)
        return vmm_wrong_state(vmm, "shut down", error);
    vm_shutdown(vmm->vm, NULL);
    vmm->state = VMM_VM_SHUTDOWN;
    event_monitor_emit("vm", "shutdown", NULL);
    return true;
}

bool
vmm_vm_reboot(Vmm *vmm, GError **error)
{
    GError *local = NULL;

    if (!vmm_check_created(vmm, error))
        return false;
    if (!vmm_check_not_migrating(vmm, "reboot", error))
        return false;
    if (vmm->state != VMM_VM_RUNNING && vmm->state != VMM_VM_PAUSED)
        return vmm_wrong_state(vmm, "reboot", error);
    event_monitor_emit("vm", "rebooting", NULL);
    vmm_lazy_finish(vmm);
    if (!vm_reboot(vmm->vm, &local)) {
        vmm->state = VMM_VM_SHUTDOWN;
        return vmm_internal(error, local, "cannot reboot the VM");
    }
    vmm->state = VMM_VM_RUNNING;
    event_monitor_emit("vm", "rebooted", NULL);
    return true;
}

bool
vmm_vm_pause(Vmm *vmm, GError **error)
{
    return vmm_check_not_migrating(vmm, "pause", error) &&
           vmm_migration_pause(vmm, error);
}

bool
vmm_migration_pause(Vmm *vmm, GError **error)
{
    GError *local = NULL;

    if (!vmm_check_created(vmm, error))
        return false;
    if (vmm->state != VMM_VM_RUNNING)
        return vmm_wrong_state(vmm, "pause", error);
    event_monitor_emit("vm", "pausing", NULL);
    if (!vm_pause(vmm->vm, &local))
        return vmm_internal(error, local, "cannot pause the VM");
    vmm->state = VMM_VM_PAUSED;
    event_monitor_emit("vm", "paused", NULL);
    return true;
}

bool
vmm_vm_resume(Vmm *vmm, GError **error)
{
    return vmm_check_not_migrating(vmm, "resume", error) &&
           vmm_migration_resume(vmm, error);
}

bool
vmm_migration_resume(Vmm *vmm, GError **error)
{
    GError *local = NULL;

    if (!vmm_check_created(vmm, error))
        return false;
    if (vmm->state != VMM_VM_PAUSED)
        return vmm_wrong_state(vmm, "resume", error);
    event_monitor_emit("vm", "resuming", NULL);
    if (!vm_resume(vmm->vm, &local))
        return vmm_internal(error, local, "cannot resume the VM");
    vmm->state = VMM_VM_RUNNING;
    event_monitor_emit("vm", "resumed", NULL);
    return true;
}

bool
vmm_vm_power_button(Vmm *vmm, GError **error)
{
    GError *local = NULL;

    if (!vmm_check_created(vmm, error))
        return false;
    if (vmm->state != VMM_VM_RUNNING)
        return vmm_wrong_state(vmm, "press the power button of", error);
    if (!vm_power_button(vmm->vm, &local))
        return vmm_internal(error, local, "cannot press the power button");
    return true;
}

bool
vmm_vm_nmi(Vmm *vmm, GError **error)
{
    GError *local = NULL;

    if (!vmm_check_created(vmm, error))
        return false;
    if (vmm->state != VMM_VM_RUNNING && vmm->state != VMM_VM_PAUSED)
        return vmm_wrong_state(vmm, "inject an NMI into", error);
    if (!vm_nmi(vmm->vm, &local))
        return vmm_internal(error, local, "cannot inject an NMI");
    return true;
}

bool
vmm_vm_delete(Vmm *vmm, GError **error)
{
    if (!vmm_check_not_migrating(vmm, "delete", error))
        return false;
    /* CH: deleting when nothing was created is not an error. */
    if (!vmm->config)
        return true;
    vmm_hotplug_cancel_all(vmm->hotplug, "the VM was deleted");
    if (vmm->vm) {
        vm_shutdown(vmm->vm, NULL);
        g_clear_pointer(&vmm->vm, vm_free);
    }
    g_clear_pointer(&vmm->lazy, snapshot_lazy_mem_free);
    g_clear_pointer(&vmm->config, vm_config_free);
    vmm->state = VMM_VM_CREATED;
    event_monitor_emit("vm", "deleted", NULL);
    return true;
}

/* The balloon target, through the same rules as vm.create: the config
 * of record changes only when the new one passes them. */
static bool
vmm_resize_balloon(Vmm *vmm, uint64_t bytes, GError **error)
{
    const VmConfigKind *kind = virtio_balloon_type.kind;
    g_autoptr(VmConfig) next = NULL;
    GError *local = NULL;
    gpointer entry;
    VmmDevice *dev;

    if (!vm_config_kind_count(vmm->config, kind)) {
        g_set_error(error, VMM_ERROR, VMM_ERROR_BAD_REQUEST,
                    "desired_balloon: the VM has no balloon device "
                    "(--balloon)");
        return false;
    }
    next = vm_config_copy(vmm->config);
    entry = vm_config_kind_entry(next, kind, 0);
    virtio_balloon_config_set_size(entry, bytes);
    if (!vm_config_validate(next, &local)) {
        g_set_error(error, VMM_ERROR, VMM_ERROR_BAD_REQUEST,
                    "desired_balloon: %s", local->message);
        g_error_free(local);
        return false;
    }
    dev = vmm->vm ? vm_find_device(vmm->vm, vm_config_kind_id(kind, entry))
                  : NULL;
    if (dev)
        virtio_balloon_set_target(virtio_pci_get_virtio(dev), bytes);
    vm_config_free(vmm->config);
    vmm->config = g_steal_pointer(&next);
    return true;
}

bool
vmm_vm_snapshot(Vmm *vmm, const char *url, GError **error)
{
    GError *local = NULL;

    if (!vmm_check_created(vmm, error))
        return false;
    if (!vmm_check_not_migrating(vmm, "snapshot", error))
        return false;
    /* CH: only a paused VM has a consistent state to save. */
    if (vmm->state != VMM_VM_PAUSED || !vmm->vm)
        return vmm_wrong_state(vmm, "snapshot", error);
    /* The disk's state (in-flight requests, the image) is the vhost-user
     * back end's: nimbus could not restore it. */
    if (vm_config_vhost_user_disk(vmm->config)) {
        g_set_error(error, VMM_ERROR, VMM_ERROR_BAD_REQUEST,
                    "cannot snapshot the VM: disk '%s' is served by a "
                    "vhost-user back end, whose state nimbus cannot save",
                    vm_config_vhost_user_disk(vmm->config));
        return false;
    }
    if (vm_config_vhost_user_net(vmm->config)) {
        g_set_error(error, VMM_ERROR, VMM_ERROR_BAD_REQUEST,
                    "cannot snapshot the VM: net '%s' is served by a "
                    "vhost-user back end, whose state nimbus cannot save",
                    vm_config_vhost_user_net(vmm->config));
        return false;
    }
    /* The IOMMU's domains and mappings are variable-length tables the
     * state reader cannot describe yet (docs/devices.md): a restored VM
     * would find its devices' DMA unmapped. */
    if (vmm->config->iommu) {
        g_set_error(error, VMM_ERROR, VMM_ERROR_BAD_REQUEST,
                    "cannot snapshot the VM: its virtio-iommu ('%s') has no "
                    "saved state yet (its domains and mappings)",
                    VIRTIO_IOMMU_ID);
        return false;
    }
    event_monitor_emit("vm", "snapshotting", NULL);
    if (!snapshot_save(vmm->vm, vmm->config, url, &local)) {
        g_set_error(error, VMM_ERROR,
                    local->domain == G_IO_ERROR &&
                    (local->code == G_IO_ERROR_INVALID_ARGUMENT ||
                     local->code == G_IO_ERROR_EXISTS)
                        ? VMM_ERROR_BAD_REQUEST : VMM_ERROR_INTERNAL,
                    "cannot snapshot the VM: %s", local->message);
        g_error_free(local);
        return false;
    }
    event_monitor_emit("vm", "snapshotted", NULL);
    return true;
}

/* A VM core refusal of a vCPU resize as the API's status. */
static bool
vmm_vcpus_error(GError **error, GError *local)
{
    int code = VMM_ERROR_INTERNAL;

    if (local->domain == G_IO_ERROR &&
        (local->code == G_IO_ERROR_INVALID_ARGUMENT ||
         local->code == G_IO_ERROR_NOT_SUPPORTED))
        code = VMM_ERROR_BAD_REQUEST;
    else if (local->domain == G_IO_ERROR && local->code == G_IO_ERROR_BUSY)
        code = VMM_ERROR_CONFLICT;
    g_set_error(error, VMM_ERROR, code, "desired_vcpus: %s", local->message);
    g_error_free(local);
    return false;
}

static bool
vmm_check_resize_vcpus(Vmm *vmm, uint32_t n, GError **error)
{
    GError *local = NULL;

    /* Not booted yet: the config's range is all there is to check. */
    if (!vmm->vm) {
        if (n >= 1 && n <= vmm->config->cpus.max_vcpus)
            return true;
        g_set_error(error, VMM_ERROR, VMM_ERROR_BAD_REQUEST,
                    "desired_vcpus: %u is out of range: the VM has 1 to %u "
                    "vCPUs (max_vcpus)", n, vmm->config->cpus.max_vcpus);
        return false;
    }
    return vm_check_resize_vcpus(vmm->vm, n, &local) ||
           vmm_vcpus_error(error, local);
}

static bool
vmm_resize_vcpus(Vmm *vmm, uint32_t n, GError **error)
{
    GError *local = NULL;

    if (vmm->vm && !vm_resize_vcpus(vmm->vm, n, &local))
        return vmm_vcpus_error(error, local);
    /* vm.info reports it, and a boot starts that many (CH). */
    vmm->config->cpus.boot_vcpus = n;
    return true;
}

/* The ACPI DIMM controller of a booted VM that has one, else NULL. */
static VmmDevice *
vmm_acpi_dimms(Vmm *vmm)
{
    return vmm->vm ? vm_find_device(vmm->vm, MEMORY_HOTPLUG_ID) : NULL;
}

/* hotplug_method=acpi: whole DIMM slots, and no unplug once a guest runs
 * (CH refuses to shrink ACPI-hotplugged memory too). */
static bool
vmm_check_resize_dimms(Vmm *vmm, uint64_t bytes, GError **error)
{
    const MemoryConfig *m = &vmm->config->memory;
    uint64_t slot = vm_config_acpi_slot_size(m->hotplug_size);
    VmmDevice *dimms = vmm_acpi_dimms(vmm);
    GError *local = NULL;

    if ((bytes - m->size) % slot) {
        g_set_error(error, VMM_ERROR, VMM_ERROR_BAD_REQUEST,
                    "desired_ram: %" G_GUINT64_FORMAT " is not the boot "
                    "size plus a multiple of the %" G_GUINT64_FORMAT " MiB "
                    "DIMM slot", bytes, slot >> 20);
        return false;
    }
    if (dimms && bytes < m->size + m->hotplugged_size) {
        g_set_error(error, VMM_ERROR, VMM_ERROR_BAD_REQUEST,
                    "desired_ram: %" G_GUINT64_FORMAT " is below the %"
                    G_GUINT64_FORMAT " bytes the VM has: ACPI-hotplugged "
                    "memory cannot be removed", bytes,
                    m->size + m->hotplugged_size);
        return false;
    }
    /* The controller's own rules, which the config's imply: only a bug
     * fails here. */
    if (dimms && !memory_hotplug_check(dimms, bytes - m->size, &local)) {
        g_set_error(error, VMM_ERROR, VMM_ERROR_INTERNAL, "desired_ram: %s",
                    local->message);
        g_error_free(local);
        return false;
    }
    return true;
}

/* desired_ram is the whole RAM (CH): the boot size plus what virtio-mem
 * is to plug, or the DIMMs plug, of the hotplug region. */
static bool
vmm_check_resize_ram(Vmm *vmm, uint64_t bytes, GError **error)
{
    const MemoryConfig *m = &vmm->config->memory;

    /* CH: the zones' memory is resized zone by zone. */
    if (m->zones && m->zones->len) {
        g_set_error(error, VMM_ERROR, VMM_ERROR_BAD_REQUEST,
                    "desired_ram: the VM's RAM is memory zones: resize "
                    "each with vm.resize-zone");
        return false;
    }
    if (bytes == m->size + m->hotplugged_size)
        return true;
    if (m->hotplug_size == 0) {
        g_set_error(error, VMM_ERROR, VMM_ERROR_BAD_REQUEST,
                    "desired_ram: the VM has no memory to plug (--memory "
                    "hotplug_method=virtio-mem|acpi,hotplug_size=...)");
        return false;
    }
    if (bytes < m->size || bytes - m->size > m->hotplug_size) {
        g_set_error(error, VMM_ERROR, VMM_ERROR_BAD_REQUEST,
                    "desired_ram: %" G_GUINT64_FORMAT " is outside %"
                    G_GUINT64_FORMAT "..%" G_GUINT64_FORMAT " (size to "
                    "size + hotplug_size)", bytes, m->size,
                    m->size + m->hotplug_size);
        return false;
    }
    if (m->hotplug_method == MEMORY_HOTPLUG_ACPI)
        return vmm_check_resize_dimms(vmm, bytes, error);
    if ((bytes - m->size) % VM_CONFIG_VIRTIO_MEM_BLOCK) {
        g_set_error(error, VMM_ERROR, VMM_ERROR_BAD_REQUEST,
                    "desired_ram: %" G_GUINT64_FORMAT " is not the boot "
                    "size plus a multiple of the 2 MiB virtio-mem block",
                    bytes);
        return false;
    }
    return true;
}

/* The virtio-mem device of a VM that has one, else NULL. */
static VirtioDevice *
vmm_virtio_mem(Vmm *vmm)
{
    VmmDevice *dev = vmm->vm ? vm_find_device(vmm->vm, VIRTIO_MEM_DEVICE_ID)
                             : NULL;
    VirtioDevice *vdev = dev ? virtio_pci_get_virtio(dev) : NULL;

    return vdev && virtio_mem_is(vdev) ? vdev : NULL;
}

/* Bytes of the hotplug region the guest plugged (0: none, or no device):
 * virtio-mem's plugged blocks, or the DIMMs. */
static uint64_t
vmm_ram_plugged(Vmm *vmm)
{
    VirtioDevice *vdev = vmm_virtio_mem(vmm);
    VmmDevice *dimms = vmm_acpi_dimms(vmm);

    if (dimms)
        return memory_hotplug_plugged(dimms);
    return vdev ? virtio_mem_plugged(vdev) : 0;
}

static bool
vmm_resize_ram(Vmm *vmm, uint64_t bytes, GError **error)
{
    MemoryConfig *m = &vmm->config->memory;
    VirtioDevice *vdev = vmm_virtio_mem(vmm);
    VmmDevice *dimms = vmm_acpi_dimms(vmm);
    GError *local = NULL;

    if (bytes == m->size + m->hotplugged_size)
        return true;
    /* Checked by vmm_check_resize_ram(): only a bug fails here.  The
     * DIMMs' RAM is mapped and in KVM's table since the VM was created
     * (daemon/vm.c), so a plug is the slots' bits and the GED's
     * interrupt. */
    if ((vdev && !virtio_mem_set_requested(vdev, bytes - m->size, &local)) ||
        (dimms && !memory_hotplug_plug(dimms, bytes - m->size, &local))) {
        g_set_error(error, VMM_ERROR, VMM_ERROR_INTERNAL, "desired_ram: %s",
                    local->message);
        g_error_free(local);
        return false;
    }
    /* vm.info reports it, and a VM not booted yet starts with it (CH). */
    m->hotplugged_size = bytes - m->size;
    return true;
}

bool
vmm_vm_resize(Vmm *vmm, const VmmResize *r, GError **error)
{
    /* A resize would change the state a migration is sending. */
    if (!vmm_check_created(vmm, error) ||
        !vmm_check_not_migrating(vmm, "resize", error))
        return false;
    /* Checked before anything changes: the request is all or nothing. */
    if (r->has_ram && !vmm_check_resize_ram(vmm, r->desired_ram, error))
        return false;
    if (!r->has_vcpus && !r->has_ram && !r->has_balloon) {
        g_set_error(error, VMM_ERROR, VMM_ERROR_BAD_REQUEST,
                    "nothing to resize: give desired_vcpus, desired_ram or "
                    "desired_balloon");
        return false;
    }
    if (r->has_vcpus && !vmm_check_resize_vcpus(vmm, r->desired_vcpus, error))
        return false;
    /* The balloon's rules are checked as it changes, so it goes first;
     * the RAM and vCPU changes, checked above, follow: only an internal
     * failure (KVM refusing a vCPU) can stop them after the balloon
     * moved. */
    return (!r->has_balloon ||
            vmm_resize_balloon(vmm, r->desired_balloon, error)) &&
           (!r->has_ram || vmm_resize_ram(vmm, r->desired_ram, error)) &&
           (!r->has_vcpus || vmm_resize_vcpus(vmm, r->desired_vcpus, error));
}

bool
vmm_vm_resize_zone(Vmm *vmm, const char *id, uint64_t desired_ram,
                   GError **error)
{
    /* A resize would change the state a migration is sending. */
    return vmm_check_created(vmm, error) &&
           vmm_check_not_migrating(vmm, "resize a memory zone of", error) &&
           vmm_zone_resize(vmm->vm, vmm->config, id, desired_ram, error);
}

/* A restored VM confined as it was created (its config says), the
 * snapshot directory readable besides: OnDemand reads memory from it
 * for as long as the guest runs. */
static bool
vmm_restore_confine(const VmConfig *cfg, const RestoreConfig *rc,
                    GError **error)
{
    g_autofree char *dir = NULL;

    if (!cfg->landlock_enable)
        return true;
    dir = snapshot_url_to_path(rc->source_url, error);
    return dir && landlock_confine(cfg, dir, error);
}

bool
vmm_vm_restore(Vmm *vmm, const RestoreConfig *rc, GArray *fds, GError **error)
{
    static const VmHooks hooks_template = { .guest_exit = vmm_guest_exit };
    VmHooks hooks = hooks_template;
    g_autoptr(VmConfig) cfg = NULL;
    g_autoptr(Vm) vm = NULL;
    SnapshotLazyMem *lazy = NULL;
    GError *local = NULL;

    if (!vmm_check_not_migrating(vmm, "restore", error))
        return false;
    if (vmm->config) {
        g_set_error(error, VMM_ERROR, VMM_ERROR_CONFLICT,
                    "VM is already created");
        return false;
    }
    event_monitor_emit("vm", "restoring", NULL);
    hooks.opaque = vmm;
    /* A VM that fails anywhere is freed unrun: nothing is left
     * half-restored, and the Vmm stays without a VM. */
    if (!(cfg = snapshot_read_config(rc, fds, &local)) ||
        !vmm_restore_confine(cfg, rc, &local) ||
        !(vm = vm_new(cfg, &hooks, vmm->context, &local)) ||
        !snapshot_restore_into(vm, rc, &lazy, &local)) {
        g_clear_pointer(&vm, vm_free);
        snapshot_lazy_mem_free(lazy);
        return vmm_internal(error, local, "cannot restore the VM");
    }
    vmm->config = g_steal_pointer(&cfg);
    vmm->vm = g_steal_pointer(&vm);
    vmm->lazy = lazy;
    vmm->state = VMM_VM_PAUSED;
    event_monitor_emit("vm", "restored", NULL);
    return !rc->resume || vmm_vm_resume(vmm, error);
}

JsonNode *
vmm_vm_info(Vmm *vmm, GError **error)
{
    g_autoptr(VmConfig) reported = NULL;
    const VmConfig *cfg;
    JsonObject *o;
    JsonNode *node;

    if (!vmm_check_created(vmm, error))
        return NULL;
    cfg = vmm->config;
    /*
     * The runtime facts (pty paths, generated MACs, TAP names, PCI
     * addresses) live with the devices, never in the config.  "runtime"
     * reports them by device id, and nimbusd reads them there.  CH reports
     * the same facts inside the config (serial.file of a Pty, net mac and
     * tap), and its clients (libvirt's ch driver) read them from there, so
     * vm.info's config shows them too: written into a copy, at format time.
     */
    if (vmm->vm)
        reported = device_registry_config_with_runtime(
            vm_device_host(vmm->vm), cfg);
    o = json_object_new();
    json_object_set_member(o, "config",
                           vm_config_to_json_node(reported ? reported : cfg));
    json_object_set_string_member(o, "state", vmm_vm_state_to_string(vmm->state));
    json_object_set_int_member(o, "memory_actual_size",
                               vmm->vm ? (gint64)(vm_memory_actual_size(
                                             vmm->vm) + vmm_ram_plugged(vmm) +
                                             vmm_zone_plugged(vmm->vm, cfg))
                                       : (gint64)vm_config_ram_size(
                                             &cfg->memory));
    if (vmm->vm) {
        json_object_set_member(o, "device_tree", vm_device_tree(vmm->vm));
        json_object_set_member(o, "runtime",
                               device_registry_runtime_info(
                                   vm_device_host(vmm->vm), cfg));
    } else {
        json_object_set_object_member(o, "device_tree", json_object_new());
        json_object_set_object_member(o, "runtime", json_object_new());
    }
    node = json_node_new(JSON_NODE_OBJECT);
    json_node_take_object(node, o);
    return node;
}

JsonNode *
vmm_vm_counters(Vmm *vmm, GError **error)
{
    if (!vmm_check_created(vmm, error))
        return NULL;
    if (!vmm->vm) {
        JsonNode *node = json_node_new(JSON_NODE_OBJECT);
        json_node_take_object(node, json_object_new());
        return node;
    }
    return vm_counters(vmm->vm);
}

JsonNode *
vmm_ping(Vmm *vmm)
{
    JsonObject *o = json_object_new();
    JsonArray *features = json_array_new();
    JsonNode *node = json_node_new(JSON_NODE_OBJECT);

    /* The same truth as --version ("cloud-hypervisor v53.0.0 (nimbus
     * v0.1.0)"): "version" is the Cloud Hypervisor interface nimbus
     * implements, which is what CH's clients compare; "build_version"
     * (CH: its git describe) says which nimbus build that is. */
    json_object_set_string_member(o, "build_version",
                                  "v" NIMBUS_CH_COMPAT_VERSION
                                  " (nimbus v" PACKAGE_VERSION ")");
    json_object_set_string_member(o, "version", NIMBUS_CH_COMPAT_VERSION);
    json_object_set_int_member(o, "pid", (gint64)getpid());
    /* The build features CH reports that nimbus has. */
    json_array_add_string_element(features, "kvm");
    /* Only where queues can really use it (not after a fallback). */
    if (block_engine_uring_available())
        json_array_add_string_element(features, "io_uring");
    json_array_add_string_element(features, "dbus_api");
    json_object_set_array_member(o, "features", features);
    json_node_take_object(node, o);
    return node;
}

void
vmm_shutdown(Vmm *vmm)
{
    if (vmm->vm && (vmm->state == VMM_VM_RUNNING || vmm->state == VMM_VM_PAUSED))
        vmm_vm_shutdown(vmm, NULL);
    event_monitor_emit("vmm", "shutdown", NULL);
    vmm_quit(vmm, 0);
}

/* The guest stopped itself; vm.c has already stopped the vCPUs. */
static void
vmm_guest_exit(Vm *vm, VmGuestExit why, gpointer opaque)
{
    Vmm *vmm = opaque;
    g_autoptr(GError) error = NULL;

    switch (why) {
    case VM_GUEST_RESET:
        /* CH: a guest reboot boots the same VM again in this process. */
        g_info("guest requested a reset: rebooting");
        event_monitor_emit("vm", "rebooting", NULL);
        vmm_lazy_finish(vmm);
        if (!vm_boot(vm, &error)) {
            g_warning("reboot failed: %s", error->message);
            vmm->state = VMM_VM_SHUTDOWN;
            event_monitor_emit("vm", "shutdown", NULL);
            vmm_quit(vmm, 1);
            return;
        }
        vmm->state = VMM_VM_RUNNING;
        event_monitor_emit("vm", "rebooted", NULL);
        return;
    case VM_GUEST_POWEROFF:
        g_info("guest powered off");
        vmm->state = VMM_VM_SHUTDOWN;
        event_monitor_emit("vm", "shutdown", NULL);
        if (!vmm->options.no_shutdown) {
            event_monitor_emit("vmm", "shutdown", NULL);
            vmm_quit(vmm, 0);
        }
        return;
    case VM_GUEST_PANIC:
        event_monitor_emit("guest", "panic", NULL);
        G_GNUC_FALLTHROUGH;
    case VM_GUEST_CRASH:
    case VM_GUEST_EXIT_LAST:
        g_printerr("nimbus: the guest crashed (see the vCPU registers above)\n");
        vmm->state = VMM_VM_SHUTDOWN;
        event_monitor_emit("vm", "shutdown", NULL);
        event_monitor_emit("vmm", "shutdown", NULL);
        vmm_quit(vmm, 1);
        return;
    }
}

/* ---- Live migration (daemon/migration.c) ------------------------------- */

Vm *
vmm_get_vm(Vmm *vmm)
{
    return vmm->vm;
}

const VmConfig *
vmm_get_config(Vmm *vmm)
{
    return vmm->config;
}

VmmVmState
vmm_get_state(Vmm *vmm)
{
    return vmm->state;
}

Migration *
vmm_get_migration(Vmm *vmm)
{
    return vmm->migration;
}

void
vmm_set_migration(Vmm *vmm, Migration *m)
{
    if (vmm->migration != m)
        g_clear_pointer(&vmm->migration, migration_free);
    vmm->migration = m;
}

Vm *
vmm_new_unrecorded_vm(Vmm *vmm, const VmConfig *config, const int *mem_fds,
                      GError **error)
{
    static const VmHooks hooks_template = { .guest_exit = vmm_guest_exit };
    VmHooks hooks = hooks_template;

    hooks.opaque = vmm;
    return vm_new_with_memory_fds(config, &hooks, vmm->context, mem_fds,
                                  error);
}

void
vmm_quit_migrated(Vmm *vmm)
{
    /* vm_free() at exit stops the parked vCPUs and unrealizes the paused
     * devices without running them again. */
    vmm->exit_status = 0;
    g_main_loop_quit(vmm->loop);
}

void
vmm_adopt_vm(Vmm *vmm, VmConfig *config, Vm *vm)
{
    g_assert(!vmm->config && !vmm->vm);
    vmm->config = config;
    vmm->vm = vm;
    vmm->state = VMM_VM_PAUSED;
}

/* ---- Hotplug (daemon/vmm-hotplug.c) ------------------------------------ */

GMainContext *
vmm_get_context(Vmm *vmm)
{
    return vmm->context;
}

bool
vmm_vm_add_device(Vmm *vmm, const char *type, JsonNode *body, const int *fds,
                  guint n_fds, JsonNode **info, GError **error)
{
    *info = NULL;
    if (!vmm_check_created(vmm, error) ||
        !vmm_check_not_migrating(vmm, "add a device to", error))
        return false;
    return vmm_hotplug_add(vmm->hotplug, vmm->vm, &vmm->config, type, body,
                           fds, n_fds, info, error);
}

void
vmm_vm_remove_device(Vmm *vmm, const char *id, VmmDoneFunc done,
                     gpointer opaque)
{
    g_autoptr(GError) error = NULL;

    if (!vmm_check_created(vmm, &error) ||
        !vmm_check_not_migrating(vmm, "remove a device from", &error)) {
        done(error, opaque);
        return;
    }
    /* A paused guest cannot answer the eject request: refuse rather than
     * time out. */
    if (vmm->state == VMM_VM_PAUSED) {
        vmm_wrong_state(vmm, "remove a device from", &error);
        done(error, opaque);
        return;
    }
    vmm_hotplug_remove(vmm->hotplug, vmm->vm, vmm->state == VMM_VM_RUNNING,
                       &vmm->config, id, done, opaque);
}

bool
vmm_vm_resize_disk(Vmm *vmm, const char *id, uint64_t bytes, GError **error)
{
    GError *local = NULL;
    VmmDevice *dev = NULL;
    VirtioDevice *vdev;

    if (!vmm_check_created(vmm, error) ||
        !vmm_check_not_migrating(vmm, "resize a disk of", error))
        return false;
    for (guint i = 0; i < vmm->config->disks->len && !dev; i++) {
        const DiskConfig *disk = g_ptr_array_index(vmm->config->disks, i);

        if (g_strcmp0(disk->id, id) == 0) {
            if (!vmm->vm)
                return vmm_wrong_state(vmm, "resize a disk of", error);
            /* The image is the back end's, and so is its size. */
            if (disk->vhost_user) {
                g_set_error(error, VMM_ERROR, VMM_ERROR_BAD_REQUEST,
                            "disk '%s' is served by a vhost-user back end: "
                            "resize it there", id);
                return false;
            }
            dev = vm_find_device(vmm->vm, id);
        }
    }
    vdev = dev ? virtio_pci_get_virtio(dev) : NULL;
    if (!vdev || vdev->ops->device_type != VIRTIO_ID_BLOCK) {
        g_set_error(error, VMM_ERROR, VMM_ERROR_NOT_CREATED,
                    "no disk with id '%s'", id);
        return false;
    }
    /* The config of record has no size: the image file is the record. */
    if (!virtio_blk_resize(vdev, bytes, &local)) {
        g_set_error_literal(error, VMM_ERROR,
                            g_error_matches(local, G_IO_ERROR,
                                            G_IO_ERROR_INVALID_ARGUMENT) ?
                            VMM_ERROR_BAD_REQUEST : VMM_ERROR_INTERNAL,
                            local->message);
        g_error_free(local);
        return false;
    }
    return true;
}

/* The group, disk or net called @id in the config of record (one of the
 * three out-params set), false when none is. */
static bool
vmm_find_limited(Vmm *vmm, const char *id, RateLimitGroupConfig **group,
                 DiskConfig **disk, NetConfig **net)
{
    GPtrArray *groups = vmm->config->rate_limit_groups;

    *group = NULL;
    *disk = NULL;
    *net = NULL;
    for (guint i = 0; groups && i < groups->len && !*group; i++) {
        RateLimitGroupConfig *g = g_ptr_array_index(groups, i);

        if (g_strcmp0(g->id, id) == 0)
            *group = g;
    }
    for (guint i = 0; i < vmm->config->disks->len && !*disk; i++) {
        DiskConfig *d = g_ptr_array_index(vmm->config->disks, i);

        if (g_strcmp0(d->id, id) == 0)
            *disk = d;
    }
    for (guint i = 0; i < vmm->config->net->len && !*net; i++) {
        NetConfig *n = g_ptr_array_index(vmm->config->net, i);

        if (g_strcmp0(n->id, id) == 0)
            *net = n;
    }
    return *group || *disk || *net;
}

bool
vmm_vm_update_rate_limiter(Vmm *vmm, const char *id,
                           const RateLimiterConfig *cfg, GError **error)
{
    RateLimitGroupConfig *group;
    DiskConfig *disk;
    NetConfig *net;
    RateLimiterConfig **record;
    GError *local = NULL;
    g_autofree char *where = g_strdup_printf("'%s'", id);

    if (!vmm_check_created(vmm, error) ||
        !vmm_check_not_migrating(vmm, "change a rate limiter of", error))
        return false;
    if (!vm_config_validate_rate_limiter(cfg, VM_CONFIG_NAMES_JSON, where,
                                         &local)) {
        g_set_error_literal(error, VMM_ERROR, VMM_ERROR_BAD_REQUEST,
                            local->message);
        g_error_free(local);
        return false;
    }
    if (!vmm_find_limited(vmm, id, &group, &disk, &net)) {
        g_set_error(error, VMM_ERROR, VMM_ERROR_NOT_CREATED,
                    "no rate limit group, disk or net with id '%s'", id);
        return false;
    }
    if (group && !cfg) {
        g_set_error(error, VMM_ERROR, VMM_ERROR_BAD_REQUEST,
                    "rate limit group '%s': rate_limiter_config is required",
                    id);
        return false;
    }
    if (disk && disk->vhost_user) {
        g_set_error(error, VMM_ERROR, VMM_ERROR_BAD_REQUEST,
                    "disk '%s' is served by a vhost-user back end, which "
                    "does its own rate limiting", id);
        return false;
    }
    if (net && net->vhost_user) {
        g_set_error(error, VMM_ERROR, VMM_ERROR_BAD_REQUEST,
                    "net '%s' is served by a vhost-user back end, which "
                    "does its own rate limiting", id);
        return false;
    }
    if (disk && disk->rate_limit_group) {
        g_set_error(error, VMM_ERROR, VMM_ERROR_BAD_REQUEST,
                    "disk '%s' is in rate limit group '%s': change the "
                    "group's limits", id, disk->rate_limit_group);
        return false;
    }
    /* The running devices first: what is refused there changes nothing. */
    if (vmm->vm && group) {
        g_autoptr(RateLimiter) rl = device_host_rate_limit_group(
            vm_device_host(vmm->vm), id, error);

        if (!rl)
            return false;
        rate_limiter_update(rl, cfg);
    } else if (vmm->vm) {
        VmmDevice *dev = vm_find_device(vmm->vm, id);
        VirtioDevice *vdev = dev ? virtio_pci_get_virtio(dev) : NULL;

        if (vdev && vdev->ops->device_type == VIRTIO_ID_NET)
            virtio_net_set_rate_limiter(vdev, cfg);
        if (vdev && vdev->ops->device_type == VIRTIO_ID_BLOCK &&
            !virtio_blk_set_rate_limiter(vdev, cfg, &local)) {
            g_set_error_literal(error, VMM_ERROR, VMM_ERROR_BAD_REQUEST,
                                local->message);
            g_error_free(local);
            return false;
        }
    }
    /* The config of record: vm.info, snapshots and migration carry it. */
    record = group ? &group->rate_limiter_config
           : disk ? &disk->rate_limiter_config : &net->rate_limiter_config;
    g_clear_pointer(record, rate_limiter_config_free);
    *record = rate_limiter_config_copy(cfg);
    return true;
}
