/* SPDX-License-Identifier: Apache-2.0 */
/* PCI function emulation: type-0 config space, BARs, capability list. */
#include <config.h>

#include <string.h>
#include <gio/gio.h>

#include "devices/pci/pci-bus.h"
#include "devices/pci/pci.h"

void
pci_set_byte(PciDevice *pdev, uint32_t off, uint8_t v)
{
    pdev->config[off] = v;
}

void
pci_set_word(PciDevice *pdev, uint32_t off, uint16_t v)
{
    vmm_le_store(&pdev->config[off], 2, v);
}

void
pci_set_long(PciDevice *pdev, uint32_t off, uint32_t v)
{
    vmm_le_store(&pdev->config[off], 4, v);
}

uint16_t
pci_get_word(const PciDevice *pdev, uint32_t off)
{
    return (uint16_t)vmm_le_load(&pdev->config[off], 2);
}

uint32_t
pci_get_long(const PciDevice *pdev, uint32_t off)
{
    return (uint32_t)vmm_le_load(&pdev->config[off], 4);
}

void
pci_set_wmask(PciDevice *pdev, uint32_t off, unsigned len, uint32_t mask)
{
    vmm_le_store(&pdev->wmask[off], len, mask);
}

/* ---- BAR regions on the MMIO bus ---------------------------------------- */

static void
pci_bar_region_read(VmmDevice *dev, uint64_t off, void *data, unsigned len)
{
    PciBarRegion *r = (PciBarRegion *)dev;

    if (r->pdev->ops->bar_read)
        r->pdev->ops->bar_read(r->pdev, r->bar, off, data, len);
    else
        vmm_device_read_ones(data, len);
}

static void
pci_bar_region_write(VmmDevice *dev, uint64_t off, const void *data,
                     unsigned len)
{
    PciBarRegion *r = (PciBarRegion *)dev;

    if (r->pdev->ops->bar_write)
        r->pdev->ops->bar_write(r->pdev, r->bar, off, data, len);
}

/* Not in the VM's device list: only its bus ranges point at it. */
static const VmmDeviceOps pci_bar_region_ops = {
    .name = "pci-bar",
    .read = pci_bar_region_read,
    .write = pci_bar_region_write,
};

void
pci_device_init(PciDevice *pdev, const PciDeviceOps *ops, VmmDevice *owner,
                DeviceHost *host, uint16_t vendor, uint16_t device,
                uint32_t class_code, uint8_t revision, uint16_t subsys_vendor,
                uint16_t subsys_id)
{
    memset(pdev, 0, sizeof(*pdev));
    pdev->ops = ops;
    pdev->owner = owner;
    pdev->host = host;
    pdev->cap_end = PCI_CAP_START;
    pci_set_word(pdev, PCI_REG_VENDOR_ID, vendor);
    pci_set_word(pdev, PCI_REG_DEVICE_ID, device);
    pci_set_byte(pdev, PCI_REG_REVISION, revision);
    pci_set_byte(pdev, PCI_REG_CLASS_PROG, class_code & 0xff);
    pci_set_word(pdev, PCI_REG_CLASS_PROG + 1, (class_code >> 8) & 0xffff);
    pci_set_byte(pdev, PCI_REG_HEADER_TYPE, 0);
    pci_set_word(pdev, PCI_REG_SUBSYS_VENDOR, subsys_vendor);
    pci_set_word(pdev, PCI_REG_SUBSYS_ID, subsys_id);
    /* Writable: memory/bus-master/SERR/INTx-disable in the command
     * register, cache line, latency timer and interrupt line.  I/O space
     * stays off: no function has an I/O BAR. */
    pci_set_wmask(pdev, PCI_REG_COMMAND, 2,
                  PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER | PCI_COMMAND_SERR |
                  PCI_COMMAND_INTX_DISABLE);
    /* Status error bits are write-1-to-clear (bits 8, 11-15). */
    vmm_le_store(&pdev->w1cmask[PCI_REG_STATUS], 2, 0xf900);
    pdev->wmask[PCI_REG_CACHE_LINE] = 0xff;
    pdev->wmask[PCI_REG_LATENCY] = 0xff;
    pdev->wmask[PCI_REG_INT_LINE] = 0xff;
    for (unsigned i = 0; i < PCI_NUM_BARS; i++) {
        pdev->bars[i].region.pdev = pdev;
        pdev->bars[i].region.bar = i;
        pdev->bars[i].region.dev.ops = &pci_bar_region_ops;
        pdev->bars[i].region.dev.host = host;
    }
}

