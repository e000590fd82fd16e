/* SPDX-License-Identifier: Apache-2.0 */
/* Memory zones and guest NUMA nodes: CH's MemoryZoneConfig, NumaConfig (tables, CLI, rules). */
#include <config.h>

#include <string.h>
#include <gio/gio.h>

#include "common/error-util.h"
#include "config/vm-config-numa.h"
#include "config/vm-config-schema.h"

/*
 * With zones, guest RAM is the zones laid out one after the other in the
 * order given (CH's MemoryManager does the same), each with its own
 * backing; --memory keeps only what applies to all of them (thp,
 * mergeable) and its size is 0.  A NUMA node claims vCPUs and zones;
 * arch/ describes the nodes in SRAT and SLIT.
 */

/* ---- Tables -------------------------------------------------------------- */

void
memory_zone_config_free(MemoryZoneConfig *zone)
{
    if (!zone)
        return;
    vschema_clear(&vschema_memory_zone, zone);
    g_free(zone);
}

static const VField memory_zone_fields[] = {
    /* Required (CH's schema): validate_zone() says so, as validation
     * does for rate limit groups, so that the defaults round-trip. */
    V_STR("id", MemoryZoneConfig, id, .flags = VF_CLI_REQUIRED,
          .cli_meta = "<id>"),
    /* CH's CLI defaults the size to 512 MiB; its JSON requires it. */
    V_UINT("size", MemoryZoneConfig, size, 0, G_MAXINT64, 512ULL << 20,
           .flags = VF_JSON_REQUIRED | VF_CLI_SIZE),
    V_STR("file", MemoryZoneConfig, file, .flags = VF_PATH_RW),
    V_BOOL("mergeable", MemoryZoneConfig, mergeable, false),
    V_BOOL("shared", MemoryZoneConfig, shared, false),
    V_BOOL("hugepages", MemoryZoneConfig, hugepages, false),
    V_UINT("hugepage_size", MemoryZoneConfig, hugepage_size, 0, G_MAXINT64, 0,
           .flags = VF_OMIT_DEFAULT | VF_CLI_SIZE),
    V_INT_OPT("host_numa_node", MemoryZoneConfig, host_numa_node, 0,
              VM_CONFIG_HOST_NUMA_NODE_MAX),
    V_UINT("hotplug_size", MemoryZoneConfig, hotplug_size, 0, G_MAXINT64, 0,
           .flags = VF_OMIT_DEFAULT | VF_CLI_SIZE),
    V_UINT("hotplugged_size", MemoryZoneConfig, hotplugged_size, 0,
           G_MAXINT64, 0, .flags = VF_OMIT_DEFAULT | VF_CLI_SIZE),
    V_BOOL("prefault", MemoryZoneConfig, prefault, false),
    V_BOOL("reserve", MemoryZoneConfig, reserve, false),
    V_END
};

const VStruct vschema_memory_zone = {
    "MemoryZoneConfig", sizeof(MemoryZoneConfig), memory_zone_fields,
    (GDestroyNotify)memory_zone_config_free, NULL
};

static void
numa_distance_free(void *d)
{
    g_free(d);
}

static const VField numa_distance_fields[] = {
    V_UINT("destination", NumaDistance, destination, 0, VM_CONFIG_NUMA_ID_MAX,
           0, .flags = VF_JSON_REQUIRED),
    V_UINT("distance", NumaDistance, distance, 0, VM_CONFIG_NUMA_DISTANCE_MAX,
           0, .flags = VF_JSON_REQUIRED),
    V_END
};

const VStruct vschema_numa_distance = {
    "NumaDistance", sizeof(NumaDistance), numa_distance_fields,
    numa_distance_free, NULL
};

/* The pairs of "[1@20,2@30]" into @list; false on bad syntax. */
static bool
parse_distances(const VStruct *sub, const char *v, GPtrArray *list)
{
    size_t len = strlen(v);
    g_autofree char *inner = NULL;
    g_auto(GStrv) items = NULL;

    if (len < 2 || v[0] != '[' || v[len - 1] != ']')
        return false;
    inner = g_strndup(v + 1, len - 2);
    items = g_strsplit(inner, ",", -1);
    for (guint i = 0; items[i]; i++) {
        char *at = strchr(items[i], '@');
        uint64_t dest, dist;
        NumaDistance *d;

        if (!at)
            return false;
        *at = '\0';
        if (!vm_opts_str_to_u64(items[i], &dest) ||
            !vm_opts_str_to_u64(at + 1, &dist) ||
            dest > VM_CONFIG_NUMA_ID_MAX || dist > VM_CONFIG_NUMA_DISTANCE_MAX)
            return false;
        d = vschema_new(sub);
        d->destination = (uint32_t)dest;
        d->distance = (uint32_t)dist;
        g_ptr_array_add(list, d);
    }
    return true;
}

