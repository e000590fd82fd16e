/* SPDX-License-Identifier: Apache-2.0 */
/* <iommu model='virtio'> and <driver iommu='on'>: the calls between driver/xml/ files. */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <glib.h>
#include <libxml/tree.h>

#include "config/vm-config.h"
#include "driver/xml/domain-priv.h"

typedef struct {
    DomainDeviceInfo info;      /* alias only: unsupported.c refuses <address> */
    char *model;                /* "virtio" (unsupported.c refuses the others) */
    uint32_t aw_bits;           /* <driver aw_bits>; 0: absent */
} DomainIommuDef;

void domain_iommu_def_free(DomainIommuDef *iommu);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(DomainIommuDef, domain_iommu_def_free)

/* The iommu attribute of a virtio device's <driver> (@driver may be
 * NULL: absent). */
bool domain_iommu_driver_parse(xmlNodePtr driver, XmlTristate *iommu,
                               GError **error);

/* Whether device @index of class @type has <driver iommu='on'/>. */
bool domain_iommu_device_on(const DomainDef *def, DomainDeviceType type,
                            guint index);

/* The rules across the definition: one <iommu>, which every iommu='on'
 * device needs. */
bool domain_iommu_validate(const DomainDef *def, GError **error);

/* The VMM's IOMMU in @config (whose platform is set): the top-level iommu
 * and the address width (the devices' own iommu=on are set where
 * vmconfig.c builds each of them). */
void domain_iommu_fill_vmconfig(VmConfig *config, const DomainDef *def);

/* Refuses a live attach of device @index of @type if it asks for the
 * IOMMU: the VMM fixes the IOMMU's endpoints when it builds the VM. */
bool domain_iommu_check_attach(const DomainDef *def, DomainDeviceType type,
                               guint index, GError **error);
