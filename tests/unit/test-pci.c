/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests for PCI: config mechanisms, BAR sizing and relocation, capabilities, MSI-X. */
#include <config.h>

#include <errno.h>
#include <poll.h>
#include <string.h>
#include <gio/gio.h>

#include "devices/pci/msix.h"
#include "devices/pci/pci-bus.h"
#include "devices/virtio/worker.h"
#include "tests/unit/fake-vm.h"

#define ECAM PCI_ECAM_BASE
#define BAR0_SIZE 0x10000ULL
#define BAR2_SIZE 0x1000ULL
#define NVEC 4
#define TABLE_OFF 0x2000
#define PBA_OFF 0x3000

/* A function with a 64-bit BAR0 (MSI-X inside) and a 32-bit BAR2. */
typedef struct {
    VmmDevice dev;
    PciDevice pci;
    Msix *msix;
    unsigned reads[PCI_NUM_BARS];
    uint64_t last_off;
    unsigned mapped_calls;
    uint64_t last_mapped_addr;
    bool last_mapped;
} TestFn;

static void
tf_bar_read(PciDevice *pdev, unsigned bar, uint64_t off, void *data,
            unsigned len)
{
    TestFn *t = (TestFn *)pdev->owner;

    if (bar == 0 && off >= TABLE_OFF && off < PBA_OFF) {
        msix_table_read(t->msix, off - TABLE_OFF, data, len);
        return;
    }
    if (bar == 0 && off >= PBA_OFF) {
        msix_pba_read(t->msix, off - PBA_OFF, data, len);
        return;
    }
    t->reads[bar]++;
    t->last_off = off;
    vmm_le_store(data, len, 0xb000 + bar);
}

static void
tf_bar_write(PciDevice *pdev, unsigned bar, uint64_t off, const void *data,
             unsigned len)
{
    TestFn *t = (TestFn *)pdev->owner;

    if (bar == 0 && off >= TABLE_OFF && off < PBA_OFF)
        msix_table_write(t->msix, off - TABLE_OFF, data, len);
}

static void
tf_bar_mapped(PciDevice *pdev, unsigned bar, uint64_t addr, bool mapped)
{
    TestFn *t = (TestFn *)pdev->owner;

    if (bar != 0)
        return;
    t->mapped_calls++;
    t->last_mapped_addr = addr;
    t->last_mapped = mapped;
}

static void
tf_config_write(PciDevice *pdev, uint32_t off, unsigned len)
{
    msix_config_write(((TestFn *)pdev->owner)->msix, off, len);
}

static const PciDeviceOps tf_pci_ops = {
    .config_write = tf_config_write,
    .bar_read = tf_bar_read,
    .bar_write = tf_bar_write,
    .bar_mapped = tf_bar_mapped,
};

static void
tf_free(VmmDevice *dev)
{
    TestFn *t = (TestFn *)dev;

    msix_free(t->msix);
    g_free(t);
}

static void
tf_unrealize(VmmDevice *dev)
{
    TestFn *t = (TestFn *)dev;

    pci_bus_lock(t->pci.bus);
    pci_device_unmap_bars(&t->pci);
    pci_bus_unlock(t->pci.bus);
    pci_bus_remove_device(t->pci.bus, &t->pci);
}

static const VmmDeviceOps tf_ops = {
    .name = "test-fn",
    .unrealize = tf_unrealize,
    .free = tf_free,
};

typedef struct {
    FakeHost *vm;
    PciBus *bus;
    TestFn *fn;
} Fx;

static void
fx_setup(Fx *f, gconstpointer data)
{
    g_autoptr(GError) error = NULL;
    TestFn *t = g_new0(TestFn, 1);

    f->vm = fake_host_new(16 << 20);
    f->bus = pci_bus_create(fake_host_base(f->vm), ECAM, &error);
    g_assert_no_error(error);
    vmm_device_init(&t->dev, &tf_ops, fake_host_base(f->vm), "_test0");
    pci_device_init(&t->pci, &tf_pci_ops, &t->dev, fake_host_base(f->vm),
                    0x1234, 0x5678,
                    0x020000, 2, 0x1af4, 0x1100);
    g_assert_true(pci_device_add_bar(&t->pci, 0, PCI_BAR_MEM64, BAR0_SIZE,
                                     false, &error));
    g_assert_true(pci_device_add_bar(&t->pci, 2, PCI_BAR_MEM32, BAR2_SIZE,
                                     false, &error));
    g_assert_no_error(error);
    t->msix = msix_new(&t->pci, NVEC, 0, TABLE_OFF, PBA_OFF, &error);
    g_assert_no_error(error);
    pci_device_finish_init(&t->pci);
    g_assert_true(pci_bus_add_device(f->bus, &t->pci, -1, &error));
    g_assert_true(fake_host_add(f->vm, &t->dev, &error));
    g_assert_no_error(error);
    f->fn = t;
}

