/* SPDX-License-Identifier: Apache-2.0 */
/* PCI segment 0: host bridge, config access through 0xcf8/0xcfc and ECAM, slot allocation. */
#include <config.h>

#include <string.h>
#include <gio/gio.h>

#include "devices/pci/pci-bus.h"

/* Bits of CONFIG_ADDRESS the guest can set (enable, bus, devfn, reg). */
#define PCI_BUS_CONFIG_ADDRESS_MASK 0x8fffffffu

/*
 * One segment, bus 0, function 0 of each of the 32 slots.  The host bridge
 * is slot 0.  Hotplug (roadmap) adds and removes functions at run time
 * through pci_bus_add_device()/pci_bus_remove_device(); more segments get
 * their own PciBus with the next 1 MiB of ECAM.
 */
struct PciBus {
    VmmDevice dev;          /* on the PIO bus (0xcf8) and the MMIO bus (ECAM) */
    uint16_t segment;       /* immutable */
    uint64_t ecam_base;     /* immutable */
    uint64_t ecam_size;
    PciDevice host_bridge;  /* slots[0] */
    /* Where BARs may decode (pci_bus_set_windows()); immutable once the
     * vCPUs run. */
    PciWindow windows[PCI_BUS_MAX_WINDOWS];
    unsigned n_windows;

    /* Config accesses come from any vCPU; the 0xcf8 latch is shared state
     * of the bridge, as on real chipsets. */
    GMutex lock;
    uint32_t config_address;        /* lock */
    PciDevice *slots[PCI_SLOTS];    /* lock */
};

void
pci_bus_lock(PciBus *bus)
{
    g_mutex_lock(&bus->lock);
}

void
pci_bus_unlock(PciBus *bus)
{
    g_mutex_unlock(&bus->lock);
}

static PciBus *
pci_bus_from_dev(VmmDevice *dev)
{
    return (PciBus *)dev;
}

/* The function for a bus/devfn, or NULL (caller holds the lock). */
static PciDevice *
pci_bus_find_locked(PciBus *bus, unsigned busno, unsigned devfn)
{
    if (busno != 0 || (devfn & 7) != 0)
        return NULL;
    return bus->slots[devfn >> 3];
}

static void
pci_bus_config_read_locked(PciBus *bus, unsigned busno, unsigned devfn,
                           uint32_t reg, void *data, unsigned len)
{
    PciDevice *pdev = pci_bus_find_locked(bus, busno, devfn);

    /* A missing function, or an unaligned access, reads all-ones: how the
     * guest's enumeration learns the slot is empty. */
    if (!pdev || (reg & (len - 1)) != 0) {
        vmm_device_read_ones(data, len);
        return;
    }
    pci_device_config_read(pdev, reg, data, len);
}

static void
pci_bus_config_write_locked(PciBus *bus, unsigned busno, unsigned devfn,
                            uint32_t reg, const void *data, unsigned len)
{
    PciDevice *pdev = pci_bus_find_locked(bus, busno, devfn);

    if (!pdev || (reg & (len - 1)) != 0) {
        g_debug("pci: config write to %02x:%02x.%u+0x%x (%u bytes) ignored",
                busno, devfn >> 3, devfn & 7, reg, len);
        return;
    }
    pci_device_config_write(pdev, reg, data, len);
}

/* ECAM (PCIe 3.0 §7.2.2): offset = bus << 20 | dev << 15 | fn << 12 | reg. */
void
pci_bus_ecam_read(PciBus *bus, uint64_t off, void *data, unsigned len)
{
    if (len > 4 || off >= bus->ecam_size) {
        vmm_device_read_ones(data, len);
        return;
    }
    g_mutex_lock(&bus->lock);
    pci_bus_config_read_locked(bus, (off >> 20) & 0xff, (off >> 12) & 0xff,
                               off & 0xfff, data, len);
    g_mutex_unlock(&bus->lock);
}

void
pci_bus_ecam_write(PciBus *bus, uint64_t off, const void *data, unsigned len)
{
    if (len > 4 || off >= bus->ecam_size)
        return;
    g_mutex_lock(&bus->lock);
    pci_bus_config_write_locked(bus, (off >> 20) & 0xff, (off >> 12) & 0xff,
                                off & 0xfff, data, len);
    g_mutex_unlock(&bus->lock);
}

