/* SPDX-License-Identifier: Apache-2.0 */
/* The device-type registry: how each configurable device type is created from its config. */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <gio/gio.h>

#include "common/fd-util.h"
#include "config/vm-config-platform.h"
#include "devices/char/chardev.h"
#include "devices/net/net-backend.h"
#include "devices/pci/i6300esb.h"
#include "devices/pci/ivshmem.h"
#include "devices/pci/pvpanic.h"
#include "devices/registry.h"
#include "devices/tpm/tpm-crb.h"
#include "devices/virtio/balloon.h"
#include "devices/virtio/blk.h"
#include "devices/virtio/console.h"
#include "devices/virtio/fs.h"
#include "devices/virtio/net.h"
#include "devices/virtio/pmem.h"
#include "devices/virtio/rng.h"
#include "devices/virtio/vhost-user-blk.h"
#include "devices/virtio/vhost-user-generic.h"
#include "devices/virtio/vhost-user-net.h"
#include "devices/virtio/virtio-pci.h"
#include "devices/virtio/vsock.h"
#include "devices/virtio/watchdog.h"

/*
 * One descriptor per type, one line per type in registry_types[].  A type
 * is created from a config that passed vm_config_validate() and
 * vm_config_check_host(): ids are assigned, queue counts and sizes,
 * segments and iommu are within what the devices support, files exist.
 * So create() checks nothing again; what can still fail is the host
 * (a TAP that cannot be created, an image another process locked).
 */

/* PCI segment 0: its creator (the device manager) records its ECAM
 * window for the firmware tables, which devices/ knows nothing of. */
PciBus *
device_create_pci_bus(DeviceCreateCtx *ctx, GError **error)
{
    if (!ctx->bus)
        g_set_error_literal(error, G_IO_ERROR, G_IO_ERROR_FAILED,
                            "the VM has no PCI segment 0");
    return ctx->bus;
}

VmmDevice *
device_create_add(DeviceCreateCtx *ctx, VmmDevice *dev, GError **error)
{
    return device_host_add_device(ctx->host, dev, error) ? dev : NULL;
}

/* @vdev (transfer full; NULL when its constructor failed, with @error
 * set) behind a PCI function at @slot (-1: next free), not yet added. */
static VmmDevice *
reg_virtio_pci(DeviceCreateCtx *ctx, VirtioDevice *vdev, int slot)
{
    if (!vdev)
        return NULL;
    return virtio_pci_new(ctx->host, ctx->bus, vdev, slot);
}

VmmDevice *
device_create_virtio_pci(DeviceCreateCtx *ctx, VirtioDevice *vdev, int slot,
                         GError **error)
{
    VmmDevice *dev = reg_virtio_pci(ctx, vdev, slot);

    return dev ? device_create_add(ctx, dev, error) : NULL;
}

/* ---- Consoles: serial, debug console, virtio-console --------------------- */

static void
console_report(gpointer entry, const VmmDeviceRuntime *runtime)
{
    ConsoleConfig *con = entry;

    /* CH reports the pty it opened in the config's file. */
    if (con->mode == CONSOLE_MODE_PTY && runtime->pty) {
        g_free(con->file);
        con->file = g_strdup(runtime->pty);
    }
}

static bool
serial_cli(VmConfig *config, const char *value, GError **error)
{
    return vm_config_parse_console(&config->serial, "--serial", value, error);
}

static guint
serial_count(const VmConfig *config)
{
    return config->serial.mode != CONSOLE_MODE_OFF;
}

static gpointer
serial_entry(const VmConfig *config, guint i)
{
    return (gpointer)&config->serial;
}

static const char *
serial_id(gconstpointer entry)
{
    return DEVICE_ID_SERIAL;
}

