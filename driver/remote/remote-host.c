/* SPDX-License-Identifier: Apache-2.0 */
/* Host procedures nova and virt-manager poll: CPU map and models, stats, sysinfo. */
/* Also a guest-agent-less setTime (secrets: remote-secret.c). */
#include <config.h>

#include <string.h>

#include "driver/caps.h"
#include "driver/domain.h"
#include "driver/hostcpu.h"
#include "driver/nodeinfo.h"
#include "driver/nodestats.h"
#include "driver/refused.h"
#include "driver/remote/remote.h"
#include "driver/xml/domain-conf.h"

/* The host facts come from the real /proc and /sys; the driver functions
 * take a root so that they can be pointed at a fake tree. */
#define REMOTE_HOST_ROOT "/"

bool
remote_node_get_cpu_map(RpcCall *call, void *a, void *r, GError **error)
{
    remote_node_get_cpu_map_args *args = a;
    remote_node_get_cpu_map_ret *ret = r;
    g_autoptr(GByteArray) map = NULL;
    unsigned int online = 0;
    int ncpus = 0;

    if (!drv_check_flags(args->flags, 0, "virNodeGetCPUMap", error) ||
        !(map = drv_node_cpu_map_new(REMOTE_HOST_ROOT, &ncpus, &online, error)))
        return false;
    if (args->need_map) {
        ret->cpumap.cpumap_len = map->len;
        ret->cpumap.cpumap_val = (char *)g_byte_array_free(g_steal_pointer(&map), FALSE);
    }
    if (args->need_online)
        ret->online = online;
    ret->ret = ncpus;
    return true;
}

/* The two-phase typed-stat convention: nparams 0 asks for the count. */
static bool
remote_node_stats_nparams(int nparams, GError **error)
{
    if (nparams < 0) {
        g_set_error(error, DRV_ERROR, DRV_ERROR_INVALID_ARG,
                    "nparams %d must not be negative", nparams);
        return false;
    }
    return true;
}

bool
remote_node_cpu_stats(RpcCall *call, void *a, void *r, GError **error)
{
    remote_node_get_cpu_stats_args *args = a;
    remote_node_get_cpu_stats_ret *ret = r;
    DrvNodeStat st[DRV_NODE_CPU_STATS_COUNT];
    int n = DRV_NODE_CPU_STATS_COUNT;

    if (!drv_check_flags(args->flags, 0, "virNodeGetCPUStats", error) ||
        !remote_node_stats_nparams(args->nparams, error) ||
        !drv_node_cpu_stats(REMOTE_HOST_ROOT, args->cpuNum, st, error))
        return false;
    ret->nparams = n;
    if (args->nparams == 0)
        return true;
    n = MIN(n, args->nparams);
    ret->params.params_len = (u_int)n;
    ret->params.params_val = g_new0(remote_node_get_cpu_stats, n);
    for (int i = 0; i < n; i++) {
        ret->params.params_val[i].field = g_strdup(st[i].field);
        ret->params.params_val[i].value = st[i].value;
    }
    ret->nparams = n;
    return true;
}

bool
remote_node_memory_stats(RpcCall *call, void *a, void *r, GError **error)
{
    remote_node_get_memory_stats_args *args = a;
    remote_node_get_memory_stats_ret *ret = r;
    DrvNodeStat st[DRV_NODE_MEMORY_STATS_COUNT];
    int n;

    if (!drv_check_flags(args->flags, 0, "virNodeGetMemoryStats", error) ||
        !remote_node_stats_nparams(args->nparams, error) ||
        (n = drv_node_memory_stats(REMOTE_HOST_ROOT, args->cellNum, st, error)) < 0)
        return false;
    ret->nparams = n;
    if (args->nparams == 0)
        return true;
    n = MIN(n, args->nparams);
    ret->params.params_len = (u_int)n;
    ret->params.params_val = g_new0(remote_node_get_memory_stats, n);
    for (int i = 0; i < n; i++) {
        ret->params.params_val[i].field = g_strdup(st[i].field);
        ret->params.params_val[i].value = st[i].value;
    }
    ret->nparams = n;
    return true;
}

bool
remote_connect_get_sysinfo(RpcCall *call, void *a, void *r, GError **error)
{
    remote_connect_get_sysinfo_args *args = a;
    remote_connect_get_sysinfo_ret *ret = r;

    if (!drv_check_flags(args->flags, 0, "virConnectGetSysinfo", error))
        return false;
    ret->sysinfo = drv_node_sysinfo_format(REMOTE_HOST_ROOT, error);
    return ret->sysinfo != NULL;
}

