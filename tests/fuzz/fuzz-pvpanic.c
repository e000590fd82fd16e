/* SPDX-License-Identifier: Apache-2.0 */
/* Fuzz target: pvpanic-pci's config space and register under any guest access. */
#include <config.h>

#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <gio/gio.h>

#include "devices/pci/pci-bus.h"
#include "devices/pci/pvpanic.h"
#include "tests/unit/fake-vm.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define SLOT 3

/*
 * Input: 7-byte records {op, le16 offset, le32 value}.  op bit 0: write
 * (else read); bit 1: the BAR (else config space); bits 2-3: size 1, 2,
 * 4 or 8 bytes.  Config accesses reach the function through ECAM (BAR
 * moves, command register, anything); BAR accesses go to wherever BAR0
 * is now, so moved or disabled BARs are covered too.  The device must
 * never crash, and reports at most one event per write.
 */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(FakeHost) vm = fake_host_new(8u << 20);
    PciBus *bus = pci_bus_create(fake_host_base(vm), PCI_ECAM_BASE, &error);
    VmmDevice *dev;

    g_assert_no_error(error);
    dev = pvpanic_new(fake_host_base(vm), bus, SLOT);
    g_assert_true(fake_host_add(vm, dev, &error));
    for (; size >= 7; data += 7, size -= 7) {
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
    }
    return 0;
}
