/* SPDX-License-Identifier: Apache-2.0 */
/* REMOTE handler of update-device (remote-update-device.c). */
#pragma once

#include "driver/remote/remote.h"

REMOTE_HANDLER(remote_domain_update_device_flags);
