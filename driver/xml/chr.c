/* SPDX-License-Identifier: Apache-2.0 */
/* <serial> and <console>: the 16550 UART and virtio-console, pty or file. */
#include <config.h>

#include <string.h>

#include "driver/xml/domain-priv.h"

ENUM_IMPL(domain_chr_type, DOMAIN_CHR_LAST, "", "pty", "file");
ENUM_IMPL(domain_serial_target, DOMAIN_SERIAL_TARGET_LAST,
          "", "isa-serial", "usb-serial", "pci-serial", "spapr-vio-serial",
          "system-serial", "sclp-serial", "isa-debug");
ENUM_IMPL(domain_console_target, DOMAIN_CONSOLE_TARGET_LAST,
          "", "serial", "xen", "uml", "virtio", "lxc", "openvz", "sclp",
          "sclplm");

void
domain_chr_def_free(DomainChrDef *chr)
{
    if (!chr)
        return;
    domain_device_info_clear(&chr->info);
    g_free(chr->path);
    g_free(chr->log_file);
    g_free(chr->target_model);
    g_free(chr);
}

static DomainChrDef *
domain_chr_parse(xmlNodePtr node, bool serial, const DomainParseCtx *ctx,
                 GError **error)
{
    g_autoptr(DomainChrDef) chr = g_new0(DomainChrDef, 1);
    g_autofree char *type = xml_prop(node, "type");
    xmlNodePtr n;
    int t;

    /* unsupported.c has refused every other type already. */
    t = type ? domain_chr_type_from_string(type) : DOMAIN_CHR_PTY;
    if (t <= DOMAIN_CHR_NONE) {
        drv_xml_error(error, DRV_ERROR_CONFIG_UNSUPPORTED,
                      "%s type '%s' is not supported by nimbus (use 'pty' or 'file')",
                      (const char *)node->name, type ? type : "");
        return NULL;
    }
    chr->type = t;
    /* -1: no port given; post-parse numbers it like libvirt. */
    chr->target_port = -1;
    if ((n = xml_child(node, "source"))) {
        chr->path = xml_prop(n, "path");
        if (!xml_prop_tristate(n, "append", true, &chr->append, error))
            return NULL;
    }
    if ((n = xml_child(node, "log"))) {
        chr->log_file = xml_prop(n, "file");
        if (!chr->log_file) {
            drv_xml_error(error, DRV_ERROR_XML_ERROR,
                          "%s <log> needs a file attribute",
                          (const char *)node->name);
            return NULL;
        }
        if (!xml_prop_tristate(n, "append", true, &chr->log_append, error))
            return NULL;
    }
    /* A pty's path exists only while the domain runs. */
    if (chr->type == DOMAIN_CHR_PTY && (ctx->flags & DOMAIN_DEF_PARSE_INACTIVE))
        g_clear_pointer(&chr->path, g_free);
    if ((n = xml_child(node, "target"))) {
        uint64_t port = 0;
        bool present = false;
        xmlNodePtr model;

        if (!xml_prop_enum(n, "type",
                           serial ? domain_serial_target_from_string
                                  : domain_console_target_from_string,
                           &chr->target_type, error) ||
            !xml_prop_uint(n, "port", G_MAXINT32, &port, &present, error))
            return NULL;
        /* No type: post-parse decides (a console becomes the serial's
         * alias, a serial stays an ISA UART). */
        if (chr->target_type < 0)
            chr->target_type = 0;   /* ..._TARGET_NONE */
        if (present)
            chr->target_port = port;
        if (serial && (model = xml_child(n, "model")))
            chr->target_model = xml_prop(model, "name");
    }
    if (!domain_device_info_parse(node, &chr->info, false, ctx, error))
        return NULL;
    /* The live XML's "serial0"/"console0" are formatted from the port
     * (domain_chr_info_format()), not kept: a console and the serial it
     * mirrors share one, which the alias uniqueness rule would refuse. */
    if (chr->info.alias && !g_str_has_prefix(chr->info.alias, "ua-"))
        g_clear_pointer(&chr->info.alias, g_free);
    return g_steal_pointer(&chr);
}

static gpointer
domain_serial_parse(xmlNodePtr node, const DomainParseCtx *ctx, GError **error)
{
    return domain_chr_parse(node, true, ctx, error);
}

static gpointer
domain_console_parse(xmlNodePtr node, const DomainParseCtx *ctx,
                     GError **error)
{
    return domain_chr_parse(node, false, ctx, error);
}

/*
 * libvirt names every device when the domain starts, and a running
 * domain's XML shows the names: "serial<port>" for a serial port and for the console
 * that is that port's alias, "console<port>" for a virtio console.  Tools
 * pass them back (cockpit-machines runs `virsh console DOM serial0`); the
 * console procedure knows these names.  A user alias ("ua-...") wins.
 */
