/* SPDX-License-Identifier: Apache-2.0 */
/* REMOTE handlers: domblkinfo, blkiotune, agent calls, send-key, screenshot. */
#include <config.h>

#include "driver/blockinfo.h"
#include "driver/refused.h"
#include "driver/remote/remote-domain-extra.h"

/* libvirt's flags of the guest-agent calls that take any. */
#define REMOTE_GET_HOSTNAME_AGENT (1u << 1)   /* LEASE (1 << 0): not ours */
#define REMOTE_PASSWORD_ENCRYPTED (1u << 0)

bool
remote_domain_get_block_info(RpcCall *call, void *a, void *r, GError **error)
{
    remote_domain_get_block_info_args *args = a;
    remote_domain_get_block_info_ret *ret = r;
    g_autoptr(DrvDomainObj) obj = remote_get_domain(remote_daemon_of(call),
                                                    &args->dom, error);
    DrvBlockInfo info = { 0 };

    if (!obj ||
        !drv_domain_get_block_info(obj, args->path, args->flags, &info, error))
        return false;
    ret->allocation = info.allocation;
    ret->capacity = info.capacity;
    ret->physical = info.physical;
    return true;
}

bool
remote_domain_set_blkio_parameters(RpcCall *call, void *a, void *r,
                                   GError **error)
{
    remote_domain_set_blkio_parameters_args *args = a;
    g_autoptr(DrvDomainObj) obj = remote_get_domain(remote_daemon_of(call),
                                                    &args->dom, error);

    return obj && drv_domain_set_blkio_refuse(
        obj, args->params.params_len ? args->params.params_val[0].field : NULL,
        args->flags, error);
}

bool
remote_domain_get_blkio_parameters(RpcCall *call, void *a, void *r,
                                   GError **error)
{
    remote_domain_get_blkio_parameters_args *args = a;
    remote_domain_get_blkio_parameters_ret *ret = r;
    g_autoptr(DrvDomainObj) obj = remote_get_domain(remote_daemon_of(call),
                                                    &args->dom, error);

    if (!obj)
        return false;
    if (args->nparams < 0 ||
        args->nparams > REMOTE_DOMAIN_BLKIO_PARAMETERS_MAX) {
        g_set_error(error, DRV_ERROR, DRV_ERROR_RPC,
                    "nparams too large: %d", args->nparams);
        return false;
    }
    /* The count (libvirt's first call, nparams 0) and the list alike:
     * an empty params array. */
    return drv_domain_get_blkio_nparams(obj, args->flags, &ret->nparams,
                                        error);
}

bool
remote_domain_screenshot(RpcCall *call, void *a, void *r, GError **error)
{
    remote_domain_screenshot_args *args = a;
    g_autoptr(DrvDomainObj) obj = remote_get_domain(remote_daemon_of(call),
                                                    &args->dom, error);

    /* Refused before any stream data: the client drops its stream. */
    return obj && drv_domain_screenshot_refuse(obj, args->flags, error);
}

bool
remote_domain_send_key(RpcCall *call, void *a, void *r, GError **error)
{
    remote_domain_send_key_args *args = a;
    g_autoptr(DrvDomainObj) obj = remote_get_domain(remote_daemon_of(call),
                                                    &args->dom, error);

    return obj && drv_domain_send_key_refuse(obj, args->flags, error);
}

/* The guest-agent calls: every one's args start with the domain, which
 * is all the refusal needs (C11 6.7.2.1: a struct pointer converted
 * points to its first member). */
static bool
remote_agent_call(RpcCall *call, void *a, unsigned int flags,
                  unsigned int supported, const char *api, GError **error)
{
    const remote_nonnull_domain *dom = a;
    g_autoptr(DrvDomainObj) obj = remote_get_domain(remote_daemon_of(call),
                                                    dom, error);

    return obj && drv_domain_agent_refuse(obj, flags, supported, api, error);
}

bool
remote_domain_get_hostname(RpcCall *call, void *a, void *r, GError **error)
{
    remote_domain_get_hostname_args *args = a;

    return remote_agent_call(call, a, args->flags, REMOTE_GET_HOSTNAME_AGENT,
                             "virDomainGetHostname", error);
}

bool
remote_domain_fstrim(RpcCall *call, void *a, void *r, GError **error)
{
    remote_domain_fstrim_args *args = a;

    return remote_agent_call(call, a, args->flags, 0, "virDomainFSTrim",
                             error);
}

bool
remote_domain_fsfreeze(RpcCall *call, void *a, void *r, GError **error)
{
    remote_domain_fsfreeze_args *args = a;

    return remote_agent_call(call, a, args->flags, 0, "virDomainFSFreeze",
                             error);
}

bool
remote_domain_fsthaw(RpcCall *call, void *a, void *r, GError **error)
{
    remote_domain_fsfreeze_args *args = a;

    return remote_agent_call(call, a, args->flags, 0, "virDomainFSThaw",
                             error);
}

bool
remote_domain_get_time(RpcCall *call, void *a, void *r, GError **error)
{
    remote_domain_get_time_args *args = a;

    return remote_agent_call(call, a, args->flags, 0, "virDomainGetTime",
                             error);
}

bool
remote_domain_get_fsinfo(RpcCall *call, void *a, void *r, GError **error)
{
    remote_domain_agent_flags_args *args = a;

    return remote_agent_call(call, a, args->flags, 0, "virDomainGetFSInfo",
                             error);
}

bool
remote_domain_set_user_password(RpcCall *call, void *a, void *r,
                                GError **error)
{
    remote_domain_set_user_password_args *args = a;

    return remote_agent_call(call, a, args->flags, REMOTE_PASSWORD_ENCRYPTED,
                             "virDomainSetUserPassword", error);
}

bool
remote_domain_get_guest_vcpus(RpcCall *call, void *a, void *r,
                              GError **error)
{
    remote_domain_agent_flags_args *args = a;

    return remote_agent_call(call, a, args->flags, 0,
                             "virDomainGetGuestVcpus", error);
}

bool
remote_domain_get_guest_info(RpcCall *call, void *a, void *r,
                             GError **error)
{
    remote_domain_get_guest_info_args *args = a;

    return remote_agent_call(call, a, args->flags, 0,
                             "virDomainGetGuestInfo", error);
}
