/* SPDX-License-Identifier: Apache-2.0 */
/* DOMAIN_UPDATE_DEVICE_FLAGS (174): virsh update-device. */
#include <config.h>

#include "driver/remote/remote-update-device.h"
#include "driver/update-device.h"

/* Its arguments are those of ATTACH_DEVICE_FLAGS on the wire (dom, xml,
 * flags: remote_domain_update_device_flags_args in libvirt's
 * remote_protocol.x), so that type decodes them. */
bool
remote_domain_update_device_flags(RpcCall *call, void *a, void *r,
                                  GError **error)
{
    remote_domain_attach_device_flags_args *args = a;
    RemoteDaemon *daemon = remote_daemon_of(call);
    g_autoptr(DrvDomainObj) obj = remote_get_domain(daemon, &args->dom, error);

    return obj && drv_domain_update_device(daemon->driver, obj, args->xml,
                                           args->flags, error);
}
