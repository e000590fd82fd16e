/* SPDX-License-Identifier: Apache-2.0 */
/* <memoryBacking> and <filesystem>: the interfaces between driver/xml/ files. */
#pragma once

#include <stdbool.h>
#include <glib.h>
#include <libxml/tree.h>

#include "config/vm-config.h"
#include "driver/xml/domain-priv.h"

/* memory-backing.c: <memoryBacking> (DomainDefPriv.mem_backing). */
bool domain_memory_backing_parse(xmlNodePtr node, DomainDefPriv *priv,
                                 GError **error);
void domain_memory_backing_format(XmlBuf *buf, const DomainDefPriv *priv);
void domain_memory_backing_free(DomainMemoryBackingDef *mb);
/* Whether @def's guest RAM is shared (<access mode='shared'/>, or every
 * NUMA cell's memAccess): what vhost-user back ends such as virtiofsd
 * need. */
bool domain_memory_backing_shared(const DomainDef *def);
/* The rules across <memoryBacking> and the NUMA cells (page nodesets,
 * memfd and anonymous sources against each zone's access). */
bool domain_memory_backing_validate(const DomainDef *def, GError **error);
/* shared, hugepages, hugepage_size and prefault of the memory zone of
 * NUMA cell @cell (-1: the one zone of a guest without cells). */
void domain_memory_backing_fill_zone(MemoryZoneConfig *zone,
                                     const DomainDef *def, int cell);
/* memory.shared, hugepages, hugepage_size and prefault of @mem. */
void domain_memory_backing_fill_vmconfig(MemoryConfig *mem,
                                         const DomainDef *def);

/* filesystem.c: the rules across <filesystem> devices and the rest of
 * the domain, and their "fs" entries for a run. */
bool domain_fs_validate(const DomainDef *def, GError **error);
bool domain_fs_fill_vmconfig(VmConfig *config, const DomainDef *def,
                             GError **error);
/* The target dir (tag) of a parsed <filesystem>, for matching on
 * detach (device-xml.c).  (transfer none) */
const char *domain_fs_dev_tag(gconstpointer dev);
/* Gives the filesystems of @to the virtiofsd sockets of those of @from
 * at the same positions (a run's data, not in the XML). */
void domain_fs_copy_sockets(DomainDef *to, const DomainDef *from);
