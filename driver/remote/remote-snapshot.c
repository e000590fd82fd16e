/* SPDX-License-Identifier: Apache-2.0 */
/* REMOTE domain snapshot procedures onto driver/snapshot.c. */
#include <config.h>

#include "driver/remote/remote-snapshot.h"
#include "driver/rpc/client.h"
#include "driver/snapshot.h"

/* A snapshot is named by its domain and its name (reference §1.2): the
 * domain is found by uuid, the name is checked by each driver call. */
static DrvDomainObj *
remote_snap_domain(RpcCall *call, const remote_nonnull_domain_snapshot *snap,
                   GError **error)
{
    return remote_get_domain(remote_daemon_of(call), &snap->dom, error);
}

static void
remote_make_snapshot(DrvDomainObj *obj, const char *name,
                     remote_nonnull_domain_snapshot *out)
{
    out->name = g_strdup(name);
    remote_make_domain(obj, &out->dom);
}

/* Answers a remote_domain_snapshot_ret with @name (transfer full). */
static bool
remote_snap_reply(DrvDomainObj *obj, char *name, void *r)
{
    remote_domain_snapshot_ret *ret = r;
    g_autofree char *owned = name;

    if (!owned)
        return false;
    remote_make_snapshot(obj, owned, &ret->snap);
    return true;
}

static bool
remote_snap_check_max(int maxnames, GError **error)
{
    if (maxnames >= 0 && maxnames <= REMOTE_DOMAIN_SNAPSHOT_LIST_MAX)
        return true;
    g_set_error(error, DRV_ERROR, DRV_ERROR_RPC,
                "maxnames must be 0 to %d", REMOTE_DOMAIN_SNAPSHOT_LIST_MAX);
    return false;
}

static bool
remote_snap_names(GPtrArray *list, int maxnames, void *r)
{
    remote_domain_snapshot_list_names_ret *ret = r;
    guint n = MIN(list->len, (guint)maxnames);

    ret->names.names_len = n;
    ret->names.names_val = g_new0(char *, MAX(n, 1));
    for (guint i = 0; i < n; i++)
        ret->names.names_val[i] = g_strdup(list->pdata[i]);
    return true;
}

/* LIST_ALL_SNAPSHOTS and SNAPSHOT_LIST_ALL_CHILDREN share a reply. */
static bool
remote_snap_list_all(DrvDomainObj *obj, GPtrArray *list, int need_results,
                     void *r, GError **error)
{
    remote_domain_list_all_snapshots_ret *ret = r;

    if (!list)
        return false;
    if (list->len > REMOTE_SNAPSHOT_LIST_MAX) {
        g_set_error(error, DRV_ERROR, DRV_ERROR_INTERNAL_ERROR,
                    "too many snapshots (%u) for one reply", list->len);
        return false;
    }
    ret->ret = list->len;
    /* need_results == 0: only the count (§1.2). */
    if (need_results) {
        ret->snapshots.snapshots_len = list->len;
        ret->snapshots.snapshots_val =
            g_new0(remote_nonnull_domain_snapshot, MAX(list->len, 1));
        for (guint i = 0; i < list->len; i++)
            remote_make_snapshot(obj, list->pdata[i],
                                 &ret->snapshots.snapshots_val[i]);
    }
    return true;
}

bool
remote_domain_snapshot_create_xml(RpcCall *call, void *a, void *r,
                                  GError **error)
{
    remote_domain_snapshot_create_xml_args *args = a;
    RemoteDaemon *daemon = remote_daemon_of(call);
    g_autoptr(DrvDomainObj) obj = remote_get_domain(daemon, &args->dom, error);

    return obj && remote_snap_reply(obj, drv_snapshot_create(daemon->driver,
                                                             obj,
                                                             args->xml_desc,
                                                             args->flags,
                                                             error), r);
}

bool
remote_domain_snapshot_get_xml_desc(RpcCall *call, void *a, void *r,
                                    GError **error)
{
    remote_domain_snapshot_snap_args *args = a;
    remote_domain_snapshot_get_xml_desc_ret *ret = r;
    g_autoptr(DrvDomainObj) obj = NULL;

    /* The domain inside keeps its secrets for read-write connections, as
     * GET_XML_DESC does. */
    if ((args->flags & DRV_SNAPSHOT_XML_SECURE) &&
        rpc_client_is_readonly(rpc_call_get_client(call))) {
        g_set_error_literal(error, DRV_ERROR, DRV_ERROR_OPERATION_DENIED,
                            "virDomainSnapshotGetXMLDesc with secure flag");
        return false;
    }
    if (!(obj = remote_snap_domain(call, &args->snap, error)))
        return false;
    ret->xml = drv_snapshot_get_xml(remote_daemon_of(call)->driver, obj,
                                    args->snap.name, args->flags, error);
    return ret->xml != NULL;
}

