/* SPDX-License-Identifier: Apache-2.0 */
/* The VM object: guest memory, buses, interrupts, devices and vCPUs. */
#include <config.h>

#include <errno.h>
#include <sched.h>
#include <string.h>
#include <gio/gio.h>

#include "arch/arch.h"
#include "daemon/device-manager.h"
#include "daemon/event-monitor.h"
#include "daemon/vcpu.h"
#include "daemon/vm.h"
#include "config/vm-config-ratelimit.h"
#include "devices/legacy/cpu-hotplug.h"
#include "devices/virtio/rate-limiter.h"

#define VM_IOAPIC_PINS 24
/* Legacy pins handed out to new devices: 5 and up, leaving the ISA
 * assignments the guest may assume (0 timer, 1 keyboard, 2 cascade, 3/4
 * serial, 8 RTC) alone. */
#define VM_FIRST_FREE_PIN 5
#define VM_MAX_MSI_ROUTES 2048

typedef enum {
    VM_STATE_CREATED,     /* devices exist, vCPUs never ran */
    VM_STATE_RUNNING,
    VM_STATE_PAUSED,
    VM_STATE_STOPPED,     /* vCPU threads gone (guest or host shutdown) */
} VmRunState;

struct Vm {
    /* What devices see of the VM (devices/device-host.h); immutable. */
    DeviceHost host;

    /* Immutable after vm_new(). */
    VmConfig *config;
    VmHooks hooks;
    GMainContext *context;
    const HvOps *ops;
    Hv *hv;
    GuestMemory *mem;
    GuestDirtyLog *dirty;         /* pages devices wrote; atomic bits */
    Bus *pio_bus;
    Bus *mmio_bus;
    gpointer arch_vm;
    /* Sized max_vcpus; vCPUs 0..ncreated-1 exist (KVM cannot destroy
     * one: an unplugged vCPU stays for the next plug). */
    Vcpu **vcpus;
    gpointer *arch_vcpus;
    uint32_t ncreated;            /* control thread */
    /* vCPUs 0..nvcpus-1 are plugged, their threads run while the VM
     * does; vcpus_target < nvcpus while the guest has still to eject
     * the ones above it.  Control thread. */
    uint32_t nvcpus;
    uint32_t vcpus_target;
    bool *vcpu_ejected;           /* max_vcpus; ejected, thread not stopped */
    VmmDevice *cpu_hotplug;       /* NULL: max_vcpus == boot_vcpus */
    ArchPlatformInfo platform;

    /* Control thread only. */
    GPtrArray *devices;           /* VmmDevice*, creation order */
    /* Group id -> RateLimiter*, made when a device first asks for it. */
    GHashTable *rate_limit_groups;
    VmRunState state;
    bool booted_once;             /* state of RAM/devices needs a reset */
    uint64_t paused_clock;        /* guest clock (ns) read by vm_pause() */
    bool paused_clock_valid;
    GSource *guest_exit_source;
    VcpuControl vcpu_ctl;

    /* First guest-initiated stop wins; set from vCPU/device threads. */
    gint guest_exit;              /* VmGuestExit + 1, 0 = none; atomic */

    /* Interrupt routing: any thread (MSI-X table writes run on vCPUs). */
    GMutex irq_lock;
    GArray *routes;               /* HvIrqRoute; irq_lock */
    uint32_t next_pin;            /* irq_lock */
    GArray *free_msi_gsis;        /* uint32_t; irq_lock */
    uint32_t next_msi_gsi;        /* irq_lock */

    /* MMIO allocation: control thread (realize, BAR placement). */
    GMutex mmio_lock;
    uint64_t mmio32_next, mmio32_end;
    uint64_t mmio64_next, mmio64_end;
    /* Device memory slots in use (map_memory), bit i = slot
     * VM_DEVICE_SLOT_BASE + i; mmio_lock. */
    guint64 device_slots;
};

/* Hypervisor slots 0.. are the RAM regions (GUEST_MEM_MAX_REGIONS at
 * most); device memory takes slots from here up, far from them.  KVM has
 * had at least 509 user slots since Linux 4.x. */
#define VM_DEVICE_SLOT_BASE 128u
#define VM_DEVICE_SLOTS 64u

static bool
vm_hv_check(int r, const char *what, GError **error)
{
    if (r >= 0)
        return true;
    g_set_error(error, G_IO_ERROR, g_io_error_from_errno(-r), "%s: %s", what,
                g_strerror(-r));
    return false;
}

static void vm_vcpu_guest_stop(Vcpu *vcpu, VcpuAction why, gpointer opaque);
static bool vm_setup_cpu_hotplug(Vm *vm, GError **error);
static const DeviceHostOps vm_device_host_ops;

/* RAM made of memory zones: each zone its own regions, backed as it
 * says, and the hotplug region of each zone with hotplug_size. */
static bool
vm_setup_zone_memory(Vm *vm, const int *mem_fds, GError **error)
{
    GuestRange ranges[GUEST_MEM_MAX_REGIONS];
    unsigned zone_of[GUEST_MEM_MAX_REGIONS];
    unsigned n = arch_ram_zone_ranges(&vm->config->memory, ranges, zone_of,
                                      G_N_ELEMENTS(ranges));

    if (n == 0) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                    "the memory zones need more than %u RAM regions",
                    GUEST_MEM_MAX_REGIONS);
        return false;
    }
    vm->mem = mem_fds ? guest_memory_new_from_fds(&vm->config->memory,
                                                  ranges, n, mem_fds, error)
                      : guest_memory_new_zones(&vm->config->memory, ranges,
                                               zone_of, n, error);
    return vm->mem != NULL;
}

/* RAM of --memory size=, and its hotplug region. */
static bool
vm_setup_plain_memory(Vm *vm, const int *mem_fds, GError **error)
{
    GuestRange ranges[GUEST_MEM_MAX_REGIONS];
    unsigned n = arch_ram_ranges(vm->config->memory.size, ranges,
                                 G_N_ELEMENTS(ranges) - 1);

    /* The hotplug region: one more range after RAM, mapped and given to
     * KVM whole now, so that plugging is only the device's bookkeeping
     * (virtio-mem) and never changes the memory table devices read. */
    if (vm->config->memory.hotplug_size) {
        ranges[n] = (GuestRange){
            .start = arch_hotplug_start(ranges[n - 1].start +
                                        ranges[n - 1].size),
            .size = vm->config->memory.hotplug_size,
            .hotplug = true,
        };
        n++;
    }
    vm->mem = mem_fds ? guest_memory_new_from_fds(&vm->config->memory,
                                                  ranges, n, mem_fds, error)
                      : guest_memory_new(&vm->config->memory, ranges, n,
                                         error);
    return vm->mem != NULL;
}

