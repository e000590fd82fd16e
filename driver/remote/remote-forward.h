/* SPDX-License-Identifier: Apache-2.0 */
/* Network and storage procedures, forwarded to libvirtd (driver/forward.h). */
#pragma once

#include "driver/forward.h"
#include "driver/remote/remote.h"
#include "driver/rpc/forward-gen.h"

/*
 * Each handler decodes nothing itself (program.h): it finds the objects
 * its arguments name in libvirtd (networks and pools by UUID, volumes by
 * pool and name, which is how libvirtd's own drivers find them), makes the
 * same libvirt call, and copies the answer into the reply.  libvirtd's
 * errors reach the client unchanged (DRV_RELAYED_ERROR).
 */

/* ---- remote-forward.c: shared helpers ------------------------------------ */

/* The libvirtd connection for @call (transfer full), or NULL with @error
 * saying that @kind's objects come from libvirtd, which is not reachable. */
virConnectPtr remote_fwd_conn(RpcCall *call, DrvForwardKind kind,
                              GError **error);

virNetworkPtr remote_fwd_network(virConnectPtr conn,
                                 const remote_nonnull_network *net,
                                 GError **error);
void remote_fwd_make_network(virNetworkPtr net, remote_nonnull_network *out);

virStoragePoolPtr remote_fwd_pool(virConnectPtr conn,
                                  const remote_nonnull_storage_pool *pool,
                                  GError **error);
void remote_fwd_make_pool(virStoragePoolPtr pool,
                          remote_nonnull_storage_pool *out);

virStorageVolPtr remote_fwd_vol(virConnectPtr conn,
                                const remote_nonnull_storage_vol *vol,
                                GError **error);
/* @pool_name: (nullable): the volume's pool when the caller knows it;
 * otherwise libvirtd is asked. */
bool remote_fwd_make_vol(virStorageVolPtr vol, const char *pool_name,
                         remote_nonnull_storage_vol *out, GError **error);

/*
 * The forwarded object kinds share one shape: a call finds an object (by
 * the remote_nonnull_* its arguments carry), makes one libvirt call on it,
 * or answers objects as remote_nonnull_*.  A RemoteFwdType says, for one
 * kind, how; the helpers below do the rest, the same way for every kind.
 * The libvirt functions are used as they are, cast to the generic
 * signatures (pointer parameters only).
 */
typedef struct {
    DrvForwardKind kind;        /* libvirtd's absence is named for it */
    size_t size;                /* sizeof one remote_nonnull_* */
    /* The object a remote_nonnull_* names, or NULL with libvirtd's error. */
    gpointer (*lookup)(virConnectPtr conn, gconstpointer ref,
                       GError **error);
    /* Fills a remote_nonnull_* from an object (NULL: the kind is only
     * looked up). */
    void (*make)(gpointer obj, gpointer out);
    int (*free)(gpointer obj);  /* virNetworkFree... */
} RemoteFwdType;

/* A counting call on the connection: -1 is failure. */
typedef int (*RemoteFwdCount)(virConnectPtr conn);
/* A legacy listing call: how many names it put in @names, -1 on failure. */
typedef int (*RemoteFwdList)(virConnectPtr conn, char **names, int max);
/* A call on one object (with the call's flags); its int answer, -1 is
 * failure. */
typedef int (*RemoteFwdOp)(gpointer obj);
typedef int (*RemoteFwdFlagsOp)(gpointer obj, unsigned int flags);

/* @count into a remote_fwd_num_ret. */
bool remote_fwd_count(RpcCall *call, DrvForwardKind kind,
                      RemoteFwdCount count, void *ret, GError **error);
/* @list of at most @maxnames into a remote_fwd_names_ret. */
bool remote_fwd_list(RpcCall *call, DrvForwardKind kind, RemoteFwdList list,
                     int maxnames, void *ret, GError **error);
/* Answers @obj, a call's result (NULL: the call failed), as @out, a
 * remote_nonnull_*; frees @obj. */
bool remote_fwd_reply(const RemoteFwdType *type, gpointer obj, gpointer out,
                      GError **error);
/* Finds the object @ref names and runs @op on it; its answer in @result
 * unless NULL. */
bool remote_fwd_do(RpcCall *call, const RemoteFwdType *type,
                   gconstpointer ref, RemoteFwdOp op, int *result,
                   GError **error);
/* The same for a call with flags and no answer. */
bool remote_fwd_do_flags(RpcCall *call, const RemoteFwdType *type,
                         gconstpointer ref, RemoteFwdFlagsOp op,
                         unsigned int flags, GError **error);
/* An object's XML (virNetworkGetXMLDesc...) with the call's flags. */
typedef char *(*RemoteFwdXmlOp)(gpointer obj, unsigned int flags);
/* @op's XML of the object @ref names into a remote_fwd_string_ret. */
bool remote_fwd_xml_desc(RpcCall *call, const RemoteFwdType *type,
                         gconstpointer ref, RemoteFwdXmlOp op,
                         unsigned int flags, void *ret, GError **error);
/*
 * The end of a list-all call that returned @n (< 0: failure) and @objs
 * (NULL unless the client asked for results, else libvirt's array, taken
 * over): @n into @ret_n and the objects into @len / @val, an array of
 * @type's remote_nonnull_*.
 */
bool remote_fwd_list_all_finish(const RemoteFwdType *type, int n,
                                gpointer *objs, u_int *ret_n, u_int *len,
                                gpointer *val, GError **error);

