/* SPDX-License-Identifier: Apache-2.0 */
/* DRV_ERROR: the driver's GError domain. */
#include <config.h>

#include "driver/drv-error.h"

G_DEFINE_QUARK(nimbus-driver-error-quark, drv_error)
G_DEFINE_QUARK(nimbus-driver-relayed-error-quark, drv_relayed_error)
