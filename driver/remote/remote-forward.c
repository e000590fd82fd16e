/* SPDX-License-Identifier: Apache-2.0 */
/* Helpers of the forwarded procedures: objects between XDR and libvirt. */
#include <config.h>

#include <string.h>

#include "driver/remote/remote-forward.h"

virConnectPtr
remote_fwd_conn(RpcCall *call, DrvForwardKind kind, GError **error)
{
    return drv_forward_conn_new(remote_daemon_of(call)->driver->forward,
                                kind, error);
}

/* libvirtd's network and storage drivers find objects by UUID (and
 * report a missing one by UUID), so a lookup by UUID gives the client the
 * same answer a direct libvirtd connection would. */
virNetworkPtr
remote_fwd_network(virConnectPtr conn, const remote_nonnull_network *net,
                   GError **error)
{
    virNetworkPtr n = virNetworkLookupByUUID(conn,
                                             (const unsigned char *)net->uuid);

    if (!n)
        drv_forward_set_error(error);
    return n;
}

void
remote_fwd_make_network(virNetworkPtr net, remote_nonnull_network *out)
{
    out->name = g_strdup(virNetworkGetName(net));
    virNetworkGetUUID(net, (unsigned char *)out->uuid);
}

virStoragePoolPtr
remote_fwd_pool(virConnectPtr conn, const remote_nonnull_storage_pool *pool,
                GError **error)
{
    virStoragePoolPtr p =
        virStoragePoolLookupByUUID(conn, (const unsigned char *)pool->uuid);

    if (!p)
        drv_forward_set_error(error);
    return p;
}

void
remote_fwd_make_pool(virStoragePoolPtr pool, remote_nonnull_storage_pool *out)
{
    out->name = g_strdup(virStoragePoolGetName(pool));
    virStoragePoolGetUUID(pool, (unsigned char *)out->uuid);
}

/* A volume is named by its pool and its name, as libvirtd's storage
 * driver finds it. */
virStorageVolPtr
remote_fwd_vol(virConnectPtr conn, const remote_nonnull_storage_vol *vol,
               GError **error)
{
    g_autoptr(virStoragePool) pool = virStoragePoolLookupByName(conn,
                                                                vol->pool);
    virStorageVolPtr v = NULL;

    if (!pool || !(v = virStorageVolLookupByName(pool, vol->name)))
        drv_forward_set_error(error);
    return v;
}

bool
remote_fwd_make_vol(virStorageVolPtr vol, const char *pool_name,
                    remote_nonnull_storage_vol *out, GError **error)
{
    g_autoptr(virStoragePool) pool = NULL;

    /* The public API has no "pool name of a volume": ask libvirtd for the
     * pool when the caller does not know it (lookups by key or path). */
    if (!pool_name) {
        if (!(pool = virStoragePoolLookupByVolume(vol))) {
            drv_forward_set_error(error);
            return false;
        }
        pool_name = virStoragePoolGetName(pool);
    }
    out->pool = g_strdup(pool_name);
    out->name = g_strdup(virStorageVolGetName(vol));
    out->key = g_strdup(virStorageVolGetKey(vol));
    return true;
}

char **
remote_fwd_names_new(int maxnames, GError **error)
{
    if (maxnames < 0 || maxnames > REMOTE_FWD_STORAGE_VOL_LIST_MAX) {
        g_set_error(error, DRV_ERROR, DRV_ERROR_INVALID_ARG,
                    "maxnames %d out of range 0..%d", maxnames,
                    REMOTE_FWD_STORAGE_VOL_LIST_MAX);
        return NULL;
    }
    return g_new0(char *, MAX(maxnames, 1));
}

bool
remote_fwd_names_finish(char **names, int n, remote_fwd_names_ret *ret,
                        GError **error)
{
    if (n < 0) {
        drv_forward_set_error(error);
        g_free(names);
        return false;
    }
    /* libvirt's strings are malloc'd, as xdr_free expects: moved as is,
     * and so is the array (g_new0 is malloc). */
    ret->names.names_len = n;
    ret->names.names_val = names;
    return true;
}

bool
remote_fwd_take_string(char *str, char **out, GError **error)
{
    if (!str) {
        drv_forward_set_error(error);
        return false;
    }
    *out = str;
    return true;
}
