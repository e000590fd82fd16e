/* SPDX-License-Identifier: Apache-2.0 */
/* Remote procedures of vCPU placement: vcpuinfo, vcpupin, emulatorpin. */
#include <config.h>

#include "driver/drv-error.h"
#include "driver/remote/remote.h"
#include "driver/vcpu-pin.h"

/* The client's buffer sizes, checked as libvirtd checks them: the reply
 * must fit its limits.  (maxinfo * maplen in 64 bits: both are ints.) */
static bool
remote_vcpu_pin_sizes(int count, int maplen, int count_max, bool need_map,
                      GError **error)
{
    if (count < 0 || count > count_max) {
        g_set_error(error, DRV_ERROR, DRV_ERROR_RPC,
                    "vCPU count %d out of range 0..%d", count, count_max);
        return false;
    }
    if (maplen < (need_map ? 1 : 0) ||
        (gint64)count * maplen > REMOTE_CPUMAPS_MAX) {
        g_set_error(error, DRV_ERROR, DRV_ERROR_RPC,
                    "cpumap length %d out of range", maplen);
        return false;
    }
    return true;
}

bool
remote_domain_get_vcpus(RpcCall *call, void *a, void *r, GError **error)
{
    remote_domain_get_vcpus_args *args = a;
    remote_domain_get_vcpus_ret *ret = r;
    RemoteDaemon *daemon = remote_daemon_of(call);
    g_autoptr(DrvDomainObj) obj = NULL;
    g_autofree DrvVcpuInfo *info = NULL;
    g_autofree unsigned char *maps = NULL;
    int n;

    if (!remote_vcpu_pin_sizes(args->maxinfo, args->maplen,
                               REMOTE_VCPUINFO_MAX, false, error) ||
        !(obj = remote_get_domain(daemon, &args->dom, error)))
        return false;
    info = g_new0(DrvVcpuInfo, MAX(args->maxinfo, 1));
    maps = g_malloc0(MAX((gsize)args->maxinfo * args->maplen, 1));
    if ((n = drv_domain_get_vcpus(obj, info, args->maxinfo, maps,
                                  args->maplen, error)) < 0)
        return false;
    ret->info.info_val = g_new0(remote_vcpu_info, MAX(n, 1));
    ret->info.info_len = (u_int)n;
    for (int i = 0; i < n; i++) {
        ret->info.info_val[i].number = info[i].number;
        ret->info.info_val[i].state = info[i].state;
        ret->info.info_val[i].cpu_time = info[i].cpu_time_ns;
        ret->info.info_val[i].cpu = info[i].cpu;
    }
    /* As libvirtd: the whole buffer the client sized, unused maps zero. */
    ret->cpumaps.cpumaps_len = (u_int)args->maxinfo * (u_int)args->maplen;
    ret->cpumaps.cpumaps_val = (char *)g_steal_pointer(&maps);
    return true;
}

bool
remote_domain_get_vcpu_pin_info(RpcCall *call, void *a, void *r,
                                GError **error)
{
    remote_domain_get_vcpu_pin_info_args *args = a;
    remote_domain_get_vcpu_pin_info_ret *ret = r;
    RemoteDaemon *daemon = remote_daemon_of(call);
    g_autoptr(DrvDomainObj) obj = NULL;
    g_autofree unsigned char *maps = NULL;
    int n;

    if (!remote_vcpu_pin_sizes(args->ncpumaps, args->maplen,
                               REMOTE_VCPUINFO_MAX, true, error) ||
        !(obj = remote_get_domain(daemon, &args->dom, error)))
        return false;
    maps = g_malloc0(MAX((gsize)args->ncpumaps * args->maplen, 1));
    if ((n = drv_domain_get_vcpu_pin_info(obj, args->ncpumaps, maps,
                                          args->maplen, args->flags,
                                          error)) < 0)
        return false;
    ret->cpumaps.cpumaps_len = (u_int)args->ncpumaps * (u_int)args->maplen;
    ret->cpumaps.cpumaps_val = (char *)g_steal_pointer(&maps);
    ret->num = n;
    return true;
}

/* virDomainPinVcpu: the legacy call, always live. */
bool
remote_domain_pin_vcpu(RpcCall *call, void *a, void *r, GError **error)
{
    remote_domain_pin_vcpu_args *args = a;
    RemoteDaemon *daemon = remote_daemon_of(call);
    g_autoptr(DrvDomainObj) obj = remote_get_domain(daemon, &args->dom, error);

    return obj && drv_domain_pin_vcpu(daemon->driver, obj, args->vcpu,
                                      (unsigned char *)args->cpumap.cpumap_val,
                                      (int)args->cpumap.cpumap_len,
                                      DRV_DOMAIN_AFFECT_LIVE, error);
}

bool
remote_domain_pin_vcpu_flags(RpcCall *call, void *a, void *r, GError **error)
{
    remote_domain_pin_vcpu_flags_args *args = a;
    RemoteDaemon *daemon = remote_daemon_of(call);
    g_autoptr(DrvDomainObj) obj = remote_get_domain(daemon, &args->dom, error);

    return obj && drv_domain_pin_vcpu(daemon->driver, obj, args->vcpu,
                                      (unsigned char *)args->cpumap.cpumap_val,
                                      (int)args->cpumap.cpumap_len,
                                      args->flags, error);
}

bool
remote_domain_pin_emulator(RpcCall *call, void *a, void *r, GError **error)
{
    remote_domain_pin_emulator_args *args = a;
    RemoteDaemon *daemon = remote_daemon_of(call);
    g_autoptr(DrvDomainObj) obj = remote_get_domain(daemon, &args->dom, error);

    const unsigned char *map = (unsigned char *)args->cpumap.cpumap_val;

    return obj && drv_domain_pin_emulator(daemon->driver, obj, map,
                                          (int)args->cpumap.cpumap_len,
                                          args->flags, error);
}

bool
remote_domain_get_emulator_pin_info(RpcCall *call, void *a, void *r,
                                    GError **error)
{
    remote_domain_get_emulator_pin_info_args *args = a;
    remote_domain_get_emulator_pin_info_ret *ret = r;
    RemoteDaemon *daemon = remote_daemon_of(call);
    g_autoptr(DrvDomainObj) obj = NULL;
    g_autofree unsigned char *map = NULL;
    int n;

    if (!remote_vcpu_pin_sizes(1, args->maplen, 1, true, error) ||
        !(obj = remote_get_domain(daemon, &args->dom, error)))
        return false;
    map = g_malloc0((gsize)args->maplen);
    if ((n = drv_domain_get_emulator_pin_info(obj, map, args->maplen,
                                              args->flags, error)) < 0)
        return false;
    ret->cpumaps.cpumaps_len = (u_int)args->maplen;
    ret->cpumaps.cpumaps_val = (char *)g_steal_pointer(&map);
    ret->ret = n;
    return true;
}