bool
remote_domain_list_all_snapshots(RpcCall *call, void *a, void *r,
                                 GError **error)
{
    remote_domain_list_all_snapshots_args *args = a;
    RemoteDaemon *daemon = remote_daemon_of(call);
    g_autoptr(DrvDomainObj) obj = remote_get_domain(daemon, &args->dom, error);
    g_autoptr(GPtrArray) list = NULL;

    if (!obj)
        return false;
    list = drv_snapshot_list(daemon->driver, obj, NULL, args->flags,
                             "virDomainListAllSnapshots", error);
    return remote_snap_list_all(obj, list, args->need_results, r, error);
}

bool
remote_domain_snapshot_list_all_children(RpcCall *call, void *a, void *r,
                                         GError **error)
{
    remote_domain_snapshot_list_all_children_args *args = a;
    g_autoptr(DrvDomainObj) obj = remote_snap_domain(call, &args->snapshot,
                                                     error);
    g_autoptr(GPtrArray) list = NULL;

    if (!obj)
        return false;
    list = drv_snapshot_list(remote_daemon_of(call)->driver, obj,
                             args->snapshot.name, args->flags,
                             "virDomainSnapshotListAllChildren", error);
    return remote_snap_list_all(obj, list, args->need_results, r, error);
}

bool
remote_domain_snapshot_num(RpcCall *call, void *a, void *r, GError **error)
{
    remote_domain_snapshot_dom_args *args = a;
    remote_domain_snapshot_int_ret *ret = r;
    RemoteDaemon *daemon = remote_daemon_of(call);
    g_autoptr(DrvDomainObj) obj = remote_get_domain(daemon, &args->dom, error);
    g_autoptr(GPtrArray) list = NULL;

    if (!obj || !(list = drv_snapshot_list(daemon->driver, obj, NULL,
                                           args->flags,
                                           "virDomainSnapshotNum", error)))
        return false;
    ret->num = (int)list->len;
    return true;
}

bool
remote_domain_snapshot_list_names(RpcCall *call, void *a, void *r,
                                  GError **error)
{
    remote_domain_snapshot_list_names_args *args = a;
    RemoteDaemon *daemon = remote_daemon_of(call);
    g_autoptr(DrvDomainObj) obj = remote_get_domain(daemon, &args->dom, error);
    g_autoptr(GPtrArray) list = NULL;

    if (!obj || !remote_snap_check_max(args->maxnames, error) ||
        !(list = drv_snapshot_list(daemon->driver, obj, NULL, args->flags,
                                   "virDomainSnapshotListNames", error)))
        return false;
    return remote_snap_names(list, args->maxnames, r);
}

bool
remote_domain_snapshot_num_children(RpcCall *call, void *a, void *r,
                                    GError **error)
{
    remote_domain_snapshot_snap_args *args = a;
    remote_domain_snapshot_int_ret *ret = r;
    g_autoptr(DrvDomainObj) obj = remote_snap_domain(call, &args->snap, error);
    g_autoptr(GPtrArray) list = NULL;

    if (!obj || !(list = drv_snapshot_list(remote_daemon_of(call)->driver,
                                           obj, args->snap.name, args->flags,
                                           "virDomainSnapshotNumChildren",
                                           error)))
        return false;
    ret->num = (int)list->len;
    return true;
}

bool
remote_domain_snapshot_list_children_names(RpcCall *call, void *a, void *r,
                                           GError **error)
{
    remote_domain_snapshot_list_children_names_args *args = a;
    g_autoptr(DrvDomainObj) obj = remote_snap_domain(call, &args->snap, error);
    g_autoptr(GPtrArray) list = NULL;

    if (!obj || !remote_snap_check_max(args->maxnames, error) ||
        !(list = drv_snapshot_list(remote_daemon_of(call)->driver, obj,
                                   args->snap.name, args->flags,
                                   "virDomainSnapshotListChildrenNames",
                                   error)))
        return false;
    return remote_snap_names(list, args->maxnames, r);
}

