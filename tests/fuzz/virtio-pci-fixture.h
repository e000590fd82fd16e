/* SPDX-License-Identifier: Apache-2.0 */
/* A PCI bus with virtio-pci functions on a FakeHost, for the PCI fuzz targets. */
#pragma once

#include <stddef.h>
#include <stdint.h>
#include <gio/gio.h>

#include "devices/char/chardev.h"
#include "devices/pci/pci-bus.h"
#include "devices/virtio/console.h"
#include "devices/virtio/virtio-pci.h"
#include "tests/unit/fake-vm.h"

#define FUZZ_VPCI_RAM (2ULL << 20)   /* what the guest can point queues at */
#define FUZZ_VPCI_SLOT 3             /* the first function; others follow */
#define FUZZ_VPCI_MAX 2

typedef struct {
    FakeHost *vm;
    PciBus *bus;                      /* owned by vm */
    VmmDevice *dev[FUZZ_VPCI_MAX];    /* owned by vm */
} FuzzVpci;

static inline uint64_t
fuzz_vpci_ecam(unsigned slot, unsigned reg)
{
    return PCI_ECAM_BASE + ((uint64_t)slot << 15) + reg;
}

/* Builds the bus and @n virtio-console functions (a device config space,
 * several queues, MSI-X) at FUZZ_VPCI_SLOT onwards, as the unit tests
 * build them, with BAR0 decoding and bus mastering on: where a guest
 * driver starts from.  Returns BAR0 of the first function. */
static inline uint64_t
fuzz_vpci_init(FuzzVpci *f, unsigned n)
{
    g_autoptr(GError) error = NULL;

    f->vm = fake_host_new(FUZZ_VPCI_RAM);
    f->bus = pci_bus_create(fake_host_base(f->vm), PCI_ECAM_BASE, &error);
    g_assert_no_error(error);
    for (unsigned i = 0; i < n && i < FUZZ_VPCI_MAX; i++) {
        ConsoleConfig cfg = { .mode = CONSOLE_MODE_NULL };
        CharBackend *be = chardev_new(&cfg, "--console",
                                      fake_host_context(f->vm), &error);
        /* Distinct ids: the host refuses a second "__console". */
        g_autofree char *id = g_strdup_printf("_fuzzcon%u", i);
        VirtioDevice *vdev;

        g_assert_no_error(error);
        vdev = virtio_console_new(fake_host_base(f->vm), id, be, &error);
        g_assert_no_error(error);
        f->dev[i] = virtio_pci_new(fake_host_base(f->vm), f->bus, vdev,
                                   FUZZ_VPCI_SLOT + i);
        g_assert_true(fake_host_add(f->vm, f->dev[i], &error));
        g_assert_no_error(error);
        fake_host_mmio_write(f->vm, fuzz_vpci_ecam(FUZZ_VPCI_SLOT + i,
                                                   PCI_REG_COMMAND),
                             2, PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);
    }
    return (fake_host_mmio_read(f->vm, fuzz_vpci_ecam(FUZZ_VPCI_SLOT,
                                                      PCI_REG_BAR0), 4) &
            ~0xfULL) |
           fake_host_mmio_read(f->vm, fuzz_vpci_ecam(FUZZ_VPCI_SLOT,
                                                     PCI_REG_BAR0 + 4), 4)
               << 32;
}
