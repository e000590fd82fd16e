/* SPDX-License-Identifier: Apache-2.0 */
/* <cpu><numa> cells and <numatune>: guest NUMA nodes and their host placement. */
#include <config.h>

#include <string.h>

#include "config/vm-config-numa.h"
#include "config/vm-config-schema.h"
#include "driver/xml/cputune.h"
#include "driver/xml/memory-backing.h"
#include "driver/xml/numa.h"

/*
 * The mapping, in one place (docs/xml-format.md has the table):
 *   <cell id=N cpus= memory=>    memory.zones[N]: id "ram-nodeN", size;
 *                                numa[N]: guest_numa_id N, cpus,
 *                                memory_zones ["ram-nodeN"]
 *   <cell memAccess=>            zone shared (a memfd mapped shared) or
 *                                private; absent: <memoryBacking><access>
 *   <distances><sibling>         numa[N].distances (dest@value); a pair
 *                                given one way only is made symmetric,
 *                                as libvirt does
 *   <memoryBacking>              each zone's hugepages, hugepage_size (the
 *                                <page> whose nodeset has the cell, else
 *                                the one without nodeset), prefault
 *                                (memory-backing.c)
 *   <numatune><memory mode='strict' nodeset='H'/>
 *                                host_numa_node H of every zone: nimbus
 *                                binds a zone with mbind(MPOL_BIND), which
 *                                is libvirt's 'strict' on one host node
 *   <numatune><memnode cellid=N mode='strict' nodeset='H'/>
 *                                host_numa_node H of cell N's zone
 * Without cells, <numatune><memory> makes the boot RAM one zone, so that
 * it can be bound.  What nimbus cannot do exactly is refused by name:
 * 'preferred' (MPOL_PREFERRED falls back to other nodes), 'interleave'
 * (MPOL_INTERLEAVE), 'restrictive' (a cgroup cpuset.mems, not mbind),
 * nodesets of several host nodes (one node per zone), placement='auto'
 * (numad), discard='yes', and DIMMs with cells or <numatune> (CH grows
 * zones only through virtio-mem).  A virtio-mem device with cells is its
 * <node>'s zone's hotplug_size (<size>) and hotplugged_size
 * (<requested>), resized through vm.resize-zone (CH's memory hotplug per
 * zone); nimbusd has one virtio-mem device (memory.c), so one zone grows.
 */

typedef struct {
    uint32_t sibling;
    uint32_t value;
} NumaSibling;

typedef struct {
    GArray *cpus;               /* uint32_t vCPUs ascending; NULL: none */
    uint64_t memory_kib;
    int access;                 /* DomainMemoryAccess or -1 */
    XmlTristate discard;
    GArray *distances;          /* NumaSibling, by sibling; never NULL */
} NumaCell;

typedef enum {
    NUMATUNE_MODE_STRICT,
    NUMATUNE_MODE_PREFERRED,
    NUMATUNE_MODE_INTERLEAVE,
    NUMATUNE_MODE_RESTRICTIVE,
    NUMATUNE_MODE_LAST
} NumatuneMode;
ENUM_DECL(numatune_mode);
ENUM_IMPL(numatune_mode, NUMATUNE_MODE_LAST,
          "strict", "preferred", "interleave", "restrictive");

typedef enum {
    NUMATUNE_PLACEMENT_STATIC,
    NUMATUNE_PLACEMENT_AUTO,
    NUMATUNE_PLACEMENT_LAST
} NumatunePlacement;
ENUM_DECL(numatune_placement);
ENUM_IMPL(numatune_placement, NUMATUNE_PLACEMENT_LAST, "static", "auto");

/* <numatune><memory> or one <memnode>. */
typedef struct {
    uint32_t cellid;            /* <memnode> only */
    int mode;                   /* NumatuneMode (strict when absent) */
    int placement;              /* NumatunePlacement or -1 */
    GArray *nodeset;            /* uint32_t host nodes; NULL: absent */
} NumatuneMem;

struct DomainNumaDef {
    GPtrArray *cells;           /* NumaCell*, index = cell id; may be empty */
    bool has_numatune;
    NumatuneMem *memory;        /* <numatune><memory>; NULL: absent */
    GPtrArray *memnodes;        /* NumatuneMem*, input order */
};

