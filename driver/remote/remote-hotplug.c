/* SPDX-License-Identifier: Apache-2.0 */
/* attach/detach-device, detach-device-alias and blockresize procedures. */
#include <config.h>

#include "driver/hotplug.h"
#include "driver/remote/remote.h"

/* The legacy calls without flags act on the running domain, as libvirt's
 * hypervisor drivers implement them (virDomainAttachDevice: "equivalent
 * to virDomainAttachDeviceFlags with VIR_DOMAIN_AFFECT_LIVE"). */

bool
remote_domain_attach_device(RpcCall *call, void *a, void *r, GError **error)
{
    remote_domain_attach_device_args *args = a;
    RemoteDaemon *daemon = remote_daemon_of(call);
    g_autoptr(DrvDomainObj) obj = remote_get_domain(daemon, &args->dom, error);

    return obj && drv_domain_attach_device(daemon->driver, obj, args->xml,
                                           DRV_DOMAIN_AFFECT_LIVE, error);
}

bool
remote_domain_attach_device_flags(RpcCall *call, void *a, void *r,
                                  GError **error)
{
    remote_domain_attach_device_flags_args *args = a;
    RemoteDaemon *daemon = remote_daemon_of(call);
    g_autoptr(DrvDomainObj) obj = remote_get_domain(daemon, &args->dom, error);

    return obj && drv_domain_attach_device(daemon->driver, obj, args->xml,
                                           args->flags, error);
}

bool
remote_domain_detach_device(RpcCall *call, void *a, void *r, GError **error)
{
    remote_domain_detach_device_args *args = a;
    RemoteDaemon *daemon = remote_daemon_of(call);
    g_autoptr(DrvDomainObj) obj = remote_get_domain(daemon, &args->dom, error);

    return obj && drv_domain_detach_device(daemon->driver, obj, args->xml,
                                           NULL, DRV_DOMAIN_AFFECT_LIVE,
                                           error);
}

bool
remote_domain_detach_device_flags(RpcCall *call, void *a, void *r,
                                  GError **error)
{
    remote_domain_detach_device_flags_args *args = a;
    RemoteDaemon *daemon = remote_daemon_of(call);
    g_autoptr(DrvDomainObj) obj = remote_get_domain(daemon, &args->dom, error);

    return obj && drv_domain_detach_device(daemon->driver, obj, args->xml,
                                           NULL, args->flags, error);
}

bool
remote_domain_detach_device_alias(RpcCall *call, void *a, void *r,
                                  GError **error)
{
    remote_domain_detach_device_alias_args *args = a;
    RemoteDaemon *daemon = remote_daemon_of(call);
    g_autoptr(DrvDomainObj) obj = remote_get_domain(daemon, &args->dom, error);

    return obj && drv_domain_detach_device(daemon->driver, obj, NULL,
                                           args->alias, args->flags, error);
}

bool
remote_domain_block_resize(RpcCall *call, void *a, void *r, GError **error)
{
    remote_domain_block_resize_args *args = a;
    RemoteDaemon *daemon = remote_daemon_of(call);
    g_autoptr(DrvDomainObj) obj = remote_get_domain(daemon, &args->dom, error);

    return obj && drv_domain_block_resize(daemon->driver, obj, args->disk,
                                          args->size, args->flags, error);
}