static bool
vm_setup_memory(Vm *vm, const int *mem_fds, GError **error)
{
    const MemoryConfig *m = &vm->config->memory;

    if (!(m->zones && m->zones->len ? vm_setup_zone_memory(vm, mem_fds, error)
                                    : vm_setup_plain_memory(vm, mem_fds,
                                                            error)))
        return false;
    vm->dirty = guest_dirty_log_new(vm->mem);
    for (unsigned i = 0; i < vm->mem->nregions; i++) {
        GuestRegion *r = &vm->mem->regions[i];
        int ret = vm->ops->set_memory(vm->hv, i, r->gpa, r->size, r->hva, 0);

        if (!vm_hv_check(ret, "cannot register guest memory with KVM", error))
            return false;
    }
    return true;
}

/* Pushes the whole routing table; caller holds irq_lock. */
static int
vm_commit_routes_locked(Vm *vm)
{
    return vm->ops->set_irq_routing(vm->hv, (HvIrqRoute *)vm->routes->data,
                                    vm->routes->len);
}

static bool
vm_setup_irqs(Vm *vm, GError **error)
{
    int r;

    if (!vm_hv_check(vm->ops->create_irqchip(vm->hv),
                     "cannot create the in-kernel interrupt controller", error))
        return false;
    g_mutex_lock(&vm->irq_lock);
    for (uint32_t pin = 0; pin < VM_IOAPIC_PINS; pin++) {
        HvIrqRoute route = { .gsi = pin, .pin = pin };
        g_array_append_val(vm->routes, route);
    }
    vm->next_pin = VM_FIRST_FREE_PIN;
    vm->next_msi_gsi = VM_IOAPIC_PINS;
    r = vm_commit_routes_locked(vm);
    g_mutex_unlock(&vm->irq_lock);
    return vm_hv_check(r, "cannot set the interrupt routing", error);
}

/* --cpus affinity's host CPUs of vCPU @index, NULL: not pinned. */
static const GArray *
vm_vcpu_affinity(Vm *vm, uint32_t index)
{
    const GPtrArray *aff = vm->config->cpus.affinity;

    for (guint i = 0; aff && i < aff->len; i++) {
        const CpuAffinity *a = g_ptr_array_index(aff, i);

        if (a->vcpu == index)
            return a->host_cpus;
    }
    return NULL;
}

/* Every host CPU --cpus affinity names must be one this process may run
 * on: pinning to a CPU the host lacks would fail at each vCPU start, or
 * silently run on the others of the set. */
static bool
vm_check_affinity(Vm *vm, GError **error)
{
    const GPtrArray *aff = vm->config->cpus.affinity;
    cpu_set_t allowed;

    if (!aff || !aff->len)
        return true;
    if (sched_getaffinity(0, sizeof(allowed), &allowed) < 0) {
        int e = errno;

        g_set_error(error, G_IO_ERROR, g_io_error_from_errno(e),
                    "--cpus affinity: cannot read the host's CPUs: %s",
                    g_strerror(e));
        return false;
    }
    for (guint i = 0; i < aff->len; i++) {
        const CpuAffinity *a = g_ptr_array_index(aff, i);

        for (guint j = 0; a->host_cpus && j < a->host_cpus->len; j++) {
            uint32_t c = g_array_index(a->host_cpus, uint32_t, j);

            if (c >= CPU_SETSIZE || !CPU_ISSET(c, &allowed)) {
                g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                            "--cpus affinity: vCPU %u: host CPU %u does not "
                            "exist or is not available to this process",
                            a->vcpu, c);
                return false;
            }
        }
    }
    return true;
}

/* Creates vCPU @i (KVM_CREATE_VCPU, then CPUID, LAPIC and MSRs as for
 * every vCPU), with its pinning. */
static bool
vm_create_vcpu(Vm *vm, uint32_t i, GError **error)
{
    VcpuBuses buses = { .pio = vm->pio_bus, .mmio = vm->mmio_bus };

    g_assert(i == vm->ncreated);
    vm->vcpus[i] = vcpu_new(vm->ops, vm->hv, i, &vm->vcpu_ctl, &buses,
                            vm_vcpu_guest_stop, vm, error);
    if (!vm->vcpus[i])
        return false;
    vm->ncreated++;
    vm->arch_vcpus[i] = arch_vcpu_init(vm->config, vm->arch_vm, vm->ops,
                                       vm->hv, vcpu_hv(vm->vcpus[i]), i,
                                       error);
    return vm->arch_vcpus[i] &&
           vcpu_set_affinity(vm->vcpus[i], vm_vcpu_affinity(vm, i), error);
}

static bool
vm_create_vcpus(Vm *vm, GError **error)
{
    uint32_t max = vm->ops->max_vcpus(vm->hv);

    if (vm->config->cpus.max_vcpus > max) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                    "--cpus: %s=%u exceeds the %u vCPUs KVM supports here",
                    vm->config->cpus.boot_vcpus > max ? "boot" : "max",
                    vm->config->cpus.boot_vcpus > max
                        ? vm->config->cpus.boot_vcpus
                        : vm->config->cpus.max_vcpus, max);
        return false;
    }
    if (!vm_check_affinity(vm, error))
        return false;
    vm->vcpus = g_new0(Vcpu *, vm->config->cpus.max_vcpus);
    vm->arch_vcpus = g_new0(gpointer, vm->config->cpus.max_vcpus);
    vm->vcpu_ejected = g_new0(bool, vm->config->cpus.max_vcpus);
    vm->nvcpus = vm->vcpus_target = vm->config->cpus.boot_vcpus;
    for (uint32_t i = 0; i < vm->nvcpus; i++) {
        if (!vm_create_vcpu(vm, i, error))
            return false;
    }
    return true;
}

static void
vm_setup_mmio_windows(Vm *vm)
{
    const GuestRegion *last = &vm->mem->regions[vm->mem->nregions - 1];

    arch_mmio_windows(last->gpa + last->size, vm->config->cpus.max_phys_bits,
                      &vm->mmio32_next, &vm->mmio32_end,
                      &vm->mmio64_next, &vm->mmio64_end);
    /* The windows the host bridge decodes, for the ACPI _CRS: the same
     * ones PCI BARs and GED get their addresses from. */
    vm->platform.mmio32_base = vm->mmio32_next;
    vm->platform.mmio32_size = vm->mmio32_end;
    vm->platform.mmio64_base = vm->mmio64_next;
    vm->platform.mmio64_size = vm->mmio64_end;
    vm->mmio32_end += vm->mmio32_next;
    vm->mmio64_end += vm->mmio64_next;
}

