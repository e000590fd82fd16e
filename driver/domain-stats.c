/* SPDX-License-Identifier: Apache-2.0 */
/* Domain statistics from vm.counters and /proc (blockStats ... virsh domstats). */
#include <config.h>

#include <string.h>

#include "driver/domain-stats.h"
#include "driver/monitor.h"
#include "driver/process.h"
#include "driver/util.h"
#include "driver/xml/domain-conf.h"
#include "driver/xml/memory-xml.h"

/*
 * What nimbus can tell: its REST vm.counters has per-device counters
 * (virtio-blk: {read,write}_{bytes,ops,latency_*}; virtio-net:
 * {rx,tx}_{bytes,frames}) under the device ids the VmConfig gave them;
 * /proc has the VMM process's CPU time and resident memory.  Error and
 * drop counts are not kept by nimbus and are reported as -1 (unknown),
 * libvirt's convention.  With a virtio <memballoon>, the balloon's
 * counters (vm.counters "__balloon") give the guest's statistics and
 * "actual balloon"; without one, the guest has its <currentMemory>.
 */

/* What the stats need of a domain, copied under its lock so that the REST
 * call runs without it. */
typedef struct {
    bool active;
    int state;
    int reason;
    pid_t pid;
    char *api_socket;
    uint64_t max_mem_kib;
    uint64_t guest_mem_kib;     /* RAM the guest has, balloon aside */
    uint64_t cur_mem_kib;
    unsigned int vcpus;
    unsigned int max_vcpus;
    GPtrArray *disks;           /* DomainDevRef* */
    GPtrArray *nets;            /* DomainDevRef* */
    bool balloon;               /* a virtio memballoon */
} DrvDomainSnap;

static void
drv_domain_snap_clear(DrvDomainSnap *s)
{
    g_clear_pointer(&s->api_socket, g_free);
    g_clear_pointer(&s->disks, g_ptr_array_unref);
    g_clear_pointer(&s->nets, g_ptr_array_unref);
}

static bool
drv_domain_snap(DrvDomainObj *obj, DrvDomainSnap *s, GError **error)
{
    const DomainDef *def;

    memset(s, 0, sizeof(*s));
    drv_domain_obj_lock(obj);
    def = drv_domain_obj_current_def_checked(obj, error);
    if (def) {
        s->active = drv_domain_obj_is_active(obj) && obj->proc;
        s->state = obj->state;
        s->reason = obj->reason;
        s->pid = obj->proc ? obj->proc->pid : 0;
        s->api_socket = obj->proc ? g_strdup(obj->proc->api_socket) : NULL;
        s->max_mem_kib = def->max_memory_kib;
        s->cur_mem_kib = def->current_memory_kib;
        s->guest_mem_kib = domain_def_memory_guest_kib(def);
        s->vcpus = def->vcpus;
        s->max_vcpus = def->max_vcpus;
        s->disks = domain_def_disk_refs(def);
        s->nets = domain_def_net_refs(def);
        s->balloon = domain_def_has_balloon(def);
    }
    drv_domain_obj_unlock(obj);
    return def != NULL;
}

static bool
drv_domain_snap_active(DrvDomainObj *obj, DrvDomainSnap *s, GError **error)
{
    if (!drv_domain_snap(obj, s, error))
        return false;
    if (!s->active) {
        drv_domain_snap_clear(s);
        drv_domain_set_error_not_running(error);
        return false;
    }
    return true;
}

/* The counters object of device @id from vm.counters (transfer none of
 * @all), or NULL when the VMM has none for it. */
static JsonObject *
drv_counters_of(JsonNode *all, const char *id)
{
    return JSON_NODE_HOLDS_OBJECT(all) ?
           drv_json_object(json_node_get_object(all), id) : NULL;
}

static int64_t
drv_counter(JsonObject *o, const char *name)
{
    gint64 v;

    return o && drv_json_int(o, name, &v) && v >= 0 ? v : -1;
}

/* A sum of counters: unknown (-1) once any part is. */
static void
drv_counter_add(int64_t *sum, int64_t v)
{
    *sum = *sum < 0 || v < 0 ? -1 : *sum + v;
}

static const DomainDevRef *
drv_find_disk(GPtrArray *disks, const char *path)
{
    for (guint i = 0; i < disks->len; i++) {
        const DomainDevRef *r = g_ptr_array_index(disks, i);

        /* libvirt's virDomainDiskByName: target, or the source path (a
         * vhost-user disk's is its socket). */
        if (g_strcmp0(r->name, path) == 0 || g_strcmp0(r->path, path) == 0 ||
            g_strcmp0(r->socket, path) == 0)
            return r;
    }
    return NULL;
}