bool
remote_connect_get_cpu_model_names(RpcCall *call, void *a, void *r, GError **error)
{
    remote_connect_get_cpu_model_names_args *args = a;

    if (!drv_check_flags(args->flags, 0, "virConnectGetCPUModelNames", error))
        return false;
    /* libvirt documents an empty list as "any CPU model is accepted"
     * (virsh cpu-models prints so), the opposite of nimbus, which has no
     * named models at all: every guest gets the host CPU. */
    g_set_error(error, DRV_ERROR, DRV_ERROR_OPERATION_UNSUPPORTED,
                "no CPU models for architecture '%s': nimbus has none, "
                "every guest gets the host CPU "
                "(use <cpu mode='host-passthrough'/>)",
                args->arch);
    return false;
}

bool
remote_connect_compare_cpu(RpcCall *call, void *a, void *r, GError **error)
{
    remote_connect_compare_cpu_args *args = a;
    remote_connect_compare_cpu_ret *ret = r;
    g_autoptr(DrvNodeInfo) node = drv_node_info_new(REMOTE_HOST_ROOT, error);

    if (!node)
        return false;
    ret->result = drv_cpu_compare(node, args->xml, args->flags, error);
    return ret->result != DRV_CPU_COMPARE_ERROR;
}

/* The hypervisor-CPU variants: the emulator/arch/machine/virttype must be
 * what domain capabilities accept; then the host CPU is the answer. */
static bool
remote_hypervisor_args_ok(RpcCall *call, char **emulator, char **arch,
                          char **machine, char **virttype, GError **error)
{
    g_autofree char *caps = drv_domcaps_format(remote_daemon_of(call)->driver->config,
                                               emulator ? *emulator : NULL,
                                               arch ? *arch : NULL,
                                               machine ? *machine : NULL,
                                               virttype ? *virttype : NULL,
                                               0, error);

    return caps != NULL;
}

bool
remote_connect_compare_hypervisor_cpu(RpcCall *call, void *a, void *r,
                                      GError **error)
{
    remote_connect_compare_hypervisor_cpu_args *args = a;
    remote_connect_compare_cpu_ret *ret = r;
    g_autoptr(DrvNodeInfo) node = NULL;

    if (!remote_hypervisor_args_ok(call, args->emulator, args->arch, args->machine,
                                   args->virttype, error) ||
        !(node = drv_node_info_new(REMOTE_HOST_ROOT, error)))
        return false;
    ret->result = drv_cpu_compare(node, args->xmlCPU, args->flags, error);
    return ret->result != DRV_CPU_COMPARE_ERROR;
}

bool
remote_connect_baseline_cpu(RpcCall *call, void *a, void *r, GError **error)
{
    remote_connect_baseline_cpu_args *args = a;
    remote_connect_baseline_cpu_ret *ret = r;
    g_autoptr(DrvNodeInfo) node = drv_node_info_new(REMOTE_HOST_ROOT, error);

    if (!node)
        return false;
    ret->cpu = drv_cpu_baseline(node, args->xmlCPUs.xmlCPUs_val,
                                args->xmlCPUs.xmlCPUs_len, args->flags, error);
    return ret->cpu != NULL;
}

bool
remote_connect_baseline_hypervisor_cpu(RpcCall *call, void *a, void *r,
                                       GError **error)
{
    remote_connect_baseline_hypervisor_cpu_args *args = a;
    remote_connect_baseline_cpu_ret *ret = r;
    g_autoptr(DrvNodeInfo) node = NULL;

    if (!remote_hypervisor_args_ok(call, args->emulator, args->arch, args->machine,
                                   args->virttype, error) ||
        !(node = drv_node_info_new(REMOTE_HOST_ROOT, error)))
        return false;
    ret->cpu = drv_cpu_baseline(node, args->xmlCPUs.xmlCPUs_val,
                                args->xmlCPUs.xmlCPUs_len, args->flags, error);
    return ret->cpu != NULL;
}

bool
remote_domain_set_time(RpcCall *call, void *a, void *r, GError **error)
{
    remote_domain_set_time_args *args = a;
    g_autoptr(DrvDomainObj) obj = remote_get_domain(remote_daemon_of(call),
                                                    &args->dom, error);

    /* Setting the guest clock needs a guest agent, which nimbus guests
     * do not have: libvirt's answer without one (driver/refused.c).
     * VIR_DOMAIN_TIME_SYNC (1) is libvirt's one flag. */
    return obj && drv_domain_agent_refuse(obj, args->flags, 1u,
                                          "virDomainSetTime", error);
}