static void
fx_teardown(Fx *f, gconstpointer data)
{
    fake_host_free(f->vm);
}

static uint64_t
cfg_read(Fx *f, unsigned slot, unsigned reg, unsigned len)
{
    return fake_host_mmio_read(f->vm, ECAM + (slot << 15) + reg, len);
}

static void
cfg_write(Fx *f, unsigned slot, unsigned reg, unsigned len, uint64_t v)
{
    fake_host_mmio_write(f->vm, ECAM + (slot << 15) + reg, len, v);
}

static uint64_t
bar0_addr(Fx *f)
{
    return (cfg_read(f, 1, PCI_REG_BAR0, 4) & ~0xfULL) |
           (cfg_read(f, 1, PCI_REG_BAR0 + 4, 4) << 32);
}

static void
test_host_bridge(Fx *f, gconstpointer data)
{
    /* ECAM and mechanism #1 see the same function. */
    g_assert_cmphex(cfg_read(f, 0, 0, 4), ==, 0x0d578086);
    g_assert_cmphex(cfg_read(f, 0, PCI_REG_REVISION, 4) >> 8, ==, 0x060000);
    fake_host_pio_write(f->vm, 0xcf8, 4, 0x80000000);
    g_assert_cmphex(fake_host_pio_read(f->vm, 0xcf8, 4), ==, 0x80000000);
    g_assert_cmphex(fake_host_pio_read(f->vm, 0xcfc, 4), ==, 0x0d578086);
    g_assert_cmphex(fake_host_pio_read(f->vm, 0xcfe, 2), ==, 0x0d57);
    /* Slot 1: the test function; slot 2: nothing (all ones). */
    fake_host_pio_write(f->vm, 0xcf8, 4, 0x80000000 | (1 << 11));
    g_assert_cmphex(fake_host_pio_read(f->vm, 0xcfc, 4), ==, 0x56781234);
    fake_host_pio_write(f->vm, 0xcf8, 4, 0x80000000 | (2 << 11));
    g_assert_cmphex(fake_host_pio_read(f->vm, 0xcfc, 4), ==, 0xffffffff);
    /* Enable bit clear: no config cycle. */
    fake_host_pio_write(f->vm, 0xcf8, 4, 1 << 11);
    g_assert_cmphex(fake_host_pio_read(f->vm, 0xcfc, 4), ==, 0xffffffff);
    /* Functions other than 0, other buses, unaligned accesses. */
    g_assert_cmphex(cfg_read(f, 1, 0 + (1 << 12), 4), ==, 0xffffffff);
    g_assert_cmphex(fake_host_mmio_read(f->vm, ECAM + (1 << 20), 4), ==, 0xffffffff);
    g_assert_cmphex(cfg_read(f, 1, 2, 4), ==, 0xffffffff);
    g_assert_cmphex(cfg_read(f, 1, 0x2c, 4), ==, 0x11001af4);
}