/*
 * Configuration mechanism #1 (PCI 3.0 §3.2.2.3.2): a dword write to 0xcf8
 * latches enable(31) | bus(23:16) | devfn(15:8) | reg(7:2) (+ reg 11:8 in
 * bits 27:24, an AMD extension Linux uses for extended space); accesses to
 * 0xcfc-0xcff then reach that register.
 */
static void
pci_bus_pio_read(VmmDevice *dev, uint64_t off, void *data, unsigned len)
{
    PciBus *bus = pci_bus_from_dev(dev);
    uint32_t a;

    g_mutex_lock(&bus->lock);
    a = bus->config_address;
    if (off == 0 && len == 4) {
        vmm_le_store(data, 4, a);
    } else if (off >= 4 && (a & 0x80000000u)) {
        uint32_t reg = (a & 0xfc) | ((a >> 16) & 0xf00) | (uint32_t)(off - 4);

        pci_bus_config_read_locked(bus, (a >> 16) & 0xff, (a >> 8) & 0xff, reg,
                                   data, len);
    } else {
        vmm_device_read_ones(data, len);
    }
    g_mutex_unlock(&bus->lock);
}

static void
pci_bus_pio_write(VmmDevice *dev, uint64_t off, const void *data, unsigned len)
{
    PciBus *bus = pci_bus_from_dev(dev);
    uint32_t a;

    g_mutex_lock(&bus->lock);
    a = bus->config_address;
    if (off == 0 && len == 4) {
        bus->config_address = (uint32_t)vmm_le_load(data, 4) &
                              PCI_BUS_CONFIG_ADDRESS_MASK;
    } else if (off >= 4 && (a & 0x80000000u)) {
        uint32_t reg = (a & 0xfc) | ((a >> 16) & 0xf00) | (uint32_t)(off - 4);

        pci_bus_config_write_locked(bus, (a >> 16) & 0xff, (a >> 8) & 0xff,
                                    reg, data, len);
    }
    g_mutex_unlock(&bus->lock);
}

/* The bus device itself decodes ECAM; the ports have their own device. */
static void
pci_bus_read(VmmDevice *dev, uint64_t off, void *data, unsigned len)
{
    pci_bus_ecam_read(pci_bus_from_dev(dev), off, data, len);
}

static void
pci_bus_write(VmmDevice *dev, uint64_t off, const void *data, unsigned len)
{
    pci_bus_ecam_write(pci_bus_from_dev(dev), off, data, len);
}

static void
pci_bus_reset(VmmDevice *dev)
{
    PciBus *bus = pci_bus_from_dev(dev);

    g_mutex_lock(&bus->lock);
    bus->config_address = 0;
    g_mutex_unlock(&bus->lock);
    pci_device_reset(&bus->host_bridge);
}

/* The CONFIG_ADDRESS latch and the host bridge's config space; the
 * functions save their own with their devices. */
typedef struct {
    uint32_t config_address;
    PciDeviceState host_bridge;
} PciBusState;

static const VmmStateField pci_bus_state_fields[] = {
    VMM_STATE_UINT_FIELD(PciBusState, config_address, 0,
                         PCI_BUS_CONFIG_ADDRESS_MASK),
    { .name = "host_bridge", .type = VMM_STATE_STRUCT,
      .offset = offsetof(PciBusState, host_bridge),
      .desc = &pci_device_state_desc },
};

static const VmmStateDesc pci_bus_state_desc = {
    .name = "pci-bus",
    .version = 1,
    .size = sizeof(PciBusState),
    .fields = pci_bus_state_fields,
    .n_fields = G_N_ELEMENTS(pci_bus_state_fields),
};

static JsonNode *
pci_bus_save(VmmDevice *dev, GError **error)
{
    PciBus *bus = pci_bus_from_dev(dev);
    g_autofree PciBusState *st = g_new0(PciBusState, 1);

    g_mutex_lock(&bus->lock);
    st->config_address = bus->config_address;
    g_mutex_unlock(&bus->lock);
    pci_device_get_state(&bus->host_bridge, &st->host_bridge);
    return vmm_state_save(&pci_bus_state_desc, st);
}

