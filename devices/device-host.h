/* SPDX-License-Identifier: Apache-2.0 */
/* The device host interface: all a device may ask of the VM it lives in. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <glib.h>

#include "devices/device.h"
#include "devices/guest-memory.h"

/*
 * A device never sees the VM core (daemon/): it is handed a DeviceHost and
 * reaches guest memory, buses, interrupts, eventfds, address allocation,
 * the control thread, power requests and the event stream through it, the
 * way a kvmtool device only gets `struct kvm *`.  daemon/vm.c implements it
 * for real VMs, tests/unit/fake-vm.c for unit tests; both fill the same
 * `static const DeviceHostOps`, so the compiler keeps them in step.
 *
 * Threads: the data-plane operations (memory, dirty marking, bus accesses
 * done by the guest, irq_*, msi_update/signal_msi, request_*, emit_event)
 * are safe from any thread and never block on control-plane locks; the
 * rest (registration, allocation, add/find_device) run on the control
 * thread or a vCPU thread holding the device's own lock (BAR moves).
 * Data-plane calls return 0 or -errno; control-plane calls take a GError.
 */

typedef struct DeviceHost DeviceHost;
typedef struct RateLimiter RateLimiter;   /* devices/virtio/rate-limiter.h */

/* Which address space a range lives in. */
typedef enum {
    DEVICE_SPACE_PIO,          /* x86 port I/O */
    DEVICE_SPACE_MMIO,
    DEVICE_SPACE_LAST
} DeviceSpace;

typedef struct {
    /* ---- Guest memory ---- */
    /* The RAM table; immutable while the device exists. */
    const GuestMemory *(*memory)(DeviceHost *host);
    /* [@gpa, @gpa + @len) was written by a device (live migration resends
     * those pages).  Bytes outside RAM are ignored.  Lock-free. */
    void (*mark_dirty)(DeviceHost *host, uint64_t gpa, uint64_t len);

    /* ---- Buses ---- */
    bool (*register_range)(DeviceHost *host, DeviceSpace space, uint64_t base,
                           uint64_t len, VmmDevice *dev, GError **error);
    /* False if @dev owns no range at @base. */
    bool (*unregister_range)(DeviceHost *host, DeviceSpace space,
                             uint64_t base, VmmDevice *dev);
    void (*unregister_device)(DeviceHost *host, VmmDevice *dev);

    /* ---- Interrupts ---- */
    /* Legacy lines (IOAPIC pins). */
    int (*irq_set)(DeviceHost *host, uint32_t gsi, bool level);
    int (*irq_pulse)(DeviceHost *host, uint32_t gsi);
    /* MSI: a GSI per vector, routed so that an irqfd can target it. */
    int (*msi_alloc)(DeviceHost *host, uint32_t *gsi);
    int (*msi_update)(DeviceHost *host, uint32_t gsi, uint64_t addr,
                      uint32_t data);
    void (*msi_free)(DeviceHost *host, uint32_t gsi);
    int (*signal_msi)(DeviceHost *host, uint64_t addr, uint32_t data);
    int (*irqfd)(DeviceHost *host, int fd, uint32_t gsi, bool assign);
    /* @fd is signalled when the guest writes @addr (queue notifications). */
    int (*ioeventfd)(DeviceHost *host, int fd, uint64_t addr, uint32_t len,
                     DeviceSpace space, bool assign);

    /* ---- Allocation (control thread) ---- */
    bool (*alloc_mmio32)(DeviceHost *host, uint64_t size, uint64_t align,
                         uint64_t *addr, GError **error);
    bool (*alloc_mmio64)(DeviceHost *host, uint64_t size, uint64_t align,
                         uint64_t *addr, GError **error);
    /* A free IOAPIC pin for a new legacy device (GED, PCI INTx). */
    bool (*alloc_irq)(DeviceHost *host, uint32_t *gsi, GError **error);

    /* ---- Device memory (control thread, or a vCPU thread moving a BAR
     * with the bus's config lock held: ivshmem's BAR2) ---- */
    /* Makes host memory [@hva, @hva + @size) the guest-physical range
     * [@gpa, @gpa + @size) (taken from alloc_mmio64), which the guest then
     * reads and writes without exits: a hypervisor memory slot outside the
     * RAM table, for memory a device owns (virtio-pmem's file).  Page
     * aligned; the mapping must outlive the slot.  *@slot is the handle
     * for unmap_memory().  Device memory is not RAM: it is neither in the
     * dirty log nor in snapshots, and device_host_read() cannot reach it. */
    bool (*map_memory)(DeviceHost *host, uint64_t gpa, uint64_t size,
                       void *hva, uint32_t *slot, GError **error);
    /* Takes slot @slot away from the guest; when it returns no vCPU
     * reaches the memory any more. */
    void (*unmap_memory)(DeviceHost *host, uint32_t slot);

    /* ---- Device list (control thread) ---- */
    /* Realizes @dev (transfer full) and keeps it: reset, paused, saved and
     * freed with the VM.  A duplicate id is refused (see
     * vmm_device_list_add()); on any error @dev is freed. */
    bool (*add_device)(DeviceHost *host, VmmDevice *dev, GError **error);
    /* (transfer none) or NULL. */
    VmmDevice *(*find_device)(DeviceHost *host, const char *id);
    /* The limiter of the VM's rate limit group @id (CH's
     * rate_limit_groups), shared by every device in the group; NULL with
     * @error when the config has no such group.  (transfer full: a
     * reference) */
    RateLimiter *(*rate_limit_group)(DeviceHost *host, const char *id,
                                     GError **error);

    /* ---- The VM around the device ---- */
    /* The control thread's context (chardev sources, timers). */
    GMainContext *(*main_context)(DeviceHost *host);
    uint32_t (*boot_vcpus)(DeviceHost *host);
    /* Guest-initiated power events: the VM stops its vCPUs and reports on
     * the control thread.  Any thread. */
    void (*request_poweroff)(DeviceHost *host);
    void (*request_reset)(DeviceHost *host);
    /* The event sink: an event-monitor record from @source ("virtio-device")
     * with @props (key, value, ..., NULL).  Any thread. */
    void (*emit_event)(DeviceHost *host, const char *source, const char *event,
                       const char *const *props);
} DeviceHostOps;

