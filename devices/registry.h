/* SPDX-License-Identifier: Apache-2.0 */
/* The device-type registry: one descriptor per configurable device type. */
#pragma once

#include <stdbool.h>
#include <glib.h>
#include <json-glib/json-glib.h>

#include "config/vm-config.h"
#include "config/vm-config-kind.h"
#include "devices/device-host.h"
#include "devices/device.h"
#include "devices/pci/pci-bus.h"
#include "devices/pci/pci.h"
#include "devices/virtio/virtio.h"

/* The ids of the platform's consoles, as Cloud Hypervisor names them
 * (the architecture creates those devices: see DeviceType.create). */
#define DEVICE_ID_SERIAL        "__serial"
#define DEVICE_ID_DEBUG_CONSOLE "__debug_console"

/* The virtio-iommu device_registry_create_all() made, for the firmware
 * tables (the VIOT): PCI functions of segment 0, as bus << 8 | devfn. */
typedef struct {
    bool present;
    uint16_t bdf;                   /* the IOMMU's own function */
    uint16_t endpoints[PCI_SLOTS];  /* the functions it translates */
    unsigned n_endpoints;
} DeviceIommuTopology;

/* What a type's create() builds on: the VM's device host and its PCI
 * segment 0 (created by the device manager, which records its ECAM window
 * for the firmware tables); @iommu is filled by
 * device_registry_create_all(). */
typedef struct {
    DeviceHost *host;
    PciBus *bus;
    DeviceIommuTopology iommu;
} DeviceCreateCtx;

/*
 * For a type's create(), in the device's own file: PCI segment 0, or NULL
 * with @error when the VM has none; @dev (transfer full) added to the VM;
 * @vdev (transfer full; NULL when its constructor failed, with @error
 * set) behind a PCI function at @slot (-1: the next free), added to the
 * VM.  The devices return (transfer none), or NULL with @error set.
 */
PciBus *device_create_pci_bus(DeviceCreateCtx *ctx, GError **error);
VmmDevice *device_create_add(DeviceCreateCtx *ctx, VmmDevice *dev,
                             GError **error);
VmmDevice *device_create_virtio_pci(DeviceCreateCtx *ctx, VirtioDevice *vdev,
                                    int slot, GError **error);

/**
 * DeviceType:
 * @name: the type's name, as in vm.add-<name> ("disk", "net", ...)
 * @cli_option: the CLI option that configures it ("--disk")
 * @json_key: its member of the VmConfig JSON ("disks")
 * @cli_help: the --help text of @cli_option: CH's syntax and defaults
 * @cli_multi: @cli_option takes several values and may repeat (--disk)
 * @cli_flag: @cli_option takes no value (--pvpanic); @cli_parse gets NULL
 * @example: a value of @cli_option that creates a device of the type on
 *   its own (needed for a @kind type: the registry-walking state tests
 *   create each type from it)
 * @hotplug: whether it can be hot-added and removed (CH: disk and net)
 * @kind: for a type whose config struct is described in its own file
 *   (vm-config-kind.h: its field table, rules and JSON key): the
 *   accessors below (@count ... @detach, @cli_parse) are derived from it
 *   and left NULL.  Types built into VmConfig (disks, net, rng, the
 *   consoles) have no kind; their field tables are in config/.
 * @cli_parse: applies one value of @cli_option to @config (a disk is
 *   appended, the rng replaced); errors name the option
 * @count: how many devices of the type @config asks for (0 or 1 for the
 *   consoles and the rng)
 * @entry: the config of device @i (transfer none), inside @config
 * @id: the device id of @entry (validated: ids are assigned)
 * @from_json: a vm.add-<name> body as a new config entry (transfer full);
 *   NULL when @hotplug is false
 * @attach: appends @entry (transfer full) to @config; NULL when @hotplug
 *   is false
 * @detach: removes (and frees) entry @i of @config, for vm.remove-device;
 *   NULL when @hotplug is false
 * @create: creates the device for @entry, records its runtime facts
 *   (VmmDeviceRuntime) and adds it to the VM with device_host_add_device(),
 *   which realizes it.  Returns (transfer none) the device, owned by the
 *   VM.  NULL for the platform's consoles (--serial, --debug-console): the
 *   architecture creates those with the rest of the machine
 *   (arch_platform_create()); their descriptors are here for their config
 *   and runtime facts.
 * @report: writes a device's runtime facts into @entry of a *copy* of
 *   the config, for vm.info's CH-compatible config (the pty path in
 *   serial.file, a generated MAC); NULL when the type has none
 * @behind_iommu: whether @entry asks to be translated by the virtio-iommu
 *   (iommu=on); NULL for the types that never are (config/ refuses their
 *   iommu=on).  A device that is must be a virtio-pci function.
 *
 * There is no per-type validate(): every rule has one owner,
 * vm_config_validate(), which sees the whole config (ids are unique across
 * types, queue counts depend on the vCPUs); device_registry_add() runs it
 * on the config with the new entry attached.  create() trusts an entry
 * that passed it and vm_config_check_host().
 */
