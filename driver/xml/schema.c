/* SPDX-License-Identifier: Apache-2.0 */
/* RelaxNG validation of domain XML against xml-schemas/domain.rng. */
#include <config.h>

#include <string.h>
#include <libxml/relaxng.h>
#include <libxml/xmlerror.h>

#include "driver/xml/domain-priv.h"

#ifndef NIMBUS_SCHEMA_DIR
#error "NIMBUS_SCHEMA_DIR must name the installed schema directory"
#endif

/* libxml2 2.12 made the structured error handler take a const pointer. */
#if LIBXML_VERSION >= 21200
typedef const xmlError *XmlErrorArg;
#else
typedef xmlError *XmlErrorArg;
#endif

/*
 * The compiled schema is loaded once per process and shared.  libxml2 does
 * not document xmlRelaxNGValidateDoc() as safe on one schema from several
 * threads, and nimbusd parses XML from several RPC worker threads, so
 * loading and validation both run under schema_lock.  Validation of a
 * domain takes well under a millisecond.
 */
static GMutex schema_lock;
static xmlRelaxNGPtr schema;    /* schema_lock */

/* True when this process runs a binary of the build tree (not installed):
 * then the source tree's schemas are the ones that match it, as libvirt's
 * uninstalled daemons use their tree's files. */
static bool
running_uninstalled(void)
{
    g_autofree char *self = g_file_read_link("/proc/self/exe", NULL);
    g_autofree char *dir = self ? g_path_get_dirname(self) : NULL;
    g_autofree char *top = g_canonicalize_filename(NIMBUS_ABS_TOP_BUILDDIR, NULL);

    /* nimbusd is at the top of the build tree; test programs below it. */
    return dir && (g_str_equal(dir, top) ||
                   (g_str_has_prefix(dir, top) && dir[strlen(top)] == '/'));
}

const char *
domain_xml_schema_dir(void)
{
    static const char *dir;
    const char *env = g_getenv("NIMBUS_SCHEMA_DIR");

    if (env && *env)
        return env;
    if (g_once_init_enter(&dir)) {
        const char *d = running_uninstalled() ?
                        NIMBUS_ABS_TOP_SRCDIR "/xml-schemas" : NIMBUS_SCHEMA_DIR;

        g_once_init_leave(&dir, d);
    }
    return dir;
}

typedef struct {
    GString *msg;
    unsigned count;
} SchemaErrors;

static void
schema_error_cb(void *opaque, XmlErrorArg err)
{
    SchemaErrors *e = opaque;
    g_autofree char *text = NULL;
    g_autofree char *path = NULL;

    /* libxml2 reports a violation, then "failed to validate content" for
     * each ancestor; the first few messages are the useful ones. */
    if (e->count++ >= 3 || !err || !err->message)
        return;
    text = g_strchomp(g_strdup(err->message));
    if (err->node && ((xmlNodePtr)err->node)->type == XML_ELEMENT_NODE)
        path = xml_node_path(err->node);
    if (e->msg->len)
        g_string_append(e->msg, "; ");
    if (path)
        g_string_append_printf(e->msg, "%s (line %d): %s", path, err->line,
                               text);
    else
        g_string_append_printf(e->msg, "line %d: %s", err->line, text);
}

static xmlRelaxNGPtr
schema_load_locked(GError **error)
{
    g_autofree char *path = NULL;
    SchemaErrors errs = { NULL, 0 };
    xmlRelaxNGParserCtxtPtr pctxt;

    if (schema)
        return schema;
    errs.msg = g_string_new(NULL);
    path = g_build_filename(domain_xml_schema_dir(), "domain.rng", NULL);
    pctxt = xmlRelaxNGNewParserCtxt(path);
    if (pctxt) {
        xmlRelaxNGSetParserStructuredErrors(pctxt, schema_error_cb, &errs);
        schema = xmlRelaxNGParse(pctxt);
        xmlRelaxNGFreeParserCtxt(pctxt);
    }
    if (!schema) {
        drv_xml_error(error, DRV_ERROR_INTERNAL_ERROR,
                      "cannot load the domain XML schema '%s': %s", path,
                      errs.msg->len ? errs.msg->str : "unreadable");
    }
    g_string_free(errs.msg, TRUE);
    return schema;
}

bool
domain_xml_schema_validate(xmlDocPtr doc, GError **error)
{
    g_autoptr(GMutexLocker) locker = g_mutex_locker_new(&schema_lock);
    SchemaErrors errs = { NULL, 0 };
    xmlRelaxNGValidCtxtPtr vctxt;
    xmlRelaxNGPtr rng;
    int rc;

    if (!(rng = schema_load_locked(error)))
        return false;
    if (!(vctxt = xmlRelaxNGNewValidCtxt(rng))) {
        drv_xml_error(error, DRV_ERROR_NO_MEMORY,
                      "cannot create a RelaxNG validation context");
        return false;
    }
    errs.msg = g_string_new(NULL);
    xmlRelaxNGSetValidStructuredErrors(vctxt, schema_error_cb, &errs);
    rc = xmlRelaxNGValidateDoc(vctxt, doc);
    xmlRelaxNGFreeValidCtxt(vctxt);
    if (rc != 0) {
        drv_xml_error(error, DRV_ERROR_XML_ERROR,
                      "XML document failed to validate against schema: %s",
                      errs.msg->len ? errs.msg->str : "invalid document");
    }
    g_string_free(errs.msg, TRUE);
    return rc == 0;
}
