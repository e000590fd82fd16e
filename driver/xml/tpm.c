/* SPDX-License-Identifier: Apache-2.0 */
/* <tpm model='tpm-crb'><backend type='emulator' version='2.0'/></tpm>: nimbus's CRB on swtpm. */
#include <config.h>

#include <string.h>

#include "driver/xml/domain-priv.h"

/*
 * The only TPM nimbus has is a TPM 2.0 behind the CRB interface, backed
 * by a swtpm that nimbusd starts for the domain (driver/tpm.c), so:
 * model='tpm-crb' (unsupported.c refuses 'tpm-tis', 'spapr-tpm-proxy'
 * and a missing model, libvirt's 'tpm-tis' on x86), backend 'emulator'
 * (not 'passthrough' or 'external') at version 2.0.  The backend's
 * options (encryption, PCR banks, profiles, persistent_state...) are
 * swtpm's and not offered yet: refused by name.  The control socket is a
 * run's (set at start), never in the XML.
 */

void
domain_tpm_def_free(DomainTpmDef *tpm)
{
    if (!tpm)
        return;
    domain_device_info_clear(&tpm->info);
    g_free(tpm->model);
    g_free(tpm->version);
    g_free(tpm->socket);
    g_free(tpm);
}

static bool
tpm_parse_backend(xmlNodePtr backend, DomainTpmDef *t, GError **error)
{
    g_autofree char *type = NULL;

    if (!backend) {
        drv_xml_error(error, DRV_ERROR_CONFIG_UNSUPPORTED,
                      "tpm: a <backend type='emulator'/> is required");
        return false;
    }
    type = xml_prop(backend, "type");
    if (g_strcmp0(type, "emulator") != 0) {
        drv_xml_error(error, DRV_ERROR_CONFIG_UNSUPPORTED,
                      "tpm: backend type '%s' is not supported: use "
                      "type='emulator' (swtpm, which nimbusd starts)",
                      type ? type : "(none)");
        return false;
    }
    t->version = xml_prop(backend, "version");
    if (t->version && strcmp(t->version, "2.0") != 0) {
        drv_xml_error(error, DRV_ERROR_CONFIG_UNSUPPORTED,
                      "tpm: backend version '%s' is not supported: the CRB "
                      "interface is TPM 2.0 (version='2.0')", t->version);
        return false;
    }
    for (xmlAttrPtr a = backend->properties; a; a = a->next) {
        const char *n = (const char *)a->name;

        if (strcmp(n, "type") != 0 && strcmp(n, "version") != 0) {
            drv_xml_error(error, DRV_ERROR_CONFIG_UNSUPPORTED,
                          "tpm: backend attribute '%s' is not supported", n);
            return false;
        }
    }
    for (xmlNodePtr c = backend->children; c; c = c->next) {
        if (c->type == XML_ELEMENT_NODE) {
            drv_xml_error(error, DRV_ERROR_CONFIG_UNSUPPORTED,
                          "tpm: backend element <%s> is not supported",
                          (const char *)c->name);
            return false;
        }
    }
    return true;
}

static gpointer
domain_tpm_parse(xmlNodePtr node, const DomainParseCtx *ctx, GError **error)
{
    g_autoptr(DomainTpmDef) t = g_new0(DomainTpmDef, 1);

    /* unsupported.c let only model='tpm-crb' through. */
    t->model = xml_prop(node, "model");
    if (!tpm_parse_backend(xml_child(node, "backend"), t, error) ||
        !domain_device_info_parse(node, &t->info, false, ctx, error))
        return NULL;
    return g_steal_pointer(&t);
}

static void
domain_tpm_format(XmlBuf *buf, gconstpointer dev, const DomainFormatCtx *ctx)
{
    const DomainTpmDef *t = dev;

    xml_buf_open(buf, "tpm");
    xml_buf_attr(buf, "model", t->model);
    xml_buf_end_open(buf);
    xml_buf_open(buf, "backend");
    xml_buf_attr(buf, "type", "emulator");
    /* libvirt writes the version it defaults to. */
    xml_buf_attr(buf, "version", t->version ? t->version : "2.0");
    xml_buf_end_empty(buf);
    domain_device_info_format(buf, &t->info);
    xml_buf_close(buf, "tpm");
}

static DomainDeviceInfo *
domain_tpm_info(gpointer dev)
{
    return &((DomainTpmDef *)dev)->info;
}

const DomainDeviceClass domain_tpm_class = {
    .element = "tpm",
    .parse = domain_tpm_parse,
    .format = domain_tpm_format,
    .free = (void (*)(gpointer))domain_tpm_def_free,
    .info = domain_tpm_info,
};

bool
domain_def_has_tpm(const DomainDef *def)
{
    return domain_def_ndevices(def, DOMAIN_DEVICE_TPM) > 0;
}

void
domain_def_tpm_set_socket(DomainDef *def, const char *socket)
{
    DomainTpmDef *t;

    if (!domain_def_has_tpm(def))
        return;
    t = domain_def_device(def, DOMAIN_DEVICE_TPM, 0);
    g_free(t->socket);
    t->socket = g_strdup(socket);
}
