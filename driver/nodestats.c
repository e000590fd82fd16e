/* SPDX-License-Identifier: Apache-2.0 */
/* Host CPU map, CPU/memory statistics and SMBIOS sysinfo, from /proc and /sys. */
#include <config.h>

#include <string.h>
#include <unistd.h>

#include "driver/drv-error.h"
#include "driver/nodeinfo.h"
#include "driver/nodestats.h"

static char *
drv_stats_read(const char *root, const char *rel)
{
    g_autofree char *path = g_build_filename(root, rel, NULL);
    char *text = NULL;

    if (!g_file_get_contents(path, &text, NULL, NULL))
        return NULL;
    return g_strstrip(text);
}

/* For messages: "/proc/stat", not "//proc/stat". */
static char *
drv_stats_path(const char *root, const char *rel)
{
    return g_build_filename(root, rel, NULL);
}

GByteArray *
drv_node_cpu_map_new(const char *root, int *ncpus, unsigned int *online,
                     GError **error)
{
    g_autofree char *present_text = drv_stats_read(root, "sys/devices/system/cpu/present");
    g_autofree char *online_text = drv_stats_read(root, "sys/devices/system/cpu/online");
    g_autoptr(GArray) present = present_text ? drv_parse_cpulist(present_text) : NULL;
    g_autoptr(GArray) up = online_text ? drv_parse_cpulist(online_text) : NULL;
    g_autoptr(GByteArray) map = NULL;
    int max = -1;

    if (!present || !up || present->len == 0) {
        g_autofree char *dir = g_build_filename(root, "sys/devices/system/cpu", NULL);

        g_set_error(error, DRV_ERROR, DRV_ERROR_SYSTEM_ERROR,
                    "cannot read the present and online CPU lists under '%s'", dir);
        return NULL;
    }
    /* libvirt's map covers every possible id up to the highest present
     * one (virHostCPUGetCount), so offline CPUs show as 0 bits. */
    for (guint i = 0; i < present->len; i++)
        max = MAX(max, g_array_index(present, int, i));
    map = g_byte_array_sized_new((guint)(max / 8 + 1));
    g_byte_array_set_size(map, (guint)(max / 8 + 1));
    memset(map->data, 0, map->len);
    *online = 0;
    for (guint i = 0; i < up->len; i++) {
        int id = g_array_index(up, int, i);

        if (id > max || (map->data[id / 8] & (1u << (id % 8))))
            continue;
        map->data[id / 8] |= (guint8)(1u << (id % 8));
        (*online)++;
    }
    *ncpus = max + 1;
    return g_steal_pointer(&map);
}

bool
drv_node_cpu_stats(const char *root, int cpu, DrvNodeStat *stats, GError **error)
{
    g_autofree char *text = drv_stats_read(root, "proc/stat");
    g_autofree char *want = cpu == DRV_NODE_STATS_ALL ?
                            g_strdup("cpu") : g_strdup_printf("cpu%d", cpu);
    g_auto(GStrv) lines = NULL;
    /* proc/stat counts in USER_HZ ticks (proc(5)). */
    uint64_t tick_ns = 1000000000ull / (uint64_t)sysconf(_SC_CLK_TCK);

    if (!text) {
        g_autofree char *path = drv_stats_path(root, "proc/stat");

        g_set_error(error, DRV_ERROR, DRV_ERROR_SYSTEM_ERROR,
                    "cannot read '%s'", path);
        return false;
    }
    lines = g_strsplit(text, "\n", -1);
    for (char **l = lines; *l; l++) {
        g_auto(GStrv) f = g_strsplit_set(*l, " ", -1);
        uint64_t v[8] = { 0 };
        guint n = 0;

        if (!f[0] || strcmp(f[0], want) != 0)
            continue;
        /* user nice system idle iowait irq softirq steal */
        for (char **p = f + 1; *p && n < G_N_ELEMENTS(v); p++) {
            if (**p)
                v[n++] = g_ascii_strtoull(*p, NULL, 10);
        }
        if (n < 7)
            break;
        /* The sums libvirt's Linux driver reports (virhostcpu.c). */
        stats[0] = (DrvNodeStat){ "kernel", (v[2] + v[5] + v[6]) * tick_ns };
        stats[1] = (DrvNodeStat){ "user", (v[0] + v[1]) * tick_ns };
        stats[2] = (DrvNodeStat){ "idle", v[3] * tick_ns };
        stats[3] = (DrvNodeStat){ "iowait", v[4] * tick_ns };
        return true;
    }
    g_set_error(error, DRV_ERROR, DRV_ERROR_INVALID_ARG,
                "Invalid cpuNum %d: no such CPU in /proc/stat", cpu);
    return false;
}

