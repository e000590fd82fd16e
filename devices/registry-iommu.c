/* SPDX-License-Identifier: Apache-2.0 */
/* The device-type registry: the virtio-iommu, created for the devices behind it. */
#include <config.h>

#include <gio/gio.h>

#include "config/vm-config-platform.h"
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
    return true;
}