static bool
domain_chr_is_serial(const DomainChrDef *chr, bool serial)
{
    return serial || chr->target_type == DOMAIN_CONSOLE_TARGET_SERIAL;
}

/* The alias a running domain shows for @chr.  (transfer full) */
static char *
domain_chr_alias(const DomainChrDef *chr, bool serial)
{
    if (chr->info.alias)
        return g_strdup(chr->info.alias);
    return g_strdup_printf("%s%d",
                           domain_chr_is_serial(chr, serial) ? "serial"
                                                             : "console",
                           MAX(chr->target_port, 0));
}

static void
domain_chr_info_format(XmlBuf *buf, const DomainChrDef *chr, bool serial,
                       const DomainFormatCtx *ctx)
{
    DomainDeviceInfo info = chr->info;      /* shallow: only formatted */
    g_autofree char *alias = NULL;

    if (ctx->running && !info.alias)
        info.alias = alias = domain_chr_alias(chr, serial);
    domain_device_info_format(buf, &info);
}

DomainChrAlias
domain_def_chr_alias_find(const DomainDef *def, const char *alias)
{
    static const DomainDeviceType types[] = { DOMAIN_DEVICE_SERIAL,
                                              DOMAIN_DEVICE_CONSOLE };

    for (guint t = 0; t < G_N_ELEMENTS(types); t++) {
        bool serial = types[t] == DOMAIN_DEVICE_SERIAL;

        for (guint i = 0; i < domain_def_ndevices(def, types[t]); i++) {
            const DomainChrDef *chr = domain_def_device(def, types[t], i);
            g_autofree char *name = domain_chr_alias(chr, serial);

            if (g_str_equal(name, alias))
                return domain_chr_is_serial(chr, serial)
                           ? DOMAIN_CHR_ALIAS_SERIAL
                           : DOMAIN_CHR_ALIAS_CONSOLE;
        }
    }
    return DOMAIN_CHR_ALIAS_NONE;
}

static void
domain_chr_format(XmlBuf *buf, const DomainChrDef *chr, bool serial,
                  const DomainFormatCtx *ctx)
{
    const char *element = serial ? "serial" : "console";
    /* Live pty paths are shown only in the live XML. */
    const char *path = chr->type == DOMAIN_CHR_PTY && !ctx->live ? NULL
                                                                 : chr->path;
    const char *target_type =
        serial ? domain_serial_target_to_string(chr->target_type)
               : domain_console_target_to_string(chr->target_type);

    xml_buf_open(buf, element);
    xml_buf_attr(buf, "type", domain_chr_type_to_string(chr->type));
    /* libvirt repeats a console's pty in tty=, which virsh console and
     * older tools read. */
    if (!serial && chr->type == DOMAIN_CHR_PTY)
        xml_buf_attr(buf, "tty", path);
    xml_buf_end_open(buf);
    if (path) {
        xml_buf_open(buf, "source");
        xml_buf_attr(buf, "path", path);
        xml_buf_attr(buf, "append", xml_on_off_to_string(chr->append));
        xml_buf_end_empty(buf);
    }
    if (chr->log_file) {
        xml_buf_open(buf, "log");
        xml_buf_attr(buf, "file", chr->log_file);
        xml_buf_attr(buf, "append", xml_on_off_to_string(chr->log_append));
        xml_buf_end_empty(buf);
    }
    xml_buf_open(buf, "target");
    if (target_type && *target_type)
        xml_buf_attr(buf, "type", target_type);
    if (chr->target_port >= 0)
        xml_buf_attr_uint(buf, "port", chr->target_port);
    if (chr->target_model) {
        xml_buf_end_open(buf);
        xml_buf_open(buf, "model");
        xml_buf_attr(buf, "name", chr->target_model);
        xml_buf_end_empty(buf);
        xml_buf_close(buf, "target");
    } else {
        xml_buf_end_empty(buf);
    }
    domain_chr_info_format(buf, chr, serial, ctx);
    xml_buf_close(buf, element);
}

static void
domain_serial_format(XmlBuf *buf, gconstpointer dev, const DomainFormatCtx *ctx)
{
    domain_chr_format(buf, dev, true, ctx);
}

static void
domain_console_format(XmlBuf *buf, gconstpointer dev,
                      const DomainFormatCtx *ctx)
{
    domain_chr_format(buf, dev, false, ctx);
}

static DomainDeviceInfo *
domain_chr_info(gpointer dev)
{
    return &((DomainChrDef *)dev)->info;
}

const DomainDeviceClass domain_serial_class = {
    .element = "serial",
    .parse = domain_serial_parse,
    .format = domain_serial_format,
    .free = (void (*)(gpointer))domain_chr_def_free,
    .info = domain_chr_info,
};

const DomainDeviceClass domain_console_class = {
    .element = "console",
    .parse = domain_console_parse,
    .format = domain_console_format,
    .free = (void (*)(gpointer))domain_chr_def_free,
    .info = domain_chr_info,
};
