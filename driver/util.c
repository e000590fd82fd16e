/* SPDX-License-Identifier: Apache-2.0 */
/* Small helpers of nimbusd: untrusted-JSON accessors, /proc readers. */
#include <config.h>

#include <string.h>
#include <unistd.h>

#include "driver/util.h"

static JsonNode *
drv_json_value(JsonObject *o, const char *name, GType type)
{
    JsonNode *n;

    if (!o || !(n = json_object_get_member(o, name)))
        return NULL;
    if (!JSON_NODE_HOLDS_VALUE(n) || json_node_get_value_type(n) != type)
        return NULL;
    return n;
}

const char *
drv_json_string(JsonObject *o, const char *name)
{
    JsonNode *n = drv_json_value(o, name, G_TYPE_STRING);

    return n ? json_node_get_string(n) : NULL;
}

bool
drv_json_int(JsonObject *o, const char *name, gint64 *out)
{
    JsonNode *n = drv_json_value(o, name, G_TYPE_INT64);

    if (!n)
        return false;
    *out = json_node_get_int(n);
    return true;
}

bool
drv_json_bool(JsonObject *o, const char *name, bool dflt)
{
    JsonNode *n = drv_json_value(o, name, G_TYPE_BOOLEAN);

    return n ? json_node_get_boolean(n) : dflt;
}

JsonObject *
drv_json_object(JsonObject *o, const char *name)
{
    JsonNode *n;

    if (!o || !(n = json_object_get_member(o, name)) || !JSON_NODE_HOLDS_OBJECT(n))
        return NULL;
    return json_node_get_object(n);
}

/* The fields of /proc/<pid>/stat from field 3 (state) on, or NULL. */
static GStrv
drv_proc_stat_fields(pid_t pid)
{
    g_autofree char *path = g_strdup_printf("/proc/%d/stat", (int)pid);
    g_autofree char *text = NULL;
    g_auto(GStrv) fields = NULL;
    const char *rest;

    if (pid <= 0 || !g_file_get_contents(path, &text, NULL, NULL))
        return NULL;
    /* "pid (comm) state ppid ...": comm may hold spaces and parentheses,
     * so the fields start after the last ')'. */
    rest = strrchr(text, ')');
    if (!rest || !rest[1])
        return NULL;
    fields = g_strsplit(rest + 2, " ", -1);
    /* fields[0] is field 3 (state): utime = 14, stime = 15, starttime = 22. */
    if (g_strv_length(fields) < 20)
        return NULL;
    return g_steal_pointer(&fields);
}

static uint64_t
drv_ticks_to_ns(const char *ticks)
{
    long hz = sysconf(_SC_CLK_TCK);

    return g_ascii_strtoull(ticks, NULL, 10) *
           (1000000000ull / (uint64_t)(hz > 0 ? hz : 100));
}

bool
drv_proc_stat(pid_t pid, uint64_t *start_ticks, uint64_t *cpu_ns)
{
    g_auto(GStrv) fields = drv_proc_stat_fields(pid);

    if (!fields)
        return false;
    if (start_ticks)
        *start_ticks = g_ascii_strtoull(fields[19], NULL, 10);
    if (cpu_ns)
        *cpu_ns = drv_ticks_to_ns(fields[11]) + drv_ticks_to_ns(fields[12]);
    return true;
}

bool
drv_proc_cpu_times(pid_t pid, uint64_t *user_ns, uint64_t *system_ns)
{
    g_auto(GStrv) fields = drv_proc_stat_fields(pid);

    if (!fields)
        return false;
    *user_ns = drv_ticks_to_ns(fields[11]);
    *system_ns = drv_ticks_to_ns(fields[12]);
    return true;
}

bool
drv_proc_rss_kib(pid_t pid, uint64_t *kib)
{
    g_autofree char *path = g_strdup_printf("/proc/%d/statm", (int)pid);
    g_autofree char *text = NULL;
    g_auto(GStrv) fields = NULL;

    if (pid <= 0 || !g_file_get_contents(path, &text, NULL, NULL))
        return false;
    /* statm: size resident shared ... in pages (proc(5)). */
    fields = g_strsplit(g_strstrip(text), " ", -1);
    if (g_strv_length(fields) < 2)
        return false;
    *kib = g_ascii_strtoull(fields[1], NULL, 10) *
           (uint64_t)(sysconf(_SC_PAGESIZE) / 1024);
    return true;
}