static bool
pci_bus_restore(VmmDevice *dev, JsonNode *state, GError **error)
{
    PciBus *bus = pci_bus_from_dev(dev);
    g_autofree PciBusState *st = g_new0(PciBusState, 1);

    if (!vmm_state_load(&pci_bus_state_desc, state, dev->id, st, error))
        return false;
    if (st->config_address & ~PCI_BUS_CONFIG_ADDRESS_MASK) {
        vmm_state_error(error, dev->id, "config_address",
                        "bits 0x%x are reserved",
                        st->config_address & ~PCI_BUS_CONFIG_ADDRESS_MASK);
        return false;
    }
    g_mutex_lock(&bus->lock);
    bus->config_address = st->config_address;
    g_mutex_unlock(&bus->lock);
    pci_device_set_state(&bus->host_bridge, &st->host_bridge);
    return true;
}

static void
pci_bus_free(VmmDevice *dev)
{
    PciBus *bus = pci_bus_from_dev(dev);

    g_mutex_clear(&bus->lock);
    g_free(bus);
}

/* The config ports need their own VmmDevice: the offsets the bus passes
 * for the 8 ports and for ECAM would otherwise be indistinguishable. */
typedef struct {
    VmmDevice dev;
    PciBus *bus;
} PciConfigPorts;

static void
pci_ports_read(VmmDevice *dev, uint64_t off, void *data, unsigned len)
{
    pci_bus_pio_read(&((PciConfigPorts *)dev)->bus->dev, off, data, len);
}

static void
pci_ports_write(VmmDevice *dev, uint64_t off, const void *data, unsigned len)
{
    pci_bus_pio_write(&((PciConfigPorts *)dev)->bus->dev, off, data, len);
}

/* The ports' state (CONFIG_ADDRESS) is the bus's: an empty section,
 * versioned so that a later one with fields is refused here. */
static const VmmStateDesc pci_ports_state_desc = {
    .name = "pci-config-ports",
    .version = 1,
};

static JsonNode *
pci_ports_save(VmmDevice *dev, GError **error)
{
    return vmm_state_save(&pci_ports_state_desc, NULL);
}

static bool
pci_ports_restore(VmmDevice *dev, JsonNode *state, GError **error)
{
    return vmm_state_load(&pci_ports_state_desc, state, dev->id, NULL, error);
}

static void
pci_ports_free(VmmDevice *dev)
{
    g_free(dev);
}

static const VmmDeviceOps pci_ports_ops = {
    .name = "pci-config-ports",
    .read = pci_ports_read,
    .write = pci_ports_write,
    .save = pci_ports_save,
    .restore = pci_ports_restore,
    .free = pci_ports_free,
};

static bool
pci_ports_realize(DeviceHost *host, PciBus *bus, GError **error)
{
    PciConfigPorts *p = g_new0(PciConfigPorts, 1);

    vmm_device_init(&p->dev, &pci_ports_ops, host, "__pci_config_io");
    p->bus = bus;
    if (!device_host_register_pio(host, PCI_CONFIG_ADDRESS_PORT, 8, &p->dev,
                                  error)) {
        vmm_device_free(&p->dev);
        return false;
    }
    /* Owned by the VM from here on (freed with it, listed in vm.info). */
    return device_host_add_device(host, &p->dev, error);
}

static bool
pci_bus_realize(VmmDevice *dev, GError **error)
{
    PciBus *bus = pci_bus_from_dev(dev);

    return device_host_register_mmio(dev->host, bus->ecam_base,
                                     bus->ecam_size, dev, error);
}

static const VmmDeviceOps pci_bus_ops = {
    .name = "pci-bus",
    .realize = pci_bus_realize,
    .reset = pci_bus_reset,
    .read = pci_bus_read,
    .write = pci_bus_write,
    .save = pci_bus_save,
    .restore = pci_bus_restore,
    .free = pci_bus_free,
};