static void
test_bar_sizing(Fx *f, gconstpointer data)
{
    uint64_t lo = cfg_read(f, 1, PCI_REG_BAR0, 4);
    uint64_t hi = cfg_read(f, 1, PCI_REG_BAR0 + 4, 4);

    g_assert_cmphex(lo & 0xf, ==, PCI_BAR_MEM_TYPE_64);
    g_assert_cmphex(bar0_addr(f) % BAR0_SIZE, ==, 0);   /* natural alignment */
    g_assert_cmphex(bar0_addr(f), >=, FAKE_HOST_MMIO64_BASE);
    /* Sizing: all-ones reads back the size mask (PCI 3.0 §6.2.5.1). */
    cfg_write(f, 1, PCI_REG_BAR0, 4, 0xffffffff);
    cfg_write(f, 1, PCI_REG_BAR0 + 4, 4, 0xffffffff);
    g_assert_cmphex(cfg_read(f, 1, PCI_REG_BAR0, 4), ==,
                    (uint32_t)~(BAR0_SIZE - 1) | PCI_BAR_MEM_TYPE_64);
    g_assert_cmphex(cfg_read(f, 1, PCI_REG_BAR0 + 4, 4), ==, 0xffffffff);
    cfg_write(f, 1, PCI_REG_BAR0, 4, lo);
    cfg_write(f, 1, PCI_REG_BAR0 + 4, 4, hi);
    g_assert_cmphex(cfg_read(f, 1, PCI_REG_BAR0, 4), ==, lo);

    lo = cfg_read(f, 1, PCI_REG_BAR0 + 8, 4);
    g_assert_cmphex(lo & 0xf, ==, 0);
    g_assert_cmphex(lo, >=, FAKE_HOST_MMIO32_BASE);
    cfg_write(f, 1, PCI_REG_BAR0 + 8, 4, 0xffffffff);
    g_assert_cmphex(cfg_read(f, 1, PCI_REG_BAR0 + 8, 4), ==, 0xfffff000);
    cfg_write(f, 1, PCI_REG_BAR0 + 8, 4, lo);
    /* Unused BARs and the ROM BAR read 0 whatever is written. */
    cfg_write(f, 1, PCI_REG_BAR0 + 12, 4, 0xffffffff);
    g_assert_cmphex(cfg_read(f, 1, PCI_REG_BAR0 + 12, 4), ==, 0);
    cfg_write(f, 1, PCI_REG_ROM, 4, 0xffffffff);
    g_assert_cmphex(cfg_read(f, 1, PCI_REG_ROM, 4), ==, 0);
}

static void
test_bar_mapping(Fx *f, gconstpointer data)
{
    uint64_t a = bar0_addr(f), b = a + 0x100000;
    Bus *mmio = fake_host_mmio_bus(f->vm);

    /* Memory decoding off: nothing on the bus. */
    g_assert_null(bus_lookup(mmio, a, NULL, NULL));
    cfg_write(f, 1, PCI_REG_COMMAND, 2, PCI_COMMAND_MEMORY | PCI_COMMAND_IO);
    /* I/O space cannot be enabled: no I/O BAR. */
    g_assert_cmphex(cfg_read(f, 1, PCI_REG_COMMAND, 2), ==, PCI_COMMAND_MEMORY);
    g_assert_nonnull(bus_lookup(mmio, a, NULL, NULL));
    g_assert_true(f->fn->last_mapped);
    g_assert_cmphex(f->fn->last_mapped_addr, ==, a);
    g_assert_cmphex(fake_host_mmio_read(f->vm, a + 0x10, 4), ==, 0xb000);
    g_assert_cmpuint(f->fn->last_off, ==, 0x10);
    g_assert_cmphex(fake_host_mmio_read(f->vm, cfg_read(f, 1, 0x18, 4) + 4, 2), ==,
                    0xb002);

    /* The guest moves BAR0 (low dword, then high): the range follows. */
    cfg_write(f, 1, PCI_REG_BAR0, 4, (uint32_t)b);
    cfg_write(f, 1, PCI_REG_BAR0 + 4, 4, b >> 32);
    g_assert_null(bus_lookup(mmio, a, NULL, NULL));
    g_assert_nonnull(bus_lookup(mmio, b, NULL, NULL));
    g_assert_cmphex(f->fn->last_mapped_addr, ==, b);
    g_assert_true(f->fn->last_mapped);
    g_assert_cmphex(fake_host_mmio_read(f->vm, b + 0x20, 4), ==, 0xb000);

    /* Onto ECAM: refused by the bus, left unmapped until moved again. */
    cfg_write(f, 1, PCI_REG_BAR0 + 4, 4, 0);
    cfg_write(f, 1, PCI_REG_BAR0, 4, (uint32_t)ECAM);
    g_assert_false(f->fn->last_mapped);
    g_assert_cmphex(cfg_read(f, 1, 0, 4), ==, 0x56781234);   /* ECAM intact */
    cfg_write(f, 1, PCI_REG_BAR0, 4, (uint32_t)a);
    cfg_write(f, 1, PCI_REG_BAR0 + 4, 4, a >> 32);
    g_assert_nonnull(bus_lookup(mmio, a, NULL, NULL));

    /* Decoding off again: unmapped. */
    cfg_write(f, 1, PCI_REG_COMMAND, 2, 0);
    g_assert_null(bus_lookup(mmio, a, NULL, NULL));
    g_assert_false(f->fn->last_mapped);

    /* Reset: back to the initial address, not decoding. */
    cfg_write(f, 1, PCI_REG_BAR0, 4, (uint32_t)b);
    cfg_write(f, 1, PCI_REG_COMMAND, 2, PCI_COMMAND_MEMORY);
    pci_device_reset(&f->fn->pci);
    g_assert_cmphex(bar0_addr(f), ==, a);
    g_assert_cmphex(cfg_read(f, 1, PCI_REG_COMMAND, 2), ==, 0);
    g_assert_null(bus_lookup(mmio, b, NULL, NULL));
}