static const DeviceType serial_type = {
    .name = "serial",
    .cli_option = "--serial",
    .json_key = "serial",
    .cli_help = "Serial port (16550 at 0x3f8): off|null|pty|tty|"
                "file=</path/to/a/file>|socket=</path/to/a/socket> "
                "[default: null]",
    .cli_parse = serial_cli,
    .count = serial_count,
    .entry = serial_entry,
    .id = serial_id,
    .report = console_report,
};

static bool
debug_console_cli(VmConfig *config, const char *value, GError **error)
{
    return vm_config_parse_console(&config->debug_console, "--debug-console",
                                   value, error);
}

static guint
debug_console_count(const VmConfig *config)
{
    return config->debug_console.mode != CONSOLE_MODE_OFF;
}

static gpointer
debug_console_entry(const VmConfig *config, guint i)
{
    return (gpointer)&config->debug_console;
}

static const char *
debug_console_id(gconstpointer entry)
{
    return DEVICE_ID_DEBUG_CONSOLE;
}

static const DeviceType debug_console_type = {
    .name = "debug-console",
    .cli_option = "--debug-console",
    .json_key = "debug_console",
    .cli_help = "Debug console (I/O port): off|pty|tty|file=</path/to/a/file>,"
                "iobase=<port in hex> [default: off,iobase=0xe9]",
    .cli_parse = debug_console_cli,
    .count = debug_console_count,
    .entry = debug_console_entry,
    .id = debug_console_id,
    .report = console_report,
};

static bool
console_cli(VmConfig *config, const char *value, GError **error)
{
    return vm_config_parse_console(&config->console, "--console", value,
                                   error);
}

static guint
console_count(const VmConfig *config)
{
    return config->console.mode != CONSOLE_MODE_OFF;
}

static gpointer
console_entry(const VmConfig *config, guint i)
{
    return (gpointer)&config->console;
}

static const char *
console_id(gconstpointer entry)
{
    return ((const ConsoleConfig *)entry)->id;
}

static VmmDevice *
console_create(DeviceCreateCtx *ctx, gpointer entry, GError **error)
{
    const ConsoleConfig *con = entry;
    CharBackend *be;
    g_autofree char *pty = NULL;
    VmmDevice *dev;

    if (!device_create_pci_bus(ctx, error) ||
        !(be = chardev_new(con, con->id,
                           device_host_main_context(ctx->host), error)))
        return NULL;
    pty = g_strdup(chardev_get_pty_path(be));
    dev = reg_virtio_pci(ctx, virtio_console_new(ctx->host, con->id, be,
                                                 error), -1);
    if (!dev)
        return NULL;
    dev->runtime.pty = g_steal_pointer(&pty);
    return device_create_add(ctx, dev, error);
}

static bool
console_behind_iommu(gconstpointer entry)
{
    return ((const ConsoleConfig *)entry)->iommu;
}

static const DeviceType console_type = {
    .name = "console",
    .cli_option = "--console",
    .json_key = "console",
    .cli_help = "virtio-console: off|null|pty|tty|file=</path/to/a/file>|"
                "socket=</path/to/a/socket>,iommu=on|off,id=<device_id> "
                "[default: tty]",
    .cli_parse = console_cli,
    .count = console_count,
    .entry = console_entry,
    .id = console_id,
    .create = console_create,
    .report = console_report,
    .behind_iommu = console_behind_iommu,
};

/* ---- Disks --------------------------------------------------------------- */

static bool
disk_cli(VmConfig *config, const char *value, GError **error)
{
    DiskConfig *disk = vm_config_parse_disk(value, error);

    if (disk)
        g_ptr_array_add(config->disks, disk);
    return disk != NULL;
}

static guint
disk_count(const VmConfig *config)
{
    return config->disks->len;
}

static gpointer
disk_entry(const VmConfig *config, guint i)
{
    return g_ptr_array_index(config->disks, i);
}

static const char *
disk_id(gconstpointer entry)
{
    return ((const DiskConfig *)entry)->id;
}