static void
numa_cell_free(NumaCell *c)
{
    if (!c)
        return;
    g_clear_pointer(&c->cpus, g_array_unref);
    g_clear_pointer(&c->distances, g_array_unref);
    g_free(c);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC(NumaCell, numa_cell_free)

static void
numatune_mem_free(NumatuneMem *m)
{
    if (!m)
        return;
    g_clear_pointer(&m->nodeset, g_array_unref);
    g_free(m);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC(NumatuneMem, numatune_mem_free)

void
domain_numa_free(DomainNumaDef *numa)
{
    if (!numa)
        return;
    g_clear_pointer(&numa->cells, g_ptr_array_unref);
    g_clear_pointer(&numa->memory, numatune_mem_free);
    g_clear_pointer(&numa->memnodes, g_ptr_array_unref);
    g_free(numa);
}

static DomainNumaDef *
numa_get(DomainDefPriv *priv)
{
    if (!priv->numa) {
        priv->numa = g_new0(DomainNumaDef, 1);
        priv->numa->cells =
            g_ptr_array_new_with_free_func((GDestroyNotify)numa_cell_free);
        priv->numa->memnodes =
            g_ptr_array_new_with_free_func((GDestroyNotify)numatune_mem_free);
    }
    return priv->numa;
}

/* ---- Parse --------------------------------------------------------------- */

static bool
numa_distance_add(NumaCell *c, uint32_t sibling, uint32_t value)
{
    guint i;

    for (i = 0; i < c->distances->len; i++) {
        const NumaSibling *d = &g_array_index(c->distances, NumaSibling,
                                                i);

        if (d->sibling == sibling)
            return false;
        if (d->sibling > sibling)
            break;
    }
    g_array_insert_val(c->distances, i,
                       ((NumaSibling){ .sibling = sibling,
                                         .value = value }));
    return true;
}

static const NumaSibling *
numa_distance_find(const NumaCell *c, uint32_t sibling)
{
    for (guint i = 0; i < c->distances->len; i++) {
        const NumaSibling *d = &g_array_index(c->distances, NumaSibling,
                                                i);

        if (d->sibling == sibling)
            return d;
    }
    return NULL;
}

/* <distances> of cell @id, checked as libvirt does: siblings exist,
 * 10 to itself, 11..255 to another cell, each sibling once. */
static bool
numa_distances_parse(xmlNodePtr node, NumaCell *c, uint32_t id,
                     guint ncells, GError **error)
{
    for (xmlNodePtr s = node->children; s; s = s->next) {
        uint64_t sib = 0, value = 0;
        bool has_sib = false, has_value = false;

        if (!xml_is_element(s, "sibling"))
            continue;
        if (!xml_prop_uint(s, "id", G_MAXUINT32, &sib, &has_sib, error) ||
            !xml_prop_uint(s, "value", G_MAXUINT32, &value, &has_value,
                           error))
            return false;
        if (!has_sib || !has_value) {
            drv_xml_error(error, DRV_ERROR_XML_ERROR,
                          "NUMA cell %u: <sibling> needs 'id' and 'value'",
                          id);
            return false;
        }
        if (sib >= ncells) {
            drv_xml_error(error, DRV_ERROR_XML_ERROR,
                          "NUMA cell %u: sibling id %" G_GUINT64_FORMAT
                          " does not refer to a valid cell", id,
                          (guint64)sib);
            return false;
        }
        if (sib == id && value != VM_CONFIG_NUMA_DISTANCE_LOCAL) {
            drv_xml_error(error, DRV_ERROR_XML_ERROR,
                          "NUMA cell %u: the distance to itself must be %u, "
                          "not %" G_GUINT64_FORMAT, id,
                          VM_CONFIG_NUMA_DISTANCE_LOCAL, (guint64)value);
            return false;
        }
        /* ACPI 6.5 §5.2.17 (SLIT): 10 is local, 0-9 are reserved. */
        if (sib != id && (value <= VM_CONFIG_NUMA_DISTANCE_LOCAL ||
                          value > VM_CONFIG_NUMA_DISTANCE_MAX)) {
            drv_xml_error(error, DRV_ERROR_XML_ERROR,
                          "NUMA cell %u: distance %" G_GUINT64_FORMAT
                          " to cell %" G_GUINT64_FORMAT " is out of range "
                          "(%u to %u)", id, (guint64)value, (guint64)sib,
                          VM_CONFIG_NUMA_DISTANCE_LOCAL + 1,
                          VM_CONFIG_NUMA_DISTANCE_MAX);
            return false;
        }
        if (!numa_distance_add(c, (uint32_t)sib, (uint32_t)value)) {
            drv_xml_error(error, DRV_ERROR_XML_ERROR,
                          "NUMA cell %u: the distance to cell %"
                          G_GUINT64_FORMAT " is given twice", id,
                          (guint64)sib);
            return false;
        }
    }
    return true;
}

static NumaCell *
numa_cell_parse(xmlNodePtr node, uint32_t id, guint ncells, GError **error)
{
    g_autoptr(GError) local = NULL;
    g_autofree char *cpus = xml_prop(node, "cpus");
    g_autofree char *memory = xml_prop(node, "memory");
    g_autofree char *unit = xml_prop(node, "unit");
    g_autoptr(NumaCell) c = g_new0(NumaCell, 1);
    xmlNodePtr dist;
    const char *why = NULL;

    c->distances = g_array_new(FALSE, FALSE, sizeof(NumaSibling));
    /* libvirt allows a cell without CPUs (a memory-only node). */
    if (cpus && !(c->cpus = domain_cpuset_parse(cpus, &local))) {
        drv_xml_error(error, DRV_ERROR_XML_ERROR, "NUMA cell %u: cpus: %s",
                      id, local->message);
        return NULL;
    }
    if (!memory) {
        drv_xml_error(error, DRV_ERROR_XML_ERROR,
                      "NUMA cell %u: missing 'memory' attribute", id);
        return NULL;
    }
    if (!xml_scale_to_kib(memory, unit, DOMAIN_MAX_MEMORY_KIB,
                          &c->memory_kib, &why)) {
        drv_xml_error(error, DRV_ERROR_XML_ERROR,
                      "NUMA cell %u: invalid memory '%s'%s%s%s: %s", id,
                      memory, unit ? " (unit '" : "", unit ? unit : "",
                      unit ? "')" : "", why);
        return NULL;
    }
    if (!xml_prop_enum(node, "memAccess", domain_memory_access_from_string,
                       &c->access, error) ||
        !xml_prop_tristate(node, "discard", false, &c->discard, error))
        return NULL;
    if ((dist = xml_child(node, "distances")) &&
        !numa_distances_parse(dist, c, id, ncells, error))
        return NULL;
    return g_steal_pointer(&c);
}

bool
domain_numa_cells_parse(xmlNodePtr cpu, DomainDefPriv *priv, GError **error)
{
    xmlNodePtr numa_node = xml_child(cpu, "numa");
    g_autoptr(GPtrArray) cells = NULL;
    guint ncells = 0, pos = 0;
    DomainNumaDef *numa;

    if (!numa_node)
        return true;
    for (xmlNodePtr n = numa_node->children; n; n = n->next)
        ncells += xml_is_element(n, "cell");
    if (ncells == 0) {
        drv_xml_error(error, DRV_ERROR_XML_ERROR,
                      "/domain/cpu/numa: at least one <cell> is required");
        return false;
    }
    cells = g_ptr_array_new_with_free_func((GDestroyNotify)numa_cell_free);
    g_ptr_array_set_size(cells, ncells);
    for (xmlNodePtr n = numa_node->children; n; n = n->next) {
        uint64_t id = pos;
        NumaCell *c;

        if (!xml_is_element(n, "cell"))
            continue;
        /* libvirt: id defaults to the position; ids are 0..n-1. */
        if (!xml_prop_uint(n, "id", G_MAXUINT32, &id, NULL, error))
            return false;
        pos++;
        if (id >= ncells) {
            drv_xml_error(error, DRV_ERROR_XML_ERROR,
                          "NUMA cell id %" G_GUINT64_FORMAT " is out of "
                          "range: the %u cells must have ids 0 to %u",
                          (guint64)id, ncells, ncells - 1);
            return false;
        }
        if (g_ptr_array_index(cells, id)) {
            drv_xml_error(error, DRV_ERROR_XML_ERROR,
                          "NUMA cell id %" G_GUINT64_FORMAT " is given twice",
                          (guint64)id);
            return false;
        }
        if (!(c = numa_cell_parse(n, (uint32_t)id, ncells, error)))
            return false;
        g_ptr_array_index(cells, id) = c;
    }
    /* A distance given one way only holds both ways (libvirt's rule);
     * two different ones are kept: the SLIT has both directions. */
    for (guint a = 0; a < ncells; a++) {
        NumaCell *ca = g_ptr_array_index(cells, a);

        for (guint i = 0; i < ca->distances->len; i++) {
            NumaSibling d = g_array_index(ca->distances, NumaSibling, i);
            NumaCell *cb = g_ptr_array_index(cells, d.sibling);

            if (!numa_distance_find(cb, a))
                numa_distance_add(cb, a, d.value);
        }
    }
    numa = numa_get(priv);
    g_ptr_array_unref(numa->cells);
    numa->cells = g_steal_pointer(&cells);
    return true;
}

static NumatuneMem *
numatune_mem_parse(xmlNodePtr node, bool memnode, GError **error)
{
    g_autoptr(GError) local = NULL;
    g_autofree char *nodeset = xml_prop(node, "nodeset");
    g_autoptr(NumatuneMem) m = g_new0(NumatuneMem, 1);
    uint64_t cellid = 0;
    bool has_cellid = false;

    if (!xml_prop_enum(node, "mode", numatune_mode_from_string, &m->mode,
                       error) ||
        !xml_prop_enum(node, "placement", numatune_placement_from_string,
                       &m->placement, error))
        return NULL;
    if (m->mode < 0)
        m->mode = NUMATUNE_MODE_STRICT;
    if (memnode) {
        if (!xml_prop_uint(node, "cellid", G_MAXUINT32, &cellid, &has_cellid,
                           error))
            return NULL;
        if (!has_cellid) {
            drv_xml_error(error, DRV_ERROR_XML_ERROR,
                          "/domain/numatune/memnode: missing 'cellid' "
                          "attribute");
            return NULL;
        }
        m->cellid = (uint32_t)cellid;
    }
    if (nodeset && !(m->nodeset = domain_cpuset_parse(nodeset, &local))) {
        drv_xml_error(error, DRV_ERROR_XML_ERROR,
                      "/domain/numatune/%s: nodeset: %s",
                      memnode ? "memnode" : "memory", local->message);
        return NULL;
    }
    return g_steal_pointer(&m);
}

bool
domain_numatune_parse(xmlNodePtr node, DomainDefPriv *priv, GError **error)
{
    DomainNumaDef *numa = numa_get(priv);

    numa->has_numatune = true;
    for (xmlNodePtr n = node->children; n; n = n->next) {
        NumatuneMem *m;

        if (n->type != XML_ELEMENT_NODE)
            continue;
        if (xml_is_element(n, "memory")) {
            if (numa->memory) {
                drv_xml_error(error, DRV_ERROR_XML_ERROR,
                              "/domain/numatune: <memory> appears more "
                              "than once");
                return false;
            }
            if (!(numa->memory = numatune_mem_parse(n, false, error)))
                return false;
        } else if (xml_is_element(n, "memnode")) {
            if (!(m = numatune_mem_parse(n, true, error)))
                return false;
            g_ptr_array_add(numa->memnodes, m);
        }
    }
    return true;
}

/* ---- Format -------------------------------------------------------------- */

void
domain_numa_cells_format(XmlBuf *buf, const DomainNumaDef *numa)
{
    if (!numa || numa->cells->len == 0)
        return;
    xml_buf_open(buf, "numa");
    xml_buf_end_open(buf);
    for (guint i = 0; i < numa->cells->len; i++) {
        const NumaCell *c = g_ptr_array_index(numa->cells, i);
        g_autofree char *cpus = c->cpus ? domain_cpuset_format(c->cpus)
                                        : NULL;

        /* libvirt's virDomainNumaDefFormatXML order. */
        xml_buf_open(buf, "cell");
        xml_buf_attr_uint(buf, "id", i);
        xml_buf_attr(buf, "cpus", cpus);
        xml_buf_attr_uint(buf, "memory", c->memory_kib);
        xml_buf_attr(buf, "unit", "KiB");
        xml_buf_attr(buf, "memAccess",
                     domain_memory_access_to_string(c->access));
        xml_buf_attr(buf, "discard", xml_yes_no_to_string(c->discard));
        if (c->distances->len == 0) {
            xml_buf_end_empty(buf);
            continue;
        }
        xml_buf_end_open(buf);
        xml_buf_open(buf, "distances");
        xml_buf_end_open(buf);
        for (guint j = 0; j < c->distances->len; j++) {
            const NumaSibling *d = &g_array_index(c->distances,
                                                    NumaSibling, j);

            xml_buf_open(buf, "sibling");
            xml_buf_attr_uint(buf, "id", d->sibling);
            xml_buf_attr_uint(buf, "value", d->value);
            xml_buf_end_empty(buf);
        }
        xml_buf_close(buf, "distances");
        xml_buf_close(buf, "cell");
    }
    xml_buf_close(buf, "numa");
}

static void
numatune_mem_format(XmlBuf *buf, const char *element, const NumatuneMem *m,
                    bool memnode)
{
    g_autofree char *nodeset = m->nodeset ? domain_cpuset_format(m->nodeset)
                                          : NULL;

    xml_buf_open(buf, element);
    if (memnode)
        xml_buf_attr_uint(buf, "cellid", m->cellid);
    xml_buf_attr(buf, "mode", numatune_mode_to_string(m->mode));
    xml_buf_attr(buf, "nodeset", nodeset);
    /* Only 'static' is accepted (validate), which a nodeset implies. */
    if (!nodeset)
        xml_buf_attr(buf, "placement",
                     numatune_placement_to_string(m->placement));
    xml_buf_end_empty(buf);
}

void
domain_numatune_format(XmlBuf *buf, const DomainDefPriv *priv)
{
    const DomainNumaDef *numa = priv->numa;

    if (!numa || !numa->has_numatune)
        return;
    xml_buf_open(buf, "numatune");
    if (!numa->memory && numa->memnodes->len == 0) {
        xml_buf_end_empty(buf);
        return;
    }
    xml_buf_end_open(buf);
    if (numa->memory)
        numatune_mem_format(buf, "memory", numa->memory, false);
    for (guint i = 0; i < numa->memnodes->len; i++)
        numatune_mem_format(buf, "memnode",
                            g_ptr_array_index(numa->memnodes, i), true);
    xml_buf_close(buf, "numatune");
}

/* ---- Queries ------------------------------------------------------------- */

bool
domain_numa_cells_any(const DomainNumaDef *numa)
{
    return numa->cells->len > 0;
}

guint
domain_numa_ncells(const DomainDef *def)
{
    const DomainNumaDef *numa = domain_def_priv(def)->numa;

    return numa ? numa->cells->len : 0;
}

int
domain_numa_cell_access(const DomainDef *def, guint id)
{
    const NumaCell *c = g_ptr_array_index(domain_def_priv(def)->numa->cells,
                                          id);

    return c->access;
}

bool
domain_numa_has_zones(const DomainDef *def)
{
    const DomainNumaDef *numa = domain_def_priv(def)->numa;

    return numa && (numa->cells->len || numa->memory);
}

/* ---- Rules --------------------------------------------------------------- */

/* @what ("<numatune><memory>", "<memnode cellid='1'>"): the one host node
 * strict placement binds to, or a refusal naming what cannot be done. */
static bool
numatune_mem_validate(const NumatuneMem *m, const char *what, GError **error)
{
    if (m->placement == NUMATUNE_PLACEMENT_AUTO) {
        drv_xml_error(error, DRV_ERROR_CONFIG_UNSUPPORTED,
                      "numatune %s: placement 'auto' (numad) is not "
                      "supported by nimbus: give a nodeset", what);
        return false;
    }
    if (!m->nodeset) {
        drv_xml_error(error, DRV_ERROR_CONFIG_UNSUPPORTED,
                      "numatune %s: a nodeset is required (nimbus has no "
                      "automatic placement)", what);
        return false;
    }
    if (m->mode != NUMATUNE_MODE_STRICT) {
        drv_xml_error(error, DRV_ERROR_CONFIG_UNSUPPORTED,
                      "numatune %s: mode '%s' is not supported by nimbus "
                      "(it binds guest memory with mbind(MPOL_BIND): use "
                      "mode='strict')", what,
                      numatune_mode_to_string(m->mode));
        return false;
    }
    if (m->nodeset->len != 1) {
        g_autofree char *set = domain_cpuset_format(m->nodeset);

        drv_xml_error(error, DRV_ERROR_CONFIG_UNSUPPORTED,
                      "numatune %s: nodeset '%s' has several host nodes: "
                      "nimbus binds each memory zone to one node", what,
                      set);
        return false;
    }
    if (g_array_index(m->nodeset, uint32_t, 0) >
        VM_CONFIG_HOST_NUMA_NODE_MAX) {
        drv_xml_error(error, DRV_ERROR_CONFIG_UNSUPPORTED,
                      "numatune %s: host node %u is above %u", what,
                      g_array_index(m->nodeset, uint32_t, 0),
                      VM_CONFIG_HOST_NUMA_NODE_MAX);
        return false;
    }
    return true;
}

static bool
numatune_validate(const DomainNumaDef *numa, GError **error)
{
    guint ncells = numa->cells->len;

    if (numa->memory &&
        !numatune_mem_validate(numa->memory, "<memory>", error))
        return false;
    for (guint i = 0; i < numa->memnodes->len; i++) {
        const NumatuneMem *m = g_ptr_array_index(numa->memnodes, i);
        g_autofree char *what = g_strdup_printf("<memnode cellid='%u'>",
                                                m->cellid);

        if (m->cellid >= ncells) {
            drv_xml_error(error, DRV_ERROR_CONFIG_UNSUPPORTED,
                          "numatune %s: the guest has no NUMA cell %u "
                          "(<cpu><numa> has %u)", what, m->cellid, ncells);
            return false;
        }
        for (guint j = 0; j < i; j++) {
            if (((const NumatuneMem *)g_ptr_array_index(numa->memnodes,
                                                        j))->cellid ==
                m->cellid) {
                drv_xml_error(error, DRV_ERROR_XML_ERROR,
                              "numatune %s is given twice", what);
                return false;
            }
        }
        if (!numatune_mem_validate(m, what, error))
            return false;
    }
    return true;
}

/* Each vCPU in one cell, every vCPU in a cell. */
static bool
numa_cpus_validate(const DomainDef *def, const DomainNumaDef *numa,
                   GError **error)
{
    g_autofree int *owner = g_new(int, def->max_vcpus);

    for (guint v = 0; v < def->max_vcpus; v++)
        owner[v] = -1;
    for (guint i = 0; i < numa->cells->len; i++) {
        const NumaCell *c = g_ptr_array_index(numa->cells, i);

        for (guint j = 0; c->cpus && j < c->cpus->len; j++) {
            uint32_t v = g_array_index(c->cpus, uint32_t, j);

            if (v >= def->max_vcpus) {
                drv_xml_error(error, DRV_ERROR_CONFIG_UNSUPPORTED,
                              "NUMA cell %u: vCPU %u does not exist (the "
                              "domain has %u vCPUs)", i, v, def->max_vcpus);
                return false;
            }
            if (owner[v] >= 0) {
                drv_xml_error(error, DRV_ERROR_CONFIG_UNSUPPORTED,
                              "NUMA cells %d and %u both have vCPU %u",
                              owner[v], i, v);
                return false;
            }
            owner[v] = (int)i;
        }
    }
    /* Linux puts a CPU the SRAT does not list in node 0, whatever the XML
     * meant; libvirt's QEMU driver warns, nimbus asks for every vCPU. */
    for (guint v = 0; v < def->max_vcpus; v++) {
        if (owner[v] < 0) {
            drv_xml_error(error, DRV_ERROR_CONFIG_UNSUPPORTED,
                          "vCPU %u is in no NUMA cell: the cells' cpus must "
                          "cover every vCPU (0 to %u) once", v,
                          def->max_vcpus - 1);
            return false;
        }
    }
    return true;
}

/* What memory devices, <maxMemory> and the balloon may do with zones. */
static bool
numa_memory_hotplug_validate(const DomainDef *def, GError **error)
{
    const DomainDefPriv *priv = domain_def_priv(def);
    guint cells = priv->numa->cells->len;
    const DomainMemoryDef *vmem = NULL;

    /* CH grows memory zones only through virtio-mem, one device per
     * zone (vm.resize of desired_ram is refused with zones): DIMMs are
     * refused, a virtio-mem device must name the cell it grows. */
    for (guint i = 0; i < domain_def_ndevices(def, DOMAIN_DEVICE_MEMORY);
         i++) {
        const DomainMemoryDef *m =
            domain_def_device(def, DOMAIN_DEVICE_MEMORY, i);

        if (m->model == DOMAIN_MEMORY_MODEL_VIRTIO_PMEM)
            continue;
        if (m->model == DOMAIN_MEMORY_MODEL_VIRTIO_MEM && cells) {
            /* memory.c bounds the node by the cells. */
            if (m->node < 0) {
                drv_xml_error(error, DRV_ERROR_CONFIG_UNSUPPORTED,
                              "memory device 'virtio-mem' with NUMA cells "
                              "needs a <node> (the cell whose memory it "
                              "grows)");
                return false;
            }
            vmem = m;
            continue;
        }
        drv_xml_error(error, DRV_ERROR_CONFIG_UNSUPPORTED,
                      "memory device '%s' with %s is not supported by "
                      "nimbus (memory zones grow only through virtio-mem, "
                      "on a NUMA cell)",
                      domain_memory_model_to_string(m->model),
                      cells ? "NUMA cells" : "<numatune> and no NUMA cells");
        return false;
    }
    /* Without a virtio-mem device, <maxMemory> would be DIMM room. */
    if (priv->maxmem_kib && !vmem) {
        drv_xml_error(error, DRV_ERROR_CONFIG_UNSUPPORTED,
                      "<maxMemory> (memory hotplug) with NUMA cells or "
                      "<numatune> is not supported by nimbus without a "
                      "virtio-mem memory device on a cell (its memory zones "
                      "grow only through virtio-mem)");
        return false;
    }
    /* Zones hold <memory> less the virtio-mem device's region, of which
     * <requested> is plugged: a smaller <currentMemory> needs a balloon
     * to take the difference (vmconfig.c's mapping without one boots
     * <currentMemory>, which the cells do not add up to). */
    if (def->current_memory_kib < domain_def_memory_boot_kib(def) +
                                  (vmem ? vmem->requested_kib : 0) &&
        !domain_def_has_balloon(def)) {
        drv_xml_error(error, DRV_ERROR_CONFIG_UNSUPPORTED,
                      "<currentMemory> below <memory> with NUMA cells or "
                      "<numatune> needs a <memballoon model='virtio'>");
        return false;
    }
    return true;
}

static bool
numa_cells_validate(const DomainDef *def, const DomainNumaDef *numa,
                    GError **error)
{
    uint64_t total = 0;
    uint64_t boot = domain_def_memory_boot_kib(def);

    if (numa->cells->len > VM_CONFIG_MEMORY_ZONES_MAX) {
        drv_xml_error(error, DRV_ERROR_CONFIG_UNSUPPORTED,
                      "%u NUMA cells: nimbus supports at most %u (one memory "
                      "zone each)", numa->cells->len,
                      VM_CONFIG_MEMORY_ZONES_MAX);
        return false;
    }
    if (!numa_cpus_validate(def, numa, error))
        return false;
    for (guint i = 0; i < numa->cells->len; i++) {
        const NumaCell *c = g_ptr_array_index(numa->cells, i);

        if (c->memory_kib == 0 || c->memory_kib % 4) {
            drv_xml_error(error, DRV_ERROR_CONFIG_UNSUPPORTED,
                          "NUMA cell %u: memory %" G_GUINT64_FORMAT " KiB is "
                          "not a positive multiple of the 4 KiB page", i,
                          (guint64)c->memory_kib);
            return false;
        }
        /* The boot structures live below 1 MiB, in the first zone. */
        if (i == 0 && c->memory_kib < 1024) {
            drv_xml_error(error, DRV_ERROR_CONFIG_UNSUPPORTED,
                          "NUMA cell 0: memory %" G_GUINT64_FORMAT " KiB is "
                          "below 1 MiB (the boot structures live there)",
                          (guint64)c->memory_kib);
            return false;
        }
        if (c->discard == XML_TRISTATE_YES) {
            drv_xml_error(error, DRV_ERROR_CONFIG_UNSUPPORTED,
                          "NUMA cell %u: discard='yes' is not supported by "
                          "nimbus (guest memory is not discarded at "
                          "shutdown)", i);
            return false;
        }
        total += c->memory_kib;
    }
    if (total != boot) {
        drv_xml_error(error, DRV_ERROR_CONFIG_UNSUPPORTED,
                      "the NUMA cells' memory (%" G_GUINT64_FORMAT " KiB) "
                      "must add up to <memory> (%" G_GUINT64_FORMAT " KiB%s)",
                      (guint64)total, (guint64)boot,
                      boot != def->max_memory_kib ?
                      ", less the virtio-pmem devices" : "");
        return false;
    }
    return true;
}

bool
domain_numa_validate(const DomainDef *def, GError **error)
{
    const DomainNumaDef *numa = domain_def_priv(def)->numa;

    if (!numa)
        return true;
    if (numa->memnodes->len && numa->cells->len == 0) {
        drv_xml_error(error, DRV_ERROR_CONFIG_UNSUPPORTED,
                      "numatune <memnode> needs NUMA cells (<cpu><numa>)");
        return false;
    }
    if (!numatune_validate(numa, error))
        return false;
    if (!domain_numa_has_zones(def))
        return true;
    if (!numa_memory_hotplug_validate(def, error))
        return false;
    return numa->cells->len == 0 || numa_cells_validate(def, numa, error);
}

/* ---- VmConfig ------------------------------------------------------------ */

static int
numa_host_node(const DomainNumaDef *numa, guint cell)
{
    for (guint i = 0; i < numa->memnodes->len; i++) {
        const NumatuneMem *m = g_ptr_array_index(numa->memnodes, i);

        if (m->cellid == cell)
            return (int)g_array_index(m->nodeset, uint32_t, 0);
    }
    if (numa->memory)
        return (int)g_array_index(numa->memory->nodeset, uint32_t, 0);
    return -1;
}

static MemoryZoneConfig *
numa_zone_new(const DomainDef *def, int cell, uint64_t size)
{
    const DomainNumaDef *numa = domain_def_priv(def)->numa;
    MemoryZoneConfig *z = vschema_new(&vschema_memory_zone);

    g_free(z->id);
    z->id = cell >= 0 ? g_strdup_printf("ram-node%d", cell)
                      : g_strdup("ram");
    z->size = size;
    z->host_numa_node = numa_host_node(numa, cell >= 0 ? (guint)cell
                                                       : G_MAXUINT);
    /* Backing as <memoryBacking> says, for this cell. */
    domain_memory_backing_fill_zone(z, def, cell);
    if (cell >= 0) {
        int access = domain_numa_cell_access(def, (guint)cell);

        if (access >= 0)
            z->shared = access == DOMAIN_MEMORY_ACCESS_SHARED;
    }
    return z;
}

static NumaConfig *
numa_node_new(const NumaCell *c, guint id, const char *zone)
{
    NumaConfig *n = vschema_new(&vschema_numa);
    const char *zones[] = { zone, NULL };

    n->guest_numa_id = id;
    if (!n->cpus)
        n->cpus = g_array_new(FALSE, FALSE, sizeof(uint32_t));
    if (c->cpus)
        g_array_append_vals(n->cpus, c->cpus->data, c->cpus->len);
    if (c->distances->len) {
        n->distances =
            g_ptr_array_new_with_free_func(vschema_numa_distance.free);
        for (guint j = 0; j < c->distances->len; j++) {
            const NumaSibling *d = &g_array_index(c->distances,
                                                    NumaSibling, j);
            NumaDistance *nd = vschema_new(&vschema_numa_distance);

            nd->destination = d->sibling;
            nd->distance = d->value;
            g_ptr_array_add(n->distances, nd);
        }
    }
    n->memory_zones = g_strdupv((char **)zones);
    return n;
}

/* The cell (its index, which is its id) of @def's virtio-mem device;
 * false without cells or without such a device. */
static bool
numa_virtio_mem_cell(const DomainDef *def, guint *cell)
{
    const DomainNumaDef *numa = domain_def_priv(def)->numa;
    const DomainMemoryDef *vmem = domain_def_virtio_mem(def);

    if (!numa || !vmem || vmem->node < 0 ||
        (guint64)vmem->node >= numa->cells->len)
        return false;
    *cell = (guint)vmem->node;
    return true;
}

bool
domain_numa_virtio_mem_zone(const DomainDef *def, char **zone,
                            uint64_t *zone_kib)
{
    const DomainNumaDef *numa = domain_def_priv(def)->numa;
    guint cell;

    if (!numa_virtio_mem_cell(def, &cell))
        return false;
    /* numa_zone_new()'s name for the cell's zone. */
    *zone = g_strdup_printf("ram-node%u", cell);
    *zone_kib = ((const NumaCell *)g_ptr_array_index(numa->cells,
                                                     cell))->memory_kib;
    return true;
}

bool
domain_numa_fill_vmconfig(VmConfig *config, const DomainDef *def,
                          GError **error)
{
    const DomainNumaDef *numa = domain_def_priv(def)->numa;
    MemoryConfig *mem = &config->memory;
    guint vmem_cell = G_MAXUINT;

    if (!domain_numa_has_zones(def))
        return true;
    /* RAM is the zones, so the top-level size and backing (filled from
     * the same definition just before) move into them, as CH wants them
     * (memory.size 0); so does the virtio-mem region, into its cell's
     * zone.  validate() keeps any other memory hotplug out. */
    if (mem->hotplug_size &&
        (mem->hotplug_method != MEMORY_HOTPLUG_VIRTIO_MEM ||
         !numa_virtio_mem_cell(def, &vmem_cell))) {
        drv_xml_error(error, DRV_ERROR_CONFIG_UNSUPPORTED,
                      "memory hotplug with NUMA cells or <numatune> is not "
                      "supported by nimbus other than a virtio-mem device "
                      "on a cell");
        return false;
    }
    if (numa->cells->len == 0) {
        g_ptr_array_add(mem->zones, numa_zone_new(def, -1, mem->size));
    } else {
        for (guint i = 0; i < numa->cells->len; i++) {
            const NumaCell *c = g_ptr_array_index(numa->cells, i);
            MemoryZoneConfig *z = numa_zone_new(def, (int)i,
                                                c->memory_kib * 1024);

            if (mem->hotplug_size && vmem_cell == i) {
                z->hotplug_size = mem->hotplug_size;
                z->hotplugged_size = mem->hotplugged_size;
            }
            g_ptr_array_add(mem->zones, z);
            g_ptr_array_add(config->numa, numa_node_new(c, i, z->id));
        }
    }
    mem->size = 0;
    mem->hotplug_size = mem->hotplugged_size = 0;
    mem->shared = mem->hugepages = mem->prefault = false;
    mem->hugepage_size = 0;
    return true;
}
