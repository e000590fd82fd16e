/* SPDX-License-Identifier: Apache-2.0 */
/* <disk><backingStore>: a qcow2 disk's backing chain in the live XML. */
#include <config.h>

#include "driver/xml/domain-priv.h"

/*
 * libvirt's formatdomain "backingStore": a driver without backing-chain
 * input (its ch driver, and nimbusd: nimbus follows the chain the image
 * headers name) ignores the element on input and shows the chain it
 * detected when the domain started in the live XML only, each image with
 * its index (1 for the source's backing file, then one more per level),
 * format and source, ended by an empty <backingStore/> (self-contained).
 * The live definition keeps it, so that a copy or the state file read
 * back on a daemon restart shows the same chain.
 */

DomainDiskBacking *
domain_disk_backing_new(const char *path, const char *format)
{
    DomainDiskBacking *b = g_new0(DomainDiskBacking, 1);

    b->path = g_strdup(path);
    b->format = g_strdup(format);
    return b;
}

void
domain_disk_backing_free(DomainDiskBacking *b)
{
    if (!b)
        return;
    g_free(b->path);
    g_free(b->format);
    g_free(b);
}

void
domain_disk_backing_parse(xmlNodePtr node, DomainDiskDef *disk,
                          const DomainParseCtx *ctx)
{
    g_autoptr(GPtrArray) chain = NULL;
    xmlNodePtr bs = xml_child(node, "backingStore");

    /* A persistent definition never holds a detected chain (libvirt's
     * "don't write detected backing chain members to inactive xml"). */
    if (!bs || (ctx->flags & DOMAIN_DEF_PARSE_INACTIVE))
        return;
    chain = g_ptr_array_new_with_free_func(
        (GDestroyNotify)domain_disk_backing_free);
    for (; bs; bs = xml_child(bs, "backingStore")) {
        xmlNodePtr src = xml_child(bs, "source");
        xmlNodePtr fmt = xml_child(bs, "format");
        g_autofree char *type = xml_prop(bs, "type");
        g_autofree char *path = src ? xml_prop(src, "file") : NULL;
        g_autofree char *format = fmt ? xml_prop(fmt, "type") : NULL;

        if (!type && !src && !fmt) {
            /* The end: the chain is whole, as nimbusd wrote it. */
            disk->backing = g_steal_pointer(&chain);
            return;
        }
        /* Not a chain nimbusd wrote (a block or network layer, a missing
         * part): input only, which a start replaces by the chain it reads
         * from the images, so it is dropped as libvirt ignores it. */
        if (g_strcmp0(type, "file") != 0 || !path || !format)
            return;
        g_ptr_array_add(chain, domain_disk_backing_new(path, format));
    }
    /* No end marker: libvirt reads that as "probe the rest", nimbusd has
     * nothing to show for it. */
}

void
domain_disk_backing_format(XmlBuf *buf, const DomainDiskDef *disk,
                           const DomainFormatCtx *ctx)
{
    guint n;

    if (!ctx->live || !disk->backing)
        return;
    n = disk->backing->len;
    for (guint i = 0; i < n; i++) {
        const DomainDiskBacking *b = g_ptr_array_index(disk->backing, i);

        xml_buf_open(buf, "backingStore");
        xml_buf_attr(buf, "type", "file");
        xml_buf_attr_uint(buf, "index", i + 1);
        xml_buf_end_open(buf);
        xml_buf_open(buf, "format");
        xml_buf_attr(buf, "type", b->format);
        xml_buf_end_empty(buf);
        xml_buf_open(buf, "source");
        xml_buf_attr(buf, "file", b->path);
        xml_buf_end_empty(buf);
    }
    xml_buf_open(buf, "backingStore");
    xml_buf_end_empty(buf);
    for (guint i = 0; i < n; i++)
        xml_buf_close(buf, "backingStore");
}

void
domain_disk_backing_keep(DomainDiskDef *to, const DomainDiskDef *from)
{
    bool same = from->src_volume ?
                g_strcmp0(to->src_pool, from->src_pool) == 0 &&
                g_strcmp0(to->src_volume, from->src_volume) == 0 :
                !to->src_volume && g_strcmp0(to->src, from->src) == 0;

    g_clear_pointer(&to->backing, g_ptr_array_unref);
    if (same && from->backing)
        to->backing = g_ptr_array_ref(from->backing);
}

/* A GDestroyNotify for chains: disks without one hold NULL. */
static void
chain_unref(gpointer chain)
{
    if (chain)
        g_ptr_array_unref(chain);
}

bool
domain_def_read_backing_chains(DomainDef *def, DomainBackingReader read,
                               gpointer data, GError **error)
{
    guint n = domain_def_ndevices(def, DOMAIN_DEVICE_DISK);
    g_autoptr(GPtrArray) chains = g_ptr_array_new_full(
        n, chain_unref);

    /* Every chain is read before any is set: all or nothing. */
    for (guint i = 0; i < n; i++) {
        DomainDiskDef *disk = domain_def_device(def, DOMAIN_DEVICE_DISK, i);
        GPtrArray *chain = NULL;

        /* Only qcow2 has backing files nimbus opens (vmconfig.c). */
        if (disk->src && g_strcmp0(disk->driver_type, "qcow2") == 0 &&
            !(chain = read(disk->src, disk->driver_type, data, error)))
            return false;
        g_ptr_array_add(chains, chain);
    }
    for (guint i = 0; i < n; i++) {
        DomainDiskDef *disk = domain_def_device(def, DOMAIN_DEVICE_DISK, i);

        g_clear_pointer(&disk->backing, g_ptr_array_unref);
        disk->backing = g_steal_pointer(&chains->pdata[i]);
    }
    return true;
}
