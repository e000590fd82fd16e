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
