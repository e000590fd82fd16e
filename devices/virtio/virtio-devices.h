/* SPDX-License-Identifier: Apache-2.0 */
/* Creates the VM's virtio devices (--console, --disk, --net, --rng) on PCI segment 0. */
#pragma once

#include <stdbool.h>
#include <glib.h>

#include "config/vm-config.h"
#include "devices/device-host.h"
#include "devices/pci/pci-bus.h"

/**
 * virtio_devices_create:
 * Creates every virtio device @cfg asks for, each behind a virtio-pci
 * function on @bus, in Cloud Hypervisor's order (console, disks, nets,
 * rng) and with its ids ("__console", "_disk0", "_net0", "__rng").  Each
 * device is added to @host here with device_host_add_device(): the VM
 * owns, realizes, resets and frees them.  Runtime facts go back into @cfg
 * (the VM's own copy): the console's pty path, generated MACs and TAP
 * names, for vm.info.  Errors name the option and the resource
 * (image, TAP, source file); on error the devices already added stay with
 * the VM, which is then freed by its creator.
 */
bool virtio_devices_create(DeviceHost *host, VmConfig *cfg, PciBus *bus,
                          GError **error);
