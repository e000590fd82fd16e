/* SPDX-License-Identifier: Apache-2.0 */
/* <memoryBacking>: how guest RAM is backed (memfd and shared, huge pages, preallocation). */
#include <config.h>

#include <string.h>

#include "driver/xml/memory-backing.h"

/*
 * Each element maps to what nimbus's --memory really does
 * (daemon/memory.c), or is refused by name:
 *   <source type='memfd'/>       a memfd: what nimbus backs shared or
 *                                huge-page memory with, so it needs
 *                                access='shared' or <hugepages/>; its
 *                                private memory is anonymous
 *   <source type='anonymous'/>   private anonymous memory (the default)
 *   <source type='file'/>        refused: no file-backed RAM
 *   <access mode='shared'/>      memory.shared (a memfd mapped shared:
 *                                vhost-user back ends map it)
 *   <hugepages/>                 memory.hugepages (a hugetlb memfd); one
 *                                <page size=> gives hugepage_size; a
 *                                nodeset is refused (no guest NUMA)
 *   <nosharepages/>              kept: nimbus never marks guest RAM
 *                                mergeable (memory.mergeable stays off)
 *   <allocation mode='immediate'> memory.prefault (MAP_POPULATE);
 *                                'ondemand' is the default; threads= is
 *                                refused
 *   <locked/>, <discard/>        refused: nimbus neither mlock()s guest
 *                                RAM nor discards it at shutdown
 */

typedef enum {
    MB_SOURCE_ANONYMOUS,
    MB_SOURCE_FILE,
    MB_SOURCE_MEMFD,
    MB_SOURCE_LAST
} MbSource;
ENUM_DECL(mb_source);
ENUM_IMPL(mb_source, MB_SOURCE_LAST, "anonymous", "file", "memfd");

typedef enum {
    MB_ALLOC_IMMEDIATE,
    MB_ALLOC_ONDEMAND,
    MB_ALLOC_LAST
} MbAllocation;
ENUM_DECL(mb_alloc);
ENUM_IMPL(mb_alloc, MB_ALLOC_LAST, "immediate", "ondemand");

struct DomainMemoryBackingDef {
    bool hugepages;
    uint64_t page_kib;          /* <hugepages><page size>; 0: default */
    bool nosharepages;
    int source;                 /* MbSource or -1 */
    int access;                 /* DomainMemoryAccess or -1 */
    int allocation;             /* MbAllocation or -1 */
};

