/* SPDX-License-Identifier: Apache-2.0 */
/* Fuzz target: MSI-X table, PBA and Message Control of a virtio-pci function. */
#include <config.h>

#include <stddef.h>
#include <stdint.h>
#include <unistd.h>
#include <gio/gio.h>
#include <linux/virtio_pci.h>

#include "devices/pci/msix.h"
#include "devices/pci/pci.h"
#include "tests/fuzz/virtio-pci-fixture.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define RECORD 7

/* Empties every vector's eventfd: what KVM does with an irqfd. */
static void
drain_vectors(Msix *msix)
{
    for (unsigned v = 0; v < msix_nvectors(msix); v++) {
        int fd = msix_vector_eventfd(msix, v);
        uint64_t n;

        if (fd >= 0 && read(fd, &n, sizeof(n)) < 0)
            continue;   /* nothing pending (EAGAIN): fine */
    }
}

/* What an x86 local APIC accepts (msix.c's msix_message_ok(), restated
 * as the oracle): the 0xfee window, no reserved delivery mode, no fixed
 * or lowest-priority vector below 16. */
static bool
deliverable(uint64_t addr, uint32_t data)
{
    unsigned mode = (data >> 8) & 7;

    return (addr >> 20) == 0xfee && mode != 3 && mode != 6 &&
           !((mode == 0 || mode == 1) && (data & 0xff) < 16);
}

/* No route KVM holds for a vector, and no MSI signalled directly, is one
 * the guest could not have had delivered on hardware. */
static void
check_routes(FakeHost *vm, Msix *msix)
{
    uint64_t addr;
    uint32_t data;

    for (unsigned v = 0; v < msix_nvectors(msix); v++) {
        int fd = msix_vector_eventfd(msix, v);
        int gsi = fd >= 0 ? fake_host_irqfd_gsi(vm, fd) : -1;

        /* 0/0: allocated, never routed (the fake's msi_alloc state). */
        if (gsi >= 0 && fake_host_msi_route(vm, (uint32_t)gsi, &addr, &data) &&
            (addr || data))
            g_assert_true(deliverable(addr, data));
    }
    if (fake_host_msi_signals(vm, &addr, &data) > 0)
        g_assert_true(deliverable(addr, data));
}

/*
 * Input: 7-byte records {kind, off (le16), value (le32)}; access size
 * 1 << (kind >> 3 & 3).  kind & 7:
 *   0/1  read/write the table at off (past its end too: the rest of the
 *        table's page, unclaimed BAR space)
 *   2/3  read/write the PBA at off & 0xfff (writes must be ignored)
 *   4    write Message Control (enable, function mask) = value, through
 *        ECAM at the capability + (off & 3)
 *   5    the device raises vector off (out of range too)
 *   6    assign vector value to the config interrupt (off bit 0) or to
 *        queue off >> 1 (any queue index) in the common config
 *   7    off & 3: 0 reset, 1 snapshot (must restore to itself),
 *        2 write the command register (bus master off), 3 drain vectors
 */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    FuzzVpci f = { 0 };
    g_autoptr(FakeHost) vm = NULL;
    VmmDevice *dev;
    Msix *msix;
    uint64_t bar;
    unsigned cap;

    bar = fuzz_vpci_init(&f, 1);
    vm = f.vm;
    dev = f.dev[0];
    msix = virtio_pci_get_msix(dev);
    cap = msix_cap_offset(msix);
    for (size_t i = 0; i + RECORD <= size; i += RECORD) {
        const uint8_t *r = data + i;
        unsigned len = 1u << ((r[0] >> 3) & 3);
        uint16_t off = r[1] | (uint16_t)r[2] << 8;
        uint32_t val = r[3] | (uint32_t)r[4] << 8 | (uint32_t)r[5] << 16 |
                       (uint32_t)r[6] << 24;
        uint64_t common = bar + VIRTIO_PCI_COMMON_OFF;

        switch (r[0] & 7) {
        case 0:
            fake_host_mmio_read(vm, bar + VIRTIO_PCI_MSIX_TABLE_OFF + off, len);
            break;
        case 1:
            fake_host_mmio_write(vm, bar + VIRTIO_PCI_MSIX_TABLE_OFF + off, len,
                                 val | (uint64_t)val << 32);
            break;
        case 2:
            fake_host_mmio_read(vm, bar + VIRTIO_PCI_MSIX_PBA_OFF +
                                        (off & 0xfff), len);
            break;
        case 3:
            fake_host_mmio_write(vm, bar + VIRTIO_PCI_MSIX_PBA_OFF +
                                         (off & 0xfff), len, val);
            break;
        case 4:
            fake_host_mmio_write(vm, fuzz_vpci_ecam(FUZZ_VPCI_SLOT,
                                                    cap + 2 + (off & 1)),
                                 MIN(len, 2u), val);
            break;
        case 5:
            msix_notify(msix, off);
            break;
        case 6:
            if (off & 1) {
                fake_host_mmio_write(vm, common + VIRTIO_PCI_COMMON_MSIX, 2,
                                     val & 0xffff);
            } else {
                fake_host_mmio_write(vm, common + VIRTIO_PCI_COMMON_Q_SELECT,
                                     2, off >> 1);
                fake_host_mmio_write(vm, common + VIRTIO_PCI_COMMON_Q_MSIX, 2,
                                     val & 0xffff);
            }
            break;
        default:
            switch (off & 3) {
            case 0:
                dev->ops->reset(dev);
                break;
            case 1:
                fake_host_check_save_restore(dev, dev);
                break;
            case 2:
                fake_host_mmio_write(vm, fuzz_vpci_ecam(FUZZ_VPCI_SLOT,
                                                        PCI_REG_COMMAND),
                                     2, val & 0xffff);
                break;
            default:
                drain_vectors(msix);
                break;
            }
            break;
        }
        check_routes(vm, msix);
    }
    fake_host_iterate(vm);
    return 0;
}
