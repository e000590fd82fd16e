/* SPDX-License-Identifier: Apache-2.0 */
/* <rng model='virtio'>: virtio-rng fed from a host random device. */
#include <config.h>

#include "driver/xml/domain-priv.h"
#include "driver/xml/iommu.h"

void
domain_rng_def_free(DomainRngDef *rng)
{
    if (!rng)
        return;
    domain_device_info_clear(&rng->info);
    g_free(rng->model);
    g_free(rng->backend_path);
    g_free(rng);
}

static gpointer
domain_rng_parse(xmlNodePtr node, const DomainParseCtx *ctx, GError **error)
{
    g_autoptr(DomainRngDef) rng = g_new0(DomainRngDef, 1);
    xmlNodePtr backend;

    rng->model = xml_prop(node, "model");
    /* unsupported.c refused the egd and builtin backends. */
    if ((backend = xml_child(node, "backend"))) {
        g_autofree char *path = g_strstrip(xml_text(backend));

        if (*path)
            rng->backend_path = g_steal_pointer(&path);
    }
    if (!domain_iommu_driver_parse(xml_child(node, "driver"), &rng->iommu,
                                   error) ||
        !domain_device_info_parse(node, &rng->info, false, ctx, error))
        return NULL;
    return g_steal_pointer(&rng);
}

static void
domain_rng_format(XmlBuf *buf, gconstpointer dev, const DomainFormatCtx *ctx)
{
    const DomainRngDef *rng = dev;

    xml_buf_open(buf, "rng");
    xml_buf_attr(buf, "model", rng->model);
    xml_buf_end_open(buf);
    xml_buf_open(buf, "backend");
    xml_buf_attr(buf, "model", "random");
    if (rng->backend_path)
        xml_buf_end_text(buf, "backend", rng->backend_path);
    else
        xml_buf_end_empty(buf);
    /* libvirt's place for the virtio options: after the backend. */
    if (rng->iommu) {
        xml_buf_open(buf, "driver");
        xml_buf_attr(buf, "iommu", xml_on_off_to_string(rng->iommu));
        xml_buf_end_empty(buf);
    }
    domain_device_info_format(buf, &rng->info);
    xml_buf_close(buf, "rng");
}

static DomainDeviceInfo *
domain_rng_info(gpointer dev)
{
    return &((DomainRngDef *)dev)->info;
}

const DomainDeviceClass domain_rng_class = {
    .element = "rng",
    .parse = domain_rng_parse,
    .format = domain_rng_format,
    .free = (void (*)(gpointer))domain_rng_def_free,
    .info = domain_rng_info,
};
