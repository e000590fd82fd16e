/* SPDX-License-Identifier: Apache-2.0 */
/* Fuzz target: virtio-pci common config, ISR, device config and notify regions. */
#include <config.h>

#include <stddef.h>
#include <stdint.h>
#include <gio/gio.h>
#include <linux/virtio_config.h>
#include <linux/virtio_pci.h>

#include "devices/pci/pci.h"
#include "tests/fuzz/virtio-pci-fixture.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define RECORD 7

static void
common_write(FakeHost *vm, uint64_t bar, unsigned reg, unsigned len,
             uint64_t v)
{
    fake_host_mmio_write(vm, bar + VIRTIO_PCI_COMMON_OFF + reg, len, v);
}

/* What a driver does up to DRIVER_OK (virtio 1.2 §3.1.1), with queue
 * @q (any index) at addresses derived from @v inside or just past RAM and
 * @v's low half as its size: the shortcut that gets the fuzzer past the
 * status machine, which the single register writes also reach, in any
 * order. */
static void
driver_init(FakeHost *vm, uint64_t bar, unsigned q, uint32_t v)
{
    uint64_t ring = (uint64_t)(v >> 16) << 6;

    common_write(vm, bar, VIRTIO_PCI_COMMON_STATUS, 1,
                 VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER);
    common_write(vm, bar, VIRTIO_PCI_COMMON_GFSELECT, 4, 1);
    common_write(vm, bar, VIRTIO_PCI_COMMON_GF, 4, 1);   /* VERSION_1 */
    common_write(vm, bar, VIRTIO_PCI_COMMON_STATUS, 1,
                 VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER |
                     VIRTIO_CONFIG_S_FEATURES_OK);
    common_write(vm, bar, VIRTIO_PCI_COMMON_Q_SELECT, 2, q);
    common_write(vm, bar, VIRTIO_PCI_COMMON_Q_SIZE, 2, v & 0xffff);
    common_write(vm, bar, VIRTIO_PCI_COMMON_Q_DESCLO, 4, ring);
    common_write(vm, bar, VIRTIO_PCI_COMMON_Q_AVAILLO, 4, ring + 0x1000);
    common_write(vm, bar, VIRTIO_PCI_COMMON_Q_USEDLO, 4, ring + 0x2000);
    common_write(vm, bar, VIRTIO_PCI_COMMON_Q_ENABLE, 2, 1);
    common_write(vm, bar, VIRTIO_PCI_COMMON_STATUS, 1,
                 VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER |
                     VIRTIO_CONFIG_S_FEATURES_OK |
                     VIRTIO_CONFIG_S_DRIVER_OK);
}

/*
 * Input: 7-byte records {kind, off (le16), value (le32)}; access size
 * 1 << (kind >> 3 & 3).  kind & 7:
 *   0/1  read/write common config register off & 0x7f (past its end too)
 *   2/3  read/write the ISR at off & 3 (a read clears it)
 *   4/5  read/write device config at off & 0xff
 *   6    notify: write value at off & 0xfff of the notify region
 *   7    off & 3: 0 reset, 1 snapshot (must restore to itself),
 *        2 driver_init() of queue off >> 2, 3 run the device's work
 * Guest-written ring addresses point into RAM, and ring contents are
 * whatever RAM holds: zero, or what an 8-byte MMIO write put nowhere.
 */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    FuzzVpci f = { 0 };
    g_autoptr(FakeHost) vm = NULL;
    VmmDevice *dev;
    uint64_t bar;

    bar = fuzz_vpci_init(&f, 1);
    vm = f.vm;
    dev = f.dev[0];
    for (size_t i = 0; i + RECORD <= size; i += RECORD) {
        const uint8_t *r = data + i;
        unsigned len = 1u << ((r[0] >> 3) & 3);
        uint16_t off = r[1] | (uint16_t)r[2] << 8;
        uint32_t val = r[3] | (uint32_t)r[4] << 8 | (uint32_t)r[5] << 16 |
                       (uint32_t)r[6] << 24;
        uint64_t v64 = val | (uint64_t)val << 32;

        switch (r[0] & 7) {
        case 0:
            fake_host_mmio_read(vm, bar + VIRTIO_PCI_COMMON_OFF + (off & 0x7f),
                                len);
            break;
        case 1:
            common_write(vm, bar, off & 0x7f, len, v64);
            break;
        case 2:
            fake_host_mmio_read(vm, bar + VIRTIO_PCI_ISR_OFF + (off & 3), len);
            break;
        case 3:
            fake_host_mmio_write(vm, bar + VIRTIO_PCI_ISR_OFF + (off & 3), len,
                                 v64);
            break;
        case 4:
            fake_host_mmio_read(vm, bar + VIRTIO_PCI_DEVICE_OFF + (off & 0xff),
                                len);
            break;
        case 5:
            fake_host_mmio_write(vm, bar + VIRTIO_PCI_DEVICE_OFF +
                                         (off & 0xff), len, v64);
            break;
        case 6:
            fake_host_mmio_write(vm, bar + VIRTIO_PCI_NOTIFY_OFF +
                                         (off & 0xfff), len, v64);
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
                driver_init(vm, bar, off >> 2, val);
                break;
            default:
                fake_host_iterate(vm);
                break;
            }
            break;
        }
    }
    fake_host_iterate(vm);
    return 0;
}
