/* SPDX-License-Identifier: Apache-2.0 */
/* domain_def_format(): the model back to XML, in libvirt's element and attribute order. */
#include <config.h>

#include <libxml/tree.h>

#include "driver/xml/domain-priv.h"
#include "driver/xml/memory-backing.h"
#include "driver/xml/numa.h"

static void
format_metadata(XmlBuf *buf, const DomainDefPriv *priv)
{
    xmlBufferPtr xb;
    xmlNodePtr root;

    if (!priv->metadata || !(root = xmlDocGetRootElement(priv->metadata)))
        return;
    /* libxml2 serialises (and indents) the kept tree, as libvirt does:
     * level 1 puts the children four spaces in, under "  <metadata>". */
    xb = xmlBufferCreate();
    if (xmlNodeDump(xb, priv->metadata, root, buf->indent, 1) >= 0)
        xml_buf_add_dump(buf, (const char *)xmlBufferContent(xb));
    xmlBufferFree(xb);
}

static void
format_memory(XmlBuf *buf, const DomainDef *def)
{
    const DomainDefPriv *priv = def->priv;
    g_autofree char *mem = g_strdup_printf("%" G_GUINT64_FORMAT,
                                           (guint64)def->max_memory_kib);
    g_autofree char *cur = g_strdup_printf("%" G_GUINT64_FORMAT,
                                           (guint64)def->current_memory_kib);
    g_autofree char *vcpus = g_strdup_printf("%u", def->max_vcpus);

    domain_maxmem_format(buf, priv);
    xml_buf_open(buf, "memory");
    xml_buf_attr(buf, "dumpCore", xml_on_off_to_string(priv->mem_dump_core));
    xml_buf_attr(buf, "unit", "KiB");
    xml_buf_end_text(buf, "memory", mem);
    xml_buf_open(buf, "currentMemory");
    xml_buf_attr(buf, "unit", "KiB");
    xml_buf_end_text(buf, "currentMemory", cur);
    domain_memory_backing_format(buf, priv);
    xml_buf_open(buf, "vcpu");
    xml_buf_attr(buf, "placement", "static");
    /* libvirt prints current= only when some vCPUs are offline. */
    if (def->vcpus != def->max_vcpus)
        xml_buf_attr_uint(buf, "current", def->vcpus);
    xml_buf_end_text(buf, "vcpu", vcpus);
}

static void
format_features(XmlBuf *buf, const DomainDefPriv *priv)
{
    bool any = false;

    for (int f = 0; f < DOMAIN_FEATURE_LAST; f++)
        any |= priv->features[f];
    if (!any)
        return;
    xml_buf_open(buf, "features");
    xml_buf_end_open(buf);
    for (int f = 0; f < DOMAIN_FEATURE_LAST; f++) {
        if (!priv->features[f])
            continue;
        xml_buf_open(buf, domain_feature_to_string(f));
        if (f == DOMAIN_FEATURE_APIC)
            xml_buf_attr(buf, "eoi", xml_on_off_to_string(priv->apic_eoi));
        /* nimbus has no fw_cfg device through which the guest kernel
         * publishes its vmcoreinfo note, nor a host-side guest dump to
         * read it: the feature is defined as what runs, 'off'
         * (docs/xml-format.md).  nova writes <vmcoreinfo/> always. */
        if (f == DOMAIN_FEATURE_VMCOREINFO)
            xml_buf_attr(buf, "state", "off");
        xml_buf_end_empty(buf);
    }
    xml_buf_close(buf, "features");
}

static void
format_pm(XmlBuf *buf, const DomainDefPriv *priv)
{
    if (priv->pm_suspend_to_mem == XML_TRISTATE_ABSENT &&
        priv->pm_suspend_to_disk == XML_TRISTATE_ABSENT)
        return;
    xml_buf_open(buf, "pm");
    xml_buf_end_open(buf);
    if (priv->pm_suspend_to_mem != XML_TRISTATE_ABSENT) {
        xml_buf_open(buf, "suspend-to-mem");
        xml_buf_attr(buf, "enabled",
                     xml_yes_no_to_string(priv->pm_suspend_to_mem));
        xml_buf_end_empty(buf);
    }
    if (priv->pm_suspend_to_disk != XML_TRISTATE_ABSENT) {
        xml_buf_open(buf, "suspend-to-disk");
        xml_buf_attr(buf, "enabled",
                     xml_yes_no_to_string(priv->pm_suspend_to_disk));
        xml_buf_end_empty(buf);
    }
    xml_buf_close(buf, "pm");
}