static const DomainDevRef *
drv_find_net(GPtrArray *nets, const char *device)
{
    for (guint i = 0; i < nets->len; i++) {
        const DomainDevRef *r = g_ptr_array_index(nets, i);

        if (g_strcmp0(r->name, device) == 0 ||
            g_ascii_strcasecmp(r->mac, device) == 0)
            return r;
    }
    return NULL;
}

static void
drv_fill_block(JsonObject *c, DrvBlockStats *st)
{
    st->rd_req = drv_counter(c, "read_ops");
    st->rd_bytes = drv_counter(c, "read_bytes");
    st->wr_req = drv_counter(c, "write_ops");
    st->wr_bytes = drv_counter(c, "write_bytes");
    st->errs = -1;
}

static void
drv_fill_net(JsonObject *c, DrvInterfaceStats *st)
{
    st->rx_bytes = drv_counter(c, "rx_bytes");
    st->rx_packets = drv_counter(c, "rx_frames");
    st->tx_bytes = drv_counter(c, "tx_bytes");
    st->tx_packets = drv_counter(c, "tx_frames");
    st->rx_errs = st->rx_drop = st->tx_errs = st->tx_drop = -1;
}

bool
drv_domain_block_stats(DrvDomainObj *obj, const char *path, DrvBlockStats *stats,
                       GError **error)
{
    DrvDomainSnap s;
    g_autoptr(JsonNode) all = NULL;
    const DomainDevRef *disk = NULL;
    bool ok = false;

    if (!drv_domain_snap_active(obj, &s, error))
        return false;
    /* An empty path (virsh domblkstat with no device) sums every disk,
     * as libvirt's QEMU driver does. */
    if (*path && !(disk = drv_find_disk(s.disks, path))) {
        g_set_error(error, DRV_ERROR, DRV_ERROR_INVALID_ARG,
                    "invalid path: '%s' is not a disk of domain '%s'", path, obj->name);
    } else if ((all = drv_monitor_get(s.api_socket, "vm.counters", error))) {
        if (*path) {
            drv_fill_block(drv_counters_of(all, disk->id), stats);
        } else {
            memset(stats, 0, sizeof(*stats));
            for (guint i = 0; i < s.disks->len; i++) {
                const DomainDevRef *d = g_ptr_array_index(s.disks, i);
                DrvBlockStats one;

                drv_fill_block(drv_counters_of(all, d->id), &one);
                drv_counter_add(&stats->rd_req, one.rd_req);
                drv_counter_add(&stats->rd_bytes, one.rd_bytes);
                drv_counter_add(&stats->wr_req, one.wr_req);
                drv_counter_add(&stats->wr_bytes, one.wr_bytes);
            }
            stats->errs = -1;
        }
        ok = true;
    }
    drv_domain_snap_clear(&s);
    return ok;
}

bool
drv_domain_interface_stats(DrvDomainObj *obj, const char *device,
                           DrvInterfaceStats *stats, GError **error)
{
    DrvDomainSnap s;
    g_autoptr(JsonNode) all = NULL;
    const DomainDevRef *net;
    bool ok = false;

    if (!drv_domain_snap_active(obj, &s, error))
        return false;
    if (!(net = drv_find_net(s.nets, device))) {
        g_set_error(error, DRV_ERROR, DRV_ERROR_INVALID_ARG,
                    "invalid path, '%s' is not a known interface of domain '%s'",
                    device, obj->name);
    } else if ((all = drv_monitor_get(s.api_socket, "vm.counters", error))) {
        drv_fill_net(drv_counters_of(all, net->id), stats);
        ok = true;
    }
    drv_domain_snap_clear(&s);
    return ok;
}