static gpointer
disk_from_json(JsonNode *node, GError **error)
{
    return disk_config_from_json_node(node, error);
}

static void
disk_attach(VmConfig *config, gpointer entry)
{
    g_ptr_array_add(config->disks, entry);
}

static void
disk_detach(VmConfig *config, guint i)
{
    g_ptr_array_remove_index(config->disks, i);
}

static VmmDevice *
disk_create(DeviceCreateCtx *ctx, gpointer entry, GError **error)
{
    const DiskConfig *disk = entry;
    VirtioDevice *vdev;

    if (!device_create_pci_bus(ctx, error))
        return NULL;
    /* vhost_user=on: the same virtio-blk function, a back end's queues. */
    vdev = disk->vhost_user ? vhost_user_blk_new(ctx->host, disk, error)
                            : virtio_blk_new(ctx->host, disk, true, error);
    return device_create_virtio_pci(ctx, vdev, disk->pci_device_id, error);
}

static bool
disk_behind_iommu(gconstpointer entry)
{
    return ((const DiskConfig *)entry)->iommu;
}

static const DeviceType disk_type = {
    .name = "disk",
    .cli_option = "--disk",
    .json_key = "disks",
    .cli_help = "path=<disk_image_path>,readonly=on|off,direct=on|off,"
                "iommu=on|off,num_queues=<number_of_queues>,"
                "queue_size=<size_of_each_queue>,id=<device_id>,"
                "serial=<serial_number>,image_type=raw,pci_segment=0,"
                "pci_device_id=<slot 1-31>,rate_limit_group=<group_id>,"
                "bw_size=<bytes>,bw_one_time_burst=<bytes>,"
                "bw_refill_time=<ms>,ops_size=<io_ops>,"
                "ops_one_time_burst=<io_ops>,ops_refill_time=<ms>,"
                "vhost_user=on|off,socket=<vhost_user_socket_path> "
                "[defaults: num_queues=1,queue_size=128, image type detected]",
    .cli_multi = true,
    .cli_parse = disk_cli,
    .hotplug = true,
    .count = disk_count,
    .entry = disk_entry,
    .id = disk_id,
    .from_json = disk_from_json,
    .attach = disk_attach,
    .detach = disk_detach,
    .create = disk_create,
    .behind_iommu = disk_behind_iommu,
};

/* ---- Nets ---------------------------------------------------------------- */

static bool
net_cli(VmConfig *config, const char *value, GError **error)
{
    NetConfig *net = vm_config_parse_net(value, error);

    if (net)
        g_ptr_array_add(config->net, net);
    return net != NULL;
}

static guint
net_count(const VmConfig *config)
{
    return config->net->len;
}

static gpointer
net_entry(const VmConfig *config, guint i)
{
    return g_ptr_array_index(config->net, i);
}

static const char *
net_id(gconstpointer entry)
{
    return ((const NetConfig *)entry)->id;
}

static gpointer
net_from_json(JsonNode *node, GError **error)
{
    return net_config_from_json_node(node, error);
}

static void
net_attach(VmConfig *config, gpointer entry)
{
    g_ptr_array_add(config->net, entry);
}

static void
net_detach(VmConfig *config, guint i)
{
    g_ptr_array_remove_index(config->net, i);
}

static void
net_report(gpointer entry, const VmmDeviceRuntime *runtime)
{
    NetConfig *net = entry;

    /* CH's vm.info shows the MAC and TAP a net ended up with. */
    if (!net->mac && runtime->mac)
        net->mac = g_strdup(runtime->mac);
    if (!net->tap && runtime->tap)
        net->tap = g_strdup(runtime->tap);
}

