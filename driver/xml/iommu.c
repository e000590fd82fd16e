/* SPDX-License-Identifier: Apache-2.0 */
/* <iommu model='virtio'> and <driver iommu='on'>: the virtio-iommu and the devices behind it. */
#include <config.h>

#include "driver/xml/iommu.h"

/*
 * libvirt puts a device behind an IOMMU with the virtio option
 * <driver iommu='on'/> (QEMU's iommu_platform, VIRTIO_F_ACCESS_PLATFORM)
 * and describes the IOMMU itself with <devices><iommu>.  nimbus has
 * Cloud Hypervisor's model: a device's iommu=on, and the top-level
 * "iommu" that creates the virtio-iommu (id __iommu), which translates
 * exactly the devices with iommu=on.  So:
 *   <iommu model='virtio'/>          iommu: true
 *   <driver iommu='on'/> on a virtio disk, interface, rng or vsock
 *                                    that device's iommu: true
 * A device with iommu='on' needs the <iommu>: the VMM would create its
 * IOMMU for it anyway (CH turns the top-level switch on for any device
 * behind it), and the XML would not show the device the guest gets.  An
 * <iommu> with no device behind it is CH's iommu=true alone: the guest
 * gets a virtio-iommu with no endpoint, as it would under CH (and a
 * persistent detach of the last translated device leaves exactly that).
 * Only virtio-iommu exists: intel, smmuv3 and amd are refused by
 * unsupported.c, with the <driver> options only those models have
 * (intremap, caching_mode, eim, iotlb...).  The virtio console cannot be
 * translated from XML: libvirt gives <console> no <driver>.
 */

void
domain_iommu_def_free(DomainIommuDef *iommu)
{
    if (!iommu)
        return;
    domain_device_info_clear(&iommu->info);
    g_free(iommu->model);
    g_free(iommu);
}

bool
domain_iommu_driver_parse(xmlNodePtr driver, XmlTristate *iommu,
                          GError **error)
{
    *iommu = XML_TRISTATE_ABSENT;
    return !driver || xml_prop_tristate(driver, "iommu", true, iommu, error);
}

static gpointer
domain_iommu_parse(xmlNodePtr node, const DomainParseCtx *ctx, GError **error)
{
    g_autoptr(DomainIommuDef) iommu = g_new0(DomainIommuDef, 1);
    xmlNodePtr driver = xml_child(node, "driver");

    iommu->model = xml_prop(node, "model");
    if (driver) {
        uint64_t bits = 0;

        /* The schema bounds it; this also guards domain_def_copy(). */
        if (!xml_prop_uint(driver, "aw_bits", 64, &bits, NULL, error))
            return NULL;
        iommu->aw_bits = bits;
    }
    if (!domain_device_info_parse(node, &iommu->info, false, ctx, error))
        return NULL;
    return g_steal_pointer(&iommu);
}

static void
domain_iommu_format(XmlBuf *buf, gconstpointer dev, const DomainFormatCtx *ctx)
{
    const DomainIommuDef *iommu = dev;

    xml_buf_open(buf, "iommu");
    xml_buf_attr(buf, "model", iommu->model);
    if (!iommu->aw_bits && !iommu->info.alias && !iommu->info.address) {
        xml_buf_end_empty(buf);
        return;
    }
    xml_buf_end_open(buf);
    if (iommu->aw_bits) {
        xml_buf_open(buf, "driver");
        xml_buf_attr_uint(buf, "aw_bits", iommu->aw_bits);
        xml_buf_end_empty(buf);
    }
    domain_device_info_format(buf, &iommu->info);
    xml_buf_close(buf, "iommu");
}

static DomainDeviceInfo *
domain_iommu_info(gpointer dev)
{
    return &((DomainIommuDef *)dev)->info;
}

const DomainDeviceClass domain_iommu_class = {
    .element = "iommu",
    .parse = domain_iommu_parse,
    .format = domain_iommu_format,
    .free = (void (*)(gpointer))domain_iommu_def_free,
    .info = domain_iommu_info,
};

bool
domain_iommu_device_on(const DomainDef *def, DomainDeviceType type,
                       guint index)
{
    gconstpointer dev = domain_def_device(def, type, index);

    switch (type) {
    case DOMAIN_DEVICE_DISK:
        return ((const DomainDiskDef *)dev)->iommu == XML_TRISTATE_YES;
    case DOMAIN_DEVICE_NET:
        return ((const DomainNetDef *)dev)->iommu == XML_TRISTATE_YES;
    case DOMAIN_DEVICE_RNG:
        return ((const DomainRngDef *)dev)->iommu == XML_TRISTATE_YES;
    case DOMAIN_DEVICE_VSOCK:
        return ((const DomainVsockDef *)dev)->iommu == XML_TRISTATE_YES;
    default:
        return false;
    }
}

/* Whether a device has iommu='on' (the first one's element in @element). */
static bool
first_translated(const DomainDef *def, const char **element)
{
    static const DomainDeviceType types[] = {
        DOMAIN_DEVICE_DISK, DOMAIN_DEVICE_NET, DOMAIN_DEVICE_RNG,
        DOMAIN_DEVICE_VSOCK,
    };

    for (guint t = 0; t < G_N_ELEMENTS(types); t++) {
        for (guint i = 0; i < domain_def_ndevices(def, types[t]); i++) {
            if (domain_iommu_device_on(def, types[t], i)) {
                *element = domain_device_classes[types[t]]->element;
                return true;
            }
        }
    }
    return false;
}

bool
domain_iommu_validate(const DomainDef *def, GError **error)
{
    guint n = domain_def_ndevices(def, DOMAIN_DEVICE_IOMMU);
    const char *element = NULL;
    bool translated = first_translated(def, &element);

    /* CH's config has one IOMMU (the top-level switch). */
    if (n > 1) {
        drv_xml_error(error, DRV_ERROR_CONFIG_UNSUPPORTED,
                      "only one <iommu> device is supported");
        return false;
    }
    if (translated && n == 0) {
        drv_xml_error(error, DRV_ERROR_CONFIG_UNSUPPORTED,
                      "<%s> has <driver iommu='on'/> but the domain has no "
                      "<iommu model='virtio'/> to translate its DMA",
                      element);
        return false;
    }
    return true;
}

void
domain_iommu_fill_vmconfig(VmConfig *config, const DomainDef *def)
{
    const DomainIommuDef *iommu;

    /* validate() allows one. */
    if (!domain_def_ndevices(def, DOMAIN_DEVICE_IOMMU))
        return;
    iommu = domain_def_device(def, DOMAIN_DEVICE_IOMMU, 0);
    config->iommu = true;
    /* Its bounds are the VMM's (vm_config_validate() at define). */
    if (iommu->aw_bits)
        config->platform->iommu_address_width_bits = iommu->aw_bits;
}

bool
domain_iommu_check_attach(const DomainDef *def, DomainDeviceType type,
                          guint index, GError **error)
{
    if (!domain_iommu_device_on(def, type, index))
        return true;
    drv_xml_error(error, DRV_ERROR_CONFIG_UNSUPPORTED,
                  "attaching a <%s> with <driver iommu='on'/> to a running "
                  "domain is not supported by nimbus (the virtio-iommu's "
                  "endpoints are fixed when the VM is built; attach it "
                  "with --config and restart the domain)",
                  domain_device_classes[type]->element);
    return false;
}
