/* SPDX-License-Identifier: Apache-2.0 */
/* x86_64 ACPI: the VIOT table (which PCI functions the virtio-iommu translates). */
#include <config.h>

#include <string.h>

#include "arch/x86_64/acpi-priv.h"

/*
 * Only with a virtio-iommu (X86AcpiConfig.viommu), as Cloud Hypervisor
 * does.  Linux (drivers/acpi/viot.c) reads one virtio-iommu PCI node and
 * PCI range nodes pointing at it; a function in a range gets endpoint id
 * endpoint_start + ((segment - segment_start) << 16) + (bdf - bdf_start),
 * which is (segment << 16) | bdf with the values below: the ids the
 * device knows its endpoints by (devices/virtio/iommu.h).  One range per
 * translated function, so the IOMMU itself is never in one.
 */

#define VIOT_NODE_PCI_RANGE 1
#define VIOT_NODE_VIRTIO_IOMMU_PCI 3
#define VIOT_HEADER_LEN 12              /* after the SDT header */
#define VIOT_IOMMU_NODE_LEN 16
#define VIOT_PCI_RANGE_LEN 24

static void
viot_put(uint8_t *p, uint64_t v, unsigned n)
{
    for (unsigned i = 0; i < n; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

void
x86_acpi_viot_body(GByteArray *b, const X86AcpiConfig *cfg)
{
    uint8_t hdr[VIOT_HEADER_LEN] = { 0 };
    uint8_t iommu[VIOT_IOMMU_NODE_LEN] = { 0 };
    /* Offsets count from the table's start (its SDT header). */
    uint16_t iommu_off = ACPI_SDT_HEADER_LEN + VIOT_HEADER_LEN;

    viot_put(hdr, 1 + cfg->n_viommu_endpoints, 2);     /* node count */
    viot_put(hdr + 2, iommu_off, 2);                    /* first node */
    g_byte_array_append(b, hdr, sizeof(hdr));

    iommu[0] = VIOT_NODE_VIRTIO_IOMMU_PCI;
    viot_put(iommu + 2, sizeof(iommu), 2);
    viot_put(iommu + 4, 0, 2);                          /* segment */
    viot_put(iommu + 6, cfg->viommu_bdf, 2);
    g_byte_array_append(b, iommu, sizeof(iommu));

    for (unsigned i = 0; i < cfg->n_viommu_endpoints; i++) {
        uint8_t r[VIOT_PCI_RANGE_LEN] = { 0 };
        uint16_t bdf = cfg->viommu_endpoints[i];

        r[0] = VIOT_NODE_PCI_RANGE;
        viot_put(r + 2, sizeof(r), 2);
        viot_put(r + 4, bdf, 4);                        /* endpoint_start */
        viot_put(r + 8, 0, 2);                          /* segment_start */
        viot_put(r + 10, 0, 2);                         /* segment_end */
        viot_put(r + 12, bdf, 2);                       /* bdf_start */
        viot_put(r + 14, bdf, 2);                       /* bdf_end */
        viot_put(r + 16, iommu_off, 2);                 /* output_node */
        g_byte_array_append(b, r, sizeof(r));
    }
}

bool
x86_acpi_check_viot(const X86AcpiConfig *cfg, GError **error)
{
    if (!cfg->viommu)
        return true;
    /* The node count is 16 bits. */
    if (cfg->n_viommu_endpoints >= G_MAXUINT16) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                    "VIOT: %u translated functions; at most %u",
                    cfg->n_viommu_endpoints, G_MAXUINT16 - 1);
        return false;
    }
    for (unsigned i = 0; i < cfg->n_viommu_endpoints; i++) {
        if (cfg->viommu_endpoints[i] == cfg->viommu_bdf) {
            g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                        "VIOT: the virtio-iommu (%02x:%02x.%x) cannot "
                        "translate itself", cfg->viommu_bdf >> 8,
                        (cfg->viommu_bdf >> 3) & 0x1f,
                        cfg->viommu_bdf & 7);
            return false;
        }
    }
    return true;
}
