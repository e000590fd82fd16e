/* SPDX-License-Identifier: Apache-2.0 */
/* <maxMemory> and <memory model='dimm'|'virtio-mem'|'virtio-pmem'> devices. */
#include <config.h>

#include <string.h>
#include <libxml/parser.h>

#include "config/vm-config-kind.h"
#include "driver/xml/domain-priv.h"
#include "driver/xml/memory-xml.h"
#include "driver/xml/numa.h"

/*
 * libvirt's memory accounting (virDomainDefPostParseMemory): <memory> is
 * the total, the initial RAM plus the <size> of every memory device;
 * <maxMemory> bounds the total and its slots bound the DIMMs.  nimbus has
 * one hotplug region and one hotplug method per guest (CH's
 * --memory hotplug_method=acpi|virtio-mem), so:
 *   virtio-mem   the one virtio-mem device: hotplug_size = <size>,
 *                hotplugged_size = <requested>; update-device changes
 *                <requested> through vm.resize desired_ram.
 *   dimm         ACPI memory hotplug: a DIMM of the definition boots as
 *                RAM; <maxMemory> less the total is the hotplug region
 *                that attach-device fills (vm.resize desired_ram).
 *   virtio-pmem  a --pmem device (file, size, discard_writes for
 *                access='private'), hot-pluggable (vm.add-pmem).
 * DIMMs and virtio-mem together would need two methods: refused.  Without
 * <cpu><numa> cells guests have one NUMA node, so <node> is 0 or absent;
 * with cells the virtio-mem device grows the memory zone of its <node>'s
 * cell instead (numa.c: that zone's hotplug_size, vm.resize-zone).
 */

ENUM_IMPL(domain_memory_model, DOMAIN_MEMORY_MODEL_LAST,
          "dimm", "virtio-mem", "virtio-pmem");
ENUM_IMPL(domain_memory_access, DOMAIN_MEMORY_ACCESS_LAST,
          "shared", "private");

/* nimbus's virtio-mem block (VM_CONFIG_VIRTIO_MEM_BLOCK), KiB. */
#define MEMORY_VIRTIO_MEM_BLOCK_KIB (VM_CONFIG_VIRTIO_MEM_BLOCK / 1024)
/* ACPI memory hotplug adds whole 128 MiB blocks (CH's rule), KiB. */
#define MEMORY_DIMM_ALIGN_KIB (VM_CONFIG_HOTPLUG_ALIGN / 1024)

void
domain_memory_def_free(DomainMemoryDef *mem)
{
    if (!mem)
        return;
    domain_device_info_clear(&mem->info);
    g_free(mem->source_path);
    g_free(mem);
}

/* A <size unit=...>N</size>-style child of @parent, in KiB. */
static bool
memory_size_parse(xmlNodePtr parent, const char *name, uint64_t *kib,
                  bool *present, GError **error)
{
    xmlNodePtr n = xml_child(parent, name);
    g_autofree char *text = NULL;
    g_autofree char *unit = NULL;
    const char *why = NULL;

    if (present)
        *present = n != NULL;
    if (!n)
        return true;
    text = xml_text(n);
    unit = xml_prop(n, "unit");
    if (!xml_scale_to_kib(text, unit, DOMAIN_MAX_MEMORY_KIB, kib, &why)) {
        drv_xml_error(error, DRV_ERROR_XML_ERROR,
                      "memory device: invalid <%s> '%s'%s%s%s: %s", name,
                      g_strstrip(text), unit ? " (unit '" : "",
                      unit ? unit : "", unit ? "')" : "", why);
        return false;
    }
    return true;
}