Vm *
vm_new(const VmConfig *config, const VmHooks *hooks, GMainContext *context,
       GError **error)
{
    return vm_new_with_memory_fds(config, hooks, context, NULL, error);
}

Vm *
vm_new_with_memory_fds(const VmConfig *config, const VmHooks *hooks,
                       GMainContext *context, const int *mem_fds,
                       GError **error)
{
    g_autoptr(Vm) vm = g_new0(Vm, 1);

    vm->host.ops = &vm_device_host_ops;
    vm->config = vm_config_copy(config);
    if (hooks)
        vm->hooks = *hooks;
    vm->context = g_main_context_ref(context ? context
                                             : g_main_context_default());
    vm->ops = &hv_kvm_ops;
    vm->pio_bus = bus_new("port I/O");
    vm->mmio_bus = bus_new("MMIO");
    vm->devices = g_ptr_array_new();
    vm->routes = g_array_new(FALSE, TRUE, sizeof(HvIrqRoute));
    vm->free_msi_gsis = g_array_new(FALSE, FALSE, sizeof(uint32_t));
    g_mutex_init(&vm->irq_lock);
    g_mutex_init(&vm->mmio_lock);
    vcpu_control_init(&vm->vcpu_ctl);

    vm->hv = vm->ops->vm_new(error);
    if (!vm->hv ||
        !vm_setup_memory(vm, mem_fds, error) ||
        !vm_setup_irqs(vm, error))
        return NULL;
    vm->arch_vm = arch_vm_init(vm->ops, vm->hv, error);
    if (!vm->arch_vm)
        return NULL;
    vm_setup_mmio_windows(vm);
    if (!vm_create_vcpus(vm, error) ||
        !device_manager_create(vm, error) ||
        !vm_setup_cpu_hotplug(vm, error))
        return NULL;
    vm->state = VM_STATE_CREATED;
    return g_steal_pointer(&vm);
}

static void
vm_stop_vcpus(Vm *vm)
{
    vcpu_control_request(&vm->vcpu_ctl, vm->vcpus, vm->nvcpus, VCPU_REQ_STOP);
}

void
vm_free(Vm *vm)
{
    if (!vm)
        return;
    if (vm->state == VM_STATE_RUNNING || vm->state == VM_STATE_PAUSED)
        vm_stop_vcpus(vm);
    if (vm->guest_exit_source) {
        g_source_destroy(vm->guest_exit_source);
        g_source_unref(vm->guest_exit_source);
    }
    /* Devices go first: their unrealize may still talk to KVM (irqfd,
     * ioeventfd) and the buses. */
    for (guint i = vm->devices->len; i > 0; i--) {
        VmmDevice *dev = g_ptr_array_index(vm->devices, i - 1);

        if (dev->ops->unrealize)
            dev->ops->unrealize(dev);
        bus_unregister_device(vm->pio_bus, dev);
        bus_unregister_device(vm->mmio_bus, dev);
        vmm_device_free(dev);
    }
    g_ptr_array_unref(vm->devices);
    g_clear_pointer(&vm->rate_limit_groups, g_hash_table_unref);
    for (uint32_t i = 0; vm->vcpus && i < vm->ncreated; i++) {
        vcpu_free(vm->vcpus[i]);
        g_free(vm->arch_vcpus[i]);
    }
    g_free(vm->vcpus);
    g_free(vm->arch_vcpus);
    g_free(vm->vcpu_ejected);
    arch_vm_free(vm->arch_vm);
    if (vm->hv)
        vm->ops->vm_free(vm->hv);
    guest_dirty_log_free(vm->dirty);
    guest_memory_free(vm->mem);
    bus_free(vm->pio_bus);
    bus_free(vm->mmio_bus);
    g_array_unref(vm->routes);
    g_array_unref(vm->free_msi_gsis);
    g_mutex_clear(&vm->irq_lock);
    g_mutex_clear(&vm->mmio_lock);
    vcpu_control_clear(&vm->vcpu_ctl);
    g_main_context_unref(vm->context);
    vm_config_free(vm->config);
    g_free(vm);
}

/* Back to power-on state before a second boot: devices, interrupt
 * controllers, vCPUs and RAM. */
static bool
vm_reset(Vm *vm, GError **error)
{
    /* The vCPUs of the last vm.resize boot (CH keeps boot_vcpus in step
     * with it); an eject the guest never did is moot now.  Before the
     * devices: the CPU controller resets to this count. */
    vm->nvcpus = vm->vcpus_target = vm->config->cpus.boot_vcpus;
    memset(vm->vcpu_ejected, 0,
           sizeof(bool) * vm->config->cpus.max_vcpus);
    for (guint i = 0; i < vm->devices->len; i++) {
        VmmDevice *dev = g_ptr_array_index(vm->devices, i);

        if (dev->ops->reset)
            dev->ops->reset(dev);
    }
    if (!arch_vm_reset(vm->ops, vm->hv, vm->arch_vm, error))
        return false;
    for (uint32_t i = 0; i < vm->nvcpus; i++) {
        if (!arch_vcpu_reset(vm->ops, vcpu_hv(vm->vcpus[i]), vm->arch_vcpus[i],
                             error))
            return false;
    }
    guest_memory_clear(vm->mem);
    return true;
}

bool
vm_boot(Vm *vm, GError **error)
{
    if (vm->state == VM_STATE_RUNNING || vm->state == VM_STATE_PAUSED) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_BUSY, "the VM is already running");
        return false;
    }
    if (vm->booted_once && !vm_reset(vm, error))
        return false;
    if (!arch_vm_load_payload(vm->config, vm->mem, &vm->platform, vm->ops,
                              vcpu_hv(vm->vcpus[0]), error))
        return false;
    vm->booted_once = true;
    device_manager_boot_started(vm);
    g_atomic_int_set(&vm->guest_exit, 0);
    vm->vcpu_ctl.request = VCPU_REQ_NONE;
    for (uint32_t i = 0; i < vm->nvcpus; i++) {
        if (!vcpu_start(vm->vcpus[i], error)) {
            vm_stop_vcpus(vm);
            vm->state = VM_STATE_STOPPED;
            return false;
        }
    }
    vm->state = VM_STATE_RUNNING;
    return true;
}