/**
 * DeviceHost:
 * Embedded in whatever implements it (the Vm, a FakeHost); @ops is a
 * `static const` table and immutable.
 */
struct DeviceHost {
    const DeviceHostOps *ops;
};

/* ---- Wrappers: what device code calls ------------------------------------ */

static inline const GuestMemory *
device_host_memory(DeviceHost *host)
{
    return host->ops->memory(host);
}

static inline void
device_host_mark_dirty(DeviceHost *host, uint64_t gpa, uint64_t len)
{
    host->ops->mark_dirty(host, gpa, len);
}

/* Bounds-checked copies; a write marks the pages it touched dirty.
 * 0 or -EFAULT (nothing copied) if any byte is outside RAM. */
static inline int
device_host_read(DeviceHost *host, uint64_t gpa, void *buf, size_t len)
{
    return guest_mem_read(device_host_memory(host), gpa, buf, len);
}

static inline int
device_host_write(DeviceHost *host, uint64_t gpa, const void *buf, size_t len)
{
    int r = guest_mem_write(device_host_memory(host), gpa, buf, len);

    if (r == 0)
        device_host_mark_dirty(host, gpa, len);
    return r;
}

static inline bool
device_host_register_pio(DeviceHost *host, uint64_t base, uint64_t len,
                         VmmDevice *dev, GError **error)
{
    return host->ops->register_range(host, DEVICE_SPACE_PIO, base, len, dev,
                                     error);
}

static inline bool
device_host_register_mmio(DeviceHost *host, uint64_t base, uint64_t len,
                          VmmDevice *dev, GError **error)
{
    return host->ops->register_range(host, DEVICE_SPACE_MMIO, base, len, dev,
                                     error);
}

