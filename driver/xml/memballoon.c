/* SPDX-License-Identifier: Apache-2.0 */
/* <memballoon>: model 'virtio' (nimbus's balloon) or 'none'. */
#include <config.h>

#include "driver/xml/domain-priv.h"

/*
 * A virtio memballoon becomes nimbus's balloon (vmconfig.c: its size is
 * <memory> less <currentMemory>, autodeflate is deflate_on_oom,
 * freePageReporting free_page_reporting); setmem moves its target and
 * dommemstat reads its statistics.  Model 'none' means no balloon.
 */

void
domain_memballoon_def_free(DomainMemballoonDef *balloon)
{
    if (!balloon)
        return;
    domain_device_info_clear(&balloon->info);
    g_free(balloon->model);
    g_free(balloon);
}

static gpointer
domain_memballoon_parse(xmlNodePtr node, const DomainParseCtx *ctx,
                        GError **error)
{
    g_autoptr(DomainMemballoonDef) b = g_new0(DomainMemballoonDef, 1);
    xmlNodePtr stats;

    b->model = xml_prop(node, "model");
    b->stats_period = -1;
    if (!xml_prop_tristate(node, "autodeflate", true, &b->autodeflate, error) ||
        !xml_prop_tristate(node, "freePageReporting", true,
                           &b->free_page_reporting, error))
        return NULL;
    if ((stats = xml_child(node, "stats"))) {
        uint64_t period = 0;
        bool present = false;

        if (!xml_prop_uint(stats, "period", G_MAXINT32, &period, &present,
                           error))
            return NULL;
        if (present)
            b->stats_period = period;
    }
    if (!domain_device_info_parse(node, &b->info, false, ctx, error))
        return NULL;
    return g_steal_pointer(&b);
}

static void
domain_memballoon_format(XmlBuf *buf, gconstpointer dev,
                         const DomainFormatCtx *ctx)
{
    const DomainMemballoonDef *b = dev;

    xml_buf_open(buf, "memballoon");
    xml_buf_attr(buf, "model", b->model);
    xml_buf_attr(buf, "autodeflate", xml_on_off_to_string(b->autodeflate));
    xml_buf_attr(buf, "freePageReporting",
                 xml_on_off_to_string(b->free_page_reporting));
    if (b->stats_period < 0 && !b->info.alias && !b->info.address) {
        xml_buf_end_empty(buf);
        return;
    }
    xml_buf_end_open(buf);
    if (b->stats_period >= 0) {
        xml_buf_open(buf, "stats");
        xml_buf_attr_uint(buf, "period", b->stats_period);
        xml_buf_end_empty(buf);
    }
    domain_device_info_format(buf, &b->info);
    xml_buf_close(buf, "memballoon");
}

static DomainDeviceInfo *
domain_memballoon_info(gpointer dev)
{
    return &((DomainMemballoonDef *)dev)->info;
}

const DomainDeviceClass domain_memballoon_class = {
    .element = "memballoon",
    .parse = domain_memballoon_parse,
    .format = domain_memballoon_format,
    .free = (void (*)(gpointer))domain_memballoon_def_free,
    .info = domain_memballoon_info,
};