bool
vm_pause(Vm *vm, GError **error)
{
    if (vm->state != VM_STATE_RUNNING) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_BUSY, "the VM is not running");
        return false;
    }
    vcpu_control_request(&vm->vcpu_ctl, vm->vcpus, vm->nvcpus, VCPU_REQ_PAUSE);
    for (guint i = 0; i < vm->devices->len; i++) {
        VmmDevice *dev = g_ptr_array_index(vm->devices, i);

        if (dev->ops->pause && !dev->ops->pause(dev, error)) {
            /* Undo: resume what was paused, then the vCPUs. */
            for (guint j = 0; j < i; j++) {
                VmmDevice *d = g_ptr_array_index(vm->devices, j);
                if (d->ops->resume)
                    d->ops->resume(d, NULL);
            }
            vcpu_control_request(&vm->vcpu_ctl, vm->vcpus, vm->nvcpus,
                                 VCPU_REQ_NONE);
            return false;
        }
    }
    /* The vCPUs are parked: the guest clock is read once they cannot
     * advance it, and written back at resume (a pause is invisible to the
     * guest's time, as with CH).  A failure only lets time run on. */
    vm->paused_clock_valid = vm->ops->get_clock &&
                             vm->ops->get_clock(vm->hv, &vm->paused_clock) == 0;
    vm->state = VM_STATE_PAUSED;
    return true;
}

bool
vm_resume(Vm *vm, GError **error)
{
    if (vm->state != VM_STATE_PAUSED) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_BUSY, "the VM is not paused");
        return false;
    }
    for (guint i = 0; i < vm->devices->len; i++) {
        VmmDevice *dev = g_ptr_array_index(vm->devices, i);

        if (dev->ops->resume && !dev->ops->resume(dev, error))
            return false;
    }
    if (vm->paused_clock_valid && vm->ops->set_clock) {
        int r = vm->ops->set_clock(vm->hv, vm->paused_clock);

        if (r < 0)
            g_warning("cannot restore the guest clock after a pause: %s",
                      g_strerror(-r));
    }
    vm->paused_clock_valid = false;
    vcpu_control_request(&vm->vcpu_ctl, vm->vcpus, vm->nvcpus, VCPU_REQ_NONE);
    vm->state = VM_STATE_RUNNING;
    return true;
}

bool
vm_shutdown(Vm *vm, GError **error)
{
    if (vm->state == VM_STATE_PAUSED) {
        /* Devices paused with the VM come back before they are stopped. */
        for (guint i = 0; i < vm->devices->len; i++) {
            VmmDevice *dev = g_ptr_array_index(vm->devices, i);
            if (dev->ops->resume)
                dev->ops->resume(dev, NULL);
        }
    }
    if (vm->state == VM_STATE_RUNNING || vm->state == VM_STATE_PAUSED)
        vm_stop_vcpus(vm);
    vm->state = VM_STATE_STOPPED;
    return true;
}

bool
vm_reboot(Vm *vm, GError **error)
{
    return vm_shutdown(vm, error) && vm_boot(vm, error);
}

bool
vm_power_button(Vm *vm, GError **error)
{
    if (vm->state != VM_STATE_RUNNING) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_BUSY, "the VM is not running");
        return false;
    }
    return device_manager_power_button(vm, error);
}

bool
vm_nmi(Vm *vm, GError **error)
{
    if (vm->state != VM_STATE_RUNNING && vm->state != VM_STATE_PAUSED) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_BUSY, "the VM is not running");
        return false;
    }
    for (uint32_t i = 0; i < vm->nvcpus; i++) {
        if (!vm_hv_check(vm->ops->vcpu_nmi(vcpu_hv(vm->vcpus[i])),
                         "cannot inject an NMI", error))
            return false;
    }
    return true;
}

/* ---- vCPU hotplug --------------------------------------------------------- */

/* The guest ejected vCPU @cpu (control thread, from the controller).
 * Ejects may come in any order; threads stop from the top, so that the
 * plugged vCPUs stay 0..nvcpus-1. */
static void
vm_vcpu_ejected(uint32_t cpu, gpointer opaque)
{
    Vm *vm = opaque;

    if (cpu >= vm->nvcpus || cpu < vm->vcpus_target) {
        g_debug("eject of vCPU %u ignored: not being removed", cpu);
        return;
    }
    vm->vcpu_ejected[cpu] = true;
    while (vm->nvcpus > vm->vcpus_target &&
           vm->vcpu_ejected[vm->nvcpus - 1]) {
        uint32_t top = --vm->nvcpus;

        vm->vcpu_ejected[top] = false;
        vcpu_unplug(vm->vcpus[top]);
        g_info("vCPU %u unplugged", top);
    }
}

/* The controller exists when vCPUs can come and go (max above boot). */
static bool
vm_setup_cpu_hotplug(Vm *vm, GError **error)
{
    if (vm->config->cpus.max_vcpus <= vm->config->cpus.boot_vcpus)
        return true;
    vm->cpu_hotplug = arch_platform_cpu_hotplug(&vm->host,
                                                vm->config->cpus.max_vcpus,
                                                vm->nvcpus, &vm->platform,
                                                error);
    if (!vm->cpu_hotplug)
        return false;
    cpu_hotplug_set_eject_handler(vm->cpu_hotplug, vm_vcpu_ejected, vm);
    return true;
}

/* Plugs vCPUs nvcpus..@n-1: created (or, unplugged before, reset to
 * power-on state), started (parked if the VM is paused), announced. */
static bool
vm_plug_vcpus(Vm *vm, uint32_t n, GError **error)
{
    uint32_t first = vm->nvcpus;
    uint32_t i;

    for (i = first; i < n; i++) {
        bool ok;

        if (i < vm->ncreated && !vm->arch_vcpus[i]) {
            /* KVM made it, but its setup failed at an earlier plug. */
            g_set_error(error, G_IO_ERROR, G_IO_ERROR_FAILED,
                        "vCPU %u could not be set up", i);
            goto cleanup;
        }
        ok = i < vm->ncreated
                 ? arch_vcpu_reset(vm->ops, vcpu_hv(vm->vcpus[i]),
                                   vm->arch_vcpus[i], error)
                 : vm_create_vcpu(vm, i, error);
        if (!ok || !vcpu_start(vm->vcpus[i], error))
            goto cleanup;
    }
    for (i = first; i < n; i++) {
        /* Cannot fail: the vCPU exists and was absent (no eject pends
         * below nvcpus and none above it is in flight). */
        if (!cpu_hotplug_plug(vm->cpu_hotplug, i, error))
            g_assert_not_reached();
    }
    vm->nvcpus = vm->vcpus_target = n;
    return true;

 cleanup:
    /* Nothing was announced: the threads just go. */
    while (i-- > first)
        vcpu_unplug(vm->vcpus[i]);
    return false;
}