/* "[1@20,2@30]": destination@distance pairs (CH's --numa distances). */
static bool
cli_distances(const VmOpts *o, const VField *f, void *member, GError **error)
{
    const char *key = vfield_cli_key(f);
    g_autofree char *v = NULL;
    g_autoptr(GPtrArray) list = NULL;

    if (!vm_opts_get_string(o, key, &v, error))
        return false;
    if (!v)
        return true;
    list = g_ptr_array_new_with_free_func(f->sub->free);
    if (!parse_distances(f->sub, v, list))
        return nimbus_fail_prefixed(error, G_IO_ERROR,
                                    G_IO_ERROR_INVALID_ARGUMENT,
                                    vm_opts_option(o), "invalid value "
                                    "'%s=%s': expected a list like "
                                    "[1@20,2@30] (node ids up to %u, "
                                    "distances up to %u)", key, v,
                                    VM_CONFIG_NUMA_ID_MAX,
                                    VM_CONFIG_NUMA_DISTANCE_MAX);
    g_clear_pointer((GPtrArray **)member, g_ptr_array_unref);
    *(GPtrArray **)member = g_steal_pointer(&list);
    return true;
}

void
numa_config_free(NumaConfig *numa)
{
    if (!numa)
        return;
    vschema_clear(&vschema_numa, numa);
    g_free(numa);
}

static const VField numa_fields[] = {
    V_UINT("guest_numa_id", NumaConfig, guest_numa_id, 0,
           VM_CONFIG_NUMA_ID_MAX, 0,
           .flags = VF_JSON_REQUIRED | VF_CLI_REQUIRED, .cli_meta = "<id>"),
    V_U32S("cpus", NumaConfig, cpus, VM_CONFIG_MAX_VCPUS - 1,
           .flags = VF_NEVER_NULL, .what = "vCPU indexes"),
    V_LIST("distances", NumaConfig, distances, &vschema_numa_distance,
           .cli_parse = cli_distances),
    V_STRV("memory_zones", NumaConfig, memory_zones),
    U_EMPTY("pci_segments"),
    U_EMPTY("device_id"),
    V_END
};

const VStruct vschema_numa = {
    "NumaConfig", sizeof(NumaConfig), numa_fields,
    (GDestroyNotify)numa_config_free, NULL
};

/* ---- CLI ----------------------------------------------------------------- */

bool
vm_config_parse_memory_zone(VmConfig *config, const char *arg, GError **error)
{
    g_autoptr(MemoryZoneConfig) z = vschema_new(&vschema_memory_zone);

    if (!vschema_cli_parse(&vschema_memory_zone, "--memory-zone", arg, z,
                           error))
        return false;
    if (!config->memory.zones)
        config->memory.zones =
            g_ptr_array_new_with_free_func(vschema_memory_zone.free);
    g_ptr_array_add(config->memory.zones, g_steal_pointer(&z));
    return true;
}

bool
vm_config_parse_numa(VmConfig *config, const char *arg, GError **error)
{
    g_autoptr(NumaConfig) n = vschema_new(&vschema_numa);

    if (!vschema_cli_parse(&vschema_numa, "--numa", arg, n, error))
        return false;
    if (!config->numa)
        config->numa = g_ptr_array_new_with_free_func(vschema_numa.free);
    g_ptr_array_add(config->numa, g_steal_pointer(&n));
    return true;
}

/* ---- Queries ------------------------------------------------------------- */

uint64_t
vm_config_ram_size(const MemoryConfig *memory)
{
    uint64_t size = memory->size;

    /* Validation bounds each size by G_MAXINT64 and the sum by the
     * physical address space: no overflow on a validated config. */
    for (guint i = 0; memory->zones && i < memory->zones->len; i++)
        size += ((const MemoryZoneConfig *)memory->zones->pdata[i])->size;
    return size;
}