static void
test_capabilities(Fx *f, gconstpointer data)
{
    unsigned ptr, found = 0;

    g_assert_cmphex(cfg_read(f, 1, PCI_REG_STATUS, 2) & PCI_STATUS_CAP_LIST, !=, 0);
    ptr = (unsigned)cfg_read(f, 1, PCI_REG_CAP_PTR, 1);
    for (unsigned guard = 0; ptr && guard < 48; guard++) {
        g_assert_cmpuint(ptr % 4, ==, 0);
        g_assert_cmpuint(ptr, >=, PCI_CAP_START);
        if (cfg_read(f, 1, ptr, 1) == PCI_CAP_ID_MSIX) {
            found++;
            g_assert_cmphex(cfg_read(f, 1, ptr + 2, 2), ==, NVEC - 1);
            g_assert_cmphex(cfg_read(f, 1, ptr + 4, 4), ==, TABLE_OFF | 0);
            g_assert_cmphex(cfg_read(f, 1, ptr + 8, 4), ==, PBA_OFF | 0);
            /* Table size is read-only. */
            cfg_write(f, 1, ptr + 2, 2, 0x07ff);
            g_assert_cmphex(cfg_read(f, 1, ptr + 2, 2), ==, NVEC - 1);
        }
        ptr = (unsigned)cfg_read(f, 1, ptr + 1, 1);
    }
    g_assert_cmpuint(found, ==, 1);
    /* Status error bits are write-1-to-clear; the rest read-only. */
    cfg_write(f, 1, PCI_REG_STATUS, 2, 0xffff);
    g_assert_cmphex(cfg_read(f, 1, PCI_REG_STATUS, 2), ==, PCI_STATUS_CAP_LIST);
    cfg_write(f, 1, 0, 4, 0);
    g_assert_cmphex(cfg_read(f, 1, 0, 4), ==, 0x56781234);
    cfg_write(f, 1, PCI_REG_INT_LINE, 1, 0x0b);
    g_assert_cmphex(cfg_read(f, 1, PCI_REG_INT_LINE, 1), ==, 0x0b);
}

static bool
eventfd_fired(int fd)
{
    struct pollfd p = { .fd = fd, .events = POLLIN };

    if (poll(&p, 1, 0) != 1)
        return false;
    virtio_eventfd_drain(fd);
    return true;
}

static void
msix_entry(Fx *f, unsigned v, uint64_t addr, uint32_t data, bool masked)
{
    uint64_t t = bar0_addr(f) + TABLE_OFF + 16ULL * v;

    fake_host_mmio_write(f->vm, t, 8, addr);
    fake_host_mmio_write(f->vm, t + 8, 4, data);
    fake_host_mmio_write(f->vm, t + 12, 4, masked);
}