static inline bool
device_host_unregister_mmio(DeviceHost *host, uint64_t base, VmmDevice *dev)
{
    return host->ops->unregister_range(host, DEVICE_SPACE_MMIO, base, dev);
}

/* Removes every range @dev owns, in both spaces. */
static inline void
device_host_unregister_device(DeviceHost *host, VmmDevice *dev)
{
    host->ops->unregister_device(host, dev);
}

static inline int
device_host_irq_set(DeviceHost *host, uint32_t gsi, bool level)
{
    return host->ops->irq_set(host, gsi, level);
}

static inline int
device_host_irq_pulse(DeviceHost *host, uint32_t gsi)
{
    return host->ops->irq_pulse(host, gsi);
}

static inline int
device_host_msi_alloc(DeviceHost *host, uint32_t *gsi)
{
    return host->ops->msi_alloc(host, gsi);
}

static inline int
device_host_msi_update(DeviceHost *host, uint32_t gsi, uint64_t addr,
                       uint32_t data)
{
    return host->ops->msi_update(host, gsi, addr, data);
}

static inline void
device_host_msi_free(DeviceHost *host, uint32_t gsi)
{
    host->ops->msi_free(host, gsi);
}

static inline int
device_host_signal_msi(DeviceHost *host, uint64_t addr, uint32_t data)
{
    return host->ops->signal_msi(host, addr, data);
}

static inline int
device_host_irqfd(DeviceHost *host, int fd, uint32_t gsi, bool assign)
{
    return host->ops->irqfd(host, fd, gsi, assign);
}

static inline int
device_host_ioeventfd(DeviceHost *host, int fd, uint64_t addr, uint32_t len,
                      DeviceSpace space, bool assign)
{
    return host->ops->ioeventfd(host, fd, addr, len, space, assign);
}

static inline bool
device_host_alloc_mmio32(DeviceHost *host, uint64_t size, uint64_t align,
                         uint64_t *addr, GError **error)
{
    return host->ops->alloc_mmio32(host, size, align, addr, error);
}

static inline bool
device_host_alloc_mmio64(DeviceHost *host, uint64_t size, uint64_t align,
                         uint64_t *addr, GError **error)
{
    return host->ops->alloc_mmio64(host, size, align, addr, error);
}

static inline bool
device_host_alloc_irq(DeviceHost *host, uint32_t *gsi, GError **error)
{
    return host->ops->alloc_irq(host, gsi, error);
}

static inline bool
device_host_map_memory(DeviceHost *host, uint64_t gpa, uint64_t size,
                       void *hva, uint32_t *slot, GError **error)
{
    return host->ops->map_memory(host, gpa, size, hva, slot, error);
}

static inline void
device_host_unmap_memory(DeviceHost *host, uint32_t slot)
{
    host->ops->unmap_memory(host, slot);
}

static inline bool
device_host_add_device(DeviceHost *host, VmmDevice *dev, GError **error)
{
    return host->ops->add_device(host, dev, error);
}

static inline VmmDevice *
device_host_find_device(DeviceHost *host, const char *id)
{
    return host->ops->find_device(host, id);
}

static inline RateLimiter *
device_host_rate_limit_group(DeviceHost *host, const char *id, GError **error)
{
    return host->ops->rate_limit_group(host, id, error);
}

static inline GMainContext *
device_host_main_context(DeviceHost *host)
{
    return host->ops->main_context(host);
}

static inline uint32_t
device_host_boot_vcpus(DeviceHost *host)
{
    return host->ops->boot_vcpus(host);
}

static inline void
device_host_request_poweroff(DeviceHost *host)
{
    host->ops->request_poweroff(host);
}

static inline void
device_host_request_reset(DeviceHost *host)
{
    host->ops->request_reset(host);
}

static inline void
device_host_emit_event(DeviceHost *host, const char *source,
                       const char *event, const char *const *props)
{
    host->ops->emit_event(host, source, event, props);
}
