/* SPDX-License-Identifier: Apache-2.0 */
/* REMOTE procedures of the connection and the node (handshake, caps, nodeinfo). */
#include <config.h>

#include <string.h>
#include <unistd.h>

#include "driver/caps.h"
#include "driver/compat.h"
#include "driver/nodeinfo.h"
#include "driver/remote/remote.h"
#include "driver/rpc/client.h"

/* CONNECT_SUPPORTS_FEATURE numbers (reference §2.1). */
enum {
    REMOTE_FEATURE_MIGRATION_P2P = 4,
    REMOTE_FEATURE_MIGRATION_V3 = 6,
    REMOTE_FEATURE_MIGRATE_CHANGE_PROTECTION = 7,
    REMOTE_FEATURE_TYPED_PARAM_STRING = 9,
    REMOTE_FEATURE_PROGRAM_KEEPALIVE = 10,
    REMOTE_FEATURE_REMOTE_EVENT_CALLBACK = 14,
    REMOTE_FEATURE_MIGRATION_PARAMS = 13,
    REMOTE_FEATURE_REMOTE_CLOSE_CALLBACK = 15,
};

bool
remote_auth_list(RpcCall *call, void *args, void *r, GError **error)
{
    remote_auth_list_ret *ret = r;

    /* NONE: access is decided by the socket's permissions and the peer
     * credentials checked at accept (reference §3). */
    ret->types.types_len = 1;
    ret->types.types_val = g_new0(int, 1);
    ret->types.types_val[0] = 0;
    return true;
}

/* The names CONNECT_OPEN accepts: the client rewrote the URI already
 * (transport suffix and client-only parameters dropped, §2.1);
 * qemu:///system too in the QEMU-compatibility mode (driver/compat.h). */
static bool
remote_uri_acceptable(const char *name, bool qemu_compat)
{
    g_autofree char *base = NULL;
    const char *q;

    if (!name || !*name)
        return true;    /* "": the server picks, as for remote:/// */
    q = strchr(name, '?');
    base = q ? g_strndup(name, (gsize)(q - name)) : g_strdup(name);
    return g_str_equal(base, "ch:///system") || g_str_equal(base, "ch:///session") ||
           (qemu_compat && g_str_equal(base, DRV_COMPAT_URI));
}

bool
remote_connect_open(RpcCall *call, void *a, void *r, GError **error)
{
    remote_connect_open_args *args = a;
    const char *name = args->name ? *args->name : NULL;

    if (!remote_uri_acceptable(
            name, remote_daemon_of(call)->driver->config->qemu_compat)) {
        g_set_error(error, DRV_ERROR, DRV_ERROR_NO_CONNECT, "%s", name);
        return false;
    }
    /* Only bit 0 (read-only) of the client's internal flags means
     * anything to a server (§2.1). */
    rpc_client_set_open(rpc_call_get_client(call), args->flags & 1);
    return true;
}

bool
remote_connect_close(RpcCall *call, void *args, void *ret, GError **error)
{
    RemoteConn *conn = rpc_client_get_data(rpc_call_get_client(call));

    g_mutex_lock(&conn->lock);
    g_array_set_size(conn->callbacks, 0);
    g_mutex_unlock(&conn->lock);
    return true;
}

bool
remote_connect_close_callback(RpcCall *call, void *args, void *ret, GError **error)
{
    /* Register/unregister of the close callback: the callback lives in the
     * client library, which fires it when the socket closes; the server
     * has nothing to track. */
    return true;
}

bool
remote_connect_supports_feature(RpcCall *call, void *a, void *r, GError **error)
{
    remote_connect_supports_feature_args *args = a;
    remote_connect_supports_feature_ret *ret = r;

    switch (args->feature) {
    case REMOTE_FEATURE_TYPED_PARAM_STRING:
    case REMOTE_FEATURE_PROGRAM_KEEPALIVE:
    case REMOTE_FEATURE_REMOTE_EVENT_CALLBACK:
    case REMOTE_FEATURE_REMOTE_CLOSE_CALLBACK:
    /* Migration: the v3 "_PARAMS" sequence, managed or peer-to-peer,
     * with change protection (driver/migrate.c). */
    case REMOTE_FEATURE_MIGRATION_P2P:
    case REMOTE_FEATURE_MIGRATION_V3:
    case REMOTE_FEATURE_MIGRATE_CHANGE_PROTECTION:
    case REMOTE_FEATURE_MIGRATION_PARAMS:
        ret->supported = 1;
        break;
    default:
        /* Migration v1/v2, direct and offline (1-3, 5, 11, 12), fd
         * passing (8) and the rest: not yet. */
        ret->supported = 0;
        break;
    }
    return true;
}