static bool
memory_target_parse(xmlNodePtr target, DomainMemoryDef *m, GError **error)
{
    xmlNodePtr node = xml_child(target, "node");
    bool has_size = false, has_block = false, has_requested = false;

    if (!memory_size_parse(target, "size", &m->size_kib, &has_size, error) ||
        !memory_size_parse(target, "block", &m->block_kib, &has_block,
                           error) ||
        !memory_size_parse(target, "requested", &m->requested_kib,
                           &has_requested, error))
        return false;
    /* <current> is the guest's, reported in the live XML only. */
    if (!has_size) {
        drv_xml_error(error, DRV_ERROR_XML_ERROR,
                      "memory device '%s': missing <target><size>",
                      domain_memory_model_to_string(m->model));
        return false;
    }
    if (node) {
        g_autofree char *text = g_strstrip(xml_text(node));
        uint64_t v = 0;

        if (!xml_parse_uint(text, G_MAXUINT32, &v)) {
            drv_xml_error(error, DRV_ERROR_XML_ERROR,
                          "memory device: invalid <node> '%s'", text);
            return false;
        }
        m->node = (int64_t)v;
    }
    if (m->model != DOMAIN_MEMORY_MODEL_VIRTIO_MEM &&
        (has_block || has_requested)) {
        drv_xml_error(error, DRV_ERROR_XML_ERROR,
                      "memory device '%s': <block> and <requested> are "
                      "virtio-mem's", domain_memory_model_to_string(m->model));
        return false;
    }
    if (m->model == DOMAIN_MEMORY_MODEL_VIRTIO_PMEM && node) {
        drv_xml_error(error, DRV_ERROR_XML_ERROR,
                      "memory device 'virtio-pmem': <node> is not allowed "
                      "(a virtio-pmem device belongs to no NUMA node)");
        return false;
    }
    return true;
}

static gpointer
domain_memory_parse(xmlNodePtr node, const DomainParseCtx *ctx,
                    GError **error)
{
    g_autoptr(DomainMemoryDef) m = g_new0(DomainMemoryDef, 1);
    g_autofree char *model = xml_prop(node, "model");
    g_autofree char *access = xml_prop(node, "access");
    xmlNodePtr source = xml_child(node, "source");
    xmlNodePtr target = xml_child(node, "target");

    m->node = -1;
    m->access = -1;
    /* unsupported.c let only the three models through (the schema too). */
    if ((m->model = domain_memory_model_from_string(model)) < 0) {
        drv_xml_error(error, DRV_ERROR_CONFIG_UNSUPPORTED,
                      "memory device model '%s' is not supported by nimbus",
                      model ? model : "");
        return NULL;
    }
    if (access && (m->access = domain_memory_access_from_string(access)) < 0) {
        drv_xml_error(error, DRV_ERROR_XML_ERROR,
                      "memory device: unknown access '%s' (use 'shared' or "
                      "'private')", access);
        return NULL;
    }
    if (m->model == DOMAIN_MEMORY_MODEL_VIRTIO_PMEM) {
        xmlNodePtr path = source ? xml_child(source, "path") : NULL;

        if (!path) {
            drv_xml_error(error, DRV_ERROR_XML_ERROR,
                          "memory device 'virtio-pmem': missing "
                          "<source><path>");
            return NULL;
        }
        m->source_path = g_strstrip(xml_text(path));
    } else if (source) {
        /* libvirt's <source> of a DIMM picks host pages and nodes. */
        drv_xml_error(error, DRV_ERROR_CONFIG_UNSUPPORTED,
                      "memory device '%s': <source> is not supported by "
                      "nimbus (guest RAM has no per-device backing)",
                      model);
        return NULL;
    } else if (access) {
        drv_xml_error(error, DRV_ERROR_CONFIG_UNSUPPORTED,
                      "memory device '%s': access= is not supported by "
                      "nimbus (only virtio-pmem has a backing file)", model);
        return NULL;
    }
    if (!target) {
        drv_xml_error(error, DRV_ERROR_XML_ERROR,
                      "memory device '%s': missing <target>", model);
        return NULL;
    }
    if (!memory_target_parse(target, m, error) ||
        !domain_device_info_parse(node, &m->info, false, ctx, error))
        return NULL;
    /* libvirt fills in no block size; nimbus has one, so say it. */
    if (m->model == DOMAIN_MEMORY_MODEL_VIRTIO_MEM && !m->block_kib)
        m->block_kib = MEMORY_VIRTIO_MEM_BLOCK_KIB;
    return g_steal_pointer(&m);
}

static void
memory_size_format(XmlBuf *buf, const char *name, uint64_t kib)
{
    g_autofree char *text = g_strdup_printf("%" G_GUINT64_FORMAT,
                                            (guint64)kib);

    xml_buf_open(buf, name);
    xml_buf_attr(buf, "unit", "KiB");
    xml_buf_end_text(buf, name, text);
}

