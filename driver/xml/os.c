/* SPDX-License-Identifier: Apache-2.0 */
/* <os>: guest type, direct kernel boot or PVH firmware, boot order. */
#include <config.h>

#include "driver/xml/domain-priv.h"

ENUM_IMPL(domain_boot_dev, DOMAIN_BOOT_LAST,
          "fd", "cdrom", "hd", "network");
ENUM_IMPL(domain_loader_type, DOMAIN_LOADER_TYPE_LAST,
          "rom", "pflash");

/* The machine types capabilities list: nimbus's one platform under its
 * own name, and the two names tools ask for by default (virt-install and
 * nova: 'q35'; older tools: 'pc') as aliases.  nimbus's platform is
 * neither chipset: a PCIe host bridge with virtio devices, no ISA bus
 * devices but the 8250 UART, i8042 and CMOS RTC (docs/xml-format.md). */
static const char *const domain_machine_aliases[] = { "q35", "pc", NULL };

const char *
domain_os_machine_canonical(const char *name)
{
    if (!name || g_str_equal(name, DOMAIN_MACHINE_CANONICAL))
        return DOMAIN_MACHINE_CANONICAL;
    for (const char *const *a = domain_machine_aliases; *a; a++) {
        if (g_str_equal(name, *a))
            return DOMAIN_MACHINE_CANONICAL;
    }
    return NULL;
}

const char *const *
domain_os_machine_aliases(void)
{
    return domain_machine_aliases;
}

bool
domain_os_parse(xmlNodePtr node, DomainOsDef *os, GError **error)
{
    xmlNodePtr type = xml_child(node, "type");
    xmlNodePtr loader = xml_child(node, "loader");
    xmlNodePtr n;

    if (!type) {
        drv_xml_error(error, DRV_ERROR_XML_ERROR,
                      "/domain/os: missing <type> (nimbus runs 'hvm' guests)");
        return false;
    }
    /* The type is a token; paths and the cmdline are kept verbatim (the
     * kernel sees every byte of its command line). */
    os->type = g_strstrip(xml_text(type));
    os->arch = xml_prop(type, "arch");
    /* nimbus has one platform; QEMU's 'pc' and 'q35' are accepted as
     * aliases of it (validate.c), and kept so that tools get back what
     * they wrote. */
    os->machine = xml_prop(type, "machine");
    /* The loader is a PVH firmware image (hypervisor-fw, OVMF's PVH
     * build), loaded like CH's --firmware. */
    if (loader) {
        os->loader = xml_text(loader);
        if (!xml_prop_tristate(loader, "readonly", false, &os->loader_readonly,
                               error) ||
            !xml_prop_tristate(loader, "secure", false, &os->loader_secure,
                               error) ||
            !xml_prop_enum(loader, "type", domain_loader_type_from_string,
                           &os->loader_type, error))
            return false;
    } else {
        os->loader_type = -1;
    }
    if ((n = xml_child(node, "kernel")))
        os->kernel = xml_text(n);
    if ((n = xml_child(node, "initrd")))
        os->initrd = xml_text(n);
    if ((n = xml_child(node, "cmdline")))
        os->cmdline = xml_text(n);

    for (n = node->children; n; n = n->next) {
        int dev;

        if (!xml_is_element(n, "boot"))
            continue;
        if (!xml_prop_enum(n, "dev", domain_boot_dev_from_string, &dev,
                           error))
            return false;
        if (dev < 0) {
            drv_xml_error(error, DRV_ERROR_XML_ERROR,
                          "/domain/os/boot: missing 'dev' attribute");
            return false;
        }
        g_array_append_val(os->boot_devs, dev);
    }
    /* mode='host' was refused before the schema (unsupported.c). */
    os->smbios_mode = -1;
    if ((n = xml_child(node, "smbios")) &&
        !xml_prop_enum(n, "mode", domain_smbios_mode_from_string,
                       &os->smbios_mode, error))
        return false;
    return true;
}

void
domain_os_format(XmlBuf *buf, const DomainOsDef *os)
{
    xml_buf_open(buf, "os");
    xml_buf_end_open(buf);

    xml_buf_open(buf, "type");
    xml_buf_attr(buf, "arch", os->arch);
    xml_buf_attr(buf, "machine", os->machine);
    xml_buf_end_text(buf, "type", os->type);

    if (os->loader) {
        /* libvirt's attribute order: readonly, secure, type. */
        xml_buf_open(buf, "loader");
        xml_buf_attr(buf, "readonly", xml_yes_no_to_string(os->loader_readonly));
        xml_buf_attr(buf, "secure", xml_yes_no_to_string(os->loader_secure));
        xml_buf_attr(buf, "type", domain_loader_type_to_string(os->loader_type));
        xml_buf_end_text(buf, "loader", os->loader);
    }
    xml_buf_text_element(buf, "kernel", os->kernel);
    xml_buf_text_element(buf, "initrd", os->initrd);
    xml_buf_text_element(buf, "cmdline", os->cmdline);
    for (guint i = 0; os->boot_devs && i < os->boot_devs->len; i++) {
        xml_buf_open(buf, "boot");
        xml_buf_attr(buf, "dev",
                     domain_boot_dev_to_string(g_array_index(os->boot_devs,
                                                             int, i)));
        xml_buf_end_empty(buf);
    }
    if (os->smbios_mode >= 0) {
        xml_buf_open(buf, "smbios");
        xml_buf_attr(buf, "mode", domain_smbios_mode_to_string(os->smbios_mode));
        xml_buf_end_empty(buf);
    }
    xml_buf_close(buf, "os");
}

void
domain_os_clear(DomainOsDef *os)
{
    g_clear_pointer(&os->type, g_free);
    g_clear_pointer(&os->arch, g_free);
    g_clear_pointer(&os->machine, g_free);
    g_clear_pointer(&os->loader, g_free);
    g_clear_pointer(&os->kernel, g_free);
    g_clear_pointer(&os->initrd, g_free);
    g_clear_pointer(&os->cmdline, g_free);
    g_clear_pointer(&os->boot_devs, g_array_unref);
}