/* Whether the guest runs: a stopped VM only changes what it boots with. */
static bool
vm_guest_live(Vm *vm)
{
    return vm->state == VM_STATE_RUNNING || vm->state == VM_STATE_PAUSED;
}

bool
vm_check_resize_vcpus(Vm *vm, uint32_t n, GError **error)
{
    uint32_t max = vm->config->cpus.max_vcpus;

    if (n < 1 || n > max) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                    "%u is out of range: the VM has 1 to %u "
                    "vCPUs (max_vcpus)", n, max);
        return false;
    }
    if (vm->state == VM_STATE_CREATED) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_BUSY,
                    "the VM is being restored");
        return false;
    }
    if (!vm_guest_live(vm) || (n == vm->vcpus_target && vm->nvcpus == n))
        return true;
    if (!vm->cpu_hotplug) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
                    "the VM cannot change its vCPUs while it runs: "
                    "max_vcpus (%u) is not above boot_vcpus", max);
        return false;
    }
    if (vm->vcpus_target != vm->nvcpus) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_BUSY,
                    "the guest has not yet ejected vCPUs %u to %u of the "
                    "last resize", vm->vcpus_target, vm->nvcpus - 1);
        return false;
    }
    return true;
}

bool
vm_resize_vcpus(Vm *vm, uint32_t n, GError **error)
{
    if (!vm_check_resize_vcpus(vm, n, error))
        return false;
    if (!vm_guest_live(vm)) {
        /* The next boot (vm_reset()) starts n: they must exist. */
        for (uint32_t i = vm->ncreated; i < n; i++) {
            if (!vm_create_vcpu(vm, i, error))
                return false;
        }
    } else if (n == vm->nvcpus) {
        return true;
    } else if (n > vm->nvcpus) {
        if (!vm_plug_vcpus(vm, n, error))
            return false;
    } else {
        /* The guest offlines each and calls its _EJ0; the threads stop
         * in vm_vcpu_ejected().  Cannot fail: each is present and none
         * is being removed. */
        for (uint32_t i = n; i < vm->nvcpus; i++) {
            if (!cpu_hotplug_request_eject(vm->cpu_hotplug, i, error))
                g_assert_not_reached();
        }
        vm->vcpus_target = n;
    }
    /* A reboot boots with this many, as with CH. */
    vm->config->cpus.boot_vcpus = n;
    return true;
}

/* ---- Guest-initiated stops -------------------------------------------- */

static gboolean
vm_guest_exit_dispatch(gpointer data)
{
    Vm *vm = data;
    VmGuestExit why = (VmGuestExit)(g_atomic_int_get(&vm->guest_exit) - 1);

    g_clear_pointer(&vm->guest_exit_source, g_source_unref);
    /* A host-side shutdown may have raced with the guest's request. */
    if (vm->state != VM_STATE_RUNNING && vm->state != VM_STATE_PAUSED)
        return G_SOURCE_REMOVE;
    vm_shutdown(vm, NULL);
    if (vm->hooks.guest_exit)
        vm->hooks.guest_exit(vm, why, vm->hooks.opaque);
    return G_SOURCE_REMOVE;
}

static void
vm_guest_exit_request(Vm *vm, VmGuestExit why)
{
    GSource *src;

    /* First request wins: a reset racing a power-off does both no good. */
    if (!g_atomic_int_compare_and_exchange(&vm->guest_exit, 0, (gint)why + 1)) {
        g_debug("guest stop request %d ignored: %d pending", why,
                g_atomic_int_get(&vm->guest_exit) - 1);
        return;
    }
    g_debug("guest stop request %d", why);
    src = g_idle_source_new();
    g_source_set_priority(src, G_PRIORITY_HIGH);
    g_source_set_callback(src, vm_guest_exit_dispatch, vm, NULL);
    g_source_set_static_name(src, "vm-guest-exit");
    /* guest_exit_source is control-thread state: hand it over there.  The
     * source is attached before the pointer is published, so vm_free()
     * (control thread) destroys it if it never ran. */
    vm->guest_exit_source = src;
    g_source_attach(src, vm->context);
}

static void
vm_vcpu_guest_stop(Vcpu *vcpu, VcpuAction why, gpointer opaque)
{
    Vm *vm = opaque;

    switch (why) {
    case VCPU_POWEROFF:
        vm_guest_exit_request(vm, VM_GUEST_POWEROFF);
        break;
    case VCPU_RESET:
        vm_guest_exit_request(vm, VM_GUEST_RESET);
        break;
    case VCPU_CRASH:
    case VCPU_CONTINUE:
        vm_guest_exit_request(vm, VM_GUEST_CRASH);
        break;
    }
}

/* ---- Accessors -------------------------------------------------------- */

const VmConfig *
vm_get_config(Vm *vm)
{
    return vm->config;
}

uint64_t
vm_memory_actual_size(Vm *vm)
{
    uint64_t size = 0;

    /* Boot RAM: the hotplug region counts only as far as it is plugged,
     * which its device reports (daemon/vmm.c adds it). */
    for (unsigned i = 0; i < vm->mem->nregions; i++) {
        if (!vm->mem->regions[i].hotplug)
            size += vm->mem->regions[i].size;
    }
    return size;
}

const GuestMemory *
vm_memory(Vm *vm)
{
    return vm->mem;
}

GMainContext *
vm_main_context(Vm *vm)
{
    return vm->context;
}

ArchPlatformInfo *
vm_platform_info(Vm *vm)
{
    return &vm->platform;
}

DeviceHost *
vm_device_host(Vm *vm)
{
    return &vm->host;
}

GuestDirtyLog *
vm_dirty_log(Vm *vm)
{
    return vm->dirty;
}

bool
vm_add_device(Vm *vm, VmmDevice *dev, GError **error)
{
    return vmm_device_list_add(vm->devices, dev, error);
}

VmmDevice *
vm_find_device(Vm *vm, const char *id)
{
    return vmm_device_list_find(vm->devices, id);
}