typedef struct {
    const char *name;
    const char *cli_option;
    const char *json_key;
    const char *cli_help;
    bool cli_multi;
    bool cli_flag;
    const char *example;
    bool hotplug;
    const VmConfigKind *kind;
    bool (*cli_parse)(VmConfig *config, const char *value, GError **error);
    guint (*count)(const VmConfig *config);
    gpointer (*entry)(const VmConfig *config, guint i);
    const char *(*id)(gconstpointer entry);
    gpointer (*from_json)(JsonNode *node, GError **error);
    void (*attach)(VmConfig *config, gpointer entry);
    void (*detach)(VmConfig *config, guint i);
    VmmDevice *(*create)(DeviceCreateCtx *ctx, gpointer entry,
                         GError **error);
    void (*report)(gpointer entry, const VmmDeviceRuntime *runtime);
    bool (*behind_iommu)(gconstpointer entry);
} DeviceType;

/* Registers the config kinds of the types that have one
 * (vm_config_kind_register()), so that configs can name them; idempotent,
 * and done by the first call of any function below.  Call it before
 * parsing a config in a program that reaches the registry later or not at
 * all (nimbusd validates configs with it). */
void device_registry_init(void);

/* The accessors of @type, whether derived from its kind or its own. */
guint device_type_count(const DeviceType *type, const VmConfig *config);
gpointer device_type_entry(const DeviceType *type, const VmConfig *config,
                           guint i);
const char *device_type_id(const DeviceType *type, gconstpointer entry);
bool device_type_cli_parse(const DeviceType *type, VmConfig *config,
                           const char *value, GError **error);

/* The registered types, in creation order (CH's: serial, debug console,
 * then the virtio devices console, disks, nets, rng); NULL-terminated. */
const DeviceType *const *device_registry_types(void);
/* The type called @name, or NULL. */
const DeviceType *device_registry_lookup(const char *name);

/**
 * device_registry_create_all:
 * Walks @config (validated): for each registered type, each entry is
 * created and added to @ctx->host (types without create() are skipped:
 * the platform made them).  Then, when @config->iommu, the virtio-iommu
 * (VIRTIO_IOMMU_ID): each device whose entry is behind_iommu() gets its
 * translation (endpoint = its BDF on segment 0), and the IOMMU takes the
 * next free PCI slot; @ctx->iommu says where they all are.  On error the
 * devices already added stay with the VM, which its creator frees.
 */
bool device_registry_create_all(DeviceCreateCtx *ctx, const VmConfig *config,
                                GError **error);

/* The virtio-iommu part of device_registry_create_all(), once the other
 * devices exist (devices/registry-iommu.c). */
bool device_registry_create_iommu(DeviceCreateCtx *ctx,
                                  const VmConfig *config, GError **error);

