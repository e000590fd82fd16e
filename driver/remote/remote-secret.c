/* SPDX-License-Identifier: Apache-2.0 */
/* virsh secret-*, nova's Ceph and LUKS secrets: libvirtd's secret driver. */
#include <config.h>

#include <string.h>

#include "driver/remote/remote-secondary.h"
#include "driver/xml/domain-conf.h"

/*
 * Secret values are sensitive: nothing here logs them or puts them in an
 * error message; get_value hands libvirt's buffer to the reply as is and
 * set_value passes the client's straight on, neither copied nor kept.
 */

/* A secret is named by its UUID, as libvirtd's secret driver finds it. */
static virSecretPtr
remote_sec_secret(virConnectPtr conn, const remote_nonnull_secret *secret,
                  GError **error)
{
    virSecretPtr s = virSecretLookupByUUID(conn,
                                           (const unsigned char *)secret->uuid);

    if (!s)
        drv_forward_set_error(error);
    return s;
}

static void
remote_sec_make_secret(virSecretPtr s, remote_nonnull_secret *out)
{
    virSecretGetUUID(s, (unsigned char *)out->uuid);
    out->usageType = virSecretGetUsageType(s);
    out->usageID = g_strdup(virSecretGetUsageID(s));
}

static const RemoteFwdType remote_sec_secret_type = {
    .kind = DRV_FORWARD_SECRETS,
    .size = sizeof(remote_nonnull_secret),
    .lookup =
        (gpointer(*)(virConnectPtr, gconstpointer, GError **))remote_sec_secret,
    .make = (void (*)(gpointer, gpointer))remote_sec_make_secret,
    .free = (int (*)(gpointer))virSecretFree,
};

/* A call that answers one secret. */
static bool
remote_sec_secret_reply(virSecretPtr obj, void *ret, GError **error)
{
    return remote_fwd_reply(&remote_sec_secret_type, obj,
                            &((remote_secret_ret *)ret)->secret, error);
}

/*
 * Without libvirtd nimbusd has no secrets.  A lookup then answers
 * NO_SECRET, not NO_SUPPORT: nova asks secretLookupByUsage at every
 * volume attach and treats only NO_SECRET as "none" (it re-raises
 * anything else), and "none" is the truth; the message says why.
 */
static bool
remote_sec_lookup_conn(RpcCall *call, virConnectPtr *conn,
                       const char *what, GError **error)
{
    g_autoptr(GError) local = NULL;

    if ((*conn = remote_fwd_conn(call, DRV_FORWARD_SECRETS, &local)))
        return true;
    g_set_error(error, DRV_ERROR, DRV_ERROR_NO_SECRET,
                "no secret with matching %s (%s)", what, local->message);
    return false;
}

REMOTE_HANDLER(remote_sec_secret_lookup_by_uuid)
{
    const remote_secret_lookup_by_uuid_args *a = args;
    g_autoptr(virConnect) conn = NULL;
    const unsigned char *u = (const unsigned char *)a->uuid;
    g_autofree char *what = NULL;
    char uuid[37];

    domain_uuid_format(u, uuid);
    what = g_strdup_printf("uuid '%s'", uuid);
    if (!remote_sec_lookup_conn(call, &conn, what, error))
        return false;
    return remote_sec_secret_reply(virSecretLookupByUUID(conn, u), ret,
                                   error);
}

REMOTE_HANDLER(remote_sec_secret_lookup_by_usage)
{
    const remote_secret_lookup_by_usage_args *a = args;
    g_autoptr(virConnect) conn = NULL;
    g_autofree char *what = g_strdup_printf("usage '%s'", a->usageID);

    if (!remote_sec_lookup_conn(call, &conn, what, error))
        return false;
    return remote_sec_secret_reply(
        virSecretLookupByUsage(conn, a->usageType, a->usageID), ret, error);
}

REMOTE_HANDLER(remote_sec_connect_num_of_secrets)
{
    return remote_fwd_count(call, DRV_FORWARD_SECRETS, virConnectNumOfSecrets,
                            ret, error);
}

REMOTE_HANDLER(remote_sec_connect_list_secrets)
{
    const remote_fwd_maxnames_args *a = args;

    return remote_fwd_list(call, DRV_FORWARD_SECRETS, virConnectListSecrets,
                           a->maxnames, ret, error);
}

REMOTE_HANDLER(remote_sec_connect_list_all_secrets)
{
    const remote_fwd_list_all_args *a = args;
    remote_sec_list_all_secrets_ret *r = ret;
    g_autoptr(virConnect) conn =
        remote_fwd_conn(call, DRV_FORWARD_SECRETS, error);
    virSecretPtr *secrets = NULL;
    int n;

    if (!conn)
        return false;
    n = virConnectListAllSecrets(conn, a->need_results ? &secrets : NULL,
                                 a->flags);
    return remote_fwd_list_all_finish(&remote_sec_secret_type, n,
                                      (gpointer *)secrets, &r->ret,
                                      &r->secrets.secrets_len,
                                      (gpointer *)&r->secrets.secrets_val,
                                      error);
}

REMOTE_HANDLER(remote_sec_secret_define_xml)
{
    const remote_fwd_xml_flags_args *a = args;
    g_autoptr(virConnect) conn =
        remote_fwd_conn(call, DRV_FORWARD_SECRETS, error);

    return conn && remote_sec_secret_reply(
        virSecretDefineXML(conn, a->xml, a->flags), ret, error);
}

REMOTE_HANDLER(remote_sec_secret_get_xml_desc)
{
    const remote_sec_secret_flags_args *a = args;

    return remote_fwd_xml_desc(call, &remote_sec_secret_type, &a->secret,
                               (RemoteFwdXmlOp)virSecretGetXMLDesc, a->flags,
                               ret, error);
}

REMOTE_HANDLER(remote_sec_secret_set_value)
{
    const remote_sec_secret_set_value_args *a = args;
    g_autoptr(virConnect) conn =
        remote_fwd_conn(call, DRV_FORWARD_SECRETS, error);
    g_autoptr(virSecret) s = NULL;

    if (!conn || !(s = remote_sec_secret(conn, &a->secret, error)))
        return false;
    if (virSecretSetValue(s, (const unsigned char *)a->value.value_val,
                          a->value.value_len, a->flags) < 0) {
        drv_forward_set_error(error);
        return false;
    }
    return true;
}

REMOTE_HANDLER(remote_sec_secret_get_value)
{
    const remote_sec_secret_flags_args *a = args;
    remote_sec_secret_get_value_ret *r = ret;
    g_autoptr(virConnect) conn =
        remote_fwd_conn(call, DRV_FORWARD_SECRETS, error);
    g_autoptr(virSecret) s = NULL;
    unsigned char *value;
    size_t size = 0;

    if (!conn || !(s = remote_sec_secret(conn, &a->secret, error)))
        return false;
    if (!(value = virSecretGetValue(s, &size, a->flags))) {
        drv_forward_set_error(error);
        return false;
    }
    /* libvirt's malloc'd buffer, as xdr_free expects. */
    r->value.value_len = size;
    r->value.value_val = (char *)value;
    return true;
}

REMOTE_HANDLER(remote_sec_secret_undefine)
{
    const remote_sec_secret_args *a = args;

    return remote_fwd_do(call, &remote_sec_secret_type, &a->secret,
                         (RemoteFwdOp)virSecretUndefine, NULL, error);
}
