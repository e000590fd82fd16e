/* SPDX-License-Identifier: Apache-2.0 */
/* virsh vol-*, virt-install --disk size=N|PATH: libvirtd's volumes. */
#include <config.h>

#include "driver/remote/remote-forward.h"

/* A call that answers one volume; @pool_name as remote_fwd_make_vol.
 * Callers read the pool name before making the call: every libvirt entry
 * point clears the thread's last error, which must survive until here. */
static bool
remote_fwd_vol_reply(virStorageVolPtr vol, const char *pool_name, void *ret,
                     GError **error)
{
    g_autoptr(virStorageVol) v = vol;
    remote_fwd_vol_ret *r = ret;

    if (!v) {
        drv_forward_set_error(error);
        return false;
    }
    return remote_fwd_make_vol(v, pool_name, &r->vol, error);
}

REMOTE_HANDLER(remote_fwd_storage_vol_create_xml)
{
    const remote_fwd_vol_create_xml_args *a = args;
    g_autoptr(virConnect) conn =
        remote_fwd_conn(call, DRV_FORWARD_STORAGE, error);
    g_autoptr(virStoragePool) p = NULL;
    const char *pool_name;

    if (!conn || !(p = remote_fwd_pool(conn, &a->pool, error)))
        return false;
    pool_name = virStoragePoolGetName(p);
    return remote_fwd_vol_reply(virStorageVolCreateXML(p, a->xml, a->flags),
                                pool_name, ret, error);
}

REMOTE_HANDLER(remote_fwd_storage_vol_create_xml_from)
{
    const remote_fwd_vol_create_xml_from_args *a = args;
    g_autoptr(virConnect) conn =
        remote_fwd_conn(call, DRV_FORWARD_STORAGE, error);
    g_autoptr(virStoragePool) p = NULL;
    g_autoptr(virStorageVol) clone = NULL;
    const char *pool_name;

    if (!conn || !(p = remote_fwd_pool(conn, &a->pool, error)) ||
        !(clone = remote_fwd_vol(conn, &a->clonevol, error)))
        return false;
    pool_name = virStoragePoolGetName(p);
    return remote_fwd_vol_reply(
        virStorageVolCreateXMLFrom(p, a->xml, clone, a->flags), pool_name,
        ret, error);
}

REMOTE_HANDLER(remote_fwd_storage_vol_lookup_by_name)
{
    const remote_fwd_vol_lookup_by_name_args *a = args;
    g_autoptr(virConnect) conn =
        remote_fwd_conn(call, DRV_FORWARD_STORAGE, error);
    g_autoptr(virStoragePool) p = NULL;
    const char *pool_name;

    if (!conn || !(p = remote_fwd_pool(conn, &a->pool, error)))
        return false;
    pool_name = virStoragePoolGetName(p);
    return remote_fwd_vol_reply(virStorageVolLookupByName(p, a->name),
                                pool_name, ret, error);
}

REMOTE_HANDLER(remote_fwd_storage_vol_lookup_by_key)
{
    const remote_fwd_name_args *a = args;
    g_autoptr(virConnect) conn =
        remote_fwd_conn(call, DRV_FORWARD_STORAGE, error);

    return conn && remote_fwd_vol_reply(
        virStorageVolLookupByKey(conn, a->name), NULL, ret, error);
}

/* virt-install and virt-manager resolve every disk path through this; a
 * path outside any pool is libvirtd's NO_STORAGE_VOL, which they expect. */
REMOTE_HANDLER(remote_fwd_storage_vol_lookup_by_path)
{
    const remote_fwd_name_args *a = args;
    g_autoptr(virConnect) conn =
        remote_fwd_conn(call, DRV_FORWARD_STORAGE, error);

    return conn && remote_fwd_vol_reply(
        virStorageVolLookupByPath(conn, a->name), NULL, ret, error);
}

REMOTE_HANDLER(remote_fwd_storage_vol_delete)
{
    const remote_fwd_vol_flags_args *a = args;

    return remote_fwd_do_flags(call, &remote_fwd_vol_type, &a->vol,
                               (RemoteFwdFlagsOp)virStorageVolDelete,
                               a->flags, error);
}

REMOTE_HANDLER(remote_fwd_storage_vol_wipe)
{
    const remote_fwd_vol_flags_args *a = args;

    return remote_fwd_do_flags(call, &remote_fwd_vol_type, &a->vol,
                               (RemoteFwdFlagsOp)virStorageVolWipe, a->flags,
                               error);
}

REMOTE_HANDLER(remote_fwd_storage_vol_resize)
{
    const remote_fwd_vol_resize_args *a = args;
    g_autoptr(virConnect) conn =
        remote_fwd_conn(call, DRV_FORWARD_STORAGE, error);
    g_autoptr(virStorageVol) v = NULL;

    if (!conn || !(v = remote_fwd_vol(conn, &a->vol, error)))
        return false;
    if (virStorageVolResize(v, a->capacity, a->flags) < 0) {
        drv_forward_set_error(error);
        return false;
    }
    return true;
}

REMOTE_HANDLER(remote_fwd_storage_vol_get_info)
{
    const remote_fwd_vol_args *a = args;
    remote_fwd_vol_get_info_ret *r = ret;
    g_autoptr(virConnect) conn =
        remote_fwd_conn(call, DRV_FORWARD_STORAGE, error);
    g_autoptr(virStorageVol) v = NULL;
    virStorageVolInfo info;

    if (!conn || !(v = remote_fwd_vol(conn, &a->vol, error)))
        return false;
    if (virStorageVolGetInfo(v, &info) < 0) {
        drv_forward_set_error(error);
        return false;
    }
    r->type = info.type;
    r->capacity = info.capacity;
    r->allocation = info.allocation;
    return true;
}

REMOTE_HANDLER(remote_fwd_storage_vol_get_xml_desc)
{
    const remote_fwd_vol_flags_args *a = args;

    return remote_fwd_xml_desc(call, &remote_fwd_vol_type, &a->vol,
                               (RemoteFwdXmlOp)virStorageVolGetXMLDesc,
                               a->flags, ret, error);
}

REMOTE_HANDLER(remote_fwd_storage_vol_get_path)
{
    const remote_fwd_vol_args *a = args;
    g_autoptr(virConnect) conn =
        remote_fwd_conn(call, DRV_FORWARD_STORAGE, error);
    g_autoptr(virStorageVol) v = NULL;

    if (!conn || !(v = remote_fwd_vol(conn, &a->vol, error)))
        return false;
    return remote_fwd_take_string(virStorageVolGetPath(v),
                                  &((remote_fwd_string_ret *)ret)->str,
                                  error);
}