static void
test_msix(Fx *f, gconstpointer data)
{
    Msix *m = f->fn->msix;
    uint8_t cap = msix_cap_offset(m);
    uint64_t addr, pba;
    uint32_t d;
    int fd1 = msix_vector_eventfd(m, 1);

    cfg_write(f, 1, PCI_REG_COMMAND, 2, PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);
    pba = bar0_addr(f) + PBA_OFF;
    /* Every vector has an irqfd on its own GSI. */
    g_assert_cmpint(fake_host_irqfd_gsi(f->vm, fd1), >=, FAKE_HOST_FIRST_MSI_GSI);
    /* Entries start masked; the table reads back what was written. */
    g_assert_cmphex(fake_host_mmio_read(f->vm, bar0_addr(f) + TABLE_OFF + 12, 4),
                    ==, 1);
    msix_entry(f, 1, 0xfee00000, 0x4041, false);
    g_assert_cmphex(fake_host_mmio_read(f->vm, bar0_addr(f) + TABLE_OFF + 16, 8),
                    ==, 0xfee00000);
    g_assert_cmphex(fake_host_mmio_read(f->vm, bar0_addr(f) + TABLE_OFF + 24, 4),
                    ==, 0x4041);

    /* MSI-X disabled: the interrupt stays pending. */
    g_assert_cmpint(msix_notify(m, 1), ==, 0);
    g_assert_false(eventfd_fired(fd1));
    g_assert_cmphex(fake_host_mmio_read(f->vm, pba, 8), ==, 0x2);
    /* Enabling delivers it through the routed GSI, and clears the bit. */
    cfg_write(f, 1, cap + 2, 2, 0x8000);
    g_assert_true(msix_enabled(m));
    g_assert_true(eventfd_fired(fd1));
    g_assert_cmphex(fake_host_mmio_read(f->vm, pba, 8), ==, 0);
    g_assert_true(fake_host_msi_route(f->vm, (uint32_t)fake_host_irqfd_gsi(f->vm, fd1),
                                    &addr, &d));
    g_assert_cmphex(addr, ==, 0xfee00000);
    g_assert_cmphex(d, ==, 0x4041);
    g_assert_cmpint(msix_notify(m, 1), ==, 0);
    g_assert_true(eventfd_fired(fd1));

    /* Vector mask: pending, then delivered on unmask. */
    fake_host_mmio_write(f->vm, bar0_addr(f) + TABLE_OFF + 16 + 12, 4, 1);
    msix_notify(m, 1);
    g_assert_false(eventfd_fired(fd1));
    g_assert_cmphex(fake_host_mmio_read(f->vm, pba, 4), ==, 0x2);
    /* A new address while masked is routed at unmask. */
    fake_host_mmio_write(f->vm, bar0_addr(f) + TABLE_OFF + 16 + 8, 4, 0x4042);
    fake_host_mmio_write(f->vm, bar0_addr(f) + TABLE_OFF + 16 + 12, 4, 0);
    g_assert_true(eventfd_fired(fd1));
    g_assert_true(fake_host_msi_route(f->vm, (uint32_t)fake_host_irqfd_gsi(f->vm, fd1),
                                    &addr, &d));
    g_assert_cmphex(d, ==, 0x4042);

    /* Function mask. */
    cfg_write(f, 1, cap + 2, 2, 0xc000);
    msix_notify(m, 1);
    g_assert_false(eventfd_fired(fd1));
    cfg_write(f, 1, cap + 2, 2, 0x8000);
    g_assert_true(eventfd_fired(fd1));

    /* Out-of-range vector and table accesses: refused, no crash. */
    g_assert_cmpint(msix_notify(m, NVEC), ==, -EINVAL);
    g_assert_cmphex(fake_host_mmio_read(f->vm, bar0_addr(f) + TABLE_OFF + 16 * NVEC,
                                      4), ==, 0xffffffff);   /* past the table */
    g_assert_cmphex(fake_host_mmio_read(f->vm, bar0_addr(f) + TABLE_OFF + 2, 4),
                    ==, 0xffffffff);                     /* unaligned */

    msix_reset(m);
    g_assert_false(msix_enabled(m));
}

static void
test_msix_save_restore(Fx *f, gconstpointer data)
{
    Msix *m = f->fn->msix;
    g_autofree PciDeviceState *cst = g_new0(PciDeviceState, 1);
    g_autoptr(JsonNode) st = NULL;
    g_autoptr(JsonNode) cfg = NULL;
    g_autoptr(GError) error = NULL;
    MsixState mst = { 0 };

    cfg_write(f, 1, PCI_REG_COMMAND, 2, PCI_COMMAND_MEMORY);
    msix_entry(f, 2, 0xfee01000, 0x55, true);
    msix_notify(m, 2);
    pci_device_get_state(&f->fn->pci, cst);
    cfg = vmm_state_save(&pci_device_state_desc, cst);
    msix_get_state(m, &mst);
    st = vmm_state_save(&msix_state_desc, &mst);
    msix_state_clear(&mst);
    msix_reset(m);
    pci_device_reset(&f->fn->pci);
    g_assert_cmphex(cfg_read(f, 1, PCI_REG_COMMAND, 2), ==, 0);
    memset(cst, 0, sizeof(*cst));
    g_assert_true(vmm_state_load(&pci_device_state_desc, cfg, "_test1", cst,
                                 &error));
    msix_get_state(m, &mst);
    g_assert_true(vmm_state_load(&msix_state_desc, st, "_test1", &mst,
                                 &error));
    g_assert_no_error(error);
    pci_device_set_state(&f->fn->pci, cst);
    msix_set_state(m, &mst);
    msix_state_clear(&mst);
    g_assert_cmphex(cfg_read(f, 1, PCI_REG_COMMAND, 2), ==, PCI_COMMAND_MEMORY);
    g_assert_cmphex(fake_host_mmio_read(f->vm, bar0_addr(f) + TABLE_OFF + 32, 4),
                    ==, 0xfee01000);
    g_assert_cmphex(fake_host_mmio_read(f->vm, bar0_addr(f) + PBA_OFF, 4), ==, 0x4);

    json_object_set_string_member(json_node_get_object(cfg), "config", "AAAA");
    g_assert_false(vmm_state_load(&pci_device_state_desc, cfg, "_test1", cst,
                                  &error));
    g_assert_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA);
    g_assert_nonnull(strstr(error->message, "field 'config'"));
}

