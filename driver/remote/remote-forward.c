/* SPDX-License-Identifier: Apache-2.0 */
/* Helpers of the forwarded procedures: objects between XDR and libvirt. */
#include <config.h>

#include <stdlib.h>
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

const RemoteFwdType remote_fwd_network_type = {
    .kind = DRV_FORWARD_NETWORKS,
    .size = sizeof(remote_nonnull_network),
    .lookup = (gpointer (*)(virConnectPtr, gconstpointer, GError **))
        remote_fwd_network,
    .make = (void (*)(gpointer, gpointer))remote_fwd_make_network,
    .free = (int (*)(gpointer))virNetworkFree,
};

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

/* No .make: a volume's remote_nonnull_* needs its pool's name, which
 * remote_fwd_make_vol() may have to ask libvirtd for. */
const RemoteFwdType remote_fwd_vol_type = {
    .kind = DRV_FORWARD_STORAGE,
    .size = sizeof(remote_nonnull_storage_vol),
    .lookup = (gpointer (*)(virConnectPtr, gconstpointer, GError **))
        remote_fwd_vol,
    .free = (int (*)(gpointer))virStorageVolFree,
};

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

bool
remote_fwd_count(RpcCall *call, DrvForwardKind kind, RemoteFwdCount count,
                 void *ret, GError **error)
{
    g_autoptr(virConnect) conn = remote_fwd_conn(call, kind, error);
    remote_fwd_num_ret *r = ret;

    if (!conn)
        return false;
    if ((r->num = count(conn)) < 0) {
        drv_forward_set_error(error);
        return false;
    }
    return true;
}

bool
remote_fwd_list(RpcCall *call, DrvForwardKind kind, RemoteFwdList list,
                int maxnames, void *ret, GError **error)
{
    g_autoptr(virConnect) conn = remote_fwd_conn(call, kind, error);
    char **names;

    if (!conn || !(names = remote_fwd_names_new(maxnames, error)))
        return false;
    return remote_fwd_names_finish(names, list(conn, names, maxnames), ret,
                                   error);
}

bool
remote_fwd_reply(const RemoteFwdType *type, gpointer obj, gpointer out,
                 GError **error)
{
    if (!obj) {
        drv_forward_set_error(error);
        return false;
    }
    type->make(obj, out);
    type->free(obj);
    return true;
}

/* @op, or @flags_op with @flags, on the object @ref names. */
static bool
remote_fwd_do_any(RpcCall *call, const RemoteFwdType *type,
                  gconstpointer ref, RemoteFwdOp op,
                  RemoteFwdFlagsOp flags_op, unsigned int flags, int *result,
                  GError **error)
{
    g_autoptr(virConnect) conn = remote_fwd_conn(call, type->kind, error);
    gpointer obj;
    int rc;

    if (!conn || !(obj = type->lookup(conn, ref, error)))
        return false;
    /* libvirt's error first: freeing the object resets it. */
    if ((rc = op ? op(obj) : flags_op(obj, flags)) < 0)
        drv_forward_set_error(error);
    type->free(obj);
    if (rc < 0)
        return false;
    if (result)
        *result = rc;
    return true;
}

bool
remote_fwd_do(RpcCall *call, const RemoteFwdType *type, gconstpointer ref,
              RemoteFwdOp op, int *result, GError **error)
{
    return remote_fwd_do_any(call, type, ref, op, NULL, 0, result, error);
}

bool
remote_fwd_do_flags(RpcCall *call, const RemoteFwdType *type,
                    gconstpointer ref, RemoteFwdFlagsOp op,
                    unsigned int flags, GError **error)
{
    return remote_fwd_do_any(call, type, ref, NULL, op, flags, NULL, error);
}

bool
remote_fwd_xml_desc(RpcCall *call, const RemoteFwdType *type,
                    gconstpointer ref, RemoteFwdXmlOp op, unsigned int flags,
                    void *ret, GError **error)
{
    g_autoptr(virConnect) conn = remote_fwd_conn(call, type->kind, error);
    gpointer obj;
    bool ok;

    if (!conn || !(obj = type->lookup(conn, ref, error)))
        return false;
    /* Before the free, which resets libvirt's error. */
    ok = remote_fwd_take_string(op(obj, flags),
                                &((remote_fwd_string_ret *)ret)->str, error);
    type->free(obj);
    return ok;
}

bool
remote_fwd_list_all_finish(const RemoteFwdType *type, int n, gpointer *objs,
                           u_int *ret_n, u_int *len, gpointer *val,
                           GError **error)
{
    char *out;

    if (n < 0) {
        drv_forward_set_error(error);
        return false;
    }
    *ret_n = n;
    if (!objs)
        return true;
    /* One element at least: XDR's arrays are never NULL with a length. */
    out = g_malloc0_n(MAX(n, 1), type->size);
    for (int i = 0; i < n; i++) {
        type->make(objs[i], out + type->size * i);
        type->free(objs[i]);
    }
    /* libvirt's array is malloc'd. */
    free(objs);
    *len = n;
    *val = out;
    return true;
}

const RemoteFwdType remote_fwd_pool_type = {
    .kind = DRV_FORWARD_STORAGE,
    .size = sizeof(remote_nonnull_storage_pool),
    .lookup = (gpointer (*)(virConnectPtr, gconstpointer, GError **))
        remote_fwd_pool,
    .make = (void (*)(gpointer, gpointer))remote_fwd_make_pool,
    .free = (int (*)(gpointer))virStoragePoolFree,
};

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
