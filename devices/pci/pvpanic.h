/* SPDX-License-Identifier: Apache-2.0 */
/* pvpanic-pci: the device (PCI 1b36:0011) and its registry type (--pvpanic). */
#pragma once

#include <stdint.h>
#include <glib.h>

#include "devices/device-host.h"
#include "devices/device.h"
#include "devices/pci/pci.h"
#include "devices/registry.h"

#define PVPANIC_ID "__pvpanic"          /* CH's id */
#define PVPANIC_PANICKED (1u << 0)
#define PVPANIC_CRASH_LOADED (1u << 1)

extern const DeviceType pvpanic_type;

/* A pvpanic function for slot @slot (-1: the bus picks) of @bus; added
 * to the VM with device_host_add_device().  (transfer full) */
VmmDevice *pvpanic_new(DeviceHost *host, PciBus *bus, int slot);
/* Its PCI function (tests).  (transfer none) */
PciDevice *pvpanic_get_pci(VmmDevice *dev);
/* The "event" of the "guest"/"panic" event a write of @value reports
 * ("panic", "crash_loaded"), or NULL when it reports nothing. */
const char *pvpanic_event_name(uint8_t value);
