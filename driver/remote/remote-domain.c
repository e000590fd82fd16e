/* SPDX-License-Identifier: Apache-2.0 */
/* REMOTE procedures that list, look up, define and inspect domains. */
#include <config.h>

#include <string.h>

#include "driver/remote/remote.h"
#include "driver/rename.h"
#include "driver/save.h"
#include "driver/rpc/client.h"

/* libvirt's server resolves a remote_nonnull_domain by its uuid only: the
 * name and id the client sends may be stale (a restart changes the id). */
DrvDomainObj *
remote_get_domain(RemoteDaemon *daemon, const remote_nonnull_domain *dom,
                  GError **error)
{
    DrvDomainObj *obj = drv_domain_list_find_by_uuid(daemon->driver->domains,
                                                     (const unsigned char *)dom->uuid);
    char uuid[37];

    if (!obj) {
        domain_uuid_format((const unsigned char *)dom->uuid, uuid);
        g_set_error(error, DRV_ERROR, DRV_ERROR_NO_DOMAIN,
                    "no domain with matching uuid '%s' (%s)", uuid,
                    dom->name ? dom->name : "");
    }
    return obj;
}

void
remote_make_domain(DrvDomainObj *obj, remote_nonnull_domain *out)
{
    out->name = g_strdup(obj->name);
    memcpy(out->uuid, obj->uuid, sizeof(out->uuid));
    drv_domain_obj_lock(obj);
    out->id = obj->id;
    drv_domain_obj_unlock(obj);
}

/* Answers a handler whose ret is remote_domain_ret with @obj. */
static bool
remote_domain_reply(DrvDomainObj *obj, void *r)
{
    remote_domain_ret *ret = r;

    if (!obj)
        return false;
    remote_make_domain(obj, &ret->dom);
    drv_domain_obj_unref(obj);
    return true;
}

/* ---- listing ---------------------------------------------------------------- */

bool
remote_connect_list_all_domains(RpcCall *call, void *a, void *r, GError **error)
{
    remote_connect_list_all_domains_args *args = a;
    remote_connect_list_all_domains_ret *ret = r;
    g_autoptr(GPtrArray) list = drv_domain_list_all(remote_daemon_of(call)->driver,
                                                    args->flags, error);

    if (!list)
        return false;
    if (list->len > REMOTE_DOMAIN_LIST_MAX) {
        g_set_error(error, DRV_ERROR, DRV_ERROR_INTERNAL_ERROR,
                    "too many domains (%u) for one reply (at most %d)", list->len,
                    REMOTE_DOMAIN_LIST_MAX);
        return false;
    }
    ret->ret = list->len;
    /* need_results == 0: only the count (§1.2). */
    if (args->need_results) {
        ret->domains.domains_len = list->len;
        ret->domains.domains_val = g_new0(remote_nonnull_domain, MAX(list->len, 1));
        for (guint i = 0; i < list->len; i++)
            remote_make_domain(g_ptr_array_index(list, i),
                               &ret->domains.domains_val[i]);
    }
    return true;
}

/* The legacy calls (num_of_domains, list_domains, ...) are the active and
 * inactive halves of LIST_ALL_DOMAINS. */
static GPtrArray *
remote_list_by_state(RpcCall *call, bool active, GError **error)
{
    return drv_domain_list_all(remote_daemon_of(call)->driver,
                               active ? DRV_LIST_ACTIVE : DRV_LIST_INACTIVE, error);
}

bool
remote_connect_num_of_domains(RpcCall *call, void *a, void *r, GError **error)
{
    remote_connect_num_of_domains_ret *ret = r;
    g_autoptr(GPtrArray) list = remote_list_by_state(call, true, error);

    if (!list)
        return false;
    ret->num = (int)list->len;
    return true;
}

bool
remote_connect_num_of_defined_domains(RpcCall *call, void *a, void *r,
                                      GError **error)
{
    remote_connect_num_of_defined_domains_ret *ret = r;
    g_autoptr(GPtrArray) list = remote_list_by_state(call, false, error);

    if (!list)
        return false;
    ret->num = (int)list->len;
    return true;
}