static void
domain_memory_format(XmlBuf *buf, gconstpointer dev, const DomainFormatCtx *ctx)
{
    const DomainMemoryDef *m = dev;

    xml_buf_open(buf, "memory");
    xml_buf_attr(buf, "model", domain_memory_model_to_string(m->model));
    if (m->access >= 0)
        xml_buf_attr(buf, "access", domain_memory_access_to_string(m->access));
    xml_buf_end_open(buf);
    if (m->source_path) {
        xml_buf_open(buf, "source");
        xml_buf_end_open(buf);
        xml_buf_text_element(buf, "path", m->source_path);
        xml_buf_close(buf, "source");
    }
    xml_buf_open(buf, "target");
    xml_buf_end_open(buf);
    memory_size_format(buf, "size", m->size_kib);
    if (m->node >= 0) {
        g_autofree char *n = g_strdup_printf("%" G_GINT64_FORMAT,
                                             (gint64)m->node);

        xml_buf_text_element(buf, "node", n);
    }
    if (m->model == DOMAIN_MEMORY_MODEL_VIRTIO_MEM) {
        memory_size_format(buf, "block", m->block_kib);
        memory_size_format(buf, "requested", m->requested_kib);
        if (ctx->running && m->has_current)
            memory_size_format(buf, "current", m->current_kib);
    }
    xml_buf_close(buf, "target");
    domain_device_info_format(buf, &m->info);
    xml_buf_close(buf, "memory");
}

static DomainDeviceInfo *
domain_memory_info(gpointer dev)
{
    return &((DomainMemoryDef *)dev)->info;
}

const DomainDeviceClass domain_memory_class = {
    .element = "memory",
    .parse = domain_memory_parse,
    .format = domain_memory_format,
    .free = (void (*)(gpointer))domain_memory_def_free,
    .info = domain_memory_info,
};

bool
domain_maxmem_parse(xmlNodePtr node, DomainDefPriv *priv, GError **error)
{
    g_autofree char *text = xml_text(node);
    g_autofree char *unit = xml_prop(node, "unit");
    const char *why = NULL;
    uint64_t slots = 0;
    bool has_slots = false;

    if (!xml_prop_uint(node, "slots", G_MAXUINT32, &slots, &has_slots, error))
        return false;
    if (!xml_scale_to_kib(text, unit, DOMAIN_MAX_MEMORY_KIB,
                          &priv->maxmem_kib, &why)) {
        drv_xml_error(error, DRV_ERROR_XML_ERROR,
                      "/domain/maxMemory: invalid size '%s'%s%s%s: %s",
                      g_strstrip(text), unit ? " (unit '" : "",
                      unit ? unit : "", unit ? "')" : "", why);
        return false;
    }
    priv->maxmem_slots = slots;
    return true;
}

void
domain_maxmem_format(XmlBuf *buf, const DomainDefPriv *priv)
{
    g_autofree char *text = NULL;

    if (!priv->maxmem_kib)
        return;
    text = g_strdup_printf("%" G_GUINT64_FORMAT, (guint64)priv->maxmem_kib);
    xml_buf_open(buf, "maxMemory");
    if (priv->maxmem_slots)
        xml_buf_attr_uint(buf, "slots", priv->maxmem_slots);
    xml_buf_attr(buf, "unit", "KiB");
    xml_buf_end_text(buf, "maxMemory", text);
}

DomainMemoryDef *
domain_def_virtio_mem(const DomainDef *def)
{
    for (guint i = 0; i < domain_def_ndevices(def, DOMAIN_DEVICE_MEMORY); i++) {
        DomainMemoryDef *m = domain_def_device(def, DOMAIN_DEVICE_MEMORY, i);

        if (m->model == DOMAIN_MEMORY_MODEL_VIRTIO_MEM)
            return m;
    }
    return NULL;
}

bool
domain_def_has_memory_hotplug(const DomainDef *def)
{
    return domain_def_priv(def)->maxmem_kib ||
           domain_def_ndevices(def, DOMAIN_DEVICE_MEMORY) > 0;
}

/* The sum of the devices' sizes of @model (-1: every model), KiB. */
static uint64_t
memory_devices_kib(const DomainDef *def, int model)
{
    uint64_t sum = 0;

    for (guint i = 0; i < domain_def_ndevices(def, DOMAIN_DEVICE_MEMORY); i++) {
        const DomainMemoryDef *m =
            domain_def_device(def, DOMAIN_DEVICE_MEMORY, i);

        if (model < 0 || m->model == model)
            sum += m->size_kib;
    }
    return sum;
}

uint64_t
domain_def_memory_boot_kib(const DomainDef *def)
{
    /* validate() keeps the devices' sum below <memory>. */
    return def->max_memory_kib - memory_devices_kib(def, -1) +
           memory_devices_kib(def, DOMAIN_MEMORY_MODEL_DIMM);
}

