/* SPDX-License-Identifier: Apache-2.0 */
/* One <disk>, <interface> or <filesystem> in a definition: attach/detach-device XML. */
#pragma once

#include <stdbool.h>
#include <glib.h>

#include "driver/xml/domain-conf.h"

/*
 * The device classes nimbusd hot-plugs: nimbus's vm.add-disk and
 * vm.add-net, and vm.remove-device for either.  A device is named by its
 * kind and its index among the definition's devices of that kind.
 */
typedef enum {
    DOMAIN_HOTPLUG_DISK,
    DOMAIN_HOTPLUG_NET,
    /* <memory> devices: only domain_def_with_device() here; the rest is
     * driver/xml/memory-xml.h's (driver/memory-device.c). */
    DOMAIN_HOTPLUG_MEMORY,
    /* <filesystem> (virtiofs): vm.add-fs on the virtiofsd nimbusd starts
     * for it (driver/fs-device.c); matched by its target dir. */
    DOMAIN_HOTPLUG_FS,
} DomainHotplugKind;

/**
 * domain_def_with_device:
 * A copy of @def with the device of @xml (one <disk> or <interface>
 * element) appended, run through the whole parse pipeline (unsupported
 * elements, schema, defaults, validation), so that a device is refused
 * with the same words as in a definition: a duplicate target, a missing
 * source...  @live: @def is a running definition (its live data, aliases
 * and pty paths, are kept); otherwise a persistent one.  The device is the
 * last of *@kind.  (transfer full)
 */
DomainDef *domain_def_with_device(const DomainDef *def, const char *xml,
                                  bool live, DomainHotplugKind *kind,
                                  guint *index, GError **error);

/* Gives device @index of @kind an alias no other device uses (libvirt's
 * "virtio-diskN", "netN", "fsN"), unless it has a user alias ("ua-"):
 * the name nimbus then knows it by. */
void domain_def_device_assign_alias(DomainDef *def, DomainHotplugKind kind,
                                    guint index);

/**
 * domain_def_hotplug_prepare:
 * For a device domain_def_with_device() just added to a running
 * definition: resolves its volume, creates its TAP (added to @created),
 * gives it an alias no other device uses (libvirt's "virtio-diskN" and
 * "netN", unless it has a user alias), which nimbus then knows it by, and
 * returns the body of vm.add-disk / vm.add-net.  (transfer full)
 */
char *domain_def_hotplug_prepare(DomainDef *def, DomainHotplugKind kind,
                                 guint index, DomainVolumeResolver resolve,
                                 gpointer resolve_data,
                                 DomainNetAttachFunc attach,
                                 gpointer attach_data, GPtrArray *created,
                                 GError **error);

/* Records the PCI address nimbus reports ("0000:00:05.0") on the device. */
bool domain_def_device_set_pci_address(DomainDef *def, DomainHotplugKind kind,
                                       guint index, const char *bdf,
                                       GError **error);

/**
 * domain_def_find_device_xml:
 * The device of @def that @xml describes, as libvirt matches on detach:
 * a disk by its target dev, an interface by its MAC address (or, without
 * one, the only interface), a filesystem by its target dir, any of them
 * by <alias> when given.  DEVICE_MISSING
 * when none matches; OPERATION_FAILED when several do.
 */
bool domain_def_find_device_xml(const DomainDef *def, const char *xml,
                                DomainHotplugKind *kind, guint *index,
                                GError **error);
/* The device whose alias (or, without one, VMM id) is @alias. */
bool domain_def_find_device_alias(const DomainDef *def, const char *alias,
                                  DomainHotplugKind *kind, guint *index,
                                  GError **error);

/* The id nimbus knows the device by (transfer full). */
char *domain_def_device_vmm_id(const DomainDef *def, DomainHotplugKind kind,
                               guint index);
/* The device's TAP when nimbusd made it (bridge, network), else NULL
 * (transfer full). */
char *domain_def_device_bridged_tap(const DomainDef *def,
                                    DomainHotplugKind kind, guint index);

/**
 * domain_def_remove_device:
 * Removes the device.  In a running definition (@live), the interfaces
 * (filesystems) without an alias first get their VMM id as alias: nimbusd
 * numbers them by position at start, and a removal must not renumber the
 * others.
 */
void domain_def_remove_device(DomainDef *def, DomainHotplugKind kind,
                              guint index, bool live);

/* The device nimbus knows as @vmm_id, for its device-removed event. */
bool domain_def_find_device_vmm_id(const DomainDef *def, const char *vmm_id,
                                   DomainHotplugKind *kind, guint *index);
