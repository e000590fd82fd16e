/* SPDX-License-Identifier: Apache-2.0 */
/* virsh pool-*, virt-install's default pool: libvirtd's storage driver. */
#include <config.h>

#include "driver/remote/remote-forward.h"

REMOTE_HANDLER(remote_fwd_connect_num_of_storage_pools)
{
    return remote_fwd_count(call, DRV_FORWARD_STORAGE,
                            virConnectNumOfStoragePools, ret, error);
}

REMOTE_HANDLER(remote_fwd_connect_num_of_defined_storage_pools)
{
    return remote_fwd_count(call, DRV_FORWARD_STORAGE,
                            virConnectNumOfDefinedStoragePools, ret, error);
}

REMOTE_HANDLER(remote_fwd_connect_list_storage_pools)
{
    const remote_fwd_maxnames_args *a = args;

    return remote_fwd_list(call, DRV_FORWARD_STORAGE,
                           virConnectListStoragePools, a->maxnames, ret,
                           error);
}

REMOTE_HANDLER(remote_fwd_connect_list_defined_storage_pools)
{
    const remote_fwd_maxnames_args *a = args;

    return remote_fwd_list(call, DRV_FORWARD_STORAGE,
                           virConnectListDefinedStoragePools, a->maxnames,
                           ret, error);
}

REMOTE_HANDLER(remote_fwd_connect_list_all_storage_pools)
{
    const remote_fwd_list_all_args *a = args;
    remote_fwd_list_all_pools_ret *r = ret;
    g_autoptr(virConnect) conn =
        remote_fwd_conn(call, DRV_FORWARD_STORAGE, error);
    virStoragePoolPtr *pools = NULL;
    int n;

    if (!conn)
        return false;
    n = virConnectListAllStoragePools(conn, a->need_results ? &pools : NULL,
                                      a->flags);
    return remote_fwd_list_all_finish(&remote_fwd_pool_type, n,
                                      (gpointer *)pools, &r->ret,
                                      &r->pools.pools_len,
                                      (gpointer *)&r->pools.pools_val, error);
}

REMOTE_HANDLER(remote_fwd_connect_find_storage_pool_sources)
{
    const remote_fwd_find_pool_sources_args *a = args;
    g_autoptr(virConnect) conn =
        remote_fwd_conn(call, DRV_FORWARD_STORAGE, error);

    if (!conn)
        return false;
    return remote_fwd_take_string(
        virConnectFindStoragePoolSources(conn, a->type, a->srcSpec ?
                                         *a->srcSpec : NULL, a->flags),
        &((remote_fwd_string_ret *)ret)->str, error);
}

/* A call that answers one pool. */
static bool
remote_fwd_pool_reply(virStoragePoolPtr pool, void *ret, GError **error)
{
    return remote_fwd_reply(&remote_fwd_pool_type, pool,
                            &((remote_fwd_pool_ret *)ret)->pool, error);
}

REMOTE_HANDLER(remote_fwd_storage_pool_create_xml)
{
    const remote_fwd_xml_flags_args *a = args;
    g_autoptr(virConnect) conn =
        remote_fwd_conn(call, DRV_FORWARD_STORAGE, error);

    return conn && remote_fwd_pool_reply(
        virStoragePoolCreateXML(conn, a->xml, a->flags), ret, error);
}

REMOTE_HANDLER(remote_fwd_storage_pool_define_xml)
{
    const remote_fwd_xml_flags_args *a = args;
    g_autoptr(virConnect) conn =
        remote_fwd_conn(call, DRV_FORWARD_STORAGE, error);

    return conn && remote_fwd_pool_reply(
        virStoragePoolDefineXML(conn, a->xml, a->flags), ret, error);
}

REMOTE_HANDLER(remote_fwd_storage_pool_lookup_by_name)
{
    const remote_fwd_name_args *a = args;
    g_autoptr(virConnect) conn =
        remote_fwd_conn(call, DRV_FORWARD_STORAGE, error);

    return conn && remote_fwd_pool_reply(
        virStoragePoolLookupByName(conn, a->name), ret, error);
}

REMOTE_HANDLER(remote_fwd_storage_pool_lookup_by_uuid)
{
    const remote_fwd_uuid_args *a = args;
    g_autoptr(virConnect) conn =
        remote_fwd_conn(call, DRV_FORWARD_STORAGE, error);

    return conn && remote_fwd_pool_reply(
        virStoragePoolLookupByUUID(conn, (const unsigned char *)a->uuid),
        ret, error);
}

REMOTE_HANDLER(remote_fwd_storage_pool_lookup_by_volume)
{
    const remote_fwd_vol_args *a = args;
    g_autoptr(virConnect) conn =
        remote_fwd_conn(call, DRV_FORWARD_STORAGE, error);
    g_autoptr(virStorageVol) vol = NULL;

    if (!conn || !(vol = remote_fwd_vol(conn, &a->vol, error)))
        return false;
    return remote_fwd_pool_reply(virStoragePoolLookupByVolume(vol), ret,
                                 error);
}

/* The calls on one pool: found by UUID, then @fn with the call's flags
 * (or none) and, for getters, its int answer.  -1 is failure. */
#define POOL_FLAGS_OP(handler, fn) \
    REMOTE_HANDLER(handler) \
    { \
        const remote_fwd_pool_flags_args *a = args; \
        return remote_fwd_do_flags(call, &remote_fwd_pool_type, &a->pool, \
                                   (RemoteFwdFlagsOp)fn, a->flags, error); \
    }