int
drv_domain_memory_stats(DrvDomainObj *obj, DrvMemoryStat *stats, int max,
                        GError **error)
{
    /* The balloon's counters (devices/virtio/balloon.c: Linux's names,
     * in bytes) by libvirt tag, scaled as libvirt's QEMU driver does. */
    static const struct {
        const char *counter;
        int tag;
        unsigned div;
    } guest[] = {
        { "swap_in", 0, 1024 }, { "swap_out", 1, 1024 },
        { "major_faults", 2, 1 }, { "minor_faults", 3, 1 },
        { "free_memory", 4, 1024 }, { "total_memory", 5, 1024 },
        { "available_memory", 8, 1024 }, { "disk_caches", 10, 1024 },
        { "hugetlb_allocations", 11, 1 }, { "hugetlb_failures", 12, 1 },
    };
    DrvDomainSnap s;
    g_autoptr(JsonNode) all = NULL;
    JsonObject *balloon = NULL;
    uint64_t rss = 0, cur = 0;
    int n = 0;

    if (!drv_domain_snap_active(obj, &s, error))
        return -1;
    /* Asking also has the balloon hand its statistics buffer back, so the
     * next call sees what the guest says then (libvirt's period). */
    if (s.balloon && (all = drv_monitor_get(s.api_socket, "vm.counters", NULL)))
        balloon = drv_counters_of(all, "__balloon");
    for (guint i = 0; balloon && i < G_N_ELEMENTS(guest); i++) {
        int64_t v = drv_counter(balloon, guest[i].counter);

        if (v >= 0 && n < max)
            stats[n++] = (DrvMemoryStat){ guest[i].tag,
                                          (uint64_t)v / guest[i].div };
    }
    /* What the guest has less what the balloon holds; with virtio-mem
     * that is what the guest plugged, not the region <memory> counts
     * (libvirt adds the device's current size to the balloon's). */
    cur = s.cur_mem_kib;
    if (balloon && drv_counter(balloon, "actual_bytes") >= 0)
        cur = s.guest_mem_kib - MIN(s.guest_mem_kib, (uint64_t)drv_counter(
                  balloon, "actual_bytes") / 1024);
    if (n < max)
        stats[n++] = (DrvMemoryStat){ DRV_MEMORY_STAT_ACTUAL_BALLOON, cur };
    if (n < max && drv_proc_rss_kib(s.pid, &rss))
        stats[n++] = (DrvMemoryStat){ DRV_MEMORY_STAT_RSS, rss };
    drv_domain_snap_clear(&s);
    return n;
}

bool
drv_domain_cpu_times(DrvDomainObj *obj, uint64_t *total, uint64_t *user,
                     uint64_t *system, GError **error)
{
    DrvDomainSnap s;
    bool ok;

    if (!drv_domain_snap_active(obj, &s, error))
        return false;
    ok = drv_proc_cpu_times(s.pid, user, system);
    if (ok) {
        *total = *user + *system;
    } else {
        g_set_error(error, DRV_ERROR, DRV_ERROR_OPERATION_INVALID,
                    "domain '%s' is not running (its nimbus process is gone)",
                    obj->name);
    }
    drv_domain_snap_clear(&s);
    return ok;
}

/* ---- virsh domstats records ------------------------------------------------ */

static void
drv_typed_param_free(DrvTypedParam *p)
{
    g_free(p->field);
    g_free(p->str);
    g_free(p);
}

static void
drv_param_uint(GPtrArray *r, DrvParamType type, uint64_t v, const char *fmt, ...)
    G_GNUC_PRINTF(4, 5);

static void
drv_param_uint(GPtrArray *r, DrvParamType type, uint64_t v, const char *fmt, ...)
{
    DrvTypedParam *p = g_new0(DrvTypedParam, 1);
    va_list ap;

    va_start(ap, fmt);
    p->field = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    p->type = type;
    p->value = v;
    g_ptr_array_add(r, p);
}

static void
drv_param_str(GPtrArray *r, const char *s, const char *fmt, ...)
    G_GNUC_PRINTF(3, 4);

static void
drv_param_str(GPtrArray *r, const char *s, const char *fmt, ...)
{
    DrvTypedParam *p = g_new0(DrvTypedParam, 1);
    va_list ap;

    va_start(ap, fmt);
    p->field = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    p->type = DRV_PARAM_STRING;
    p->str = g_strdup(s);
    g_ptr_array_add(r, p);
}

/* A counter that nimbus keeps (>= 0) becomes a field; unknown ones are
 * left out, as libvirt leaves out what it cannot read. */
static void
drv_param_counter(GPtrArray *r, int64_t v, const char *prefix, guint i,
                  const char *name)
{
    if (v >= 0)
        drv_param_uint(r, DRV_PARAM_ULLONG, (uint64_t)v, "%s.%u.%s", prefix, i, name);
}