static VmmDevice *
net_create(DeviceCreateCtx *ctx, gpointer entry, GError **error)
{
    const NetConfig *net = entry;
    /* The device sees the MAC it uses; the config keeps what was asked. */
    NetConfig eff = *net;
    g_autofree char *mac = NULL;
    g_autofree char *tap = NULL;
    /* Handed to tap_open(), which closes them even when it fails. */
    g_autoptr(GArray) dups = NULL;
    NetBackend *be;
    VmmDevice *dev;

    if (!device_create_pci_bus(ctx, error))
        return NULL;
    /* CH picks a random local MAC when none is given, and reports it. */
    if (!net->mac)
        eff.mac = mac = vm_config_mac_random_string();
    /* vhost_user=on: the same virtio-net function, a back end's queues. */
    if (net->vhost_user) {
        dev = reg_virtio_pci(ctx, vhost_user_net_new(ctx->host, &eff, error),
                             net->pci_device_id);
        if (!dev)
            return NULL;
        dev->runtime.mac = g_strdup(eff.mac);
        return device_create_add(ctx, dev, error);
    }
    /* The backend owns (and closes) the TAP fds it is given; the ones in
     * the config are the API's, which closes them itself: it gets
     * duplicates. */
    if (net->fds && net->fds->len > 0) {
        dups = g_array_new(FALSE, FALSE, sizeof(int));
        for (guint i = 0; i < net->fds->len; i++) {
            int fd = fcntl(g_array_index(net->fds, int, i), F_DUPFD_CLOEXEC,
                           3);

            if (fd < 0) {
                int e = errno;

                g_set_error(error, G_IO_ERROR, g_io_error_from_errno(e),
                            "net '%s': cannot duplicate TAP fd %d: %s",
                            net->id, g_array_index(net->fds, int, i),
                            g_strerror(e));
                for (guint j = 0; j < dups->len; j++)
                    fd_close(g_array_index(dups, int, j));
                return NULL;
            }
            g_array_append_val(dups, fd);
        }
        eff.fds = dups;
    }
    be = tap_open(&eff, net->num_queues / 2, error);
    if (!be) {
        /* Named by the device, as over REST the option means nothing. */
        g_prefix_error(error, "%s: ", net->id);
        return NULL;
    }
    tap = g_strdup(be->ifname);
    dev = reg_virtio_pci(ctx, virtio_net_new(ctx->host, &eff, be, error),
                         net->pci_device_id);
    if (!dev)
        return NULL;
    dev->runtime.mac = g_strdup(eff.mac);
    dev->runtime.tap = g_steal_pointer(&tap);
    return device_create_add(ctx, dev, error);
}

static bool
net_behind_iommu(gconstpointer entry)
{
    return ((const NetConfig *)entry)->iommu;
}

static const DeviceType net_type = {
    .name = "net",
    .cli_option = "--net",
    .json_key = "net",
    .cli_help = "tap=<if_name>,ip=<ip_addr>,mask=<net_mask>,mac=<mac_addr>,"
                "host_mac=<mac_addr>,mtu=<mtu>,fd=[<fd1>,<fd2>...],"
                "iommu=on|off,num_queues=<number_of_queues>,"
                "queue_size=<size_of_each_queue>,id=<device_id>,"
                "pci_segment=0,pci_device_id=<slot 1-31>,offload_tso=on|off,"
                "offload_ufo=on|off,offload_csum=on|off,bw_size=<bytes>,"
                "bw_one_time_burst=<bytes>,bw_refill_time=<ms>,"
                "ops_size=<io_ops>,ops_one_time_burst=<io_ops>,"
                "ops_refill_time=<ms>,vhost_user=on|off,"
                "socket=<vhost_user_socket_path>,vhost_mode=client|server "
                "[defaults: num_queues=2,queue_size=256, random local MAC]",
    .cli_multi = true,
    .cli_parse = net_cli,
    .hotplug = true,
    .count = net_count,
    .entry = net_entry,
    .id = net_id,
    .from_json = net_from_json,
    .attach = net_attach,
    .detach = net_detach,
    .create = net_create,
    .report = net_report,
    .behind_iommu = net_behind_iommu,
};