static bool
memory_validate_device(const DomainDef *def, const DomainMemoryDef *m,
                       GError **error)
{
    const char *model = domain_memory_model_to_string(m->model);

    if (m->size_kib == 0) {
        drv_xml_error(error, DRV_ERROR_INVALID_ARG,
                      "memory device '%s': <size> must be greater than 0",
                      model);
        return false;
    }
    /* Without cells the guest has one node, 0; with cells, one per cell
     * (numa.c has the rules of a device on a cell). */
    if (m->node > 0 && (guint64)m->node >= MAX(domain_numa_ncells(def), 1)) {
        drv_xml_error(error, DRV_ERROR_CONFIG_UNSUPPORTED,
                      "memory device '%s': NUMA node %" G_GINT64_FORMAT
                      " does not exist (the guest has %u)", model,
                      (gint64)m->node, MAX(domain_numa_ncells(def), 1));
        return false;
    }
    if (m->model != DOMAIN_MEMORY_MODEL_VIRTIO_PMEM &&
        !domain_def_priv(def)->maxmem_kib) {
        /* libvirt's rule: hotpluggable RAM needs the space declared. */
        drv_xml_error(error, DRV_ERROR_CONFIG_UNSUPPORTED,
                      "memory device '%s' needs <maxMemory> (the most RAM "
                      "the guest can grow to)", model);
        return false;
    }
    switch (m->model) {
    case DOMAIN_MEMORY_MODEL_DIMM:
        if (m->size_kib % MEMORY_DIMM_ALIGN_KIB) {
            drv_xml_error(error, DRV_ERROR_CONFIG_UNSUPPORTED,
                          "memory device 'dimm': size %" G_GUINT64_FORMAT
                          " KiB is not a multiple of 128 MiB (ACPI memory "
                          "hotplug adds whole 128 MiB blocks)",
                          (guint64)m->size_kib);
            return false;
        }
        break;
    case DOMAIN_MEMORY_MODEL_VIRTIO_MEM:
        if (m->block_kib != MEMORY_VIRTIO_MEM_BLOCK_KIB) {
            drv_xml_error(error, DRV_ERROR_CONFIG_UNSUPPORTED,
                          "memory device 'virtio-mem': block size %"
                          G_GUINT64_FORMAT " KiB is not supported by nimbus "
                          "(its virtio-mem block is %llu KiB)",
                          (guint64)m->block_kib,
                          (unsigned long long)MEMORY_VIRTIO_MEM_BLOCK_KIB);
            return false;
        }
        /* libvirt's rules (kbase/memorydevices). */
        if (m->requested_kib > m->size_kib ||
            m->requested_kib % m->block_kib) {
            drv_xml_error(error, DRV_ERROR_INVALID_ARG,
                          "memory device 'virtio-mem': requested size %"
                          G_GUINT64_FORMAT " KiB must be a multiple of the "
                          "block size (%" G_GUINT64_FORMAT " KiB) and at "
                          "most <size> (%" G_GUINT64_FORMAT " KiB)",
                          (guint64)m->requested_kib, (guint64)m->block_kib,
                          (guint64)m->size_kib);
            return false;
        }
        break;
    case DOMAIN_MEMORY_MODEL_VIRTIO_PMEM:
    default:
        if (!m->source_path || m->source_path[0] != '/') {
            drv_xml_error(error, DRV_ERROR_INVALID_ARG,
                          "memory device 'virtio-pmem': source path '%s' "
                          "must be an absolute path",
                          m->source_path ? m->source_path : "");
            return false;
        }
        break;
    }
    return true;
}

