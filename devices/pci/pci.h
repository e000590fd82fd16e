/* SPDX-License-Identifier: Apache-2.0 */
/* PCI function emulation: type-0 config space, BARs, capability list. */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <glib.h>
#include <json-glib/json-glib.h>

#include "devices/device-host.h"
#include "devices/device.h"
#include "devices/state.h"

#define PCI_CONFIG_SIZE 4096        /* PCIe extended space, through ECAM */
#define PCI_NUM_BARS 6
#define PCI_SLOTS 32

/* Type-0 header offsets and bits (PCI Local Bus 3.0 §6.2). */
#define PCI_REG_VENDOR_ID 0x00
#define PCI_REG_DEVICE_ID 0x02
#define PCI_REG_COMMAND 0x04
#define PCI_REG_STATUS 0x06
#define PCI_REG_REVISION 0x08
#define PCI_REG_CLASS_PROG 0x09
#define PCI_REG_CACHE_LINE 0x0c
#define PCI_REG_LATENCY 0x0d
#define PCI_REG_HEADER_TYPE 0x0e
#define PCI_REG_BAR0 0x10
#define PCI_REG_SUBSYS_VENDOR 0x2c
#define PCI_REG_SUBSYS_ID 0x2e
#define PCI_REG_ROM 0x30
#define PCI_REG_CAP_PTR 0x34
#define PCI_REG_INT_LINE 0x3c
#define PCI_REG_INT_PIN 0x3d
#define PCI_CAP_START 0x40

#define PCI_COMMAND_IO 0x1
#define PCI_COMMAND_MEMORY 0x2
#define PCI_COMMAND_MASTER 0x4
#define PCI_COMMAND_SERR 0x100
#define PCI_COMMAND_INTX_DISABLE 0x400
#define PCI_STATUS_CAP_LIST 0x10

#define PCI_BAR_MEM_TYPE_64 0x4
#define PCI_BAR_MEM_PREFETCH 0x8

#define PCI_CAP_ID_VNDR 0x09
#define PCI_CAP_ID_MSIX 0x11

typedef struct PciDevice PciDevice;
typedef struct PciBus PciBus;

typedef enum {
    PCI_BAR_NONE,
    PCI_BAR_MEM32,
    PCI_BAR_MEM64,    /* uses this BAR register and the next */
} PciBarType;

/* The VmmDevice put on the MMIO bus for one BAR: accesses reach the
 * function's ops->bar_read/write with the BAR number. */
typedef struct {
    VmmDevice dev;
    PciDevice *pdev;
    unsigned bar;
} PciBarRegion;

/**
 * PciBar:
 * @addr: where the BAR decodes now; @mapped: whether it is on the MMIO bus
 * (memory decoding on and a valid address).  Protected by the bus's config
 * lock; immutable: @type, @size, @prefetch, @initial_addr.
 */
typedef struct {
    PciBarType type;
    bool prefetch;
    uint64_t size;
    uint64_t initial_addr;
    uint64_t addr;
    bool mapped;
    PciBarRegion region;
} PciBar;

/**
 * PciDeviceOps:
 * What a function adds to the generic config space.  All run on vCPU
 * threads (or the control thread for reset/restore).
 * @config_write: after the generic code stored a config write (bus config
 *   lock held), e.g. MSI-X enable or the virtio pci_cfg window.
 * @config_read: may replace the value of a config read (lock held).
 * @bar_read/@bar_write: an access inside a mapped BAR (no PCI lock held).
 * @bar_mapped: the BAR starts (@mapped) or stops decoding at @addr: move
 *   the ioeventfds that live inside it (config lock held).
 */
typedef struct {
    void (*config_write)(PciDevice *pdev, uint32_t off, unsigned len);
    void (*config_read)(PciDevice *pdev, uint32_t off, void *data,
                        unsigned len);
    void (*bar_read)(PciDevice *pdev, unsigned bar, uint64_t off, void *data,
                     unsigned len);
    void (*bar_write)(PciDevice *pdev, unsigned bar, uint64_t off,
                      const void *data, unsigned len);
    void (*bar_mapped)(PciDevice *pdev, unsigned bar, uint64_t addr,
                       bool mapped);
} PciDeviceOps;

