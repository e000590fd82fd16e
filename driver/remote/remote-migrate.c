/* SPDX-License-Identifier: Apache-2.0 */
/* REMOTE migration (v3 params sequence) and job procedures onto driver/migrate.c. */
#include <config.h>

#include <string.h>

#include "driver/migrate.h"
#include "driver/remote/remote-migrate.h"

/* libvirt's virDomainJobOperation for the "operation" statistic. */
#define REMOTE_JOB_OPERATION_MIGRATION_IN 4
#define REMOTE_JOB_OPERATION_MIGRATION_OUT 5

static bool
remote_migrate_params(const remote_migrate_param_list *list,
                      DrvMigrateParams *out, GError **error)
{
    return drv_migrate_params_parse(list->remote_migrate_param_list_val,
                                    list->remote_migrate_param_list_len, out,
                                    error);
}

static void
remote_migrate_cookie_in(const remote_migrate_cookie *in,
                         DrvMigrateCookieIO *io)
{
    memset(io, 0, sizeof(*io));
    io->in = in->remote_migrate_cookie_val;
    io->in_len = in->remote_migrate_cookie_len;
}

/* Hands the step's cookie to the reply (freed by xdr_free: g_malloc is
 * malloc underneath). */
static void
remote_migrate_cookie_out(DrvMigrateCookieIO *io, remote_migrate_cookie *out)
{
    out->remote_migrate_cookie_len = (u_int)io->out_len;
    out->remote_migrate_cookie_val = g_steal_pointer(&io->out);
}

bool
remote_domain_migrate_begin3_params(RpcCall *call, void *a, void *r,
                                    GError **error)
{
    remote_domain_migrate_begin3_params_args *args = a;
    remote_domain_migrate_begin3_params_ret *ret = r;
    RemoteDaemon *daemon = remote_daemon_of(call);
    g_autoptr(DrvDomainObj) obj = remote_get_domain(daemon, &args->dom, error);
    DrvMigrateParams params;
    DrvMigrateCookieIO cookie = { 0 };

    if (!obj || !remote_migrate_params(&args->params, &params, error))
        return false;
    ret->xml = drv_migrate_begin(daemon->driver, obj, &params, args->flags,
                                 &cookie, error);
    drv_migrate_params_clear(&params);
    if (!ret->xml)
        return false;
    remote_migrate_cookie_out(&cookie, &ret->cookie_out);
    return true;
}

bool
remote_domain_migrate_prepare3_params(RpcCall *call, void *a, void *r,
                                      GError **error)
{
    remote_domain_migrate_prepare3_params_args *args = a;
    remote_domain_migrate_prepare3_params_ret *ret = r;
    RemoteDaemon *daemon = remote_daemon_of(call);
    DrvMigrateParams params;
    DrvMigrateCookieIO cookie;
    char *uri;

    if (!remote_migrate_params(&args->params, &params, error))
        return false;
    remote_migrate_cookie_in(&args->cookie_in, &cookie);
    uri = drv_migrate_prepare(daemon->driver, &params, args->flags, &cookie,
                              error);
    drv_migrate_params_clear(&params);
    if (!uri)
        return false;
    ret->uri_out = g_new0(char *, 1);
    *ret->uri_out = uri;
    remote_migrate_cookie_out(&cookie, &ret->cookie_out);
    return true;
}

bool
remote_domain_migrate_perform3_params(RpcCall *call, void *a, void *r,
                                      GError **error)
{
    remote_domain_migrate_perform3_params_args *args = a;
    remote_domain_migrate_perform3_params_ret *ret = r;
    RemoteDaemon *daemon = remote_daemon_of(call);
    g_autoptr(DrvDomainObj) obj = remote_get_domain(daemon, &args->dom, error);
    DrvMigrateParams params;
    DrvMigrateCookieIO cookie;
    bool ok;

    if (!obj || !remote_migrate_params(&args->params, &params, error))
        return false;
    remote_migrate_cookie_in(&args->cookie_in, &cookie);
    ok = drv_migrate_perform(daemon->driver, obj,
                             args->dconnuri ? *args->dconnuri : NULL, &params,
                             args->flags, &cookie, error);
    drv_migrate_params_clear(&params);
    if (ok)
        remote_migrate_cookie_out(&cookie, &ret->cookie_out);
    return ok;
}

bool
remote_domain_migrate_finish3_params(RpcCall *call, void *a, void *r,
                                     GError **error)
{
    remote_domain_migrate_finish3_params_args *args = a;
    remote_domain_migrate_finish3_params_ret *ret = r;
    RemoteDaemon *daemon = remote_daemon_of(call);
    g_autoptr(DrvDomainObj) obj = NULL;
    DrvMigrateParams params;
    DrvMigrateCookieIO cookie;

    if (!remote_migrate_params(&args->params, &params, error))
        return false;
    remote_migrate_cookie_in(&args->cookie_in, &cookie);
    obj = drv_migrate_finish(daemon->driver, &params, args->flags,
                             args->cancelled != 0, &cookie, error);
    drv_migrate_params_clear(&params);
    if (!obj)
        return false;
    remote_make_domain(obj, &ret->dom);
    remote_migrate_cookie_out(&cookie, &ret->cookie_out);
    return true;
}