/* ---- Rng ----------------------------------------------------------------- */

static bool
rng_cli(VmConfig *config, const char *value, GError **error)
{
    return vm_config_parse_rng(&config->rng, value, error);
}

static guint
rng_count(const VmConfig *config)
{
    return 1;   /* CH always has one */
}

static gpointer
rng_entry(const VmConfig *config, guint i)
{
    return (gpointer)&config->rng;
}

static const char *
rng_id(gconstpointer entry)
{
    return ((const RngConfig *)entry)->id;
}

static VmmDevice *
rng_create(DeviceCreateCtx *ctx, gpointer entry, GError **error)
{
    if (!device_create_pci_bus(ctx, error))
        return NULL;
    return device_create_virtio_pci(ctx, virtio_rng_new(ctx->host, entry,
                                                        error), -1, error);
}

static bool
rng_behind_iommu(gconstpointer entry)
{
    return ((const RngConfig *)entry)->iommu;
}

static const DeviceType rng_type = {
    .name = "rng",
    .cli_option = "--rng",
    .json_key = "rng",
    .cli_help = "Random number generator: src=<entropy_source_path>,"
                "iommu=on|off [default: src=/dev/urandom]",
    .cli_parse = rng_cli,
    .count = rng_count,
    .entry = rng_entry,
    .id = rng_id,
    .create = rng_create,
    .behind_iommu = rng_behind_iommu,
};

/* ---- The registry -------------------------------------------------------- */

/* Creation order: the legacy ports first, then the virtio devices in CH's
 * order (console, disks, nets, rng), which fixes their PCI slots; then the
 * types with a config kind, in the order of VmConfig's table
 * (vm_config_validate() assigns their slots in that order). */
static const DeviceType *const registry_types[] = {
    &serial_type,
    &debug_console_type,
    &console_type,
    &disk_type,
    &net_type,
    &rng_type,
    &pvpanic_type,
    &virtio_watchdog_type,
    &virtio_balloon_type,
    &virtio_fs_type,
    &vhost_user_generic_type,
    &virtio_pmem_type,
    &virtio_vsock_type,
    &tpm_type,
    &ivshmem_type,
    &i6300esb_type,
    NULL
};

void
device_registry_init(void)
{
    static gsize done;

    if (g_once_init_enter(&done)) {
        for (guint i = 0; registry_types[i]; i++) {
            if (registry_types[i]->kind)
                vm_config_kind_register(registry_types[i]->kind);
        }
        g_once_init_leave(&done, 1);
    }
}

guint
device_type_count(const DeviceType *type, const VmConfig *config)
{
    return type->kind ? vm_config_kind_count(config, type->kind)
                      : type->count(config);
}

gpointer
device_type_entry(const DeviceType *type, const VmConfig *config, guint i)
{
    return type->kind ? vm_config_kind_entry(config, type->kind, i)
                      : type->entry(config, i);
}

const char *
device_type_id(const DeviceType *type, gconstpointer entry)
{
    return type->kind ? vm_config_kind_id(type->kind, entry)
                      : type->id(entry);
}

bool
device_type_cli_parse(const DeviceType *type, VmConfig *config,
                      const char *value, GError **error)
{
    gpointer entry;

    if (!type->kind)
        return type->cli_parse(config, value, error);
    if (!(entry = vm_config_kind_parse_cli(type->kind, value, error)))
        return false;
    vm_config_kind_append(config, type->kind, entry);
    return true;
}

static gpointer
device_type_from_json(const DeviceType *type, JsonNode *body, GError **error)
{
    return type->kind ? vm_config_kind_from_json(type->kind, body, error)
                      : type->from_json(body, error);
}

static void
device_type_attach(const DeviceType *type, VmConfig *config, gpointer entry)
{
    if (type->kind)
        vm_config_kind_append(config, type->kind, entry);
    else
        type->attach(config, entry);
}

