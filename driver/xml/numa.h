/* SPDX-License-Identifier: Apache-2.0 */
/* <cpu><numa> cells and <numatune>: guest NUMA nodes and their host placement. */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <glib.h>
#include <libxml/tree.h>

#include "config/vm-config.h"
#include "driver/xml/domain-priv.h"

/*
 * A definition with <numa> cells boots with one memory zone per cell
 * and one CH NUMA node per cell (--memory-zone, --numa); <numatune>
 * binds zones to host nodes (host_numa_node).  numa.c has the mapping
 * and the rules; docs/xml-format.md the table.
 */

/* <cpu><numa> inside @cpu (the <cpu> element), if any, and the
 * <numatune> element @node, into DomainDefPriv.numa. */
bool domain_numa_cells_parse(xmlNodePtr cpu, DomainDefPriv *priv,
                             GError **error);
bool domain_numatune_parse(xmlNodePtr node, DomainDefPriv *priv,
                           GError **error);
/* <numa> (inside <cpu>, after <topology>) and <numatune>. */
void domain_numa_cells_format(XmlBuf *buf, const DomainNumaDef *numa);
void domain_numatune_format(XmlBuf *buf, const DomainDefPriv *priv);
void domain_numa_free(DomainNumaDef *numa);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(DomainNumaDef, domain_numa_free)

/* The rules across cells, <numatune>, <vcpu>, <memory> and the memory
 * devices; CONFIG_UNSUPPORTED or XML_ERROR naming the cell. */
bool domain_numa_validate(const DomainDef *def, GError **error);

/* Whether @numa has cells (<cpu> is then printed for them). */
bool domain_numa_cells_any(const DomainNumaDef *numa);
/* Number of <numa> cells of @def (0: none). */
guint domain_numa_ncells(const DomainDef *def);
/* Cell @id's memAccess: a DomainMemoryAccess, or -1 when not given. */
int domain_numa_cell_access(const DomainDef *def, guint id);

/* Whether @def's RAM is memory zones (cells, or a <numatune> <memory>). */
bool domain_numa_has_zones(const DomainDef *def);

/* With cells, the memory zone @def's virtio-mem device grows (its
 * <node>'s cell's: vm.resize-zone's id, transfer full) and that zone's
 * boot size; false when there is no such device or no cells. */
bool domain_numa_virtio_mem_zone(const DomainDef *def, char **zone,
                                 uint64_t *zone_kib);

/* memory.zones and numa of @config for @def (after memory.size and the
 * <memoryBacking> fields were filled: they move into the zones).
 * Nothing when @def has no zones. */
bool domain_numa_fill_vmconfig(VmConfig *config, const DomainDef *def,
                               GError **error);