static bool
remote_check_max(int max, GError **error)
{
    if (max < 0 || max > REMOTE_DOMAIN_LIST_MAX) {
        g_set_error(error, DRV_ERROR, DRV_ERROR_RPC,
                    "maximum of %d domains asked, the limit is %d", max,
                    REMOTE_DOMAIN_LIST_MAX);
        return false;
    }
    return true;
}

bool
remote_connect_list_domains(RpcCall *call, void *a, void *r, GError **error)
{
    remote_connect_list_domains_args *args = a;
    remote_connect_list_domains_ret *ret = r;
    g_autoptr(GPtrArray) list = NULL;
    guint n;

    if (!remote_check_max(args->maxids, error) ||
        !(list = remote_list_by_state(call, true, error)))
        return false;
    n = MIN(list->len, (guint)args->maxids);
    ret->ids.ids_len = n;
    ret->ids.ids_val = g_new0(int, MAX(n, 1));
    for (guint i = 0; i < n; i++) {
        DrvDomainObj *obj = g_ptr_array_index(list, i);

        drv_domain_obj_lock(obj);
        ret->ids.ids_val[i] = obj->id;
        drv_domain_obj_unlock(obj);
    }
    return true;
}

bool
remote_connect_list_defined_domains(RpcCall *call, void *a, void *r,
                                    GError **error)
{
    remote_connect_list_defined_domains_args *args = a;
    remote_connect_list_defined_domains_ret *ret = r;
    g_autoptr(GPtrArray) list = NULL;
    guint n;

    if (!remote_check_max(args->maxnames, error) ||
        !(list = remote_list_by_state(call, false, error)))
        return false;
    n = MIN(list->len, (guint)args->maxnames);
    ret->names.names_len = n;
    ret->names.names_val = g_new0(char *, MAX(n, 1));
    for (guint i = 0; i < n; i++)
        ret->names.names_val[i] = g_strdup(((DrvDomainObj *)g_ptr_array_index(list, i))->name);
    return true;
}

/* ---- lookup ----------------------------------------------------------------- */

bool
remote_domain_lookup_by_id(RpcCall *call, void *a, void *r, GError **error)
{
    remote_domain_lookup_by_id_args *args = a;

    return remote_domain_reply(drv_domain_lookup_by_id(remote_daemon_of(call)->driver,
                                                       args->id, error), r);
}

bool
remote_domain_lookup_by_name(RpcCall *call, void *a, void *r, GError **error)
{
    remote_domain_lookup_by_name_args *args = a;

    return remote_domain_reply(drv_domain_lookup_by_name(remote_daemon_of(call)->driver,
                                                         args->name, error), r);
}

bool
remote_domain_lookup_by_uuid(RpcCall *call, void *a, void *r, GError **error)
{
    remote_domain_lookup_by_uuid_args *args = a;

    return remote_domain_reply(drv_domain_lookup_by_uuid(remote_daemon_of(call)->driver,
                                                         (const unsigned char *)args->uuid,
                                                         error), r);
}

/* ---- definitions ------------------------------------------------------------ */

bool
remote_domain_define_xml(RpcCall *call, void *a, void *r, GError **error)
{
    remote_domain_define_xml_args *args = a;

    return remote_domain_reply(drv_domain_define_xml(remote_daemon_of(call)->driver,
                                                     args->xml, 0, error), r);
}

bool
remote_domain_define_xml_flags(RpcCall *call, void *a, void *r, GError **error)
{
    remote_domain_define_xml_flags_args *args = a;

    return remote_domain_reply(drv_domain_define_xml(remote_daemon_of(call)->driver,
                                                     args->xml, args->flags, error), r);
}

static bool
remote_undefine(RpcCall *call, const remote_nonnull_domain *dom,
                unsigned int flags, GError **error)
{
    RemoteDaemon *daemon = remote_daemon_of(call);
    g_autoptr(DrvDomainObj) obj = remote_get_domain(daemon, dom, error);

    return obj && drv_domain_undefine(daemon->driver, obj, flags, error);
}