const NumaConfig *
vm_config_numa_of_zone(const VmConfig *config, const char *zone_id)
{
    for (guint i = 0; config->numa && i < config->numa->len; i++) {
        const NumaConfig *n = config->numa->pdata[i];

        if (n->memory_zones &&
            g_strv_contains((const char *const *)n->memory_zones, zone_id))
            return n;
    }
    return NULL;
}

const NumaConfig *
vm_config_numa_of_cpu(const VmConfig *config, uint32_t cpu)
{
    for (guint i = 0; config->numa && i < config->numa->len; i++) {
        const NumaConfig *n = config->numa->pdata[i];

        for (guint j = 0; n->cpus && j < n->cpus->len; j++) {
            if (g_array_index(n->cpus, uint32_t, j) == cpu)
                return n;
        }
    }
    return NULL;
}

uint32_t
vm_config_numa_distance(const NumaConfig *from, uint32_t to)
{
    for (guint i = 0; from->distances && i < from->distances->len; i++) {
        const NumaDistance *d = from->distances->pdata[i];

        if (d->destination == to)
            return d->distance;
    }
    return from->guest_numa_id == to ? VM_CONFIG_NUMA_DISTANCE_LOCAL
                                     : VM_CONFIG_NUMA_DISTANCE_REMOTE;
}

/* ---- Rules --------------------------------------------------------------- */

/* "where: message"; returns false. */
#define nfail(error, where, ...)                                               \
    nimbus_fail_prefixed(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,       \
                         where, __VA_ARGS__)

static bool
is_pow2(uint64_t x)
{
    return x && !(x & (x - 1));
}

/* What --memory may not say once the zones describe RAM: each of these
 * is a zone's own option, and accepting it at the top would ignore it. */
static bool
validate_memory_with_zones(const MemoryConfig *m, bool cli, GError **error)
{
    const char *w = cli ? "--memory" : "memory";
    const char *what = NULL;

    if (m->size)
        return nfail(error, w, "size=%" G_GUINT64_FORMAT " must be 0 when "
                     "memory zones are given (guest RAM is the zones')",
                     m->size);
    /* CH: with zones, each zone hotplugs its own memory. */
    if (m->hotplug_size || m->hotplugged_size)
        return nfail(error, w, "hotplug_size with memory zones belongs to "
                     "each zone: give it %s",
                     cli ? "to --memory-zone" : "in memory.zones[]");
    if (m->shared)
        what = "shared";
    else if (m->hugepages || m->hugepage_size)
        what = "hugepages";
    else if (m->prefault)
        what = "prefault";
    else if (m->reserve)
        what = "reserve";
    if (what)
        return nfail(error, w, "%s applies to each zone with memory zones: "
                     "give it %s", what,
                     cli ? "to --memory-zone" : "in memory.zones[]");
    return true;
}

static bool
validate_zone(const MemoryZoneConfig *z, bool cli, const char *w,
              GError **error)
{
    if (!z->id || !*z->id)
        return nfail(error, w, "an id is required");
    if (z->size == 0 || z->size % 4096)
        return nfail(error, w, "'%s': size=%" G_GUINT64_FORMAT " is not a "
                     "positive multiple of the 4 KiB page size", z->id,
                     z->size);
    if (z->hugepage_size && !z->hugepages)
        return nfail(error, w, "'%s': hugepage_size=%" G_GUINT64_FORMAT
                     " needs %s", z->id, z->hugepage_size,
                     cli ? "hugepages=on" : "hugepages=true");
    if (z->hugepage_size && (!is_pow2(z->hugepage_size) ||
                             z->hugepage_size < 4096))
        return nfail(error, w, "'%s': hugepage_size=%" G_GUINT64_FORMAT
                     " is not a power of two of at least 4096", z->id,
                     z->hugepage_size);
    if (z->hugepage_size && z->size % z->hugepage_size)
        return nfail(error, w, "'%s': size=%" G_GUINT64_FORMAT " is not a "
                     "multiple of hugepage_size=%" G_GUINT64_FORMAT, z->id,
                     z->size, z->hugepage_size);
    if (z->file && !g_path_is_absolute(z->file))
        return nfail(error, w, "'%s': file '%s' is not an absolute path",
                     z->id, z->file);
    /* hugetlbfs pages come from a hugetlb memfd; a file has the pages of
     * its own file system. */
    if (z->file && z->hugepages)
        return nfail(error, w, "'%s': file and hugepages are mutually "
                     "exclusive", z->id);
    return true;
}

