/* SPDX-License-Identifier: Apache-2.0 */
/* <cputune>: <vcpupin> and <emulatorpin>, parsed, checked and printed. */
#include <config.h>

#include <string.h>

#include "driver/xml/cputune.h"
#include "driver/xml/domain-priv.h"

/*
 * Only thread placement is kept: nimbus pins vCPU threads itself
 * (--cpus affinity=, from <vcpupin>) and nimbusd pins the other threads
 * after the start (<emulatorpin>).  Scheduler quotas, iothread pins and
 * cache tuning need cgroups nimbusd does not manage: refused by name.
 */
static const char *const unsupported_cputune_children[] = {
    "shares", "period", "quota", "global_period", "global_quota",
    "emulator_period", "emulator_quota", "iothread_period",
    "iothread_quota", "iothreadpin", "vcpusched", "iothreadsched",
    "emulatorsched", "cachetune", "memorytune", NULL,
};

static void
vcpupin_free(gpointer p)
{
    DomainVcpuPinDef *pin = p;

    if (!pin)
        return;
    g_clear_pointer(&pin->cpus, g_array_unref);
    g_free(pin);
}

static GArray *
cpus_dup(const GArray *cpus)
{
    GArray *copy = g_array_sized_new(FALSE, FALSE, sizeof(uint32_t),
                                     cpus->len);

    g_array_append_vals(copy, cpus->data, cpus->len);
    return copy;
}

/* One item of a cpuset: "N" or "N-M" into [*lo, *hi]. */
static bool
cpuset_item_parse(const char *item, uint64_t *lo, uint64_t *hi)
{
    g_auto(GStrv) ends = g_strsplit(item, "-", 3);
    guint n = g_strv_length(ends);

    if (n < 1 || n > 2 ||
        !g_ascii_string_to_unsigned(g_strstrip(ends[0]), 10, 0,
                                    DOMAIN_CPUSET_MAX, lo, NULL))
        return false;
    *hi = *lo;
    if (n == 2 &&
        (!g_ascii_string_to_unsigned(g_strstrip(ends[1]), 10, *lo,
                                     DOMAIN_CPUSET_MAX, hi, NULL)))
        return false;
    return true;
}

/* @where: the element, named in errors ("" for none). */
static GArray *
cpuset_parse(const char *str, const char *where, GError **error)
{
    g_auto(GStrv) items = NULL;
    bool set[DOMAIN_CPUSET_MAX + 1] = { false };
    g_autoptr(GArray) cpus = g_array_new(FALSE, FALSE, sizeof(uint32_t));

    if (!str || !*str) {
        drv_xml_error(error, DRV_ERROR_INVALID_ARG,
                      "Failed to parse bitmap '%s'%s: empty cpuset",
                      str ? str : "", where);
        return NULL;
    }
    items = g_strsplit(str, ",", -1);
    /* Inclusions first, then exclusions, whatever their order: libvirt's
     * "^2,0-3" means 0,1,3 as "0-3,^2" does. */
    for (int pass = 0; pass < 2; pass++) {
        for (guint i = 0; items[i]; i++) {
            g_autofree char *item = g_strstrip(g_strdup(items[i]));
            bool exclude = item[0] == '^';
            uint64_t lo = 0, hi = 0;

            if (!cpuset_item_parse(item + exclude, &lo, &hi) ||
                (exclude && lo != hi)) {
                drv_xml_error(error, DRV_ERROR_INVALID_ARG,
                              "Failed to parse bitmap '%s'%s: bad item '%s' "
                              "(CPUs 0 to %d: 'N', 'N-M' or '^N')",
                              str, where, items[i], DOMAIN_CPUSET_MAX);
                return NULL;
            }
            if (exclude != (pass == 1))
                continue;
            for (uint64_t c = lo; c <= hi; c++)
                set[c] = !exclude;
        }
    }
    for (uint32_t c = 0; c <= DOMAIN_CPUSET_MAX; c++) {
        if (set[c])
            g_array_append_val(cpus, c);
    }
    if (!cpus->len) {
        drv_xml_error(error, DRV_ERROR_INVALID_ARG,
                      "Invalid value of 'cpuset'%s: '%s' names no CPU",
                      where, str);
        return NULL;
    }
    return g_steal_pointer(&cpus);
}

GArray *
domain_cpuset_parse(const char *str, GError **error)
{
    return cpuset_parse(str, "", error);
}

char *
domain_cpuset_format(const GArray *cpus)
{
    GString *s = g_string_new(NULL);

    for (guint i = 0; i < cpus->len;) {
        uint32_t lo = g_array_index(cpus, uint32_t, i);
        guint j = i;

        while (j + 1 < cpus->len &&
               g_array_index(cpus, uint32_t, j + 1) ==
               g_array_index(cpus, uint32_t, j) + 1)
            j++;
        if (s->len)
            g_string_append_c(s, ',');
        if (j > i)
            g_string_append_printf(s, "%u-%u", lo,
                                   g_array_index(cpus, uint32_t, j));
        else
            g_string_append_printf(s, "%u", lo);
        i = j + 1;
    }
    return g_string_free(s, FALSE);
}

