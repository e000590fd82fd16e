/* SPDX-License-Identifier: Apache-2.0 */
/* Fuzz target: PCI config space via 0xcf8/0xcfc and ECAM, BAR sizing and moves. */
#include <config.h>

#include <stddef.h>
#include <stdint.h>
#include <gio/gio.h>

#include "devices/pci/pci.h"
#include "tests/fuzz/virtio-pci-fixture.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define RECORD 7

/* Function @fn's BAR0, as the guest reads it back. */
static uint64_t
bar0_of(FuzzVpci *f, unsigned fn)
{
    unsigned slot = FUZZ_VPCI_SLOT + fn;

    return (fake_host_mmio_read(f->vm, fuzz_vpci_ecam(slot, PCI_REG_BAR0), 4) &
            ~0xfULL) |
           fake_host_mmio_read(f->vm, fuzz_vpci_ecam(slot, PCI_REG_BAR0 + 4),
                               4) << 32;
}

/* Moves function @fn's BAR0 where a hostile guest would: over RAM, over
 * the other function's BAR, over the ECAM window, into the MMIO holes,
 * onto the sizing pattern or across the top of the address space.  The
 * two halves are written separately, so the BAR spends a moment half
 * moved, as it does under a real driver. */
static void
place_bar(FuzzVpci *f, unsigned fn, unsigned where, uint32_t v, uint16_t hi)
{
    unsigned slot = FUZZ_VPCI_SLOT + fn;
    uint64_t addr;

    switch (where) {
    case 0:
        addr = v % FUZZ_VPCI_RAM;
        break;
    case 1:
        addr = bar0_of(f, fn ^ 1) + (v & 0xfff0);
        break;
    case 2:
        addr = PCI_ECAM_BASE + (v & 0xffff0);
        break;
    case 3:
        addr = FAKE_HOST_MMIO32_BASE + v % FAKE_HOST_MMIO32_SIZE;
        break;
    case 4:
        addr = FAKE_HOST_MMIO64_BASE + v;
        break;
    case 5:
        addr = UINT64_MAX;
        break;
    case 6:
        addr = UINT64_MAX - v;
        break;
    default:
        addr = (uint64_t)hi << 32 | v;
        break;
    }
    fake_host_mmio_write(f->vm, fuzz_vpci_ecam(slot, PCI_REG_BAR0), 4,
                         (uint32_t)addr);
    fake_host_mmio_write(f->vm, fuzz_vpci_ecam(slot, PCI_REG_BAR0 + 4), 4,
                         addr >> 32);
}

/* The windows the VM gives the host bridge (device-manager.c does it from
 * the platform layout): BARs may decode only inside them. */
static const PciWindow fuzz_windows[] = {
    { FAKE_HOST_MMIO32_BASE, FAKE_HOST_MMIO32_SIZE },
    { FAKE_HOST_MMIO64_BASE, 1ULL << 40 },
};

/* Every MMIO range that is a BAR lies inside a window and off RAM,
 * whatever the guest did (docs/testing.md, hostile guests). */
static void
check_range(uint64_t base, uint64_t len, VmmDevice *dev, gpointer opaque)
{
    PciBus *bus = opaque;

    if (base == PCI_ECAM_BASE && len == pci_bus_ecam_size(bus))
        return;
    g_assert_cmphex(base, >=, FUZZ_VPCI_RAM);
    g_assert_true(pci_bus_window_contains(bus, base, len));
}

/*
 * Input: 7-byte records {kind, off (le16), value (le32)}; access size
 * 1 << (kind >> 3 & 3).  kind & 7:
 *   0/1  ECAM read/write of register off & 0xfff of function off >> 12 & 1,
 *        or (kind bit 7) of slot off >> 12: empty slots, the host bridge
 *   2    write value to 0xcf8 (any value: disabled, misaligned, bus != 0)
 *   3/4  read/write 0xcfc + (off & 3)
 *   5    move BAR0 of function off & 1 (place_bar(), where = off >> 1 & 7)
 *   6    access BAR0 of function off & 1 wherever it now is, at offset
 *        value % BAR size (a write if off bit 1)
 *   7    off & 3: 0 reset function off >> 2 & 1, 1 snapshot it (must
 *        restore to itself), 2 write the command register (value),
 *        3 reset every function
 */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    FuzzVpci f = { 0 };
    g_autoptr(FakeHost) vm = NULL;

    fuzz_vpci_init(&f, FUZZ_VPCI_MAX);
    vm = f.vm;
    pci_bus_set_windows(f.bus, fuzz_windows, G_N_ELEMENTS(fuzz_windows));
    for (size_t i = 0; i + RECORD <= size; i += RECORD) {
        const uint8_t *r = data + i;
        unsigned len = 1u << ((r[0] >> 3) & 3);
        uint16_t off = r[1] | (uint16_t)r[2] << 8;
        uint32_t val = r[3] | (uint32_t)r[4] << 8 | (uint32_t)r[5] << 16 |
                       (uint32_t)r[6] << 24;
        unsigned fn = off & 1;
        unsigned slot = r[0] & 0x80 ? (off >> 12) & 0xf
                                    : FUZZ_VPCI_SLOT + ((off >> 12) & 1);
        VmmDevice *dev;

        switch (r[0] & 7) {
        case 0:
            fake_host_mmio_read(vm, fuzz_vpci_ecam(slot, off & 0xfff), len);
            break;
        case 1:
            fake_host_mmio_write(vm, fuzz_vpci_ecam(slot, off & 0xfff), len,
                                 val | (uint64_t)val << 32);
            break;
        case 2:
            fake_host_pio_write(vm, PCI_CONFIG_ADDRESS_PORT, 4, val);
            break;
        case 3:
            fake_host_pio_read(vm, PCI_CONFIG_ADDRESS_PORT + 4 + (off & 3),
                               MIN(len, 4u));
            break;
        case 4:
            fake_host_pio_write(vm, PCI_CONFIG_ADDRESS_PORT + 4 + (off & 3),
                                MIN(len, 4u), val);
            break;
        case 5:
            place_bar(&f, fn, (off >> 1) & 7, val, off >> 4);
            break;
        case 6: {
            uint64_t a = bar0_of(&f, fn) + val % VIRTIO_PCI_BAR_SIZE;

            if (off & 2)
                fake_host_mmio_write(vm, a, len, val);
            else
                fake_host_mmio_read(vm, a, len);
            break;
        }
        default:
            dev = f.dev[(off >> 2) & 1];
            switch (off & 3) {
            case 0:
                dev->ops->reset(dev);
                break;
            case 1:
                fake_host_check_save_restore(dev, dev);
                break;
            case 2:
                fake_host_mmio_write(vm, fuzz_vpci_ecam(FUZZ_VPCI_SLOT + fn,
                                                        PCI_REG_COMMAND),
                                     2, val & 0xffff);
                break;
            default:
                for (unsigned j = 0; j < FUZZ_VPCI_MAX; j++)
                    f.dev[j]->ops->reset(f.dev[j]);
                break;
            }
            break;
        }
        /* After every step, not only at the end: a transient overlap
         * is as bad as a lasting one. */
        bus_foreach(fake_host_mmio_bus(vm), check_range, f.bus);
    }
    /* Whatever the guest did, the functions' work runs to completion. */
    fake_host_iterate(vm);
    return 0;
}