const DeviceType *const *
device_registry_types(void)
{
    device_registry_init();
    return registry_types;
}

const DeviceType *
device_registry_lookup(const char *name)
{
    device_registry_init();
    for (guint i = 0; registry_types[i]; i++) {
        if (g_strcmp0(registry_types[i]->name, name) == 0)
            return registry_types[i];
    }
    return NULL;
}

bool
device_registry_create_all(DeviceCreateCtx *ctx, const VmConfig *config,
                           GError **error)
{
    ctx->iommu = (DeviceIommuTopology){ 0 };
    for (guint t = 0; registry_types[t]; t++) {
        const DeviceType *type = registry_types[t];
        guint n = device_type_count(type, config);

        /* Types without create() are the platform's (see their
         * descriptors). */
        for (guint i = 0; type->create && i < n; i++) {
            if (!type->create(ctx, device_type_entry(type, config, i), error))
                return false;
        }
    }
    return !config->iommu ||
           device_registry_create_iommu(ctx, config, error);
}

/* vm.add-*'s checks: *@next is a copy of @config with the new entry
 * attached (the last of its type), validated as vm.create validates. */
static const DeviceType *
registry_prepare(const VmConfig *config, const char *type_name,
                 JsonNode *body, const int *fds, guint n_fds,
                 VmConfig **next, GError **error)
{
    const DeviceType *type = device_registry_lookup(type_name);
    g_autoptr(VmConfig) copy = NULL;
    gpointer entry;

    if (!type) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
                    "unknown device type '%s'", type_name);
        return NULL;
    }
    if (!type->hotplug) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
                    "%s devices cannot be hot-added", type->name);
        return NULL;
    }
    if (type->kind && vm_config_kind_single(type->kind) &&
        device_type_count(type, config)) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_EXISTS,
                    "the VM already has a %s device (one at most)",
                    type->name);
        return NULL;
    }
    if (!(entry = device_type_from_json(type, body, error)))
        return NULL;
    /* The config as it would be with the device, checked by the same rules
     * as vm.create (ids unique across every device, the default id
     * assigned once, here); the VM's config changes only on success. */
    copy = vm_config_copy(config);
    device_type_attach(type, copy, entry);
    /* Only a net takes descriptors (its TAP queues, in its "fds"): they
     * fill the body's placeholders, as for vm.create. */
    if (type == &net_type) {
        if (!net_config_attach_fds(entry, fds, n_fds, error))
            return NULL;
    } else if (n_fds > 0) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                    "%s devices take no fds (%u received)", type->name,
                    n_fds);
        return NULL;
    }
    if (!vm_config_validate(copy, error) ||
        !vm_config_check_host(copy, VM_CONFIG_NAMES_JSON, error))
        return NULL;
    *next = g_steal_pointer(&copy);
    return type;
}

VmmDevice *
device_registry_add(DeviceCreateCtx *ctx, VmConfig **config,
                    const char *type_name, JsonNode *body, const int *fds,
                    guint n_fds, GError **error)
{
    g_autoptr(VmConfig) next = NULL;
    const DeviceType *type;
    gpointer entry;
    VmmDevice *dev;

    type = registry_prepare(*config, type_name, body, fds, n_fds, &next,
                            error);
    if (!type)
        return NULL;
    entry = device_type_entry(type, next, device_type_count(type, next) - 1);
    /* The guest learnt from the VIOT at boot which functions the IOMMU
     * translates, and never reads it again: only a segment that
     * iommu_segments put behind it, all its slots, has room for more (CH
     * refuses the others too). */
    if (type->behind_iommu && type->behind_iommu(entry) &&
        !platform_config_iommu_segment(next->platform, 0)) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
                    "%s '%s': iommu=on cannot be hot-added: the ACPI VIOT "
                    "table listing the functions the virtio-iommu "
                    "translates is fixed at boot (--platform "
                    "iommu_segments=[0] lists the whole segment)",
                    type->name, device_type_id(type, entry));
        return NULL;
    }
    dev = type->create(ctx, entry, error);
    if (!dev)
        return NULL;
    vm_config_free(*config);
    *config = g_steal_pointer(&next);
    return dev;
}