bool
remote_domain_undefine(RpcCall *call, void *a, void *r, GError **error)
{
    remote_domain_args *args = a;

    return remote_undefine(call, &args->dom, 0, error);
}

bool
remote_domain_undefine_flags(RpcCall *call, void *a, void *r, GError **error)
{
    remote_domain_flags_args *args = a;

    return remote_undefine(call, &args->dom, args->flags, error);
}

bool
remote_domain_rename(RpcCall *call, void *a, void *r, GError **error)
{
    remote_domain_rename_args *args = a;
    remote_domain_rename_ret *ret = r;
    RemoteDaemon *daemon = remote_daemon_of(call);
    g_autoptr(DrvDomainObj) obj = remote_get_domain(daemon, &args->dom, error);

    if (!obj ||
        !drv_domain_rename(daemon->driver, obj,
                           args->new_name ? *args->new_name : NULL,
                           args->flags, error))
        return false;
    ret->retcode = 0;
    return true;
}

bool
remote_domain_get_xml_desc(RpcCall *call, void *a, void *r, GError **error)
{
    remote_domain_flags_args *args = a;
    remote_domain_get_xml_desc_ret *ret = r;
    RemoteDaemon *daemon = remote_daemon_of(call);
    g_autoptr(DrvDomainObj) obj = NULL;

    /* Secure details (passwords) are for read-write connections only. */
    if ((args->flags & DRV_DOMAIN_XML_SECURE) &&
        rpc_client_is_readonly(rpc_call_get_client(call))) {
        g_set_error_literal(error, DRV_ERROR, DRV_ERROR_OPERATION_DENIED,
                            "virDomainGetXMLDesc with secure flag");
        return false;
    }
    obj = remote_get_domain(daemon, &args->dom, error);
    if (!obj)
        return false;
    ret->xml = drv_domain_get_xml_desc(daemon->driver, obj, args->flags, error);
    return ret->xml != NULL;
}

bool
remote_domain_set_autostart(RpcCall *call, void *a, void *r, GError **error)
{
    remote_domain_set_autostart_args *args = a;
    RemoteDaemon *daemon = remote_daemon_of(call);
    g_autoptr(DrvDomainObj) obj = remote_get_domain(daemon, &args->dom, error);

    return obj && drv_domain_set_autostart(daemon->driver, obj, args->autostart != 0,
                                           error);
}

/* ---- queries ------------------------------------------------------------------ */

bool
remote_domain_get_state(RpcCall *call, void *a, void *r, GError **error)
{
    remote_domain_flags_args *args = a;
    remote_domain_get_state_ret *ret = r;
    g_autoptr(DrvDomainObj) obj = NULL;

    if (!drv_check_flags(args->flags, 0, "virDomainGetState", error) ||
        !(obj = remote_get_domain(remote_daemon_of(call), &args->dom, error)))
        return false;
    drv_domain_obj_lock(obj);
    ret->state = obj->state;
    ret->reason = obj->reason;
    drv_domain_obj_unlock(obj);
    return true;
}

bool
remote_domain_get_info(RpcCall *call, void *a, void *r, GError **error)
{
    remote_domain_args *args = a;
    remote_domain_get_info_ret *ret = r;
    RemoteDaemon *daemon = remote_daemon_of(call);
    g_autoptr(DrvDomainObj) obj = remote_get_domain(daemon, &args->dom, error);
    DrvDomainInfo info;

    if (!obj || !drv_domain_get_info(daemon->driver, obj, &info, error))
        return false;
    ret->state = (unsigned char)info.state;
    ret->maxMem = info.max_mem_kib;
    ret->memory = info.memory_kib;
    ret->nrVirtCpu = (unsigned short)MIN(info.nr_vcpus, G_MAXUSHORT);
    ret->cpuTime = info.cpu_time_ns;
    return true;
}