/* Networks (by UUID), storage pools (by UUID) and volumes (by pool and
 * name; for remote_fwd_do() and remote_fwd_do_flags() only). */
extern const RemoteFwdType remote_fwd_network_type;
extern const RemoteFwdType remote_fwd_pool_type;
extern const RemoteFwdType remote_fwd_vol_type;

/* An array for a legacy list call (virConnectListNetworks and the like)
 * of @maxnames names, or NULL with @error when @maxnames is out of range. */
char **remote_fwd_names_new(int maxnames, GError **error);
/* Moves the @n names a list call returned into @ret and frees @names; for
 * @n < 0 (the call failed), sets @error from libvirt instead. */
bool remote_fwd_names_finish(char **names, int n, remote_fwd_names_ret *ret,
                             GError **error);

/* A string libvirt allocated, or NULL with @error (libvirt's). */
bool remote_fwd_take_string(char *str, char **out, GError **error);

/* ---- remote-network.c --------------------------------------------------- */
REMOTE_HANDLER(remote_fwd_connect_num_of_networks);
REMOTE_HANDLER(remote_fwd_connect_list_networks);
REMOTE_HANDLER(remote_fwd_connect_num_of_defined_networks);
REMOTE_HANDLER(remote_fwd_connect_list_defined_networks);
REMOTE_HANDLER(remote_fwd_connect_list_all_networks);
REMOTE_HANDLER(remote_fwd_network_lookup_by_name);
REMOTE_HANDLER(remote_fwd_network_lookup_by_uuid);
REMOTE_HANDLER(remote_fwd_network_create_xml);
REMOTE_HANDLER(remote_fwd_network_define_xml);
REMOTE_HANDLER(remote_fwd_network_create);
REMOTE_HANDLER(remote_fwd_network_destroy);
REMOTE_HANDLER(remote_fwd_network_undefine);
REMOTE_HANDLER(remote_fwd_network_get_xml_desc);
REMOTE_HANDLER(remote_fwd_network_get_bridge_name);
REMOTE_HANDLER(remote_fwd_network_get_autostart);
REMOTE_HANDLER(remote_fwd_network_set_autostart);
REMOTE_HANDLER(remote_fwd_network_is_active);
REMOTE_HANDLER(remote_fwd_network_is_persistent);

/* ---- remote-storage-pool.c ---------------------------------------------- */
REMOTE_HANDLER(remote_fwd_connect_num_of_storage_pools);
REMOTE_HANDLER(remote_fwd_connect_list_storage_pools);
REMOTE_HANDLER(remote_fwd_connect_num_of_defined_storage_pools);
REMOTE_HANDLER(remote_fwd_connect_list_defined_storage_pools);
REMOTE_HANDLER(remote_fwd_connect_list_all_storage_pools);
REMOTE_HANDLER(remote_fwd_connect_find_storage_pool_sources);
REMOTE_HANDLER(remote_fwd_storage_pool_create_xml);
REMOTE_HANDLER(remote_fwd_storage_pool_define_xml);
REMOTE_HANDLER(remote_fwd_storage_pool_create);
REMOTE_HANDLER(remote_fwd_storage_pool_build);
REMOTE_HANDLER(remote_fwd_storage_pool_destroy);
REMOTE_HANDLER(remote_fwd_storage_pool_delete);
REMOTE_HANDLER(remote_fwd_storage_pool_undefine);
REMOTE_HANDLER(remote_fwd_storage_pool_refresh);
REMOTE_HANDLER(remote_fwd_storage_pool_lookup_by_name);
REMOTE_HANDLER(remote_fwd_storage_pool_lookup_by_uuid);
REMOTE_HANDLER(remote_fwd_storage_pool_lookup_by_volume);
REMOTE_HANDLER(remote_fwd_storage_pool_get_info);
REMOTE_HANDLER(remote_fwd_storage_pool_get_xml_desc);
REMOTE_HANDLER(remote_fwd_storage_pool_get_autostart);
REMOTE_HANDLER(remote_fwd_storage_pool_set_autostart);
REMOTE_HANDLER(remote_fwd_storage_pool_is_active);
REMOTE_HANDLER(remote_fwd_storage_pool_is_persistent);
REMOTE_HANDLER(remote_fwd_storage_pool_num_of_volumes);
REMOTE_HANDLER(remote_fwd_storage_pool_list_volumes);
REMOTE_HANDLER(remote_fwd_storage_pool_list_all_volumes);

/* ---- remote-storage-vol.c ----------------------------------------------- */
REMOTE_HANDLER(remote_fwd_storage_vol_create_xml);
REMOTE_HANDLER(remote_fwd_storage_vol_create_xml_from);
REMOTE_HANDLER(remote_fwd_storage_vol_delete);
REMOTE_HANDLER(remote_fwd_storage_vol_wipe);
REMOTE_HANDLER(remote_fwd_storage_vol_resize);
REMOTE_HANDLER(remote_fwd_storage_vol_lookup_by_name);
REMOTE_HANDLER(remote_fwd_storage_vol_lookup_by_key);
REMOTE_HANDLER(remote_fwd_storage_vol_lookup_by_path);
REMOTE_HANDLER(remote_fwd_storage_vol_get_info);
REMOTE_HANDLER(remote_fwd_storage_vol_get_xml_desc);
REMOTE_HANDLER(remote_fwd_storage_vol_get_path);
