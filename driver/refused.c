/* SPDX-License-Identifier: Apache-2.0 */
/* Domain calls nimbus has no device or mechanism for: refused, with why. */
#include <config.h>

#include "driver/driver.h"
#include "driver/refused.h"

/* virTypedParameterFlags: the client takes string parameters. */
#define DRV_TYPED_PARAM_STRING_OKAY (1u << 2)

/* OPERATION_INVALID unless @obj runs (RUNNING or PAUSED). */
static bool
refused_check_active(DrvDomainObj *obj, GError **error)
{
    bool active;

    drv_domain_obj_lock(obj);
    active = drv_domain_obj_is_active(obj);
    drv_domain_obj_unlock(obj);
    if (!active)
        drv_domain_set_error_not_running(error);
    return active;
}

bool
drv_domain_agent_refuse(DrvDomainObj *obj, unsigned int flags,
                        unsigned int supported, const char *api,
                        GError **error)
{
    bool running;

    if (!drv_check_flags(flags, supported, api, error))
        return false;
    /* libvirt asks the agent only of a RUNNING domain: a paused one is
     * "not running" too (qemuDomainAgentAvailable). */
    drv_domain_obj_lock(obj);
    running = drv_domain_obj_is_active(obj) && obj->state == DRV_STATE_RUNNING;
    drv_domain_obj_unlock(obj);
    if (!running) {
        drv_domain_set_error_not_running(error);
        return false;
    }
    /* libvirt's words and code for a domain with no agent channel; the
     * rest says why none can be added. */
    g_set_error(error, DRV_ERROR, DRV_ERROR_ARGUMENT_UNSUPPORTED,
                "QEMU guest agent is not configured: nimbus domains have "
                "no guest agent channel, so %s cannot reach the guest",
                api);
    return false;
}

bool
drv_domain_screenshot_refuse(DrvDomainObj *obj, unsigned int flags,
                             GError **error)
{
    if (!drv_check_flags(flags, 0, "virDomainScreenshot", error) ||
        !refused_check_active(obj, error))
        return false;
    g_set_error_literal(error, DRV_ERROR, DRV_ERROR_OPERATION_UNSUPPORTED,
                        "screenshot: nimbus domains have no graphics or "
                        "video device to take a screenshot from; use the "
                        "serial console (virsh console) instead");
    return false;
}

bool
drv_domain_send_key_refuse(DrvDomainObj *obj, unsigned int flags,
                           GError **error)
{
    if (!drv_check_flags(flags, 0, "virDomainSendKey", error) ||
        !refused_check_active(obj, error))
        return false;
    /* devices/legacy/i8042.c: the controller only resets the machine; no
     * keyboard sits behind it and no virtio-input exists. */
    g_set_error_literal(error, DRV_ERROR, DRV_ERROR_OPERATION_UNSUPPORTED,
                        "send-key: nimbus domains have no keyboard for the "
                        "keys to reach; type into the serial console "
                        "(virsh console) instead");
    return false;
}

bool
drv_domain_set_blkio_refuse(DrvDomainObj *obj, const char *first,
                            unsigned int flags, GError **error)
{
    if (!drv_check_flags(flags, DRV_DOMAIN_AFFECT_LIVE |
                                DRV_DOMAIN_AFFECT_CONFIG,
                         "virDomainSetBlkioParameters", error))
        return false;
    g_set_error(error, DRV_ERROR, DRV_ERROR_OPERATION_UNSUPPORTED,
                "blkio parameter%s%s%s cannot be set: nimbusd does not put "
                "domains in cgroups, so no blkio weight or device limit "
                "would apply; use blkdeviotune (per-disk rate limits) "
                "instead", first ? " '" : "s", first ? first : "",
                first ? "'" : "");
    return false;
}

bool
drv_domain_get_blkio_nparams(DrvDomainObj *obj, unsigned int flags,
                             int *nparams, GError **error)
{
    bool ok;

    if (!drv_check_flags(flags, DRV_DOMAIN_AFFECT_LIVE |
                                DRV_DOMAIN_AFFECT_CONFIG |
                                DRV_TYPED_PARAM_STRING_OKAY,
                         "virDomainGetBlkioParameters", error))
        return false;
    flags &= ~DRV_TYPED_PARAM_STRING_OKAY;
    drv_domain_obj_lock(obj);
    ok = drv_domain_affect(obj, &flags, "virDomainGetBlkioParameters",
                           error);
    drv_domain_obj_unlock(obj);
    /* <blkiotune> is refused at define (driver/xml/unsupported.c) and no
     * cgroup holds the domain: there is no parameter to report. */
    if (ok)
        *nparams = 0;
    return ok;
}
