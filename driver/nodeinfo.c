/* SPDX-License-Identifier: Apache-2.0 */
/* Host facts from /proc and /sys: CPU topology, NUMA cells, memory. */
#include <config.h>

#include <string.h>
#include <sys/utsname.h>
#include <gio/gio.h>

#include "driver/nodeinfo.h"

/* Sanity bound on ids read from sysfs. */
#define DRV_NODE_MAX_ID 65536

GArray *
drv_parse_cpulist(const char *text)
{
    g_autoptr(GArray) ids = g_array_new(FALSE, FALSE, sizeof(int));
    g_auto(GStrv) parts = g_strsplit(text, ",", -1);

    for (char **p = parts; *p; p++) {
        char *item = g_strstrip(*p);
        char *end = NULL;
        guint64 lo, hi;

        if (!*item)
            continue;
        lo = g_ascii_strtoull(item, &end, 10);
        if (end == item)
            return NULL;
        hi = lo;
        if (*end == '-') {
            char *start = end + 1;

            hi = g_ascii_strtoull(start, &end, 10);
            if (end == start)
                return NULL;
        }
        if (*end || hi < lo || hi >= DRV_NODE_MAX_ID)
            return NULL;
        for (guint64 i = lo; i <= hi; i++) {
            int v = (int)i;

            g_array_append_val(ids, v);
        }
    }
    return g_steal_pointer(&ids);
}

static char *
drv_read_file(const char *root, const char *rel)
{
    g_autofree char *path = g_build_filename(root, rel, NULL);
    char *text = NULL;

    if (!g_file_get_contents(path, &text, NULL, NULL))
        return NULL;
    return g_strstrip(text);
}

static int
drv_read_int(const char *root, const char *rel, int dflt)
{
    g_autofree char *text = drv_read_file(root, rel);
    gint64 v;

    if (!text || !g_ascii_string_to_signed(text, 10, -1, DRV_NODE_MAX_ID, &v, NULL))
        return dflt;
    return (int)v;
}

bool
drv_meminfo_value(const char *text, const char *key, uint64_t *kib)
{
    g_auto(GStrv) lines = g_strsplit(text, "\n", -1);

    for (char **l = lines; *l; l++) {
        const char *p = strstr(*l, key);

        if (!p || p[strlen(key)] != ':')
            continue;
        *kib = g_ascii_strtoull(p + strlen(key) + 1, NULL, 10);
        return true;
    }
    return false;
}

static void
drv_host_cpu_free(DrvHostCpu *cpu)
{
    g_free(cpu->siblings);
    g_free(cpu);
}

static void
drv_numa_cell_free(DrvNumaCell *cell)
{
    g_ptr_array_unref(cell->cpus);
    g_free(cell);
}

void
drv_node_info_free(DrvNodeInfo *info)
{
    if (!info)
        return;
    g_free(info->vendor);
    if (info->cells)
        g_ptr_array_unref(info->cells);
    g_free(info);
}

/* Missing topology files (some hypervisors hide them) read as socket 0,
 * die 0, core = cpu id, no siblings: a flat but valid description. */
static DrvHostCpu *
drv_host_cpu_read(const char *root, int id)
{
    DrvHostCpu *cpu = g_new0(DrvHostCpu, 1);
    g_autofree char *base = g_strdup_printf("sys/devices/system/cpu/cpu%d/topology", id);
    g_autofree char *pkg = g_build_filename(base, "physical_package_id", NULL);
    g_autofree char *die = g_build_filename(base, "die_id", NULL);
    g_autofree char *core = g_build_filename(base, "core_id", NULL);
    g_autofree char *sib = g_build_filename(base, "thread_siblings_list", NULL);

    cpu->id = id;
    cpu->socket_id = MAX(drv_read_int(root, pkg, 0), 0);
    cpu->die_id = MAX(drv_read_int(root, die, 0), 0);
    cpu->core_id = MAX(drv_read_int(root, core, id), 0);
    cpu->siblings = drv_read_file(root, sib);
    if (!cpu->siblings)
        cpu->siblings = g_strdup_printf("%d", id);
    return cpu;
}

/* NUMA cells from /sys/devices/system/node; one cell holding everything
 * on kernels built without NUMA. */
static GPtrArray *
drv_node_read_cells(const char *root, GArray *online, uint64_t total_kib)
{
    GPtrArray *cells = g_ptr_array_new_with_free_func((GDestroyNotify)drv_numa_cell_free);
    g_autofree char *nodes_text = drv_read_file(root, "sys/devices/system/node/online");
    g_autoptr(GArray) nodes = nodes_text ? drv_parse_cpulist(nodes_text) : NULL;

    for (guint n = 0; nodes && n < nodes->len; n++) {
        int nid = g_array_index(nodes, int, n);
        DrvNumaCell *cell = g_new0(DrvNumaCell, 1);
        g_autofree char *rel = g_strdup_printf("sys/devices/system/node/node%d/cpulist", nid);
        g_autofree char *mrel = g_strdup_printf("sys/devices/system/node/node%d/meminfo", nid);
        g_autofree char *list = drv_read_file(root, rel);
        g_autofree char *mem = drv_read_file(root, mrel);
        g_autoptr(GArray) ids = list ? drv_parse_cpulist(list) : NULL;

        cell->id = nid;
        cell->cpus = g_ptr_array_new_with_free_func((GDestroyNotify)drv_host_cpu_free);
        if (!mem || !drv_meminfo_value(mem, "MemTotal", &cell->memory_kib))
            cell->memory_kib = 0;
        for (guint i = 0; ids && i < ids->len; i++)
            g_ptr_array_add(cell->cpus, drv_host_cpu_read(root, g_array_index(ids, int, i)));
        g_ptr_array_add(cells, cell);
    }
    if (cells->len == 0) {
        DrvNumaCell *cell = g_new0(DrvNumaCell, 1);

        cell->memory_kib = total_kib;
        cell->cpus = g_ptr_array_new_with_free_func((GDestroyNotify)drv_host_cpu_free);
        for (guint i = 0; i < online->len; i++)
            g_ptr_array_add(cell->cpus, drv_host_cpu_read(root, g_array_index(online, int, i)));
        g_ptr_array_add(cells, cell);
    }
    return cells;
}

