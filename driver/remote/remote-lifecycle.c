/* SPDX-License-Identifier: Apache-2.0 */
/* REMOTE lifecycle procedures: legacy and flags variants onto one entry point each. */
#include <config.h>

#include "driver/remote/remote.h"

/*
 * virsh sends the legacy procedures by default (create 9, shutdown 33,
 * destroy 12; reference §6 rule 1): each maps onto the flags variant with
 * flags 0.
 */

typedef bool (*RemoteFlagsOp)(DrvDriver *driver, DrvDomainObj *obj,
                              unsigned int flags, GError **error);

static bool
remote_domain_op(RpcCall *call, const remote_nonnull_domain *dom,
                 unsigned int flags, RemoteFlagsOp op, GError **error)
{
    RemoteDaemon *daemon = remote_daemon_of(call);
    g_autoptr(DrvDomainObj) obj = remote_get_domain(daemon, dom, error);

    return obj && op(daemon->driver, obj, flags, error);
}

bool
remote_domain_create(RpcCall *call, void *a, void *r, GError **error)
{
    remote_domain_args *args = a;

    return remote_domain_op(call, &args->dom, 0, drv_domain_create, error);
}

bool
remote_domain_create_with_flags(RpcCall *call, void *a, void *r, GError **error)
{
    remote_domain_flags_args *args = a;
    remote_domain_ret *ret = r;
    RemoteDaemon *daemon = remote_daemon_of(call);
    g_autoptr(DrvDomainObj) obj = remote_get_domain(daemon, &args->dom, error);

    if (!obj || !drv_domain_create(daemon->driver, obj, args->flags, error))
        return false;
    /* The reply carries the domain with its new id. */
    remote_make_domain(obj, &ret->dom);
    return true;
}

bool
remote_domain_create_xml(RpcCall *call, void *a, void *r, GError **error)
{
    remote_domain_create_xml_args *args = a;
    remote_domain_ret *ret = r;
    g_autoptr(DrvDomainObj) obj = drv_domain_create_xml(remote_daemon_of(call)->driver,
                                                        args->xml_desc, args->flags,
                                                        error);

    if (!obj)
        return false;
    remote_make_domain(obj, &ret->dom);
    return true;
}

bool
remote_domain_shutdown(RpcCall *call, void *a, void *r, GError **error)
{
    remote_domain_args *args = a;

    return remote_domain_op(call, &args->dom, 0, drv_domain_shutdown, error);
}

bool
remote_domain_shutdown_flags(RpcCall *call, void *a, void *r, GError **error)
{
    remote_domain_flags_args *args = a;

    return remote_domain_op(call, &args->dom, args->flags, drv_domain_shutdown, error);
}

bool
remote_domain_reboot(RpcCall *call, void *a, void *r, GError **error)
{
    remote_domain_flags_args *args = a;

    return remote_domain_op(call, &args->dom, args->flags, drv_domain_reboot, error);
}

bool
remote_domain_destroy(RpcCall *call, void *a, void *r, GError **error)
{
    remote_domain_args *args = a;

    return remote_domain_op(call, &args->dom, 0, drv_domain_destroy, error);
}

bool
remote_domain_destroy_flags(RpcCall *call, void *a, void *r, GError **error)
{
    remote_domain_flags_args *args = a;

    return remote_domain_op(call, &args->dom, args->flags, drv_domain_destroy, error);
}

bool
remote_domain_suspend(RpcCall *call, void *a, void *r, GError **error)
{
    remote_domain_args *args = a;
    RemoteDaemon *daemon = remote_daemon_of(call);
    g_autoptr(DrvDomainObj) obj = remote_get_domain(daemon, &args->dom, error);

    return obj && drv_domain_suspend(daemon->driver, obj, error);
}

bool
remote_domain_resume(RpcCall *call, void *a, void *r, GError **error)
{
    remote_domain_args *args = a;
    RemoteDaemon *daemon = remote_daemon_of(call);
    g_autoptr(DrvDomainObj) obj = remote_get_domain(daemon, &args->dom, error);

    return obj && drv_domain_resume(daemon->driver, obj, error);
}
