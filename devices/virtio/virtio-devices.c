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
vd_add(DeviceHost *host, PciBus *bus, VirtioDevice *vdev, int slot,
       GError **error)
{
    if (!vdev)
        return false;
    return device_host_add_device(host, virtio_pci_new(host, bus, vdev, slot),
                                  error);
}

static bool
vd_check_segment(const char *option, const char *id, uint16_t segment,
                 GError **error)
{
    if (segment == 0)
        return true;
    g_set_error(error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
                "%s: '%s': pci_segment=%u is not supported yet (segment 0 only)",
                option, id, segment);
    return false;
}

static bool
vd_console(DeviceHost *host, VmConfig *cfg, PciBus *bus, GError **error)
{
    ConsoleConfig *con = &cfg->console;
    CharBackend *be;

    if (con->mode == CONSOLE_MODE_OFF)
        return true;
    if (con->iommu) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
                    "--console: iommu=on is not supported yet");
        return false;
    }
    be = chardev_new(con, "--console", device_host_main_context(host), error);
    if (!be)
        return false;
    /* vm.info reports where the pty is, as CH does (libvirt reads it). */
    if (con->mode == CONSOLE_MODE_PTY) {
        g_free(con->file);
        con->file = g_strdup(chardev_get_pty_path(be));
    }
    return vd_add(host, bus, virtio_console_new(host, con->id, be, error), -1,
                  error);
}

static bool
vd_disk(DeviceHost *host, PciBus *bus, DiskConfig *disk, unsigned index,
        GError **error)
{
    g_autofree char *id = NULL;

    if (!disk->id)
        disk->id = g_strdup_printf("_disk%u", index);
    id = g_strdup(disk->id);
    if (!vd_check_segment("--disk", id, disk->pci_segment, error))
        return false;
    return vd_add(host, bus, virtio_blk_new(host, disk, true, error),
                  disk->pci_device_id, error);
}

static bool
vd_net(DeviceHost *host, PciBus *bus, NetConfig *net, unsigned index,
       GError **error)
{
    NetBackend *be;
    uint8_t mac[6];

    if (!net->id)
        net->id = g_strdup_printf("_net%u", index);
    if (!vd_check_segment("--net", net->id, net->pci_segment, error))
        return false;
    if (net->num_queues < 2 || net->num_queues % 2) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                    "--net: '%s': num_queues=%u must be an even number >= 2",
                    net->id, net->num_queues);
        return false;
    }
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
    return vd_add(host, bus, virtio_net_new(host, net, be, error),
                  net->pci_device_id, error);
}

bool
virtio_devices_create(DeviceHost *host, VmConfig *cfg, PciBus *bus,
                      GError **error)
{
    if (!vd_console(host, cfg, bus, error))
        return false;
    for (guint i = 0; i < cfg->disks->len; i++) {
        if (!vd_disk(host, bus, g_ptr_array_index(cfg->disks, i), i, error))
            return false;
    }
    for (guint i = 0; i < cfg->net->len; i++) {
        if (!vd_net(host, bus, g_ptr_array_index(cfg->net, i), i, error))
            return false;
    }
    return vd_add(host, bus, virtio_rng_new(host, &cfg->rng, error), -1,
                  error);
}
