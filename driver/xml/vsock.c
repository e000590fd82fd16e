/* SPDX-License-Identifier: Apache-2.0 */
/* <vsock model='virtio'><cid auto='yes'|address='N'/></vsock>: CH's hybrid vsock. */
#include <config.h>

#include "driver/xml/domain-priv.h"
#include "driver/xml/iommu.h"

/*
 * The guest's CID is given (address='N') or picked by nimbusd when the
 * domain starts (auto='yes': the lowest free one from 3 among its
 * domains); the live definition then carries the address.  The host side
 * is nimbus's UNIX socket in nimbusd's state directory, which is not part
 * of the XML (libvirt shows none either): host programs connect to it
 * with "CONNECT <port>\n", guest connections reach "<socket>_<port>".
 */

void
domain_vsock_def_free(DomainVsockDef *vsock)
{
    if (!vsock)
        return;
    domain_device_info_clear(&vsock->info);
    g_free(vsock->model);
    g_free(vsock->socket);
    g_free(vsock);
}

static gpointer
domain_vsock_parse(xmlNodePtr node, const DomainParseCtx *ctx, GError **error)
{
    g_autoptr(DomainVsockDef) v = g_new0(DomainVsockDef, 1);
    xmlNodePtr cid = xml_child(node, "cid");
    uint64_t address = 0;
    bool present = false;

    /* unsupported.c refused models other than virtio. */
    v->model = xml_prop(node, "model");
    if (cid &&
        (!xml_prop_tristate(cid, "auto", false, &v->cid_auto, error) ||
         !xml_prop_uint(cid, "address", G_MAXUINT32, &address, &present,
                        error)))
        return NULL;
    if (present && (address < DOMAIN_VSOCK_MIN_CID ||
                    address > DOMAIN_VSOCK_MAX_CID)) {
        drv_xml_error(error, DRV_ERROR_CONFIG_UNSUPPORTED,
                      "vsock: cid address '%" G_GUINT64_FORMAT
                      "' is reserved (a guest CID is between %u and %u)",
                      address, DOMAIN_VSOCK_MIN_CID, DOMAIN_VSOCK_MAX_CID);
        return NULL;
    }
    if (!present && v->cid_auto != XML_TRISTATE_YES) {
        drv_xml_error(error, DRV_ERROR_CONFIG_UNSUPPORTED,
                      "vsock: the guest CID is needed: <cid address='N'/>, "
                      "or <cid auto='yes'/> for nimbusd to pick one");
        return NULL;
    }
    v->cid = (uint32_t)address;
    if (!domain_iommu_driver_parse(xml_child(node, "driver"), &v->iommu,
                                   error) ||
        !domain_device_info_parse(node, &v->info, false, ctx, error))
        return NULL;
    return g_steal_pointer(&v);
}

static void
domain_vsock_format(XmlBuf *buf, gconstpointer dev, const DomainFormatCtx *ctx)
{
    const DomainVsockDef *v = dev;

    xml_buf_open(buf, "vsock");
    xml_buf_attr(buf, "model", v->model);
    xml_buf_end_open(buf);
    xml_buf_open(buf, "cid");
    xml_buf_attr(buf, "auto", xml_yes_no_to_string(v->cid_auto));
    /* An auto CID is the run's: the inactive definition keeps asking. */
    if (v->cid && (v->cid_auto != XML_TRISTATE_YES || ctx->live))
        xml_buf_attr_uint(buf, "address", v->cid);
    xml_buf_end_empty(buf);
    /* libvirt's order: <cid>, the virtio options' <driver>, then the
     * device info. */
    if (v->iommu) {
        xml_buf_open(buf, "driver");
        xml_buf_attr(buf, "iommu", xml_on_off_to_string(v->iommu));
        xml_buf_end_empty(buf);
    }
    domain_device_info_format(buf, &v->info);
    xml_buf_close(buf, "vsock");
}

static DomainDeviceInfo *
domain_vsock_info(gpointer dev)
{
    return &((DomainVsockDef *)dev)->info;
}

const DomainDeviceClass domain_vsock_class = {
    .element = "vsock",
    .parse = domain_vsock_parse,
    .format = domain_vsock_format,
    .free = (void (*)(gpointer))domain_vsock_def_free,
    .info = domain_vsock_info,
};

bool
domain_def_vsock_get(const DomainDef *def, uint32_t *cid, bool *cid_auto)
{
    const DomainVsockDef *v;

    if (!domain_def_ndevices(def, DOMAIN_DEVICE_VSOCK))
        return false;
    v = domain_def_device(def, DOMAIN_DEVICE_VSOCK, 0);
    *cid = v->cid;
    *cid_auto = v->cid_auto == XML_TRISTATE_YES;
    return true;
}

void
domain_def_vsock_set(DomainDef *def, uint32_t cid, const char *socket)
{
    DomainVsockDef *v;

    if (!domain_def_ndevices(def, DOMAIN_DEVICE_VSOCK))
        return;
    v = domain_def_device(def, DOMAIN_DEVICE_VSOCK, 0);
    v->cid = cid;
    g_free(v->socket);
    v->socket = g_strdup(socket);
}