bool
pci_device_add_bar(PciDevice *pdev, unsigned bar, PciBarType type,
                   uint64_t size, bool prefetch, GError **error)
{
    PciBar *b;
    uint64_t addr;
    uint32_t flags = 0;
    bool ok;

    if (bar >= PCI_NUM_BARS || (type == PCI_BAR_MEM64 && bar == 5) ||
        size < 16 || (size & (size - 1)) != 0 ||
        (type == PCI_BAR_MEM32 && size > (1ULL << 31)) ||
        pdev->bars[bar].type != PCI_BAR_NONE ||
        (bar > 0 && pdev->bars[bar - 1].type == PCI_BAR_MEM64)) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                    "invalid BAR %u (size 0x%" G_GINT64_MODIFIER "x)", bar,
                    size);
        return false;
    }
    /* Natural alignment: a BAR's address is a multiple of its size, which
     * is what the size mask read back by the guest implies. */
    if (type == PCI_BAR_MEM64)
        ok = device_host_alloc_mmio64(pdev->host, size, size, &addr, error);
    else
        ok = device_host_alloc_mmio32(pdev->host, size, size, &addr, error);
    if (!ok) {
        g_prefix_error(error, "BAR %u: ", bar);
        return false;
    }
    b = &pdev->bars[bar];
    b->type = type;
    b->prefetch = prefetch;
    b->size = size;
    b->initial_addr = b->addr = addr;
    b->region.dev.id = pdev->owner->id;   /* borrowed: same node in vm.info */
    if (type == PCI_BAR_MEM64)
        flags |= PCI_BAR_MEM_TYPE_64;
    if (prefetch)
        flags |= PCI_BAR_MEM_PREFETCH;
    pci_set_long(pdev, PCI_REG_BAR0 + 4 * bar, (uint32_t)addr | flags);
    /* Sizing (PCI 3.0 §6.2.5.1): writing all-ones reads back the size mask
     * because the bits below the size are read-only zeroes. */
    pci_set_wmask(pdev, PCI_REG_BAR0 + 4 * bar, 4, (uint32_t)~(size - 1) & ~0xfU);
    if (type == PCI_BAR_MEM64) {
        pci_set_long(pdev, PCI_REG_BAR0 + 4 * (bar + 1), (uint32_t)(addr >> 32));
        pci_set_wmask(pdev, PCI_REG_BAR0 + 4 * (bar + 1), 4,
                      (uint32_t)(~(size - 1) >> 32));
    }
    return true;
}

uint8_t
pci_device_add_capability(PciDevice *pdev, uint8_t cap_id, unsigned size,
                          GError **error)
{
    unsigned off = (pdev->cap_end + 3) & ~3U;

    if (size < 2 || off + size > 0x100) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_NO_SPACE,
                    "no room for PCI capability 0x%02x (%u bytes)", cap_id,
                    size);
        return 0;
    }
    pdev->config[off] = cap_id;
    pdev->config[off + 1] = 0;
    if (pdev->last_cap)
        pdev->config[pdev->last_cap + 1] = (uint8_t)off;
    else
        pdev->config[PCI_REG_CAP_PTR] = (uint8_t)off;
    pci_set_word(pdev, PCI_REG_STATUS,
                 pci_get_word(pdev, PCI_REG_STATUS) | PCI_STATUS_CAP_LIST);
    pdev->last_cap = (uint8_t)off;
    pdev->cap_end = off + size;
    return (uint8_t)off;
}