void
vm_remove_device(Vm *vm, VmmDevice *dev)
{
    bool park = vm->state == VM_STATE_RUNNING;

    if (!g_ptr_array_remove(vm->devices, dev)) {
        g_critical("vm_remove_device: '%s' is not a device of this VM",
                   dev->id);
        return;
    }
    if (park)
        vcpu_control_request(&vm->vcpu_ctl, vm->vcpus, vm->nvcpus,
                             VCPU_REQ_PAUSE);
    if (dev->ops->unrealize)
        dev->ops->unrealize(dev);
    bus_unregister_device(vm->pio_bus, dev);
    bus_unregister_device(vm->mmio_bus, dev);
    vmm_device_free(dev);
    if (park)
        vcpu_control_request(&vm->vcpu_ctl, vm->vcpus, vm->nvcpus,
                             VCPU_REQ_NONE);
}

/* ---- The device host (devices/device-host.h) ----------------------------- */

static Vm *
vm_of_host(DeviceHost *host)
{
    return (Vm *)((char *)host - G_STRUCT_OFFSET(Vm, host));
}

static const GuestMemory *
vm_host_memory(DeviceHost *host)
{
    return vm_of_host(host)->mem;
}

static void
vm_host_mark_dirty(DeviceHost *host, uint64_t gpa, uint64_t len)
{
    guest_dirty_log_mark(vm_of_host(host)->dirty, gpa, len);
}

static Bus *
vm_bus(Vm *vm, DeviceSpace space)
{
    return space == DEVICE_SPACE_PIO ? vm->pio_bus : vm->mmio_bus;
}

static bool
vm_host_register_range(DeviceHost *host, DeviceSpace space, uint64_t base,
                       uint64_t len, VmmDevice *dev, GError **error)
{
    return bus_register(vm_bus(vm_of_host(host), space), base, len, dev, error);
}

static bool
vm_host_unregister_range(DeviceHost *host, DeviceSpace space, uint64_t base,
                         VmmDevice *dev)
{
    return bus_unregister(vm_bus(vm_of_host(host), space), base, dev);
}

static void
vm_host_unregister_device(DeviceHost *host, VmmDevice *dev)
{
    Vm *vm = vm_of_host(host);

    bus_unregister_device(vm->pio_bus, dev);
    bus_unregister_device(vm->mmio_bus, dev);
}

static bool
vm_host_add_device(DeviceHost *host, VmmDevice *dev, GError **error)
{
    return vm_add_device(vm_of_host(host), dev, error);
}

static VmmDevice *
vm_host_find_device(DeviceHost *host, const char *id)
{
    return vm_find_device(vm_of_host(host), id);
}

static RateLimiter *
vm_host_rate_limit_group(DeviceHost *host, const char *id, GError **error)
{
    Vm *vm = vm_of_host(host);
    const RateLimitGroupConfig *g;
    RateLimiter *rl;

    if (!vm->rate_limit_groups)
        vm->rate_limit_groups = g_hash_table_new_full(
            g_str_hash, g_str_equal, g_free,
            (GDestroyNotify)rate_limiter_unref);
    rl = g_hash_table_lookup(vm->rate_limit_groups, id);
    if (!rl) {
        /* Groups are fixed at vm.create (CH has no way to add one), so
         * the VM's copy of the config has them all. */
        g = vm_config_find_rate_limit_group(vm->config, id);
        if (!g) {
            g_set_error(error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
                        "rate limit group '%s' is not defined", id);
            return NULL;
        }
        rl = rate_limiter_new(g->rate_limiter_config);
        g_hash_table_insert(vm->rate_limit_groups, g_strdup(id), rl);
    }
    return rate_limiter_ref(rl);
}

static GMainContext *
vm_host_main_context(DeviceHost *host)
{
    return vm_of_host(host)->context;
}

static uint32_t
vm_host_boot_vcpus(DeviceHost *host)
{
    return vm_of_host(host)->nvcpus;
}

static void
vm_host_request_poweroff(DeviceHost *host)
{
    vm_guest_exit_request(vm_of_host(host), VM_GUEST_POWEROFF);
}

static void
vm_host_request_reset(DeviceHost *host)
{
    vm_guest_exit_request(vm_of_host(host), VM_GUEST_RESET);
}

/* The VM's event sink is the process's event monitor (--event-monitor). */
static void
vm_host_emit_event(DeviceHost *host, const char *source, const char *event,
                   const char *const *props)
{
    event_monitor_emit(source, event, props);
}

/* ---- Interrupts --------------------------------------------------------- */

static int
vm_host_irq_set(DeviceHost *host, uint32_t gsi, bool level)
{
    Vm *vm = vm_of_host(host);

    return vm->ops->irq_line(vm->hv, gsi, level);
}

static int
vm_host_irq_pulse(DeviceHost *host, uint32_t gsi)
{
    Vm *vm = vm_of_host(host);
    int r = vm->ops->irq_line(vm->hv, gsi, true);

    return r < 0 ? r : vm->ops->irq_line(vm->hv, gsi, false);
}

static bool
vm_host_alloc_irq(DeviceHost *host, uint32_t *gsi, GError **error)
{
    Vm *vm = vm_of_host(host);
    bool ok = false;

    g_mutex_lock(&vm->irq_lock);
    if (vm->next_pin == 8)      /* RTC */
        vm->next_pin++;
    if (vm->next_pin < VM_IOAPIC_PINS) {
        *gsi = vm->next_pin++;
        ok = true;
    }
    g_mutex_unlock(&vm->irq_lock);
    if (!ok)
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_NO_SPACE,
                    "no free IOAPIC pin left for a legacy interrupt");
    return ok;
}

static int
vm_host_msi_alloc(DeviceHost *host, uint32_t *gsi)
{
    Vm *vm = vm_of_host(host);
    int r = 0;

    g_mutex_lock(&vm->irq_lock);
    if (vm->free_msi_gsis->len > 0) {
        *gsi = g_array_index(vm->free_msi_gsis, uint32_t,
                             vm->free_msi_gsis->len - 1);
        g_array_set_size(vm->free_msi_gsis, vm->free_msi_gsis->len - 1);
    } else if (vm->next_msi_gsi < VM_IOAPIC_PINS + VM_MAX_MSI_ROUTES) {
        *gsi = vm->next_msi_gsi++;
    } else {
        r = -ENOSPC;
    }
    g_mutex_unlock(&vm->irq_lock);
    return r;
}

