/* SPDX-License-Identifier: Apache-2.0 */
/* Fuzz target: the 6300ESB watchdog's config registers, BAR and clock under any guest access. */
#include <config.h>

#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <gio/gio.h>

#include "devices/pci/i6300esb.h"
#include "devices/pci/pci-bus.h"
#include "tests/unit/fake-vm.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define SLOT 3

/*
 * Input: 7-byte records {op, le16 offset, le32 value}.  op bit 0: write
 * (else read); bit 1: the BAR (else config space); bits 2-3: size 1, 2,
 * 4 or 8 bytes; bit 4: run the control thread's clock after the access
 * (stages end, the watchdog bites with the action picked by the first
 * byte).  Unlock sequences, preloads of 0, locked registers, moved or
 * disabled BARs are all reachable.  The device must never crash, and the
 * VM is reset or powered off only through the host's requests.
 */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(FakeHost) vm = fake_host_new(8u << 20);
    PciBus *bus = pci_bus_create(fake_host_base(vm), PCI_ECAM_BASE, &error);
    VmmDevice *dev;

    g_assert_no_error(error);
    if (size < 1)
        return 0;
    dev = i6300esb_new(fake_host_base(vm), NULL, bus, SLOT,
                       data[0] % WATCHDOG_ACTION_LAST);
    g_assert_true(fake_host_add(vm, dev, &error));
    for (data++, size--; size >= 7; data += 7, size -= 7) {
        uint16_t off;
        uint32_t value;
        unsigned len = 1u << ((data[0] >> 2) & 3);
        uint64_t addr;

        memcpy(&off, data + 1, 2);
        memcpy(&value, data + 3, 4);
        off = GUINT16_FROM_LE(off);
        value = GUINT32_FROM_LE(value);
        if (data[0] & 2) {
            uint64_t bar0 = fake_host_mmio_read(
                vm, PCI_ECAM_BASE + ((uint64_t)SLOT << 15) + PCI_REG_BAR0,
                4) & ~0xfULL;

            addr = bar0 + (off & 0x1f);
        } else {
            addr = PCI_ECAM_BASE + ((uint64_t)SLOT << 15) +
                   ((off & 0xfff) & ~(uint64_t)(len - 1));
        }
        if (data[0] & 1)
            fake_host_mmio_write(vm, addr, len, value);
        else
            fake_host_mmio_read(vm, addr, len);
        if (data[0] & 0x10)
            fake_host_iterate(vm);
        if (data[0] & 0x20)
            dev->ops->reset(dev);
    }
    return 0;
}