bool
remote_domain_get_os_type(RpcCall *call, void *a, void *r, GError **error)
{
    remote_domain_args *args = a;
    remote_domain_get_os_type_ret *ret = r;
    g_autoptr(DrvDomainObj) obj = remote_get_domain(remote_daemon_of(call),
                                                    &args->dom, error);

    if (!obj)
        return false;
    /* The domain XML model accepts <type>hvm</type> only. */
    ret->type = g_strdup("hvm");
    return true;
}

/* Reads one number from the domain's current definition. */
static bool
remote_domain_def_value(RpcCall *call, const remote_nonnull_domain *dom,
                        bool max_vcpus, bool vcpus, uint64_t *out, GError **error)
{
    g_autoptr(DrvDomainObj) obj = remote_get_domain(remote_daemon_of(call), dom, error);
    const DomainDef *def;

    if (!obj)
        return false;
    drv_domain_obj_lock(obj);
    def = drv_domain_obj_current_def_checked(obj, error);
    if (def)
        *out = max_vcpus ? def->max_vcpus : vcpus ? def->vcpus : def->max_memory_kib;
    drv_domain_obj_unlock(obj);
    return def != NULL;
}

bool
remote_domain_get_max_memory(RpcCall *call, void *a, void *r, GError **error)
{
    remote_domain_args *args = a;
    remote_domain_get_max_memory_ret *ret = r;
    uint64_t v = 0;

    if (!remote_domain_def_value(call, &args->dom, false, false, &v, error))
        return false;
    ret->memory = v;
    return true;
}

bool
remote_domain_get_max_vcpus(RpcCall *call, void *a, void *r, GError **error)
{
    remote_domain_args *args = a;
    remote_domain_int_ret *ret = r;
    uint64_t v = 0;

    if (!remote_domain_def_value(call, &args->dom, true, false, &v, error))
        return false;
    ret->value = (int)v;
    return true;
}

bool
remote_domain_get_vcpus_flags(RpcCall *call, void *a, void *r, GError **error)
{
    remote_domain_flags_args *args = a;
    remote_domain_int_ret *ret = r;
    /* AFFECT_LIVE 1 | AFFECT_CONFIG 2 | VCPU_MAXIMUM 4 | VCPU_GUEST 8 */
    const unsigned int live = 1, config = 2, maximum = 4;
    g_autoptr(DrvDomainObj) obj = NULL;
    const DomainDef *def;
    bool ok = true;

    if (!drv_check_flags(args->flags, live | config | maximum,
                         "virDomainGetVcpusFlags", error))
        return false;
    if ((args->flags & live) && (args->flags & config)) {
        g_set_error_literal(error, DRV_ERROR, DRV_ERROR_INVALID_ARG,
                            "flags 'live' and 'config' are mutually exclusive");
        return false;
    }
    obj = remote_get_domain(remote_daemon_of(call), &args->dom, error);
    if (!obj)
        return false;
    drv_domain_obj_lock(obj);
    if ((args->flags & live) && !obj->live) {
        drv_domain_set_error_not_running(error);
        ok = false;
    } else {
        /* "current" is live while running, config otherwise. */
        def = (args->flags & config) && obj->def ? obj->def :
              drv_domain_obj_current_def_checked(obj, error);
        if (def)
            ret->value = (int)((args->flags & maximum) ? def->max_vcpus : def->vcpus);
        ok = def != NULL;
    }
    drv_domain_obj_unlock(obj);
    return ok;
}

/* is_active / is_persistent / get_autostart: one boolean of the domain. */
static bool
remote_domain_bool(RpcCall *call, void *a, void *r, int which, GError **error)
{
    remote_domain_args *args = a;
    remote_domain_int_ret *ret = r;
    g_autoptr(DrvDomainObj) obj = remote_get_domain(remote_daemon_of(call),
                                                    &args->dom, error);

    if (!obj)
        return false;
    drv_domain_obj_lock(obj);
    ret->value = which == 0 ? drv_domain_obj_is_active(obj) :
                 which == 1 ? drv_domain_obj_is_persistent(obj) : obj->autostart;
    drv_domain_obj_unlock(obj);
    return true;
}