static int
vm_host_msi_update(DeviceHost *host, uint32_t gsi, uint64_t addr,
                   uint32_t data)
{
    Vm *vm = vm_of_host(host);
    HvIrqRoute route = { .gsi = gsi, .is_msi = true, .msi_addr = addr,
                         .msi_data = data };
    bool found = false;
    int r;

    g_mutex_lock(&vm->irq_lock);
    for (guint i = 0; i < vm->routes->len; i++) {
        HvIrqRoute *e = &g_array_index(vm->routes, HvIrqRoute, i);

        if (e->is_msi && e->gsi == gsi) {
            if (e->msi_addr == addr && e->msi_data == data) {
                g_mutex_unlock(&vm->irq_lock);
                return 0;
            }
            *e = route;
            found = true;
            break;
        }
    }
    if (!found)
        g_array_append_val(vm->routes, route);
    r = vm_commit_routes_locked(vm);
    g_mutex_unlock(&vm->irq_lock);
    return r;
}

static void
vm_host_msi_free(DeviceHost *host, uint32_t gsi)
{
    Vm *vm = vm_of_host(host);

    g_mutex_lock(&vm->irq_lock);
    for (guint i = 0; i < vm->routes->len; i++) {
        HvIrqRoute *e = &g_array_index(vm->routes, HvIrqRoute, i);

        if (e->is_msi && e->gsi == gsi) {
            g_array_remove_index(vm->routes, i);
            vm_commit_routes_locked(vm);
            break;
        }
    }
    g_array_append_val(vm->free_msi_gsis, gsi);
    g_mutex_unlock(&vm->irq_lock);
}

static int
vm_host_signal_msi(DeviceHost *host, uint64_t addr, uint32_t data)
{
    Vm *vm = vm_of_host(host);

    return vm->ops->signal_msi(vm->hv, addr, data);
}

static int
vm_host_irqfd(DeviceHost *host, int fd, uint32_t gsi, bool assign)
{
    Vm *vm = vm_of_host(host);

    return vm->ops->irqfd(vm->hv, fd, gsi, -1, assign);
}

static int
vm_host_ioeventfd(DeviceHost *host, int fd, uint64_t addr, uint32_t len,
                  DeviceSpace space, bool assign)
{
    Vm *vm = vm_of_host(host);
    bool pio = space == DEVICE_SPACE_PIO;

    return vm->ops->ioeventfd(vm->hv, fd, addr, len, pio, assign);
}

/* ---- MMIO allocation -------------------------------------------------- */

static bool
vm_alloc_from(Vm *vm, uint64_t *next, uint64_t end, uint64_t size,
              uint64_t align, uint64_t *addr, const char *what, GError **error)
{
    uint64_t a;
    bool ok = false;

    if (align == 0 || (align & (align - 1)) != 0 || size == 0) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                    "invalid %s allocation (size 0x%" G_GINT64_MODIFIER
                    "x, alignment 0x%" G_GINT64_MODIFIER "x)", what, size, align);
        return false;
    }
    g_mutex_lock(&vm->mmio_lock);
    a = (*next + align - 1) & ~(align - 1);
    if (a >= *next && a <= end && size <= end - a) {
        *addr = a;
        *next = a + size;
        ok = true;
    }
    g_mutex_unlock(&vm->mmio_lock);
    if (!ok)
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_NO_SPACE,
                    "no room for 0x%" G_GINT64_MODIFIER "x bytes in the %s window",
                    size, what);
    return ok;
}

static bool
vm_host_alloc_mmio32(DeviceHost *host, uint64_t size, uint64_t align,
                     uint64_t *addr, GError **error)
{
    Vm *vm = vm_of_host(host);

    return vm_alloc_from(vm, &vm->mmio32_next, vm->mmio32_end, size, align, addr,
                         "32-bit MMIO", error);
}

static bool
vm_host_alloc_mmio64(DeviceHost *host, uint64_t size, uint64_t align,
                     uint64_t *addr, GError **error)
{
    Vm *vm = vm_of_host(host);

    return vm_alloc_from(vm, &vm->mmio64_next, vm->mmio64_end, size, align, addr,
                         "64-bit MMIO", error);
}

/* ---- Device memory ------------------------------------------------------ */

static bool
vm_host_map_memory(DeviceHost *host, uint64_t gpa, uint64_t size, void *hva,
                   uint32_t *slot, GError **error)
{
    Vm *vm = vm_of_host(host);
    unsigned i;
    int r;

    g_mutex_lock(&vm->mmio_lock);
    for (i = 0; i < VM_DEVICE_SLOTS; i++) {
        if (!(vm->device_slots & (1ULL << i)))
            break;
    }
    if (i < VM_DEVICE_SLOTS)
        vm->device_slots |= 1ULL << i;
    g_mutex_unlock(&vm->mmio_lock);
    if (i == VM_DEVICE_SLOTS) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_NO_SPACE,
                    "all %u device memory slots are in use", VM_DEVICE_SLOTS);
        return false;
    }
    r = vm->ops->set_memory(vm->hv, VM_DEVICE_SLOT_BASE + i, gpa, size, hva,
                            0);
    if (!vm_hv_check(r, "cannot map device memory", error)) {
        g_mutex_lock(&vm->mmio_lock);
        vm->device_slots &= ~(1ULL << i);
        g_mutex_unlock(&vm->mmio_lock);
        return false;
    }
    *slot = VM_DEVICE_SLOT_BASE + i;
    return true;
}

static void
vm_host_unmap_memory(DeviceHost *host, uint32_t slot)
{
    Vm *vm = vm_of_host(host);
    int r;

    g_return_if_fail(slot >= VM_DEVICE_SLOT_BASE &&
                     slot < VM_DEVICE_SLOT_BASE + VM_DEVICE_SLOTS);
    /* Size 0 deletes the slot; KVM waits for the vCPUs to leave it. */
    r = vm->ops->set_memory(vm->hv, slot, 0, 0, NULL, 0);
    if (r < 0)
        g_warning("removing device memory slot %u: %s", slot, g_strerror(-r));
    g_mutex_lock(&vm->mmio_lock);
    vm->device_slots &= ~(1ULL << (slot - VM_DEVICE_SLOT_BASE));
    g_mutex_unlock(&vm->mmio_lock);
}