bool
remote_domain_snapshot_lookup_by_name(RpcCall *call, void *a, void *r,
                                      GError **error)
{
    remote_domain_snapshot_lookup_by_name_args *args = a;
    RemoteDaemon *daemon = remote_daemon_of(call);
    g_autoptr(DrvDomainObj) obj = remote_get_domain(daemon, &args->dom, error);

    if (!obj || !drv_check_flags(args->flags, 0,
                                 "virDomainSnapshotLookupByName", error) ||
        !drv_snapshot_lookup(daemon->driver, obj, args->name, error))
        return false;
    return remote_snap_reply(obj, g_strdup(args->name), r);
}

bool
remote_domain_has_current_snapshot(RpcCall *call, void *a, void *r,
                                   GError **error)
{
    remote_domain_snapshot_dom_args *args = a;
    remote_domain_snapshot_int_ret *ret = r;
    RemoteDaemon *daemon = remote_daemon_of(call);
    g_autoptr(DrvDomainObj) obj = remote_get_domain(daemon, &args->dom, error);
    g_autoptr(GError) local = NULL;
    g_autofree char *name = NULL;
    bool none = false;

    if (!obj || !drv_check_flags(args->flags, 0,
                                 "virDomainHasCurrentSnapshot", error))
        return false;
    name = drv_snapshot_current(daemon->driver, obj, &none, &local);
    if (!name && !none) {
        g_propagate_error(error, g_steal_pointer(&local));
        return false;
    }
    ret->num = name != NULL;
    return true;
}

bool
remote_domain_snapshot_current(RpcCall *call, void *a, void *r,
                               GError **error)
{
    remote_domain_snapshot_dom_args *args = a;
    RemoteDaemon *daemon = remote_daemon_of(call);
    g_autoptr(DrvDomainObj) obj = remote_get_domain(daemon, &args->dom, error);
    bool none;

    if (!obj || !drv_check_flags(args->flags, 0, "virDomainSnapshotCurrent",
                                 error))
        return false;
    return remote_snap_reply(obj, drv_snapshot_current(daemon->driver, obj,
                                                       &none, error), r);
}

bool
remote_domain_snapshot_get_parent(RpcCall *call, void *a, void *r,
                                  GError **error)
{
    remote_domain_snapshot_snap_args *args = a;
    g_autoptr(DrvDomainObj) obj = remote_snap_domain(call, &args->snap, error);

    if (!obj || !drv_check_flags(args->flags, 0,
                                 "virDomainSnapshotGetParent", error))
        return false;
    return remote_snap_reply(obj, drv_snapshot_get_parent(
                                 remote_daemon_of(call)->driver, obj,
                                 args->snap.name, error), r);
}

bool
remote_domain_snapshot_is_current(RpcCall *call, void *a, void *r,
                                  GError **error)
{
    remote_domain_snapshot_snap_args *args = a;
    remote_domain_snapshot_int_ret *ret = r;
    g_autoptr(DrvDomainObj) obj = remote_snap_domain(call, &args->snap, error);

    if (!obj || !drv_check_flags(args->flags, 0, "virDomainSnapshotIsCurrent",
                                 error))
        return false;
    ret->num = drv_snapshot_is_current(remote_daemon_of(call)->driver, obj,
                                       args->snap.name, error);
    return ret->num >= 0;
}

bool
remote_domain_snapshot_has_metadata(RpcCall *call, void *a, void *r,
                                    GError **error)
{
    remote_domain_snapshot_snap_args *args = a;
    remote_domain_snapshot_int_ret *ret = r;
    g_autoptr(DrvDomainObj) obj = remote_snap_domain(call, &args->snap, error);

    /* Every snapshot nimbusd knows is one it keeps metadata for. */
    if (!obj || !drv_check_flags(args->flags, 0,
                                 "virDomainSnapshotHasMetadata", error) ||
        !drv_snapshot_lookup(remote_daemon_of(call)->driver, obj,
                             args->snap.name, error))
        return false;
    ret->num = 1;
    return true;
}

bool
remote_domain_revert_to_snapshot(RpcCall *call, void *a, void *r,
                                 GError **error)
{
    remote_domain_snapshot_snap_args *args = a;
    g_autoptr(DrvDomainObj) obj = remote_snap_domain(call, &args->snap, error);

    return obj && drv_snapshot_revert(remote_daemon_of(call)->driver, obj,
                                      args->snap.name, args->flags, error);
}

bool
remote_domain_snapshot_delete(RpcCall *call, void *a, void *r,
                              GError **error)
{
    remote_domain_snapshot_snap_args *args = a;
    g_autoptr(DrvDomainObj) obj = remote_snap_domain(call, &args->snap, error);

    return obj && drv_snapshot_delete(remote_daemon_of(call)->driver, obj,
                                      args->snap.name, args->flags, error);
}
