/* SPDX-License-Identifier: Apache-2.0 */
/* virDomain{Set,Get}InterfaceParameters: an interface's <bandwidth>, live and persistent. */
#include <config.h>

#include "driver/devtune.h"
#include "driver/iftune.h"

/* The work is drv_dev_tune_set/get's (devtune.c), as for blkdeviotune;
 * these adapt the typed <bandwidth> helpers (driver/xml/net-bandwidth.c)
 * to its table. */

static DomainDef *
iftune_with(const DomainDef *def, const char *device, const void *params,
            guint n, GError **error)
{
    return domain_def_with_net_bandwidth(def, device, params, n, error);
}

/* An interface's limiter is its own (no groups): the body needs only the
 * new definition. */
static char *
iftune_live_body(const DomainDef *old G_GNUC_UNUSED, const DomainDef *new,
                 const char *device, GError **error)
{
    return domain_def_net_bandwidth_live_body(new, device, error);
}

static bool
iftune_set(DomainDef *def, const char *device, const void *params, guint n,
           GError **error)
{
    return domain_def_net_bandwidth_set(def, device, params, n, error);
}

static const DrvDevTuneOps iftune_ops = {
    .set_api = "virDomainSetInterfaceParameters",
    .get_api = "virDomainGetInterfaceParameters",
    .job = "domiftune",
    .with = iftune_with,
    .live_body = iftune_live_body,
    .set = iftune_set,
    .get = domain_def_net_bandwidth_get,
};

bool
drv_domain_set_interface_parameters(DrvDriver *driver, DrvDomainObj *obj,
                                    const char *device,
                                    const DomainIfParam *params, guint n,
                                    unsigned int flags, GError **error)
{
    return drv_dev_tune_set(&iftune_ops, driver, obj, device, params, n,
                            flags, error);
}

GPtrArray *
drv_domain_get_interface_parameters(DrvDomainObj *obj, const char *device,
                                    unsigned int flags, GError **error)
{
    return drv_dev_tune_get(&iftune_ops, obj, device, flags, error);
}