/* A zone's hotplug region follows RAM (arch_ram_zone_ranges() lays it
 * out) and one virtio-mem device, named after the zone, plugs it in 2 MiB
 * blocks; Linux adds memory in 128 MiB blocks, hence the alignment, as
 * for --memory's region (vm-config-validate.c). */
static bool
validate_zone_hotplug(const MemoryConfig *m, const MemoryZoneConfig *z,
                      bool cli, const char *w, GError **error)
{
    if (z->hotplug_size == 0) {
        if (z->hotplugged_size)
            return nfail(error, w, "'%s': hotplugged_size=%" G_GUINT64_FORMAT
                         " needs hotplug_size", z->id, z->hotplugged_size);
        return true;
    }
    /* CH: a zone can only grow through virtio-mem. */
    if (m->hotplug_method != MEMORY_HOTPLUG_VIRTIO_MEM)
        return nfail(error, w, "'%s': hotplug_size needs %s", z->id,
                     cli ? "--memory hotplug_method=virtio-mem"
                         : "memory.hotplug_method=VirtioMem");
    if (z->hotplug_size % VM_CONFIG_HOTPLUG_ALIGN ||
        z->hotplug_size > VM_CONFIG_HOTPLUG_MAX)
        return nfail(error, w, "'%s': hotplug_size=%" G_GUINT64_FORMAT " must "
                     "be a multiple of 128 MiB, at most 1 TiB", z->id,
                     z->hotplug_size);
    if (z->hotplugged_size > z->hotplug_size ||
        z->hotplugged_size % VM_CONFIG_VIRTIO_MEM_BLOCK)
        return nfail(error, w, "'%s': hotplugged_size=%" G_GUINT64_FORMAT
                     " must be a multiple of 2 MiB, at most hotplug_size=%"
                     G_GUINT64_FORMAT, z->id, z->hotplugged_size,
                     z->hotplug_size);
    /* The region is mapped without reservation, which hugetlbfs turns
     * into SIGBUS when the pool runs dry on a plug. */
    if (z->hugepages)
        return nfail(error, w, "'%s': hotplug_size with hugepages is not "
                     "supported yet", z->id);
    /* The zone's file holds its boot RAM only: the region would need a
     * second file (or the same one past the zone), which CH does not
     * define either. */
    if (z->file)
        return nfail(error, w, "'%s': hotplug_size with file is not "
                     "supported yet", z->id);
    return true;
}

bool
vm_config_validate_zones(const VmConfig *c, VmConfigNames names,
                         uint64_t limit, GError **error)
{
    bool cli = names == VM_CONFIG_NAMES_CLI;
    const GPtrArray *zones = c->memory.zones;
    uint64_t total = 0;
    guint hotplug = 0;

    if (!zones || zones->len == 0)
        return true;
    if (!validate_memory_with_zones(&c->memory, cli, error))
        return false;
    for (guint i = 0; i < zones->len; i++)
        hotplug += ((const MemoryZoneConfig *)zones->pdata[i])->hotplug_size
                   != 0;
    if (zones->len + hotplug > VM_CONFIG_MEMORY_ZONES_MAX)
        return nfail(error, cli ? "--memory-zone" : "memory.zones",
                     "%u zones, %u of them with hotplug_size: at most %u "
                     "regions are supported (one per zone and one per "
                     "hotplug_size)", zones->len, hotplug,
                     VM_CONFIG_MEMORY_ZONES_MAX);
    for (guint i = 0; i < zones->len; i++) {
        const MemoryZoneConfig *z = zones->pdata[i];
        g_autofree char *w = cli ? g_strdup("--memory-zone")
                                 : g_strdup_printf("memory.zones[%u]", i);

        if (!validate_zone(z, cli, w, error) ||
            !validate_zone_hotplug(&c->memory, z, cli, w, error))
            return false;
        for (guint j = 0; j < i; j++) {
            const MemoryZoneConfig *o = zones->pdata[j];

            if (strcmp(o->id, z->id) == 0)
                return nfail(error, w, "id '%s' is used by another zone",
                             z->id);
        }
        if (z->size > limit - MIN(limit, total))
            return nfail(error, w, "'%s': the zones do not fit in the "
                         "guest's physical address space (max_phys_bits)",
                         z->id);
        total += z->size;
    }
    /* The hotplug regions follow RAM, each on a 1 GiB boundary
     * (arch_hotplug_start()): bounded here the same way. */
    for (guint i = 0; i < zones->len; i++) {
        const MemoryZoneConfig *z = zones->pdata[i];
        uint64_t need = z->hotplug_size ? z->hotplug_size + (1ULL << 30) : 0;

        if (need > limit - MIN(limit, total))
            return nfail(error, cli ? "--memory-zone"
                                    : "memory.zones", "'%s': the zones and "
                         "their hotplug regions do not fit in the guest's "
                         "physical address space (max_phys_bits)", z->id);
        total += need;
    }
    /* The boot structures live below 1 MiB, in the first zone. */
    if (((const MemoryZoneConfig *)zones->pdata[0])->size < VM_CONFIG_MEMORY_MIN)
        return nfail(error, cli ? "--memory-zone" : "memory.zones[0]",
                     "the first zone is below the 1 MiB minimum (the boot "
                     "structures live below 1 MiB)");
    return true;
}