int
drv_node_memory_stats(const char *root, int cell, DrvNodeStat *stats,
                      GError **error)
{
    static const struct {
        const char *key;
        const char *field;
    } keys[DRV_NODE_MEMORY_STATS_COUNT] = {
        { "MemTotal", "total" }, { "MemFree", "free" },
        { "Buffers", "buffers" }, { "Cached", "cached" },
    };
    g_autofree char *rel = cell == DRV_NODE_STATS_ALL ? g_strdup("proc/meminfo") :
        g_strdup_printf("sys/devices/system/node/node%d/meminfo", cell);
    g_autofree char *text = cell < DRV_NODE_STATS_ALL ? NULL : drv_stats_read(root, rel);
    g_autofree char *path = drv_stats_path(root, rel);
    int n = 0;

    if (!text) {
        g_set_error(error, DRV_ERROR, DRV_ERROR_INVALID_ARG,
                    "Invalid cellNum %d: cannot read '%s'", cell, path);
        return -1;
    }
    for (guint i = 0; i < G_N_ELEMENTS(keys); i++) {
        uint64_t kib;

        if (drv_meminfo_value(text, keys[i].key, &kib))
            stats[n++] = (DrvNodeStat){ keys[i].field, kib };
    }
    if (n < 2) {
        g_set_error(error, DRV_ERROR, DRV_ERROR_SYSTEM_ERROR,
                    "no MemTotal/MemFree in '%s'", path);
        return -1;
    }
    return n;
}

/* An <entry> from one sys/class/dmi/id file, skipped when unreadable
 * (serial numbers and the uuid are root-only). */
static void
drv_sysinfo_entry(GString *x, const char *root, const char *file,
                  const char *name, bool *any)
{
    g_autofree char *rel = g_build_filename("sys/class/dmi/id", file, NULL);
    g_autofree char *v = drv_stats_read(root, rel);
    g_autofree char *esc = NULL;

    if (!v || !*v)
        return;
    esc = g_markup_escape_text(v, -1);
    g_string_append_printf(x, "    <entry name='%s'>%s</entry>\n", name, esc);
    *any = true;
}

char *
drv_node_sysinfo_format(const char *root, GError **error)
{
    static const struct {
        const char *file;
        const char *name;
    } bios[] = {
        { "bios_vendor", "vendor" }, { "bios_version", "version" },
        { "bios_date", "date" }, { "bios_release", "release" },
    }, sys[] = {
        { "sys_vendor", "manufacturer" }, { "product_name", "product" },
        { "product_version", "version" }, { "product_serial", "serial" },
        { "product_uuid", "uuid" }, { "product_sku", "sku" },
        { "product_family", "family" },
    };
    g_autoptr(GString) x = g_string_new("<sysinfo type='smbios'>\n");
    bool any = false;
    gsize mark;

    mark = x->len;
    g_string_append(x, "  <bios>\n");
    for (guint i = 0; i < G_N_ELEMENTS(bios); i++)
        drv_sysinfo_entry(x, root, bios[i].file, bios[i].name, &any);
    if (any)
        g_string_append(x, "  </bios>\n");
    else
        g_string_truncate(x, mark);
    mark = x->len;
    g_string_append(x, "  <system>\n");
    any = false;
    for (guint i = 0; i < G_N_ELEMENTS(sys); i++)
        drv_sysinfo_entry(x, root, sys[i].file, sys[i].name, &any);
    if (any)
        g_string_append(x, "  </system>\n");
    else
        g_string_truncate(x, mark);
    if (x->len == strlen("<sysinfo type='smbios'>\n")) {
        g_autofree char *dir = drv_stats_path(root, "sys/class/dmi/id");

        /* libvirt's own answer on hosts without DMI (virsysinfo.c). */
        g_set_error(error, DRV_ERROR, DRV_ERROR_CONFIG_UNSUPPORTED,
                    "Host SMBIOS information is not available ('%s' is missing or unreadable)",
                    dir);
        return NULL;
    }
    g_string_append(x, "</sysinfo>\n");
    return g_string_free(g_steal_pointer(&x), FALSE);
}