bool
domain_memory_validate(const DomainDef *def, GError **error)
{
    const DomainDefPriv *priv = domain_def_priv(def);
    guint n = domain_def_ndevices(def, DOMAIN_DEVICE_MEMORY);
    guint count[DOMAIN_MEMORY_MODEL_LAST] = { 0 };
    uint64_t devices = memory_devices_kib(def, -1);

    for (guint i = 0; i < n; i++) {
        const DomainMemoryDef *m =
            domain_def_device(def, DOMAIN_DEVICE_MEMORY, i);

        if (!memory_validate_device(def, m, error))
            return false;
        count[m->model]++;
    }
    if (count[DOMAIN_MEMORY_MODEL_VIRTIO_MEM] > 1) {
        drv_xml_error(error, DRV_ERROR_CONFIG_UNSUPPORTED,
                      "nimbus supports one virtio-mem memory device, got %u",
                      count[DOMAIN_MEMORY_MODEL_VIRTIO_MEM]);
        return false;
    }
    if (count[DOMAIN_MEMORY_MODEL_VIRTIO_MEM] &&
        count[DOMAIN_MEMORY_MODEL_DIMM]) {
        drv_xml_error(error, DRV_ERROR_CONFIG_UNSUPPORTED,
                      "memory devices 'dimm' and 'virtio-mem' cannot be "
                      "used together: a nimbus guest has one memory hotplug "
                      "method (ACPI DIMMs or virtio-mem)");
        return false;
    }
    /* libvirt's words (virDomainDefPostParseMemory). */
    if (devices >= def->max_memory_kib) {
        drv_xml_error(error, DRV_ERROR_XML_ERROR, "%s",
                      devices > def->max_memory_kib ?
                      "Total size of memory devices exceeds the total "
                      "memory size" :
                      "Memory size must be specified via <memory> or in "
                      "the <numa> configuration");
        return false;
    }
    if (priv->maxmem_slots && !priv->maxmem_kib) {
        drv_xml_error(error, DRV_ERROR_XML_ERROR,
                      "maximum memory size must be specified when "
                      "specifying number of memory slots");
        return false;
    }
    if (priv->maxmem_kib && priv->maxmem_kib < def->max_memory_kib) {
        drv_xml_error(error, DRV_ERROR_XML_ERROR,
                      "maximum memory size must be equal or greater than "
                      "the actual memory size");
        return false;
    }
    /* DIMMs take slots; virtio devices sit on PCI (libvirt's count). */
    if (count[DOMAIN_MEMORY_MODEL_DIMM] > priv->maxmem_slots &&
        count[DOMAIN_MEMORY_MODEL_DIMM]) {
        drv_xml_error(error, DRV_ERROR_CONFIG_UNSUPPORTED,
                      "count of memory devices requiring memory slots '%u' "
                      "exceeds slots count '%u'",
                      count[DOMAIN_MEMORY_MODEL_DIMM], priv->maxmem_slots);
        return false;
    }
    return true;
}

bool
domain_def_has_virtio_mem(const DomainDef *def)
{
    return domain_def_virtio_mem(def) != NULL;
}

uint64_t
domain_def_memory_desired_ram(const DomainDef *def)
{
    const DomainMemoryDef *vmem = domain_def_virtio_mem(def);

    return (domain_def_memory_boot_kib(def) +
            (vmem ? vmem->requested_kib : 0)) * 1024;
}

char *
domain_def_memory_resize_request(const DomainDef *def, const char **endpoint)
{
    g_autofree char *zone = NULL;
    g_autoptr(JsonBuilder) jb = NULL;
    g_autoptr(JsonNode) root = NULL;
    uint64_t zone_kib = 0;

    if (!domain_numa_virtio_mem_zone(def, &zone, &zone_kib)) {
        *endpoint = "vm.resize";
        return g_strdup_printf("{\"desired_ram\": %" G_GUINT64_FORMAT "}",
                               (guint64)domain_def_memory_desired_ram(def));
    }
    /* With NUMA cells the device grows its cell's memory zone: CH's
     * vm.resize-zone, whose desired_ram is the zone's whole size. */
    jb = json_builder_new();
    json_builder_begin_object(jb);
    json_builder_set_member_name(jb, "id");
    json_builder_add_string_value(jb, zone);
    json_builder_set_member_name(jb, "desired_ram");
    json_builder_add_int_value(jb, (gint64)((zone_kib +
        domain_def_virtio_mem(def)->requested_kib) * 1024));
    json_builder_end_object(jb);
    root = json_builder_get_root(jb);
    *endpoint = "vm.resize-zone";
    return json_to_string(root, FALSE);
}

void
domain_def_memory_set_actual(DomainDef *def, uint64_t bytes)
{
    DomainMemoryDef *vmem = domain_def_virtio_mem(def);
    uint64_t boot = domain_def_memory_boot_kib(def);

    if (!vmem)
        return;
    /* A guest plugs whole blocks of the region: never below the boot
     * RAM, never above the device's size, unless nimbus misreports. */
    vmem->current_kib = MIN(bytes / 1024 - MIN(bytes / 1024, boot),
                            vmem->size_kib);
    vmem->has_current = true;
}

