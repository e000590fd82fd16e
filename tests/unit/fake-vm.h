/* SPDX-License-Identifier: Apache-2.0 */
/* FakeHost: the unit tests' implementation of the device host interface. */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <glib.h>

#include "devices/bus.h"
#include "devices/device-host.h"
#include "devices/virtio/rate-limiter.h"

/*
 * Device unit tests create devices on a FakeHost instead of a VM: it fills
 * the same `static const DeviceHostOps` as daemon/vm.c (so the compiler
 * keeps the two in step), keeps its devices in a list through the shared
 * vmm_device_list_add(), and records what devices do through it so that
 * tests can assert on interrupts, power requests, allocations, events and
 * dirty pages.  Every recorder is thread-safe (devices call from any
 * thread).
 */

#define FAKE_HOST_MAX_GSI 1024
#define FAKE_HOST_MMIO32_BASE 0xc0000000ULL   /* CH's 32-bit device window */
#define FAKE_HOST_MMIO32_SIZE 0x28000000ULL   /* 640 MiB */
#define FAKE_HOST_MMIO64_BASE 0x10000000000ULL
#define FAKE_HOST_FIRST_IRQ 5                 /* after the ISA devices' IRQs */
#define FAKE_HOST_LAST_IRQ 23
#define FAKE_HOST_FIRST_MSI_GSI 24
#define FAKE_HOST_PAGE_SIZE 4096ULL           /* dirty-page granule */
#define FAKE_HOST_DEVICE_SLOTS 8              /* map_memory() slots */

/* One map_memory() slot (device memory such as virtio-pmem's file). */
typedef struct {
    uint64_t gpa, size;
    void *hva;
} FakeDeviceMemory;

typedef struct FakeHost FakeHost;

/* A host with @ram_size bytes of zeroed RAM at GPA 0 (0: no RAM), empty PIO
 * and MMIO buses, and its own GMainContext. */
FakeHost *fake_host_new(uint64_t ram_size);
/* A host whose RAM is @mem (transfer none: it must outlive the host). */
FakeHost *fake_host_new_with_memory(const GuestMemory *mem);
/* Unrealizes and frees the devices (newest first), then the host. */
void fake_host_free(FakeHost *fh);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(FakeHost, fake_host_free)

/* (transfer none) What devices are created on. */
DeviceHost *fake_host_base(FakeHost *fh);
/* Shorthands for device_host_add_device() / _find_device() /
 * _main_context() on fake_host_base(@fh). */
bool fake_host_add(FakeHost *fh, VmmDevice *dev, GError **error);
/* Hot-unplug's last step, as daemon/vm.c's vm_remove_device() does it:
 * @dev is unrealized, taken off the buses and the list, and freed. */
void fake_host_remove(FakeHost *fh, VmmDevice *dev);
VmmDevice *fake_host_find(FakeHost *fh, const char *id);
/* Defines the rate limit group @id that rate_limit_group() hands out. */
void fake_host_add_rate_limit_group(FakeHost *fh, const char *id,
                                    const RateLimiterConfig *cfg);
GMainContext *fake_host_context(FakeHost *fh);
/* The buses, for lookups. */
Bus *fake_host_pio_bus(FakeHost *fh);
Bus *fake_host_mmio_bus(FakeHost *fh);

/* Runs the main context until nothing is ready (no blocking). */
void fake_host_iterate(FakeHost *fh);
/* Iterates (blocking up to 10 ms at a time) until @cond returns true or
 * @timeout_ms passes; returns the last @cond. */
bool fake_host_iterate_until(FakeHost *fh, bool (*cond)(gpointer),
                             gpointer data, guint timeout_ms);

/* Guest accesses through the host's buses, as a vCPU would make them. */
uint8_t fake_host_inb(FakeHost *fh, uint16_t port);
void fake_host_outb(FakeHost *fh, uint16_t port, uint8_t value);
uint64_t fake_host_pio_read(FakeHost *fh, uint16_t port, unsigned len);
void fake_host_pio_write(FakeHost *fh, uint16_t port, unsigned len,
                         uint64_t value);
uint64_t fake_host_mmio_read(FakeHost *fh, uint64_t addr, unsigned len);
void fake_host_mmio_write(FakeHost *fh, uint64_t addr, unsigned len,
                          uint64_t value);

/* The guest RAM, writable by tests. */
GuestMemory *fake_host_get_memory(FakeHost *fh);
void fake_host_set_boot_vcpus(FakeHost *fh, uint32_t n);

/* Legacy interrupt lines. */
bool fake_host_irq_level(FakeHost *fh, uint32_t gsi);
/* Low-to-high transitions made through irq_set. */
unsigned fake_host_irq_raises(FakeHost *fh, uint32_t gsi);
unsigned fake_host_irq_pulses(FakeHost *fh, uint32_t gsi);
void fake_host_irq_reset_counts(FakeHost *fh);

unsigned fake_host_poweroff_requests(FakeHost *fh);
unsigned fake_host_reset_requests(FakeHost *fh);

/* Makes the next allocations fail (alloc_*, msi_alloc), to test error
 * paths. */
void fake_host_set_alloc_fail(FakeHost *fh, bool fail);

/* MSI, irqfd and ioeventfd records. */
bool fake_host_msi_route(FakeHost *fh, uint32_t gsi, uint64_t *addr,
                         uint32_t *data);
unsigned fake_host_msi_signals(FakeHost *fh, uint64_t *last_addr,
                               uint32_t *last_data);
/* The GSI an irqfd is assigned to, or -1. */
int fake_host_irqfd_gsi(FakeHost *fh, int fd);
/* The fd assigned to (addr, space), or -1. */
int fake_host_ioeventfd_fd(FakeHost *fh, uint64_t addr, DeviceSpace space);

/* How many events sent to the sink read exactly @record, written as
 * "source/event key=value ..." ("virtio-device/reset id=_disk0"). */
unsigned fake_host_count_events(FakeHost *fh, const char *record);

/* Dirty pages (FAKE_HOST_PAGE_SIZE) marked since the last clear: whether
 * @gpa's page is marked, how many are, and forgetting them. */
bool fake_host_page_dirty(FakeHost *fh, uint64_t gpa);
unsigned fake_host_dirty_count(FakeHost *fh);
void fake_host_dirty_clear(FakeHost *fh);

/* The host address of the device memory mapped at @gpa (its *@size
 * set), or NULL; and how many device memory slots are in use. */
void *fake_host_device_memory(FakeHost *fh, uint64_t gpa, uint64_t *size);
unsigned fake_host_device_memory_count(FakeHost *fh);

/* Snapshot identity: saves @from, restores that state into @to (@from
 * itself, or a second device of the same kind) and asserts that @to then
 * saves exactly the same JSON, with no error at any step. */
void fake_host_check_save_restore(VmmDevice *from, VmmDevice *to);
