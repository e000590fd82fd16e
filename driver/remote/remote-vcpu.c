/* SPDX-License-Identifier: Apache-2.0 */
/* Remote procedures of vCPU counts: DOMAIN_SET_VCPUS and DOMAIN_SET_VCPUS_FLAGS. */
#include <config.h>

#include "driver/remote/remote.h"
#include "driver/vcpu.h"

/* virDomainSetVcpus: the running guest's count (libvirt sends it for
 * virsh setvcpus without a flag). */
bool
remote_domain_set_vcpus(RpcCall *call, void *a, void *r, GError **error)
{
    remote_domain_set_vcpus_args *args = a;
    RemoteDaemon *daemon = remote_daemon_of(call);
    g_autoptr(DrvDomainObj) obj = remote_get_domain(daemon, &args->dom, error);

    return obj && drv_domain_set_vcpus(daemon->driver, obj, args->nvcpus,
                                       DRV_DOMAIN_AFFECT_LIVE, error);
}

bool
remote_domain_set_vcpus_flags(RpcCall *call, void *a, void *r,
                              GError **error)
{
    remote_domain_set_vcpus_flags_args *args = a;
    RemoteDaemon *daemon = remote_daemon_of(call);
    g_autoptr(DrvDomainObj) obj = remote_get_domain(daemon, &args->dom, error);

    return obj && drv_domain_set_vcpus(daemon->driver, obj, args->nvcpus,
                                       args->flags, error);
}