/* The cpuset attribute of @node, parsed; errors name the element. */
static GArray *
cputune_cpuset_prop(xmlNodePtr node, GError **error)
{
    g_autofree char *str = xml_prop(node, "cpuset");
    g_autofree char *path = xml_node_path(node);
    g_autofree char *where = g_strdup_printf(" in %s", path);

    if (!str) {
        drv_xml_error(error, DRV_ERROR_XML_ERROR, "missing cpuset for %s",
                      (const char *)node->name);
        return NULL;
    }
    return cpuset_parse(str, where, error);
}

static DomainVcpuPinDef *
cputune_find(const DomainCputuneDef *tune, uint32_t vcpu, guint *index)
{
    for (guint i = 0; tune->vcpupins && i < tune->vcpupins->len; i++) {
        DomainVcpuPinDef *pin = g_ptr_array_index(tune->vcpupins, i);

        if (pin->vcpu == vcpu) {
            if (index)
                *index = i;
            return pin;
        }
    }
    return NULL;
}

static gint
vcpupin_cmp(gconstpointer a, gconstpointer b)
{
    const DomainVcpuPinDef *x = *(DomainVcpuPinDef *const *)a;
    const DomainVcpuPinDef *y = *(DomainVcpuPinDef *const *)b;

    return x->vcpu < y->vcpu ? -1 : x->vcpu > y->vcpu;
}

bool
domain_cputune_parse(xmlNodePtr node, DomainCputuneDef *tune, GError **error)
{
    for (xmlNodePtr n = node->children; n; n = n->next) {
        g_autoptr(GArray) cpus = NULL;
        uint64_t vcpu = 0;
        bool has_vcpu = false;

        if (n->type != XML_ELEMENT_NODE)
            continue;
        if (xml_is_element(n, "emulatorpin")) {
            if (tune->emulatorpin) {
                drv_xml_error(error, DRV_ERROR_XML_ERROR,
                              "only one emulatorpin is supported");
                return false;
            }
            if (!(tune->emulatorpin = cputune_cpuset_prop(n, error)))
                return false;
            continue;
        }
        if (!xml_is_element(n, "vcpupin")) {
            /* Only reachable without the schema (domain_def_copy). */
            drv_xml_error(error, DRV_ERROR_CONFIG_UNSUPPORTED,
                          "cputune element '%s' is not supported by nimbus",
                          (const char *)n->name);
            return false;
        }
        if (!xml_prop_uint(n, "vcpu", G_MAXUINT32, &vcpu, &has_vcpu, error))
            return false;
        if (!has_vcpu) {
            drv_xml_error(error, DRV_ERROR_XML_ERROR,
                          "missing vcpu id in vcpupin");
            return false;
        }
        if (cputune_find(tune, (uint32_t)vcpu, NULL)) {
            drv_xml_error(error, DRV_ERROR_XML_ERROR,
                          "duplicate vcpupin for vcpu '%" G_GUINT64_FORMAT
                          "'", (guint64)vcpu);
            return false;
        }
        if (!(cpus = cputune_cpuset_prop(n, error)))
            return false;
        domain_def_cputune_set(tune, (uint32_t)vcpu, cpus);
    }
    return true;
}

void
domain_def_cputune_set(DomainCputuneDef *tune, uint32_t vcpu,
                       const GArray *cpus)
{
    DomainVcpuPinDef *pin;
    guint index = 0;

    if (!cpus) {
        if (cputune_find(tune, vcpu, &index))
            g_ptr_array_remove_index(tune->vcpupins, index);
        return;
    }
    if ((pin = cputune_find(tune, vcpu, NULL))) {
        g_array_unref(pin->cpus);
        pin->cpus = cpus_dup(cpus);
        return;
    }
    if (!tune->vcpupins)
        tune->vcpupins = g_ptr_array_new_with_free_func(vcpupin_free);
    pin = g_new0(DomainVcpuPinDef, 1);
    pin->vcpu = vcpu;
    pin->cpus = cpus_dup(cpus);
    g_ptr_array_add(tune->vcpupins, pin);
    /* libvirt prints the pins in vCPU order, whatever the input's. */
    g_ptr_array_sort(tune->vcpupins, vcpupin_cmp);
}

