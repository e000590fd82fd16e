/* SPDX-License-Identifier: Apache-2.0 */
/* virsh nwfilter-*: libvirtd's nwfilter driver. */
#include <config.h>

#include "driver/remote/remote-secondary.h"

/* An nwfilter is named by its UUID, as libvirtd's driver finds it. */
static virNWFilterPtr
remote_sec_nwfilter(virConnectPtr conn, const remote_nonnull_nwfilter *f,
                    GError **error)
{
    virNWFilterPtr nwf =
        virNWFilterLookupByUUID(conn, (const unsigned char *)f->uuid);

    if (!nwf)
        drv_forward_set_error(error);
    return nwf;
}

static void
remote_sec_make_nwfilter(virNWFilterPtr nwf, remote_nonnull_nwfilter *out)
{
    out->name = g_strdup(virNWFilterGetName(nwf));
    virNWFilterGetUUID(nwf, (unsigned char *)out->uuid);
}

static const RemoteFwdType remote_sec_nwfilter_type = {
    .kind = DRV_FORWARD_NWFILTERS,
    .size = sizeof(remote_nonnull_nwfilter),
    .lookup = (gpointer (*)(virConnectPtr, gconstpointer, GError **))
        remote_sec_nwfilter,
    .make = (void (*)(gpointer, gpointer))remote_sec_make_nwfilter,
    .free = (int (*)(gpointer))virNWFilterFree,
};

/* A call that answers one nwfilter. */
static bool
remote_sec_nwfilter_reply(virNWFilterPtr obj, void *ret, GError **error)
{
    return remote_fwd_reply(&remote_sec_nwfilter_type, obj,
                            &((remote_sec_nwfilter_ret *)ret)->nwfilter, error);
}

REMOTE_HANDLER(remote_sec_connect_num_of_nwfilters)
{
    return remote_fwd_count(call, DRV_FORWARD_NWFILTERS,
                            virConnectNumOfNWFilters, ret, error);
}

REMOTE_HANDLER(remote_sec_connect_list_nwfilters)
{
    const remote_fwd_maxnames_args *a = args;

    return remote_fwd_list(call, DRV_FORWARD_NWFILTERS, virConnectListNWFilters,
                           a->maxnames, ret, error);
}

REMOTE_HANDLER(remote_sec_connect_list_all_nwfilters)
{
    const remote_fwd_list_all_args *a = args;
    remote_sec_list_all_nwfilters_ret *r = ret;
    g_autoptr(virConnect) conn =
        remote_fwd_conn(call, DRV_FORWARD_NWFILTERS, error);
    virNWFilterPtr *filters = NULL;
    int n;

    if (!conn)
        return false;
    n = virConnectListAllNWFilters(conn, a->need_results ? &filters : NULL,
                                   a->flags);
    return remote_fwd_list_all_finish(&remote_sec_nwfilter_type, n,
                                      (gpointer *)filters, &r->ret,
                                      &r->filters.filters_len,
                                      (gpointer *)&r->filters.filters_val,
                                      error);
}

REMOTE_HANDLER(remote_sec_nwfilter_lookup_by_name)
{
    const remote_fwd_name_args *a = args;
    g_autoptr(virConnect) conn =
        remote_fwd_conn(call, DRV_FORWARD_NWFILTERS, error);

    return conn && remote_sec_nwfilter_reply(
        virNWFilterLookupByName(conn, a->name), ret, error);
}

REMOTE_HANDLER(remote_sec_nwfilter_lookup_by_uuid)
{
    const remote_fwd_uuid_args *a = args;
    g_autoptr(virConnect) conn =
        remote_fwd_conn(call, DRV_FORWARD_NWFILTERS, error);

    return conn && remote_sec_nwfilter_reply(
        virNWFilterLookupByUUID(conn, (const unsigned char *)a->uuid), ret,
        error);
}

REMOTE_HANDLER(remote_sec_nwfilter_define_xml)
{
    const remote_fwd_xml_args *a = args;
    g_autoptr(virConnect) conn =
        remote_fwd_conn(call, DRV_FORWARD_NWFILTERS, error);

    return conn && remote_sec_nwfilter_reply(
        virNWFilterDefineXML(conn, a->xml), ret, error);
}

REMOTE_HANDLER(remote_sec_nwfilter_define_xml_flags)
{
    const remote_fwd_xml_flags_args *a = args;
    g_autoptr(virConnect) conn =
        remote_fwd_conn(call, DRV_FORWARD_NWFILTERS, error);

    return conn && remote_sec_nwfilter_reply(
        virNWFilterDefineXMLFlags(conn, a->xml, a->flags), ret, error);
}

REMOTE_HANDLER(remote_sec_nwfilter_undefine)
{
    const remote_sec_nwfilter_args *a = args;

    return remote_fwd_do(call, &remote_sec_nwfilter_type, &a->nwfilter,
                         (RemoteFwdOp)virNWFilterUndefine, NULL, error);
}

REMOTE_HANDLER(remote_sec_nwfilter_get_xml_desc)
{
    const remote_sec_nwfilter_flags_args *a = args;

    return remote_fwd_xml_desc(call, &remote_sec_nwfilter_type, &a->nwfilter,
                               (RemoteFwdXmlOp)virNWFilterGetXMLDesc, a->flags,
                               ret, error);
}