static bool
validate_node_cpus(const VmConfig *c, const NumaConfig *n, guint i,
                   const char *w, GError **error)
{
    for (guint j = 0; n->cpus && j < n->cpus->len; j++) {
        uint32_t cpu = g_array_index(n->cpus, uint32_t, j);

        if (cpu >= c->cpus.max_vcpus)
            return nfail(error, w, "node %u: vCPU %u does not exist "
                         "(max_vcpus=%u)", n->guest_numa_id, cpu,
                         c->cpus.max_vcpus);
        for (guint k = 0; k < j; k++) {
            if (g_array_index(n->cpus, uint32_t, k) == cpu)
                return nfail(error, w, "node %u: vCPU %u is listed twice",
                             n->guest_numa_id, cpu);
        }
        for (guint k = 0; k < i; k++) {
            const NumaConfig *o = c->numa->pdata[k];

            for (guint l = 0; o->cpus && l < o->cpus->len; l++) {
                if (g_array_index(o->cpus, uint32_t, l) == cpu)
                    return nfail(error, w, "vCPU %u is in nodes %u and %u",
                                 cpu, o->guest_numa_id, n->guest_numa_id);
            }
        }
    }
    return true;
}

static bool
node_exists(const VmConfig *c, uint32_t id)
{
    for (guint i = 0; i < c->numa->len; i++) {
        if (((const NumaConfig *)c->numa->pdata[i])->guest_numa_id == id)
            return true;
    }
    return false;
}

static bool
validate_node_distances(const VmConfig *c, const NumaConfig *n,
                        const char *w, GError **error)
{
    for (guint j = 0; n->distances && j < n->distances->len; j++) {
        const NumaDistance *d = n->distances->pdata[j];

        if (!node_exists(c, d->destination))
            return nfail(error, w, "node %u: distance to node %u, which "
                         "does not exist", n->guest_numa_id, d->destination);
        if (d->destination == n->guest_numa_id &&
            d->distance != VM_CONFIG_NUMA_DISTANCE_LOCAL)
            return nfail(error, w, "node %u: the distance to itself must be "
                         "%u (got %u)", n->guest_numa_id,
                         VM_CONFIG_NUMA_DISTANCE_LOCAL, d->distance);
        /* ACPI 6.5 §5.2.17: 0-9 are reserved, 10 means local. */
        if (d->destination != n->guest_numa_id &&
            d->distance <= VM_CONFIG_NUMA_DISTANCE_LOCAL)
            return nfail(error, w, "node %u: distance %u to node %u must be "
                         "above %u (the local distance)", n->guest_numa_id,
                         d->distance, d->destination,
                         VM_CONFIG_NUMA_DISTANCE_LOCAL);
        for (guint k = 0; k < j; k++) {
            const NumaDistance *o = n->distances->pdata[k];

            if (o->destination == d->destination)
                return nfail(error, w, "node %u: the distance to node %u is "
                             "given twice", n->guest_numa_id, d->destination);
        }
    }
    return true;
}

