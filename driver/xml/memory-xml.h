/* SPDX-License-Identifier: Apache-2.0 */
/* Memory devices of a definition as nimbusd changes them at run time. */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <glib.h>

#include "driver/xml/domain-conf.h"

/*
 * The virtio-mem device is nimbus's hotplug region (vm.resize
 * desired_ram moves its plugged size); libvirt changes it through
 * update-device with the device's XML and a new <requested>.
 */

/**
 * domain_def_with_memory_update:
 * A copy of @def whose virtio-mem device has the <requested> of @xml (one
 * <memory model='virtio-mem'> element, matched by its alias when it has
 * one), checked by the definition's rules.  Anything else that differs
 * (size, node, block, another model) is refused with
 * DRV_ERROR_OPERATION_UNSUPPORTED naming it; DRV_ERROR_DEVICE_MISSING
 * when @def has no such device.  @live: @def is a running definition.
 * (transfer full)
 */
DomainDef *domain_def_with_memory_update(const DomainDef *def,
                                         const char *xml, bool live,
                                         GError **error);

/* vm.resize's desired_ram for @def: the boot RAM plus what its virtio-mem
 * device is asked to plug (CH counts both), in bytes. */
uint64_t domain_def_memory_desired_ram(const DomainDef *def);
/* The request that asks the VMM for @def's virtio-mem <requested>: a
 * vm.resize body (desired_ram above), or with NUMA cells a vm.resize-zone
 * body for the device's cell's zone ({id, desired_ram}: the zone's size
 * plus <requested>); *@endpoint says which.  (transfer full) */
char *domain_def_memory_resize_request(const DomainDef *def,
                                       const char **endpoint);

/* Whether @def has a virtio-mem device (its live XML shows <current>). */
bool domain_def_has_virtio_mem(const DomainDef *def);

/* Records vm.info's memory_actual_size (@bytes: boot RAM plus what the
 * guest plugged) as the virtio-mem device's <current>. */
void domain_def_memory_set_actual(DomainDef *def, uint64_t bytes);

/**
 * domain_def_virtio_mem_state:
 * @def's virtio-mem device: its <requested> and <current> (the guest's
 * plugged size as last read; 0 before the first reading), KiB,
 * and its alias (libvirt's "virtiomem0" unless it has one; transfer
 * full).  False, nothing set, when @def has no virtio-mem device.
 */
bool domain_def_virtio_mem_state(const DomainDef *def,
                                 uint64_t *requested_kib,
                                 uint64_t *current_kib, char **alias);
/* The most setmem may ask of @def, KiB: <memory> less the virtio-mem
 * device's size (libvirt's rule; update-memory-device moves that). */
uint64_t domain_def_memory_balloon_max_kib(const DomainDef *def);
/* The RAM the guest of the running definition @def has now, KiB: boot
 * RAM, DIMMs and what virtio-mem plugged (the balloon not counted). */
uint64_t domain_def_memory_guest_kib(const DomainDef *def);
/* Gives @dst's virtio-mem device the <requested> of @src's (a definition
 * domain_def_with_memory_update() made from @dst), keeping the rest of
 * @dst (its run's sockets and paths) as it is. */
void domain_def_memory_copy_requested(DomainDef *dst, const DomainDef *src);

/*
 * attach/detach-device of <memory>: a virtio-pmem device is a PCI device
 * (vm.add-pmem, vm.remove-device); a DIMM is RAM added through vm.resize
 * desired_ram (ACPI memory hotplug, which CH cannot undo); the virtio-mem
 * device exists from boot (update-memory-device changes it).
 */

/**
 * domain_def_memory_attach_prepare:
 * For the memory device @index domain_def_with_device() just added to the
 * running definition @def: gives it libvirt's alias ("virtiopmemN",
 * "dimmN") unless it has a user alias, and returns the call that plugs it:
 * *@endpoint ("vm.add-pmem" or "vm.resize") and its body (transfer full).
 * DRV_ERROR_OPERATION_UNSUPPORTED for a virtio-mem device.
 */
char *domain_def_memory_attach_prepare(DomainDef *def, guint index,
                                       const char **endpoint,
                                       GError **error);

/**
 * domain_def_find_memory_xml:
 * The memory device of @def that @xml (one <memory> element) describes:
 * by <alias> when it has one, else by model, size and source path.
 * DEVICE_MISSING when none matches, OPERATION_FAILED when several do.
 */
bool domain_def_find_memory_xml(const DomainDef *def, const char *xml,
                                guint *index, GError **error);
/* The memory device whose alias (or VMM id) is @alias. */
bool domain_def_find_memory_alias(const DomainDef *def, const char *alias,
                                  guint *index);

/**
 * domain_def_memory_detach_id:
 * The id vm.remove-device takes for memory device @index of a running
 * definition (transfer full), or NULL with DRV_ERROR_OPERATION_UNSUPPORTED
 * for a device nimbus cannot unplug (a DIMM, the virtio-mem device).
 */
char *domain_def_memory_detach_id(const DomainDef *def, guint index,
                                  GError **error);

/* Removes memory device @index, and its size from <memory> (libvirt).
 * @live: in a running definition the other virtio-pmem devices first get
 * their VMM id as alias (ids by position must not shift). */
void domain_def_memory_remove(DomainDef *def, guint index, bool live);