bool
remote_domain_migrate_confirm3_params(RpcCall *call, void *a, void *r,
                                      GError **error)
{
    remote_domain_migrate_confirm3_params_args *args = a;
    RemoteDaemon *daemon = remote_daemon_of(call);
    g_autoptr(DrvDomainObj) obj = remote_get_domain(daemon, &args->dom, error);
    DrvMigrateParams params;
    DrvMigrateCookieIO cookie;
    bool ok;

    /* The parameters are checked (nothing unknown passes) but CONFIRM
     * needs none of them. */
    if (!obj || !remote_migrate_params(&args->params, &params, error))
        return false;
    drv_migrate_params_clear(&params);
    remote_migrate_cookie_in(&args->cookie_in, &cookie);
    ok = drv_migrate_confirm(daemon->driver, obj, args->flags,
                             args->cancelled != 0, &cookie, error);
    g_free(cookie.out);
    return ok;
}

bool
remote_domain_get_job_info(RpcCall *call, void *a, void *r, GError **error)
{
    remote_domain_get_job_info_args *args = a;
    remote_domain_get_job_info_ret *ret = r;
    RemoteDaemon *daemon = remote_daemon_of(call);
    g_autoptr(DrvDomainObj) obj = remote_get_domain(daemon, &args->dom, error);
    DrvMigrateJobInfo info;

    if (!obj || !drv_migrate_get_job_info(daemon->driver, obj, 0, &info,
                                          error))
        return false;
    /* The fixed struct has no "unknown": what nimbus does not report
     * (bytes sent so far) stays 0, as in libvirt's other drivers. */
    ret->type = info.type;
    ret->timeElapsed = info.elapsed_ms;
    ret->dataTotal = info.memory_total;
    ret->memTotal = info.memory_total;
    return true;
}

static void
remote_job_param_ullong(remote_typed_param *p, const char *field, uint64_t v)
{
    p->field = g_strdup(field);
    p->value.type = 4;      /* VIR_TYPED_PARAM_ULLONG */
    p->value.remote_typed_param_value_u.ul = v;
}

bool
remote_domain_get_job_stats(RpcCall *call, void *a, void *r, GError **error)
{
    remote_domain_get_job_stats_args *args = a;
    remote_domain_get_job_stats_ret *ret = r;
    RemoteDaemon *daemon = remote_daemon_of(call);
    g_autoptr(DrvDomainObj) obj = remote_get_domain(daemon, &args->dom, error);
    DrvMigrateJobInfo info;
    remote_typed_param *p;

    if (!obj || !drv_migrate_get_job_info(daemon->driver, obj, args->flags,
                                          &info, error))
        return false;
    ret->type = info.type;
    if (info.type == DRV_JOB_NONE)
        return true;
    /* Only what nimbus reports: elapsed time, RAM size, pre-copy passes. */
    p = ret->params.params_val = g_new0(remote_typed_param, 5);
    ret->params.params_len = 5;
    p[0].field = g_strdup("operation");
    p[0].value.type = 1;    /* VIR_TYPED_PARAM_INT */
    p[0].value.remote_typed_param_value_u.i =
        info.outgoing ? REMOTE_JOB_OPERATION_MIGRATION_OUT
                      : REMOTE_JOB_OPERATION_MIGRATION_IN;
    remote_job_param_ullong(&p[1], "time_elapsed", info.elapsed_ms);
    remote_job_param_ullong(&p[2], "data_total", info.memory_total);
    remote_job_param_ullong(&p[3], "memory_total", info.memory_total);
    remote_job_param_ullong(&p[4], "memory_iteration", info.iterations);
    return true;
}

bool
remote_domain_abort_job(RpcCall *call, void *a, void *r, GError **error)
{
    remote_domain_abort_job_args *args = a;
    RemoteDaemon *daemon = remote_daemon_of(call);
    g_autoptr(DrvDomainObj) obj = remote_get_domain(daemon, &args->dom, error);

    return obj && drv_migrate_abort_job(daemon->driver, obj, 0, error);
}

bool
remote_domain_migrate_get_max_downtime(RpcCall *call, void *a, void *r,
                                       GError **error)
{
    remote_domain_migrate_get_max_downtime_args *args = a;
    remote_domain_migrate_get_max_downtime_ret *ret = r;
    RemoteDaemon *daemon = remote_daemon_of(call);
    g_autoptr(DrvDomainObj) obj = remote_get_domain(daemon, &args->dom, error);
    uint64_t ms = 0;

    if (!obj || !drv_migrate_get_max_downtime(daemon->driver, obj,
                                              args->flags, &ms, error))
        return false;
    ret->downtime = ms;
    return true;
}

bool
remote_domain_migrate_set_max_downtime(RpcCall *call, void *a, void *r,
                                       GError **error)
{
    remote_domain_migrate_set_max_downtime_args *args = a;
    RemoteDaemon *daemon = remote_daemon_of(call);
    g_autoptr(DrvDomainObj) obj = remote_get_domain(daemon, &args->dom, error);

    return obj && drv_migrate_set_max_downtime(daemon->driver, obj,
                                               args->downtime, args->flags,
                                               error);
}