bool
domain_def_virtio_mem_state(const DomainDef *def, uint64_t *requested_kib,
                            uint64_t *current_kib, char **alias)
{
    const DomainMemoryDef *vmem = domain_def_virtio_mem(def);

    if (!vmem)
        return false;
    *requested_kib = vmem->requested_kib;
    /* Until vm.info answered: nothing, as a guest starts (its driver
     * plugs what it is asked for once it loads). */
    *current_kib = vmem->has_current ? vmem->current_kib : 0;
    /* libvirt's alias for the one virtio-mem device (qemu_alias.c). */
    *alias = g_strdup(vmem->info.alias ? vmem->info.alias : "virtiomem0");
    return true;
}

uint64_t
domain_def_memory_balloon_max_kib(const DomainDef *def)
{
    /* libvirt (qemuDomainSetMemoryFlags): <memory> less the virtio-mem
     * device's size, which only update-memory-device changes; DIMMs are
     * RAM the balloon may take. */
    return def->max_memory_kib -
           MIN(def->max_memory_kib,
               memory_devices_kib(def, DOMAIN_MEMORY_MODEL_VIRTIO_MEM));
}

uint64_t
domain_def_memory_guest_kib(const DomainDef *def)
{
    uint64_t requested = 0;
    uint64_t current = 0;
    g_autofree char *alias = NULL;

    domain_def_virtio_mem_state(def, &requested, &current, &alias);
    return domain_def_memory_boot_kib(def) + current;
}

/* The one <memory> element of @xml, parsed alone (no defaults beyond the
 * class's own), or NULL with @error.  (transfer full) */
static DomainMemoryDef *
memory_xml_read(const char *xml, bool live, GError **error)
{
    DomainParseCtx ctx = { .flags = live ? 0 : DOMAIN_DEF_PARSE_INACTIVE };
    size_t len = xml ? strlen(xml) : 0;
    DomainMemoryDef *m = NULL;
    xmlDocPtr doc;
    xmlNodePtr root;

    /* The same bounds and reader options as device-xml.c. */
    if (len == 0 || len > 1024 * 1024) {
        drv_xml_error(error, DRV_ERROR_XML_ERROR,
                      "memory device XML is empty or too large (%zu bytes)",
                      len);
        return NULL;
    }
    doc = xmlReadMemory(xml, (int)len, "device.xml", NULL,
                        XML_PARSE_NONET | XML_PARSE_NOERROR |
                        XML_PARSE_NOWARNING | XML_PARSE_NOCDATA);
    root = doc ? xmlDocGetRootElement(doc) : NULL;
    if (!root || doc->intSubset || doc->extSubset || root->ns ||
        !xml_is_element(root, "memory"))
        drv_xml_error(error, DRV_ERROR_XML_ERROR,
                      "device XML must be one well-formed <memory> element");
    else
        m = domain_memory_class.parse(root, &ctx, error);
    if (doc)
        xmlFreeDoc(doc);
    return m;
}

DomainDef *
domain_def_with_memory_update(const DomainDef *def, const char *xml,
                              bool live, GError **error)
{
    g_autoptr(DomainMemoryDef) want = memory_xml_read(xml, live, error);
    g_autoptr(DomainDef) copy = NULL;
    const DomainMemoryDef *have;
    DomainMemoryDef *vmem;
    const char *what = NULL;

    if (!want)
        return NULL;
    if (want->model != DOMAIN_MEMORY_MODEL_VIRTIO_MEM) {
        /* libvirt updates only virtio-mem's <requested>. */
        drv_xml_error(error, DRV_ERROR_OPERATION_UNSUPPORTED,
                      "Operation not supported: memory device '%s' cannot "
                      "be updated (only the <requested> size of a "
                      "virtio-mem device)",
                      domain_memory_model_to_string(want->model));
        return NULL;
    }
    have = domain_def_virtio_mem(def);
    if (!have || (want->info.alias &&
                  g_strcmp0(want->info.alias, have->info.alias) != 0)) {
        drv_xml_error(error, DRV_ERROR_DEVICE_MISSING,
                      "virtio-mem memory device%s%s%s not found",
                      want->info.alias ? " with alias '" : "",
                      want->info.alias ? want->info.alias : "",
                      want->info.alias ? "'" : "");
        return NULL;
    }
    if (want->size_kib != have->size_kib)
        what = "size";
    else if (want->node >= 0 && want->node != MAX(have->node, 0))
        what = "node";
    else if (want->block_kib != have->block_kib)
        what = "block";
    if (what) {
        drv_xml_error(error, DRV_ERROR_OPERATION_UNSUPPORTED,
                      "Operation not supported: cannot modify the %s of a "
                      "virtio-mem memory device (only <requested>)", what);
        return NULL;
    }
    if (!(copy = domain_def_copy(def))) {
        drv_xml_error(error, DRV_ERROR_INTERNAL_ERROR,
                      "cannot copy the definition");
        return NULL;
    }
    vmem = domain_def_virtio_mem(copy);
    vmem->requested_kib = want->requested_kib;
    vmem->current_kib = have->current_kib;
    vmem->has_current = have->has_current;
    if (!domain_memory_validate(copy, error))
        return NULL;
    return g_steal_pointer(&copy);
}