static void
drv_record_devices(GPtrArray *r, const DrvDomainSnap *s, JsonNode *counters,
                   unsigned int stats)
{
    if (stats & DRV_STATS_INTERFACE) {
        drv_param_uint(r, DRV_PARAM_UINT, s->nets->len, "net.count");
        for (guint i = 0; i < s->nets->len; i++) {
            const DomainDevRef *n = g_ptr_array_index(s->nets, i);
            DrvInterfaceStats st;

            drv_fill_net(drv_counters_of(counters, n->id), &st);
            if (n->name)
                drv_param_str(r, n->name, "net.%u.name", i);
            drv_param_counter(r, st.rx_bytes, "net", i, "rx.bytes");
            drv_param_counter(r, st.rx_packets, "net", i, "rx.pkts");
            drv_param_counter(r, st.tx_bytes, "net", i, "tx.bytes");
            drv_param_counter(r, st.tx_packets, "net", i, "tx.pkts");
        }
    }
    if (stats & DRV_STATS_BLOCK) {
        drv_param_uint(r, DRV_PARAM_UINT, s->disks->len, "block.count");
        for (guint i = 0; i < s->disks->len; i++) {
            const DomainDevRef *d = g_ptr_array_index(s->disks, i);
            DrvBlockStats st;

            drv_fill_block(drv_counters_of(counters, d->id), &st);
            drv_param_str(r, d->name, "block.%u.name", i);
            if (d->path)
                drv_param_str(r, d->path, "block.%u.path", i);
            drv_param_counter(r, st.rd_req, "block", i, "rd.reqs");
            drv_param_counter(r, st.rd_bytes, "block", i, "rd.bytes");
            drv_param_counter(r, st.wr_req, "block", i, "wr.reqs");
            drv_param_counter(r, st.wr_bytes, "block", i, "wr.bytes");
        }
    }
}

bool
drv_domain_stats_groups(unsigned int stats, unsigned int flags, bool listed,
                        unsigned int *groups, GError **error)
{
    if (!stats)
        stats = DRV_STATS_SUPPORTED;
    /* BACKING asks for backing chains, which nimbus disks never have;
     * NOWAIT: nothing here waits for a domain job. */
    if (!drv_check_flags(flags, DRV_STATS_LIST_FILTERS | DRV_STATS_NOWAIT |
                         DRV_STATS_BACKING | DRV_STATS_ENFORCE,
                         "virConnectGetAllDomainStats", error))
        return false;
    if ((stats & ~DRV_STATS_SUPPORTED) && (flags & DRV_STATS_ENFORCE)) {
        g_set_error(error, DRV_ERROR, DRV_ERROR_ARGUMENT_UNSUPPORTED,
                    "Stats types bits 0x%x are not supported by this daemon",
                    stats & ~DRV_STATS_SUPPORTED);
        return false;
    }
    if (listed && (flags & DRV_STATS_LIST_FILTERS)) {
        g_set_error_literal(error, DRV_ERROR, DRV_ERROR_INVALID_ARG,
                            "domain list filters apply to all domains only");
        return false;
    }
    *groups = stats & DRV_STATS_SUPPORTED;
    return true;
}

GPtrArray *
drv_domain_stats_record(DrvDomainObj *obj, unsigned int stats, GError **error)
{
    g_autoptr(GPtrArray) r = g_ptr_array_new_with_free_func((GDestroyNotify)drv_typed_param_free);
    g_autoptr(JsonNode) counters = NULL;
    DrvDomainSnap s;
    uint64_t user, sys, rss;

    if (!drv_domain_snap(obj, &s, error))
        return NULL;
    if (stats & DRV_STATS_STATE) {
        drv_param_uint(r, DRV_PARAM_INT, (uint64_t)s.state, "state.state");
        drv_param_uint(r, DRV_PARAM_INT, (uint64_t)s.reason, "state.reason");
    }
    if ((stats & DRV_STATS_CPU_TOTAL) && s.active &&
        drv_proc_cpu_times(s.pid, &user, &sys)) {
        drv_param_uint(r, DRV_PARAM_ULLONG, user + sys, "cpu.time");
        drv_param_uint(r, DRV_PARAM_ULLONG, user, "cpu.user");
        drv_param_uint(r, DRV_PARAM_ULLONG, sys, "cpu.system");
    }
    if (stats & DRV_STATS_BALLOON) {
        drv_param_uint(r, DRV_PARAM_ULLONG, s.cur_mem_kib, "balloon.current");
        drv_param_uint(r, DRV_PARAM_ULLONG, s.max_mem_kib, "balloon.maximum");
        if (s.active && drv_proc_rss_kib(s.pid, &rss))
            drv_param_uint(r, DRV_PARAM_ULLONG, rss, "balloon.rss");
    }
    if (stats & DRV_STATS_VCPU) {
        drv_param_uint(r, DRV_PARAM_UINT, s.vcpus, "vcpu.current");
        drv_param_uint(r, DRV_PARAM_UINT, s.max_vcpus, "vcpu.maximum");
    }
    if ((stats & (DRV_STATS_INTERFACE | DRV_STATS_BLOCK)) && s.active) {
        /* A VMM that does not answer leaves the device groups out (the
         * record of a dying domain), like libvirt without a monitor. */
        counters = drv_monitor_get(s.api_socket, "vm.counters", NULL);
        if (counters)
            drv_record_devices(r, &s, counters, stats);
    }
    drv_domain_snap_clear(&s);
    return g_steal_pointer(&r);
}
