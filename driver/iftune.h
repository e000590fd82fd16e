/* SPDX-License-Identifier: Apache-2.0 */
/* virDomain{Set,Get}InterfaceParameters: an interface's <bandwidth>, live and persistent. */
#pragma once

#include <stdbool.h>
#include <glib.h>

#include "driver/driver.h"
#include "driver/xml/net-bandwidth-params.h"

/**
 * drv_domain_set_interface_parameters:
 * virDomainSetInterfaceParameters (virsh domiftune): sets the @n
 * parameters @params of interface @device (MAC address or target dev) in
 * the definitions DRV_DOMAIN_AFFECT_* @flags name; every change is checked
 * before any is made.  Live, nimbus changes the NIC's rate limiter at once
 * through vm.nimbus-update-rate-limiter.
 */
bool drv_domain_set_interface_parameters(DrvDriver *driver,
                                         DrvDomainObj *obj,
                                         const char *device,
                                         const DomainIfParam *params,
                                         guint n, unsigned int flags,
                                         GError **error);

/**
 * drv_domain_get_interface_parameters:
 * virDomainGetInterfaceParameters: every bandwidth parameter of interface
 * @device in the definition @flags names (DRV_DOMAIN_AFFECT_LIVE or
 * _CONFIG, or the current one).
 * Returns: (transfer full) a GPtrArray of DomainIfParam, NULL with @error
 * set.
 */
GPtrArray *drv_domain_get_interface_parameters(DrvDomainObj *obj,
                                               const char *device,
                                               unsigned int flags,
                                               GError **error);