void
domain_def_memory_copy_requested(DomainDef *dst, const DomainDef *src)
{
    DomainMemoryDef *d = domain_def_virtio_mem(dst);
    const DomainMemoryDef *s = domain_def_virtio_mem(src);

    if (d && s)
        d->requested_kib = s->requested_kib;
}

DomainDef *
domain_memory_def_grown(const DomainDef *def, xmlNodePtr node, GError **error)
{
    DomainParseCtx ctx = { .flags = DOMAIN_DEF_PARSE_INACTIVE };
    g_autoptr(DomainMemoryDef) m = domain_memory_class.parse(node, &ctx,
                                                             error);
    DomainDef *copy;

    if (!m)
        return NULL;
    if (m->size_kib > DOMAIN_MAX_MEMORY_KIB - def->max_memory_kib) {
        drv_xml_error(error, DRV_ERROR_INVALID_ARG,
                      "memory device: size %" G_GUINT64_FORMAT " KiB is "
                      "too large", (guint64)m->size_kib);
        return NULL;
    }
    if (!(copy = domain_def_copy(def))) {
        drv_xml_error(error, DRV_ERROR_INTERNAL_ERROR,
                      "cannot copy the definition");
        return NULL;
    }
    copy->max_memory_kib += m->size_kib;
    return copy;
}

/* Whether a memory device other than @self is known as @alias. */
static bool
memory_alias_taken(const DomainDef *def, guint self, const char *alias)
{
    for (guint i = 0; i < domain_def_ndevices(def, DOMAIN_DEVICE_MEMORY); i++) {
        const DomainMemoryDef *m =
            domain_def_device(def, DOMAIN_DEVICE_MEMORY, i);
        g_autofree char *id = NULL;

        if (i == self)
            continue;
        id = m->model == DOMAIN_MEMORY_MODEL_VIRTIO_PMEM ?
             domain_memory_vmm_id(def, i) : g_strdup(m->info.alias);
        if (g_strcmp0(id, alias) == 0)
            return true;
    }
    return false;
}

/* CH's vm.add-pmem body for memory device @index, written by nimbus's own
 * serialiser as in vm.create. */
static char *
memory_pmem_body(const DomainDef *def, guint index, GError **error)
{
    const VmConfigKind *kind = vm_config_kind_lookup("pmem");
    g_autoptr(VmConfig) config = vm_config_new();
    g_autoptr(JsonNode) root = NULL;
    gpointer entry;
    JsonArray *arr;

    if (!(entry = domain_memory_pmem_entry(def, index, error)))
        return NULL;
    vm_config_kind_append(config, kind, entry);
    root = vm_config_to_json_node(config);
    arr = json_object_get_array_member(json_node_get_object(root), "pmem");
    return json_to_string(json_array_get_element(arr, 0), FALSE);
}