#define POOL_OP(handler, fn, result) \
    REMOTE_HANDLER(handler) \
    { \
        const remote_fwd_pool_args *a = args; \
        return remote_fwd_do(call, &remote_fwd_pool_type, &a->pool, \
                             (RemoteFwdOp)fn, result, error); \
    }

POOL_FLAGS_OP(remote_fwd_storage_pool_create, virStoragePoolCreate)
POOL_FLAGS_OP(remote_fwd_storage_pool_build, virStoragePoolBuild)
POOL_FLAGS_OP(remote_fwd_storage_pool_delete, virStoragePoolDelete)
POOL_FLAGS_OP(remote_fwd_storage_pool_refresh, virStoragePoolRefresh)
POOL_OP(remote_fwd_storage_pool_destroy, virStoragePoolDestroy, NULL)
POOL_OP(remote_fwd_storage_pool_undefine, virStoragePoolUndefine, NULL)
POOL_OP(remote_fwd_storage_pool_is_active, virStoragePoolIsActive,
        &((remote_fwd_num_ret *)ret)->num)
POOL_OP(remote_fwd_storage_pool_is_persistent, virStoragePoolIsPersistent,
        &((remote_fwd_num_ret *)ret)->num)
POOL_OP(remote_fwd_storage_pool_num_of_volumes, virStoragePoolNumOfVolumes,
        &((remote_fwd_num_ret *)ret)->num)

REMOTE_HANDLER(remote_fwd_storage_pool_get_info)
{
    const remote_fwd_pool_args *a = args;
    remote_fwd_pool_get_info_ret *r = ret;
    g_autoptr(virConnect) conn =
        remote_fwd_conn(call, DRV_FORWARD_STORAGE, error);
    g_autoptr(virStoragePool) p = NULL;
    virStoragePoolInfo info;

    if (!conn || !(p = remote_fwd_pool(conn, &a->pool, error)))
        return false;
    if (virStoragePoolGetInfo(p, &info) < 0) {
        drv_forward_set_error(error);
        return false;
    }
    r->state = info.state;
    r->capacity = info.capacity;
    r->allocation = info.allocation;
    r->available = info.available;
    return true;
}

REMOTE_HANDLER(remote_fwd_storage_pool_get_xml_desc)
{
    const remote_fwd_pool_flags_args *a = args;

    return remote_fwd_xml_desc(call, &remote_fwd_pool_type, &a->pool,
                               (RemoteFwdXmlOp)virStoragePoolGetXMLDesc,
                               a->flags, ret, error);
}

REMOTE_HANDLER(remote_fwd_storage_pool_get_autostart)
{
    const remote_fwd_pool_args *a = args;
    remote_fwd_num_ret *r = ret;
    g_autoptr(virConnect) conn =
        remote_fwd_conn(call, DRV_FORWARD_STORAGE, error);
    g_autoptr(virStoragePool) p = NULL;

    if (!conn || !(p = remote_fwd_pool(conn, &a->pool, error)))
        return false;
    if (virStoragePoolGetAutostart(p, &r->num) < 0) {
        drv_forward_set_error(error);
        return false;
    }
    return true;
}

REMOTE_HANDLER(remote_fwd_storage_pool_set_autostart)
{
    const remote_fwd_pool_set_autostart_args *a = args;
    g_autoptr(virConnect) conn =
        remote_fwd_conn(call, DRV_FORWARD_STORAGE, error);
    g_autoptr(virStoragePool) p = NULL;

    if (!conn || !(p = remote_fwd_pool(conn, &a->pool, error)))
        return false;
    if (virStoragePoolSetAutostart(p, a->autostart) < 0) {
        drv_forward_set_error(error);
        return false;
    }
    return true;
}

REMOTE_HANDLER(remote_fwd_storage_pool_list_volumes)
{
    const remote_fwd_pool_list_volumes_args *a = args;
    g_autoptr(virConnect) conn =
        remote_fwd_conn(call, DRV_FORWARD_STORAGE, error);
    g_autoptr(virStoragePool) p = NULL;
    char **names;

    if (!conn || !(p = remote_fwd_pool(conn, &a->pool, error)) ||
        !(names = remote_fwd_names_new(a->maxnames, error)))
        return false;
    return remote_fwd_names_finish(
        names, virStoragePoolListVolumes(p, names, a->maxnames), ret, error);
}

REMOTE_HANDLER(remote_fwd_storage_pool_list_all_volumes)
{
    const remote_fwd_pool_list_all_volumes_args *a = args;
    remote_fwd_list_all_vols_ret *r = ret;
    g_autoptr(virConnect) conn =
        remote_fwd_conn(call, DRV_FORWARD_STORAGE, error);
    g_autoptr(virStoragePool) p = NULL;
    virStorageVolPtr *vols = NULL;
    bool ok = true;
    int n;

    if (!conn || !(p = remote_fwd_pool(conn, &a->pool, error)))
        return false;
    n = virStoragePoolListAllVolumes(p, a->need_results ? &vols : NULL,
                                     a->flags);
    if (n < 0) {
        drv_forward_set_error(error);
        return false;
    }
    r->ret = n;
    if (vols) {
        r->vols.vols_len = n;
        r->vols.vols_val = g_new0(remote_nonnull_storage_vol, MAX(n, 1));
        for (int i = 0; i < n; i++) {
            /* Every volume is in @p: no lookup of its pool. */
            ok = ok && remote_fwd_make_vol(vols[i], virStoragePoolGetName(p),
                                           &r->vols.vols_val[i], error);
            virStorageVolFree(vols[i]);
        }
        free(vols);
    }
    return ok;
}
