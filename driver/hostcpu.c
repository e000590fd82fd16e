/* SPDX-License-Identifier: Apache-2.0 */
/* CPU comparison and baseline for a VMM without CPU models (host CPU only). */
#include <config.h>

#include <string.h>
#include <libxml/parser.h>
#include <libxml/tree.h>

#include "driver/driver.h"
#include "driver/hostcpu.h"

/*
 * nimbus has no CPU model map: every guest gets the host's CPUID
 * (KVM_GET_SUPPORTED_CPUID), whatever <cpu mode> says.  So the only
 * questions that have a truthful answer are "is this CPU the host's
 * architecture and vendor" and "is this guest CPU host-passthrough-like".
 * A CPU given by <model> or <feature> names cannot be judged without that
 * map, and is refused as unsupported rather than guessed at.
 */

typedef struct {
    char *arch;
    char *vendor;
    char *mode;
    bool has_model;
} DrvCpuDesc;

static void
drv_cpu_desc_clear(DrvCpuDesc *d)
{
    g_clear_pointer(&d->arch, g_free);
    g_clear_pointer(&d->vendor, g_free);
    g_clear_pointer(&d->mode, g_free);
}

static char *
drv_cpu_child_text(xmlNodePtr cpu, const char *name)
{
    for (xmlNodePtr c = cpu->children; c; c = c->next) {
        if (c->type == XML_ELEMENT_NODE && strcmp((const char *)c->name, name) == 0) {
            xmlChar *t = xmlNodeGetContent(c);
            char *s = g_strstrip(g_strdup((const char *)t));

            xmlFree(t);
            return s;
        }
    }
    return NULL;
}

/* Parses the <cpu> element in @xml (possibly inside <capabilities><host>). */
static bool
drv_cpu_desc_parse(const char *xml, DrvCpuDesc *d, GError **error)
{
    xmlDocPtr doc = xmlReadMemory(xml, (int)strlen(xml), "cpu.xml", NULL,
                                  XML_PARSE_NONET | XML_PARSE_NOERROR |
                                  XML_PARSE_NOWARNING);
    xmlNodePtr root = doc ? xmlDocGetRootElement(doc) : NULL;
    xmlNodePtr cpu = NULL;
    xmlChar *mode;
    bool ok = false;

    /* libvirt also accepts a whole capabilities document. */
    for (xmlNodePtr n = root; n && !cpu;) {
        if (strcmp((const char *)n->name, "cpu") == 0) {
            cpu = n;
            break;
        }
        if (strcmp((const char *)n->name, "capabilities") == 0 ||
            strcmp((const char *)n->name, "host") == 0) {
            xmlNodePtr c = n->children;

            while (c && !(c->type == XML_ELEMENT_NODE &&
                          (strcmp((const char *)c->name, "host") == 0 ||
                           strcmp((const char *)c->name, "cpu") == 0)))
                c = c->next;
            n = c;
            continue;
        }
        break;
    }
    if (!cpu) {
        g_set_error(error, DRV_ERROR, DRV_ERROR_XML_ERROR,
                    "XML does not contain a <cpu> element");
        goto cleanup;
    }
    mode = xmlGetProp(cpu, (const xmlChar *)"mode");
    d->mode = mode ? g_strdup((const char *)mode) : NULL;
    xmlFree(mode);
    d->arch = drv_cpu_child_text(cpu, "arch");
    d->vendor = drv_cpu_child_text(cpu, "vendor");
    for (xmlNodePtr c = cpu->children; c; c = c->next) {
        if (c->type == XML_ELEMENT_NODE &&
            (strcmp((const char *)c->name, "model") == 0 ||
             strcmp((const char *)c->name, "feature") == 0))
            d->has_model = true;
    }
    ok = true;
 cleanup:
    xmlFreeDoc(doc);
    return ok;
}

