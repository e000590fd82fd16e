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

/* A call that answers one nwfilter. */
static bool
remote_sec_nwfilter_reply(virNWFilterPtr nwf, void *ret, GError **error)
{
    remote_sec_nwfilter_ret *r = ret;

    if (!nwf) {
        drv_forward_set_error(error);
        return false;
    }
    remote_sec_make_nwfilter(nwf, &r->nwfilter);
    virNWFilterFree(nwf);
    return true;
}

REMOTE_HANDLER(remote_sec_connect_num_of_nwfilters)
{
    g_autoptr(virConnect) conn =
        remote_fwd_conn(call, DRV_FORWARD_NWFILTERS, error);
    remote_fwd_num_ret *r = ret;

    if (!conn)
        return false;
    if ((r->num = virConnectNumOfNWFilters(conn)) < 0) {
        drv_forward_set_error(error);
        return false;
    }
    return true;
}

REMOTE_HANDLER(remote_sec_connect_list_nwfilters)
{
    const remote_fwd_maxnames_args *a = args;
    g_autoptr(virConnect) conn =
        remote_fwd_conn(call, DRV_FORWARD_NWFILTERS, error);
    char **names;

    if (!conn || !(names = remote_fwd_names_new(a->maxnames, error)))
        return false;
    return remote_fwd_names_finish(
        names, virConnectListNWFilters(conn, names, a->maxnames), ret,
        error);
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
    if (n < 0) {
        drv_forward_set_error(error);
        return false;
    }
    r->ret = n;
    if (filters) {
        r->filters.filters_len = n;
        r->filters.filters_val = g_new0(remote_nonnull_nwfilter, MAX(n, 1));
        for (int i = 0; i < n; i++) {
            remote_sec_make_nwfilter(filters[i], &r->filters.filters_val[i]);
            virNWFilterFree(filters[i]);
        }
        free(filters);
    }
    return true;
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
    g_autoptr(virConnect) conn =
        remote_fwd_conn(call, DRV_FORWARD_NWFILTERS, error);
    g_autoptr(virNWFilter) nwf = NULL;

    if (!conn || !(nwf = remote_sec_nwfilter(conn, &a->nwfilter, error)))
        return false;
    if (virNWFilterUndefine(nwf) < 0) {
        drv_forward_set_error(error);
        return false;
    }
    return true;
}

REMOTE_HANDLER(remote_sec_nwfilter_get_xml_desc)
{
    const remote_sec_nwfilter_flags_args *a = args;
    g_autoptr(virConnect) conn =
        remote_fwd_conn(call, DRV_FORWARD_NWFILTERS, error);
    g_autoptr(virNWFilter) nwf = NULL;

    if (!conn || !(nwf = remote_sec_nwfilter(conn, &a->nwfilter, error)))
        return false;
    return remote_fwd_take_string(virNWFilterGetXMLDesc(nwf, a->flags),
                                  &((remote_fwd_string_ret *)ret)->str,
                                  error);
}