char *
domain_def_memory_attach_prepare(DomainDef *def, guint index,
                                 const char **endpoint, GError **error)
{
    DomainMemoryDef *m = domain_def_device(def, DOMAIN_DEVICE_MEMORY, index);
    const char *prefix;

    if (m->model == DOMAIN_MEMORY_MODEL_VIRTIO_MEM) {
        drv_xml_error(error, DRV_ERROR_OPERATION_UNSUPPORTED,
                      "Operation not supported: a virtio-mem device cannot "
                      "be attached to a running nimbus guest (its region is "
                      "made at boot: attach it with --config, and resize "
                      "it with update-memory-device)");
        return NULL;
    }
    /* A user alias names the device everywhere; else libvirt's. */
    if (!m->info.alias || !g_str_has_prefix(m->info.alias, "ua-")) {
        prefix = m->model == DOMAIN_MEMORY_MODEL_DIMM ? "dimm"
                                                      : "virtiopmem";
        g_clear_pointer(&m->info.alias, g_free);
        for (guint n = 0; !m->info.alias; n++) {
            g_autofree char *alias = g_strdup_printf("%s%u", prefix, n);

            if (!memory_alias_taken(def, index, alias))
                m->info.alias = g_steal_pointer(&alias);
        }
    }
    /* nimbus chooses the address; it is recorded once known. */
    g_clear_pointer(&m->info.address, g_ptr_array_unref);
    if (m->model == DOMAIN_MEMORY_MODEL_DIMM) {
        *endpoint = "vm.resize";
        return g_strdup_printf("{\"desired_ram\": %" G_GUINT64_FORMAT "}",
                               (guint64)domain_def_memory_desired_ram(def));
    }
    *endpoint = "vm.add-pmem";
    return memory_pmem_body(def, index, error);
}

bool
domain_def_find_memory_alias(const DomainDef *def, const char *alias,
                             guint *index)
{
    for (guint i = 0; i < domain_def_ndevices(def, DOMAIN_DEVICE_MEMORY); i++) {
        const DomainMemoryDef *m =
            domain_def_device(def, DOMAIN_DEVICE_MEMORY, i);
        g_autofree char *id = m->model == DOMAIN_MEMORY_MODEL_VIRTIO_PMEM ?
            domain_memory_vmm_id(def, i) : g_strdup(m->info.alias);

        if (g_strcmp0(id, alias) == 0) {
            *index = i;
            return true;
        }
    }
    return false;
}

bool
domain_def_find_memory_xml(const DomainDef *def, const char *xml,
                           guint *index, GError **error)
{
    g_autoptr(DomainMemoryDef) want = memory_xml_read(xml, false, error);
    guint found = 0;

    if (!want)
        return false;
    if (want->info.alias) {
        if (domain_def_find_memory_alias(def, want->info.alias, index))
            return true;
        found = 0;
    } else {
        for (guint i = 0; i < domain_def_ndevices(def, DOMAIN_DEVICE_MEMORY);
             i++) {
            const DomainMemoryDef *m =
                domain_def_device(def, DOMAIN_DEVICE_MEMORY, i);

            if (m->model == want->model && m->size_kib == want->size_kib &&
                g_strcmp0(m->source_path, want->source_path) == 0) {
                *index = i;
                found++;
            }
        }
    }
    if (found == 1)
        return true;
    drv_xml_error(error, found ? DRV_ERROR_OPERATION_FAILED
                               : DRV_ERROR_DEVICE_MISSING,
                  found ? "multiple '%s' memory devices match"
                        : "matching '%s' memory device not found",
                  domain_memory_model_to_string(want->model));
    return false;
}

char *
domain_def_memory_detach_id(const DomainDef *def, guint index,
                            GError **error)
{
    const DomainMemoryDef *m =
        domain_def_device(def, DOMAIN_DEVICE_MEMORY, index);

    if (m->model != DOMAIN_MEMORY_MODEL_VIRTIO_PMEM) {
        drv_xml_error(error, DRV_ERROR_OPERATION_UNSUPPORTED,
                      "Operation not supported: nimbus cannot unplug a '%s' "
                      "memory device from a running guest (%s); detach it "
                      "with --config", domain_memory_model_to_string(m->model),
                      m->model == DOMAIN_MEMORY_MODEL_DIMM ?
                      "ACPI memory hot-unplug is not offered" :
                      "use update-memory-device to shrink it");
        return NULL;
    }
    return domain_memory_vmm_id(def, index);
}

void
domain_def_memory_remove(DomainDef *def, guint index, bool live)
{
    GPtrArray *mems = domain_def_priv(def)->devices[DOMAIN_DEVICE_MEMORY];
    const DomainMemoryDef *m = g_ptr_array_index(mems, index);

    /* The other virtio-pmem devices keep the ids nimbus knows them by
     * (an id is their position otherwise). */
    for (guint i = 0; live && i < mems->len; i++) {
        DomainMemoryDef *o = g_ptr_array_index(mems, i);

        if (o->model == DOMAIN_MEMORY_MODEL_VIRTIO_PMEM && !o->info.alias)
            o->info.alias = domain_memory_vmm_id(def, i);
    }
    def->max_memory_kib -= MIN(m->size_kib, def->max_memory_kib);
    g_ptr_array_remove_index(mems, index);
}