void
pci_device_finish_init(PciDevice *pdev)
{
    memcpy(pdev->initial, pdev->config, sizeof(pdev->config));
}

void
pci_device_config_read(PciDevice *pdev, uint32_t off, void *data,
                       unsigned len)
{
    if (off >= PCI_CONFIG_SIZE || len > PCI_CONFIG_SIZE - off) {
        vmm_device_read_ones(data, len);
        return;
    }
    memcpy(data, &pdev->config[off], len);
    if (pdev->ops && pdev->ops->config_read)
        pdev->ops->config_read(pdev, off, data, len);
}

/* Where BAR @i decodes according to the config registers. */
static uint64_t
pci_bar_config_addr(const PciDevice *pdev, unsigned i)
{
    const PciBar *b = &pdev->bars[i];
    uint64_t addr = pci_get_long(pdev, PCI_REG_BAR0 + 4 * i) & ~0xfULL;

    if (b->type == PCI_BAR_MEM64)
        addr |= (uint64_t)pci_get_long(pdev, PCI_REG_BAR0 + 4 * (i + 1)) << 32;
    return addr & ~(b->size - 1);
}

/*
 * Whether a BAR may decode at [@addr, @addr + @size); if not, *@why says
 * why.  RAM always wins: KVM serves guest RAM from its memory slots
 * without an exit, so a BAR over RAM could never be reached anyway, but
 * its bus range and the ioeventfds inside it (virtio notify) would sit on
 * top of the guest's memory, and a later hot-added device could be
 * refused for an overlap the guest cannot see.  Outside the host bridge's
 * windows (LAPIC, IOAPIC, ECAM, the KVM TSS, above the 64-bit window) a
 * real root complex forwards nothing to PCI.  QEMU reaches the same
 * guest-visible result by giving RAM and the platform devices priority
 * over the PCI hole.
 */
static bool
pci_bar_placement_ok(PciDevice *pdev, uint64_t addr, uint64_t size,
                     const char **why)
{
    const GuestMemory *mem = device_host_memory(pdev->host);

    for (unsigned i = 0; mem && i < mem->nregions; i++) {
        const GuestRegion *r = &mem->regions[i];

        if (addr < r->gpa + r->size && r->gpa < addr + size) {
            *why = "overlaps guest RAM";
            return false;
        }
    }
    if (pdev->bus && !pci_bus_window_contains(pdev->bus, addr, size)) {
        *why = "outside the host bridge windows";
        return false;
    }
    return true;
}

/* Brings the MMIO bus in line with the BAR registers and the command
 * register (config lock held).  A placement refused here or by the bus
 * (RAM, outside the windows, overlap with another device, transient value
 * while a 64-bit BAR is half written, size probe left in place) leaves
 * the BAR unmapped until the guest writes a usable address. */
static void
pci_device_update_mappings(PciDevice *pdev)
{
    bool mem_on = pci_get_word(pdev, PCI_REG_COMMAND) & PCI_COMMAND_MEMORY;

    for (unsigned i = 0; i < PCI_NUM_BARS; i++) {
        PciBar *b = &pdev->bars[i];
        uint64_t addr;
        bool want;
        const char *why = NULL;
        g_autoptr(GError) error = NULL;

        if (b->type == PCI_BAR_NONE)
            continue;
        addr = pci_bar_config_addr(pdev, i);
        want = mem_on && addr != 0 && addr + b->size - 1 > addr;
        if (want == b->mapped && (!want || addr == b->addr))
            continue;
        if (b->mapped) {
            device_host_unregister_mmio(pdev->host, b->addr, &b->region.dev);
            b->mapped = false;
            if (pdev->ops && pdev->ops->bar_mapped)
                pdev->ops->bar_mapped(pdev, i, b->addr, false);
        }
        b->addr = addr;
        if (!want)
            continue;
        if (!pci_bar_placement_ok(pdev, addr, b->size, &why)) {
            g_debug("%s: BAR %u not mapped at 0x%" G_GINT64_MODIFIER "x: %s",
                    pdev->owner->id, i, addr, why);
            continue;
        }
        if (!device_host_register_mmio(pdev->host, addr, b->size,
                                       &b->region.dev, &error)) {
            g_debug("%s: BAR %u not mapped: %s", pdev->owner->id, i,
                    error->message);
            continue;
        }
        b->mapped = true;
        if (pdev->ops && pdev->ops->bar_mapped)
            pdev->ops->bar_mapped(pdev, i, addr, true);
    }
}