/**
 * PciDevice:
 * One PCI function, embedded in a device that owns a VmmDevice (@owner).
 * @config/@wmask/@w1cmask: the config space, the bits the guest may write,
 * and the write-1-to-clear bits; protected by the bus's config lock (the
 * init/add functions run before the device is on a bus).
 */
struct PciDevice {
    const PciDeviceOps *ops;
    VmmDevice *owner;
    DeviceHost *host;
    PciBus *bus;
    uint8_t devfn;
    uint8_t config[PCI_CONFIG_SIZE];
    uint8_t wmask[PCI_CONFIG_SIZE];
    uint8_t w1cmask[PCI_CONFIG_SIZE];
    uint8_t initial[PCI_CONFIG_SIZE];    /* config after realize, for reset */
    PciBar bars[PCI_NUM_BARS];
    uint8_t last_cap;                    /* 0: none yet */
    unsigned cap_end;                    /* first free byte after caps */
};

/* Sets up a type-0 header.  @class_code is (class << 16 | sub << 8 | prog). */
void pci_device_init(PciDevice *pdev, const PciDeviceOps *ops,
                     VmmDevice *owner, DeviceHost *host, uint16_t vendor,
                     uint16_t device, uint32_t class_code, uint8_t revision,
                     uint16_t subsys_vendor, uint16_t subsys_id);

/**
 * pci_device_add_bar:
 * Declares BAR @bar of @size bytes (a power of two, >= 16) and gives it an
 * address with natural alignment from the VM's 32- or 64-bit MMIO window.
 * The BAR decodes once the guest enables memory space in the command
 * register; the guest may move it (BAR writes re-register the range).
 */
bool pci_device_add_bar(PciDevice *pdev, unsigned bar, PciBarType type,
                        uint64_t size, bool prefetch, GError **error);

/**
 * pci_device_add_capability:
 * Appends a capability of @size bytes with id @cap_id to the list; returns
 * its config offset (dword aligned), or 0 with @error set when the 256-byte
 * legacy config space is full.  The caller fills the body and its wmask.
 */
uint8_t pci_device_add_capability(PciDevice *pdev, uint8_t cap_id,
                                  unsigned size, GError **error);

/* Records the current config as the state reset returns to.  Call once
 * every BAR and capability is in place. */
void pci_device_finish_init(PciDevice *pdev);

/* Config space accesses (bus config lock held): @off aligned to @len. */
void pci_device_config_read(PciDevice *pdev, uint32_t off, void *data,
                            unsigned len);
void pci_device_config_write(PciDevice *pdev, uint32_t off, const void *data,
                             unsigned len);

/* Back to the post-realize config (BARs at their initial addresses, not
 * decoding).  Takes the bus's config lock itself. */
void pci_device_reset(PciDevice *pdev);
/* Takes every BAR off the MMIO bus (unrealize). */
void pci_device_unmap_bars(PciDevice *pdev);

/* Little-endian config helpers (no lock; for init and under the lock). */
void pci_set_byte(PciDevice *pdev, uint32_t off, uint8_t v);
void pci_set_word(PciDevice *pdev, uint32_t off, uint16_t v);
void pci_set_long(PciDevice *pdev, uint32_t off, uint32_t v);
uint16_t pci_get_word(const PciDevice *pdev, uint32_t off);
uint32_t pci_get_long(const PciDevice *pdev, uint32_t off);
void pci_set_wmask(PciDevice *pdev, uint32_t off, unsigned len, uint32_t mask);

/* A function's snapshot state (pci_device_state_desc): its config space,
 * from which the BAR placement follows. */
typedef struct {
    uint8_t config[PCI_CONFIG_SIZE];
} PciDeviceState;

extern const VmmStateDesc pci_device_state_desc;

void pci_device_get_state(PciDevice *pdev, PciDeviceState *st);
/* Takes the guest-writable bits of @st and remaps the BARs. */
void pci_device_set_state(PciDevice *pdev, const PciDeviceState *st);

/* "0000:00:03.0" (transfer full). */
char *pci_device_bdf(const PciDevice *pdev);
