/* SPDX-License-Identifier: Apache-2.0 */
/* <panic model='pvpanic'/>: nimbus's pvpanic-pci device, and <on_crash> behind it. */
#include <config.h>

#include "driver/xml/domain-priv.h"

/*
 * Only the PCI pvpanic (unsupported.c refuses the ISA, Hyper-V, pseries
 * and s390 models, and a missing model, which libvirt reads as 'isa' on
 * x86).  A guest panic then reaches nimbusd as the VMM's guest/panic
 * event: a CRASHED/PANICKED lifecycle event and the <on_crash> action.
 */

void
domain_panic_def_free(DomainPanicDef *panic)
{
    if (!panic)
        return;
    domain_device_info_clear(&panic->info);
    g_free(panic->model);
    g_free(panic);
}

static gpointer
domain_panic_parse(xmlNodePtr node, const DomainParseCtx *ctx, GError **error)
{
    g_autoptr(DomainPanicDef) p = g_new0(DomainPanicDef, 1);

    p->model = xml_prop(node, "model");
    if (!domain_device_info_parse(node, &p->info, false, ctx, error))
        return NULL;
    return g_steal_pointer(&p);
}

static void
domain_panic_format(XmlBuf *buf, gconstpointer dev, const DomainFormatCtx *ctx)
{
    const DomainPanicDef *p = dev;

    xml_buf_open(buf, "panic");
    xml_buf_attr(buf, "model", p->model);
    if (!p->info.alias && !p->info.address) {
        xml_buf_end_empty(buf);
        return;
    }
    xml_buf_end_open(buf);
    domain_device_info_format(buf, &p->info);
    xml_buf_close(buf, "panic");
}

static DomainDeviceInfo *
domain_panic_info(gpointer dev)
{
    return &((DomainPanicDef *)dev)->info;
}

const DomainDeviceClass domain_panic_class = {
    .element = "panic",
    .parse = domain_panic_parse,
    .format = domain_panic_format,
    .free = (void (*)(gpointer))domain_panic_def_free,
    .info = domain_panic_info,
};