static const DeviceHostOps vm_device_host_ops = {
    .memory = vm_host_memory,
    .mark_dirty = vm_host_mark_dirty,
    .register_range = vm_host_register_range,
    .unregister_range = vm_host_unregister_range,
    .unregister_device = vm_host_unregister_device,
    .irq_set = vm_host_irq_set,
    .irq_pulse = vm_host_irq_pulse,
    .msi_alloc = vm_host_msi_alloc,
    .msi_update = vm_host_msi_update,
    .msi_free = vm_host_msi_free,
    .signal_msi = vm_host_signal_msi,
    .irqfd = vm_host_irqfd,
    .ioeventfd = vm_host_ioeventfd,
    .alloc_mmio32 = vm_host_alloc_mmio32,
    .alloc_mmio64 = vm_host_alloc_mmio64,
    .alloc_irq = vm_host_alloc_irq,
    .map_memory = vm_host_map_memory,
    .unmap_memory = vm_host_unmap_memory,
    .add_device = vm_host_add_device,
    .find_device = vm_host_find_device,
    .rate_limit_group = vm_host_rate_limit_group,
    .main_context = vm_host_main_context,
    .boot_vcpus = vm_host_boot_vcpus,
    .request_poweroff = vm_host_request_poweroff,
    .request_reset = vm_host_request_reset,
    .emit_event = vm_host_emit_event,
};

/* ---- vm.info / vm.counters ---------------------------------------------- */

typedef struct {
    JsonObject *tree;
    const char *kind;   /* "PioAddressRange" / "MmioAddressRange" */
} VmTreeCtx;

static void
vm_tree_add_range(uint64_t base, uint64_t len, VmmDevice *dev, gpointer opaque)
{
    VmTreeCtx *ctx = opaque;
    JsonObject *node = json_object_get_object_member(ctx->tree, dev->id);
    JsonArray *res;
    JsonObject *range, *r;

    if (!node)
        return;
    res = json_object_get_array_member(node, "resources");
    range = json_object_new();
    json_object_set_int_member(range, "base", (gint64)base);
    json_object_set_int_member(range, "size", (gint64)len);
    r = json_object_new();
    /* CH serialises its Resource enum as {"Variant": {fields}}. */
    json_object_set_object_member(r, ctx->kind, range);
    json_array_add_object_element(res, r);
}

JsonNode *
vm_device_tree(Vm *vm)
{
    JsonObject *tree = json_object_new();
    JsonNode *node = json_node_new(JSON_NODE_OBJECT);
    VmTreeCtx ctx = { .tree = tree };

    for (guint i = 0; i < vm->devices->len; i++) {
        VmmDevice *dev = g_ptr_array_index(vm->devices, i);
        JsonObject *n = json_object_new();

        g_autofree char *bdf = dev->ops->pci_bdf ? dev->ops->pci_bdf(dev)
                                                 : NULL;

        json_object_set_string_member(n, "id", dev->id);
        json_object_set_array_member(n, "resources", json_array_new());
        json_object_set_array_member(n, "children", json_array_new());
        /* The OpenAPI DeviceNode has pci_bdf as a string: absent, not
         * null, for devices that are not on PCI. */
        if (bdf)
            json_object_set_string_member(n, "pci_bdf", bdf);
        json_object_set_object_member(tree, dev->id, n);
    }
    ctx.kind = "PioAddressRange";
    bus_foreach(vm->pio_bus, vm_tree_add_range, &ctx);
    ctx.kind = "MmioAddressRange";
    bus_foreach(vm->mmio_bus, vm_tree_add_range, &ctx);
    json_node_take_object(node, tree);
    return node;
}

JsonNode *
vm_counters(Vm *vm)
{
    JsonObject *all = json_object_new();
    JsonNode *node = json_node_new(JSON_NODE_OBJECT);

    for (guint i = 0; i < vm->devices->len; i++) {
        VmmDevice *dev = g_ptr_array_index(vm->devices, i);
        JsonNode *c;

        if (!dev->ops->counters || !(c = dev->ops->counters(dev)))
            continue;
        json_object_set_member(all, dev->id, c);
    }
    json_node_take_object(node, all);
    return node;
}

/* ---- Snapshot and restore ------------------------------------------------ */

const HvOps *
vm_hv_ops(Vm *vm)
{
    return vm->ops;
}

Hv *
vm_hv(Vm *vm)
{
    return vm->hv;
}

uint32_t
vm_nvcpus(Vm *vm)
{
    return vm->nvcpus;
}

HvVcpu *
vm_hv_vcpu(Vm *vm, uint32_t index)
{
    g_return_val_if_fail(index < vm->nvcpus, NULL);
    return vcpu_hv(vm->vcpus[index]);
}

GPtrArray *
vm_devices(Vm *vm)
{
    return vm->devices;
}

bool
vm_paused_clock(Vm *vm, uint64_t *ns)
{
    if (vm->state != VM_STATE_PAUSED || !vm->paused_clock_valid)
        return false;
    *ns = vm->paused_clock;
    return true;
}

bool
vm_start_restored(Vm *vm, uint64_t clock_ns, GError **error)
{
    if (vm->state != VM_STATE_CREATED || vm->booted_once) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_BUSY,
                    "only a VM that never ran can be restored into");
        return false;
    }
    /* Paused as vm_pause() leaves a VM: devices first (their workers stop
     * touching guest memory), undone if one refuses. */
    for (guint i = 0; i < vm->devices->len; i++) {
        VmmDevice *dev = g_ptr_array_index(vm->devices, i);

        if (dev->ops->pause && !dev->ops->pause(dev, error)) {
            for (guint j = 0; j < i; j++) {
                VmmDevice *d = g_ptr_array_index(vm->devices, j);
                if (d->ops->resume)
                    d->ops->resume(d, NULL);
            }
            return false;
        }
    }
    /* RAM holds the restored guest: a later reboot must reset it. */
    vm->booted_once = true;
    g_atomic_int_set(&vm->guest_exit, 0);
    /* The threads see the PAUSE request before their first KVM_RUN. */
    vm->vcpu_ctl.request = VCPU_REQ_PAUSE;
    for (uint32_t i = 0; i < vm->nvcpus; i++) {
        if (!vcpu_start(vm->vcpus[i], error)) {
            vm_stop_vcpus(vm);
            vm->state = VM_STATE_STOPPED;
            return false;
        }
    }
    vcpu_control_request(&vm->vcpu_ctl, vm->vcpus, vm->nvcpus, VCPU_REQ_PAUSE);
    /* vm_resume() writes it back, as after any pause. */
    vm->paused_clock = clock_ns;
    vm->paused_clock_valid = vm->ops->set_clock != NULL;
    vm->state = VM_STATE_PAUSED;
    return true;
}
