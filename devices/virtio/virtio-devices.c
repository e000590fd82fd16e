/* SPDX-License-Identifier: Apache-2.0 */
/* Creates the VM's virtio devices (--console, --disk, --net, --rng) on PCI segment 0. */
#include <config.h>

#include <gio/gio.h>

#include "devices/net/net-backend.h"
#include "devices/virtio/blk.h"
#include "devices/virtio/console.h"
#include "devices/virtio/net.h"
#include "devices/virtio/rng.h"
#include "devices/virtio/virtio-devices.h"
#include "devices/virtio/virtio-pci.h"

/* @vdev (transfer full) behind a PCI function at @slot (-1: next free). */
static bool
vd_add(Vm *vm, PciBus *bus, VirtioDevice *vdev, int slot, GError **error)
{
    if (!vdev)
        return false;
    return vm_add_device(vm, virtio_pci_new(vm, bus, vdev, slot), error);
}

static bool
vd_console(Vm *vm, PciBus *bus, GError **error)
{
    ConsoleConfig *con = &vm_get_config_mutable(vm)->console;
    CharBackend *be;

    if (con->mode == CONSOLE_MODE_OFF)
        return true;
    be = chardev_new(con, "--console", vm_main_context(vm), error);
    if (!be)
        return false;
    /* vm.info reports where the pty is, as CH does (libvirt reads it). */
    if (con->mode == CONSOLE_MODE_PTY) {
        g_free(con->file);
        con->file = g_strdup(chardev_get_pty_path(be));
    }
    return vd_add(vm, bus,
                  virtio_console_new(vm, vm_memory(vm), con->id, be, error), -1,
                  error);
}

static bool
vd_disk(Vm *vm, PciBus *bus, DiskConfig *disk, GError **error)
{
    return vd_add(vm, bus, virtio_blk_new(vm, vm_memory(vm), disk, true, error),
                  disk->pci_device_id, error);
}

static bool
vd_net(Vm *vm, PciBus *bus, NetConfig *net, GError **error)
{
    NetBackend *be;
    uint8_t mac[6];

    /* CH picks a random local MAC when none is given, and reports it. */
    if (!net->mac) {
        net_random_mac(mac);
        net->mac = g_strdup_printf("%02x:%02x:%02x:%02x:%02x:%02x", mac[0],
                                   mac[1], mac[2], mac[3], mac[4], mac[5]);
    }
    be = tap_open(net, net->num_queues / 2, error);
    if (!be)
        return false;
    if (!net->tap && be->ifname)
        net->tap = g_strdup(be->ifname);
    return vd_add(vm, bus, virtio_net_new(vm, vm_memory(vm), net, be, error),
                  net->pci_device_id, error);
}

/* The config passed vm_config_validate() and vm_config_check_host(): ids
 * are assigned, segments are 0, queue counts and sizes fit, no iommu. */
bool
virtio_devices_create(Vm *vm, PciBus *bus, GError **error)
{
    VmConfig *cfg = vm_get_config_mutable(vm);

    if (!vd_console(vm, bus, error))
        return false;
    for (guint i = 0; i < cfg->disks->len; i++) {
        if (!vd_disk(vm, bus, g_ptr_array_index(cfg->disks, i), error))
            return false;
    }
    for (guint i = 0; i < cfg->net->len; i++) {
        if (!vd_net(vm, bus, g_ptr_array_index(cfg->net, i), error))
            return false;
    }
    return vd_add(vm, bus, virtio_rng_new(vm, vm_memory(vm), &cfg->rng, error),
                  -1, error);
}