void
domain_cputune_format(XmlBuf *buf, const DomainCputuneDef *tune)
{
    guint npins = tune->vcpupins ? tune->vcpupins->len : 0;

    if (!npins && !tune->emulatorpin)
        return;
    xml_buf_open(buf, "cputune");
    xml_buf_end_open(buf);
    for (guint i = 0; i < npins; i++) {
        const DomainVcpuPinDef *pin = g_ptr_array_index(tune->vcpupins, i);
        g_autofree char *set = domain_cpuset_format(pin->cpus);

        xml_buf_open(buf, "vcpupin");
        xml_buf_attr_uint(buf, "vcpu", pin->vcpu);
        xml_buf_attr(buf, "cpuset", set);
        xml_buf_end_empty(buf);
    }
    if (tune->emulatorpin) {
        g_autofree char *set = domain_cpuset_format(tune->emulatorpin);

        xml_buf_open(buf, "emulatorpin");
        xml_buf_attr(buf, "cpuset", set);
        xml_buf_end_empty(buf);
    }
    xml_buf_close(buf, "cputune");
}

bool
domain_cputune_validate(const DomainDef *def, GError **error)
{
    const DomainCputuneDef *tune = &domain_def_priv(def)->cputune;

    for (guint i = 0; tune->vcpupins && i < tune->vcpupins->len; i++) {
        const DomainVcpuPinDef *pin = g_ptr_array_index(tune->vcpupins, i);

        /* libvirt keeps a pin per possible vCPU: one past the maximum
         * could never apply (and CH's affinity= refuses it). */
        if (pin->vcpu >= def->max_vcpus) {
            drv_xml_error(error, DRV_ERROR_INVALID_ARG,
                          "vcpupin: vcpu %u is out of range of maximum "
                          "vcpu count %u", pin->vcpu, def->max_vcpus);
            return false;
        }
    }
    return true;
}

bool
domain_cputune_check_unsupported(xmlNodePtr node, GError **error)
{
    for (xmlNodePtr n = node->children; n; n = n->next) {
        if (n->type != XML_ELEMENT_NODE)
            continue;
        for (guint i = 0; unsupported_cputune_children[i]; i++) {
            if (xml_is_element(n, unsupported_cputune_children[i])) {
                drv_xml_error(error, DRV_ERROR_CONFIG_UNSUPPORTED,
                              "cputune element '%s' is not supported by "
                              "nimbus (only vcpupin and emulatorpin)",
                              (const char *)n->name);
                return false;
            }
        }
    }
    return true;
}

void
domain_cputune_clear(DomainCputuneDef *tune)
{
    g_clear_pointer(&tune->vcpupins, g_ptr_array_unref);
    g_clear_pointer(&tune->emulatorpin, g_array_unref);
}

const GArray *
domain_def_get_vcpupin(const DomainDef *def, uint32_t vcpu)
{
    const DomainVcpuPinDef *pin =
        cputune_find(&domain_def_priv(def)->cputune, vcpu, NULL);

    return pin ? pin->cpus : NULL;
}

void
domain_def_set_vcpupin(DomainDef *def, uint32_t vcpu, const GArray *cpus)
{
    domain_def_cputune_set(&domain_def_priv(def)->cputune, vcpu, cpus);
}

const GArray *
domain_def_get_emulatorpin(const DomainDef *def)
{
    return domain_def_priv(def)->cputune.emulatorpin;
}

void
domain_def_set_emulatorpin(DomainDef *def, const GArray *cpus)
{
    DomainCputuneDef *tune = &domain_def_priv(def)->cputune;

    g_clear_pointer(&tune->emulatorpin, g_array_unref);
    if (cpus)
        tune->emulatorpin = cpus_dup(cpus);
}

/* The first CPU of @cpus not online in @online, or -1. */
static int
cputune_first_offline(const GArray *cpus, const GByteArray *online,
                      int ncpus)
{
    for (guint i = 0; i < cpus->len; i++) {
        uint32_t c = g_array_index(cpus, uint32_t, i);

        if ((int)c >= ncpus || c / 8 >= online->len ||
            !(online->data[c / 8] & (1u << (c % 8))))
            return (int)c;
    }
    return -1;
}

bool
domain_def_cputune_check_host(const DomainDef *def, const GByteArray *online,
                              int ncpus, GError **error)
{
    const DomainCputuneDef *tune = &domain_def_priv(def)->cputune;
    int c;

    for (guint i = 0; tune->vcpupins && i < tune->vcpupins->len; i++) {
        const DomainVcpuPinDef *pin = g_ptr_array_index(tune->vcpupins, i);

        if ((c = cputune_first_offline(pin->cpus, online, ncpus)) >= 0) {
            drv_xml_error(error, DRV_ERROR_INVALID_ARG,
                          "<vcpupin vcpu='%u'>: CPU %d is not an online "
                          "CPU of this host", pin->vcpu, c);
            return false;
        }
    }
    if (tune->emulatorpin &&
        (c = cputune_first_offline(tune->emulatorpin, online, ncpus)) >= 0) {
        drv_xml_error(error, DRV_ERROR_INVALID_ARG,
                      "<emulatorpin>: CPU %d is not an online CPU of this "
                      "host", c);
        return false;
    }
    return true;
}
