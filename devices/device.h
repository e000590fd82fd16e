/* SPDX-License-Identifier: Apache-2.0 */
/* The device interface: every emulated device embeds a VmmDevice. */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <glib.h>
#include <json-glib/json-glib.h>

typedef struct DeviceHost DeviceHost;   /* devices/device-host.h */
typedef struct VmmDevice VmmDevice;

/**
 * VmmDeviceOps:
 *
 * A device's behaviour, always a `static const` table: nothing ever writes
 * into it.  Threads: realize/unrealize/pause/resume/save/restore run on the
 * control thread (the VM's GMainContext) with the vCPUs paused where the
 * operation needs it; read/write run on a vCPU thread and must not block on
 * control-plane locks; reset runs on the control thread with vCPUs stopped.
 *
 * @read/@write receive the offset from the start of the range the device
 * registered on a bus (see bus_register()), and an access of 1, 2, 4 or 8
 * bytes (@len).  A read fills all @len bytes of @data (little-endian).
 * Guest accesses never fail: an access the device does not understand is
 * ignored (reads return all-ones) and logged at debug level.
 *
 * @save returns the device's state as a JSON object (the snapshot format
 * keeps one JSON value per device id); @restore takes it back.  Both are
 * mandatory for every device: the roadmap's snapshot/restore and live
 * migration rely on them.
 */
typedef struct {
    const char *name;
    bool (*realize)(VmmDevice *dev, GError **error);
    void (*unrealize)(VmmDevice *dev);
    void (*reset)(VmmDevice *dev);
    void (*read)(VmmDevice *dev, uint64_t off, void *data, unsigned len);
    void (*write)(VmmDevice *dev, uint64_t off, const void *data, unsigned len);
    /* Optional: devices with worker threads stop/restart them here. */
    bool (*pause)(VmmDevice *dev, GError **error);
    bool (*resume)(VmmDevice *dev, GError **error);
    JsonNode *(*save)(VmmDevice *dev, GError **error);
    bool (*restore)(VmmDevice *dev, JsonNode *state, GError **error);
    /* Optional: counters for vm.counters, a JSON object {name: int}. */
    JsonNode *(*counters)(VmmDevice *dev);
    /* Optional: the PCI address "SSSS:BB:DD.F" of a PCI device (transfer
     * full), for vm.info's device_tree and hotplug answers. */
    char *(*pci_bdf)(VmmDevice *dev);
    /* Frees the containing struct (after unrealize). */
    void (*free)(VmmDevice *dev);
} VmmDeviceOps;

/**
 * VmmDeviceRuntime:
 * Facts a device learns while it is created: the path of the pty it
 * opened, the MAC it uses (generated when the config has none), the TAP it
 * opened (NULL: none).  vm.info
 * reports them in its "runtime" record next to the config; they are never
 * written into the VmConfig, which stays what the user asked for (and is
 * what a snapshot saves).  Set before the device is added to the VM, then
 * immutable.
 */
typedef struct {
    char *pty;
    char *mac;
    char *tap;
} VmmDeviceRuntime;

/**
 * VmmDevice:
 * @ops: immutable
 * @id: the device id used by vm.info's device_tree, vm.counters and
 *      snapshots ("__serial", "_disk0", ...); immutable after creation
 * @host: what the device reaches the VM through (devices/device-host.h);
 *        immutable, outlives the device
 * @runtime: see VmmDeviceRuntime; owned, freed with the device
 */
struct VmmDevice {
    const VmmDeviceOps *ops;
    char *id;
    DeviceHost *host;
    VmmDeviceRuntime runtime;
};

/* Sets the common fields; @id is copied. */
void vmm_device_init(VmmDevice *dev, const VmmDeviceOps *ops, DeviceHost *host,
                     const char *id);
/* Unrealizes nothing: frees @id and calls ops->free.  NULL is accepted. */
void vmm_device_free(VmmDevice *dev);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(VmmDevice, vmm_device_free)

/**
 * vmm_device_list_add:
 * What every DeviceHost's add_device does with its list (GPtrArray of
 * VmmDevice*): refuses an id already in @devices (G_IO_ERROR_EXISTS),
 * realizes @dev (errors prefixed with its id; ranges it registered before
 * failing are dropped), then appends it.  @dev is (transfer full): freed
 * on any error.  One helper, so that the real VM and the unit tests' fake
 * cannot disagree on what a valid addition is.
 */
bool vmm_device_list_add(GPtrArray *devices, VmmDevice *dev, GError **error);
/* (transfer none) the device called @id in @devices, or NULL. */
VmmDevice *vmm_device_list_find(GPtrArray *devices, const char *id);

/* Fills @data with all-ones: what an unclaimed or unknown read returns. */
void vmm_device_read_ones(void *data, unsigned len);
/* Little-endian helpers for register emulation. */
uint64_t vmm_le_load(const void *data, unsigned len);
void vmm_le_store(void *data, unsigned len, uint64_t value);