/**
 * device_registry_iommu_attach:
 * For @dev, just made by device_registry_add() and not yet announced to the
 * guest: when its entry in @config asks for iommu=on (which that allows only
 * on a segment --platform iommu_segments lists), its queues translate
 * through the endpoint its slot was given at boot.  True for any other
 * device; false with @error (the caller removes @dev).
 */
bool device_registry_iommu_attach(DeviceCreateCtx *ctx,
                                  const VmConfig *config, VmmDevice *dev,
                                  GError **error);

/* The device in PCI slot @slot of segment 0 is gone: its endpoint, if the
 * VM's virtio-iommu has one there, is detached and free for the next. */
void device_registry_iommu_release(DeviceHost *host, unsigned slot);

/**
 * device_registry_add:
 * vm.add-<@type_name>: look up, validate, create, add.  @body is the
 * request body; *@config is the VM's config of record, replaced by one
 * with the new entry (its default id assigned) only when the device was
 * created and added.  @fds (@n_fds of them; transfer none, the caller
 * keeps and closes them) fill a net's "fds" placeholders as vm.create's
 * do; the device works on duplicates of them.  Errors:
 * G_IO_ERROR_NOT_FOUND for an unknown type,
 * G_IO_ERROR_NOT_SUPPORTED for one that cannot be hot-added, the
 * parser's and vm_config_validate()'s errors (JSON names) otherwise.
 * G_IO_ERROR_NOT_SUPPORTED also for an entry with iommu=on, unless its
 * segment is one --platform iommu_segments lists: the guest learnt from
 * the VIOT at boot which functions the IOMMU translates (the caller then
 * gives the device its translation: device_registry_iommu_attach()).
 * Telling a running guest about the new device (PCI hotplug) is the
 * caller's (daemon/vmm-hotplug.c).
 * Returns (transfer none) the new device, owned by the VM.
 */
VmmDevice *device_registry_add(DeviceCreateCtx *ctx, VmConfig **config,
                               const char *type_name, JsonNode *body,
                               const int *fds, guint n_fds, GError **error);

/**
 * device_registry_add_config:
 * vm.add-<@type_name> on a VM that is created but not running yet: the
 * same checks as device_registry_add(), then only *@config gains the
 * entry (its devices are built at boot: the caller keeps @fds open until
 * then, as for vm.create).
 */
bool device_registry_add_config(VmConfig **config, const char *type_name,
                                JsonNode *body, const int *fds, guint n_fds,
                                GError **error);

/**
 * device_registry_find_entry:
 * The type of the entry of @config whose device id is @id, and its index
 * in *@index; NULL if no configured device has that id.
 */
const DeviceType *device_registry_find_entry(const VmConfig *config,
                                             const char *id, guint *index);

/**
 * device_registry_detach:
 * vm.remove-device's config side: *@config (the config of record) is
 * replaced by one without the entry of @id.  G_IO_ERROR_NOT_FOUND when no
 * configured device has that id, G_IO_ERROR_NOT_SUPPORTED when its type
 * cannot be hot-removed; *@config is unchanged then.
 */
bool device_registry_detach(VmConfig **config, const char *id,
                            GError **error);

/**
 * device_registry_runtime_info:
 * vm.info's "runtime": {id: {"pty", "mac", "tap", "pci_bdf"}} for every
 * device of @config that @host has, with only the facts it has.
 * Returns (transfer full).
 */
JsonNode *device_registry_runtime_info(DeviceHost *host,
                                       const VmConfig *config);

/**
 * device_registry_config_with_runtime:
 * A copy of @config with the devices' runtime facts written in where CH's
 * vm.info reports them (serial/console/debug_console.file of a Pty, the
 * net's mac and tap when the config had none).  @config itself is never
 * changed.  Returns (transfer full).
 */
VmConfig *device_registry_config_with_runtime(DeviceHost *host,
                                              const VmConfig *config);