/* A hostile guest places BAR0 where nothing may decode: onto RAM, outside
 * the host bridge windows (IOAPIC, the sizing pattern left in place with
 * decoding on), onto another BAR.  Each placement leaves the BAR off the
 * bus (and its ioeventfds with it); a usable address brings it back. */
static void
test_bar_hostile_placement(Fx *f, gconstpointer data)
{
    const PciWindow win[] = {
        { FAKE_HOST_MMIO32_BASE, FAKE_HOST_MMIO32_SIZE },
        { FAKE_HOST_MMIO64_BASE, 1ULL << 36 },
    };
    static const uint64_t bad[] = {
        0x200000,                 /* guest RAM */
        0xff0000,                 /* the last 64 KiB of RAM */
        0xfec00000,               /* IOAPIC: outside the windows */
        0xfee00000,               /* LAPIC */
        PCI_ECAM_BASE + 0x100000, /* right after ECAM, still outside */
        0xffffffffffff0000ULL,    /* the size probe left in place */
    };
    uint64_t a = bar0_addr(f);
    uint64_t bar2 = cfg_read(f, 1, PCI_REG_BAR0 + 8, 4);
    Bus *mmio = fake_host_mmio_bus(f->vm);

    pci_bus_set_windows(f->bus, win, G_N_ELEMENTS(win));
    cfg_write(f, 1, PCI_REG_COMMAND, 2, PCI_COMMAND_MEMORY);
    g_assert_nonnull(bus_lookup(mmio, a, NULL, NULL));
    for (unsigned i = 0; i < G_N_ELEMENTS(bad); i++) {
        cfg_write(f, 1, PCI_REG_BAR0, 4, (uint32_t)bad[i]);
        cfg_write(f, 1, PCI_REG_BAR0 + 4, 4, bad[i] >> 32);
        g_assert_cmphex(bar0_addr(f), ==, bad[i]);
        g_assert_false(f->fn->last_mapped);
        g_assert_null(bus_lookup(mmio, a, NULL, NULL));
        g_assert_null(bus_lookup(mmio, bad[i], NULL, NULL));
        /* Back to a sane address: decoding again. */
        cfg_write(f, 1, PCI_REG_BAR0, 4, (uint32_t)a);
        cfg_write(f, 1, PCI_REG_BAR0 + 4, 4, a >> 32);
        g_assert_true(f->fn->last_mapped);
        g_assert_cmphex(f->fn->last_mapped_addr, ==, a);
        g_assert_cmphex(fake_host_mmio_read(f->vm, a + 0x10, 4), ==, 0xb000);
    }

    /* BAR0 to a free 32-bit address, then BAR2 onto it: refused by the
     * bus, BAR0 keeps its range; BAR2 comes back at its own address. */
    cfg_write(f, 1, PCI_REG_BAR0 + 4, 4, 0);
    cfg_write(f, 1, PCI_REG_BAR0, 4, 0xc8000000);
    g_assert_true(f->fn->last_mapped);
    cfg_write(f, 1, PCI_REG_BAR0 + 8, 4, 0xc8000000);
    g_assert_cmphex(fake_host_mmio_read(f->vm, 0xc8000010, 4), ==, 0xb000);
    g_assert_null(bus_lookup(mmio, bar2, NULL, NULL));
    cfg_write(f, 1, PCI_REG_BAR0 + 8, 4, bar2);
    g_assert_cmphex(fake_host_mmio_read(f->vm, bar2 + 4, 2), ==, 0xb002);
    cfg_write(f, 1, PCI_REG_BAR0, 4, (uint32_t)a);
    cfg_write(f, 1, PCI_REG_BAR0 + 4, 4, a >> 32);
    g_assert_cmphex(fake_host_mmio_read(f->vm, a + 0x10, 4), ==, 0xb000);

    /* Without windows (a bus nobody described) any address is in; with
     * them, a range must fit wholly inside one, without overflowing. */
    pci_bus_set_windows(f->bus, NULL, 0);
    g_assert_true(pci_bus_window_contains(f->bus, 0xfec00000, 0x10000));
    pci_bus_set_windows(f->bus, win, G_N_ELEMENTS(win));
    g_assert_true(pci_bus_window_contains(f->bus, FAKE_HOST_MMIO32_BASE +
                                          FAKE_HOST_MMIO32_SIZE - 0x10000,
                                          0x10000));
    g_assert_false(pci_bus_window_contains(f->bus, FAKE_HOST_MMIO32_BASE +
                                           FAKE_HOST_MMIO32_SIZE - 0x10000,
                                           0x20000));
    g_assert_false(pci_bus_window_contains(f->bus, UINT64_MAX - 0xf, 0x10));
}

