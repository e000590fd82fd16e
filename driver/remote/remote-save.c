/* SPDX-License-Identifier: Apache-2.0 */
/* REMOTE save/restore and managed-save procedures onto driver/save.c. */
#include <config.h>

#include "driver/remote/remote-save.h"
#include "driver/save.h"

/* virsh sends the legacy SAVE/RESTORE without flags (reference §2.2):
 * each maps onto the flags variant with flags 0. */

bool
remote_domain_save(RpcCall *call, void *a, void *r, GError **error)
{
    remote_domain_save_args *args = a;
    RemoteDaemon *daemon = remote_daemon_of(call);
    g_autoptr(DrvDomainObj) obj = remote_get_domain(daemon, &args->dom, error);

    return obj && drv_domain_save(daemon->driver, obj, args->to, NULL, 0,
                                  error);
}

bool
remote_domain_save_flags(RpcCall *call, void *a, void *r, GError **error)
{
    remote_domain_save_flags_args *args = a;
    RemoteDaemon *daemon = remote_daemon_of(call);
    g_autoptr(DrvDomainObj) obj = remote_get_domain(daemon, &args->dom, error);

    return obj && drv_domain_save(daemon->driver, obj, args->to,
                                  args->dxml ? *args->dxml : NULL,
                                  args->flags, error);
}

bool
remote_domain_restore(RpcCall *call, void *a, void *r, GError **error)
{
    remote_domain_restore_args *args = a;

    return drv_domain_restore(remote_daemon_of(call)->driver, args->from,
                              NULL, 0, error);
}

bool
remote_domain_restore_flags(RpcCall *call, void *a, void *r, GError **error)
{
    remote_domain_restore_flags_args *args = a;

    return drv_domain_restore(remote_daemon_of(call)->driver, args->from,
                              args->dxml ? *args->dxml : NULL, args->flags,
                              error);
}

bool
remote_domain_save_image_get_xml_desc(RpcCall *call, void *a, void *r,
                                      GError **error)
{
    remote_domain_save_image_get_xml_desc_args *args = a;
    remote_domain_save_image_get_xml_desc_ret *ret = r;

    ret->xml = drv_domain_save_image_get_xml(remote_daemon_of(call)->driver,
                                             args->file, args->flags, error);
    return ret->xml != NULL;
}

bool
remote_domain_save_image_define_xml(RpcCall *call, void *a, void *r,
                                    GError **error)
{
    remote_domain_save_image_define_xml_args *args = a;

    return drv_domain_save_image_define_xml(remote_daemon_of(call)->driver,
                                            args->file, args->dxml,
                                            args->flags, error);
}

bool
remote_domain_managed_save(RpcCall *call, void *a, void *r, GError **error)
{
    remote_domain_managed_save_args *args = a;
    RemoteDaemon *daemon = remote_daemon_of(call);
    g_autoptr(DrvDomainObj) obj = remote_get_domain(daemon, &args->dom, error);

    return obj && drv_domain_managed_save(daemon->driver, obj, args->flags,
                                          error);
}

bool
remote_domain_managed_save_remove(RpcCall *call, void *a, void *r,
                                  GError **error)
{
    remote_domain_managed_save_args *args = a;
    RemoteDaemon *daemon = remote_daemon_of(call);
    g_autoptr(DrvDomainObj) obj = remote_get_domain(daemon, &args->dom, error);

    return obj && drv_domain_managed_save_remove(daemon->driver, obj,
                                                 args->flags, error);
}

bool
remote_domain_managed_save_get_xml_desc(RpcCall *call, void *a, void *r,
                                        GError **error)
{
    remote_domain_managed_save_args *args = a;
    remote_domain_managed_save_get_xml_desc_ret *ret = r;
    RemoteDaemon *daemon = remote_daemon_of(call);
    g_autoptr(DrvDomainObj) obj = remote_get_domain(daemon, &args->dom, error);

    if (!obj)
        return false;
    ret->xml = drv_domain_managed_save_get_xml(daemon->driver, obj,
                                               args->flags, error);
    return ret->xml != NULL;
}

bool
remote_domain_managed_save_define_xml(RpcCall *call, void *a, void *r,
                                      GError **error)
{
    remote_domain_managed_save_define_xml_args *args = a;
    RemoteDaemon *daemon = remote_daemon_of(call);
    g_autoptr(DrvDomainObj) obj = remote_get_domain(daemon, &args->dom, error);

    if (!obj)
        return false;
    if (!args->dxml) {
        g_set_error_literal(error, DRV_ERROR, DRV_ERROR_INVALID_ARG,
                            "virDomainManagedSaveDefineXML needs an XML");
        return false;
    }
    return drv_domain_managed_save_define_xml(daemon->driver, obj,
                                              *args->dxml, args->flags,
                                              error);
}
