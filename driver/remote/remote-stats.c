/* SPDX-License-Identifier: Apache-2.0 */
/* Domain statistics procedures: block/interface/memory/CPU stats, domstats. */
#include <config.h>

#include <string.h>

#include "driver/domain-stats.h"
#include "driver/remote/remote.h"

/* VIR_TYPED_PARAM_STRING_OKAY: the client library adds it; the CPU stats
 * have no string fields anyway. */
#define REMOTE_TYPED_PARAM_STRING_OKAY (1u << 2)

bool
remote_domain_block_stats(RpcCall *call, void *a, void *r, GError **error)
{
    remote_domain_block_stats_args *args = a;
    remote_domain_block_stats_ret *ret = r;
    g_autoptr(DrvDomainObj) obj = remote_get_domain(remote_daemon_of(call),
                                                    &args->dom, error);
    DrvBlockStats st;

    if (!obj || !drv_domain_block_stats(obj, args->path, &st, error))
        return false;
    ret->rd_req = st.rd_req;
    ret->rd_bytes = st.rd_bytes;
    ret->wr_req = st.wr_req;
    ret->wr_bytes = st.wr_bytes;
    ret->errs = st.errs;
    return true;
}

bool
remote_domain_interface_stats(RpcCall *call, void *a, void *r, GError **error)
{
    remote_domain_interface_stats_args *args = a;
    remote_domain_interface_stats_ret *ret = r;
    g_autoptr(DrvDomainObj) obj = remote_get_domain(remote_daemon_of(call),
                                                    &args->dom, error);
    DrvInterfaceStats st;

    if (!obj || !drv_domain_interface_stats(obj, args->device, &st, error))
        return false;
    ret->rx_bytes = st.rx_bytes;
    ret->rx_packets = st.rx_packets;
    ret->rx_errs = st.rx_errs;
    ret->rx_drop = st.rx_drop;
    ret->tx_bytes = st.tx_bytes;
    ret->tx_packets = st.tx_packets;
    ret->tx_errs = st.tx_errs;
    ret->tx_drop = st.tx_drop;
    return true;
}

bool
remote_domain_memory_stats(RpcCall *call, void *a, void *r, GError **error)
{
    remote_domain_memory_stats_args *args = a;
    remote_domain_memory_stats_ret *ret = r;
    g_autoptr(DrvDomainObj) obj = remote_get_domain(remote_daemon_of(call),
                                                    &args->dom, error);
    DrvMemoryStat st[DRV_MEMORY_STATS_COUNT];
    int n;

    if (!obj || !drv_check_flags(args->flags, 0, "virDomainMemoryStats", error) ||
        (n = drv_domain_memory_stats(obj, st, (int)MIN(args->maxStats,
                                                       G_N_ELEMENTS(st)), error)) < 0)
        return false;
    ret->stats.stats_len = (u_int)n;
    ret->stats.stats_val = g_new0(remote_domain_memory_stat, MAX(n, 1));
    for (int i = 0; i < n; i++) {
        ret->stats.stats_val[i].tag = st[i].tag;
        ret->stats.stats_val[i].val = st[i].value;
    }
    return true;
}

static void
remote_typed_param_ullong(remote_typed_param *p, const char *field, uint64_t v)
{
    p->field = g_strdup(field);
    p->value.type = DRV_PARAM_ULLONG;
    p->value.remote_typed_param_value_u.ul = v;
}