/* MSI-X entries no chipset would deliver (outside the 0xfee window, a
 * high dword, a reserved delivery mode, vector 0-15) are dropped without
 * a route, a signal or a pending bit; NMI ignores the vector field; a
 * sane entry written afterwards works again.  Then a mask/unmask storm. */
static void
test_msix_hostile_messages(Fx *f, gconstpointer data)
{
    static const struct {
        uint64_t addr;
        uint32_t data;
        bool ok;
    } msgs[] = {
        { 0x12345000, 0x41, false },
        { 0xfed00000, 0x41, false },
        { 0x1fee00000ULL, 0x41, false },
        { 0xfee00000, 0x03, false },          /* fixed, vector 3 */
        { 0xfee00000, 0x10f, false },         /* lowest priority, 15 */
        { 0xfee00000, 0x341, false },         /* reserved mode 011 */
        { 0xfee00000, 0x641, false },         /* reserved mode 110 */
        { 0xfee00000, 0x402, true },          /* NMI */
        { 0xfee01000, 0x10, true },           /* the first legal vector */
    };
    Msix *m = f->fn->msix;
    uint8_t cap = msix_cap_offset(m);
    int fd1 = msix_vector_eventfd(m, 1);
    uint32_t gsi = (uint32_t)fake_host_irqfd_gsi(f->vm, fd1);
    uint64_t pba, addr;
    uint32_t d;

    cfg_write(f, 1, PCI_REG_COMMAND, 2, PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);
    cfg_write(f, 1, cap + 2, 2, 0x8000);
    pba = bar0_addr(f) + PBA_OFF;
    msix_entry(f, 1, 0xfee00000, 0x41, false);
    g_assert_cmpint(msix_notify(m, 1), ==, 0);
    g_assert_true(eventfd_fired(fd1));
    for (unsigned i = 0; i < G_N_ELEMENTS(msgs); i++) {
        msix_entry(f, 1, msgs[i].addr, msgs[i].data, false);
        g_assert_cmpint(msix_notify(m, 1), ==, 0);
        g_assert_cmpint(eventfd_fired(fd1), ==, msgs[i].ok);
        g_assert_cmphex(fake_host_mmio_read(f->vm, pba, 8), ==, 0);
        g_assert_true(fake_host_msi_route(f->vm, gsi, &addr, &d));
        if (msgs[i].ok) {
            g_assert_cmphex(addr, ==, msgs[i].addr);
            g_assert_cmphex(d, ==, msgs[i].data);
        } else {
            /* KVM never saw the bad message. */
            g_assert_cmphex(addr >> 20, ==, 0xfee);
            g_assert_cmphex(d & 0xff, >=, 16);
        }
        /* Masked, then unmasked with an interrupt pending: the same. */
        fake_host_mmio_write(f->vm, bar0_addr(f) + TABLE_OFF + 16 + 12, 4, 1);
        msix_notify(m, 1);
        g_assert_cmphex(fake_host_mmio_read(f->vm, pba, 8), ==, 0x2);
        fake_host_mmio_write(f->vm, bar0_addr(f) + TABLE_OFF + 16 + 12, 4, 0);
        g_assert_cmphex(fake_host_mmio_read(f->vm, pba, 8), ==, 0);
        g_assert_cmpint(eventfd_fired(fd1), ==, msgs[i].ok);
    }
    /* The PBA is read-only: writes change nothing. */
    fake_host_mmio_write(f->vm, pba, 8, ~0ULL);
    g_assert_cmphex(fake_host_mmio_read(f->vm, pba, 8), ==, 0);

    /* A storm of mask flips and entry rewrites, good and bad. */
    for (unsigned i = 0; i < 2000; i++) {
        unsigned v = i % NVEC;

        msix_entry(f, v, i & 1 ? 0xfee00000 : 0xdead0000, 0x30 + (i & 0x7f),
                   i & 2);
        msix_notify(m, v);
        cfg_write(f, 1, cap + 2, 2, i & 4 ? 0xc000 : 0x8000);
    }
    cfg_write(f, 1, cap + 2, 2, 0x8000);
    msix_entry(f, 1, 0xfee00000, 0x41, false);
    while (eventfd_fired(fd1))
        ;
    g_assert_cmpint(msix_notify(m, 1), ==, 0);
    g_assert_true(eventfd_fired(fd1));
}

