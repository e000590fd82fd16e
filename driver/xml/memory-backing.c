/* SPDX-License-Identifier: Apache-2.0 */
/* <memoryBacking>: how guest RAM is backed (memfd and shared, huge pages, preallocation). */
#include <config.h>

#include <string.h>

#include "driver/xml/cputune.h"
#include "driver/xml/memory-backing.h"
#include "driver/xml/numa.h"

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
 *                                <page size=> gives hugepage_size; with
 *                                NUMA cells, each zone's (numa.c): the
 *                                page whose nodeset names the cell, else
 *                                the one without nodeset, else none
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

/* <hugepages><page>: a size for the NUMA cells of @nodeset (all: NULL). */
typedef struct {
    uint64_t size_kib;
    GArray *nodeset;            /* uint32_t cell ids; NULL: absent */
} MbPage;

struct DomainMemoryBackingDef {
    bool hugepages;
    GPtrArray *pages;           /* MbPage*, input order; never NULL */
    bool nosharepages;
    int source;                 /* MbSource or -1 */
    int access;                 /* DomainMemoryAccess or -1 */
    int allocation;             /* MbAllocation or -1 */
};

static void
mb_page_free(gpointer p)
{
    MbPage *page = p;

    g_clear_pointer(&page->nodeset, g_array_unref);
    g_free(page);
}