void
domain_memory_backing_free(DomainMemoryBackingDef *mb)
{
    g_free(mb);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC(DomainMemoryBackingDef,
                              domain_memory_backing_free)

static bool
mb_refuse(GError **error, const char *what, const char *why)
{
    drv_xml_error(error, DRV_ERROR_CONFIG_UNSUPPORTED,
                  "memoryBacking %s is not supported by nimbus (%s)", what,
                  why);
    return false;
}

static bool
mb_parse_hugepages(xmlNodePtr node, DomainMemoryBackingDef *mb,
                   GError **error)
{
    guint npages = 0;

    mb->hugepages = true;
    for (xmlNodePtr p = node->children; p; p = p->next) {
        g_autofree char *size = NULL;
        g_autofree char *unit = NULL;
        const char *why = NULL;

        if (p->type != XML_ELEMENT_NODE)
            continue;
        if (!xml_is_element(p, "page") || ++npages > 1)
            return mb_refuse(error, "<hugepages> with several page sizes",
                             "one <page size=...> without nodeset");
        if (xmlHasProp(p, (const xmlChar *)"nodeset"))
            return mb_refuse(error, "hugepages page nodeset",
                             "nimbus's guests have no NUMA nodes");
        size = xml_prop(p, "size");
        unit = xml_prop(p, "unit");
        if (!size || !xml_scale_to_kib(size, unit, G_MAXINT64 / 1024,
                                       &mb->page_kib, &why)) {
            drv_xml_error(error, DRV_ERROR_XML_ERROR,
                          "/domain/memoryBacking/hugepages/page: bad size "
                          "'%s'%s%s", size ? size : "", why ? ": " : "",
                          why ? why : "");
            return false;
        }
    }
    return true;
}

bool
domain_memory_backing_parse(xmlNodePtr node, DomainDefPriv *priv,
                            GError **error)
{
    g_autoptr(DomainMemoryBackingDef) mb = g_new0(DomainMemoryBackingDef, 1);

    mb->source = mb->access = mb->allocation = -1;
    for (xmlNodePtr c = node->children; c; c = c->next) {
        if (c->type != XML_ELEMENT_NODE)
            continue;
        if (xml_is_element(c, "hugepages")) {
            if (!mb_parse_hugepages(c, mb, error))
                return false;
        } else if (xml_is_element(c, "nosharepages")) {
            mb->nosharepages = true;
        } else if (xml_is_element(c, "source")) {
            if (!xml_prop_enum(c, "type", mb_source_from_string, &mb->source,
                               error))
                return false;
        } else if (xml_is_element(c, "access")) {
            if (!xml_prop_enum(c, "mode", domain_memory_access_from_string,
                               &mb->access, error))
                return false;
        } else if (xml_is_element(c, "allocation")) {
            if (xmlHasProp(c, (const xmlChar *)"threads"))
                return mb_refuse(error, "allocation threads",
                                 "nimbus preallocates from one thread");
            if (!xml_prop_enum(c, "mode", mb_alloc_from_string,
                               &mb->allocation, error))
                return false;
        } else if (xml_is_element(c, "locked")) {
            return mb_refuse(error, "<locked/>",
                             "guest memory is not mlock()ed");
        } else if (xml_is_element(c, "discard")) {
            return mb_refuse(error, "<discard/>",
                             "guest memory is not discarded at shutdown");
        } else {
            drv_xml_error(error, DRV_ERROR_CONFIG_UNSUPPORTED,
                          "memoryBacking element <%s> is not supported by "
                          "nimbus", (const char *)c->name);
            return false;
        }
    }
    if (mb->source == MB_SOURCE_FILE)
        return mb_refuse(error, "source type 'file'",
                         "guest memory is anonymous or a memfd: use "
                         "type='memfd' or 'anonymous'");
    if (mb->source == MB_SOURCE_ANONYMOUS &&
        mb->access == DOMAIN_MEMORY_ACCESS_SHARED)
        return mb_refuse(error, "source type 'anonymous' with access mode "
                         "'shared'", "shared memory is a memfd: use "
                         "<source type='memfd'/>");
    if (mb->source == MB_SOURCE_MEMFD &&
        mb->access != DOMAIN_MEMORY_ACCESS_SHARED && !mb->hugepages)
        return mb_refuse(error, "source type 'memfd' without <access "
                         "mode='shared'/> or <hugepages/>",
                         "private memory is anonymous: use "
                         "type='anonymous', or add <access mode='shared'/>");
    priv->mem_backing = g_steal_pointer(&mb);
    return true;
}

void
domain_memory_backing_format(XmlBuf *buf, const DomainDefPriv *priv)
{
    const DomainMemoryBackingDef *mb = priv->mem_backing;

    if (!mb)
        return;
    /* libvirt's order: hugepages, nosharepages, locked, source, access,
     * allocation, discard. */
    xml_buf_open(buf, "memoryBacking");
    xml_buf_end_open(buf);
    if (mb->hugepages && mb->page_kib) {
        xml_buf_open(buf, "hugepages");
        xml_buf_end_open(buf);
        xml_buf_open(buf, "page");
        xml_buf_attr_uint(buf, "size", mb->page_kib);
        xml_buf_attr(buf, "unit", "KiB");
        xml_buf_end_empty(buf);
        xml_buf_close(buf, "hugepages");
    } else if (mb->hugepages) {
        xml_buf_open(buf, "hugepages");
        xml_buf_end_empty(buf);
    }
    if (mb->nosharepages) {
        xml_buf_open(buf, "nosharepages");
        xml_buf_end_empty(buf);
    }
    if (mb->source >= 0) {
        xml_buf_open(buf, "source");
        xml_buf_attr(buf, "type", mb_source_to_string(mb->source));
        xml_buf_end_empty(buf);
    }
    if (mb->access >= 0) {
        xml_buf_open(buf, "access");
        xml_buf_attr(buf, "mode", domain_memory_access_to_string(mb->access));
        xml_buf_end_empty(buf);
    }
    if (mb->allocation >= 0) {
        xml_buf_open(buf, "allocation");
        xml_buf_attr(buf, "mode", mb_alloc_to_string(mb->allocation));
        xml_buf_end_empty(buf);
    }
    xml_buf_close(buf, "memoryBacking");
}

bool
domain_memory_backing_shared(const DomainDef *def)
{
    const DomainMemoryBackingDef *mb = domain_def_priv(def)->mem_backing;

    return mb && mb->access == DOMAIN_MEMORY_ACCESS_SHARED;
}

void
domain_memory_backing_fill_vmconfig(MemoryConfig *mem, const DomainDef *def)
{
    const DomainMemoryBackingDef *mb = domain_def_priv(def)->mem_backing;

    if (!mb)
        return;
    mem->shared = mb->access == DOMAIN_MEMORY_ACCESS_SHARED;
    mem->hugepages = mb->hugepages;
    mem->hugepage_size = mb->page_kib * 1024;
    mem->prefault = mb->allocation == MB_ALLOC_IMMEDIATE;
}