/**
 * domain_def_format:
 * @id: the running domain's id, or -1.
 * @flags: DOMAIN_DEF_FORMAT_INACTIVE drops live data (id, pty paths);
 *   SECURE and MIGRATABLE are accepted (nimbus keeps no secrets in the
 *   definition and adds no implicit devices to strip).
 * Returns: (transfer full) the XML, ending in a newline.
 */
char *
domain_def_format(const DomainDef *def, int id, unsigned int flags,
                  GError **error)
{
    const DomainDefPriv *priv = def->priv;
    DomainFormatCtx ctx = { .flags = flags,
                            .live = !(flags & DOMAIN_DEF_FORMAT_INACTIVE),
                            .running = !(flags & DOMAIN_DEF_FORMAT_INACTIVE) &&
                                       id >= 0 };
    XmlBuf buf = { g_string_new(NULL), 0 };
    char uuid[37];

    xml_buf_open(&buf, "domain");
    xml_buf_attr(&buf, "type", domain_virt_to_string(priv->virt_type));
    if (ctx.live && id >= 0)
        xml_buf_attr_uint(&buf, "id", id);
    xml_buf_end_open(&buf);

    xml_buf_text_element(&buf, "name", def->name);
    domain_uuid_format(def->uuid, uuid);
    xml_buf_text_element(&buf, "uuid", uuid);
    xml_buf_text_element(&buf, "title", def->title);
    xml_buf_text_element(&buf, "description", def->description);
    format_metadata(&buf, priv);
    format_memory(&buf, def);
    domain_cputune_format(&buf, &priv->cputune);
    domain_numatune_format(&buf, priv);
    domain_sysinfo_format(&buf, &priv->sysinfo);
    domain_os_format(&buf, &priv->os);
    format_features(&buf, priv);
    domain_cpu_format(&buf, &priv->cpu, priv->numa);
    domain_clock_format(&buf, &priv->clock);
    xml_buf_text_element(&buf, "on_poweroff",
                         domain_lifecycle_to_string(def->on_poweroff));
    xml_buf_text_element(&buf, "on_reboot",
                         domain_lifecycle_to_string(def->on_reboot));
    xml_buf_text_element(&buf, "on_crash",
                         domain_lifecycle_to_string(def->on_crash));
    format_pm(&buf, priv);

    xml_buf_open(&buf, "devices");
    xml_buf_end_open(&buf);
    xml_buf_text_element(&buf, "emulator", priv->emulator);
    for (int t = 0; t < DOMAIN_DEVICE_LAST; t++) {
        const DomainDeviceClass *cls = domain_device_classes[t];

        for (guint i = 0; i < domain_def_ndevices(def, t); i++)
            cls->format(&buf, domain_def_device(def, t, i), &ctx);
    }
    xml_buf_close(&buf, "devices");
    xml_buf_close(&buf, "domain");
    return g_string_free(buf.str, FALSE);
}

static void
set_chr_path(DomainChrDef *chr, const char *path)
{
    g_free(chr->path);
    chr->path = g_strdup(path);
}

/* Only pty paths are live data; a file serial keeps its configured path. */
void
domain_def_set_serial_path(DomainDef *def, const char *path)
{
    if (def->serial_type != DOMAIN_CHR_PTY)
        return;
    g_free(def->serial_path);
    def->serial_path = g_strdup(path);
    if (domain_def_ndevices(def, DOMAIN_DEVICE_SERIAL))
        set_chr_path(domain_def_device(def, DOMAIN_DEVICE_SERIAL, 0), path);
    /* The console alias of the serial shows the same pty. */
    if (domain_def_ndevices(def, DOMAIN_DEVICE_CONSOLE)) {
        DomainChrDef *c = domain_def_device(def, DOMAIN_DEVICE_CONSOLE, 0);

        if (c->target_type == DOMAIN_CONSOLE_TARGET_SERIAL)
            set_chr_path(c, path);
    }
}

void
domain_def_set_console_path(DomainDef *def, const char *path)
{
    if (def->console_type != DOMAIN_CHR_PTY)
        return;
    g_free(def->console_path);
    def->console_path = g_strdup(path);
    for (guint i = 0; i < domain_def_ndevices(def, DOMAIN_DEVICE_CONSOLE); i++) {
        DomainChrDef *c = domain_def_device(def, DOMAIN_DEVICE_CONSOLE, i);

        if (c->target_type == DOMAIN_CONSOLE_TARGET_VIRTIO) {
            set_chr_path(c, path);
            break;
        }
    }
}
