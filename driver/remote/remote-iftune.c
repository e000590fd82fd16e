/* SPDX-License-Identifier: Apache-2.0 */
/* SET_INTERFACE_PARAMETERS (256), GET_INTERFACE_PARAMETERS (257) onto driver/iftune.c. */
#include <config.h>

#include "driver/domain-stats.h"
#include "driver/iftune.h"
#include "driver/remote/remote-iftune.h"

/* virTypedParameterFlags: the client can take string parameters (the
 * client library always sets it; these parameters have none). */
#define REMOTE_TYPED_PARAM_STRING_OKAY (1u << 2)

bool
remote_domain_set_interface_parameters(RpcCall *call, void *a, void *r,
                                       GError **error)
{
    remote_domain_set_interface_parameters_args *args = a;
    RemoteDaemon *daemon = remote_daemon_of(call);
    g_autoptr(DrvDomainObj) obj = remote_get_domain(daemon, &args->dom, error);
    guint n = args->params.params_len;
    g_autofree DomainIfParam *p = NULL;

    if (!obj)
        return false;
    p = g_new0(DomainIfParam, MAX(n, 1));
    for (guint i = 0; i < n; i++) {
        const remote_typed_param *in = &args->params.params_val[i];

        /* libvirt's virTypedParamsValidate: every one is a UINT; the
         * names are the driver's to check.  The fields stay borrowed. */
        if (in->value.type != DRV_PARAM_UINT) {
            g_set_error(error, DRV_ERROR, DRV_ERROR_INVALID_ARG,
                        "invalid argument: invalid type %d for parameter "
                        "'%s', expected 'uint'", in->value.type, in->field);
            return false;
        }
        p[i].field = in->field;
        p[i].ui = in->value.remote_typed_param_value_u.ui;
    }
    return drv_domain_set_interface_parameters(daemon->driver, obj,
                                               args->device, p, n,
                                               args->flags, error);
}

bool
remote_domain_get_interface_parameters(RpcCall *call, void *a, void *r,
                                       GError **error)
{
    remote_domain_get_interface_parameters_args *args = a;
    remote_domain_get_interface_parameters_ret *ret = r;
    RemoteDaemon *daemon = remote_daemon_of(call);
    g_autoptr(DrvDomainObj) obj = remote_get_domain(daemon, &args->dom, error);
    g_autoptr(GPtrArray) params = NULL;
    guint n = 0;

    if (!obj)
        return false;
    if (args->nparams < 0 ||
        args->nparams > REMOTE_DOMAIN_INTERFACE_PARAMETERS_MAX) {
        g_set_error(error, DRV_ERROR, DRV_ERROR_RPC,
                    "nparams too large: %d", args->nparams);
        return false;
    }
    params = drv_domain_get_interface_parameters(
        obj, args->device, args->flags & ~REMOTE_TYPED_PARAM_STRING_OKAY,
        error);
    if (!params)
        return false;
    /* nparams 0: the client asks how many there are (libvirt's two-step
     * call); otherwise at most the nparams it has room for. */
    if (args->nparams == 0) {
        ret->nparams = (int)params->len;
        return true;
    }
    n = MIN(params->len, (guint)args->nparams);
    ret->params.params_val = g_new0(remote_typed_param, MAX(n, 1));
    for (guint i = 0; i < n; i++) {
        DomainIfParam *p = g_ptr_array_index(params, i);
        remote_typed_param *out = &ret->params.params_val[i];

        out->field = g_strdup(p->field);
        out->value.type = DRV_PARAM_UINT;
        out->value.remote_typed_param_value_u.ui = (guint)p->ui;
    }
    ret->params.params_len = n;
    ret->nparams = (int)n;
    return true;
}