PciBus *
pci_bus_create(DeviceHost *host, uint64_t ecam_base, GError **error)
{
    PciBus *bus = g_new0(PciBus, 1);

    vmm_device_init(&bus->dev, &pci_bus_ops, host, PCI_BUS_SEGMENT0_ID);
    g_mutex_init(&bus->lock);
    bus->segment = 0;
    bus->ecam_base = ecam_base;
    bus->ecam_size = PCI_ECAM_SEGMENT_SIZE;
    pci_device_init(&bus->host_bridge, NULL, &bus->dev, host,
                    PCI_HOST_BRIDGE_VENDOR, PCI_HOST_BRIDGE_DEVICE,
                    0x060000 /* bridge, host */, 0, 0, 0);
    pci_device_finish_init(&bus->host_bridge);
    bus->host_bridge.bus = bus;
    bus->slots[0] = &bus->host_bridge;
    /* device_host_add_device() frees the bus if realize fails. */
    if (!device_host_add_device(host, &bus->dev, error))
        return NULL;
    if (!pci_ports_realize(host, bus, error))
        return NULL;
    return bus;
}

PciBus *
pci_bus_from_device(VmmDevice *dev)
{
    return dev && dev->ops == &pci_bus_ops ? pci_bus_from_dev(dev) : NULL;
}

uint64_t
pci_bus_ecam_base(const PciBus *bus)
{
    return bus->ecam_base;
}

uint64_t
pci_bus_ecam_size(const PciBus *bus)
{
    return bus->ecam_size;
}

void
pci_bus_set_windows(PciBus *bus, const PciWindow *windows, unsigned n)
{
    g_assert(n <= PCI_BUS_MAX_WINDOWS);
    bus->n_windows = 0;
    for (unsigned i = 0; i < n; i++) {
        if (windows[i].size)
            bus->windows[bus->n_windows++] = windows[i];
    }
}

bool
pci_bus_window_contains(const PciBus *bus, uint64_t addr, uint64_t size)
{
    if (bus->n_windows == 0)
        return true;
    for (unsigned i = 0; i < bus->n_windows; i++) {
        const PciWindow *w = &bus->windows[i];

        /* Written so that nothing overflows near 2^64. */
        if (addr >= w->base && size <= w->size &&
            addr - w->base <= w->size - size)
            return true;
    }
    return false;
}

bool
pci_bus_add_device(PciBus *bus, PciDevice *pdev, int slot, GError **error)
{
    bool ok = true;

    g_mutex_lock(&bus->lock);
    if (slot < 0) {
        for (slot = 1; slot < PCI_SLOTS && bus->slots[slot]; slot++)
            ;
        if (slot == PCI_SLOTS) {
            g_set_error(error, G_IO_ERROR, G_IO_ERROR_NO_SPACE,
                        "no free slot left on PCI segment %u", bus->segment);
            ok = false;
        }
    } else if (slot == 0 || slot >= PCI_SLOTS) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                    "pci_device_id=%d is out of range (1-31)", slot);
        ok = false;
    } else if (bus->slots[slot]) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_EXISTS,
                    "PCI slot %d is already used by '%s'", slot,
                    bus->slots[slot]->owner->id);
        ok = false;
    }
    if (ok) {
        bus->slots[slot] = pdev;
        pdev->bus = bus;
        pdev->devfn = (uint8_t)(slot << 3);
    }
    g_mutex_unlock(&bus->lock);
    return ok;
}

void
pci_bus_remove_device(PciBus *bus, PciDevice *pdev)
{
    g_mutex_lock(&bus->lock);
    if (pdev->bus == bus && bus->slots[pdev->devfn >> 3] == pdev)
        bus->slots[pdev->devfn >> 3] = NULL;
    pdev->bus = NULL;
    g_mutex_unlock(&bus->lock);
}

PciDevice *
pci_bus_get_device(PciBus *bus, unsigned slot)
{
    PciDevice *pdev;

    g_mutex_lock(&bus->lock);
    pdev = slot < PCI_SLOTS ? bus->slots[slot] : NULL;
    g_mutex_unlock(&bus->lock);
    return pdev;
}