static bool
zone_exists(const VmConfig *c, const char *id)
{
    for (guint i = 0; c->memory.zones && i < c->memory.zones->len; i++) {
        if (strcmp(((const MemoryZoneConfig *)c->memory.zones->pdata[i])->id,
                   id) == 0)
            return true;
    }
    return false;
}

static bool
validate_node_zones(const VmConfig *c, const NumaConfig *n, guint i,
                    const char *w, GError **error)
{
    for (guint j = 0; n->memory_zones && n->memory_zones[j]; j++) {
        const char *id = n->memory_zones[j];

        if (!zone_exists(c, id))
            return nfail(error, w, "node %u: memory zone '%s' does not "
                         "exist", n->guest_numa_id, id);
        for (guint k = 0; k < j; k++) {
            if (strcmp(n->memory_zones[k], id) == 0)
                return nfail(error, w, "node %u: memory zone '%s' is listed "
                             "twice", n->guest_numa_id, id);
        }
        for (guint k = 0; k < i; k++) {
            const NumaConfig *o = c->numa->pdata[k];

            if (o->memory_zones &&
                g_strv_contains((const char *const *)o->memory_zones, id))
                return nfail(error, w, "memory zone '%s' is in nodes %u and "
                             "%u", id, o->guest_numa_id, n->guest_numa_id);
        }
    }
    return true;
}

bool
vm_config_validate_numa(const VmConfig *c, VmConfigNames names,
                        GError **error)
{
    bool cli = names == VM_CONFIG_NAMES_CLI;

    if (!c->numa || c->numa->len == 0)
        return true;
    for (guint i = 0; i < c->numa->len; i++) {
        const NumaConfig *n = c->numa->pdata[i];
        g_autofree char *w = cli ? g_strdup("--numa")
                                 : g_strdup_printf("numa[%u]", i);

        for (guint k = 0; k < i; k++) {
            if (((const NumaConfig *)c->numa->pdata[k])->guest_numa_id ==
                n->guest_numa_id)
                return nfail(error, w, "guest_numa_id %u is given twice",
                             n->guest_numa_id);
        }
        if (!validate_node_cpus(c, n, i, w, error) ||
            !validate_node_distances(c, n, w, error) ||
            !validate_node_zones(c, n, i, w, error))
            return false;
    }
    /* Linux turns NUMA off when the SRAT leaves RAM out
     * (numa_meminfo_cover_memory()): the guest would silently see one
     * node.  So RAM must be zones, each in a node. */
    if (!c->memory.zones || c->memory.zones->len == 0)
        return nfail(error, cli ? "--numa" : "numa", "guest NUMA nodes need "
                     "memory zones (%s) for their memory",
                     cli ? "--memory-zone" : "memory.zones");
    for (guint i = 0; i < c->memory.zones->len; i++) {
        const MemoryZoneConfig *z = c->memory.zones->pdata[i];

        if (!vm_config_numa_of_zone(c, z->id))
            return nfail(error, cli ? "--numa" : "numa", "memory zone '%s' "
                         "is in no node: with NUMA nodes every zone must "
                         "be in one", z->id);
    }
    return true;
}

bool
vm_config_check_host_zones(const VmConfig *c, VmConfigNames names,
                           GError **error)
{
    bool cli = names == VM_CONFIG_NAMES_CLI;

    for (guint i = 0; c->memory.zones && i < c->memory.zones->len; i++) {
        const MemoryZoneConfig *z = c->memory.zones->pdata[i];
        g_autofree char *node = NULL;
        g_autofree char *w = NULL;

        if (z->host_numa_node < 0)
            continue;
        /* mbind() with a node the host lacks fails only when the zone is
         * mapped: said here, in the config's words. */
        node = g_strdup_printf("/sys/devices/system/node/node%d",
                               z->host_numa_node);
        if (g_file_test(node, G_FILE_TEST_IS_DIR))
            continue;
        w = cli ? g_strdup("--memory-zone")
                : g_strdup_printf("memory.zones[%u]", i);
        return nfail(error, w, "'%s': host_numa_node=%d: the host has no "
                     "such NUMA node", z->id, z->host_numa_node);
    }
    return true;
}
