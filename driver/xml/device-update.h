/* SPDX-License-Identifier: Apache-2.0 */
/* update-device XML: a definition with one <disk> or <interface> replaced. */
#pragma once

#include <stdbool.h>
#include <glib.h>

#include "driver/xml/device-xml.h"

/**
 * domain_device_xml_element:
 * The name of @xml's root element ("disk", "interface", "memory"...), for
 * the per-kind dispatch of update-device, and whether it has a child
 * element @child (NULL: none looked for).  (transfer full), or NULL with
 * DRV_ERROR_XML_ERROR when @xml is not one well-formed element.
 */
char *domain_device_xml_element(const char *xml, const char *child,
                                bool *has_child, GError **error);

/**
 * domain_def_with_device_replaced:
 * A copy of @def in which the <disk> or <interface> of @xml replaces the
 * device it matches as libvirt matches on update (a disk by target dev,
 * an interface by MAC), at the same place, judged by the whole parse
 * pipeline as in a definition.  A device that names no alias or address
 * keeps the old one's.  @live: @def is a running definition.  *@kind and
 * *@index name the device; *@changed tells whether it differs from the
 * old one at all.  (transfer full), or NULL with @error (DEVICE_MISSING
 * when nothing matches).
 */
DomainDef *domain_def_with_device_replaced(const DomainDef *def,
                                           const char *xml, bool live,
                                           DomainHotplugKind *kind,
                                           guint *index, bool *changed,
                                           GError **error);

/* Whether the disk/interface at @index of @a and @b differ only in
 * <source> (disks) or not at all: libvirt's "only the medium changed". */
bool domain_device_only_source_differs(const DomainDef *a, const DomainDef *b,
                                       DomainHotplugKind kind, guint index);
