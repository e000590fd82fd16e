/* SPDX-License-Identifier: Apache-2.0 */
/* The device-type registry: the virtio-iommu, created for the devices behind it. */
#include <config.h>

#include <gio/gio.h>

#include "config/vm-config-platform.h"
#include "devices/pci/pci-bus.h"
#include "devices/registry.h"
#include "devices/virtio/iommu.h"
#include "devices/virtio/virtio-pci.h"

/* The function of a virtio-pci device on segment 0, as the VIOT and the
 * IOMMU's endpoint ids name it: bus 0, so (segment << 16 | BDF) is its
 * devfn. */
static uint16_t
reg_virtio_pci_bdf(VmmDevice *dev)
{
    return virtio_pci_get_pci(dev)->devfn;
}

/*
 * --platform iommu_segments=[0]: the IOMMU translates every slot of segment
 * 0 but the host bridge's and its own, the empty ones too, so that a
 * device hot-added there later finds its endpoint declared and in the
 * VIOT the guest read at boot (as CH lists all 32 slots of such a
 * segment).  config/ made sure each device there has iommu=on; a
 * function on the bus without a translation would be one the guest
 * believes translated and is not, so that is refused here too.
 */
static bool
reg_declare_segment(DeviceCreateCtx *ctx, VirtioDevice *iommu,
                    GError **error)
{
    DeviceIommuTopology *topo = &ctx->iommu;
    guint64 translated = 0;

    for (unsigned i = 0; i < topo->n_endpoints; i++)
        translated |= G_GUINT64_CONSTANT(1) << (topo->endpoints[i] >> 3);
    topo->n_endpoints = 0;
    for (unsigned slot = 1; slot < PCI_SLOTS; slot++) {
        uint16_t bdf = slot << 3;
        PciDevice *pdev;

        if (bdf == topo->bdf)
            continue;
        pdev = pci_bus_get_device(ctx->bus, slot);
        if (pdev && !(translated & (G_GUINT64_CONSTANT(1) << slot))) {
            g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                        "PCI slot %u holds a function the virtio-iommu "
                        "does not translate, on segment 0, which "
                        "iommu_segments puts behind it", slot);
            return false;
        }
        if (!pdev && !virtio_iommu_add_endpoint(iommu, bdf, error))
            return false;
        topo->endpoints[topo->n_endpoints++] = bdf;
    }
    return true;
}

/*
 * The virtio-iommu, once the functions it translates are on the bus (their
 * BDFs are its endpoint ids).  Each gets its translation now: after its
 * realize, before any vCPU runs, so the guest's first look at its features
 * already sees VIRTIO_F_ACCESS_PLATFORM.  The IOMMU then takes the next
 * free slot (vm_config_validate() counted it), as in CH, where it comes
 * after the devices it translates.
 */
bool
device_registry_create_iommu(DeviceCreateCtx *ctx, const VmConfig *config,
                             GError **error)
{
    DeviceIommuTopology *topo = &ctx->iommu;
    g_autoptr(VirtioDevice) iommu = NULL;
    VmmDevice *dev;

    if (!device_create_pci_bus(ctx, error) ||
        !(iommu = virtio_iommu_new(ctx->host, VIRTIO_IOMMU_ID,
                                   platform_config_iommu_address_width(
                                       config->platform), error)))
        return false;
    for (const DeviceType *const *tp = device_registry_types(); *tp; tp++) {
        const DeviceType *type = *tp;
        guint n = device_type_count(type, config);

        for (guint i = 0; type->behind_iommu && i < n; i++) {
            gconstpointer entry = device_type_entry(type, config, i);
            const char *id = device_type_id(type, entry);
            VirtQueueDma *dma;
            uint16_t bdf;

            if (!type->behind_iommu(entry))
                continue;
            if (!(dev = device_host_find_device(ctx->host, id))) {
                g_set_error(error, G_IO_ERROR, G_IO_ERROR_FAILED,
                            "%s: no device to put behind the virtio-iommu",
                            id);
                return false;
            }
            bdf = reg_virtio_pci_bdf(dev);
            if (!(dma = virtio_iommu_dma_new(iommu, bdf, error)))
                return false;
            virtio_device_set_dma(virtio_pci_get_virtio(dev), dma);
            topo->endpoints[topo->n_endpoints++] = bdf;
        }
    }
    if (!(dev = device_create_virtio_pci(ctx, g_steal_pointer(&iommu), -1,
                                         error)))
        return false;
    topo->bdf = reg_virtio_pci_bdf(dev);
    topo->present = true;
    return !platform_config_iommu_segment(config->platform, 0) ||
           reg_declare_segment(ctx, virtio_pci_get_virtio(dev), error);
}

bool
device_registry_iommu_attach(DeviceCreateCtx *ctx, const VmConfig *config,
                             VmmDevice *dev, GError **error)
{
    guint index;
    const DeviceType *type = device_registry_find_entry(config, dev->id,
                                                        &index);
    VmmDevice *iommu;
    VirtQueueDma *dma;

    if (!type || !type->behind_iommu ||
        !type->behind_iommu(device_type_entry(type, config, index)))
        return true;
    /* device_registry_add() let iommu=on through only onto a segment
     * behind the IOMMU, whose slots were all declared at boot. */
    if (!(iommu = device_host_find_device(ctx->host, VIRTIO_IOMMU_ID))) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_FAILED,
                    "%s: the VM has no virtio-iommu to put it behind",
                    dev->id);
        return false;
    }
    dma = virtio_iommu_dma_claim(virtio_pci_get_virtio(iommu),
                                 reg_virtio_pci_bdf(dev), error);
    if (!dma)
        return false;
    virtio_device_set_dma(virtio_pci_get_virtio(dev), dma);
    return true;
}

void
device_registry_iommu_release(DeviceHost *host, unsigned slot)
{
    VmmDevice *iommu = device_host_find_device(host, VIRTIO_IOMMU_ID);

    if (iommu)
        virtio_iommu_release_endpoint(virtio_pci_get_virtio(iommu),
                                      slot << 3);
}
