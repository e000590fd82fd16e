/* SPDX-License-Identifier: Apache-2.0 */
/* <controller type='usb'|'pci'>: accepted and kept; nimbus needs neither. */
#include <config.h>

#include "driver/xml/domain-priv.h"

ENUM_IMPL(domain_controller_type, DOMAIN_CONTROLLER_LAST, "usb", "pci");

/*
 * nimbus has no USB host controller and a single PCI root bus, so these
 * elements change nothing in the VM.  They are kept because virt-install
 * and virt-manager emit them (a USB controller with model 'qemu-xhci' or
 * 'none', PCIe root ports on q35) and re-define the XML they read back.
 */

void
domain_controller_def_free(DomainControllerDef *ctrl)
{
    if (!ctrl)
        return;
    domain_device_info_clear(&ctrl->info);
    g_free(ctrl->model);
    g_clear_pointer(&ctrl->target, g_ptr_array_unref);
    g_free(ctrl->model_name);
    g_free(ctrl);
}

static gpointer
domain_controller_parse(xmlNodePtr node, const DomainParseCtx *ctx,
                        GError **error)
{
    g_autoptr(DomainControllerDef) ctrl = g_new0(DomainControllerDef, 1);
    uint64_t v = 0;
    bool present = false;
    xmlNodePtr n;

    if (!xml_prop_enum(node, "type", domain_controller_type_from_string,
                       &ctrl->type, error))
        return NULL;
    if (ctrl->type < 0) {
        g_autofree char *type = xml_prop(node, "type");
        drv_xml_error(error, DRV_ERROR_CONFIG_UNSUPPORTED,
                      "controller type '%s' is not supported by nimbus",
                      type ? type : "");
        return NULL;
    }
    ctrl->index = ctrl->ports = ctrl->master_startport = -1;
    if (!xml_prop_uint(node, "index", G_MAXINT32, &v, &present, error))
        return NULL;
    if (present)
        ctrl->index = v;
    if (!xml_prop_uint(node, "ports", 255, &v, &present, error))
        return NULL;
    if (present)
        ctrl->ports = v;
    ctrl->model = xml_prop(node, "model");
    if ((n = xml_child(node, "master"))) {
        if (!xml_prop_uint(n, "startport", G_MAXINT32, &v, &present, error))
            return NULL;
        if (present)
            ctrl->master_startport = v;
    }
    if ((n = xml_child(node, "target")))
        ctrl->target = xml_attrs_collect(n, NULL);
    if ((n = xml_child(node, "model")))
        ctrl->model_name = xml_prop(n, "name");
    if (!domain_device_info_parse(node, &ctrl->info, false, ctx, error))
        return NULL;
    return g_steal_pointer(&ctrl);
}

static void
domain_controller_format(XmlBuf *buf, gconstpointer dev,
                         const DomainFormatCtx *ctx)
{
    const DomainControllerDef *ctrl = dev;
    bool children = ctrl->model_name || ctrl->target || ctrl->info.alias ||
                    ctrl->master_startport >= 0 || ctrl->info.address;

    xml_buf_open(buf, "controller");
    xml_buf_attr(buf, "type", domain_controller_type_to_string(ctrl->type));
    if (ctrl->index >= 0)
        xml_buf_attr_uint(buf, "index", ctrl->index);
    xml_buf_attr(buf, "model", ctrl->model);
    if (ctrl->ports >= 0)
        xml_buf_attr_uint(buf, "ports", ctrl->ports);
    if (!children) {
        xml_buf_end_empty(buf);
        return;
    }
    xml_buf_end_open(buf);
    if (ctrl->model_name) {
        xml_buf_open(buf, "model");
        xml_buf_attr(buf, "name", ctrl->model_name);
        xml_buf_end_empty(buf);
    }
    if (ctrl->target) {
        xml_buf_open(buf, "target");
        xml_attrs_format(buf, ctrl->target);
        xml_buf_end_empty(buf);
    }
    /* libvirt prints the USB companion's <master> between alias and
     * address (virDomainDeviceInfoFormat). */
    if (ctrl->info.alias) {
        xml_buf_open(buf, "alias");
        xml_buf_attr(buf, "name", ctrl->info.alias);
        xml_buf_end_empty(buf);
    }
    if (ctrl->master_startport >= 0) {
        xml_buf_open(buf, "master");
        xml_buf_attr_uint(buf, "startport", ctrl->master_startport);
        xml_buf_end_empty(buf);
    }
    if (ctrl->info.address) {
        xml_buf_open(buf, "address");
        xml_attrs_format(buf, ctrl->info.address);
        xml_buf_end_empty(buf);
    }
    xml_buf_close(buf, "controller");
}

static DomainDeviceInfo *
domain_controller_info(gpointer dev)
{
    return &((DomainControllerDef *)dev)->info;
}

const DomainDeviceClass domain_controller_class = {
    .element = "controller",
    .parse = domain_controller_parse,
    .format = domain_controller_format,
    .free = (void (*)(gpointer))domain_controller_def_free,
    .info = domain_controller_info,
};