static void
test_slots(Fx *f, gconstpointer data)
{
    g_autoptr(GError) error = NULL;
    PciDevice extra[PCI_SLOTS];
    VmmDevice owner = { .id = (char *)"_x" };
    unsigned added = 0;
    g_autofree char *bdf = pci_device_bdf(&f->fn->pci);

    g_assert_true(pci_bus_get_device(f->bus, 1) == &f->fn->pci);
    g_assert_cmpstr(bdf, ==, "0000:00:01.0");
    for (unsigned i = 0; i < PCI_SLOTS; i++)
        pci_device_init(&extra[i], NULL, &owner, fake_host_base(f->vm), 1, 2,
                        0, 0, 0, 0);
    g_assert_false(pci_bus_add_device(f->bus, &extra[0], 0, &error));
    g_assert_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
    g_clear_error(&error);
    g_assert_false(pci_bus_add_device(f->bus, &extra[0], 1, &error));
    g_assert_error(error, G_IO_ERROR, G_IO_ERROR_EXISTS);
    g_assert_nonnull(strstr(error->message, "_test0"));
    g_clear_error(&error);
    g_assert_true(pci_bus_add_device(f->bus, &extra[0], 7, &error));
    g_assert_cmpuint(extra[0].devfn, ==, 7 << 3);
    /* Sequential allocation skips the taken slots, then runs out. */
    for (unsigned i = 1; i < PCI_SLOTS; i++) {
        if (!pci_bus_add_device(f->bus, &extra[i], -1, &error))
            break;
        added++;
        g_assert_cmpuint(extra[i].devfn >> 3, !=, 7);
    }
    g_assert_cmpuint(added, ==, PCI_SLOTS - 3);
    g_assert_error(error, G_IO_ERROR, G_IO_ERROR_NO_SPACE);
    for (unsigned i = 0; i <= added; i++)
        pci_bus_remove_device(f->bus, &extra[i]);
    g_assert_null(pci_bus_get_device(f->bus, 7));
}

static void
test_bar_errors(void)
{
    g_autoptr(GError) error = NULL;
    FakeHost *vm = fake_host_new(0);
    VmmDevice owner = { .id = (char *)"_bad" };
    PciDevice p;

    pci_device_init(&p, NULL, &owner, fake_host_base(vm), 1, 2, 0, 0, 0, 0);
    g_assert_false(pci_device_add_bar(&p, 0, PCI_BAR_MEM32, 100, false, &error));
    g_assert_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
    g_clear_error(&error);
    g_assert_false(pci_device_add_bar(&p, 5, PCI_BAR_MEM64, 4096, false, &error));
    g_clear_error(&error);
    g_assert_true(pci_device_add_bar(&p, 0, PCI_BAR_MEM64, 4096, true, &error));
    g_assert_cmphex(pci_get_long(&p, PCI_REG_BAR0) & 0xf, ==, 0xc);
    g_assert_false(pci_device_add_bar(&p, 1, PCI_BAR_MEM32, 4096, false, &error));
    g_clear_error(&error);
    fake_host_set_alloc_fail(vm, true);
    g_assert_false(pci_device_add_bar(&p, 2, PCI_BAR_MEM32, 4096, false, &error));
    g_assert_nonnull(strstr(error->message, "BAR 2"));
    fake_host_free(vm);
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
#define ADD(path, fn) g_test_add(path, Fx, NULL, fx_setup, fn, fx_teardown)
    ADD("/pci/host-bridge", test_host_bridge);
    ADD("/pci/bar/sizing", test_bar_sizing);
    ADD("/pci/bar/mapping", test_bar_mapping);
    ADD("/pci/bar/hostile-placement", test_bar_hostile_placement);
    ADD("/pci/capabilities", test_capabilities);
    ADD("/pci/msix/delivery", test_msix);
    ADD("/pci/msix/save-restore", test_msix_save_restore);
    ADD("/pci/msix/hostile-messages", test_msix_hostile_messages);
    ADD("/pci/slots", test_slots);
#undef ADD
    g_test_add_func("/pci/bar/errors", test_bar_errors);
    return g_test_run();
}