bool
device_registry_add_config(VmConfig **config, const char *type_name,
                           JsonNode *body, const int *fds, guint n_fds,
                           GError **error)
{
    g_autoptr(VmConfig) next = NULL;

    if (!registry_prepare(*config, type_name, body, fds, n_fds, &next, error))
        return false;
    vm_config_free(*config);
    *config = g_steal_pointer(&next);
    return true;
}

const DeviceType *
device_registry_find_entry(const VmConfig *config, const char *id,
                           guint *index)
{
    for (guint t = 0; registry_types[t]; t++) {
        const DeviceType *type = registry_types[t];
        guint n = device_type_count(type, config);

        for (guint i = 0; i < n; i++) {
            if (g_strcmp0(device_type_id(type, device_type_entry(type, config,
                                                                 i)),
                          id) == 0) {
                *index = i;
                return type;
            }
        }
    }
    return NULL;
}

bool
device_registry_detach(VmConfig **config, const char *id, GError **error)
{
    guint i = 0;
    const DeviceType *type = device_registry_find_entry(*config, id, &i);
    VmConfig *next;

    if (!type) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
                    "no device with id '%s'", id);
        return false;
    }
    if (type->kind ? !type->hotplug : !type->detach) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
                    "'%s' is a %s device, which cannot be hot-removed", id,
                    type->name);
        return false;
    }

    /* A copy, like device_registry_add(): the config of record is
     * replaced whole, never edited in place. */
    next = vm_config_copy(*config);
    if (type->kind)
        vm_config_kind_remove(next, type->kind, i);
    else
        type->detach(next, i);
    vm_config_free(*config);
    *config = next;
    return true;
}

JsonNode *
device_registry_runtime_info(DeviceHost *host, const VmConfig *config)
{
    JsonObject *all = json_object_new();
    JsonNode *node = json_node_new(JSON_NODE_OBJECT);

    for (guint t = 0; registry_types[t]; t++) {
        const DeviceType *type = registry_types[t];
        guint n = device_type_count(type, config);

        for (guint i = 0; i < n; i++) {
            const char *id = device_type_id(type,
                                            device_type_entry(type, config, i));
            VmmDevice *dev = id ? device_host_find_device(host, id) : NULL;
            g_autofree char *bdf = NULL;
            JsonObject *o;

            if (!dev)
                continue;
            o = json_object_new();
            if (dev->runtime.pty)
                json_object_set_string_member(o, "pty", dev->runtime.pty);
            if (dev->runtime.mac)
                json_object_set_string_member(o, "mac", dev->runtime.mac);
            if (dev->runtime.tap)
                json_object_set_string_member(o, "tap", dev->runtime.tap);
            if (dev->ops->pci_bdf && (bdf = dev->ops->pci_bdf(dev)))
                json_object_set_string_member(o, "pci_bdf", bdf);
            json_object_set_object_member(all, id, o);
        }
    }
    json_node_take_object(node, all);
    return node;
}

VmConfig *
device_registry_config_with_runtime(DeviceHost *host, const VmConfig *config)
{
    VmConfig *copy = vm_config_copy(config);

    for (guint t = 0; registry_types[t]; t++) {
        const DeviceType *type = registry_types[t];
        guint n = device_type_count(type, copy);

        for (guint i = 0; type->report && i < n; i++) {
            gpointer entry = device_type_entry(type, copy, i);
            const char *id = device_type_id(type, entry);
            VmmDevice *dev = id ? device_host_find_device(host, id) : NULL;

            if (dev)
                type->report(entry, &dev->runtime);
        }
    }
    return copy;
}