bool
remote_connect_get_type(RpcCall *call, void *args, void *r, GError **error)
{
    remote_connect_get_type_ret *ret = r;

    /* What libvirt's own Cloud Hypervisor driver answers (§3). */
    ret->type = g_strdup("CH");
    return true;
}

bool
remote_connect_get_version(RpcCall *call, void *args, void *r, GError **error)
{
    remote_connect_get_version_ret *ret = r;

    ret->hv_ver = remote_daemon_of(call)->hv_version;
    return true;
}

bool
remote_connect_get_lib_version(RpcCall *call, void *args, void *r, GError **error)
{
    remote_connect_get_lib_version_ret *ret = r;

    ret->lib_ver = REMOTE_LIB_VERSION;
    return true;
}

bool
remote_connect_get_hostname(RpcCall *call, void *args, void *r, GError **error)
{
    remote_connect_get_hostname_ret *ret = r;
    char buf[256] = "";

    if (gethostname(buf, sizeof(buf) - 1) < 0 || !*buf) {
        g_set_error_literal(error, DRV_ERROR, DRV_ERROR_SYSTEM_ERROR,
                            "cannot read the host name");
        return false;
    }
    ret->hostname = g_strdup(buf);
    return true;
}

bool
remote_connect_get_uri(RpcCall *call, void *args, void *r, GError **error)
{
    remote_connect_get_uri_ret *ret = r;

    /* Asked only by clients that opened with "" (§2.1): the URI that
     * reaches this daemon by default. */
    ret->uri = g_strdup(geteuid() == 0 ? "ch:///system" : "ch:///session");
    return true;
}

bool
remote_connect_get_max_vcpus(RpcCall *call, void *a, void *r, GError **error)
{
    remote_connect_get_max_vcpus_args *args = a;
    remote_connect_get_max_vcpus_ret *ret = r;

    return drv_max_vcpus(args->type ? *args->type : NULL, &ret->max_vcpus, error);
}

bool
remote_connect_is_secure(RpcCall *call, void *args, void *r, GError **error)
{
    remote_connect_is_secure_ret *ret = r;

    /* A local UNIX socket cannot be snooped on (libvirt answers 1 too). */
    ret->secure = 1;
    return true;
}

bool
remote_connect_get_capabilities(RpcCall *call, void *args, void *r, GError **error)
{
    remote_connect_get_capabilities_ret *ret = r;
    g_autoptr(DrvNodeInfo) node = drv_node_info_new("/", error);

    if (!node)
        return false;
    ret->capabilities = drv_caps_format(remote_daemon_of(call)->driver->config, node);
    return true;
}

bool
remote_connect_get_domain_capabilities(RpcCall *call, void *a, void *r,
                                       GError **error)
{
    remote_connect_get_domain_capabilities_args *args = a;
    remote_connect_get_domain_capabilities_ret *ret = r;

    ret->capabilities = drv_domcaps_format(remote_daemon_of(call)->driver->config,
                                           args->emulatorbin ? *args->emulatorbin : NULL,
                                           args->arch ? *args->arch : NULL,
                                           args->machine ? *args->machine : NULL,
                                           args->virttype ? *args->virttype : NULL,
                                           args->flags, error);
    return ret->capabilities != NULL;
}

bool
remote_node_get_info(RpcCall *call, void *args, void *r, GError **error)
{
    remote_node_get_info_ret *ret = r;
    g_autoptr(DrvNodeInfo) node = drv_node_info_new("/", error);

    if (!node)
        return false;
    /* char model[32]: each char travels as 4 bytes (§1.2); NUL-padded. */
    memcpy(ret->model, node->model, sizeof(ret->model));
    ret->memory = node->memory_kib;
    ret->cpus = node->cpus;
    ret->mhz = node->mhz;
    ret->nodes = node->nodes;
    ret->sockets = node->sockets;
    ret->cores = node->cores;
    ret->threads = node->threads;
    return true;
}

bool
remote_node_get_free_memory(RpcCall *call, void *args, void *r, GError **error)
{
    remote_node_get_free_memory_ret *ret = r;
    uint64_t bytes = 0;

    if (!drv_node_free_memory("/", &bytes, error))
        return false;
    ret->freeMem = bytes;
    return true;
}

bool
remote_node_get_security_model(RpcCall *call, void *args, void *r, GError **error)
{
    /* No security driver (SELinux/AppArmor labelling): empty model and
     * doi, which virsh dominfo shows as nothing (§2.2). */
    return true;
}
