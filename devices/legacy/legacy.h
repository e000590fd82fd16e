/* SPDX-License-Identifier: Apache-2.0 */
/* Constructors and getters of the legacy platform devices (x86 PC subset). */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <glib.h>

#include "devices/char/chardev.h"
#include "devices/device.h"

/*
 * Each constructor returns a (transfer full) VmmDevice that is not yet
 * realized: hand it to device_host_add_device() on the same @host, which
 * realizes it (registers its ranges, allocates what it needs) and owns it
 * from then on.  The addresses and IRQs below are Cloud Hypervisor's,
 * which the ACPI tables describe.
 */

/* ---- serial-8250.c: 16550A UART ----------------------------------------- */
#define SERIAL8250_COM1_BASE 0x3f8
#define SERIAL8250_COM1_GSI 4
#define SERIAL8250_NR_REGS 8
#define SERIAL8250_FIFO_SIZE 16

/* @backend: (transfer full) where output goes and input comes from; NULL
 * discards output (as a Null backend).  The device owns and frees it. */
VmmDevice *serial8250_new(DeviceHost *host, const char *id, uint16_t base,
                          uint32_t gsi, CharBackend *backend);
/* (transfer none) */
CharBackend *serial8250_get_backend(VmmDevice *dev);

/* ---- i8042.c: just enough of the keyboard controller to reset ------------ */
#define I8042_BASE 0x61          /* 0x61 (port B) to 0x64 (command/status) */
#define I8042_NR_PORTS 4
#define I8042_CMD_RESET_CPU 0xfe

VmmDevice *i8042_new(DeviceHost *host, const char *id);

/* ---- rtc-cmos.c: MC146818 RTC and CMOS NVRAM ----------------------------- */
#define RTC_CMOS_BASE 0x70
#define RTC_CMOS_NVRAM_SIZE 128
#define RTC_CMOS_CENTURY_REG 0x32   /* the FADT's CENTURY field points here */

/* @mem_below_4g / @mem_above_4g: guest RAM, for the firmware's CMOS memory
 * size registers (0x34/0x35: 64 KiB units above 16 MiB; 0x5b-0x5d: 64 KiB
 * units above 4 GiB), as CH fills them. */
VmmDevice *rtc_cmos_new(DeviceHost *host, const char *id, uint64_t mem_below_4g,
                        uint64_t mem_above_4g);

/* ---- acpi-pm.c: HW-reduced sleep/reset register and the PM timer --------- */
#define ACPI_PM_BASE 0x600             /* the device's port range */
#define ACPI_PM_NR_PORTS 0xc
#define ACPI_PM_SLEEP_PORT 0x600       /* FADT SLEEP_CONTROL/STATUS, RESET_REG */
#define ACPI_PM_TIMER_PORT 0x608       /* FADT X_PM_TMR_BLK, 32 bits */
#define ACPI_PM_RESET_VALUE 1          /* FADT RESET_VALUE */
#define ACPI_PM_S5_TYPE 5              /* the \_S5_ package's SLP_TYP */
#define ACPI_PM_TIMER_HZ 3579545ULL

VmmDevice *acpi_pm_new(DeviceHost *host, const char *id);

/* ---- ged.c: ACPI Generic Event Device (ACPI0013) ------------------------- */
#define GED_EVENT_CPU_HOTPLUG (1u << 0)
#define GED_EVENT_MEMORY_HOTPLUG (1u << 1)
#define GED_EVENT_PCI_HOTPLUG (1u << 2)
#define GED_EVENT_POWER_BUTTON (1u << 3)
#define GED_EVENT_ALL 0xfu
#define GED_MMIO_SIZE 0x10

/* The MMIO window and the IRQ are allocated at realize. */
VmmDevice *ged_new(DeviceHost *host, const char *id);
/* Valid once realized: what the ACPI builder puts in GED's _CRS / GEC. */
uint64_t ged_get_mmio_base(VmmDevice *ged);
uint32_t ged_get_irq(VmmDevice *ged);
/* Any thread: latches @bits (GED_EVENT_*) for the guest's _EVT handler to
 * read, and pulses the IRQ (edge, active high). */
void ged_notify(VmmDevice *ged, uint32_t bits);

/* ---- debug-port.c: port 0x80 boot progress codes ------------------------- */
#define DEBUG_PORT_BASE 0x80

typedef enum {
    DEBUG_PORT_RANGE_FIRMWARE,      /* 0x00-0x1f */
    DEBUG_PORT_RANGE_BOOTLOADER,    /* 0x20-0x3f */
    DEBUG_PORT_RANGE_KERNEL,        /* 0x40-0x5f */
    DEBUG_PORT_RANGE_USERSPACE,     /* 0x60-0x7f */
    DEBUG_PORT_RANGE_CUSTOM,        /* 0x80-0xff */
    DEBUG_PORT_RANGE_LAST
} DebugPortRange;

/* @boot_time_us: g_get_monotonic_time() when the VM started booting, the
 * origin of the logged timestamps; 0: when the device is realized. */
VmmDevice *debug_port_new(DeviceHost *host, const char *id,
                          int64_t boot_time_us);
/* A new origin (the VMM calls it when it (re)starts the vCPUs). */
void debug_port_set_boot_time(VmmDevice *dev, int64_t boot_time_us);
/* CH's names: "Firmware", "Bootloader", "Kernel", "Userspace", "Custom". */
const char *debug_port_range_name(DebugPortRange range);
DebugPortRange debug_port_range_of(uint8_t code);
/**
 * debug_port_get_first:
 * The first code the guest wrote in @range since boot, and when
 * (microseconds after the boot origin).  False if none yet.
 */
bool debug_port_get_first(VmmDevice *dev, DebugPortRange range, uint8_t *code,
                          int64_t *usec);
/* How many writes fell in @range since boot. */
uint64_t debug_port_get_count(VmmDevice *dev, DebugPortRange range);

/* ---- debug-console.c: port 0xe9 console ---------------------------------- */
#define DEBUG_CONSOLE_DEFAULT_IOBASE 0xe9

/* @backend: (transfer full), as for the serial port. */
VmmDevice *debug_console_new(DeviceHost *host, const char *id, uint16_t iobase,
                             CharBackend *backend);
