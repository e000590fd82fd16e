/* SPDX-License-Identifier: Apache-2.0 */
/* Fuzz target: ivshmem-plain's config space, registers and BAR2 slot under any guest access. */
#include <config.h>

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include <gio/gio.h>

#include "devices/pci/ivshmem.h"
#include "devices/pci/pci-bus.h"
#include "tests/unit/fake-vm.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define SLOT 3
#define SHM_SIZE (64 * 1024)

/* The shared memory: a memfd (a regular file), made once, reached by
 * path as --ivshmem names it. */
static const char *
shm_path(void)
{
    static char *path;

    if (!path) {
        int fd = memfd_create("fuzz-ivshmem", MFD_CLOEXEC);

        g_assert_cmpint(fd, >=, 0);
        g_assert_cmpint(ftruncate(fd, SHM_SIZE), ==, 0);
        path = g_strdup_printf("/proc/self/fd/%d", fd);
    }
    return path;
}

/*
 * Input: 7-byte records {op, le16 offset, le32 value}.  op bit 0: write
 * (else read); bits 1-2: config space (0), BAR0 (1), BAR2 (2), a reset
 * (3); bits 3-4: size 1, 2, 4 or 8 bytes.  Config accesses reach the
 * function through ECAM (BAR moves, command register, sizing, anything);
 * BAR accesses go to wherever the BAR is now, so moved and disabled BARs
 * are covered.  After each record the device has at most one memory slot,
 * and exactly one where BAR2 decodes.
 */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(FakeHost) vm = fake_host_new(8u << 20);
    PciBus *bus = pci_bus_create(fake_host_base(vm), PCI_ECAM_BASE, &error);
    uint64_t cfg = PCI_ECAM_BASE + ((uint64_t)SLOT << 15);
    VmmDevice *dev;

    g_assert_no_error(error);
    dev = ivshmem_new(fake_host_base(vm), NULL, bus, SLOT, shm_path(),
                      SHM_SIZE, &error);
    g_assert_no_error(error);
    g_assert_true(fake_host_add(vm, dev, &error));
    for (; size >= 7; data += 7, size -= 7) {
        uint16_t off;
        uint32_t value;
        unsigned len = 1u << ((data[0] >> 3) & 3);
        unsigned target = (data[0] >> 1) & 3;
        uint64_t addr, bar;

        memcpy(&off, data + 1, 2);
        memcpy(&value, data + 3, 4);
        off = GUINT16_FROM_LE(off);
        value = GUINT32_FROM_LE(value);
        switch (target) {
        case 0:
            addr = cfg + ((off & 0xfff) & ~(uint64_t)(len - 1));
            break;
        case 1:
            bar = fake_host_mmio_read(vm, cfg + PCI_REG_BAR0, 4) & ~0xfULL;
            addr = bar + (off & 0x1ff);
            break;
        case 2:
            bar = (fake_host_mmio_read(vm, cfg + PCI_REG_BAR0 + 8, 4) &
                   ~0xfULL) |
                  fake_host_mmio_read(vm, cfg + PCI_REG_BAR0 + 12, 4) << 32;
            addr = bar + off;
            break;
        default:
            dev->ops->reset(dev);
            continue;
        }
        if (data[0] & 1)
            fake_host_mmio_write(vm, addr, len, value);
        else
            fake_host_mmio_read(vm, addr, len);
        g_assert_cmpuint(fake_host_device_memory_count(vm), <=, 1);
    }
    return 0;
}