/* The first "key : value" of /proc/cpuinfo (transfer full). */
static char *
drv_cpuinfo_value(const char *cpuinfo, const char *key)
{
    g_auto(GStrv) lines = g_strsplit(cpuinfo, "\n", -1);

    for (char **l = lines; *l; l++) {
        char *colon = strchr(*l, ':');
        g_autofree char *k = NULL;

        if (!colon)
            continue;
        k = g_strstrip(g_strndup(*l, (gsize)(colon - *l)));
        if (g_str_equal(k, key))
            return g_strstrip(g_strdup(colon + 1));
    }
    return NULL;
}

DrvNodeInfo *
drv_node_info_new(const char *root, GError **error)
{
    g_autoptr(DrvNodeInfo) info = g_new0(DrvNodeInfo, 1);
    g_autofree char *online_text = drv_read_file(root, "sys/devices/system/cpu/online");
    g_autofree char *meminfo = drv_read_file(root, "proc/meminfo");
    g_autofree char *cpuinfo = drv_read_file(root, "proc/cpuinfo");
    g_autofree char *mhz = NULL;
    g_autofree char *vendor = NULL;
    g_autoptr(GArray) online = online_text ? drv_parse_cpulist(online_text) : NULL;
    g_autoptr(GHashTable) sockets = g_hash_table_new(g_direct_hash, g_direct_equal);
    g_autoptr(GHashTable) cores = g_hash_table_new(g_direct_hash, g_direct_equal);
    struct utsname uts;
    int max_threads = 1;

    if (!online || online->len == 0 || !meminfo ||
        !drv_meminfo_value(meminfo, "MemTotal", &info->memory_kib)) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_FAILED,
                    "cannot read the host CPUs and memory under '%s' (sys/devices/system/cpu/online, proc/meminfo)",
                    root);
        return NULL;
    }
    uname(&uts);
    g_strlcpy(info->model, uts.machine, sizeof(info->model));
    info->cpus = (int)online->len;
    info->cells = drv_node_read_cells(root, online, info->memory_kib);
    info->nodes = (int)info->cells->len;

    for (guint c = 0; c < info->cells->len; c++) {
        DrvNumaCell *cell = g_ptr_array_index(info->cells, c);

        for (guint i = 0; i < cell->cpus->len; i++) {
            DrvHostCpu *cpu = g_ptr_array_index(cell->cpus, i);
            g_autoptr(GArray) sib = drv_parse_cpulist(cpu->siblings);
            /* (socket, core) packed in one key: both are small */
            int key = cpu->socket_id * 65536 + cpu->core_id;

            g_hash_table_add(sockets, GINT_TO_POINTER(cpu->socket_id + 1));
            g_hash_table_add(cores, GINT_TO_POINTER(key + 1));
            if (sib)
                max_threads = MAX(max_threads, (int)sib->len);
        }
    }
    info->threads = max_threads;
    info->sockets = MAX(1, (int)g_hash_table_size(sockets) / MAX(info->nodes, 1));
    info->cores = MAX(1, (int)g_hash_table_size(cores) /
                         MAX((int)g_hash_table_size(sockets), 1));
    /* libvirt's rule: a topology that does not multiply out to the CPU
     * count is reported flat, so that tools can trust the product. */
    if (info->nodes * info->sockets * info->cores * info->threads != info->cpus) {
        info->nodes = 1;
        info->sockets = 1;
        info->cores = info->cpus;
        info->threads = 1;
    }
    if (cpuinfo) {
        mhz = drv_cpuinfo_value(cpuinfo, "cpu MHz");
        vendor = drv_cpuinfo_value(cpuinfo, "vendor_id");
    }
    info->mhz = mhz ? (int)g_ascii_strtod(mhz, NULL) : 0;
    if (vendor && g_str_equal(vendor, "GenuineIntel"))
        info->vendor = g_strdup("Intel");
    else if (vendor && g_str_equal(vendor, "AuthenticAMD"))
        info->vendor = g_strdup("AMD");
    else
        info->vendor = g_steal_pointer(&vendor);
    return g_steal_pointer(&info);
}

bool
drv_node_free_memory(const char *root, uint64_t *bytes, GError **error)
{
    g_autofree char *meminfo = drv_read_file(root, "proc/meminfo");
    uint64_t kib;

    if (!meminfo || !drv_meminfo_value(meminfo, "MemFree", &kib)) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_FAILED,
                    "cannot read MemFree from '%s/proc/meminfo'", root);
        return false;
    }
    *bytes = kib * 1024;
    return true;
}