/* CONFIG_UNSUPPORTED for CPUs described by models or features. */
static bool
drv_cpu_desc_check(const DrvCpuDesc *d, GError **error)
{
    if (d->mode && strcmp(d->mode, "host-passthrough") != 0 &&
        strcmp(d->mode, "host-model") != 0 && strcmp(d->mode, "maximum") != 0 &&
        strcmp(d->mode, "custom") != 0) {
        g_set_error(error, DRV_ERROR, DRV_ERROR_XML_ERROR,
                    "unknown CPU mode '%s'", d->mode);
        return false;
    }
    if (d->has_model) {
        g_set_error(error, DRV_ERROR, DRV_ERROR_CONFIG_UNSUPPORTED,
                    "CPU models and features cannot be compared: nimbus has no "
                    "CPU models and gives every guest the host CPU "
                    "(use mode='host-passthrough')");
        return false;
    }
    return true;
}

static bool
drv_cpu_desc_is_host(const DrvNodeInfo *node, const DrvCpuDesc *d)
{
    if (d->arch && strcmp(d->arch, node->model) != 0)
        return false;
    return !d->vendor || !node->vendor || strcmp(d->vendor, node->vendor) == 0;
}

DrvCpuCompareResult
drv_cpu_compare(const DrvNodeInfo *node, const char *xml, unsigned int flags,
                GError **error)
{
    DrvCpuDesc d = { 0 };
    DrvCpuCompareResult r = DRV_CPU_COMPARE_ERROR;

    if (!drv_check_flags(flags, DRV_CPU_COMPARE_FAIL_INCOMPATIBLE |
                         DRV_CPU_COMPARE_VALIDATE_XML, "virConnectCompareCPU", error) ||
        !drv_cpu_desc_parse(xml, &d, error) || !drv_cpu_desc_check(&d, error))
        goto cleanup;
    /* A guest CPU without a model is the host CPU here; a host CPU is
     * identical when it is this host's architecture and vendor. */
    r = drv_cpu_desc_is_host(node, &d) ? DRV_CPU_COMPARE_IDENTICAL :
                                         DRV_CPU_COMPARE_INCOMPATIBLE;
    if (r == DRV_CPU_COMPARE_INCOMPATIBLE &&
        (flags & DRV_CPU_COMPARE_FAIL_INCOMPATIBLE)) {
        /* VIR_ERR_CPU_INCOMPATIBLE */
        g_set_error(error, DRV_ERROR, DRV_ERROR_CPU_INCOMPATIBLE,
                    "the CPU (arch '%s', vendor '%s') is incompatible with "
                    "the host CPU (arch '%s', vendor '%s')",
                    d.arch ? d.arch : "", d.vendor ? d.vendor : "",
                    node->model, node->vendor ? node->vendor : "");
        r = DRV_CPU_COMPARE_ERROR;
    }
 cleanup:
    drv_cpu_desc_clear(&d);
    return r;
}

char *
drv_cpu_baseline(const DrvNodeInfo *node, char **xmls, guint n,
                 unsigned int flags, GError **error)
{
    if (!drv_check_flags(flags, DRV_CPU_BASELINE_EXPAND_FEATURES |
                         DRV_CPU_BASELINE_MIGRATABLE, "virConnectBaselineCPU", error))
        return NULL;
    if (n == 0) {
        g_set_error(error, DRV_ERROR, DRV_ERROR_INVALID_ARG,
                    "no CPU definitions given");
        return NULL;
    }
    for (guint i = 0; i < n; i++) {
        DrvCpuDesc d = { 0 };
        bool ok = drv_cpu_desc_parse(xmls[i], &d, error) &&
                  drv_cpu_desc_check(&d, error);

        if (ok && !drv_cpu_desc_is_host(node, &d)) {
            /* Without models, a CPU common to different CPUs cannot be
             * computed; the host's own CPU is the only answer we know. */
            g_set_error(error, DRV_ERROR, DRV_ERROR_OPERATION_UNSUPPORTED,
                        "cannot compute a baseline of CPU %u (arch '%s', "
                        "vendor '%s'): nimbus only knows the host CPU "
                        "(arch '%s', vendor '%s')",
                        i, d.arch ? d.arch : "", d.vendor ? d.vendor : "",
                        node->model, node->vendor ? node->vendor : "");
            ok = false;
        }
        drv_cpu_desc_clear(&d);
        if (!ok)
            return NULL;
    }
    /* The CPU a nimbus guest gets: the host's, passed through.
     * MIGRATABLE changes nothing: nimbus does not migrate. */
    return g_strdup("<cpu mode='host-passthrough' check='none' migratable='off'/>\n");
}