void
pci_device_config_write(PciDevice *pdev, uint32_t off, const void *data,
                        unsigned len)
{
    const uint8_t *v = data;

    if (off >= PCI_CONFIG_SIZE || len > PCI_CONFIG_SIZE - off)
        return;
    for (unsigned i = 0; i < len; i++) {
        uint32_t o = off + i;

        pdev->config[o] = (pdev->config[o] & ~pdev->wmask[o]) |
                          (v[i] & pdev->wmask[o]);
        pdev->config[o] &= ~(v[i] & pdev->w1cmask[o]);
    }
    /* Command register or a BAR: the decoded ranges may have moved. */
    if (off < PCI_REG_COMMAND + 2 && off + len > PCI_REG_COMMAND)
        pci_device_update_mappings(pdev);
    else if (off < PCI_REG_BAR0 + 4 * PCI_NUM_BARS && off + len > PCI_REG_BAR0)
        pci_device_update_mappings(pdev);
    if (pdev->ops && pdev->ops->config_write)
        pdev->ops->config_write(pdev, off, len);
}

void
pci_device_reset(PciDevice *pdev)
{
    if (pdev->bus)
        pci_bus_lock(pdev->bus);
    memcpy(pdev->config, pdev->initial, sizeof(pdev->config));
    pci_device_update_mappings(pdev);
    if (pdev->bus)
        pci_bus_unlock(pdev->bus);
}

void
pci_device_unmap_bars(PciDevice *pdev)
{
    for (unsigned i = 0; i < PCI_NUM_BARS; i++) {
        PciBar *b = &pdev->bars[i];

        if (!b->mapped)
            continue;
        device_host_unregister_mmio(pdev->host, b->addr, &b->region.dev);
        b->mapped = false;
        if (pdev->ops && pdev->ops->bar_mapped)
            pdev->ops->bar_mapped(pdev, i, b->addr, false);
    }
}

static const VmmStateField pci_device_state_fields[] = {
    VMM_STATE_BYTES_FIELD(PciDeviceState, config),
};

const VmmStateDesc pci_device_state_desc = {
    .name = "pci-function",
    .version = 1,
    .size = sizeof(PciDeviceState),
    .fields = pci_device_state_fields,
    .n_fields = G_N_ELEMENTS(pci_device_state_fields),
};

void
pci_device_get_state(PciDevice *pdev, PciDeviceState *st)
{
    if (pdev->bus)
        pci_bus_lock(pdev->bus);
    memcpy(st->config, pdev->config, sizeof(st->config));
    if (pdev->bus)
        pci_bus_unlock(pdev->bus);
}

void
pci_device_set_state(PciDevice *pdev, const PciDeviceState *st)
{
    if (pdev->bus)
        pci_bus_lock(pdev->bus);
    /* Only guest-writable bits come from the snapshot: the read-only ones
     * (ids, BAR sizes, capability layout) are this build's. */
    for (unsigned i = 0; i < PCI_CONFIG_SIZE; i++)
        pdev->config[i] = (pdev->initial[i] & ~pdev->wmask[i]) |
                          (st->config[i] & pdev->wmask[i]);
    pci_device_update_mappings(pdev);
    if (pdev->bus)
        pci_bus_unlock(pdev->bus);
}

char *
pci_device_bdf(const PciDevice *pdev)
{
    return g_strdup_printf("0000:00:%02x.%u", pdev->devfn >> 3,
                           pdev->devfn & 7);
}
