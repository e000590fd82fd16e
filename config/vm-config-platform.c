/* SPDX-License-Identifier: Apache-2.0 */
/* CH's PlatformConfig: its table, --platform, and its rules. */
#include <config.h>

#include <string.h>
#include <gio/gio.h>

#include "common/error-util.h"
#include "config/vm-config-platform.h"
#include "config/vm-config-schema.h"

/*
 * The SMBIOS strings are implemented (arch/x86_64/smbios.c writes them
 * into the guest's tables), and the virtio-iommu's address width and
 * segments; the segment count and confidential-computing keys accept only
 * their defaults.
 */

/* CH caps the width at 64; nimbus also refuses less than 12 bits, where
 * not even one 4 KiB page (the IOMMU's smallest) could be mapped. */
#define IOMMU_ADDRESS_WIDTH_MIN 12
#define IOMMU_ADDRESS_WIDTH_MAX 64

static const VField platform_fields[] = {
    U_INT("num_pci_segments", 1),
    /* CH puts every function of a listed segment behind the IOMMU (the
     * rule that each device there has iommu=on lives in
     * config/vm-config-validate.c, with the PCI slots). */
    V_U32S("iommu_segments", PlatformConfig, iommu_segments, G_MAXUINT16,
           .what = "PCI segment numbers"),
    V_UINT("iommu_address_width_bits", PlatformConfig,
           iommu_address_width_bits, IOMMU_ADDRESS_WIDTH_MIN,
           IOMMU_ADDRESS_WIDTH_MAX, IOMMU_ADDRESS_WIDTH_MAX,
           .cli = "iommu_address_width", .flags = VF_OMIT_DEFAULT),
    V_STR("system_serial_number", PlatformConfig, system_serial_number),
    V_STR("serial_number", PlatformConfig, serial_number),
    V_STR("system_uuid", PlatformConfig, system_uuid),
    V_STR("uuid", PlatformConfig, uuid),
    V_STRV("oem_strings", PlatformConfig, oem_strings),
    V_STR("system_manufacturer", PlatformConfig, system_manufacturer),
    V_STR("system_product_name", PlatformConfig, system_product_name),
    V_STR("system_version", PlatformConfig, system_version),
    V_STR("system_family", PlatformConfig, system_family),
    V_STR("system_sku_number", PlatformConfig, system_sku_number),
    V_STR("chassis_asset_tag", PlatformConfig, chassis_asset_tag),
    U_BOOL("tdx", false),
    U_BOOL("sev_snp", false),
    U_BOOL("iommufd", false),
    U_BOOL("vfio_p2p_dma", true),
    V_END
};

void
platform_config_free(PlatformConfig *p)
{
    if (!p)
        return;
    vschema_clear(&vschema_platform, p);
    g_free(p);
}

const VStruct vschema_platform = {
    "PlatformConfig", sizeof(PlatformConfig), platform_fields,
    (GDestroyNotify)platform_config_free, NULL
};

bool
vm_config_parse_platform(VmConfig *config, const char *arg, GError **error)
{
    g_autoptr(PlatformConfig) p = vschema_new(&vschema_platform);

    if (!vschema_cli_parse(&vschema_platform, "--platform", arg, p, error))
        return false;
    platform_config_free(config->platform);
    config->platform = g_steal_pointer(&p);
    return true;
}

const char *
platform_config_serial(const PlatformConfig *p)
{
    return !p ? NULL : p->system_serial_number ? p->system_serial_number
                                               : p->serial_number;
}

const char *
platform_config_uuid(const PlatformConfig *p)
{
    return !p ? NULL : p->system_uuid ? p->system_uuid : p->uuid;
}

unsigned
platform_config_iommu_address_width(const PlatformConfig *p)
{
    return p ? p->iommu_address_width_bits : IOMMU_ADDRESS_WIDTH_MAX;
}

/* "where: message"; returns false. */
#define pf_fail(error, where, ...)                                             \
    nimbus_fail_prefixed(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,       \
                         where, __VA_ARGS__)

bool
vm_config_validate_platform(const PlatformConfig *p, VmConfigNames names,
                            GError **error)
{
    const char *w = names == VM_CONFIG_NAMES_CLI ? "--platform" : "platform";
    size_t total = 0;
    guint n = 0;
    const VField *f;

    if (!p)
        return true;
    if (p->system_serial_number && p->serial_number)
        return pf_fail(error, w, "serial_number is CH's older name of "
                       "system_serial_number: give one of them");
    if (p->system_uuid && p->uuid)
        return pf_fail(error, w, "uuid is CH's older name of system_uuid: "
                       "give one of them");
    /* CH's InvalidPciSegment: a segment the VM has (num_pci_segments is
     * 1 here). */
    for (guint i = 0; p->iommu_segments && i < p->iommu_segments->len; i++) {
        uint32_t seg = g_array_index(p->iommu_segments, uint32_t, i);

        if (seg != 0)
            return pf_fail(error, w, "iommu_segments: PCI segment %u does "
                           "not exist: the VM has one segment, 0", seg);
    }
    for (f = platform_fields; f->name; f++) {
        const char *s;

        if (f->kind != VF_STRING)
            continue;
        s = *(char *const *)vfield_member_const(f, p);
        if (!s)
            continue;
        /* An empty SMBIOS string would end the table's string set. */
        if (!*s)
            return pf_fail(error, w, "%s must not be empty", f->name);
        total += strlen(s) + 1;
    }
    for (char **o = p->oem_strings; o && *o; o++, n++) {
        if (!**o)
            return pf_fail(error, w, "oem_strings[%u] must not be empty", n);
        total += strlen(*o) + 1;
    }
    if (n > VM_CONFIG_OEM_STRINGS_MAX)
        return pf_fail(error, w, "%u oem_strings; at most %u", n,
                       VM_CONFIG_OEM_STRINGS_MAX);
    if (total > VM_CONFIG_SMBIOS_STRINGS_MAX)
        return pf_fail(error, w, "the SMBIOS strings take %zu bytes; at most "
                       "%u fit", total, VM_CONFIG_SMBIOS_STRINGS_MAX);
    if (platform_config_uuid(p) &&
        !g_uuid_string_is_valid(platform_config_uuid(p)))
        return pf_fail(error, w, "'%s' is not a UUID",
                       platform_config_uuid(p));
    return true;
}

bool
platform_config_iommu_segment(const PlatformConfig *p, unsigned segment)
{
    for (guint i = 0; p && p->iommu_segments && i < p->iommu_segments->len;
         i++) {
        if (g_array_index(p->iommu_segments, uint32_t, i) == segment)
            return true;
    }
    return false;
}