void
domain_memory_backing_free(DomainMemoryBackingDef *mb)
{
    if (!mb)
        return;
    g_clear_pointer(&mb->pages, g_ptr_array_unref);
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
    mb->hugepages = true;
    for (xmlNodePtr p = node->children; p; p = p->next) {
        g_autofree char *size = NULL;
        g_autofree char *unit = NULL;
        g_autofree char *nodeset = NULL;
        g_autoptr(GError) local = NULL;
        const char *why = NULL;
        MbPage *page;

        if (p->type != XML_ELEMENT_NODE)
            continue;
        if (!xml_is_element(p, "page"))
            return mb_refuse(error, "<hugepages> child other than <page>",
                             "<page size=... [nodeset=...]>");
        page = g_new0(MbPage, 1);
        g_ptr_array_add(mb->pages, page);
        /* Which cells a nodeset may name is validate()'s: the cells are
         * in <cpu>, which comes later. */
        nodeset = xml_prop(p, "nodeset");
        if (nodeset && !(page->nodeset = domain_cpuset_parse(nodeset,
                                                             &local))) {
            drv_xml_error(error, DRV_ERROR_XML_ERROR,
                          "/domain/memoryBacking/hugepages/page: nodeset: %s",
                          local->message);
            return false;
        }
        size = xml_prop(p, "size");
        unit = xml_prop(p, "unit");
        if (!size || !xml_scale_to_kib(size, unit, G_MAXINT64 / 1024,
                                       &page->size_kib, &why)) {
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
    mb->pages = g_ptr_array_new_with_free_func(mb_page_free);
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
    /* The source against shared access and huge pages is validate()'s,
     * which knows the NUMA cells' memAccess. */
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
    if (mb->hugepages && mb->pages->len) {
        xml_buf_open(buf, "hugepages");
        xml_buf_end_open(buf);
        for (guint i = 0; i < mb->pages->len; i++) {
            const MbPage *page = g_ptr_array_index(mb->pages, i);
            g_autofree char *nodeset =
                page->nodeset ? domain_cpuset_format(page->nodeset) : NULL;

            xml_buf_open(buf, "page");
            xml_buf_attr_uint(buf, "size", page->size_kib);
            xml_buf_attr(buf, "unit", "KiB");
            xml_buf_attr(buf, "nodeset", nodeset);
            xml_buf_end_empty(buf);
        }
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

/* Whether the RAM of NUMA cell @cell (-1: of a guest without cells) is
 * shared: the cell's memAccess, else <access mode>. */
static bool
mb_zone_shared(const DomainDef *def, int cell)
{
    const DomainMemoryBackingDef *mb = domain_def_priv(def)->mem_backing;
    int access = cell >= 0 ? domain_numa_cell_access(def, (guint)cell) : -1;

    if (access < 0 && mb)
        access = mb->access;
    return access == DOMAIN_MEMORY_ACCESS_SHARED;
}

/* The <page> that backs cell @cell (-1: the guest without cells): the
 * one whose nodeset names it, else the one without nodeset (libvirt's
 * choice); NULL when none applies. */
static const MbPage *
mb_zone_page(const DomainMemoryBackingDef *mb, int cell)
{
    const MbPage *fallback = NULL;

    for (guint i = 0; i < mb->pages->len; i++) {
        const MbPage *page = g_ptr_array_index(mb->pages, i);

        if (!page->nodeset) {
            fallback = page;
            continue;
        }
        for (guint j = 0; cell >= 0 && j < page->nodeset->len; j++) {
            if (g_array_index(page->nodeset, uint32_t, j) == (uint32_t)cell)
                return page;
        }
    }
    return fallback;
}

/* Whether the zone of @cell gets huge pages, and of which size (KiB, 0:
 * the host's default). */
static bool
mb_zone_hugepages(const DomainMemoryBackingDef *mb, int cell,
                  uint64_t *page_kib)
{
    const MbPage *page;

    *page_kib = 0;
    if (!mb || !mb->hugepages)
        return false;
    /* <hugepages/> alone: every zone, the default size. */
    if (mb->pages->len == 0)
        return true;
    if (!(page = mb_zone_page(mb, cell)))
        return false;
    *page_kib = page->size_kib;
    return true;
}

bool
domain_memory_backing_shared(const DomainDef *def)
{
    guint ncells = domain_numa_ncells(def);

    /* libvirt's rule for vhost-user: with cells, every cell shared. */
    if (ncells == 0)
        return mb_zone_shared(def, -1);
    for (guint i = 0; i < ncells; i++) {
        if (!mb_zone_shared(def, (int)i))
            return false;
    }
    return true;
}

static bool
mb_validate_pages(const DomainMemoryBackingDef *mb, guint ncells,
                  GError **error)
{
    bool fallback = false;

    for (guint i = 0; i < mb->pages->len; i++) {
        const MbPage *page = g_ptr_array_index(mb->pages, i);

        if (!page->nodeset) {
            if (fallback || (ncells == 0 && mb->pages->len > 1))
                return mb_refuse(error, "<hugepages> with several page "
                                 "sizes", ncells ?
                                 "one <page> without nodeset at most" :
                                 "one <page size=...> without nodeset: the "
                                 "domain has no NUMA cells");
            fallback = true;
            continue;
        }
        if (ncells == 0)
            return mb_refuse(error, "hugepages page nodeset",
                             "the nodeset names guest NUMA cells and the "
                             "domain has none (<cpu><numa>)");
        for (guint j = 0; j < page->nodeset->len; j++) {
            uint32_t cell = g_array_index(page->nodeset, uint32_t, j);

            if (cell >= ncells) {
                drv_xml_error(error, DRV_ERROR_CONFIG_UNSUPPORTED,
                              "memoryBacking hugepages page nodeset: NUMA "
                              "cell %u does not exist", cell);
                return false;
            }
            if (mb_zone_page(mb, (int)cell) != page) {
                drv_xml_error(error, DRV_ERROR_CONFIG_UNSUPPORTED,
                              "memoryBacking hugepages: NUMA cell %u is in "
                              "the nodeset of several pages", cell);
                return false;
            }
        }
    }
    return true;
}

bool
domain_memory_backing_validate(const DomainDef *def, GError **error)
{
    const DomainMemoryBackingDef *mb = domain_def_priv(def)->mem_backing;
    guint ncells = domain_numa_ncells(def);

    if (!mb)
        return true;
    if (!mb_validate_pages(mb, ncells, error))
        return false;
    /* Each zone (the guest's RAM without cells) as nimbus maps it: shared
     * or huge-page memory is a memfd, private memory anonymous. */
    for (int cell = ncells ? 0 : -1; cell < (int)ncells; cell++) {
        uint64_t page_kib;
        bool shared = mb_zone_shared(def, cell);
        bool huge = mb_zone_hugepages(mb, cell, &page_kib);
        g_autofree char *what = cell >= 0 ?
            g_strdup_printf(" (NUMA cell %d)", cell) : g_strdup("");

        if (mb->source == MB_SOURCE_ANONYMOUS && shared) {
            drv_xml_error(error, DRV_ERROR_CONFIG_UNSUPPORTED,
                          "memoryBacking source type 'anonymous' with "
                          "access mode 'shared'%s is not supported by "
                          "nimbus (shared memory is a memfd: use <source "
                          "type='memfd'/>)", what);
            return false;
        }
        if (mb->source == MB_SOURCE_MEMFD && !shared && !huge) {
            drv_xml_error(error, DRV_ERROR_CONFIG_UNSUPPORTED,
                          "memoryBacking source type 'memfd' without <access "
                          "mode='shared'/> or <hugepages/>%s is not "
                          "supported by nimbus (private memory is "
                          "anonymous: use type='anonymous', or add <access "
                          "mode='shared'/>)", what);
            return false;
        }
    }
    return true;
}

void
domain_memory_backing_fill_zone(MemoryZoneConfig *zone, const DomainDef *def,
                                int cell)
{
    const DomainMemoryBackingDef *mb = domain_def_priv(def)->mem_backing;
    uint64_t page_kib = 0;

    zone->shared = mb_zone_shared(def, cell);
    zone->hugepages = mb_zone_hugepages(mb, cell, &page_kib);
    zone->hugepage_size = page_kib * 1024;
    zone->prefault = mb && mb->allocation == MB_ALLOC_IMMEDIATE;
}

void
domain_memory_backing_fill_vmconfig(MemoryConfig *mem, const DomainDef *def)
{
    const DomainMemoryBackingDef *mb = domain_def_priv(def)->mem_backing;
    uint64_t page_kib = 0;

    if (!mb)
        return;
    /* validate() allows one <page>, without nodeset, here. */
    mem->shared = mb->access == DOMAIN_MEMORY_ACCESS_SHARED;
    mem->hugepages = mb_zone_hugepages(mb, -1, &page_kib);
    mem->hugepage_size = page_kib * 1024;
    mem->prefault = mb->allocation == MB_ALLOC_IMMEDIATE;
}
