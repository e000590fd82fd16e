/* SPDX-License-Identifier: Apache-2.0 */
/* SET_BLOCK_IO_TUNE (252), GET_BLOCK_IO_TUNE (253) onto driver/blkiotune.c. */
#include <config.h>

#include "driver/blkiotune.h"
#include "driver/domain-stats.h"
#include "driver/remote/remote-blkiotune.h"

/* virTypedParameterFlags: the client can take string parameters. */
#define REMOTE_TYPED_PARAM_STRING_OKAY (1u << 2)

static void
iotune_param_clear(gpointer data)
{
    DomainIotuneParam *p = data;

    g_free(p->field);
    g_free(p->s);
}

bool
remote_domain_set_block_io_tune(RpcCall *call, void *a, void *r,
                                GError **error)
{
    remote_domain_set_block_io_tune_args *args = a;
    RemoteDaemon *daemon = remote_daemon_of(call);
    g_autoptr(DrvDomainObj) obj = remote_get_domain(daemon, &args->dom, error);
    guint n = args->params.params_len;
    g_autoptr(GArray) p = NULL;

    if (!obj)
        return false;
    p = g_array_sized_new(FALSE, TRUE, sizeof(DomainIotuneParam), n);
    g_array_set_clear_func(p, iotune_param_clear);
    for (guint i = 0; i < n; i++) {
        const remote_typed_param *in = &args->params.params_val[i];
        DomainIotuneParam out = { g_strdup(in->field), false, 0, NULL };

        /* libvirt's virTypedParamsValidate: numbers are ULLONG, only
         * group_name is a string; the names are the driver's to check. */
        switch (in->value.type) {
        case DRV_PARAM_ULLONG:
            out.ul = in->value.remote_typed_param_value_u.ul;
            break;
        case DRV_PARAM_STRING:
            out.is_string = true;
            out.s = g_strdup(in->value.remote_typed_param_value_u.s);
            break;
        default:
            g_set_error(error, DRV_ERROR, DRV_ERROR_INVALID_ARG,
                        "invalid argument: invalid type %d for parameter "
                        "'%s', expected 'ullong' or, for group_name, "
                        "'string'", in->value.type, in->field);
            g_free(out.field);
            return false;
        }
        g_array_append_val(p, out);
    }
    return drv_domain_set_block_io_tune(daemon->driver, obj, args->disk,
                                        (DomainIotuneParam *)p->data, n,
                                        args->flags, error);
}

bool
remote_domain_get_block_io_tune(RpcCall *call, void *a, void *r,
                                GError **error)
{
    remote_domain_get_block_io_tune_args *args = a;
    remote_domain_get_block_io_tune_ret *ret = r;
    RemoteDaemon *daemon = remote_daemon_of(call);
    g_autoptr(DrvDomainObj) obj = remote_get_domain(daemon, &args->dom, error);
    bool strings = args->flags & REMOTE_TYPED_PARAM_STRING_OKAY;
    g_autoptr(GPtrArray) params = NULL;
    guint n = 0;

    if (!obj)
        return false;
    if (args->nparams < 0 ||
        args->nparams > REMOTE_DOMAIN_BLOCK_IO_TUNE_PARAMETERS_MAX) {
        g_set_error(error, DRV_ERROR, DRV_ERROR_RPC,
                    "nparams too large: %d", args->nparams);
        return false;
    }
    /* nparams 0: the client asks how many there are (libvirt's two-step
     * call), for any disk, so it may name none. */
    if (args->nparams == 0) {
        ret->nparams = (int)domain_iotune_nparams() - (strings ? 0 : 1);
        return true;
    }
    if (!args->disk || !*args->disk) {
        g_set_error_literal(error, DRV_ERROR, DRV_ERROR_INVALID_ARG,
                            "invalid argument: a disk is required");
        return false;
    }
    params = drv_domain_get_block_io_tune(
        obj, *args->disk, args->flags & ~REMOTE_TYPED_PARAM_STRING_OKAY,
        error);
    if (!params)
        return false;
    /* A client that takes no strings gets no group_name (libvirt drops
     * string parameters for it). */
    for (guint i = 0; i < params->len; i++) {
        DomainIotuneParam *p = g_ptr_array_index(params, i);

        if (p->is_string && !strings)
            g_ptr_array_remove_index(params, i--);
    }
    /* At most the nparams it has room for. */
    n = MIN(params->len, (guint)args->nparams);
    ret->params.params_val = g_new0(remote_typed_param, MAX(n, 1));
    for (guint i = 0; i < n; i++) {
        DomainIotuneParam *p = g_ptr_array_index(params, i);
        remote_typed_param *out = &ret->params.params_val[i];

        out->field = g_strdup(p->field);
        if (p->is_string) {
            out->value.type = DRV_PARAM_STRING;
            out->value.remote_typed_param_value_u.s = g_strdup(p->s);
        } else {
            out->value.type = DRV_PARAM_ULLONG;
            out->value.remote_typed_param_value_u.ul = p->ul;
        }
    }
    ret->params.params_len = n;
    ret->nparams = (int)n;
    return true;
}