bool
remote_domain_is_active(RpcCall *call, void *a, void *r, GError **error)
{
    return remote_domain_bool(call, a, r, 0, error);
}

bool
remote_domain_is_persistent(RpcCall *call, void *a, void *r, GError **error)
{
    return remote_domain_bool(call, a, r, 1, error);
}

bool
remote_domain_get_autostart(RpcCall *call, void *a, void *r, GError **error)
{
    return remote_domain_bool(call, a, r, 2, error);
}

bool
remote_domain_has_managed_save_image(RpcCall *call, void *a, void *r,
                                     GError **error)
{
    remote_domain_flags_args *args = a;
    remote_domain_int_ret *ret = r;
    g_autoptr(DrvDomainObj) obj = NULL;

    if (!drv_check_flags(args->flags, 0, "virDomainHasManagedSaveImage", error) ||
        !(obj = remote_get_domain(remote_daemon_of(call), &args->dom, error)))
        return false;
    ret->value = drv_managed_save_exists(remote_daemon_of(call)->driver, obj);
    return true;
}

bool
remote_domain_set_metadata(RpcCall *call, void *a, void *r, GError **error)
{
    remote_domain_set_metadata_args *args = a;
    RemoteDaemon *daemon = remote_daemon_of(call);
    g_autoptr(DrvDomainObj) obj = remote_get_domain(daemon, &args->dom, error);

    return obj && drv_domain_set_metadata(daemon->driver, obj, args->type,
                                          args->metadata ? *args->metadata : NULL,
                                          args->key ? *args->key : NULL,
                                          args->uri ? *args->uri : NULL,
                                          args->flags, error);
}

bool
remote_domain_get_metadata(RpcCall *call, void *a, void *r, GError **error)
{
    remote_domain_get_metadata_args *args = a;
    remote_domain_get_metadata_ret *ret = r;
    RemoteDaemon *daemon = remote_daemon_of(call);
    g_autoptr(DrvDomainObj) obj = remote_get_domain(daemon, &args->dom, error);

    if (!obj)
        return false;
    ret->metadata = drv_domain_get_metadata(daemon->driver, obj, args->type,
                                            args->uri ? *args->uri : NULL,
                                            args->flags, error);
    return ret->metadata != NULL;
}

/* setmem / setmaxmem: virDomainSetMemory is the live balloon target,
 * virDomainSetMaxMemory <memory> of the current definition. */
bool
remote_domain_set_memory(RpcCall *call, void *a, void *r, GError **error)
{
    remote_domain_set_memory_args *args = a;
    RemoteDaemon *daemon = remote_daemon_of(call);
    g_autoptr(DrvDomainObj) obj = remote_get_domain(daemon, &args->dom, error);

    return obj && drv_domain_set_memory(daemon->driver, obj, args->memory,
                                        DRV_DOMAIN_AFFECT_LIVE, error);
}

bool
remote_domain_set_max_memory(RpcCall *call, void *a, void *r, GError **error)
{
    remote_domain_set_memory_args *args = a;
    RemoteDaemon *daemon = remote_daemon_of(call);
    g_autoptr(DrvDomainObj) obj = remote_get_domain(daemon, &args->dom, error);

    return obj && drv_domain_set_memory(daemon->driver, obj, args->memory,
                                        DRV_DOMAIN_MEM_MAXIMUM, error);
}

bool
remote_domain_set_memory_flags(RpcCall *call, void *a, void *r,
                               GError **error)
{
    remote_domain_set_memory_flags_args *args = a;
    RemoteDaemon *daemon = remote_daemon_of(call);
    g_autoptr(DrvDomainObj) obj = remote_get_domain(daemon, &args->dom, error);

    return obj && drv_domain_set_memory(daemon->driver, obj, args->memory,
                                        args->flags, error);
}
