/* SPDX-License-Identifier: Apache-2.0 */
/* Intel 6300ESB watchdog (PCI 8086:25ab): the device and its registry type (--nimbus-watchdog). */
#pragma once

#include <stdint.h>
#include <glib.h>

#include "devices/device-host.h"
#include "devices/device.h"
#include "devices/pci/pci.h"
#include "devices/registry.h"

#define I6300ESB_ID "__i6300esb"

/* Config space registers (Intel 6300ESB datasheet, WDT function). */
#define I6300ESB_REG_CONFIG 0x60        /* 16 bits */
#define I6300ESB_CONFIG_INT_TYPE 0x0003 /* 3: no interrupt at stage 1 */
#define I6300ESB_CONFIG_FREQ_1MHZ 0x0004 /* prescaler 2^5, else 2^15 */
#define I6300ESB_CONFIG_OUTPUT_OFF 0x0020 /* stage 2 does not reboot */
#define I6300ESB_REG_LOCK 0x68          /* 8 bits */
#define I6300ESB_LOCK_LOCKED 0x01       /* register read-only until reset */
#define I6300ESB_LOCK_ENABLE 0x02
#define I6300ESB_LOCK_FREE_RUN 0x04     /* free-running mode, no stage 2 */

/* BAR0 (memory) registers. */
#define I6300ESB_MMIO_TIMER1 0x00       /* 20-bit preload values */
#define I6300ESB_MMIO_TIMER2 0x04
#define I6300ESB_MMIO_GINTSR 0x08       /* bit 0: stage 1 status, W1C */
#define I6300ESB_MMIO_RELOAD 0x0c       /* 16 bits, and the unlock port */
#define I6300ESB_RELOAD_RELOAD 0x0100
#define I6300ESB_RELOAD_TIMEOUT 0x0200  /* stage 2 expired; W1C */
#define I6300ESB_UNLOCK1 0x80
#define I6300ESB_UNLOCK2 0x86
#define I6300ESB_PRELOAD_MASK 0xfffff

/* What a stage-2 expiry does in nimbus (the hardware asserts its reboot
 * output; nimbusd maps libvirt's <watchdog action=...> onto these). */
typedef enum {
    WATCHDOG_ACTION_RESET,
    WATCHDOG_ACTION_POWEROFF,
    WATCHDOG_ACTION_NONE,
    WATCHDOG_ACTION_LAST
} WatchdogAction;

const char *watchdog_action_name(int action);
int watchdog_action_from_string(const char *name);

extern const DeviceType i6300esb_type;

/* A 6300ESB watchdog function @id (NULL: I6300ESB_ID) for slot @slot
 * (-1: the bus picks) of @bus, biting with @action; added with
 * device_host_add_device().  (transfer full) */
VmmDevice *i6300esb_new(DeviceHost *host, const char *id, PciBus *bus,
                        int slot, WatchdogAction action);
/* Its PCI function (tests).  (transfer none) */
PciDevice *i6300esb_get_pci(VmmDevice *dev);
/* Nanoseconds a stage counts with @preload and the config register's
 * prescaler bit (@freq_1mhz); the PCI clock is 33 MHz (30 ns a tick). */
uint64_t i6300esb_stage_ns(uint32_t preload, bool freq_1mhz);