bool
remote_domain_get_cpu_stats(RpcCall *call, void *a, void *r, GError **error)
{
    remote_domain_get_cpu_stats_args *args = a;
    remote_domain_get_cpu_stats_ret *ret = r;
    g_autoptr(DrvDomainObj) obj = remote_get_domain(remote_daemon_of(call),
                                                    &args->dom, error);
    uint64_t total, user, sys;
    int n = 3;

    if (!obj || !drv_check_flags(args->flags, REMOTE_TYPED_PARAM_STRING_OKAY,
                                 "virDomainGetCPUStats", error))
        return false;
    if (args->start_cpu != -1) {
        /* libvirt reads per-CPU time from the cgroup's cpuacct, and
         * nimbusd does not place domains in cgroups. */
        g_set_error(error, DRV_ERROR, DRV_ERROR_ARGUMENT_UNSUPPORTED,
                    "per-CPU statistics (start_cpu %d) are not available: "
                    "only the total (start_cpu -1)",
                    args->start_cpu);
        return false;
    }
    if (!drv_domain_cpu_times(obj, &total, &user, &sys, error))
        return false;
    /* nparams 0: the client asks how many there are. */
    if (args->nparams == 0) {
        ret->nparams = n;
        return true;
    }
    n = (int)MIN((unsigned int)n, args->nparams);
    ret->params.params_len = (u_int)n;
    ret->params.params_val = g_new0(remote_typed_param, n);
    if (n > 0)
        remote_typed_param_ullong(&ret->params.params_val[0], "cpu_time", total);
    if (n > 1)
        remote_typed_param_ullong(&ret->params.params_val[1], "user_time", user);
    if (n > 2)
        remote_typed_param_ullong(&ret->params.params_val[2], "system_time", sys);
    ret->nparams = n;
    return true;
}

/* One remote_domain_stats_record from @obj; false when it vanished. */
static bool
remote_stats_record(DrvDomainObj *obj, unsigned int stats,
                    remote_domain_stats_record *rec, GError **error)
{
    g_autoptr(GPtrArray) params = drv_domain_stats_record(obj, stats, error);

    if (!params)
        return false;
    remote_make_domain(obj, &rec->dom);
    rec->params.params_len = params->len;
    rec->params.params_val = g_new0(remote_typed_param, MAX(params->len, 1));
    for (guint i = 0; i < params->len; i++) {
        const DrvTypedParam *p = g_ptr_array_index(params, i);
        remote_typed_param *out = &rec->params.params_val[i];

        out->field = g_strdup(p->field);
        out->value.type = p->type;
        switch (p->type) {
        case DRV_PARAM_INT:
            out->value.remote_typed_param_value_u.i = (int)p->value;
            break;
        case DRV_PARAM_UINT:
            out->value.remote_typed_param_value_u.ui = (unsigned int)p->value;
            break;
        case DRV_PARAM_ULLONG:
            out->value.remote_typed_param_value_u.ul = p->value;
            break;
        case DRV_PARAM_STRING:
            out->value.remote_typed_param_value_u.s = g_strdup(p->str);
            break;
        }
    }
    return true;
}

bool
remote_connect_get_all_domain_stats(RpcCall *call, void *a, void *r, GError **error)
{
    remote_connect_get_all_domain_stats_args *args = a;
    remote_connect_get_all_domain_stats_ret *ret = r;
    RemoteDaemon *daemon = remote_daemon_of(call);
    g_autoptr(GPtrArray) objs = NULL;
    unsigned int stats;
    guint n = 0;

    if (!drv_domain_stats_groups(args->stats, args->flags, args->doms.doms_len > 0,
                                 &stats, error))
        return false;
    if (args->doms.doms_len > 0) {
        /* virDomainListGetStats: the named domains, which must exist. */
        objs = g_ptr_array_new_with_free_func((GDestroyNotify)drv_domain_obj_unref);
        for (u_int i = 0; i < args->doms.doms_len; i++) {
            DrvDomainObj *obj = remote_get_domain(daemon, &args->doms.doms_val[i], error);

            if (!obj)
                return false;
            g_ptr_array_add(objs, obj);
        }
    } else if (!(objs = drv_domain_list_all(daemon->driver,
                                            args->flags & DRV_STATS_LIST_FILTERS,
                                            error))) {
        return false;
    }
    ret->retStats.retStats_val = g_new0(remote_domain_stats_record, MAX(objs->len, 1));
    for (guint i = 0; i < objs->len; i++) {
        /* A domain undefined meanwhile is left out, as libvirt does. */
        if (remote_stats_record(g_ptr_array_index(objs, i), stats,
                                &ret->retStats.retStats_val[n], NULL))
            n++;
    }
    ret->retStats.retStats_len = n;
    return true;
}
